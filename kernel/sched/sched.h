/*
 * The scheduler: per-hart runqueues (runqueue.h), IPI mailboxes (ipi.h),
 * work stealing, and the lockstep run engine that makes every scheduling
 * decision a function of logical events (docs/scheduler.md).
 *
 * A run proceeds in rounds; round r is logical tick r. Each round:
 *   1. run phase (all harts in parallel): each hart dispatches up to
 *      `batch` tasks from its OWN runqueue, one step each (a task runs
 *      until it yields, blocks or exits). Nothing crosses harts here.
 *   2. turn phase (serialized, rotating hart order): each hart in turn
 *      reaps its finished tasks, wakes its due sleepers, runs the
 *      scenario's turn hook (spawn, wake, migrate) and, if its queue is
 *      empty, tries to steal. Every cross-hart effect happens here.
 * Harts wait for each other in wfi, woken by reschedule IPIs.
 */
#ifndef NEURON_SCHED_SCHED_H
#define NEURON_SCHED_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "sched/task.h"

#define SCHED_STEAL_ATTEMPTS_PER_ROUND 2
#define SCHED_DEFAULT_STEAL_K 1
#define SCHED_MAX_STEAL_K 16
#define SCHED_MAX_TASK_IDS 16384

struct sched_run;
typedef void (*sched_turn_fn)(struct sched_run *run, unsigned hart, uint64_t round);

/*
 * One run, shared by every participating hart. Who writes each field and
 * what makes the access safe, in the manner of xv6's struct proc:
 *   [D]  the driver (the hart in sched_run) before it publishes the run
 *        (run_generation, release); read-only for everyone afterwards
 *   [T]  only in the turn phase, which is serialized: one hart at a time,
 *        handed on by turn_seq (release store, acquire load)
 *   [A]  any participant, with an atomic read-modify-write
 *   [P]  one participant each, its own element (by hart or position)
 *   [E]  the engine's own handshake words: atomics, see participate()
 *   [R]  written by the driver after every participant left (`left`
 *        acquire), read by the scenario after sched_run returns
 */
struct sched_run {
	/* configuration [D] */
	const char *name;
	uint64_t seed;
	unsigned steal_k;
	unsigned batch;           /* tasks dispatched per hart per round */
	uint64_t max_rounds;      /* safety bound; hitting it fails the run */
	uint32_t expected_tasks;  /* the run is over when this many completed */
	sched_turn_fn turn;       /* optional; called in the turn phase [T] */
	/* A tick preemption requeues the task at the tail of its hart's queue
	 * instead of resuming it. Where ticks land then changes the order, so
	 * such a run's digest is not deterministic: only for the preemption
	 * proof, never for a digest-checked run. */
	bool preempt_rotates;
	void *scenario;           /* the scenario's state; its turn hook owns it [T] */

	/* progress [E] */
	uint32_t run_done;        /* run phases finished, all rounds (acq_rel add) */
	uint64_t turn_seq;        /* whose turn: round * n + position (release/acquire) */
	uint32_t over;            /* set in the last turn of a round [T], read after turn_seq */
	uint32_t left;            /* participants done with the run (acq_rel add) */
	uint64_t round;           /* the last turn of a round advances it [T] */

	/* results */
	bool hit_max_rounds;        /* [T] */
	uint32_t next_id;           /* logical ids handed out [D] and [T] (spawns) */
	uint64_t completed;         /* [T] reaping */
	uint64_t completed_twice;   /* [T] */
	uint64_t spawn_rejects;     /* [D] and [T] */
	uint64_t enqueue_rejects;   /* [T]; a requeue in the run phase adds atomically [A] */
	uint64_t steals;            /* tasks moved by stealing [T] */
	uint64_t steal_attempts;    /* [T] */
	uint64_t max_steal_batch;   /* most tasks one attempt moved [T] */
	uint64_t max_attempts_in_turn; /* [T] */
	uint64_t pinned_moved;      /* pinned tasks found on a foreign hart [A] */
	uint64_t dispatched;        /* every dispatch, counted apart from the digest [A] */
	uint64_t decisions;         /* decisions that went into the digest [R] */
	uint64_t digest;            /* [R] */
	uint64_t preemptions;       /* [A] at the end of each participant's run */
	uint64_t wakes;             /* blocked tasks requeued [T] */
	uint64_t ran_on[NEURON_MAX_HARTS]; /* dispatches per hart [A] */
	uint64_t digest_part[NEURON_MAX_HARTS];    /* per participant position [P], before `left` */
	uint64_t decisions_part[NEURON_MAX_HARTS]; /* [P], before `left` */
	uint8_t done_ids[SCHED_MAX_TASK_IDS];      /* completions per task id [T] */
};

/* Init phase (boot hart, before percpu_smp_begin). */
void sched_init(void);

/* Harts taking part: every hart that entered the scheduler, ascending. */
unsigned sched_hart_count(void);
unsigned sched_hart_at(unsigned index);

/*
 * sched_for_each_other_hart(h, self) { ... }: the body runs for every
 * taking-part hart other than self, ascending; the macro declares h.
 */
#define sched_for_each_other_hart(h, self)						\
	for (unsigned h##_index_ = 0, h = 0; h##_index_ < sched_hart_count(); h##_index_++)	\
		if ((h = sched_hart_at(h##_index_)) != (self))
bool sched_hart_joined(unsigned hart);

/*
 * Joins the calling hart to every later run. Each hart joins before it
 * reports itself online (smp_this_hart_online), so a boot hart that has
 * seen every hart online sees every one joined: the participant set is
 * complete before the first scenario counts it.
 */
void sched_join_this_hart(void);
/* Secondary harts after bring-up: idle in wfi between runs. */
noreturn void sched_idle_loop(void);

/*
 * The hart a scenario acts from: the hart that calls it (the boot hart,
 * whichever OpenSBI picked), never "the lowest". sched_peer_of(me, k):
 * the k-th joined hart other than me, ascending; PERCPU_NO_HART if there is none.
 */
unsigned sched_lead_hart(void);
unsigned sched_peer_of(unsigned me, unsigned k);

/* Runs `run` to the end on every joined hart. Any one hart drives it (the
 * boot hart in every scenario), interrupts on.
 * Returns true if every expected task completed within max_rounds. */
bool sched_run(struct sched_run *run);

/*
 * Serialized helpers for the turn hook and for setup before sched_run
 * (nothing else may run then). Spawn: a new task on hart's runqueue;
 * false if the pool or the queue is full (counted, deterministic).
 */
bool sched_spawn(struct sched_run *run, unsigned hart, task_fn fn, void *arg, unsigned pinned);
/* Wakes a blocked task at the next turn of the hart it blocked on. */
void sched_wake(struct task *t);

/* From task context. */
void sched_yield(struct task *self);
/* Blocks until woken (sched_wake) or, if rounds > 0, for that many rounds. */
void sched_block(struct task *self, uint64_t rounds);
/* Yields and asks to continue on `hart` from the next round. */
void sched_migrate(struct task *self, unsigned hart);
uint64_t sched_current_round(void);

/* Engine internals called from task.c, ipi.c and the trap path. */
void sched_task_started(void);
noreturn void sched_exit(void);
void sched_note_resched(void);
void sched_tick(void);
void sched_preempt_from_trap(void);

/* splitmix64 finalizer: the mixing step of the digest and of seeded choices. */
uint64_t sched_mix(uint64_t x);

#endif
