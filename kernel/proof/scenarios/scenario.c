#include "proof/fault.h"
#include "proof/scenarios/inversion.h"
#include "proof/scenarios/scenario.h"
#include "smp/watchdog.h"
#include "trace/trace.h"

const char *const scenario_names[] = {
#define SCENARIO(name, description) #name,
#include "proof/scenarios/list.h"
#undef SCENARIO
};

const size_t scenario_count = sizeof(scenario_names) / sizeof(scenario_names[0]);

static int (*const scenario_entry[])(const struct bootargs *) = {
#define SCENARIO(name, description) scenario_##name,
#include "proof/scenarios/list.h"
#undef SCENARIO
};

/*
 * A whole scenario gets this much guest time, or watchdog_ms if that is
 * longer: the slowest clean boot (stress on 8 harts without icount) takes
 * about 10 s. A hang then ends with the watchdog's per-hart lines instead
 * of the runner's timeout.
 */
#define SCENARIO_WATCHDOG_MS 60000u

int scenario_run(size_t index, const struct bootargs *args)
{
	uint32_t limit = args->watchdog_ms > SCENARIO_WATCHDOG_MS ? args->watchdog_ms
								  : SCENARIO_WATCHDOG_MS;
	trace_start(args);
	/* The self-test runner arms the watchdog per test itself. */
	if (scenario_entry[index] != scenario_selftest)
		watchdog_arm(0, scenario_names[index], limit);
	/* Test only: the injected ABBA replaces whatever scenario was named. */
	int status = FAULT_INJECTED(lock_inversion) ? inversion_run(args)
							: scenario_entry[index](args);
	watchdog_disarm();
	trace_finish(status);
	return status;
}
