/*
 * scenario=ladder: the scheduler's proof ladder. Each rung is one KTAP
 * case; each has a fault switch (fault=NAME, fault.h) that breaks the
 * mechanism it relies on, and the rung must then fail. docs/scheduler.md
 * says why each rung proves what it claims.
 */
#include "arch/riscv/csr.h"
#include "boot/bootargs.h"
#include "lib/kprintf.h"
#include "proof/scenarios/scenario.h"
#include "proof/scenarios/scenarios.h"
#include "proof/scenarios/verdict.h"
#include "sched/ipi.h"
#include "sched/runqueue.h"
#include "sched/sched.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"

#define BOUND_MS 100

static struct sched_run ladder_run;

static const char *needs_two(void)
{
	return sched_hart_count() < 2 ? "needs 2 harts" : NULL;
}

/* 1. Every DTB hart came online and joined the scheduler. */
static bool rung_harts_online(void)
{
	bool ok = smp_online_count() == smp_dtb_hart_count();
	for (unsigned i = 0; i < smp_dtb_hart_count(); i++) {
		unsigned h = smp_dtb_hart(i);
		if (!sched_hart_joined(h)) {
			kprintf("# harts_online: hart %u is in the DTB but never joined the scheduler\n", h);
			ok = false;
		}
	}
	return ok;
}

struct chain_wait {
	unsigned hart;
	uint64_t traps, acks;
};

static bool chain_done(const void *arg)
{
	const struct chain_wait *w = arg;
	struct ipi_stats_copy s = ipi_stats_of(w->hart);
	return s.ssi_traps > w->traps && s.handled[IPI_RESCHED] > w->acks;
}

/* 2. Reschedule: accepted -> IPI sent -> trap observed -> acknowledged. */
static bool rung_resched_chain(void)
{
	bool ok = true;
	unsigned self = hart_id();
	sched_for_each_other_hart(h, self) {
		struct ipi_stats_copy mine = ipi_stats_of(self), theirs = ipi_stats_of(h);
		enum ipi_result r = ipi_post(h, IPI_RESCHED, NULL, false);
		uint64_t sent = ipi_stats_of(self).sent - mine.sent;
		struct chain_wait w = { h, theirs.ssi_traps, theirs.handled[IPI_RESCHED] };
		timer_wait_until(chain_done, &w, BOUND_MS);
		struct ipi_stats_copy after = ipi_stats_of(h);
		uint64_t traps = after.ssi_traps - theirs.ssi_traps;
		uint64_t acks = after.handled[IPI_RESCHED] - theirs.handled[IPI_RESCHED];
		if (r != IPI_OK || sent != 1 || traps < 1 || acks != 1) {
			kprintf("# resched_chain: hart %u: accepted=%d sent=%lu traps=%lu acks=%lu "
				"(want 1, 1, >=1, 1 within %u ms)\n", h, r == IPI_OK, sent, traps, acks, BOUND_MS);
			ok = false;
		}
	}
	return ok;
}

struct call_result {
	unsigned hart;
	uint64_t value;
};

static void compute_on_target(void *arg)
{
	struct call_result *r = arg;
	r->hart = hart_id();
	r->value = sched_mix(r->hart);
}

/* 3. A call-function runs on its target and returns the target's answer. */
static bool rung_call_every_hart(void)
{
	bool ok = true;
	unsigned self = hart_id();
	sched_for_each_other_hart(h, self) {
		static struct call_result r;
		static struct ipi_call c;
		r = (struct call_result){ .hart = PERCPU_NO_HART };
		c = (struct ipi_call){ .fn = compute_on_target, .arg = &r };
		bool done = ipi_call_and_wait(h, &c, BOUND_MS);
		if (!done || r.hart != h || r.value != sched_mix(h)) {
			kprintf("# call_every_hart: hart %u: done=%d ran on %d, result 0x%lx (want 0x%lx)\n",
				h, done, (int)r.hart, r.value, sched_mix(h));
			ok = false;
		}
	}
	return ok;
}

static void touch(void *arg, unsigned hart)
{
	__atomic_fetch_or((uint64_t *)arg, 1ull << hart, __ATOMIC_RELAXED);
}

/* 4. A broadcast reaches every other hart and each acknowledges. */
static bool rung_broadcast(void)
{
	static uint64_t ran_mask;
	static struct ipi_broadcast b;
	uint64_t want = 0;
	unsigned self = hart_id();
	for (unsigned i = 0; i < sched_hart_count(); i++)
		if (sched_hart_at(i) != self)
			want |= 1ull << sched_hart_at(i);
	ran_mask = 0;
	b = (struct ipi_broadcast){ .fn = touch, .arg = &ran_mask };
	unsigned posted = ipi_broadcast_and_wait(&b, BOUND_MS);
	bool ok = ran_mask == want && b.ack_mask == want && b.acks == posted;
	if (!ok)
		kprintf("# broadcast_ack: ran on 0x%lx, acked by 0x%lx (%u acks), want 0x%lx\n",
			ran_mask, b.ack_mask, b.acks, want);
	return ok;
}

/* 5. Stealing spreads an imbalance. */
static bool rung_steal(const struct bootargs *args, uint64_t *digest)
{
	struct sched_run *run = &ladder_run;
	*run = (struct sched_run){ .name = "steal_imbalance", .seed = args->seed,
				   .steal_k = args->steal_k, .batch = 1, .max_rounds = 2000 };
	unsigned n = sched_hart_count();
	bool done = run_imbalance(run, 6 * n > 48 ? 48 : 6 * n, false);
	*digest = sched_mix(*digest ^ run->digest);
	bool every = true;
	for (unsigned i = 0; i < n; i++)
		every &= run->ran_on[sched_hart_at(i)] > 0;
	bool ok = done && every && run->max_steal_batch <= run->steal_k && run->completed_twice == 0;
	if (!ok)
		kprintf("# steal_imbalance: done=%d every hart ran=%d max batch %lu (k=%u)\n", done, every,
			run->max_steal_batch, run->steal_k);
	return ok;
}

/* 6. A full runqueue rejects, and stays as it was. */
static bool rung_full_runqueue(void)
{
	static struct task dummy;
	unsigned self = hart_id();
	bool ok = true;
	uint32_t start = 0, full = 0;
	unsigned accepted = 0;
	enum rq_result extra = RQ_OK;
	percpu_remote_locked(runqueues, self, wake, rq) {
		start = rq->count;
		while (rq->count < RQ_CAPACITY && rq_push(rq, &dummy) == RQ_OK)
			accepted++;
		extra = rq_push(rq, &dummy);
		full = rq->count;
		for (unsigned i = 0; i < accepted; i++)
			(void)rq_pop(rq);
	}
	ok = extra == RQ_FULL && full == RQ_CAPACITY && accepted == RQ_CAPACITY - start;
	if (!ok)
		kprintf("# full_runqueue: %u accepted, one more gave %s, count %u of %u\n", accepted,
			extra == RQ_FULL ? "FULL" : "OK", full, RQ_CAPACITY);
	return ok;
}

static uint32_t mailbox_runs;

static void count_run(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&mailbox_runs, 1, __ATOMIC_RELAXED);
}

struct handled_wait {
	unsigned hart;
	uint64_t target;
};

static bool handled_reached(const void *arg)
{
	const struct handled_wait *w = arg;
	return ipi_stat_handled(w->hart, IPI_CALL) >= w->target;
}

/* 7. A full mailbox rejects (no wait) and pushes back (bounded wait); nothing is lost. */
static bool rung_full_mailbox(void)
{
	static struct ipi_call calls[MAILBOX_CAPACITY + 2];
	unsigned target = sched_peer_of(sched_lead_hart(), sched_hart_count() - 2);
	uint64_t before = ipi_stat_handled(target, IPI_CALL);
	unsigned accepted = 0;

	mailbox_runs = 0;
	ipi_set_paused(target, true);
	for (unsigned i = 0; i < MAILBOX_CAPACITY + 2; i++)
		calls[i] = (struct ipi_call){ .fn = count_run };
	for (unsigned i = 0; i < MAILBOX_CAPACITY; i++)
		accepted += ipi_post(target, IPI_CALL, &calls[i], false) == IPI_OK;
	enum ipi_result no_wait = ipi_post(target, IPI_CALL, &calls[MAILBOX_CAPACITY], false);
	enum ipi_result waited = ipi_post(target, IPI_CALL, &calls[MAILBOX_CAPACITY + 1], true);
	uint32_t queued = ipi_queued(target);
	ipi_set_paused(target, false);
	struct handled_wait w = { target, before + accepted };
	timer_wait_until(handled_reached, &w, BOUND_MS);
	timer_sleep_ms(10); /* a duplicate would show up by now */
	uint64_t handled = ipi_stat_handled(target, IPI_CALL) - before;
	bool ok = accepted == MAILBOX_CAPACITY && no_wait == IPI_FULL && waited == IPI_FULL &&
		  queued == MAILBOX_CAPACITY && handled == MAILBOX_CAPACITY &&
		  mailbox_runs == MAILBOX_CAPACITY && ipi_stats_of(target).seq_errors == 0;
	if (!ok)
		kprintf("# full_mailbox: hart %u: accepted %u, extra %s/%s, queued %u, handled %lu, ran %u\n",
			target, accepted, no_wait == IPI_FULL ? "FULL" : "OK",
			waited == IPI_FULL ? "FULL" : "OK", queued, handled, mailbox_runs);
	return ok;
}

/* 8. Pinned tasks stay on their hart while the others are stolen. */
static bool rung_pinned(const struct bootargs *args, uint64_t *digest)
{
	struct sched_run *run = &ladder_run;
	*run = (struct sched_run){ .name = "pinned", .seed = args->seed, .steal_k = args->steal_k,
				   .batch = 1, .max_rounds = 2000 };
	unsigned n = sched_hart_count();
	bool done = run_imbalance(run, 6 * n > 48 ? 48 : 6 * n, true);
	*digest = sched_mix(*digest ^ run->digest);
	if (run->pinned_moved)
		kprintf("# pinned_never_migrate: %lu dispatches of a pinned task on a foreign hart\n",
			run->pinned_moved);
	return done && run->pinned_moved == 0 && run->steals > 0;
}

/*
 * 9. A timer tick takes the hart from a task that never yields. Two
 * spinners pinned to this hart each spin, interrupts on, until they see
 * the other's progress or a deadline passes. On one hart the second can
 * only run while the first has not finished if a tick preempted the
 * first and the scheduler dispatched the second: without preemption the
 * first spins to its deadline without ever seeing the second.
 */
#define SPIN_BOUND_MS 200

struct spinners {
	uint64_t progress[2];
	bool saw_other[2];
	uint64_t deadline;
};

struct spinner {
	int index;
	struct spinners *shared;
};

static void spin_until_other(struct task *self, void *arg)
{
	(void)self;
	const struct spinner *me_ = arg;
	struct spinners *s = me_->shared;
	int i = me_->index;
	while (timer_now() < s->deadline) {
		__atomic_fetch_add(&s->progress[i], 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&s->progress[1 - i], __ATOMIC_RELAXED) > 0) {
			s->saw_other[i] = true;
			break;
		}
	}
}

static bool rung_preemption(void)
{
	struct sched_run *run = &ladder_run;
	static struct spinners s;
	static struct spinner arg[2];
	unsigned self = hart_id();
	*run = (struct sched_run){ .name = "preemption", .batch = 4, .max_rounds = 100,
				   .expected_tasks = 2, .preempt_rotates = true };
	s = (struct spinners){ .deadline = timer_now() + timer_ms_to_time(SPIN_BOUND_MS) };
	bool spawned = true;
	for (int i = 0; i < 2; i++) {
		arg[i] = (struct spinner){ .index = i, .shared = &s };
		spawned &= sched_spawn(run, self, spin_until_other, &arg[i], self);
	}
	bool done = spawned && sched_run(run);
	bool ok = done && s.saw_other[0] && s.saw_other[1] && run->preemptions > 0;
	if (!ok)
		kprintf("# preemption: done=%d saw_other=%d,%d preemptions=%lu (a spinner that never "
			"yields must lose the hart to a tick within %u ms)\n", done, s.saw_other[0],
			s.saw_other[1], run->preemptions, SPIN_BOUND_MS);
	return ok;
}

/* 10. Every scheduling decision of a seeded mixed run is in the digest. */
static bool rung_digest(const struct bootargs *args, uint64_t *digest)
{
	struct sched_run *run = &ladder_run;
	*run = (struct sched_run){ .name = "digest", .seed = args->seed, .steal_k = args->steal_k,
				   .batch = 1, .max_rounds = 5000 };
	bool done = run_mixed(run, 16 + 4 * sched_hart_count());
	*digest = sched_mix(*digest ^ run->digest);
	uint64_t expected = run->dispatched + run->steals + run->wakes;
	if (run->decisions != expected)
		kprintf("# schedule_digest: %lu decisions hashed, %lu made\n", run->decisions, expected);
	return done && run->decisions == expected && run->digest != 0;
}

int scenario_ladder(const struct bootargs *args)
{
	struct ktap k;
	uint64_t digest = 0;

	ktap_begin(&k, 10);
	ktap_case(&k, "harts_online", rung_harts_online(), NULL);
	ktap_case(&k, "resched_chain", needs_two() ? true : rung_resched_chain(), needs_two());
	ktap_case(&k, "call_every_hart", needs_two() ? true : rung_call_every_hart(), needs_two());
	ktap_case(&k, "broadcast_ack", needs_two() ? true : rung_broadcast(), needs_two());
	ktap_case(&k, "steal_imbalance", needs_two() ? true : rung_steal(args, &digest), needs_two());
	ktap_case(&k, "full_runqueue_rejects", rung_full_runqueue(), NULL);
	ktap_case(&k, "full_mailbox_rejects", needs_two() ? true : rung_full_mailbox(), needs_two());
	ktap_case(&k, "pinned_never_migrate", needs_two() ? true : rung_pinned(args, &digest), needs_two());
	ktap_case(&k, "preemption", rung_preemption(), NULL);
	ktap_case(&k, "schedule_digest", rung_digest(args, &digest), NULL);
	return ktap_end(&k, "ladder", digest);
}
