/* expect: percpu: read/write refuse an _Atomic field */
#include "vars.h"
void f(void);
/* A plain read-modify-write of a field remote harts add to loses their updates. */
void f(void)
{
	PERCPU_GUARD(g);
	percpu_write(g, mailboxes, pending, 0);
}
