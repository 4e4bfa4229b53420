/*
 * printf-style formatting into a buffer. Pure: no kernel dependencies.
 * Conversions: %s %c %d %i %u %x %X %p %% with flags '-' '0', a width,
 * a precision for %s (including .*), and length modifiers l ll z.
 */
#ifndef NEURON_LIB_FORMAT_H
#define NEURON_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Writes at most size bytes including the NUL (size > 0). Returns the
 * length written, excluding the NUL; output that did not fit is dropped.
 */
size_t kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
