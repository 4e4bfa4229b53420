/* percpu_lint fixture: pointers into per-CPU data kept past their guard,
 * init phase or lock. Lines ending in "expect: RULE" must be reported,
 * nothing else: a local initialised where the pointer is obtained, a
 * field's value, an argument, the variable's own lock and an address
 * cast to an integer are not escapes. */
#include <neuron/percpu.h>

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
struct task { struct runqueue *rq; };

static struct runqueue *kept;
static struct runqueue *by_hart[NEURON_MAX_HARTS];
static struct spinlock *hart1_lock;
void push(struct percpu_guard *g, struct runqueue *rq);

struct runqueue *this_rq(void);
struct runqueue *this_rq(void)
{
	PERCPU_GUARD(g);
	return percpu_local(g, runqueues); // expect: pointer-escape
}

/* The same through the local that holds it. */
struct runqueue *this_rq_again(void);
struct runqueue *this_rq_again(void)
{
	PERCPU_GUARD(g);
	struct runqueue *rq = percpu_local(g, runqueues);
	struct runqueue *copy = rq;
	rq->nr_ready++;
	kept = copy;	/* a copy of the local is not followed */
	return rq; // expect: pointer-escape
}

long *ready_count(void);
long *ready_count(void)
{
	PERCPU_GUARD(g);
	return &percpu_local(g, runqueues)->nr_ready; // expect: pointer-escape
}

/* A guard and its pointer in one macro: the guard ends with the braces. */
#define THIS_RQ() ({ PERCPU_GUARD(g_); percpu_local(g_, runqueues); }) // expect: pointer-escape
#define THIS_READY() ({ PERCPU_GUARD(g_); percpu_local(g_, runqueues)->nr_ready; })

long ready_now(void);
long ready_now(void)
{
	return THIS_READY() + THIS_RQ()->nr_ready;
}

uintptr_t ready_address(void);
uintptr_t ready_address(void)
{
	PERCPU_GUARD(g);
	return (uintptr_t)&percpu_local(g, runqueues)->nr_ready;
}

void boot(void);
void boot(void)
{
	PERCPU_INIT_TOKEN(t);
	percpu_for_each_hart(t, h)
		by_hart[h] = percpu_init(t, runqueues, h); // expect: pointer-escape
	hart1_lock = &percpu_init(t, runqueues, 1)->lock;
}

void attach(struct task *task, int again);
void attach(struct task *task, int again)
{
	struct runqueue *rq = NULL;
	{
		PERCPU_GUARD(g);
		struct runqueue *mine = percpu_local(g, runqueues);
		long n = percpu_local(g, runqueues)->nr_ready;
		struct task local_task = { .rq = percpu_local(g, runqueues) };
		push(&g, local_task.rq);
		push(&g, percpu_local(g, runqueues));
		if (percpu_local(g, runqueues) == mine && n)
			task->rq = percpu_local(g, runqueues); // expect: pointer-escape
		else
			rq = percpu_local(g, runqueues); // expect: pointer-escape
		kept = (struct runqueue *)percpu_local(g, runqueues); // expect: pointer-escape
	}
	if (rq)
		rq->nr_ready += again;
}

void steal(unsigned victim, unsigned me, struct task *task);
void steal(unsigned victim, unsigned me, struct task *task)
{
	struct spinlock *lock = percpu_remote_lock(runqueues, victim);
	spin_lock(lock);
	kept = percpu_remote(runqueues, victim, lock, steal); // expect: pointer-escape, explicit-remote
	spin_unlock(lock);
	percpu_remote_locked(runqueues, victim, steal, rq) {
		struct runqueue *alias = rq;
		task->rq = rq; // expect: pointer-escape
		alias->nr_ready--;
	}
	percpu_remote_locked_pair(runqueues, me, victim, steal, mine, theirs) {
		mine->nr_ready++;
		kept = theirs; // expect: pointer-escape
	}
}
