/* expect: percpu: read/write take integer or pointer fields, not arrays */
#include "vars.h"
struct named { char name[8]; };
PERCPU_DECLARE(struct named, names);
void f(void);
/* 8 bytes, like a scalar: the read would return a pointer into a dead temporary. */
void f(void)
{
	PERCPU_GUARD(g);
	use((long)percpu_read(g, names, name)[0]);
}
