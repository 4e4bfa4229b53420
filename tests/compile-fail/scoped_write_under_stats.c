/* expect-read-only: assignment of member .*nr_ready.* in read-only object */
#include "vars.h"
/* The scoped form's pointer is const under a reason that only reads: the
 * write is refused in GCC's words (a pointer's type has no hook of ours). */
void f(unsigned victim);
void f(unsigned victim)
{
	percpu_remote_locked(runqueues, victim, stats, rq)
		rq->nr_ready = 0;
}
