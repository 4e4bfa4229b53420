/* The violation suite (boot argument violation=NAME): kernel/proof/violations/list.h. */
#ifndef NEURON_VIOLATIONS_H
#define NEURON_VIOLATIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "boot/bootargs.h"

extern const char *const violation_names[];
extern const size_t violation_count;

/* One line of list.h, for the self-test that runs the catalog. */
struct violation_case {
	const char *name;
	const char *accessing, *owner;	/* roles: boot, other, none, h0, h1 */
	const char *var;
	const char *missing;		/* a part of the report's "missing" text */
	bool in_selftest;		/* runs `both`, not `suite` only */
};
#define VIOLATION_RUNS_both true
#define VIOLATION_RUNS_suite false
extern const struct violation_case violation_cases[];

/* A case's result: the line of its faulty access in violation_case_file,
 * 0 when its report is checked from outside only or it could not provoke
 * the violation, VIOLATION_SKIPPED when it needs a second hart and other
 * is PERCPU_NO_HART. */
#define VIOLATION_SKIPPED (-1)
extern const char violation_case_file[];

/*
 * Runs case `index` once on this hart against `other`. Precondition:
 * audit build, continue mode (percpu_audit_set_mode), every hart started;
 * the case raises exactly one violation.
 */
int violation_case_run(size_t index, unsigned me, unsigned other);

/*
 * Runs case `index` (< violation_count) in continue mode, between
 * trace_start and trace_finish; returns the exit status (0: exactly one
 * violation reported). Precondition: boot hart, every hart started and
 * joined the scheduler, audit build.
 */
int violations_run(size_t index, const struct bootargs *args);

#endif
