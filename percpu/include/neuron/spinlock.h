/*
 * Spinlock used by the kernel and by PerCpu remote access.
 *
 * Rules (docs/concurrency-model.md): take a spinlock only with interrupts
 * off on this hart (an interrupt handler taking the same lock would
 * otherwise deadlock against its own hart); never hold one across `sret`;
 * runqueue locks are taken in ascending hart order.
 *
 * Audit builds record the holder hart, so PerCpu remote access can check
 * that "the lock that protects this instance" is really held by the hart
 * making the access, and spin_lock() catches self-deadlock and a lock
 * taken with interrupts on.
 */
#ifndef NEURON_SPINLOCK_H
#define NEURON_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef NEURON_AUDIT
#error "NEURON_AUDIT must be defined to 0 or 1 (the neuron-percpu target does it)"
#endif

#define SPINLOCK_NO_HOLDER 0xffffffffu

struct spinlock {
	atomic_uint locked;
#if NEURON_AUDIT
	atomic_uint holder;	/* hart id, or SPINLOCK_NO_HOLDER */
	const char *name;
	unsigned rank;		/* 0: unranked; else spin_init_ranked's hart + 1 */
#endif
};

#if NEURON_AUDIT
#define SPINLOCK_INIT(lock_name) { 0, SPINLOCK_NO_HOLDER, lock_name, 0 }
unsigned percpu_current_hart_checked(void);	/* percpu_audit.c */
void spinlock__audit_acquire(struct spinlock *lock, const char *file, unsigned line);
void spinlock__audit_release(struct spinlock *lock, const char *file, unsigned line);
bool spin_held_by_current_hart(const struct spinlock *lock);
/* Inline fast paths: neuron/spinlock_audit.h, through percpu.h. */
static inline bool spinlock__audit_lock_ok(struct spinlock *lock, uint64_t me);
static inline unsigned spinlock__audit_holder(uint64_t me);
static inline uint64_t percpu_arch_identity_word(void);	/* neuron/arch/ */
static inline bool spinlock__audit_unlock_ok(struct spinlock *lock, bool borrow_ended);
#else
#define SPINLOCK_INIT(lock_name) { 0 }
#endif

/* Call once before use when the lock was not statically initialised. */
static inline void spin_init(struct spinlock *lock, const char *name)
{
	atomic_init(&lock->locked, 0);
#if NEURON_AUDIT
	atomic_init(&lock->holder, SPINLOCK_NO_HOLDER);
	lock->name = name;
	lock->rank = 0;
#else
	(void)name;
#endif
}

/*
 * A lock of a class whose members are taken in ascending hart order (the
 * runqueue locks): the class is the name (same pointer), the rank the
 * hart. Audit builds report, before spinning, a lock taken while this
 * hart holds one of its class with an equal or higher hart.
 */
static inline void spin_init_ranked(struct spinlock *lock, const char *name, unsigned hart)
{
	spin_init(lock, name);
#if NEURON_AUDIT
	lock->rank = hart + 1;
#else
	(void)hart;
#endif
}

static inline bool spin__try(struct spinlock *lock)
{
	unsigned expected = 0;
	return atomic_compare_exchange_strong_explicit(&lock->locked, &expected, 1,
						       memory_order_acquire, memory_order_relaxed);
}

/*
 * Platform: this hart found `lock` taken at file:line and starts spinning
 * (lock != NULL), or got it after spinning (lock == NULL). Only on
 * contention, so an uncontended lock costs nothing more; the kernel keeps
 * it for the watchdog's "which hart waits for what" lines.
 */
void percpu_platform_lock_wait(const struct spinlock *lock, const char *file, unsigned line);

/* Precondition: interrupts off on this hart, lock not held by this hart.
 * me: this hart's identity word as the caller read it (audit builds; a
 * caller that checked it already passes it on instead of reading it
 * again). */
static inline void spin__lock_as(struct spinlock *lock, const char *file, unsigned line,
				 uint64_t me)
{
#if NEURON_AUDIT
	if (__builtin_expect(!spinlock__audit_lock_ok(lock, me), 0))
		spinlock__audit_acquire(lock, file, line);
#else
	(void)me;
#endif
	if (!spin__try(lock)) {
		percpu_platform_lock_wait(lock, file, line);
		do {
			while (atomic_load_explicit(&lock->locked, memory_order_relaxed))
				;
		} while (!spin__try(lock));
		percpu_platform_lock_wait(NULL, file, line);
	}
#if NEURON_AUDIT
	atomic_store_explicit(&lock->holder, spinlock__audit_holder(me), memory_order_relaxed);
#endif
}

#define spin_lock(lock) spin__lock((lock), __FILE__, __LINE__)
static inline void spin__lock(struct spinlock *lock, const char *file, unsigned line)
{
#if NEURON_AUDIT
	spin__lock_as(lock, file, line, percpu_arch_identity_word());
#else
	spin__lock_as(lock, file, line, 0);
#endif
}

/* Precondition: lock held by this hart. */
#define spin_unlock(lock) spin__unlock((lock), __FILE__, __LINE__)
static inline void spin__unlock_as(struct spinlock *lock, const char *file, unsigned line,
				   bool borrow_ended)
{
#if NEURON_AUDIT
	if (__builtin_expect(!spinlock__audit_unlock_ok(lock, borrow_ended), 0))
		spinlock__audit_release(lock, file, line);
	atomic_store_explicit(&lock->holder, SPINLOCK_NO_HOLDER, memory_order_relaxed);
#else
	(void)file; (void)line; (void)borrow_ended;
#endif
	atomic_store_explicit(&lock->locked, 0, memory_order_release);
}

static inline void spin__unlock(struct spinlock *lock, const char *file, unsigned line)
{
	spin__unlock_as(lock, file, line, false);
}

/* The audit's inline fast paths live beside the arch layer they read. */
#if NEURON_AUDIT
#include <neuron/percpu.h>
#endif

#endif
