#ifndef NEURON_SCENARIO_H
#define NEURON_SCENARIO_H

#include <stddef.h>

#include "boot/bootargs.h"

#define SCENARIO(name, description) int scenario_##name(const struct bootargs *args);
#include "proof/scenarios/list.h"
#undef SCENARIO

extern const char *const scenario_names[];
extern const size_t scenario_count;

/* Runs scenario index (< scenario_count); returns the exit status. */
int scenario_run(size_t index, const struct bootargs *args);

#endif
