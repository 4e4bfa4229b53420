#include "boot/boot.h"
#include "boot/bootargs.h"
#include "lib/string.h"
#include "proof/selftest/selftest.h"

struct bootargs_case {
	const char *cmdline;
	enum bootargs_status status;
	size_t offset;         /* of the offending token, when status != OK */
	uint64_t seed;         /* expected values, when status == OK */
	uint32_t watchdog_ms;
	const char *selftest_fail; /* NULL: none */
	int audit_continue;
	uint32_t steal_k;
	const char *fault;         /* a name from kernel/proof/fault.h */
};

#define OK(line, seed_, wd, fail_)                                                    \
	{ line, BOOTARGS_OK, 0, seed_, wd, fail_, 0, BOOTARGS_DEFAULT_STEAL_K, "none" }
/* The keys the scheduler added: audit=, steal_k=, fault=. */
#define OK_SCHED(line, audit_, steal_k_, fault_)                                      \
	{ line, BOOTARGS_OK, 0, BOOTARGS_DEFAULT_SEED, BOOTARGS_DEFAULT_WATCHDOG_MS, NULL, \
	  audit_, steal_k_, fault_ }
#define BAD(line, st, off) { line, st, off, 0, 0, NULL, 0, 0, NULL }

static const struct bootargs_case cases[] = {
	OK("", 1, 5000, NULL),
	OK("   ", 1, 5000, NULL),
	OK("scenario=selftest seed=42 watchdog_ms=250", 42, 250, NULL),
	OK(" \tseed=0x10\nselftest_fail=timer_ticks ", 16, 5000, "timer_ticks"),
	OK("seed=18446744073709551615", 18446744073709551615ULL, 5000, NULL),
	OK("seed=0xFFFFFFFFFFFFFFFF watchdog_ms=86400000", 18446744073709551615ULL, 86400000, NULL),
	BAD("seed=18446744073709551616", BOOTARGS_BAD_NUMBER, 0),
	BAD("seed=0x1FFFFFFFFFFFFFFFF", BOOTARGS_BAD_NUMBER, 0),
	BAD("sceanrio=x", BOOTARGS_UNKNOWN_KEY, 0),
	BAD("seed=1 seed=2", BOOTARGS_DUPLICATE_KEY, 7),
	BAD("seed", BOOTARGS_MISSING_EQUALS, 0),
	BAD("seed=7 quiet", BOOTARGS_MISSING_EQUALS, 7),
	BAD("seed=", BOOTARGS_BAD_NUMBER, 0),
	BAD("seed=0x", BOOTARGS_BAD_NUMBER, 0),
	BAD("seed=12a", BOOTARGS_BAD_NUMBER, 0),
	BAD("seed=-1", BOOTARGS_BAD_NUMBER, 0),
	BAD("watchdog_ms=0", BOOTARGS_OUT_OF_RANGE, 0),
	BAD("watchdog_ms=86400001", BOOTARGS_OUT_OF_RANGE, 0),
	BAD("scenario=nosuch", BOOTARGS_UNKNOWN_SCENARIO, 0),
	BAD("scenario=", BOOTARGS_UNKNOWN_SCENARIO, 0),
	BAD("seed=3 selftest_hang=nosuch", BOOTARGS_UNKNOWN_SELFTEST, 7),
	BAD("selftest_fail=timer_tick", BOOTARGS_UNKNOWN_SELFTEST, 0),
	BAD("seed=1 =3", BOOTARGS_UNKNOWN_KEY, 7),
	BAD("Seed=1", BOOTARGS_UNKNOWN_KEY, 0),
	BAD("seed=\x01", BOOTARGS_BAD_CHARACTER, 5),
	OK_SCHED("audit=continue", 1, BOOTARGS_DEFAULT_STEAL_K, "none"),
	OK_SCHED("audit=panic", 0, BOOTARGS_DEFAULT_STEAL_K, "none"),
	OK_SCHED("steal_k=1", 0, 1, "none"),
	OK_SCHED("steal_k=16 audit=continue", 1, 16, "none"),
	OK_SCHED("steal_k=0x10", 0, 16, "none"),
	OK_SCHED("fault=none", 0, BOOTARGS_DEFAULT_STEAL_K, "none"),
	OK_SCHED("fault=no_steal steal_k=4", 0, 4, "no_steal"),
	OK_SCHED("fault=digest_drop audit=continue", 1, BOOTARGS_DEFAULT_STEAL_K, "digest_drop"),
	BAD("audit=", BOOTARGS_BAD_AUDIT_MODE, 0),
	BAD("audit=Continue", BOOTARGS_BAD_AUDIT_MODE, 0),
	BAD("seed=2 audit=off", BOOTARGS_BAD_AUDIT_MODE, 7),
	BAD("audit=panic audit=continue", BOOTARGS_DUPLICATE_KEY, 12),
	BAD("steal_k=0", BOOTARGS_OUT_OF_RANGE, 0),
	BAD("steal_k=17", BOOTARGS_OUT_OF_RANGE, 0),
	BAD("steal_k=", BOOTARGS_BAD_NUMBER, 0),
	BAD("steal_k=two", BOOTARGS_BAD_NUMBER, 0),
	BAD("fault=", BOOTARGS_UNKNOWN_FAULT, 0),
	BAD("fault=no_stea", BOOTARGS_UNKNOWN_FAULT, 0),
	BAD("audit=continue fault=NO_STEAL", BOOTARGS_UNKNOWN_FAULT, 15),
	BAD("fault=none fault=none", BOOTARGS_DUPLICATE_KEY, 11),
};

static void check_case(struct selftest *t, const char *line, size_t len,
		       const struct bootargs_case *c, unsigned index)
{
	struct bootargs out;
	struct bootargs_error err;
	enum bootargs_status st = bootargs_parse(line, len, boot_vocabulary(), &out, &err);

	if (!SELFTEST_CHECK(t, st == c->status, "case %u '%.40s': expected '%s', saw '%s'",
			    index, line, bootargs_status_text(c->status), bootargs_status_text(st)))
		return;
	if (st != BOOTARGS_OK) {
		SELFTEST_CHECK(t, err.status == st && err.offset == c->offset,
			       "case %u '%.40s': error offset expected %zu, saw %zu", index, line,
			       c->offset, err.offset);
		return;
	}
	SELFTEST_CHECK(t, out.seed == c->seed, "case %u '%s': seed expected %lu, saw %lu", index,
		       line, c->seed, out.seed);
	SELFTEST_CHECK(t, out.watchdog_ms == c->watchdog_ms,
		       "case %u '%s': watchdog_ms expected %u, saw %u", index, line,
		       c->watchdog_ms, out.watchdog_ms);
	const char *fail = out.selftest_fail == BOOTARGS_NONE
				   ? NULL
				   : boot_vocabulary()->selftests[out.selftest_fail];
	SELFTEST_CHECK(t, (fail == NULL) == (c->selftest_fail == NULL) &&
				  (fail == NULL || strcmp(fail, c->selftest_fail) == 0),
		       "case %u '%s': selftest_fail expected %s, saw %s", index, line,
		       c->selftest_fail ? c->selftest_fail : "none", fail ? fail : "none");
	SELFTEST_CHECK(t, out.audit_continue == c->audit_continue,
		       "case %u '%s': audit_continue expected %d, saw %d", index, line,
		       c->audit_continue, out.audit_continue);
	SELFTEST_CHECK(t, out.steal_k == c->steal_k, "case %u '%s': steal_k expected %u, saw %u",
		       index, line, c->steal_k, out.steal_k);
	const char *fault = out.fault < boot_vocabulary()->fault_count
				    ? boot_vocabulary()->faults[out.fault]
				    : "(out of range)";
	SELFTEST_CHECK(t, strcmp(fault, c->fault) == 0, "case %u '%s': fault expected %s, saw %s",
		       index, line, c->fault, fault);
	SELFTEST_CHECK(t, out.scenario == 0 && out.selftest_hang == BOOTARGS_NONE,
		       "case %u '%s': scenario/selftest_hang not at their defaults", index, line);
}

void selftest_bootargs_parser(struct selftest *t)
{
	static char long_line[BOOTARGS_MAX_LEN + 2];
	unsigned n = sizeof(cases) / sizeof(cases[0]);

	for (unsigned i = 0; i < n; i++)
		check_case(t, cases[i].cmdline, strlen(cases[i].cmdline), &cases[i], i);

	/* The limit is exact: 1024 bytes parse, 1025 are refused, not cut. */
	memset(long_line, ' ', sizeof(long_line));
	memcpy(long_line + BOOTARGS_MAX_LEN - 6, "seed=9", 6);
	const struct bootargs_case at_limit = OK("(1024 bytes)", 9, 5000, NULL);
	check_case(t, long_line, BOOTARGS_MAX_LEN, &at_limit, n);
	const struct bootargs_case over_limit = BAD("(1025 bytes)", BOOTARGS_TOO_LONG, 0);
	check_case(t, long_line, BOOTARGS_MAX_LEN + 1, &over_limit, n + 1);

	/* The length bounds the parse: bytes past it are never looked at. */
	const struct bootargs_case bounded = OK("seed=5", 5, 5000, NULL);
	check_case(t, "seed=5 nonsense", 6, &bounded, n + 2);
}
