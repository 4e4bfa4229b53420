#include <stddef.h>

#include "lib/panic.h"
#include "sched/sched.h"
#include "sched/task.h"

extern char task_trampoline[];

static struct task pool[TASK_POOL_SIZE];
static char stacks[TASK_POOL_SIZE][TASK_STACK_SIZE] __attribute__((aligned(16)));
/* LIFO free list of pool indexes: allocation order is a pure function of
 * the order of allocs and frees, which the callers serialize. */
static uint16_t free_slots[TASK_POOL_SIZE];
static unsigned free_count;
static bool pool_ready;

void task_pool_reset(void)
{
	free_count = 0;
	for (unsigned i = TASK_POOL_SIZE; i-- > 0;) {
		pool[i].state = TASK_FREE;
		free_slots[free_count++] = (uint16_t)i;
	}
	pool_ready = true;
}

struct task *task_alloc(uint32_t id, task_fn fn, void *arg, unsigned pinned_hart)
{
	if (!pool_ready)
		task_pool_reset();
	if (free_count == 0)
		return NULL;
	unsigned slot = free_slots[--free_count];
	struct task *t = &pool[slot];
	*t = (struct task){
		.state = TASK_RUNNABLE, .id = id, .pinned_hart = pinned_hart,
		.last_hart = TASK_ANY_HART, .migrate_to = TASK_ANY_HART, .fn = fn, .arg = arg,
	};
	t->ctx.ra = (uint64_t)task_trampoline;
	t->ctx.sp = (uint64_t)&stacks[slot][TASK_STACK_SIZE];
	t->ctx.s[0] = (uint64_t)t;
	return t;
}

void task_free(struct task *t)
{
	ASSERT(t->state == TASK_DONE && free_count < TASK_POOL_SIZE);
	t->state = TASK_FREE;
	free_slots[free_count++] = (uint16_t)(t - pool);
}

unsigned task_pool_in_use(void)
{
	return pool_ready ? TASK_POOL_SIZE - free_count : 0;
}

struct task *task_at(unsigned i)
{
	return &pool[i];
}

void task_main(struct task *t)
{
	sched_task_started();
	t->fn(t, t->arg);
	sched_exit();
}
