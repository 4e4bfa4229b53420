#include "arch/riscv/csr.h"
#include "arch/riscv/sbi.h"
#include "lib/panic.h"
#include "smp/hart.h"
#include "smp/timer.h"
#include "smp/watchdog.h"

static uint64_t timebase_hz;
static uint64_t tick_interval;

void timer_init(uint64_t hz)
{
	timebase_hz = hz;
	tick_interval = hz / TICK_HZ;
}

uint64_t timer_timebase_hz(void)
{
	return timebase_hz;
}

uint64_t timer_now(void)
{
	return rdtime();
}

uint64_t timer_ms_to_time(uint64_t ms)
{
	return ms * timebase_hz / 1000;
}

uint64_t timer_time_to_ms(uint64_t time)
{
	return time * 1000 / timebase_hz;
}

void timer_start_this_hart(void)
{
	uint64_t first = rdtime() + tick_interval;
	hart_set_next_tick_time(first);
	sbi_set_timer(first);
	csr_set(sie, SIE_STIE);
}

void timer_handle_tick(void)
{
	uint64_t now = rdtime();
	uint64_t next = hart_next_tick_time() + tick_interval;

	/* Keep a fixed cadence; after a long stall, restart it from now. */
	if (next <= now)
		next = now + tick_interval;
	hart_set_next_tick_time(next);
	sbi_set_timer(next);
	hart_count_timer_tick();
	watchdog_check(now);
}

bool timer_wait_until(bool (*done)(const void *arg), const void *arg, uint64_t timeout_ms)
{
	ASSERT(percpu_arch_irqs_enabled());
	uint64_t deadline = rdtime() + timer_ms_to_time(timeout_ms);

	while (!done(arg)) {
		if (rdtime() >= deadline)
			return done(arg);
		wfi();
	}
	return true;
}

static bool never(const void *arg)
{
	(void)arg;
	return false;
}

void timer_sleep_ms(uint64_t ms)
{
	timer_wait_until(never, NULL, ms);
}
