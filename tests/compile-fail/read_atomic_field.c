/* expect: percpu: read/write refuse an _Atomic field */
#include "vars.h"
void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	use((long)percpu_read(g, mailboxes, pending));
}
