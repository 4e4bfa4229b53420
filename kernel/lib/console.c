#include <stdbool.h>
#include <stdint.h>

#include "arch/riscv/csr.h"
#include "arch/riscv/uart.h"
#include "lib/console.h"

/* Bounded wait for the lock in console_quiesce: far longer than any line. */
#define QUIESCE_MAX_TRIES 1000000

/*
 * The console's lock is a raw test-and-set word, deliberately not the
 * PerCpu `struct spinlock` (neuron/spinlock.h) that every other kernel
 * lock is. The console is where audit violations are reported, and an
 * audited spin_lock checks the hart's base register (tp) as it records
 * the holder: a violation *about* tp (poisoned, or a hart not attached
 * yet) would re-enter the audit from inside its own report and never end.
 * For the same reason nothing here touches per-CPU data: a holder is
 * known by its tp value, which is unique per hart and never changes.
 * Taken with interrupts off, so an IPI arriving mid-print cannot
 * deadlock it.
 */
static uint32_t console_lock;
/* tp of the hart holding console_lock, or 0. Written only under the lock. */
static uintptr_t console_owner;

/*
 * Everything the console printed, for a debugger (`neuron dmesg`): a ring
 * of CONSOLE_LOG_SIZE bytes; console_log_written counts every byte ever
 * appended, so the log holds the last min(written, size) of them. Written
 * only under console_lock (or by the one early/panic writer), read by gdb
 * on a halted machine, so plain stores suffice.
 */
#define CONSOLE_LOG_SIZE (16u << 10)
char console_log[CONSOLE_LOG_SIZE];
uint64_t console_log_written;

static void log_append(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_log[(console_log_written + i) % CONSOLE_LOG_SIZE] = s[i];
	console_log_written += n;
}

static bool console_try_lock(void)
{
	return __atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE) == 0;
}

static void emit(const char *s, size_t n)
{
	log_append(s, n);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	uintptr_t me = read_tp();

	/* A panic while this hart prints: the lock can never come free. */
	if (me != 0 && __atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me) {
		emit(s, n);
		return;
	}
	unsigned long was = percpu_arch_irq_save();
	while (!console_try_lock()) {
		while (__atomic_load_n(&console_lock, __ATOMIC_RELAXED))
			asm volatile("" ::: "memory");
	}
	__atomic_store_n(&console_owner, me, __ATOMIC_RELAXED);
	emit(s, n);
	__atomic_store_n(&console_owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
	percpu_arch_irq_restore(was);
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
	uintptr_t me = read_tp();

	/* Holding it ourselves means we got here from inside a print. */
	if (me == 0 || __atomic_load_n(&console_owner, __ATOMIC_RELAXED) != me) {
		for (int i = 0; i < QUIESCE_MAX_TRIES; i++) {
			if (console_try_lock())
				break;
		}
	}
	/* Never released: nothing may print after the exit message. */
	uart_drain();
}
