/*
 * The per-hart tick: TICK_HZ interrupts per second of guest time, driven
 * by SBI set_timer against the timebase from the DTB.
 */
#ifndef NEURON_TIMER_H
#define NEURON_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TICK_HZ 100

/* Precondition: boot hart, once, before any hart starts its tick. */
void timer_init(uint64_t timebase_hz);
uint64_t timer_timebase_hz(void);

/* Programs the first tick on the calling hart and enables STIE. */
void timer_start_this_hart(void);
/* From the trap dispatcher only. */
void timer_handle_tick(void);

/* Guest time in timebase units, and conversions. */
uint64_t timer_now(void);
uint64_t timer_ms_to_time(uint64_t ms);
uint64_t timer_time_to_ms(uint64_t time);

/*
 * Waits until done(arg) is true or timeout_ms of guest time passed,
 * sleeping in wfi between checks (a spinning hart would starve the
 * others under -icount). Returns done(arg)'s last value.
 * Precondition: interrupts enabled and the tick running on this hart,
 * so that wfi always wakes up within one tick.
 */
bool timer_wait_until(bool (*done)(const void *arg), const void *arg, uint64_t timeout_ms);

/* Sleeps for ms of guest time (same precondition). */
void timer_sleep_ms(uint64_t ms);

#endif
