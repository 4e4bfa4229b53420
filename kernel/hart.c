#include "arch/riscv/csr.h"
#include "hart.h"
#include "percpu_areas.h"

/* Initialised: lives in .tdata, so every area starts with this value. */
static __thread uint64_t area_magic __attribute__((used)) = HART_AREA_MAGIC;
static __thread unsigned self_id;
static __thread const char *context;
static __thread uint64_t timer_ticks;
static __thread uint64_t next_tick_time;
static __thread uint64_t ipis_handled;
static __thread uint64_t isolation_stamp;

void hart_init_this(unsigned hartid)
{
	self_id = hartid;
	context = "boot";
}

unsigned hart_id(void)
{
	return self_id;
}

int hart_id_if_known(void)
{
	return read_tp() ? (int)self_id : -1;
}

const char *hart_context(void)
{
	return context;
}

void hart_set_context(const char *what)
{
	context = what;
}

uint64_t hart_timer_ticks(void)
{
	return timer_ticks;
}

void hart_count_timer_tick(void)
{
	__atomic_store_n(&timer_ticks, timer_ticks + 1, __ATOMIC_RELAXED);
}

uint64_t hart_next_tick_time(void)
{
	return next_tick_time;
}

void hart_set_next_tick_time(uint64_t time)
{
	next_tick_time = time;
}

void hart_count_ipi(void)
{
	__atomic_store_n(&ipis_handled, ipis_handled + 1, __ATOMIC_RELAXED);
}

void hart_set_isolation_stamp(uint64_t value)
{
	__atomic_store_n(&isolation_stamp, value, __ATOMIC_RELAXED);
}

#define REMOTE(hart, var, type) \
	__atomic_load_n((type *)(percpu_area_base(hart) + PERCPU_TPREL_OFFSET(var)), __ATOMIC_RELAXED)

unsigned hart_remote_id(unsigned hart)
{
	return REMOTE(hart, self_id, unsigned);
}

uint64_t hart_remote_area_magic(unsigned hart)
{
	return REMOTE(hart, area_magic, uint64_t);
}

uint64_t hart_remote_timer_ticks(unsigned hart)
{
	return REMOTE(hart, timer_ticks, uint64_t);
}

uint64_t hart_remote_ipis(unsigned hart)
{
	return REMOTE(hart, ipis_handled, uint64_t);
}

uint64_t hart_remote_isolation_stamp(unsigned hart)
{
	return REMOTE(hart, isolation_stamp, uint64_t);
}

uintptr_t hart_id_offset(void)
{
	return PERCPU_TPREL_OFFSET(self_id);
}

uintptr_t hart_isolation_stamp_offset(void)
{
	return PERCPU_TPREL_OFFSET(isolation_stamp);
}

uintptr_t hart_id_address(void)
{
	return (uintptr_t)&self_id;
}
