/* expect: percpu: not a per-CPU variable */
#include "vars.h"
void f(struct runqueue *rq);
void f(struct runqueue *rq) { PERCPU_GUARD(g); use(percpu_read(g, rq, nr_ready)); }
