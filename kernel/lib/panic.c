#include <stdarg.h>

#include "arch/riscv/csr.h"
#include "boot/shutdown.h"
#include "lib/format.h"
#include "lib/kprintf.h"
#include "lib/panic.h"

noreturn void panic(const char *fmt, ...)
{
	char message[KPRINTF_MAX - 32];
	va_list ap;

	intr_off();
	va_start(ap, fmt);
	kvsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	kprintf("neuron: panic: %s\n", message);
	kernel_exit(EXIT_PANIC);
}
