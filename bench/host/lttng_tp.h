/* One LTTng-UST tracepoint with three integer fields, shaped like the
 * audit's remote-access record (owner hart, variable, call site). */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER neuron_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./lttng_tp.h"

#if !defined(NEURON_BENCH_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define NEURON_BENCH_LTTNG_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(
	neuron_bench, remote,
	LTTNG_UST_TP_ARGS(int, owner, int, var, int, site),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, owner, owner)
		lttng_ust_field_integer(int, var, var)
		lttng_ust_field_integer(int, site, site)
	)
)

#endif

#include <lttng/tracepoint-event.h>
