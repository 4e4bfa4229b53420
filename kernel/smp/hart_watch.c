#include <neuron/spinlock.h>

#include "arch/riscv/csr.h"
#include "boot/percpu_areas.h"
#include "lib/format.h"
#include "lib/kprintf.h"
#include "smp/hart_watch.h"
#include "smp/smp.h"
#include "smp/timer.h"

struct hart_sighting {
	uint64_t tick_time;		/* 0: no tick yet */
	uint64_t ticks;
	uintptr_t tick_pc;
	const char *context;
	const struct spinlock *waiting_for;	/* NULL: not spinning */
	const char *wait_file;
	unsigned wait_line;
	uint64_t wait_since;
};
static struct hart_sighting sightings[NEURON_MAX_HARTS];

/* The hart whose area tp points at; PERCPU_NO_HART before areas exist.
 * From tp, not from PerCpu: the lock-wait hook runs inside spin_lock. */
static unsigned hart_of_tp(void)
{
	/* percpu-lint: allow raw-area: tp is compared with the area bases to name a hart, nothing is read through them */
	uintptr_t tp = read_tp(), first = (uintptr_t)percpu_area_base(0);
	size_t size = percpu_area_size();
	if (!first || !size || tp < first || (tp - first) % size)
		return PERCPU_NO_HART;
	uintptr_t index = (tp - first) / size;
	return index < NEURON_MAX_HARTS ? (unsigned)index : PERCPU_NO_HART;
}

#define STORE(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELAXED)
#define LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

void hart_watch_tick(uintptr_t pc)
{
	unsigned h = hart_of_tp();
	if (h == PERCPU_NO_HART)
		return;
	STORE(sightings[h].tick_pc, pc);
	STORE(sightings[h].tick_time, timer_now());
	STORE(sightings[h].ticks, LOAD(sightings[h].ticks) + 1);
}

void hart_watch_context(const char *what)
{
	unsigned h = hart_of_tp();
	if (h != PERCPU_NO_HART)
		STORE(sightings[h].context, what);
}

/* neuron/spinlock.h's hook: called only when a lock was found taken. */
void percpu_platform_lock_wait(const struct spinlock *lock, const char *file, unsigned line)
{
	unsigned h = hart_of_tp();
	if (h == PERCPU_NO_HART)
		return;
	if (lock) {
		STORE(sightings[h].wait_file, file);
		STORE(sightings[h].wait_line, line);
		STORE(sightings[h].wait_since, timer_now());
	}
	STORE(sightings[h].waiting_for, lock);
}

static void describe_lock(const struct spinlock *lock, char *out, size_t size)
{
#if NEURON_AUDIT
	unsigned holder = atomic_load_explicit(&lock->holder, memory_order_relaxed);
	if (holder == SPINLOCK_NO_HOLDER)
		ksnprintf(out, size, "%s at %p, holder not recorded yet", lock->name, (const void *)lock);
	else
		ksnprintf(out, size, "%s at %p, held by hart %u", lock->name, (const void *)lock, holder);
#else
	ksnprintf(out, size, "lock at %p (release builds keep no name or holder)", (const void *)lock);
#endif
}

void hart_watch_report(void)
{
	uint64_t now = timer_now();

	for (unsigned i = 0; i < smp_dtb_hart_count(); i++) {
		unsigned h = smp_dtb_hart(i);
		struct hart_sighting *s = &sightings[h];
		const char *context = LOAD(s->context);
		uint64_t tick = LOAD(s->tick_time);
		char seen[80] = "no tick seen", waiting[160] = "not spinning on a lock";

		if (!smp_is_online(h)) {
			kprintf("neuron: watchdog: hart %u: never came online\n", h);
			continue;
		}
		/* A tick that landed after `now` was read is 0 ms ago. */
		if (tick)
			ksnprintf(seen, sizeof(seen), "tick %lu, %lu ms ago, at pc 0x%lx", LOAD(s->ticks),
				  tick < now ? timer_time_to_ms(now - tick) : 0, LOAD(s->tick_pc));
		const struct spinlock *lock = LOAD(s->waiting_for);
		if (lock) {
			char what[112];
			describe_lock(lock, what, sizeof(what));
			ksnprintf(waiting, sizeof(waiting), "spinning %lu ms on %s, taken at %s:%u",
				  LOAD(s->wait_since) < now ? timer_time_to_ms(now - LOAD(s->wait_since)) : 0,
				  what, LOAD(s->wait_file),
				  LOAD(s->wait_line));
		}
		kprintf("neuron: watchdog: hart %u: %s; %s; %s\n", h, context ? context : "?", seen,
			waiting);
	}
}
