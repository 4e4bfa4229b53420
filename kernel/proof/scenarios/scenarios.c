/*
 * Scheduler scenarios (scenario=NAME seed=N): each prints its checks as
 * KTAP cases, then "# schedule digest: 0x..." and exits with the result.
 * Sizes are small by default: the whole QEMU suite runs under icount.
 */
#include "arch/riscv/csr.h"
#include "boot/bootargs.h"
#include "lib/kprintf.h"
#include "proof/fault.h"
#include "proof/scenarios/scenario.h"
#include "proof/scenarios/scenarios.h"
#include "proof/scenarios/verdict.h"
#include "sched/ipi.h"
#include "sched/runqueue.h"
#include "sched/sched.h"
#include "smp/timer.h"

#define WAIT_MS 200

static struct sched_run run_storage;

/* A fresh run with the boot arguments' seed and steal_k. */
static struct sched_run *new_run(const char *name, const struct bootargs *args)
{
	struct sched_run *run = &run_storage;
	*run = (struct sched_run){
		.name = name, .seed = args->seed, .steal_k = args->steal_k,
		.batch = 1, .max_rounds = 100000,
	};
	return run;
}

static void print_run(const struct sched_run *run)
{
	kprintf("# %s: rounds=%lu completed=%lu dispatched=%lu steals=%lu attempts=%lu "
		"max_batch=%lu spawn_rejects=%lu preemptions=%lu\n",
		run->name, run->round, run->completed, run->dispatched, run->steals,
		run->steal_attempts, run->max_steal_batch, run->spawn_rejects, run->preemptions);
	for (unsigned i = 0; i < sched_hart_count(); i++)
		kprintf("# %s: hart %u dispatched %lu\n", run->name, sched_hart_at(i),
			run->ran_on[sched_hart_at(i)]);
}

void task_at_id_set_user(struct sched_run *run, uint32_t id, uint64_t value)
{
	(void)run;
	for (unsigned i = 0; i < TASK_POOL_SIZE; i++) {
		struct task *t = task_at(i);
		if (t->state != TASK_FREE && t->id == id)
			t->user = value;
	}
}

/* ---- task bodies ---- */

/* user = steps left. */
static void steps_task(struct task *self, void *arg)
{
	(void)arg;
	while (self->user-- > 1)
		sched_yield(self);
}

static uint64_t next_random(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return sched_mix(*state);
}

/* Seeded random walk: yield, sleep, block until woken, or migrate. */
static void mixed_task(struct task *self, void *arg)
{
	const struct sched_run *run = arg;
	uint64_t state = run->seed ^ ((uint64_t)self->id << 32);
	unsigned steps = 2 + (unsigned)(next_random(&state) % 7);
	for (unsigned i = 0; i < steps; i++) {
		unsigned roll = (unsigned)(next_random(&state) % 10);
		if (roll < 6) {
			sched_yield(self);
		} else if (roll < 8) {
			sched_block(self, 1 + next_random(&state) % 3);
		} else if (roll < 9 || self->pinned_hart != TASK_ANY_HART) {
			sched_block(self, 0); /* until the turn hook wakes it */
		} else {
			unsigned n = sched_hart_count();
			sched_migrate(self, sched_hart_at((unsigned)(next_random(&state) % n)));
		}
	}
}

/* ---- runs used by scenarios and by the ladder ---- */

bool run_imbalance(struct sched_run *run, unsigned tasks, bool with_pinned)
{
	unsigned n = sched_hart_count(), first = sched_hart_at(0);
	run->expected_tasks = tasks;
	for (unsigned i = 0; i < tasks; i++) {
		/* Pinned ones: every third, pinned to the hart they start on. */
		unsigned pin = with_pinned && i % 3 == 0 ? first : TASK_ANY_HART;
		if (!sched_spawn(run, first, steps_task, NULL, pin))
			return false;
		task_at_id_set_user(run, i, 3);
	}
	(void)n;
	bool ok = sched_run(run);
	print_run(run);
	return ok;
}

struct mixed_state {
	uint64_t rng;
	unsigned to_spawn;
};

static void mixed_turn(struct sched_run *run, unsigned hart, uint64_t round)
{
	struct mixed_state *m = run->scenario;
	(void)round;
	/* Spawn up to two, a quarter of them pinned to this hart. */
	for (unsigned i = 0; i < 2 && m->to_spawn; i++) {
		unsigned pin = next_random(&m->rng) % 4 == 0 ? hart : TASK_ANY_HART;
		if (!sched_spawn(run, hart, mixed_task, run, pin))
			break;
		m->to_spawn--;
	}
	/* Wake one task blocked without a deadline, chosen by the seed. */
	unsigned blocked = 0;
	for (unsigned i = 0; i < TASK_POOL_SIZE; i++)
		blocked += task_at(i)->state == TASK_BLOCKED && task_at(i)->wake_round == UINT64_MAX;
	if (blocked) {
		unsigned pick = (unsigned)(next_random(&m->rng) % blocked);
		for (unsigned i = 0; i < TASK_POOL_SIZE; i++) {
			struct task *t = task_at(i);
			if (t->state == TASK_BLOCKED && t->wake_round == UINT64_MAX && pick-- == 0) {
				sched_wake(t);
				break;
			}
		}
	}
}

bool run_mixed(struct sched_run *run, unsigned tasks)
{
	static struct mixed_state m;
	m = (struct mixed_state){ .rng = run->seed, .to_spawn = tasks };
	run->scenario = &m;
	run->turn = mixed_turn;
	run->expected_tasks = tasks;
	bool ok = sched_run(run);
	print_run(run);
	return ok;
}

struct stress_state {
	unsigned to_spawn;
};

static void stress_turn(struct sched_run *run, unsigned hart, uint64_t round)
{
	struct stress_state *s = run->scenario;
	(void)round;
	for (unsigned i = 0; i < 16 && s->to_spawn; i++) {
		if (!sched_spawn(run, hart, steps_task, NULL, TASK_ANY_HART))
			break;
		task_at_id_set_user(run, run->next_id - 1, 1);
		s->to_spawn--;
	}
}

/* ---- scenarios ---- */

static bool all_ran(const struct sched_run *run)
{
	for (unsigned i = 0; i < sched_hart_count(); i++)
		if (run->ran_on[sched_hart_at(i)] == 0)
			return false;
	return true;
}

static const char *needs_two(void)
{
	return sched_hart_count() < 2 ? "needs 2 harts" : NULL;
}

int scenario_imbalance(const struct bootargs *args)
{
	struct ktap k;
	struct sched_run *run = new_run("imbalance", args);
	unsigned tasks = 6 * sched_hart_count() > 48 ? 48 : 6 * sched_hart_count();

	ktap_begin(&k, 4);
	bool ok = run_imbalance(run, tasks, false);
	ktap_case(&k, "all_tasks_complete_exactly_once", ok, NULL);
	ktap_case(&k, "every_hart_runs_work", all_ran(run), needs_two());
	ktap_case(&k, "steal_batch_at_most_k",
		  run->max_steal_batch <= run->steal_k &&
			  run->max_attempts_in_turn <= SCHED_STEAL_ATTEMPTS_PER_ROUND, NULL);
	ktap_case(&k, "every_decision_in_digest",
		  run->decisions == run->dispatched + run->steals + run->wakes, NULL);
	return ktap_end(&k, "imbalance", run->digest);
}

int scenario_mixed(const struct bootargs *args)
{
	struct ktap k;
	struct sched_run *run = new_run("mixed", args);

	ktap_begin(&k, 3);
	bool ok = run_mixed(run, 24 + 4 * sched_hart_count());
	ktap_case(&k, "all_tasks_complete_exactly_once", ok, NULL);
	ktap_case(&k, "pinned_tasks_never_migrate", run->pinned_moved == 0, NULL);
	ktap_case(&k, "every_hart_runs_work", all_ran(run), needs_two());
	return ktap_end(&k, "mixed", run->digest);
}

#define STRESS_TASKS 10000

/* One round of the stress scenario: STRESS_TASKS tasks, each exactly once. */
static bool stress_round(const struct bootargs *args, uint64_t *digest, bool *every_hart)
{
	struct sched_run *run = new_run("stress", args);
	static struct stress_state s;

	s.to_spawn = STRESS_TASKS;
	run->scenario = &s;
	run->turn = stress_turn;
	run->expected_tasks = STRESS_TASKS;
	run->batch = 8;
	bool ok = sched_run(run);
	if (args->stress_rounds <= 1)
		print_run(run);
	*every_hart &= all_ran(run);
	*digest = run->digest;
	return ok && run->completed == STRESS_TASKS && run->completed_twice == 0;
}

/*
 * stress_rounds=N repeats the round N times (a long run for the trace
 * drain: about 7,600 records per hart per round on 8 harts).
 */
int scenario_stress(const struct bootargs *args)
{
	struct ktap k;
	uint32_t rounds = args->stress_rounds ? args->stress_rounds : 1;
	uint64_t digest = 0, failed = 0;
	bool every_hart = true;

	ktap_begin(&k, 2);
	for (uint32_t r = 0; r < rounds; r++) {
		uint64_t round_digest;
		failed += !stress_round(args, &round_digest, &every_hart);
		/* One round: its own digest, as before rounds existed. */
		digest = r == 0 ? round_digest : sched_mix(digest ^ round_digest);
	}
	if (rounds > 1)
		kprintf("# stress: %u rounds of %u tasks, %lu with a task lost or run twice\n", rounds,
			STRESS_TASKS, failed);
	ktap_case(&k, "ten_thousand_tasks_complete_exactly_once", failed == 0, NULL);
	ktap_case(&k, "every_hart_runs_work", every_hart, needs_two());
	return ktap_end(&k, "stress", digest);
}

/* ---- IPI scenarios ---- */

#define PINGPONG_ROUNDS 50

static uint32_t pings, pongs;
static struct ipi_call pong_call;
static unsigned pingpong_a;

static void pong(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&pongs, 1, __ATOMIC_RELEASE);
}

static void ping(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&pings, 1, __ATOMIC_RELEASE);
	pong_call = (struct ipi_call){ .fn = pong };
	if (ipi_post(pingpong_a, IPI_CALL, &pong_call, false) != IPI_OK)
		__atomic_fetch_add(&pings, 1000000, __ATOMIC_RELAXED); /* visible failure */
}

static bool pong_arrived(const void *arg)
{
	return __atomic_load_n(&pongs, __ATOMIC_ACQUIRE) >= *(const uint32_t *)arg;
}

int scenario_pingpong(const struct bootargs *args)
{
	struct ktap k;
	uint64_t digest = sched_mix(args->seed);
	ktap_begin(&k, 3);
	if (sched_hart_count() < 2) {
		for (int i = 0; i < 3; i++)
			ktap_case(&k, i == 0 ? "pings_handled_once" : i == 1 ? "pongs_handled_once" : "no_sequence_errors",
				  true, "needs 2 harts");
		return ktap_end(&k, "pingpong", digest);
	}
	/* a is this hart, whichever the boot hart is; b the first other one. */
	unsigned a = sched_lead_hart(), b = sched_peer_of(a, 0);
	static struct ipi_call ping_call;
	pingpong_a = a;
	pings = pongs = 0;
	uint64_t before_b = ipi_stat_handled(b, IPI_CALL), before_a = ipi_stat_handled(a, IPI_CALL);
	for (uint32_t i = 1; i <= PINGPONG_ROUNDS; i++) {
		ping_call = (struct ipi_call){ .fn = ping };
		if (!ipi_call_and_wait(b, &ping_call, WAIT_MS))
			break;
		timer_wait_until(pong_arrived, &i, WAIT_MS);
		digest = sched_mix(digest ^ ((uint64_t)a << 48) ^ ((uint64_t)b << 32) ^ i);
	}
	uint64_t hb = ipi_stat_handled(b, IPI_CALL) - before_b, ha = ipi_stat_handled(a, IPI_CALL) - before_a;
	kprintf("# pingpong: %u pings on hart %u, %u pongs on hart %u; handled %lu / %lu\n",
		pings, b, pongs, a, hb, ha);
	ktap_case(&k, "pings_handled_once", pings == PINGPONG_ROUNDS && hb == PINGPONG_ROUNDS, NULL);
	ktap_case(&k, "pongs_handled_once", pongs == PINGPONG_ROUNDS && ha == PINGPONG_ROUNDS, NULL);
	ktap_case(&k, "no_sequence_errors",
		  ipi_stats_of(a).seq_errors == 0 && ipi_stats_of(b).seq_errors == 0, NULL);
	return ktap_end(&k, "pingpong", digest);
}

#define STORM_PER_TARGET 12
/* Call objects per (sender, target), reused round-robin: a slot is reused
 * only after its previous call is done, so this bounds memory, not the storm. */
#define STORM_SLOTS 16
#define STORM_POST_TRIES 20

/* Set before the run, read by the storm tasks: calls per (sender, target). */
static uint32_t storm_per_target;
static struct ipi_call storm_calls[NEURON_MAX_HARTS][NEURON_MAX_HARTS][STORM_SLOTS];
/* storm_sent[s][t]: calls s posted to t (written by s only); storm_run[s][t]:
 * calls from s whose fn ran on t (written by t only, in its handler). */
static uint32_t storm_sent[NEURON_MAX_HARTS][NEURON_MAX_HARTS];
static uint32_t storm_run[NEURON_MAX_HARTS][NEURON_MAX_HARTS];
static uint32_t storm_post_failures, storm_post_refusals, storm_slot_timeouts;

#define STORM_PAIR(sender, target) ((void *)(uintptr_t)((sender) << 8 | (target)))

static void storm_hit(void *arg)
{
	uintptr_t pair = (uintptr_t)arg;
	__atomic_fetch_add(&storm_run[pair >> 8][pair & 0xff], 1, __ATOMIC_RELAXED);
}

static bool slot_free(const void *arg)
{
	return __atomic_load_n(&((const struct ipi_call *)arg)->done, __ATOMIC_ACQUIRE) != 0;
}

/* One task per hart, pinned: posts storm_per_target calls and as many
 * reschedules to every other hart, waiting for room when a mailbox is full. */
static void storm_task(struct task *self, void *arg)
{
	(void)arg;
	unsigned me = self->pinned_hart;
	for (uint32_t r = 0; r < storm_per_target; r++) {
		sched_for_each_other_hart(to, me) {
			struct ipi_call *c = &storm_calls[me][to][r % STORM_SLOTS];
			if (r >= STORM_SLOTS && !timer_wait_until(slot_free, c, WAIT_MS))
				__atomic_fetch_add(&storm_slot_timeouts, 1, __ATOMIC_RELAXED);
			*c = (struct ipi_call){ .fn = storm_hit, .arg = STORM_PAIR(me, to) };
			/* A refused post (mailbox full for MAILBOX_WAIT_MS) was not
			 * sent: retried, boundedly, so every pair gets its count. */
			unsigned tries = 0;
			while (ipi_post(to, IPI_CALL, c, true) != IPI_OK && ++tries < STORM_POST_TRIES)
				__atomic_fetch_add(&storm_post_refusals, 1, __ATOMIC_RELAXED);
			if (tries < STORM_POST_TRIES)
				__atomic_store_n(&storm_sent[me][to], storm_sent[me][to] + 1, __ATOMIC_RELEASE);
			else
				__atomic_fetch_add(&storm_post_failures, 1, __ATOMIC_RELAXED);
			(void)!ipi_post(to, IPI_RESCHED, NULL, true);
		}
	}
}

struct quiet_wait {
	unsigned n;
};

/*
 * Quiet when every pair's calls are handled (the per-pair count is
 * published after the call ran) and every reschedule is. An empty mailbox
 * is not enough: a handler empties it before it runs what it took.
 */
static bool storm_quiet(const void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < sched_hart_count(); i++) {
		unsigned h = sched_hart_at(i);
		if (ipi_queued(h) || ipi_stat_posted(h, IPI_RESCHED) != ipi_stat_handled(h, IPI_RESCHED))
			return false;
		for (unsigned j = 0; j < sched_hart_count(); j++) {
			unsigned from = sched_hart_at(j);
			if (from != h && ipi_pair_handled(from, h) != ipi_pair_posted(from, h))
				return false;
		}
	}
	return true;
}

static void broadcast_mark(void *arg, unsigned hart)
{
	(void)arg;
	(void)hart;
}

/*
 * Exactly once, per (sender, target), checked at three levels that must
 * all agree: the storm's own counts (calls posted OK, fns run), the IPI
 * layer's per-pair counts on both ends (ipi_pair_posted/handled) and its
 * per-sender numbering (no message skipped or repeated).
 */
static bool storm_pairs_exact(uint64_t *calls_total)
{
	bool ok = true;
	*calls_total = 0;
	for (unsigned i = 0; i < sched_hart_count(); i++) {
		for (unsigned j = 0; j < sched_hart_count(); j++) {
			unsigned s = sched_hart_at(i), t = sched_hart_at(j);
			if (s == t)
				continue;
			uint32_t sent = __atomic_load_n(&storm_sent[s][t], __ATOMIC_ACQUIRE);
			uint32_t ran = __atomic_load_n(&storm_run[s][t], __ATOMIC_ACQUIRE);
			uint32_t posted = ipi_pair_posted(s, t), handled = ipi_pair_handled(s, t);
			*calls_total += ran;
			if (sent != storm_per_target || ran != sent || handled != posted) {
				kprintf("# storm: pair %u->%u: %u calls sent, %u run; IPI layer %u posted, "
					"%u handled; wanted %u\n", s, t, sent, ran, posted, handled,
					storm_per_target);
				ok = false;
			}
		}
	}
	return ok;
}

int scenario_storm(const struct bootargs *args)
{
	struct ktap k;
	struct sched_run *run = new_run("storm", args);
	unsigned n = sched_hart_count();
	uint64_t before[NEURON_MAX_HARTS];
	uint64_t pairs = (uint64_t)n * (n - 1);

	storm_per_target = STORM_PER_TARGET;
	if (args->storm_ipis && pairs)
		storm_per_target = (uint32_t)((args->storm_ipis + pairs - 1) / pairs);
	kprintf("# storm: %u harts, %lu pairs, %u calls per pair\n", n, pairs, storm_per_target);
	storm_post_failures = storm_post_refusals = storm_slot_timeouts = 0;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < n; j++) {
			storm_sent[sched_hart_at(i)][sched_hart_at(j)] = 0;
			storm_run[sched_hart_at(i)][sched_hart_at(j)] = 0;
		}
	}
	/* The IPI layer's counters start before the storm (boot traffic). */
	uint32_t posted_before[NEURON_MAX_HARTS][NEURON_MAX_HARTS];
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			if (i != j)
				posted_before[i][j] = ipi_pair_posted(sched_hart_at(i), sched_hart_at(j));

	ktap_begin(&k, 6);
	for (unsigned i = 0; i < n; i++) {
		unsigned h = sched_hart_at(i);
		before[h] = ipi_stat_handled(h, IPI_CALL);
		if (!sched_spawn(run, h, storm_task, NULL, h))
			kprintf("# storm: could not spawn on hart %u\n", h);
	}
	run->expected_tasks = n;
	bool ok = sched_run(run);
	timer_wait_until(storm_quiet, NULL, WAIT_MS);

	uint64_t calls_total = 0;
	bool pairs_ok = storm_pairs_exact(&calls_total);
	bool calls_ok = storm_post_failures == 0 && storm_slot_timeouts == 0, counts_ok = true;
	uint64_t digest = run->digest;
	for (unsigned i = 0; i < n; i++) {
		unsigned h = sched_hart_at(i);
		uint64_t handled = ipi_stat_handled(h, IPI_CALL) - before[h];
		uint64_t hits = 0;
		for (unsigned j = 0; j < n; j++) {
			unsigned from = sched_hart_at(j);
			if (from != h) {
				hits += storm_run[from][h];
				/* Nothing but the storm posted during it. */
				calls_ok &= ipi_pair_posted(from, h) - posted_before[j][i] == storm_per_target;
			}
		}
		struct ipi_stats_copy s = ipi_stats_of(h);
		kprintf("# storm: hart %u: %lu calls run, %lu handled, backpressure waits %lu rejects %lu, "
			"reschedules handled %lu, sequence errors %lu/%lu\n", h, hits, handled,
			s.backpressure_waits, s.backpressure_rejects, s.handled[IPI_RESCHED],
			s.seq_errors, s.sender_seq_errors);
		calls_ok &= hits == (uint64_t)storm_per_target * (n - 1) && handled == hits;
		counts_ok &= s.seq_errors == 0 && s.sender_seq_errors == 0 &&
			     ipi_stat_posted(h, IPI_RESCHED) == ipi_stat_handled(h, IPI_RESCHED);
		digest = sched_mix(digest ^ hits);
	}
	kprintf("# storm: %lu calls handled exactly once in all (%s); posts refused "
		"and retried %u, given up %u, slot waits timed out %u\n", calls_total,
		pairs_ok && calls_ok ? "every pair exact" : "MISMATCH", storm_post_refusals,
		storm_post_failures, storm_slot_timeouts);
	ktap_case(&k, "storm_run_completes", ok, NULL);
	ktap_case(&k, "every_call_handled_exactly_once", calls_ok, NULL);
	ktap_case(&k, "per_pair_sent_equals_handled", pairs_ok, needs_two());
	ktap_case(&k, "reschedules_posted_equal_handled", counts_ok, NULL);

	static struct ipi_broadcast b = { .fn = broadcast_mark };
	unsigned posted = ipi_broadcast_and_wait(&b, WAIT_MS);
	ktap_case(&k, "broadcast_acknowledged_by_every_hart",
		  posted == n - 1 && b.acks == n - 1, needs_two());

	bool stopped = true;
	unsigned me = sched_lead_hart();
	for (unsigned i = 0; i < n; i++) {
		unsigned h = sched_hart_at(i);
		if (h != me && ipi_post(h, IPI_STOP, NULL, true) != IPI_OK)
			stopped = false;
	}
	timer_sleep_ms(20);
	for (unsigned i = 0; i < n; i++) {
		unsigned h = sched_hart_at(i);
		if (h != me)
			stopped &= ipi_stats_of(h).stopped && ipi_stat_handled(h, IPI_STOP) == 1;
	}
	ktap_case(&k, "stop_reaches_every_hart", stopped, needs_two());
	return ktap_end(&k, "storm", digest);
}
