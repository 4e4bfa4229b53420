/* percpu_lint fixture: one per-CPU variable declared with other arguments
 * than its definition. Each pair stands for two files (one compiler run
 * sees only one of them, so neither C nor the linker compares them).
 * Lines ending in "expect: RULE" must be reported, nothing else. */
#include <neuron/percpu.h>

/* The owner's header and definition. */
PERCPU_DECLARE(unsigned long, counter);
PERCPU_DEFINE(unsigned long, counter);
/* Another file's own declaration: a write of .hi lands past the instance. */
struct wide { unsigned long lo, hi; };
PERCPU_DECLARE(struct wide, counter); // expect: declare-mismatch

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
PERCPU_DEFINE_LOCKED(struct runqueue, runqueues, lock);
/* Declared without its lock: that file may use the atomic accessors on it. */
PERCPU_DECLARE(struct runqueue, runqueues); // expect: declare-mismatch

/* The same arguments, blanks aside, are one declaration. */
PERCPU_DECLARE(struct runqueue*, queue_heads);
PERCPU_DEFINE(struct runqueue *, queue_heads);
PERCPU_DECLARE(struct  runqueue  *,  queue_heads);
