#include "boot.h"
#include "bootargs.h"
#include "lib/string.h"
#include "selftest/selftest.h"

struct bootargs_case {
	const char *cmdline;
	enum bootargs_status status;
	size_t offset;         /* of the offending token, when status != OK */
	uint64_t seed;         /* expected values, when status == OK */
	uint32_t watchdog_ms;
	const char *selftest_fail; /* NULL: none */
};

#define OK(line, seed_, wd, fail_) { line, BOOTARGS_OK, 0, seed_, wd, fail_ }
#define BAD(line, st, off) { line, st, off, 0, 0, NULL }

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
