/*
 * A test-and-set spinlock taken with supervisor interrupts off, so an
 * interrupt handler on the same hart can never spin on a lock its own
 * hart holds. Hold it briefly: under -icount a spinning hart slows the
 * holder down.
 */
#ifndef NEURON_LIB_SPINLOCK_H
#define NEURON_LIB_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/riscv/csr.h"

struct spinlock {
	uint32_t locked;
};

static inline bool spinlock_try(struct spinlock *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

/* Returns the interrupt state to hand to spinlock_release_irqrestore(). */
static inline unsigned long spinlock_acquire_irqsave(struct spinlock *l)
{
	unsigned long was = intr_save_off();
	while (!spinlock_try(l)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			asm volatile("" ::: "memory");
	}
	return was;
}

static inline void spinlock_release_irqrestore(struct spinlock *l, unsigned long was)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	intr_restore(was);
}

#endif
