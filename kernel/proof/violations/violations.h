/* The violation suite (boot argument violation=NAME): kernel/proof/violations/list.h. */
#ifndef NEURON_VIOLATIONS_H
#define NEURON_VIOLATIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "boot/bootargs.h"

extern const char *const violation_names[];
extern const size_t violation_count;

/*
 * Runs case `index` (< violation_count) in continue mode, between
 * trace_start and trace_finish; returns the exit status (0: exactly one
 * violation reported). Precondition: boot hart, every hart started and
 * joined the scheduler, audit build.
 */
int violations_run(size_t index, const struct bootargs *args);

#endif
