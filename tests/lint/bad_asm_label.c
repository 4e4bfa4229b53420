/* percpu_lint fixture: asm labels that alias per-CPU data. Lines ending in
 * "expect: RULE[, RULE]" must be reported with those rules, nothing else. */
#include <neuron/percpu.h>

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);

extern __thread struct runqueue alias __asm__("percpu_storage__runqueues"); // expect: wrapper-internal, asm-label, plain-thread
extern const char handle_bytes[] __asm__("runqueues"); // expect: asm-label
extern long area_self __asm__("percpu_self_block"); // expect: asm-label

/* An asm label that is not per-CPU data, and an asm statement: allowed. */
extern int counter_alias __asm__("boot_counter");
static inline void fence(void) { __asm__ volatile("fence" ::: "memory"); }
