#include "scenario.h"
#include "sched/fault.h"
#include "sched/inversion.h"
#include "trace/trace.h"

const char *const scenario_names[] = {
#define SCENARIO(name, description) #name,
#include "scenario_list.h"
#undef SCENARIO
};

const size_t scenario_count = sizeof(scenario_names) / sizeof(scenario_names[0]);

static int (*const scenario_entry[])(const struct bootargs *) = {
#define SCENARIO(name, description) scenario_##name,
#include "scenario_list.h"
#undef SCENARIO
};

int scenario_run(size_t index, const struct bootargs *args)
{
	trace_start(args);
	/* Test only: the injected ABBA replaces whatever scenario was named. */
	int status = fault_active(FAULT_lock_inversion) ? inversion_run(args)
							: scenario_entry[index](args);
	trace_finish(status);
	return status;
}
