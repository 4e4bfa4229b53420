#include <stdint.h>

#include "arch/riscv/uart.h"
#include "console.h"
#include "hart.h"
#include "lib/spinlock.h"

/* Bounded wait for the lock in console_quiesce: far longer than any line. */
#define QUIESCE_MAX_TRIES 1000000

static struct spinlock console_lock;
/* Hart holding console_lock, or -1. Written only under the lock. */
static int console_owner = -1;

static void emit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	int me = (int)hart_id();

	/* A panic while this hart prints: the lock can never come free. */
	if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me) {
		emit(s, n);
		return;
	}
	unsigned long was = spinlock_acquire_irqsave(&console_lock);
	console_owner = me;
	emit(s, n);
	console_owner = -1;
	spinlock_release_irqrestore(&console_lock, was);
}

void console_write_early(const char *s)
{
	const char *e = s;
	while (*e)
		e++;
	emit(s, (size_t)(e - s));
	uart_drain();
}

void console_quiesce(void)
{
	int me = hart_id_if_known();

	/* Holding it ourselves means we got here from inside a print. */
	if (me < 0 || __atomic_load_n(&console_owner, __ATOMIC_RELAXED) != me) {
		for (int i = 0; i < QUIESCE_MAX_TRIES; i++) {
			if (spinlock_try(&console_lock))
				break;
		}
	}
	/* Never released: nothing may print after the exit message. */
	uart_drain();
}
