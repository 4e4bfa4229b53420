/* expect: percpu: atomic accessors are refused on a PERCPU_DECLARE_LOCKED variable */
#include "vars.h"
void f(void);
void f(void) { percpu_remote_store(runqueues, 1, nr_ready, 0, release, wake); }
