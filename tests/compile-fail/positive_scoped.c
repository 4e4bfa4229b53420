/* The scoped remote forms compile with both compilers and flavours. */
#include "vars.h"
void f(unsigned me, unsigned victim);
void f(unsigned me, unsigned victim)
{
	percpu_remote_locked(runqueues, victim, steal, rq)
		use(rq->nr_ready);
	percpu_remote_locked_pair(runqueues, me, victim, steal, mine, theirs) {
		mine->nr_ready++;
		theirs->nr_ready--;
	}
	struct spinlock *lock = percpu_remote_lock(runqueues, victim);
	spin_lock(lock);
	spin_unlock(lock);
}
