#include <stdarg.h>

#include <neuron/percpu.h>

#include "arch/riscv/csr.h"
#include "boot/shutdown.h"
#include "lib/format.h"
#include "lib/kprintf.h"
#include "lib/ktap.h"
#include "proof/scenarios/scenario.h"
#include "proof/selftest/selftest.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"
#include "smp/watchdog.h"

struct selftest_entry {
	const char *name;
	unsigned min_harts;
	void (*run)(struct selftest *t);
};

static const struct selftest_entry selftests[] = {
#define SELFTEST(name, min_harts, description) { #name, min_harts, selftest_##name },
#include "proof/selftest/list.h"
#undef SELFTEST
};

const char *const selftest_names[] = {
#define SELFTEST(name, min_harts, description) #name,
#include "proof/selftest/list.h"
#undef SELFTEST
};

const unsigned selftest_count = sizeof(selftests) / sizeof(selftests[0]);

void selftest_diag(struct selftest *t, const char *fmt, ...)
{
	char message[KPRINTF_MAX - 64];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	kprintf("# %s: %s\n", t->name, message);
}

/* Audit builds count every violation; release builds have none to count. */
static unsigned violations_so_far(void)
{
#if NEURON_AUDIT
	return percpu_audit_violation_count();
#else
	return 0;
#endif
}

/* The test hangs the way a real deadlock would: waiting, never woken. */
static void hang_forever(void)
{
	for (;;)
		wfi();
}

int scenario_selftest(const struct bootargs *args)
{
	struct ktap k;
	unsigned online = smp_online_count();
	/*
	 * Violations outside the ones a test provoked on purpose (and checked
	 * one by one): a clean run has none. Boot-time ones count (they exist
	 * only under audit=continue). The audit's counter cannot be reset, so
	 * the runner counts per test, around each run.
	 */
	unsigned stray_violations = violations_so_far(), provoked_violations = 0;

	ktap_begin(&k, selftest_count);
	for (unsigned i = 0; i < selftest_count; i++) {
		const struct selftest_entry *e = &selftests[i];
		struct selftest t = { .name = e->name, .number = i + 1, .args = args };

		if (online < e->min_harts) {
			char reason[48];
			ksnprintf(reason, sizeof(reason), "needs %u harts, booted %u", e->min_harts, online);
			ktap_case(&k, t.name, true, reason);
			continue;
		}
		hart_set_context(e->name);
		watchdog_arm(t.number, e->name, args->watchdog_ms);
		if (args->selftest_hang == i) {
			selftest_diag(&t, "hanging on purpose (selftest_hang=%s)", e->name);
			hang_forever();
		}
		unsigned violations_before = violations_so_far();
		e->run(&t);
		unsigned violations = violations_so_far() - violations_before;
		watchdog_disarm();
		if (violations > t.provoked_violations) {
			SELFTEST_FAIL(&t, "%u PerCpu violations beyond the %u provoked on purpose",
				      violations - t.provoked_violations, t.provoked_violations);
			stray_violations += violations - t.provoked_violations;
			provoked_violations += t.provoked_violations;
		} else {
			provoked_violations += violations;
		}
		hart_set_context("selftest");

		if (args->selftest_fail == i)
			SELFTEST_FAIL(&t, "failing on purpose (selftest_fail=%s)", e->name);
		ktap_case(&k, t.name, t.failures == 0, t.failures ? NULL : t.skip_reason);
	}
	if (NEURON_AUDIT) {
		kprintf("# percpu violations provoked on purpose: %u\n", provoked_violations);
		kprintf("# percpu violations: %u\n", stray_violations);
	}
	kprintf("neuron: selftests passed=%u failed=%u skipped=%u\n", k.passed, k.failed, k.skipped);
	return k.failed || stray_violations ? EXIT_TEST_FAILED : EXIT_PASS;
}
