/* expect-rule-note: percpu_rule_a_guard_is_a_local_that_no_goto_skips_[0-9]+[^ ]* isn[^ ]*t constant */
#include "vars.h"
void f(void);
void f(void)
{
	static PERCPU_GUARD(g);
	use(percpu_read(g, runqueues, nr_ready));
}
