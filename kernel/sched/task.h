/*
 * Kernel threads: a static pool of tasks, each with its own stack.
 * A task runs fn(task, arg) to completion, yielding or blocking on the way;
 * the scheduler (sched.c) decides where and when.
 */
#ifndef NEURON_SCHED_TASK_H
#define NEURON_SCHED_TASK_H

#include <stdbool.h>
#include <stdint.h>

#define TASK_POOL_SIZE 128
#define TASK_STACK_SIZE 8192
#define TASK_ANY_HART 0xffffffffu

/* Callee-saved state; offsets fixed by switch.S. */
struct context {
	uint64_t ra, sp;
	uint64_t s[12];
};

enum task_state { TASK_FREE, TASK_RUNNABLE, TASK_RUNNING, TASK_BLOCKED, TASK_DONE };

struct task;
typedef void (*task_fn)(struct task *self, void *arg);

/*
 * A task. Who writes each field and what makes the access safe (the
 * legend of struct sched_run in sched.h, and):
 *   [S]  set by task_spawn, in a serialized phase, before the task is
 *        queued; read-only afterwards
 *   [H]  the hart running or dispatching the task, interrupts off in the
 *        scheduler; a task runs on one hart at a time, and moving it
 *        (queue to queue, under the runqueue locks) orders these writes
 *        before the next hart's reads
 *   [T]  the turn phase (serialized, see sched.h): wakeups and migrations
 *   [Q]  read by a thief choosing what to take, under the victim
 *        runqueue's lock
 */
struct task {
	struct context ctx;      /* [H] */
	/* The scheduler context that dispatched this task: where it yields to.
	 * Set at every dispatch, on the dispatching hart's scheduler stack. [H] */
	struct context *return_ctx;
	enum task_state state;   /* [H] while it runs, [T] when woken */
	uint32_t id;             /* logical id, assigned in spawn order [S] */
	unsigned pinned_hart;    /* TASK_ANY_HART: may migrate [S], read [Q] */
	unsigned last_hart;      /* hart it last ran on [H] */
	uint32_t ran_on_mask;    /* bit h: ran on hart h (h < 32) [H] */
	uint32_t steps;          /* dispatches so far [H] */
	uint64_t wake_round;     /* blocked until this round (sleep) [H], cleared [T] */
	bool preempted;          /* last switch-out was the tick, not a yield [H] */
	unsigned migrate_to;     /* TASK_ANY_HART, or where to continue [H], cleared [T] */
	task_fn fn;              /* [S] */
	void *arg;               /* [S] */
	uint64_t user;           /* scenario data: the scenario's own rule */
};

/* Saves the running context in *from, resumes *to. Interrupts off. */
void sched_switch(struct context *from, struct context *to);

/*
 * Takes a free task from the pool and prepares it to start fn(task, arg)
 * on its own stack. Returns NULL when the pool is full (deterministic:
 * the pool is only touched in serialized phases). Precondition: the
 * caller serializes pool access (the lockstep turn, or a single hart).
 */
struct task *task_alloc(uint32_t id, task_fn fn, void *arg, unsigned pinned_hart);
/* Returns a TASK_DONE task to the pool. Same precondition. */
void task_free(struct task *t);
unsigned task_pool_in_use(void);
/* Pool slot i (< TASK_POOL_SIZE), in any state. */
struct task *task_at(unsigned i);
/* Every pool slot back to free; between runs only. */
void task_pool_reset(void);

/* From task_trampoline: runs the body, then never returns. */
void task_main(struct task *t) __attribute__((__noreturn__));

#endif
