/*
 * The kernel console: whole messages written under one lock, so lines
 * from different harts never interleave. '\n' goes out as "\r\n", the
 * serial convention (OpenSBI's banner does the same).
 */
#ifndef NEURON_CONSOLE_H
#define NEURON_CONSOLE_H

#include <stddef.h>

/* Precondition: tp is set up (the hart has its area). */
void console_write(const char *s, size_t n);

/* No lock, no per-hart state: only for reports before tp exists. */
void console_write_early(const char *s);

/*
 * Stops all further console output and waits until everything already
 * written has left the UART. Bounded: if another hart holds the lock and
 * never lets go, gives up waiting for it. Safe before tp is set up.
 */
void console_quiesce(void);

#endif
