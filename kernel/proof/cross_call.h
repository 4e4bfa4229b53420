/*
 * A cross-call for proof code: fn(arg) on another hart, through the one
 * cross-call path, the IPI mailboxes (sched/ipi.h, ipi_call_and_wait).
 */
#ifndef NEURON_PROOF_CROSS_CALL_H
#define NEURON_PROOF_CROSS_CALL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Runs fn(arg) on hart from its IPI handler (interrupts off: keep it short)
 * and waits up to timeout_ms for it to finish; timeout 0 posts and returns
 * false at once. Returns true when fn has run. The call record is kept per
 * target in static storage, so a call that finishes after its wait gave
 * up completes into that record, never into a dead stack frame.
 * Precondition: interrupts on; hart is another online hart; one caller
 * at a time per target (proof code runs on one hart).
 */
bool proof_call_on(unsigned hart, void (*fn)(void *arg), void *arg, uint32_t timeout_ms);

#endif
