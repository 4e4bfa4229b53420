/* Per-CPU variables shared by the compile-fail cases. */
#include <neuron/percpu.h>

struct runqueue {
	long nr_ready;
	struct spinlock lock;
};
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);

struct mailbox {
	unsigned long pending;
};
PERCPU_DECLARE(struct mailbox, mailboxes);

void use(long value);
