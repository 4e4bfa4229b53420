/*
 * One runqueue per hart, in PerCpu, protected by its own spinlock.
 * Bounded: a full queue rejects deterministically and says so.
 * Lock order: runqueue locks in ascending hart order; a mailbox lock is
 * never held while taking a runqueue lock (docs/scheduler.md).
 */
#ifndef NEURON_SCHED_RUNQUEUE_H
#define NEURON_SCHED_RUNQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <neuron/percpu.h>

#include "sched/task.h"

#define RQ_CAPACITY 64

/*
 * One hart's ready tasks. Every field below `lock` is read and written
 * only with `lock` held, by the owner (its own instance) or by another
 * hart through percpu_remote_locked (wake, steal, stats); the audit build
 * checks both.
 */
struct runqueue {
	struct spinlock lock;
	uint32_t head;              /* ring index of the oldest task */
	uint32_t count;
	struct task *slots[RQ_CAPACITY];
	uint64_t enqueued, rejected, stolen_from;
};
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);

enum rq_result { RQ_OK = 0, RQ_FULL };

/* Precondition for all below: rq->lock held by this hart. */
__attribute__((warn_unused_result)) enum rq_result rq_push(struct runqueue *rq, struct task *t);
struct task *rq_pop(struct runqueue *rq);
/* Removes the newest task that may run on `thief` (pinned tasks stay,
 * unless ignore_pin, the fault switch). NULL if none. */
struct task *rq_take_for(struct runqueue *rq, unsigned thief, bool ignore_pin);

/* Init phase only (before percpu_smp_begin). */
void rq_init_all(void);

#endif
