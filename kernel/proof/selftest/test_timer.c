#include "proof/selftest/selftest.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"

#define MIN_TICKS 3 /* "advances" */
/*
 * Without icount the host decides when a vCPU runs: a loaded host can
 * starve a hart for tens of ms, and a starved hart misses ticks (the tick
 * restarts its cadence from now rather than bursting). So the test waits
 * until every hart has advanced MIN_TICKS, for as long as this, instead of
 * expecting a tick count from a fixed window.
 */
#define ADVANCE_LIMIT_MS 2000

struct tick_wait {
	const uint64_t *before;
};

static bool every_hart_advanced(const void *arg)
{
	const struct tick_wait *w = arg;
	for (unsigned i = 0; i < smp_dtb_hart_count(); i++) {
		unsigned h = smp_dtb_hart(i);
		if (smp_is_online(h) && hart_remote_timer_ticks(h) - w->before[h] < MIN_TICKS)
			return false;
	}
	return true;
}

/*
 * Ticks advance on every hart, and no hart ticks faster than TICK_HZ.
 * The upper bound is over the whole window from before the first count
 * was read to after the last one was, so a hart descheduled between two
 * reads cannot make a correct tick look like one too many.
 */
void selftest_timer_ticks(struct selftest *t)
{
	static uint64_t before[NEURON_MAX_HARTS];
	unsigned n = smp_dtb_hart_count();

	uint64_t start = timer_now();
	for (unsigned i = 0; i < n; i++)
		before[smp_dtb_hart(i)] = hart_remote_timer_ticks(smp_dtb_hart(i));
	struct tick_wait w = { before };
	timer_wait_until(every_hart_advanced, &w, ADVANCE_LIMIT_MS);

	static uint64_t after[NEURON_MAX_HARTS];
	for (unsigned i = 0; i < n; i++)
		after[smp_dtb_hart(i)] = hart_remote_timer_ticks(smp_dtb_hart(i));
	uint64_t elapsed_ms = timer_time_to_ms(timer_now() - start) + 1;	/* rounded up */
	/*
	 * The most a TICK_HZ tick can fire in elapsed_ms: one per period, plus
	 * both window edges, plus two for a hart that the host stalls inside
	 * its tick handler (the next deadline it then sets is already past, so
	 * the tick fires again at once; timer_handle_tick restarts the cadence
	 * from there). A runaway timer still shows as far more.
	 */
	uint64_t most = elapsed_ms * TICK_HZ / 1000 + 2 + 2;

	for (unsigned i = 0; i < n; i++) {
		unsigned h = smp_dtb_hart(i);
		if (!SELFTEST_CHECK(t, smp_is_online(h), "hart %u is not online", h))
			continue;
		uint64_t delta = after[h] - before[h];
		SELFTEST_CHECK(t, delta >= MIN_TICKS && delta <= most,
			       "hart %u: %lu ticks in %lu ms, expected %d..%lu at %d Hz", h, delta,
			       elapsed_ms, MIN_TICKS, most, TICK_HZ);
	}
}
