#include <stdbool.h>

#include "boot/bootargs.h"

enum key {
	KEY_SCENARIO, KEY_SEED, KEY_WATCHDOG_MS, KEY_SELFTEST_FAIL, KEY_SELFTEST_HANG,
	KEY_AUDIT, KEY_STEAL_K, KEY_FAULT, KEY_TRACE_RECORDS, KEY_TRACE_MODE, KEY_TRACE_STREAM,
	KEY_VIOLATION, KEY_STORM_IPIS, KEY_ENTRY_RACE, KEY_TRACE_DRAIN, KEY_STRESS_ROUNDS, KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
	[KEY_SCENARIO] = "scenario",
	[KEY_SEED] = "seed",
	[KEY_WATCHDOG_MS] = "watchdog_ms",
	[KEY_SELFTEST_FAIL] = "selftest_fail",
	[KEY_SELFTEST_HANG] = "selftest_hang",
	[KEY_AUDIT] = "audit",
	[KEY_STEAL_K] = "steal_k",
	[KEY_FAULT] = "fault",
	[KEY_TRACE_RECORDS] = "trace_records",
	[KEY_TRACE_MODE] = "trace_mode",
	[KEY_TRACE_STREAM] = "trace_stream",
	[KEY_VIOLATION] = "violation",
	[KEY_STORM_IPIS] = "storm_ipis",
	[KEY_ENTRY_RACE] = "entry_race",
	[KEY_TRACE_DRAIN] = "trace_drain",
	[KEY_STRESS_ROUNDS] = "stress_rounds",
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static bool span_equals(const char *s, size_t n, const char *word)
{
	size_t i = 0;
	for (; i < n && word[i]; i++) {
		if (s[i] != word[i])
			return false;
	}
	return i == n && word[i] == '\0';
}

static size_t find_name(const char *s, size_t n, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (span_equals(s, n, names[i]))
			return i;
	}
	return BOOTARGS_NONE;
}

static int digit_value(char c, unsigned base)
{
	int v = c >= '0' && c <= '9' ? c - '0'
	      : c >= 'a' && c <= 'f' ? c - 'a' + 10
	      : c >= 'A' && c <= 'F' ? c - 'A' + 10
				     : -1;
	return v >= 0 && (unsigned)v < base ? v : -1;
}

/* Decimal or 0x-hex u64, the whole span, no sign, no overflow. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d = digit_value(s[i], base);
		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

/* "0" or "1", the whole span. */
static bool parse_flag(const char *s, size_t n, int *out)
{
	if (span_equals(s, n, "1") || span_equals(s, n, "0")) {
		*out = s[0] == '1';
		return true;
	}
	return false;
}

static enum bootargs_status apply(enum key key, const char *val, size_t val_len,
				  const struct bootargs_vocabulary *vocab, struct bootargs *out)
{
	uint64_t n;
	size_t index;

	switch (key) {
	case KEY_SCENARIO:
		index = find_name(val, val_len, vocab->scenarios, vocab->scenario_count);
		if (index == BOOTARGS_NONE)
			return BOOTARGS_UNKNOWN_SCENARIO;
		out->scenario = index;
		break;
	case KEY_SEED:
		if (!parse_u64(val, val_len, &out->seed))
			return BOOTARGS_BAD_NUMBER;
		break;
	case KEY_WATCHDOG_MS:
		if (!parse_u64(val, val_len, &n))
			return BOOTARGS_BAD_NUMBER;
		if (n == 0 || n > BOOTARGS_MAX_WATCHDOG_MS)
			return BOOTARGS_OUT_OF_RANGE;
		out->watchdog_ms = (uint32_t)n;
		break;
	case KEY_SELFTEST_FAIL:
	case KEY_SELFTEST_HANG:
		index = find_name(val, val_len, vocab->selftests, vocab->selftest_count);
		if (index == BOOTARGS_NONE)
			return BOOTARGS_UNKNOWN_SELFTEST;
		if (key == KEY_SELFTEST_FAIL)
			out->selftest_fail = index;
		else
			out->selftest_hang = index;
		break;
	case KEY_AUDIT:
		if (span_equals(val, val_len, "continue"))
			out->audit_continue = 1;
		else if (span_equals(val, val_len, "panic"))
			out->audit_continue = 0;
		else
			return BOOTARGS_BAD_AUDIT_MODE;
		break;
	case KEY_STEAL_K:
		if (!parse_u64(val, val_len, &n))
			return BOOTARGS_BAD_NUMBER;
		if (n == 0 || n > BOOTARGS_MAX_STEAL_K)
			return BOOTARGS_OUT_OF_RANGE;
		out->steal_k = (uint32_t)n;
		break;
	case KEY_FAULT:
		index = find_name(val, val_len, vocab->faults, vocab->fault_count);
		if (index == BOOTARGS_NONE)
			return BOOTARGS_UNKNOWN_FAULT;
		out->fault = index;
		break;
	case KEY_TRACE_RECORDS:
		if (!parse_u64(val, val_len, &n))
			return BOOTARGS_BAD_NUMBER;
		if (n < BOOTARGS_MIN_TRACE_RECORDS || n > NEURON_TRACE_RING_RECORDS || (n & (n - 1)))
			return BOOTARGS_BAD_TRACE_RECORDS;
		out->trace_records = (uint32_t)n;
		break;
	case KEY_TRACE_MODE:
		if (span_equals(val, val_len, "stop"))
			out->trace_mode_stop = 1;
		else if (span_equals(val, val_len, "overwrite"))
			out->trace_mode_stop = 0;
		else
			return BOOTARGS_BAD_TRACE_MODE;
		break;
	case KEY_TRACE_STREAM:
		if (!parse_flag(val, val_len, &out->trace_stream))
			return BOOTARGS_BAD_FLAG;
		break;
	case KEY_VIOLATION:
		index = find_name(val, val_len, vocab->violations, vocab->violation_count);
		if (index == BOOTARGS_NONE)
			return BOOTARGS_UNKNOWN_VIOLATION;
		out->violation = index;
		break;
	case KEY_STORM_IPIS:
		if (!parse_u64(val, val_len, &n))
			return BOOTARGS_BAD_NUMBER;
		if (n == 0 || n > BOOTARGS_MAX_STORM_IPIS)
			return BOOTARGS_OUT_OF_RANGE;
		out->storm_ipis = (uint32_t)n;
		break;
	case KEY_STRESS_ROUNDS:
		if (!parse_u64(val, val_len, &n))
			return BOOTARGS_BAD_NUMBER;
		if (n == 0 || n > BOOTARGS_MAX_STRESS_ROUNDS)
			return BOOTARGS_OUT_OF_RANGE;
		out->stress_rounds = (uint32_t)n;
		break;
	case KEY_TRACE_DRAIN:
		if (!parse_flag(val, val_len, &out->trace_drain))
			return BOOTARGS_BAD_FLAG;
		break;
	case KEY_ENTRY_RACE:
		if (!parse_flag(val, val_len, &out->entry_race))
			return BOOTARGS_BAD_FLAG;
		break;
	case KEY_COUNT:
		break;
	}
	return BOOTARGS_OK;
}

static void set_defaults(struct bootargs *out)
{
	*out = (struct bootargs){
		.scenario = 0,
		.seed = BOOTARGS_DEFAULT_SEED,
		.watchdog_ms = BOOTARGS_DEFAULT_WATCHDOG_MS,
		.selftest_fail = BOOTARGS_NONE,
		.selftest_hang = BOOTARGS_NONE,
		.steal_k = BOOTARGS_DEFAULT_STEAL_K,
		.fault = 0,
		.violation = BOOTARGS_NONE,
	};
}

static enum bootargs_status fail(struct bootargs_error *err, enum bootargs_status st,
				 size_t offset, size_t length, struct bootargs *out)
{
	*err = (struct bootargs_error){ .status = st, .offset = offset, .length = length };
	set_defaults(out);
	return st;
}

enum bootargs_status bootargs_parse(const char *cmdline, size_t len,
				    const struct bootargs_vocabulary *vocab,
				    struct bootargs *out, struct bootargs_error *err)
{
	bool seen[KEY_COUNT] = { false };
	size_t pos = 0;

	set_defaults(out);
	*err = (struct bootargs_error){ .status = BOOTARGS_OK };
	if (len > BOOTARGS_MAX_LEN)
		return fail(err, BOOTARGS_TOO_LONG, 0, len, out);

	while (pos < len) {
		if (is_space(cmdline[pos])) {
			pos++;
			continue;
		}
		size_t start = pos, eq = BOOTARGS_NONE;
		for (; pos < len && !is_space(cmdline[pos]); pos++) {
			char c = cmdline[pos];
			if (c < 0x21 || c > 0x7e)
				return fail(err, BOOTARGS_BAD_CHARACTER, pos, 1, out);
			if (c == '=' && eq == BOOTARGS_NONE)
				eq = pos;
		}
		size_t token_len = pos - start;
		if (eq == BOOTARGS_NONE)
			return fail(err, BOOTARGS_MISSING_EQUALS, start, token_len, out);

		size_t key = find_name(cmdline + start, eq - start, key_names, KEY_COUNT);
		if (key == BOOTARGS_NONE)
			return fail(err, BOOTARGS_UNKNOWN_KEY, start, token_len, out);
		if (seen[key])
			return fail(err, BOOTARGS_DUPLICATE_KEY, start, token_len, out);
		seen[key] = true;

		enum bootargs_status st = apply((enum key)key, cmdline + eq + 1, pos - eq - 1, vocab, out);
		if (st != BOOTARGS_OK)
			return fail(err, st, start, token_len, out);
	}
	return BOOTARGS_OK;
}

const char *bootargs_status_text(enum bootargs_status status)
{
	switch (status) {
	case BOOTARGS_OK: return "ok";
	case BOOTARGS_TOO_LONG: return "command line too long";
	case BOOTARGS_BAD_CHARACTER: return "non-printable character in";
	case BOOTARGS_MISSING_EQUALS: return "argument without '=':";
	case BOOTARGS_UNKNOWN_KEY: return "unknown argument";
	case BOOTARGS_DUPLICATE_KEY: return "argument given twice:";
	case BOOTARGS_BAD_NUMBER: return "bad number in";
	case BOOTARGS_OUT_OF_RANGE: return "number out of range in";
	case BOOTARGS_UNKNOWN_SCENARIO: return "unknown scenario in";
	case BOOTARGS_UNKNOWN_SELFTEST: return "unknown self-test in";
	case BOOTARGS_UNKNOWN_FAULT: return "unknown fault in";
	case BOOTARGS_BAD_AUDIT_MODE: return "audit takes continue or panic:";
	case BOOTARGS_BAD_TRACE_RECORDS: return "trace_records takes a power of two from 16 to the build's NEURON_TRACE_RING_RECORDS:";
	case BOOTARGS_BAD_TRACE_MODE: return "trace_mode takes overwrite or stop:";
	case BOOTARGS_BAD_FLAG: return "this argument takes 0 or 1:";
	case BOOTARGS_UNKNOWN_VIOLATION: return "unknown violation case (kernel/proof/violations/list.h) in";
	}
	return "unknown error in";
}
