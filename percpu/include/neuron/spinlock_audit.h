/*
 * Inline fast paths of the spinlock audit (audit builds). Included at the
 * end of percpu.h, after the arch layer and the self block they read;
 * spinlock.h declares them and reaches this file through percpu.h.
 *
 * Each is a sufficient condition for "the out-of-line check would find
 * nothing": when it holds, the lock is taken or released with no call;
 * otherwise the unchanged out-of-line check in percpu_audit.c runs and
 * reports exactly as before. A ranked lock (spin_init_ranked) takes the
 * fast path when this hart holds no other ranked lock (nothing to order
 * it against), and its release when it is the only one held.
 */
#ifndef NEURON_SPINLOCK_AUDIT_H
#define NEURON_SPINLOCK_AUDIT_H

#if NEURON_AUDIT

/* Each hart's ranked locks now held (percpu_audit.c keeps them) and how
 * many entries are in use. */
#define SPINLOCK_RANKED_HELD_MAX 4
extern const struct spinlock *spinlock__ranked_held[NEURON_MAX_HARTS][SPINLOCK_RANKED_HELD_MAX];
extern uint32_t spinlock__ranked_count[NEURON_MAX_HARTS];

/* Taking lock reports nothing: this hart attached (identity word valid),
 * interrupts off, not the lock's holder, and the lock not ranked or no
 * ranked lock held (then it is recorded as held, as the checker would). */
static inline __attribute__((always_inline)) bool spinlock__audit_lock_ok(struct spinlock *lock,
									    uint64_t me)
{
	unsigned hart = (unsigned)(me >> 32);
	if (!(__builtin_expect((uint32_t)me == PERCPU_STAMP_MAGIC, 1) &&
	      __builtin_expect(hart < NEURON_MAX_HARTS, 1) &&
	      __builtin_expect(!percpu_arch_irqs_enabled(), 1) &&
	      __builtin_expect(atomic_load_explicit(&lock->holder, memory_order_relaxed) != hart, 1)))
		return false;
	if (lock->rank == 0)
		return true;
	if (spinlock__ranked_count[hart] != 0)
		return false;
	spinlock__ranked_held[hart][0] = lock;
	spinlock__ranked_count[hart] = 1;
	return true;
}

/* The holder to record: percpu_current_hart_checked()'s fast path (tp
 * xor the self block's key is the identity word) inline. */
static inline __attribute__((always_inline)) unsigned spinlock__audit_holder(uint64_t me)
{
	if (__builtin_expect(PERCPU_ARCH_LOAD_XOR_BASE(percpu__self,
			__builtin_offsetof(struct percpu_hart_self, key)) == me && me != 0, 1))
		return (unsigned)(me >> 32);
	return percpu_current_hart_checked();
}

/* Releasing lock reports nothing: held by this hart, interrupts still
 * off (they were when it was taken), no scoped borrow
 * open on this hart (the out-of-line check looks the lock up among
 * them) unless the release is the end of the innermost borrow, whose
 * entry its end has just removed (borrow_ended: no other open borrow
 * can hold the same lock, taking it twice is a self-deadlock), and not
 * ranked or the only ranked lock recorded (then the record is dropped). */
static inline __attribute__((always_inline)) bool spinlock__audit_unlock_ok(struct spinlock *lock,
									      bool borrow_ended)
{
	uint64_t me = percpu_arch_identity_word();
	unsigned hart = (unsigned)(me >> 32);
	if (!(__builtin_expect((uint32_t)me == PERCPU_STAMP_MAGIC, 1) &&
	      __builtin_expect(hart < NEURON_MAX_HARTS, 1) &&
	      __builtin_expect(atomic_load_explicit(&lock->locked, memory_order_relaxed) != 0, 1) &&
	      __builtin_expect(atomic_load_explicit(&lock->holder, memory_order_relaxed) == hart, 1) &&
	      __builtin_expect(!percpu_arch_irqs_enabled(), 1) &&
	      __builtin_expect(borrow_ended || PERCPU_ARCH_LOAD_RAW(percpu__self, 4,
			__builtin_offsetof(struct percpu_hart_self, borrows_open)) == 0, 1)))
		return false;
	if (lock->rank == 0)
		return true;
	if (spinlock__ranked_count[hart] != 1 || spinlock__ranked_held[hart][0] != lock)
		return false;
	spinlock__ranked_held[hart][0] = NULL;
	spinlock__ranked_count[hart] = 0;
	return true;
}

#endif
#endif
