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
	percpu_remote_locked(runqueues, victim, stats, rq)	/* reads only: const */
		use(rq->nr_ready);
	struct spinlock *lock = percpu_remote_lock(runqueues, victim);
	spin_lock(lock);
	spin_unlock(lock);
}

/* _Atomic fields through the atomic accessors; plain fields through read/write. */
void atomics(unsigned hart);
void atomics(unsigned hart)
{
	PERCPU_GUARD(g);
	percpu_local_fetch_add(g, mailboxes, pending, 1, relaxed);
	percpu_local_store(g, mailboxes, pending, percpu_local_exchange(g, mailboxes, pending, 2, acq_rel), release);
	use((long)percpu_remote_exchange(mailboxes, hart, pending, 0, acq_rel, ipi_post));
	percpu_write(g, mailboxes, flags, percpu_read(g, mailboxes, flags) | 1);
	use((long)percpu_read(g, mailboxes, limit));
}
