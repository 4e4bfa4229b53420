/* expect: percpu: a guard is not a sync object */
#include "vars.h"
void f(void);
void f(void) { PERCPU_GUARD(g); use(percpu_remote_read(runqueues, 1, nr_ready, g, steal)); }
