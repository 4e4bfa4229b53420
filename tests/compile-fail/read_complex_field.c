/* expect: percpu: read/write take integer or pointer fields */
#include "vars.h"
struct phase { _Complex float z; };
PERCPU_DECLARE(struct phase, phases);
void f(void);
/* 8 bytes, not a float type: it would travel through an integer register. */
void f(void)
{
	PERCPU_GUARD(g);
	use((long)__real__ percpu_read(g, phases, z));
}
