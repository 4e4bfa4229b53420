/* expect: percpu: read/write need a constant field offset */
#include "vars.h"
struct history { long count; int slots[4]; };
PERCPU_DECLARE(struct history, histories);
void f(unsigned i);
/* The host would compute the address; riscv64 encodes the offset in the
 * instruction and would refuse in an asm constraint's words. */
void f(unsigned i)
{
	PERCPU_GUARD(g);
	use(percpu_read(g, histories, slots[i]));
}
