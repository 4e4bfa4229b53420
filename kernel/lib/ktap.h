/*
 * The one KTAP version 1 writer: the self-test runner and the scheduler
 * scenarios print their cases through it, so both speak the same format
 * (tools/neuronlib/ktap.py reads it).
 */
#ifndef NEURON_LIB_KTAP_H
#define NEURON_LIB_KTAP_H

#include <stdbool.h>

struct ktap {
	unsigned number;
	unsigned passed, failed, skipped;
};

/* "KTAP version 1" and the plan. */
void ktap_begin(struct ktap *k, unsigned planned);
/* One case: ok/not ok; skip_reason non-NULL makes it a SKIP. */
void ktap_case(struct ktap *k, const char *name, bool ok, const char *skip_reason);

#endif
