#include "lib/panic.h"
#include "proof/fault.h"
#include "sched/runqueue.h"

PERCPU_DEFINE_LOCKED(struct runqueue, runqueues, lock);

void rq_init_all(void)
{
	PERCPU_INIT_TOKEN(t);
	percpu_for_each_hart(t, h) {
		struct runqueue *rq = percpu_init(t, runqueues, h);
		spin_init_ranked(&rq->lock, "runqueues.lock", h);
		rq->head = rq->count = 0;
	}
}

enum rq_result rq_push(struct runqueue *rq, struct task *t)
{
	if (rq->count == RQ_CAPACITY) {
		rq->rejected++;
		/* fault=full_queue_accepts: claim success, lose the task. */
		return FAULT_INJECTED(full_queue_accepts) ? RQ_OK : RQ_FULL;
	}
	rq->slots[(rq->head + rq->count) % RQ_CAPACITY] = t;
	rq->count++;
	rq->enqueued++;
	return RQ_OK;
}

struct task *rq_pop(struct runqueue *rq)
{
	if (rq->count == 0)
		return NULL;
	struct task *t = rq->slots[rq->head];
	rq->head = (rq->head + 1) % RQ_CAPACITY;
	rq->count--;
	return t;
}

struct task *rq_take_for(struct runqueue *rq, unsigned thief, bool ignore_pin)
{
	for (uint32_t i = rq->count; i-- > 0;) {
		uint32_t at = (rq->head + i) % RQ_CAPACITY;
		struct task *t = rq->slots[at];
		if (!ignore_pin && t->pinned_hart != TASK_ANY_HART && t->pinned_hart != thief)
			continue;
		/* Close the gap: shift the newer tasks one slot towards the head. */
		for (uint32_t j = i; j + 1 < rq->count; j++)
			rq->slots[(rq->head + j) % RQ_CAPACITY] = rq->slots[(rq->head + j + 1) % RQ_CAPACITY];
		rq->count--;
		rq->stolen_from++;
		return t;
	}
	return NULL;
}
