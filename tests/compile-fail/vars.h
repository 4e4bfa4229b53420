/* Per-CPU variables shared by the compile-fail cases. */
#include <neuron/percpu.h>

struct runqueue {
	long nr_ready;
	struct spinlock lock;
};
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);

struct mailbox {
	_Atomic unsigned long pending;	/* remote harts post with atomics */
	unsigned long flags;		/* this hart's own */
	const unsigned long limit;
};
PERCPU_DECLARE(struct mailbox, mailboxes);

void use(long value);
