/*
 * Host runtime for PerCpu: pthreads stand in for harts. A thread becomes
 * hart h with percpu_host_attach(h); its TLS block is its per-hart area.
 * Interrupts are a per-thread flag (PERCPU_GUARD clears it).
 */
#ifndef NEURON_PERCPU_HOST_H
#define NEURON_PERCPU_HOST_H

#include <neuron/percpu.h>

/* Precondition: init phase, hart < NEURON_MAX_HARTS, not attached yet. */
void percpu_host_attach(unsigned hart);

/* Reports go to stderr, and to this hook if set (a test double). */
typedef void (*percpu_host_report_hook)(const struct percpu_violation *violation, const char *line);
void percpu_host_set_report_hook(percpu_host_report_hook hook);

/* Simulate a corrupted base register (audit must catch it); 0 restores. */
void percpu_host_poison_base_register(uintptr_t delta);

/* Forget all areas and re-open the init phase: only for tests that run
 * several boot scenarios in one process. */
void percpu_host_reset_for_test(void);

/* Audit builds: the next guard this thread takes gets serial `serial`
 * (tests start the counter near 2^32); release builds: nothing. */
void percpu_host_set_next_guard_serial_for_test(uint64_t serial);

#endif
