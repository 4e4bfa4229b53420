/* expect: percpu: atomic accessors take only fields declared _Atomic */
#include "vars.h"
void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	percpu_local_fetch_add(g, mailboxes, flags, 1, relaxed);
}
