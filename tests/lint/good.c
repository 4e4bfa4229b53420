/* percpu_lint fixture: correct PerCpu use; the lint must report nothing.
 * (Comments may name percpu_storage__runqueues, __thread or PERCPU__X.) */
#include <neuron/percpu.h>

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
PERCPU_DEFINE_LOCKED(struct runqueue, runqueues, lock);

long f(unsigned victim);
long f(unsigned victim)
{
	PERCPU_GUARD(g);
	percpu_write(g, runqueues, nr_ready, percpu_read(g, runqueues, nr_ready) + 1);
	struct spinlock *lock = &percpu_unchecked(runqueues, victim,
		"find the victim's lock to take it")->lock;
	spin_lock(lock);
	long n = percpu_remote_read(runqueues, victim, nr_ready, lock, steal);
	spin_unlock(lock);
	return n + (long)percpu_current_hart(&g);
}
