#include <neuron/percpu.h>

#include "lib/kprintf.h"
#include "sched/ktap.h"
#include "shutdown.h"

void ktap_begin(struct ktap *k, unsigned planned)
{
	k->number = 0;
	k->failed = 0;
	kprintf("KTAP version 1\n1..%u\n", planned);
}

void ktap_case(struct ktap *k, const char *name, bool ok, const char *skip_reason)
{
	k->number++;
	if (skip_reason)
		kprintf("ok %u %s # SKIP %s\n", k->number, name, skip_reason);
	else if (ok)
		kprintf("ok %u %s\n", k->number, name);
	else {
		kprintf("not ok %u %s\n", k->number, name);
		k->failed++;
	}
}

int ktap_end(struct ktap *k, const char *scenario, unsigned long long digest)
{
	kprintf("# schedule digest: 0x%016llx\n", digest);
#if NEURON_AUDIT
	unsigned violations = percpu_audit_violation_count();
	kprintf("# percpu violations: %u\n", violations);
	if (violations)
		k->failed++;
#endif
	kprintf("neuron: scenario %s: %s\n", scenario, k->failed ? "FAIL" : "PASS");
	return k->failed ? EXIT_TEST_FAILED : EXIT_PASS;
}
