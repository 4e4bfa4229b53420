#include "arch/riscv/csr.h"
#include "boot/shutdown.h"
#include "lib/kprintf.h"
#include "proof/scenarios/inversion.h"
#include "proof/scenarios/verdict.h"
#include "sched/ipi.h"
#include "sched/runqueue.h"
#include "sched/sched.h"
#include "smp/hart.h"
#include "smp/timer.h"
#include "smp/watchdog.h"

/* How long a side waits for the other to hold its first lock: bounded so
 * a side whose partner never came still ends (and the test fails). */
#define RENDEZVOUS_MS 2000

struct inversion_side {
	unsigned first, second; /* runqueue locks, by hart, in this side's order */
};

static struct inversion_side sides[2];
static struct ipi_call calls[2];
static uint32_t arrived;       /* sides running their call */
static uint32_t holding_first; /* sides that hold their first lock */
static uint32_t finished;      /* sides that got both locks and let go */

/*
 * Waits until *count reaches 2 or RENDEZVOUS_MS pass; says so if the
 * other side never came (then the run proves nothing, and the test fails).
 * It waits in wfi, not in a bare spin: interrupts are off here, but wfi
 * still returns on a pending interrupt, and an emulator that runs its
 * harts in turns (QEMU under -icount) moves on to the other side's hart
 * at once instead of at the end of this one's time slice, which could
 * exceed the whole rendezvous.
 */
static void meet(uint32_t *count, const char *what)
{
	__atomic_fetch_add(count, 1, __ATOMIC_ACQ_REL);
	uint64_t deadline = timer_now() + timer_ms_to_time(RENDEZVOUS_MS);
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < 2 && timer_now() < deadline)
		wfi();
	if (__atomic_load_n(count, __ATOMIC_ACQUIRE) < 2)
		kprintf("# lock_inversion: hart %u: the other side did not %s within %u ms: "
			"not an ABBA\n", hart_id(), what, RENDEZVOUS_MS);
}

/*
 * An IPI call: runs in the trap handler, interrupts off, as spin_lock
 * needs. The sides meet before taking any lock too: a side holding a
 * runqueue lock while the other is still idle could hold up that
 * other's idle path, and the two would not overlap.
 */
static void take_in_side_order(void *arg)
{
	const struct inversion_side *side = arg;
	meet(&arrived, "arrive");
	struct spinlock *first = percpu_remote_lock(runqueues, side->first);
	struct spinlock *second = percpu_remote_lock(runqueues, side->second);
	spin_lock(first);
	meet(&holding_first, "hold its first lock");
	/* violation-site: lock_inversion (the descending side) */
	spin_lock(second);
	spin_unlock(second);
	spin_unlock(first);
	__atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
}

static bool both_hold_first(const void *arg)
{
	(void)arg;
	return __atomic_load_n(&holding_first, __ATOMIC_ACQUIRE) == 2;
}

static bool both_finished(const void *arg)
{
	(void)arg;
	return __atomic_load_n(&finished, __ATOMIC_ACQUIRE) == 2;
}

int inversion_run(const struct bootargs *args)
{
	struct ktap k;
	unsigned me = hart_id(), pick[2], found = 0;

	ktap_begin(&k, 1);
	for (unsigned i = 0; i < sched_hart_count() && found < 2; i++)
		if (sched_hart_at(i) != me)
			pick[found++] = sched_hart_at(i);
	if (found < 2 || sched_hart_count() < 3) {
		/* The boot hart must stay out of the deadlock so its tick can
		 * run the watchdog. */
		ktap_case(&k, "lock_inversion_ends_the_boot", true, "needs 3 harts");
		return ktap_end(&k, "lock_inversion", 0);
	}
	unsigned low = pick[0] < pick[1] ? pick[0] : pick[1];
	unsigned high = pick[0] < pick[1] ? pick[1] : pick[0];
	sides[0] = (struct inversion_side){ .first = low, .second = high };
	sides[1] = (struct inversion_side){ .first = high, .second = low };
	kprintf("# lock_inversion: hart %u takes runqueues.lock of hart %u then %u; "
		"hart %u takes them in the opposite order, at the same time\n",
		low, low, high, high);
	arrived = holding_first = finished = 0;
	watchdog_arm(1, "lock_inversion", args->watchdog_ms);
	calls[0] = (struct ipi_call){ .fn = take_in_side_order, .arg = &sides[0] };
	calls[1] = (struct ipi_call){ .fn = take_in_side_order, .arg = &sides[1] };
	/* Both queued before either is let go: the first side then spins
	 * for the second only as long as two interrupts take to land. */
	ipi_set_paused(low, true);
	ipi_set_paused(high, true);
	bool posted = ipi_post(low, IPI_CALL, &calls[0], true) == IPI_OK &&
		      ipi_post(high, IPI_CALL, &calls[1], true) == IPI_OK;
	ipi_set_paused(high, false);
	ipi_set_paused(low, false);
	/* Shows the ABBA was real: both sides held one lock at the same time
	 * (printed unless the audit's report ends the boot first). */
	uint64_t start = timer_now();
	if (posted && timer_wait_until(both_hold_first, NULL, 2ull * args->watchdog_ms))
		kprintf("# lock_inversion: both sides hold their first lock (after %lu ms)\n",
			timer_time_to_ms(timer_now() - start));
	/* Longer than the watchdog: on a deadlock the watchdog ends the boot. */
	bool done = posted && timer_wait_until(both_finished, NULL, 2ull * args->watchdog_ms);
	watchdog_disarm();
	kprintf("# lock_inversion: %s\n", !posted ? "a call could not be posted"
					: done ? "both sides finished: neither deadlock nor report"
					       : "the sides neither finished nor deadlocked in time");
	ktap_case(&k, "lock_inversion_ends_the_boot", false, NULL);
	return ktap_end(&k, "lock_inversion", 0);
}
