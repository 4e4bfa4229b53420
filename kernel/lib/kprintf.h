#ifndef NEURON_LIB_KPRINTF_H
#define NEURON_LIB_KPRINTF_H

#include <stdarg.h>

/*
 * Formats the whole message first, then writes it to the console in one
 * piece under the console lock, so one call never interleaves with
 * another hart's. Callers print whole lines per call. Messages longer
 * than KPRINTF_MAX bytes are cut and end in "...".
 */
#define KPRINTF_MAX 512

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);

#endif
