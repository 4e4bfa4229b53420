/*
 * The self-test harness: tests listed in list.h run one after another on
 * the boot hart, under the watchdog, and report KTAP version 1.
 */
#ifndef NEURON_SELFTEST_H
#define NEURON_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/bootargs.h"

struct selftest {
	const char *name;
	unsigned number;      /* KTAP test number, from 1 */
	unsigned failures;    /* checks that failed so far */
	const struct bootargs *args;
	/* PerCpu audit violations the test caused on purpose and checked
	 * itself; the runner counts every other one as a failure. */
	unsigned provoked_violations;
	/* Set by SELFTEST_SKIP: the test could not run here, and says why. */
	const char *skip_reason;
};

#define SELFTEST(name, min_harts, description) void selftest_##name(struct selftest *t);
#include "proof/selftest/list.h"
#undef SELFTEST

extern const char *const selftest_names[];
extern const unsigned selftest_count;

/* Prints a "# name: ..." diagnostic line. */
void selftest_diag(struct selftest *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks the whole test skipped ("ok N name # SKIP reason"); reason is a literal. */
#define SELFTEST_SKIP(t, reason) ((t)->skip_reason = (reason))

/* Fails the test with a diagnostic saying what was expected and seen. */
#define SELFTEST_FAIL(t, ...)                  \
	do {                                   \
		(t)->failures++;               \
		selftest_diag((t), __VA_ARGS__); \
	} while (0)

/* Checks cond; on failure counts it and prints the diagnostic. Returns cond. */
#define SELFTEST_CHECK(t, cond, ...)           \
	({                                     \
		bool ok_ = (cond);             \
		if (!ok_)                      \
			SELFTEST_FAIL(t, __VA_ARGS__); \
		ok_;                           \
	})

#endif
