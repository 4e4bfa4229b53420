/*
 * fault=lock_inversion (test only): a real ABBA on two runqueue locks.
 * Two harts other than the boot hart each take their first lock, meet,
 * then take the other's: one in ascending hart order, one descending.
 *
 * Audit build: the ranked-lock check reports the descending side before
 * it spins (one line naming both locks and both harts) and, in the
 * default audit=panic mode, the boot ends with status 3.
 * Release build: both harts spin forever with interrupts off; the
 * watchdog, armed here for watchdog_ms and checked from the boot hart's
 * tick, must end the boot with its line and status 4.
 */
#ifndef NEURON_SCHED_INVERSION_H
#define NEURON_SCHED_INVERSION_H

#include "boot/bootargs.h"

/* Runs instead of the scenario. Precondition: the scheduler is up and
 * every hart joined. Needs 3 harts (a KTAP skip otherwise). Returns the
 * exit status only if neither the audit nor the watchdog ended the boot. */
int inversion_run(const struct bootargs *args);

#endif
