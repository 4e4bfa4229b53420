/* expect: percpu: not a per-CPU variable */
#include "vars.h"
struct runqueue plain_rq;
void f(void);
void f(void)
{
	percpu_remote_locked(plain_rq, 1, steal, rq)
		use(rq->nr_ready);
}
