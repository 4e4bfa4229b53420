/* expect: percpu: write to a const field or variable */
#include "vars.h"
PERCPU_DECLARE(const unsigned long, boot_limit);
void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	percpu_write_var(g, boot_limit, 1);
}
