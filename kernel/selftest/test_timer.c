#include "hart.h"
#include "selftest/selftest.h"
#include "smp.h"
#include "timer.h"

#define SAMPLE_MS 100
#define MIN_TICKS 3 /* "advances": well under the 10 expected, robust without icount */

void selftest_timer_ticks(struct selftest *t)
{
	static uint64_t before[NEURON_MAX_HARTS];
	unsigned n = smp_dtb_hart_count();

	for (unsigned i = 0; i < n; i++)
		before[smp_dtb_hart(i)] = hart_remote_timer_ticks(smp_dtb_hart(i));
	uint64_t start = timer_now();
	timer_sleep_ms(SAMPLE_MS);
	uint64_t elapsed_ms = timer_time_to_ms(timer_now() - start);
	/* The most a TICK_HZ tick can fire in elapsed_ms, plus both window edges. */
	uint64_t most = elapsed_ms * TICK_HZ / 1000 + 2;

	for (unsigned i = 0; i < n; i++) {
		unsigned h = smp_dtb_hart(i);
		if (!SELFTEST_CHECK(t, smp_is_online(h), "hart %u is not online", h))
			continue;
		uint64_t delta = hart_remote_timer_ticks(h) - before[h];
		SELFTEST_CHECK(t, delta >= MIN_TICKS && delta <= most,
			       "hart %u: %lu ticks in %lu ms, expected %d..%lu at %d Hz", h, delta,
			       elapsed_ms, MIN_TICKS, most, TICK_HZ);
	}
}
