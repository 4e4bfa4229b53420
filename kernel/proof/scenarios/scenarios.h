/* Runs shared by the scenarios and the proof ladder (scenarios.c). */
#ifndef NEURON_SCHED_SCENARIOS_H
#define NEURON_SCHED_SCENARIOS_H

#include <stdbool.h>

#include "sched/sched.h"

/* `tasks` 3-step tasks all start on the first hart; with_pinned pins
 * every third to it. Returns sched_run's verdict. */
bool run_imbalance(struct sched_run *run, unsigned tasks, bool with_pinned);
/* Seeded spawn, yield, sleep, block/wake and migrate. */
bool run_mixed(struct sched_run *run, unsigned tasks);
/* Sets the `user` word of the task with logical id `id` (setup only). */
void task_at_id_set_user(struct sched_run *run, uint32_t id, uint64_t value);

#endif
