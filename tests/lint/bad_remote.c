/* percpu_lint fixture: the explicit lock form outside the proof code.
 * Lines ending in "expect: RULE" must be reported, nothing else: the
 * scoped form, the checked single accesses and a waived use are fine. */
#include <neuron/percpu.h>

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);

long steal_one(unsigned victim);
long steal_one(unsigned victim)
{
	PERCPU_GUARD(g);
	struct spinlock *lock = percpu_remote_lock(runqueues, victim);
	spin_lock(lock);
	struct runqueue *rq = percpu_remote(runqueues, victim, lock, steal); // expect: explicit-remote
	long n = percpu_remote_read(runqueues, victim, nr_ready, lock, steal);
	spin_unlock(lock);
	rq->nr_ready--;		/* after the unlock: unseen by the audit */
	/* percpu-lint: allow explicit-remote: the lock is held around this single access */
	(void)percpu_remote(runqueues, victim, lock, debug);
	percpu_remote_locked(runqueues, victim, steal, theirs)
		n += theirs->nr_ready;
	return n;
}
