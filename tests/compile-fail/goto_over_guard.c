/* expect-rule-note: percpu_rule_a_guard_is_a_local_that_no_goto_skips_[0-9]+[^ ]* declared here */
#include "vars.h"
void f(int skip);
void f(int skip)
{
	if (skip)
		goto out;	/* past the guard: its cleanup would run on a guard never taken */
	PERCPU_GUARD(g);
	use(percpu_read(g, runqueues, nr_ready));
out:
	return;
}
