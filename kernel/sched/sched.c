#include <neuron/percpu_rule.h>

#include "arch/riscv/csr.h"
#include "lib/panic.h"
#include "proof/fault.h"
#include "sched/ipi.h"
#include "sched/runqueue.h"
#include "sched/sched.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "trace/trace.h"

/*
 * This hart's scheduler state. Only its own hart touches it, always under
 * a PerCpu guard; the tick and the IPI handler (interrupts off) write
 * need_resched and resched_ipis, task context reads them with a guard
 * that keeps interrupts off across the read.
 */
struct sched_cpu {
	struct task *current;      /* running task, NULL in the scheduler loop */
	uint32_t need_resched;     /* set by the tick or a reschedule IPI while a task runs */
	uint32_t resched_ipis;     /* reschedule IPIs seen */
	uint64_t digest;           /* this hart's chain of decisions in the current run */
	uint64_t decisions;
	uint64_t preemptions;
	uint64_t seen_generation;  /* the last run this hart joined (run_generation, acquire) */
};
PERCPU_DECLARE(struct sched_cpu, sched_cpu);
PERCPU_DEFINE(struct sched_cpu, sched_cpu);

/* Joined harts: written once per hart at join, read by anyone. */
static uint32_t joined[NEURON_MAX_HARTS];

/* The run every hart takes part in; its generation announces a new one. */
static struct sched_run *active_run;
static unsigned run_driver;	/* the hart in sched_run; written before run_generation */
static uint64_t run_generation;
static unsigned participants[NEURON_MAX_HARTS];
static unsigned participant_count;

uint64_t sched_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void sched_init(void)
{
	rq_init_all();
	ipi_init_all();
	task_pool_reset();
}

void sched_join_this_hart(void)
{
	unsigned hart = hart_id();
	/* Never the boot hart: it drives every run, so it must join. */
	if (FAULT_INJECTED(hart_not_registered) && hart == smp_highest_secondary())
		return;
	__atomic_store_n(&joined[hart], 1, __ATOMIC_RELEASE);
}

bool sched_hart_joined(unsigned hart)
{
	return hart < NEURON_MAX_HARTS && __atomic_load_n(&joined[hart], __ATOMIC_ACQUIRE);
}

unsigned sched_lead_hart(void)
{
	if (FAULT_INJECTED(lowest_hart_leads))
		return sched_hart_at(0);
	return hart_id();
}

unsigned sched_peer_of(unsigned me, unsigned k)
{
	for (unsigned i = 0; i < sched_hart_count(); i++)
		if (participants[i] != me && k-- == 0)
			return participants[i];
	return PERCPU_NO_HART;
}

/* Recomputed by the boot hart before each run: joined harts, ascending. */
static void collect_participants(void)
{
	participant_count = 0;
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		if (sched_hart_joined(h))
			participants[participant_count++] = h;
}

unsigned sched_hart_count(void)
{
	if (participant_count == 0)
		collect_participants();
	return participant_count;
}

unsigned sched_hart_at(unsigned index)
{
	return index < participant_count ? participants[index] : PERCPU_NO_HART;
}

#define NOT_PARTICIPATING (~0u)	/* position_of() a hart that did not join */

static unsigned position_of(unsigned hart)
{
	for (unsigned i = 0; i < participant_count; i++)
		if (participants[i] == hart)
			return i;
	return NOT_PARTICIPATING;
}

/* ---- waiting: wfi with interrupts masked between check and sleep ---- */

/* wfi wakes on a pending enabled interrupt even with SIE clear, so a
 * wake-up IPI that lands between the check and the wfi is not lost. */
#define WAIT_UNTIL(cond)                              \
	do {                                          \
		intr_off();                           \
		while (!(cond)) {                     \
			wfi();                        \
			intr_on();                    \
			intr_off();                   \
		}                                     \
		intr_on();                            \
	} while (0)

/* A reschedule for hart, unless it is me (the caller's own hart, which
 * every caller already holds). */
static void wake(unsigned me, unsigned hart)
{
	if (hart != me)
		if (ipi_post(hart, IPI_RESCHED, NULL, false) == IPI_FULL)
			panic("reschedule post rejected: it only sets a flag");
}

void sched_note_resched(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, sched_cpu, resched_ipis, percpu_read(g, sched_cpu, resched_ipis) + 1);
}

/* ---- task side ---- */

static struct task *current_task(void)
{
	PERCPU_GUARD(g);
	return percpu_read(g, sched_cpu, current);
}

/* Back to the scheduler that dispatched self. Interrupts off. A guard
 * the task still holds would stay live while other tasks run here. */
static void switch_out(struct task *self, enum task_state state)
{
	/* violation-site: guard_across_switch */
	percpu_assert_no_guard("across a task switch");
	self->state = state;
	sched_switch(&self->ctx, self->return_ctx);
}

void sched_task_started(void)
{
	intr_on();
}

void sched_yield(struct task *self)
{
	intr_off();
	self->preempted = false;
	switch_out(self, TASK_RUNNABLE);
	intr_on();
}

void sched_block(struct task *self, uint64_t rounds)
{
	intr_off();
	self->preempted = false;
	self->wake_round = rounds ? active_run->round + rounds : UINT64_MAX;
	switch_out(self, TASK_BLOCKED);
	intr_on();
}

void sched_migrate(struct task *self, unsigned hart)
{
	intr_off();
	self->preempted = false;
	self->migrate_to = hart;
	self->wake_round = 0;
	switch_out(self, TASK_BLOCKED);
	intr_on();
}

uint64_t sched_current_round(void)
{
	return active_run ? active_run->round : 0;
}

noreturn void sched_exit(void)
{
	intr_off();
	switch_out(current_task(), TASK_DONE);
	panic("a finished task was resumed");
}

void sched_tick(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	if (percpu_read(g, sched_cpu, current))
		percpu_write(g, sched_cpu, need_resched, 1);
}

/*
 * End of a timer interrupt that landed in a task: hand the hart back to
 * its scheduler. In a lockstep run the scheduler resumes the same task at
 * once, so where ticks land never changes a decision; only the preemption
 * count (not part of the digest) shows it.
 */
void sched_preempt_from_trap(void)
{
	struct task *cur;
	{
		PERCPU_GUARD_IRQS_OFF(g);
		cur = percpu_read(g, sched_cpu, current);
		if (!cur || !percpu_read(g, sched_cpu, need_resched) || FAULT_INJECTED(no_preempt))
			return;
		percpu_write(g, sched_cpu, need_resched, 0);
		percpu_write(g, sched_cpu, preemptions, percpu_read(g, sched_cpu, preemptions) + 1);
	}
	cur->preempted = true;
	switch_out(cur, TASK_RUNNABLE);
}

/* ---- scheduler side ---- */

static void record_decision(unsigned hart, uint64_t what, uint64_t round)
{
	if (FAULT_INJECTED(digest_drop) && hart == participants[participant_count - 1])
		return;
	PERCPU_GUARD(g);
	uint64_t d = percpu_read(g, sched_cpu, digest);
	d = sched_mix(d ^ sched_mix(((uint64_t)hart << 56) ^ (what << 20) ^ round));
	percpu_write(g, sched_cpu, digest, d);
	percpu_write(g, sched_cpu, decisions, percpu_read(g, sched_cpu, decisions) + 1);
}

/* Runs t until it yields, blocks or exits. A tick preemption resumes it
 * (one dispatch is one logical step), unless the run rotates on preemption. */
static void dispatch(struct task *t, unsigned hart)
{
	struct context sched_ctx;

	if (t->pinned_hart != TASK_ANY_HART && t->pinned_hart != hart)
		__atomic_fetch_add(&active_run->pinned_moved, 1, __ATOMIC_RELAXED);
	t->last_hart = hart;
	if (hart < 32)
		t->ran_on_mask |= 1u << hart;
	t->steps++;
	do {
		intr_off();
		t->return_ctx = &sched_ctx;
		t->state = TASK_RUNNING;
		{
			PERCPU_GUARD_IRQS_OFF(g);
			percpu_write(g, sched_cpu, current, t);
			percpu_write(g, sched_cpu, need_resched, 0);
		}
		trace_switch(TRACE_TASK_IDLE, 0xffff, t->id);
		sched_switch(&sched_ctx, &t->ctx);
		trace_switch(t->state == TASK_DONE ? TRACE_TASK_DONE
			     : t->state == TASK_BLOCKED ? TRACE_TASK_BLOCKED : TRACE_TASK_RUNNABLE,
			     t->id, TRACE_W_MAX);
		{
			PERCPU_GUARD_IRQS_OFF(g);
			percpu_write(g, sched_cpu, current, NULL);
		}
		intr_on();
	} while (t->state == TASK_RUNNABLE && t->preempted && !active_run->preempt_rotates);
}

static void run_phase(struct sched_run *run, unsigned hart, uint64_t round)
{
	for (unsigned b = 0; b < run->batch; b++) {
		struct task *t;
		{
			PERCPU_GUARD(g);
			struct runqueue *rq = percpu_local(g, runqueues);
			spin_lock(&rq->lock);
			t = rq_pop(rq);
			trace_runq_len(rq->count);
			spin_unlock(&rq->lock);
		}
		if (!t)
			return;
		record_decision(hart, t->id, round);
		__atomic_fetch_add(&run->dispatched, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&run->ran_on[hart], 1, __ATOMIC_RELAXED);
		dispatch(t, hart);
		if (t->state == TASK_RUNNABLE) {
			PERCPU_GUARD(g);
			struct runqueue *rq = percpu_local(g, runqueues);
			spin_lock(&rq->lock);
			/* Cannot fail: t's own slot was freed by the pop. */
			enum rq_result r = rq_push(rq, t);
			spin_unlock(&rq->lock);
			if (r != RQ_OK)
				__atomic_fetch_add(&run->enqueue_rejects, 1, __ATOMIC_RELAXED);
		}
	}
}

/* Pushes t onto hart's runqueue under its lock. Serialized phases only. */
static enum rq_result enqueue_on(unsigned hart, struct task *t)
{
	enum rq_result r = RQ_FULL;
	percpu_remote_locked(runqueues, hart, wake, rq)
		r = rq_push(rq, t);
	return r;
}

bool sched_spawn(struct sched_run *run, unsigned hart, task_fn fn, void *arg, unsigned pinned)
{
	if (run->next_id >= SCHED_MAX_TASK_IDS) {
		run->spawn_rejects++;
		return false;
	}
	struct task *t = task_alloc(run->next_id, fn, arg, pinned);
	if (!t) {
		run->spawn_rejects++;
		return false;
	}
	if (enqueue_on(hart, t) != RQ_OK) {
		t->state = TASK_DONE;
		task_free(t);
		run->spawn_rejects++;
		return false;
	}
	run->next_id++;
	trace_task_new(hart, pinned != TASK_ANY_HART, t->id);
	return true;
}

void sched_wake(struct task *t)
{
	if (t->state == TASK_BLOCKED) {
		t->wake_round = 0;
		trace_wakeup(t->last_hart, t->id);
	}
}

/* Reaps this hart's finished tasks and requeues its due blocked ones,
 * in pool order (deterministic). */
static void reap_and_wake(struct sched_run *run, unsigned hart, uint64_t round)
{
	for (unsigned i = 0; i < TASK_POOL_SIZE; i++) {
		struct task *t = task_at(i);
		if (t->last_hart != hart)
			continue;
		if (t->state == TASK_DONE) {
			if (t->id < SCHED_MAX_TASK_IDS && run->done_ids[t->id]++)
				run->completed_twice++;
			run->completed++;
			task_free(t);
		} else if (t->state == TASK_BLOCKED && t->wake_round <= round + 1) {
			unsigned to = t->migrate_to != TASK_ANY_HART ? t->migrate_to : hart;
			t->state = TASK_RUNNABLE;
			if (enqueue_on(to, t) != RQ_OK) {
				t->state = TASK_BLOCKED; /* retried at this hart's next turn */
				run->enqueue_rejects++;
				continue;
			}
			t->migrate_to = TASK_ANY_HART;
			run->wakes++;
			record_decision(hart, ((uint64_t)to << 32) | t->id, round);
		}
	}
}

static uint32_t queue_length(unsigned hart)
{
	uint32_t n = 0;
	percpu_remote_locked(runqueues, hart, steal, rq)
		n = rq->count;
	return n;
}

/*
 * An idle hart steals: victims in a seeded rotation, at most
 * SCHED_STEAL_ATTEMPTS_PER_ROUND of them, at most steal_k tasks from one,
 * never a pinned task. Both runqueue locks in ascending hart order.
 */
static void try_steal(struct sched_run *run, unsigned me, uint64_t round)
{
	if (FAULT_INJECTED(no_steal) || participant_count < 2 || queue_length(me) > 0)
		return;
	unsigned start = (unsigned)(sched_mix(run->seed ^ sched_mix(((uint64_t)me << 40) ^ round)) %
				    participant_count);
	unsigned attempts = 0;
	for (unsigned i = 0; i < participant_count && attempts < SCHED_STEAL_ATTEMPTS_PER_ROUND; i++) {
		unsigned victim = participants[(start + i) % participant_count];
		if (victim == me)
			continue;
		attempts++;
		run->steal_attempts++;

		uint32_t steal_id = (uint32_t)run->steal_attempts;
		trace_steal_begin(victim, steal_id);
		unsigned moved = 0;
		/* fault=steal_overshoot: one more, until a steal has taken more. */
		unsigned limit = run->steal_k +
			(FAULT_INJECTED(steal_overshoot) && run->max_steal_batch <= run->steal_k);
		percpu_remote_locked_pair(runqueues, me, victim, steal, rq, vrq) {
			struct task *t;
			/* Leave the victim one task: stealing its last only moves the idleness. */
			while (moved < limit && vrq->count > 1 &&
			       rq->count < RQ_CAPACITY &&
			       (t = rq_take_for(vrq, me, FAULT_INJECTED(pinned_migrates))) != NULL) {
				if (rq_push(rq, t) != RQ_OK)
					panic("steal: push onto a queue with room failed");
				moved++;
				record_decision(me, ((uint64_t)victim << 32) | t->id | (1ull << 31), round);
			}
		}
		trace_steal_end(victim, moved, steal_id);
		/* The bound the loop above keeps; checked apart from it so that a
		 * loop that stops keeping it is reported (fault=no_steal_check
		 * shows the violation suite's steal_over_k case then sees nothing). */
		if (moved > run->steal_k && !FAULT_INJECTED(no_steal_check))
			/* violation-site: steal_over_k */
			percpu_rule_broken(runqueues, victim, PERCPU_DOMAIN_RULE,
					   "a steal of at most steal_k tasks; took", moved);

		run->steals += moved;
		if (moved > run->max_steal_batch)
			run->max_steal_batch = moved;
		if (moved)
			break;
	}
	if (attempts > run->max_attempts_in_turn)
		run->max_attempts_in_turn = attempts;
}

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void participate(struct sched_run *run, unsigned hart)
{
	const unsigned n = participant_count;
	const unsigned pos = position_of(hart);

	{
		PERCPU_GUARD(g);
		percpu_write(g, sched_cpu, digest, 0);
		percpu_write(g, sched_cpu, decisions, 0);
	}
	for (uint64_t round = 0;; round++) {
		run_phase(run, hart, round);
		if (__atomic_add_fetch(&run->run_done, 1, __ATOMIC_ACQ_REL) == n * (round + 1))
			wake(hart, participants[round % n]);

		/* Turn order rotates with the round: hart (round + k) % n goes k-th. */
		unsigned turn = (pos + n - (unsigned)(round % n)) % n;
		uint64_t my_seq = round * n + turn;
		WAIT_UNTIL(__atomic_load_n(&run->run_done, __ATOMIC_ACQUIRE) >= n * (round + 1) &&
			   load64(&run->turn_seq) == my_seq);

		reap_and_wake(run, hart, round);
		if (run->turn)
			run->turn(run, hart, round);
		try_steal(run, hart, round);
		if (turn == n - 1) {
			run->round = round + 1;
			if (run->completed >= run->expected_tasks)
				run->over = 1;
			else if (round + 1 >= run->max_rounds)
				run->over = run->hit_max_rounds = 1;
		}
		__atomic_store_n(&run->turn_seq, my_seq + 1, __ATOMIC_RELEASE);
		if (turn == n - 1) {
			for (unsigned i = 0; i < n; i++)
				wake(hart, participants[i]);
		} else {
			wake(hart, participants[(round + turn + 1) % n]);
		}
		WAIT_UNTIL(load64(&run->turn_seq) >= (round + 1) * n);
		if (__atomic_load_n(&run->over, __ATOMIC_ACQUIRE))
			break;
	}

	PERCPU_GUARD(g);
	run->digest_part[pos] = percpu_read(g, sched_cpu, digest);
	run->decisions_part[pos] = percpu_read(g, sched_cpu, decisions);
	__atomic_fetch_add(&run->preemptions, percpu_read(g, sched_cpu, preemptions), __ATOMIC_RELAXED);
	percpu_write(g, sched_cpu, preemptions, 0);
}

bool sched_run(struct sched_run *run)
{
	unsigned me = hart_id();

	collect_participants();
	ASSERT(position_of(me) != NOT_PARTICIPATING || participant_count == 0);
	if (run->batch == 0)
		run->batch = 1;
	if (run->steal_k == 0)
		run->steal_k = SCHED_DEFAULT_STEAL_K;
	run->run_done = 0;
	run->turn_seq = 0;
	run->over = 0;
	run->left = 0;
	run->round = 0;
	run_driver = me;
	__atomic_store_n(&active_run, run, __ATOMIC_RELEASE);
	__atomic_add_fetch(&run_generation, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < participant_count; i++)
		wake(me, participants[i]);

	if (position_of(me) != NOT_PARTICIPATING)
		participate(run, me);
	/* Every other participant reports its part and leaves before the next run. */
	WAIT_UNTIL(__atomic_load_n(&run->left, __ATOMIC_ACQUIRE) + 1 >= participant_count);

	run->digest = 0;
	run->decisions = 0;
	for (unsigned i = 0; i < participant_count; i++) {
		run->digest = sched_mix(run->digest ^ run->digest_part[i]);
		run->decisions += run->decisions_part[i];
	}
	return !run->hit_max_rounds && run->completed == run->expected_tasks && !run->completed_twice;
}

noreturn void sched_idle_loop(void)
{
	unsigned me = hart_id();
	uint64_t seen = 0;

	for (;;) {
		trace_idle_enter();
		WAIT_UNTIL(__atomic_load_n(&run_generation, __ATOMIC_ACQUIRE) != seen ||
			   ipi_stats_of(me).stopped);
		trace_idle_exit();
		if (ipi_stats_of(me).stopped)
			break;
		seen = __atomic_load_n(&run_generation, __ATOMIC_ACQUIRE);
		struct sched_run *run = __atomic_load_n(&active_run, __ATOMIC_ACQUIRE);
		if (position_of(me) == NOT_PARTICIPATING)
			continue;
		participate(run, me);
		/* run_driver was written before the generation this hart saw. */
		__atomic_add_fetch(&run->left, 1, __ATOMIC_ACQ_REL);
		wake(me, run_driver);
	}
	/* Stopped: out of the scheduler for good, still taking interrupts. */
	for (;;)
		wfi();
}
