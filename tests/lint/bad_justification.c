/* percpu_lint fixture: escape-hatch justifications. Lines ending in
 * "expect: RULE" must be reported, nothing else. */
#include <neuron/percpu.h>

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
#define WHY "the owner is parked in the debugger"

void f(unsigned h);
void f(unsigned h)
{
	percpu_unchecked(runqueues, h, "               ")->nr_ready = 0; // expect: justification
	percpu_unchecked(runqueues, h, "xxxxxxxxxxxxxxxx")->nr_ready = 0; // expect: justification
	percpu_unchecked(runqueues, h, "a b c d e f g h i")->nr_ready = 0; // expect: justification
	percpu_unchecked(runqueues, h, "ok ok ok ok ok ok")->nr_ready = 0; // expect: justification
	percpu_unchecked(runqueues, h, L"the owner is parked for good")->nr_ready = 0; // expect: justification
	percpu_unchecked(runqueues, h, WHY)->nr_ready = 0; // expect: justification
	percpu_unchecked(runqueues, h, "quiescent dump after panic: "
			 "every other hart is stopped")->nr_ready = 0;
	percpu_unchecked(runqueues, h, "test: find the victim's lock")->nr_ready = 0;
}
