#include "arch/riscv/sbi.h"
#include "proof/selftest/selftest.h"
#include "sched/ipi.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"

#define IPI_TIMEOUT_MS 200
#define SETTLE_MS 20 /* long enough for a duplicate delivery to show up */

struct ipi_wait {
	unsigned hart;
	uint64_t target;
};

static bool ipi_count_reached(const void *arg)
{
	const struct ipi_wait *w = arg;
	return ipi_stat_ssi_traps(w->hart) >= w->target;
}

void selftest_ipi_roundtrip(struct selftest *t)
{
	static uint64_t before[NEURON_MAX_HARTS];
	unsigned n = smp_dtb_hart_count();
	unsigned me = hart_id();

	for (unsigned i = 0; i < n; i++) {
		unsigned target = smp_dtb_hart(i);
		if (target == me || !smp_is_online(target))
			continue;
		for (unsigned j = 0; j < n; j++)
			before[smp_dtb_hart(j)] = ipi_stat_ssi_traps(smp_dtb_hart(j));

		long err = smp_send_ipi(target);
		if (!SELFTEST_CHECK(t, err == SBI_SUCCESS, "send to hart %u: SBI error %ld (%s)",
				    target, err, sbi_error_name(err)))
			continue;
		struct ipi_wait w = { .hart = target, .target = before[target] + 1 };
		timer_wait_until(ipi_count_reached, &w, IPI_TIMEOUT_MS);
		timer_sleep_ms(SETTLE_MS);

		for (unsigned j = 0; j < n; j++) {
			unsigned h = smp_dtb_hart(j);
			uint64_t expected = before[h] + (h == target ? 1 : 0);
			uint64_t seen = ipi_stat_ssi_traps(h);
			SELFTEST_CHECK(t, seen == expected,
				       "IPI to hart %u: hart %u handled %lu, expected %lu", target, h,
				       seen - before[h], expected - before[h]);
		}
	}
}
