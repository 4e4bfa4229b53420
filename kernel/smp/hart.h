/*
 * Hart-local state, kept in one place behind small accessors. The state
 * is one PerCpu variable (`hart_local`, hart.c): every accessor takes a
 * guard, so audit builds check each access; the hart_remote_* readers use
 * the wrapper's atomic remote loads with reason `stats`.
 *
 * Single writer: each value is written only by its own hart; the
 * hart_remote_* readers are for self-tests and diagnostics and may see a
 * value one update old.
 */
#ifndef NEURON_HART_H
#define NEURON_HART_H

#include <stdint.h>

/* Precondition: the calling hart is attached to PerCpu (percpu_hart_attach). Once per hart. */
void hart_init_this(void);

/*
 * The hart this code runs on: the kernel's one spelling of it, answered by
 * PerCpu's identity of the hart (percpu_current_hart). Between two
 * preemption points only: a task can be moved to another hart at the next
 * one. Code that must stay on the hart holds a PerCpu guard and asks
 * percpu_current_hart(&g) under it.
 */
unsigned hart_id(void);

/* Precondition (all below): hart_init_this() ran on the calling hart. */

/* What this hart is doing, for diagnostics ("boot", "idle", a test name). */
const char *hart_context(void);
void hart_set_context(const char *what);

uint64_t hart_timer_ticks(void);
/* Precondition (these three): interrupts off (tick setup, trap handler). */
void hart_count_timer_tick(void);
uint64_t hart_next_tick_time(void);
void hart_set_next_tick_time(uint64_t time);

void hart_set_isolation_stamp(uint64_t value);

/* Another hart's values, read with the wrapper's atomic remote loads
 * (reason `stats`). Precondition: hart has a per-hart area (a DTB hart). */
uint64_t hart_remote_timer_ticks(unsigned hart);
uint64_t hart_remote_isolation_stamp(unsigned hart);

/* Offsets of fields from any area base (link-time, from the variable's
 * PerCpu descriptor, the same one tools read). */
uintptr_t hart_isolation_stamp_offset(void);
/* The address the calling hart's own code uses for its isolation stamp. */
uintptr_t hart_isolation_stamp_address(void);

#endif
