/* percpu_lint fixture: diagnostic pragmas that switch off PerCpu's static
 * rules, or surround per-CPU names. Lines ending in "expect: RULE" must be
 * reported, nothing else. */
#include <neuron/percpu.h>

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
void take(struct runqueue *rq);

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" // expect: diagnostic-pragma
void a(void);
void a(void) { }
#pragma GCC diagnostic pop

#define QUIET _Pragma("GCC diagnostic ignored \"-Wincompatible-pointer-types\"") // expect: diagnostic-pragma

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable" // expect: diagnostic-pragma
void b(void);
void b(void) { take((struct runqueue *)&runqueues); }
#pragma GCC diagnostic pop

/* Not about per-CPU data: allowed. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
void c(int unused);
void c(int unused) { }
#pragma GCC diagnostic pop
