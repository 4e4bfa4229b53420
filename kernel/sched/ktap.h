/* KTAP output for scenarios: each check is one test case. */
#ifndef NEURON_SCHED_KTAP_H
#define NEURON_SCHED_KTAP_H

#include <stdbool.h>

struct ktap {
	unsigned number;
	unsigned failed;
};

void ktap_begin(struct ktap *k, unsigned planned);
/* One case: ok/not ok; skip_reason non-NULL makes it a SKIP. */
void ktap_case(struct ktap *k, const char *name, bool ok, const char *skip_reason);
/* Ends the run: digest line, audit violation count (audit builds), status. */
int ktap_end(struct ktap *k, const char *scenario, unsigned long long digest);

#endif
