/* The end of a scheduler scenario's KTAP (lib/ktap.h writes the cases). */
#ifndef NEURON_SCHED_KTAP_H
#define NEURON_SCHED_KTAP_H

#include "lib/ktap.h"

/* Ends the run: digest line, audit violation count (audit builds), status. */
int ktap_end(struct ktap *k, const char *scenario, unsigned long long digest);

#endif
