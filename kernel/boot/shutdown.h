#ifndef NEURON_SHUTDOWN_H
#define NEURON_SHUTDOWN_H

#include <stdnoreturn.h>

/* Exit statuses: the table in docs/architecture.md. */
#define EXIT_PASS 0
#define EXIT_TEST_FAILED 1
#define EXIT_BAD_BOOTARGS 2
#define EXIT_PANIC 3
#define EXIT_WATCHDOG 4

/*
 * Ends the run with QEMU's exit status = status (0..255). Flushes the
 * console first. Callable from any hart, in any context, before or after
 * tp exists.
 */
noreturn void kernel_exit(int status);

#endif
