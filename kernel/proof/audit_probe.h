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

/* Init phase: initialise every hart's instance. A case that needs
 * hart's probe lock without its data names it as
 * percpu_remote_lock(audit_probe, hart). */
void audit_probe_init(void);

/* The init-phase token audit_probe_init kept (for a deliberate misuse). */
struct percpu_init_token *audit_probe_init_token(void);

#endif
