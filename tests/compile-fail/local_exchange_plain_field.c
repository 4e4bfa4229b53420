/* expect: percpu: atomic accessors take only fields declared _Atomic */
#include "vars.h"
void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	use((long)percpu_local_exchange(g, mailboxes, flags, 0, acq_rel));
}
