/* expect: percpu: atomic accessors are refused on a PERCPU_DECLARE_LOCKED variable */
#include "vars.h"
void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	use(percpu_local_load(g, runqueues, nr_ready, relaxed));
}
