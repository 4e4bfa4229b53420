/*
 * RISC-V semihosting (the ARM semihosting calls, reached through the
 * `slli zero,zero,0x1f; ebreak; srai zero,zero,7` sequence): QEMU run
 * with -semihosting-config enable=on handles them itself, so a write
 * leaves the guest in one trap, without a device or a driver. The trace
 * drain uses it (docs/trace-format.md, "Drain"). Without that option the
 * ebreak is an ordinary breakpoint exception; trap.c turns it into a
 * failed call (SEMIHOST_ABSENT) instead of a panic.
 */
#ifndef NEURON_ARCH_RISCV_SEMIHOST_H
#define NEURON_ARCH_RISCV_SEMIHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEMIHOST_ABSENT (-1L)

/* Opens the semihosting console (":tt") for binary writes; its handle,
 * or SEMIHOST_ABSENT. */
long semihost_open_console(void);

/* Writes all of buf to handle; true if the host took every byte. */
bool semihost_write(long handle, const void *buf, size_t len);

/* trap.c: a breakpoint exception at sepc is a semihosting call that QEMU
 * did not handle. */
bool semihost_is_call(uintptr_t sepc);

#endif
