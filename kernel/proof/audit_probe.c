#include "proof/audit_probe.h"

PERCPU_DEFINE_LOCKED(struct audit_probe, audit_probe, lock);

void audit_probe_init(void)
{
	PERCPU_INIT_TOKEN(t);
	percpu_for_each_hart(t, h) {
		struct audit_probe *p = percpu_init(t, audit_probe, h);
		spin_init(&p->lock, "audit_probe.lock");
		p->value = 0;
	}
}
