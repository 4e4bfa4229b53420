/*
 * Inline fast paths of the spinlock audit (audit builds). Included at the
 * end of percpu.h, after the arch layer and the self block they read;
 * spinlock.h declares them and reaches this file through percpu.h.
 *
 * Each is a sufficient condition for "the out-of-line check would find
 * nothing": when it holds, the lock is taken or released with no call;
 * otherwise the unchanged out-of-line check in percpu_audit.c runs and
 * reports exactly as before. Ranked locks (spin_init_ranked) always take
 * the out-of-line path: their order check keeps per-hart state there.
 */
#ifndef NEURON_SPINLOCK_AUDIT_H
#define NEURON_SPINLOCK_AUDIT_H

#if NEURON_AUDIT

/* Taking lock reports nothing: not ranked, interrupts off, this hart
 * attached (identity word valid) and not the lock's holder. */
static inline __attribute__((always_inline)) bool spinlock__audit_lock_ok(const struct spinlock *lock)
{
	uint64_t me = percpu_arch_identity_word();
	return __builtin_expect(lock->rank == 0, 1) &&
	       __builtin_expect((uint32_t)me == PERCPU_STAMP_MAGIC, 1) &&
	       __builtin_expect(!percpu_arch_irqs_enabled(), 1) &&
	       __builtin_expect(atomic_load_explicit(&lock->holder, memory_order_relaxed) !=
				(unsigned)(me >> 32), 1);
}

/* The holder to record: percpu_current_hart_checked()'s fast path (tp
 * xor the self block's key is the identity word) inline. */
static inline __attribute__((always_inline)) unsigned spinlock__audit_holder(void)
{
	uint64_t me = percpu_arch_identity_word();
	if (__builtin_expect(PERCPU_ARCH_LOAD_XOR_BASE(percpu__self,
			__builtin_offsetof(struct percpu_hart_self, key)) == me && me != 0, 1))
		return (unsigned)(me >> 32);
	return percpu_current_hart_checked();
}

/* Releasing lock reports nothing: not ranked, and held by this hart. */
static inline __attribute__((always_inline)) bool spinlock__audit_unlock_ok(const struct spinlock *lock)
{
	uint64_t me = percpu_arch_identity_word();
	return __builtin_expect(lock->rank == 0, 1) &&
	       __builtin_expect((uint32_t)me == PERCPU_STAMP_MAGIC, 1) &&
	       __builtin_expect(atomic_load_explicit(&lock->locked, memory_order_relaxed) != 0, 1) &&
	       __builtin_expect(atomic_load_explicit(&lock->holder, memory_order_relaxed) ==
				(unsigned)(me >> 32), 1);
}

#endif
#endif
