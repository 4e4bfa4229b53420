/*
 * The interface between the PerCpu wrapper and the platform that runs it
 * (the kernel, or the host runtime in percpu/host/).
 *
 * The platform IMPLEMENTS:
 *   percpu_platform_report()  print one violation line (console, stderr)
 *   percpu_platform_panic()   stop the system after a violation in panic mode
 *
 * The platform CALLS, in this order, at boot:
 *   1. on the boot hart, for every hart h that will run (boot hart first),
 *      after copying the TLS template into h's area:
 *        percpu_platform_set_area(h, base_of_h_area)
 *      with `tp` already holding the boot hart's area base;
 *   2. on each hart, once `tp` holds its area base:  percpu_hart_attach(h)
 *   3. init-phase work (PERCPU_INIT_TOKEN, percpu_for_each_hart)
 *   4. percpu_smp_begin() just before starting the secondary harts.
 * Areas must be 64-byte aligned and a multiple of 64 bytes apart (the TLS
 * segment's alignment is 64 because of the per-hart self block), so no two
 * harts share a cache line.
 *
 * Interrupt masking and the base register are inline in arch/<arch>.h.
 */
#ifndef NEURON_PERCPU_PLATFORM_H
#define NEURON_PERCPU_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include <neuron/percpu_contract.h>

#define PERCPU_NO_HART 0xffffffffu

/*
 * What a violation found missing, as a number the trace records (the text
 * in `missing` is for people): PERCPU_VIOLATION_LIST in percpu_contract.h.
 */
enum percpu_violation_code {
#define PERCPU__VIOLATION(name, code, meaning) PERCPU_##name = code,
	PERCPU_VIOLATION_LIST(PERCPU__VIOLATION)
#undef PERCPU__VIOLATION
};

/* One audit violation; `line` handed to the platform renders all of it. */
struct percpu_violation {
	enum percpu_violation_code code;
	unsigned accessing_hart;	/* PERCPU_NO_HART: thread/hart not attached */
	unsigned owner_hart;		/* hart whose instance was touched */
	const char *var_name;
	const char *file;
	unsigned line;
	char missing[112];		/* what was missing, e.g. "lock runqueues.lock held by this hart" */
};

/* Platform: print one line (no trailing newline in `line`). */
void percpu_platform_report(const struct percpu_violation *violation, const char *line);

/* Platform: stop; called after percpu_platform_report in panic mode. */
__attribute__((__noreturn__)) void percpu_platform_panic(const char *line);

/*
 * Wrapper: hart `hart` owns the area at `base`. Precondition: init phase,
 * hart < NEURON_MAX_HARTS, the area holds a fresh copy of the TLS template.
 * Audit builds stamp every per-CPU instance in the area with its owner.
 */
void percpu_platform_set_area(unsigned hart, uintptr_t base);

/* Wrapper: the calling hart is `hart`. Precondition: its area was set and
 * the base register points at it. */
void percpu_hart_attach(unsigned hart);

/* Wrapper: the init phase ends; init tokens are refused from now on. */
void percpu_smp_begin(void);

/* Wrapper: base of hart's area, 0 if none was set. */
uintptr_t percpu_registered_area_base(unsigned hart);

enum percpu_audit_mode {
	PERCPU_AUDIT_PANIC,	/* default: report then percpu_platform_panic */
	PERCPU_AUDIT_CONTINUE,	/* report, count, and carry on */
};
void percpu_audit_set_mode(enum percpu_audit_mode mode);

/* Audit builds: strict makes every escape-hatch use (percpu_unchecked) a
 * violation too, not only a count (the violation suite's escape_hatch). */
void percpu_audit_set_unchecked_strict(bool strict);

#endif
