/*
 * Host platform for PerCpu (see percpu_host.h).
 */
#include "percpu_host.h"

#include <neuron/spinlock.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__thread unsigned long percpu_host_irq_enabled = 1;
__thread uintptr_t percpu_host_base_register;
__thread uint64_t percpu_host_identity_word;
/* 64-byte aligned like the kernel's areas; its address is this thread's
 * area base. */
__thread char percpu_host_area_anchor __attribute__((aligned(64)));

static percpu_host_report_hook report_hook;

void percpu_host_set_report_hook(percpu_host_report_hook hook)
{
	__atomic_store_n(&report_hook, hook, __ATOMIC_RELEASE);
}

void percpu_platform_report(const struct percpu_violation *violation, const char *line)
{
	percpu_host_report_hook hook = __atomic_load_n(&report_hook, __ATOMIC_ACQUIRE);
	if (hook)
		hook(violation, line);
	else
		fprintf(stderr, "%s\n", line);
}

void percpu_platform_lock_wait(const struct spinlock *lock, const char *file, unsigned line)
{
	/* The host has no watchdog to tell. */
	(void)lock; (void)file; (void)line;
}

void percpu_platform_panic(const char *line)
{
	fprintf(stderr, "panic: %s\n", line);
	abort();
}

void percpu_host_attach(unsigned hart)
{
	uintptr_t base = (uintptr_t)&percpu_host_area_anchor;
	percpu_host_base_register = base;
	percpu_platform_set_area(hart, base);
	percpu_hart_attach(hart);
}

void percpu_host_poison_base_register(uintptr_t delta)
{
	percpu_host_base_register = (uintptr_t)&percpu_host_area_anchor + delta;
}

void percpu_host_reset_for_test(void)
{
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		__atomic_store_n(&percpu__area_bases[h], 0, __ATOMIC_RELEASE);
	void percpu__audit_reset_phase_for_test(void);
	percpu__audit_reset_phase_for_test();
}

void percpu_host_set_next_guard_serial_for_test(uint64_t serial)
{
#if NEURON_AUDIT
	void percpu__audit_set_next_guard_serial_for_test(uint64_t next);
	percpu__audit_set_next_guard_serial_for_test(serial);
#else
	(void)serial;
#endif
}
