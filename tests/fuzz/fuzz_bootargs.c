/*
 * libFuzzer target: bootargs_parse (kernel/boot/bootargs.c) on any bytes.
 *
 * Beyond "no crash, no out-of-bounds read" (ASan; the input is copied
 * into a heap buffer of exactly its size, no NUL after it), every result
 * must be one the kernel can act on:
 *   - success: every value within its documented range;
 *   - failure: the defaults left in place and an error token that lies
 *     inside the input, so the one-line message can quote it.
 * Parsing the same bytes twice gives the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootargs.h"
#include "fuzz_check.h"

static const char *const scenarios[] = { "selftest", "mixed", "steal" };
static const char *const selftests[] = { "bootargs", "fdt", "harts" };
static const char *const faults[] = { "none", "lost_ipi" };

static const struct bootargs_vocabulary vocabulary = {
	.scenarios = scenarios, .scenario_count = 3,
	.selftests = selftests, .selftest_count = 3,
	.faults = faults, .fault_count = 2,
};

static void check_in_range(const struct bootargs *a)
{
	FUZZ_CHECK(a->scenario < vocabulary.scenario_count);
	FUZZ_CHECK(a->watchdog_ms >= 1 && a->watchdog_ms <= BOOTARGS_MAX_WATCHDOG_MS);
	FUZZ_CHECK(a->selftest_fail == BOOTARGS_NONE || a->selftest_fail < vocabulary.selftest_count);
	FUZZ_CHECK(a->selftest_hang == BOOTARGS_NONE || a->selftest_hang < vocabulary.selftest_count);
	FUZZ_CHECK(a->audit_continue == 0 || a->audit_continue == 1);
	FUZZ_CHECK(a->steal_k >= 1 && a->steal_k <= BOOTARGS_MAX_STEAL_K);
	FUZZ_CHECK(a->fault < vocabulary.fault_count);
	FUZZ_CHECK(a->trace_records == 0 ||
		   (a->trace_records >= BOOTARGS_MIN_TRACE_RECORDS &&
		    a->trace_records <= NEURON_TRACE_RING_RECORDS &&
		    (a->trace_records & (a->trace_records - 1)) == 0));
	FUZZ_CHECK(a->trace_mode_stop == 0 || a->trace_mode_stop == 1);
	FUZZ_CHECK(a->trace_stream == 0 || a->trace_stream == 1);
}

static void check_defaults(const struct bootargs *a)
{
	FUZZ_CHECK(a->scenario == 0 && a->seed == BOOTARGS_DEFAULT_SEED);
	FUZZ_CHECK(a->watchdog_ms == BOOTARGS_DEFAULT_WATCHDOG_MS);
	FUZZ_CHECK(a->selftest_fail == BOOTARGS_NONE && a->selftest_hang == BOOTARGS_NONE);
	FUZZ_CHECK(a->steal_k == BOOTARGS_DEFAULT_STEAL_K && a->fault == 0);
	FUZZ_CHECK(a->trace_records == 0 && !a->trace_mode_stop && !a->trace_stream);
}

/* Field by field: the struct's padding bytes are unspecified. */
static int same_args(const struct bootargs *a, const struct bootargs *b)
{
	return a->scenario == b->scenario && a->seed == b->seed && a->watchdog_ms == b->watchdog_ms &&
	       a->selftest_fail == b->selftest_fail && a->selftest_hang == b->selftest_hang &&
	       a->audit_continue == b->audit_continue && a->steal_k == b->steal_k &&
	       a->fault == b->fault && a->trace_records == b->trace_records &&
	       a->trace_mode_stop == b->trace_mode_stop && a->trace_stream == b->trace_stream;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* malloc(0) may return NULL; one spare byte keeps the pointer valid, unread. */
	char *cmdline = malloc(size ? size : 1);
	FUZZ_CHECK(cmdline != NULL);
	memcpy(cmdline, data, size);

	struct bootargs args, again;
	struct bootargs_error err, err_again;
	enum bootargs_status st = bootargs_parse(cmdline, size, &vocabulary, &args, &err);
	enum bootargs_status st_again = bootargs_parse(cmdline, size, &vocabulary, &again, &err_again);

	FUZZ_CHECK(st == st_again && same_args(&args, &again));
	FUZZ_CHECK(err.status == st && err.offset == err_again.offset && err.length == err_again.length);
	FUZZ_CHECK(bootargs_status_text(st) != NULL);
	if (st == BOOTARGS_OK) {
		check_in_range(&args);
	} else {
		check_defaults(&args);
		if (st == BOOTARGS_TOO_LONG) {
			FUZZ_CHECK(size > BOOTARGS_MAX_LEN && err.offset == 0);
		} else {
			/* The offending token: inside the input, not empty. */
			FUZZ_CHECK(size <= BOOTARGS_MAX_LEN);
			FUZZ_CHECK(err.length >= 1 && err.offset < size && err.length <= size - err.offset);
		}
	}
	free(cmdline);
	return 0;
}
