/*
 * One deadline in guest time for whatever the boot hart is running (a
 * self-test or a scenario), checked from the tick on every hart, so a
 * hang with interrupts off on one hart is still caught by the others.
 */
#ifndef NEURON_WATCHDOG_H
#define NEURON_WATCHDOG_H

#include <stdint.h>

/*
 * Arms the watchdog for limit_ms from now. ktap_number > 0 names a KTAP
 * test: on expiry its "not ok" line is printed before the exit.
 */
void watchdog_arm(unsigned ktap_number, const char *name, uint32_t limit_ms);
void watchdog_disarm(void);

/* From the tick: on expiry prints the verdict and exits with status 4. */
void watchdog_check(uint64_t now);

#endif
