#include <neuron/percpu.h>

#include "boot/shutdown.h"
#include "lib/kprintf.h"
#include "proof/scenarios/verdict.h"

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
