/*
 * The self-tests, in run order. EXACTLY one entry per line:
 *   SELFTEST(name, min_harts, "one-line description")
 * Tools parse this file with ^SELFTEST\(([a-z0-9_]+), *([0-9]+)
 * Each needs `void selftest_<name>(struct selftest *t)` somewhere in
 * kernel/proof/selftest/.
 */
SELFTEST(harts_online, 1, "every DTB hart came online exactly once, on its own stack and area, tp = area base")
SELFTEST(percpu_area_isolation, 2, "a __thread value written on each hart lands in that hart's own 64-byte-aligned area")
SELFTEST(timer_ticks, 1, "every online hart's tick counter advances")
SELFTEST(ipi_roundtrip, 2, "each SBI IPI sent to a hart is handled by that hart exactly once")
SELFTEST(bootargs_parser, 1, "good command lines parse to the expected values, bad ones to the expected error and offset")
SELFTEST(trace_live_drain, 2, "a hart drains another hart's trace ring while it writes: no torn records, kept + missed == produced")
SELFTEST(fdt_reader, 1, "the boot DTB reads consistently; corrupted copies are rejected")
SELFTEST(percpu_audit_fires, 1, "audit build: each PerCpu rule broken on purpose is reported once, naming harts, variable, file:line and what was missing")
