#include "lib/console.h"
#include "lib/format.h"
#include "lib/kprintf.h"

void kvprintf(const char *fmt, va_list ap)
{
	char line[KPRINTF_MAX];
	size_t n = kvsnprintf(line, sizeof(line), fmt, ap);

	if (n == sizeof(line) - 1) {
		/* Possibly cut: say so rather than print a silently short line. */
		line[n - 4] = '.';
		line[n - 3] = '.';
		line[n - 2] = '.';
		line[n - 1] = '\n';
	}
	console_write(line, n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}
