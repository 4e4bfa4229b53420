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

struct task {
	struct context ctx;
	/* The scheduler context that dispatched this task: where it yields to.
	 * Set at every dispatch, on the dispatching hart's scheduler stack. */
	struct context *return_ctx;
	enum task_state state;
	uint32_t id;             /* logical id, assigned in spawn order */
	unsigned pinned_hart;    /* TASK_ANY_HART: may migrate */
	unsigned last_hart;      /* hart it last ran on */
	uint32_t ran_on_mask;    /* bit h: ran on hart h (h < 32) */
	uint32_t steps;          /* dispatches so far */
	uint64_t wake_round;     /* blocked until this round (sleep) */
	bool preempted;          /* last switch-out was the tick, not a yield */
	unsigned migrate_to;     /* TASK_ANY_HART, or where to continue */
	task_fn fn;
	void *arg;
	uint64_t user;           /* scenario data */
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
