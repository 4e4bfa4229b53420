/*
 * Boot arguments: space-separated key=value pairs from /chosen bootargs.
 * Pure: no kernel dependencies, so a host fuzz target can build it.
 *
 *   scenario=NAME        what to run (default: the first scenario, "selftest")
 *   seed=N               u64, decimal or 0x-hex (default 1)
 *   watchdog_ms=N        per-test limit in guest ms, 1..86400000 (default 5000)
 *   selftest_fail=NAME   force that self-test to report failure
 *   selftest_hang=NAME   make that self-test hang (the watchdog must fire)
 *   audit=continue|panic audit builds: on a PerCpu violation, record and carry on,
 *                        or panic (default); release builds accept it, no effect
 *   steal_k=N            most tasks one steal attempt moves, 1..16 (default 1)
 *   fault=NAME           test only: break one scheduler mechanism (kernel/proof/fault.h)
 *   trace_records=N      audit builds: records per hart trace ring, a power of two
 *                        from 16 to NEURON_TRACE_RING_RECORDS (default: that maximum)
 *   trace_mode=overwrite|stop  a full ring overwrites its oldest record (default) or stops
 *   trace_stream=0|1     at scenario end, write the rings over the console (default 0)
 *   stress_rounds=N      scenario=stress: N rounds of its 10,000 tasks, 1..BOOTARGS_MAX_STRESS_ROUNDS
 *                        (default 1; a long run for the trace drain)
 *   trace_drain=0|1      audit builds: drain every ring to the host through semihosting
 *                        while the scenario runs, so nothing is lost (default 0: the
 *                        rings are a flight recorder of the last records)
 *   violation=NAME       audit builds: run one case of the violation suite instead of
 *                        the scenario (kernel/proof/violations/list.h); release: exit 2
 *   storm_ipis=N         scenario=storm: at least N call IPIs in all, spread evenly
 *                        over every (sender, target) pair, 1..BOOTARGS_MAX_STORM_IPIS
 *                        (default: the scenario's own small size)
 *   entry_race=0|1       test only: start the highest secondary at _start with a1 = the
 *                        DTB, as OpenSBI 1.1's hart_start race does (it must join as a
 *                        secondary; kernel/README.md, "Second entry")
 *
 * Anything else is an error; nothing is silently ignored or truncated.
 */
#ifndef NEURON_BOOTARGS_H
#define NEURON_BOOTARGS_H

#include <stddef.h>
#include <stdint.h>

#define BOOTARGS_MAX_LEN 1024
#define BOOTARGS_NONE ((size_t)-1)
#define BOOTARGS_DEFAULT_SEED 1
#define BOOTARGS_DEFAULT_WATCHDOG_MS 5000
#define BOOTARGS_MAX_WATCHDOG_MS 86400000u
#define BOOTARGS_DEFAULT_STEAL_K 1
#define BOOTARGS_MAX_STEAL_K 16
#ifndef NEURON_TRACE_RING_RECORDS
#define NEURON_TRACE_RING_RECORDS 4096 /* trace/CMakeLists.txt sets the build's value */
#endif
#define BOOTARGS_MIN_TRACE_RECORDS 16
#define BOOTARGS_MAX_STORM_IPIS 10000000u
#define BOOTARGS_MAX_STRESS_ROUNDS 100000u

enum bootargs_status {
	BOOTARGS_OK = 0,
	BOOTARGS_TOO_LONG,
	BOOTARGS_BAD_CHARACTER,
	BOOTARGS_MISSING_EQUALS,
	BOOTARGS_UNKNOWN_KEY,
	BOOTARGS_DUPLICATE_KEY,
	BOOTARGS_BAD_NUMBER,
	BOOTARGS_OUT_OF_RANGE,
	BOOTARGS_UNKNOWN_SCENARIO,
	BOOTARGS_UNKNOWN_SELFTEST,
	BOOTARGS_UNKNOWN_FAULT,
	BOOTARGS_BAD_AUDIT_MODE,
	BOOTARGS_BAD_TRACE_RECORDS,
	BOOTARGS_BAD_TRACE_MODE,
	BOOTARGS_BAD_FLAG,
	BOOTARGS_UNKNOWN_VIOLATION,
};

/* The names the parser accepts; scenarios[0] is the default. */
struct bootargs_vocabulary {
	const char *const *scenarios;
	size_t scenario_count;
	const char *const *selftests;
	size_t selftest_count;
	const char *const *faults; /* faults[0] is "none" */
	size_t fault_count;
	const char *const *violations; /* the violation suite's cases */
	size_t violation_count;
};

struct bootargs {
	size_t scenario;      /* index into vocabulary scenarios */
	uint64_t seed;
	uint32_t watchdog_ms;
	size_t selftest_fail; /* index into vocabulary selftests, or BOOTARGS_NONE */
	size_t selftest_hang; /* same */
	int audit_continue;   /* audit=continue */
	uint32_t steal_k;
	size_t fault;         /* index into vocabulary faults; 0 = none */
	uint32_t trace_records; /* 0: the build's NEURON_TRACE_RING_RECORDS */
	int trace_mode_stop;    /* trace_mode=stop */
	int trace_stream;       /* trace_stream=1 */
	size_t violation;       /* index into vocabulary violations, or BOOTARGS_NONE */
	uint32_t storm_ipis;    /* 0: the storm scenario's default size */
	int entry_race;         /* entry_race=1 */
	int trace_drain;        /* trace_drain=1 */
	uint32_t stress_rounds; /* 0: one round */
};

/* Where parsing stopped: the offending key=value token. */
struct bootargs_error {
	enum bootargs_status status;
	size_t offset; /* of the token in the command line */
	size_t length; /* of the token */
};

/*
 * Parses cmdline[0..len) (need not be NUL-terminated). On success fills
 * out and returns BOOTARGS_OK; otherwise fills err and leaves out with
 * defaults. Precondition: vocabulary has at least one scenario.
 */
enum bootargs_status bootargs_parse(const char *cmdline, size_t len,
				    const struct bootargs_vocabulary *vocab,
				    struct bootargs *out, struct bootargs_error *err);

/* "unknown argument", "bad number in", ...: reads well before 'token'. */
const char *bootargs_status_text(enum bootargs_status status);

#endif
