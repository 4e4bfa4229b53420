/*
 * What each hart was last seen doing, for the watchdog's diagnosis of a
 * hang: the pc its last tick interrupted, and the lock it is spinning on.
 * Plain words, not PerCpu: the watchdog reads them from another hart while
 * the owner may be stuck with interrupts off, and a diagnosis must not
 * take a guard or a lock. Each entry is written only by its own hart
 * (relaxed atomics); a reader may see it one update old.
 */
#ifndef NEURON_HART_WATCH_H
#define NEURON_HART_WATCH_H

#include <stdint.h>

/* From the timer interrupt: the interrupted pc. */
void hart_watch_tick(uintptr_t pc);
/* From hart_set_context: the name the diagnosis shows. */
void hart_watch_context(const char *what);
/* One line per DTB hart: where it is stuck. From the watchdog. */
void hart_watch_report(void);

#endif
