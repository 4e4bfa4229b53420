/* expect: percpu: unknown remote access reason */
#include "vars.h"
void f(void);
void f(void)
{
	percpu_remote_locked(runqueues, 1, just_looking, rq)
		use(rq->nr_ready);
}
