#include "arch/riscv/semihost.h"

#define SYS_OPEN 0x01
#define SYS_WRITE 0x05
#define OPEN_MODE_WB 5	/* "wb" */

/* The first and last instructions of a call's three. */
#define SLLI_ZERO_0X1F 0x01f01013u
#define SRAI_ZERO_7 0x40705013u

/*
 * long semihost_trap(long op, void *arg): the call, as a function of its
 * own so that the three instructions are uncompressed and 16-byte aligned
 * (never across a page) without alignment padding in C code.
 */
long semihost_trap(long op, void *arg);
asm(".pushsection .text.semihost, \"ax\"\n"
    ".balign 16\n"
    ".globl semihost_trap\n"
    "semihost_trap:\n"
    ".option push\n"
    ".option norvc\n"
    "slli zero, zero, 0x1f\n"
    "ebreak\n"
    "srai zero, zero, 7\n"
    "ret\n"
    ".option pop\n"
    ".popsection\n");

static long call(long op, void *arg)
{
	return semihost_trap(op, arg);
}

long semihost_open_console(void)
{
	static const char name[] = ":tt";
	uintptr_t block[3] = { (uintptr_t)name, OPEN_MODE_WB, sizeof(name) - 1 };
	long handle = call(SYS_OPEN, block);
	return handle < 0 ? SEMIHOST_ABSENT : handle;
}

bool semihost_write(long handle, const void *buf, size_t len)
{
	uintptr_t block[3] = { (uintptr_t)handle, (uintptr_t)buf, len };
	/* SYS_WRITE returns the number of bytes it did NOT write. */
	return call(SYS_WRITE, block) == 0;
}

bool semihost_is_call(uintptr_t sepc)
{
	const volatile uint32_t *ebreak = (const uint32_t *)sepc;
	return (sepc & 3) == 0 && ebreak[-1] == SLLI_ZERO_0X1F && ebreak[1] == SRAI_ZERO_7;
}
