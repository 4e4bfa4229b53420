/* Must compile for both targets and flavours: fields at any offset in a
 * per-CPU variable (here 2 KiB, past 4 KiB and past 64 KiB), through every
 * local accessor. For riscv64 the offset is printed into the access's
 * relocations, which must accept any value, not only a 12-bit immediate. */
#include "vars.h"

struct big {
	long near;
	char pad_to_2k[2048 - 8];
	long at_2k;
	char pad_past_4k[2048];
	unsigned char past_4k;
	char pad_past_64k[65536];
	int past_64k;
};
PERCPU_DECLARE(struct big, bigs);
PERCPU_DEFINE(struct big, bigs);
_Static_assert(__builtin_offsetof(struct big, at_2k) == 2048, "field at 2 KiB");
_Static_assert(__builtin_offsetof(struct big, past_4k) == 4104, "field past 4 KiB");

void f(void);
void f(void)
{
	PERCPU_GUARD(g);
	percpu_write(g, bigs, at_2k, percpu_read(g, bigs, at_2k) + 1);
	percpu_write(g, bigs, past_4k, (unsigned char)(percpu_read(g, bigs, past_4k) + 1));
	percpu_write(g, bigs, past_64k, percpu_read(g, bigs, past_64k) + 1);
	percpu_write(g, bigs, near, percpu_read(g, bigs, near) + 1);
	use(percpu_local(g, bigs)->at_2k);
}
