/*
 * One LTTng-UST event (three integer fields). The driver (bench/host.py)
 * runs this inside a live snapshot session with the event enabled, and
 * once with no session (the disabled tracepoint).
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "lttng_tp.h"

#include "timing.h"

__attribute__((noinline)) void bench_lttng_event(void);
__attribute__((noinline)) void bench_lttng_event(void)
{
	lttng_ust_tracepoint(neuron_bench, remote, 1, 2, 3);
}

int main(int argc, char **argv)
{
	static const struct bench benches[] = { { "lttng_event", bench_lttng_event } };
	return bench_main(argc, argv, benches, 1);
}
