/* expect: percpu: read/write field lies outside the variable */
#include "vars.h"
struct history { long count; int slots[4]; };
PERCPU_DECLARE(struct history, histories);
void f(void);
/* GCC checks no bound in an offsetof, and the riscv64 access is asm: one
 * past the end would write the next variable in the area. */
void f(void)
{
	PERCPU_GUARD(g);
	percpu_write(g, histories, slots[4], 1);
}
