#ifndef NEURON_PANIC_H
#define NEURON_PANIC_H

#include <stdnoreturn.h>

/* Prints "neuron: panic: <message>" and exits with status 3. */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ASSERT(cond)                                                          \
	do {                                                                  \
		if (!(cond))                                                  \
			panic("assertion '%s' failed at %s:%d", #cond, __FILE__, \
			      __LINE__);                                      \
	} while (0)

#endif
