/* expect: percpu: write to a const field or variable */
#include "vars.h"
void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	percpu_write(g, mailboxes, limit, 1);
}
