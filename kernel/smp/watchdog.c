#include <stdbool.h>

#include "boot/shutdown.h"
#include "lib/kprintf.h"
#include "smp/hart.h"
#include "smp/hart_watch.h"
#include "smp/timer.h"
#include "smp/watchdog.h"

/*
 * Written by the boot hart with the deadline last (release), read by
 * every hart's tick (acquire): a hart that sees the deadline sees the rest.
 */
static unsigned armed_ktap_number;
static const char *armed_name;
static uint32_t armed_limit_ms;
static uint64_t armed_deadline; /* 0: disarmed */
static uint32_t fired;

void watchdog_arm(unsigned ktap_number, const char *name, uint32_t limit_ms)
{
	__atomic_store_n(&armed_deadline, 0, __ATOMIC_RELEASE);
	armed_ktap_number = ktap_number;
	armed_name = name;
	armed_limit_ms = limit_ms;
	__atomic_store_n(&armed_deadline, timer_now() + timer_ms_to_time(limit_ms),
			 __ATOMIC_RELEASE);
}

void watchdog_disarm(void)
{
	__atomic_store_n(&armed_deadline, 0, __ATOMIC_RELEASE);
}

void watchdog_check(uint64_t now)
{
	uint64_t deadline = __atomic_load_n(&armed_deadline, __ATOMIC_ACQUIRE);

	if (deadline == 0 || now < deadline)
		return;
	/* Several harts can see it expire in the same tick: one reports. */
	if (__atomic_exchange_n(&fired, 1, __ATOMIC_ACQ_REL))
		return;
	if (armed_ktap_number)
		kprintf("not ok %u %s # watchdog: no progress in %u ms\n", armed_ktap_number,
			armed_name, armed_limit_ms);
	kprintf("neuron: watchdog: '%s' did not finish within %u ms of guest time "
		"(noticed by hart %u)\n",
		armed_name, armed_limit_ms, hart_id());
	hart_watch_report();
	kernel_exit(EXIT_WATCHDOG);
}
