#include "proof/audit_probe.h"

PERCPU_DEFINE_LOCKED(struct audit_probe, audit_probe, lock);

/* A token of the init phase, kept for the catalog case that uses one after
 * it (violations/, init_token_used_late). */
static struct percpu_init_token kept_token;

struct percpu_init_token *audit_probe_init_token(void)
{
	return &kept_token;
}

void audit_probe_init(void)
{
	PERCPU_INIT_TOKEN(t);
	kept_token = t;
	percpu_for_each_hart(t, h) {
		struct audit_probe *p = percpu_init(t, audit_probe, h);
		spin_init(&p->lock, "audit_probe.lock");
		p->value = 0;
	}
}
