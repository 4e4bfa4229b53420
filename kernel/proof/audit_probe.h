/*
 * The per-CPU variable the audit self-test (selftest/test_percpu_audit.c)
 * and the violation suite (violations/) break the ownership rules on, on
 * purpose. Nothing else touches it, so a report naming `audit_probe` is
 * always one of theirs.
 */
#ifndef NEURON_AUDIT_PROBE_H
#define NEURON_AUDIT_PROBE_H

#include <stdint.h>

#include <neuron/percpu.h>

struct audit_probe {
	struct spinlock lock;
	uint64_t value;
};
PERCPU_DECLARE_LOCKED(struct audit_probe, audit_probe, lock);

/* Init phase: initialise every hart's instance and remember its lock. */
void audit_probe_init(void);

/*
 * hart's probe lock, recorded in the init phase: a lock-form remote access
 * names the lock before it can reach the instance. Precondition: hart has
 * a per-hart area.
 */
struct spinlock *audit_probe_lock(unsigned hart);

#endif
