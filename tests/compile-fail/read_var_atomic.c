/* expect: percpu: read/write refuse an _Atomic field */
#include "vars.h"
PERCPU_DECLARE(_Atomic unsigned long, hits);
void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	percpu_write_var(g, hits, 1);
}
