/* Must compile: every rule above, followed. Guards the cases against
 * failing for a wrong reason (bad include path, broken macro). */
#include "vars.h"

PERCPU_DEFINE_LOCKED(struct runqueue, runqueues, lock);
PERCPU_DEFINE(struct mailbox, mailboxes);

void f(unsigned hart);
void f(unsigned hart)
{
	{
		PERCPU_INIT_TOKEN(t);
		percpu_for_each_hart(t, h)
			percpu_init(t, runqueues, h)->nr_ready = 0;
	}
	PERCPU_GUARD(g);
	percpu_write(g, runqueues, nr_ready, percpu_read(g, runqueues, nr_ready) + 1);
	struct spinlock *lock = &percpu_unchecked(runqueues, hart, "control: find the lock")->lock;
	spin_lock(lock);
	use(percpu_remote_read(runqueues, hart, nr_ready, lock, steal));
	use(percpu_remote(runqueues, hart, lock, steal)->nr_ready);
	spin_unlock(lock);
	percpu_remote_fetch_add(mailboxes, hart, pending, 1, release, ipi_post);
	use((long)percpu_local_load(g, mailboxes, pending, acquire));
	PERCPU_ASSERT_LOCAL(g, runqueues, percpu_local(g, runqueues));
}
