#include <stddef.h>

#include <neuron/percpu.h>

#include "smp/hart.h"
#include "smp/hart_watch.h"

/*
 * This hart's own state. Its number is not here: PerCpu keeps a hart's
 * identity (set when the hart attaches) and hart_id() asks it. Fields that
 * other harts read (counters, the isolation stamp) are touched locally only with the percpu_local_*
 * atomics, as docs/concurrency-model.md section 3 requires of any field a
 * remote atomic reads.
 */
struct hart_local {
	const char *context;
	uint64_t next_tick_time;
	_Atomic uint64_t timer_ticks;
	_Atomic uint64_t isolation_stamp;
};
PERCPU_DECLARE(struct hart_local, hart_local);
PERCPU_DEFINE(struct hart_local, hart_local);

void hart_init_this(void)
{
	PERCPU_GUARD(g);
	percpu_write(g, hart_local, context, "boot");
}

unsigned hart_id(void)
{
	PERCPU_GUARD(g);
	return percpu_current_hart(&g);
}

const char *hart_context(void)
{
	PERCPU_GUARD(g);
	return percpu_read(g, hart_local, context);
}

void hart_set_context(const char *what)
{
	PERCPU_GUARD(g);
	percpu_write(g, hart_local, context, what);
	hart_watch_context(what);
}

uint64_t hart_timer_ticks(void)
{
	PERCPU_GUARD(g);
	return percpu_local_load(g, hart_local, timer_ticks, relaxed);
}

void hart_count_timer_tick(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_local_fetch_add(g, hart_local, timer_ticks, 1, relaxed);
}

uint64_t hart_next_tick_time(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, hart_local, next_tick_time);
}

void hart_set_next_tick_time(uint64_t time)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, hart_local, next_tick_time, time);
}

void hart_set_isolation_stamp(uint64_t value)
{
	PERCPU_GUARD(g);
	percpu_local_store(g, hart_local, isolation_stamp, value, relaxed);
}

uint64_t hart_remote_timer_ticks(unsigned hart)
{
	return percpu_remote_load(hart_local, hart, timer_ticks, relaxed, stats);
}

uint64_t hart_remote_isolation_stamp(unsigned hart)
{
	return percpu_remote_load(hart_local, hart, isolation_stamp, relaxed, stats);
}

/* The slot's offset in every area plus the value's offset in the slot
 * (non-zero in audit builds, where the stamp comes first). */
static uintptr_t value_offset(void)
{
	/* percpu-lint: allow raw-area: an offset for the trace reader and gdb scripts, which read the areas from outside */
	return percpu_area_value_offset(hart_local);
}

uintptr_t hart_isolation_stamp_offset(void)
{
	return value_offset() + offsetof(struct hart_local, isolation_stamp);
}

uintptr_t hart_isolation_stamp_address(void)
{
	PERCPU_GUARD(g);
	return (uintptr_t)&percpu_local(g, hart_local)->isolation_stamp;
}
