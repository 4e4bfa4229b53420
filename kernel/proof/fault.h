/*
 * Test-only fault switches (boot argument fault=NAME): each breaks one
 * mechanism so that the proof that depends on it must fail. One per line:
 * FAULT(name, "what it breaks").
 *
 * Mechanism code asks through one hook, FAULT_INJECTED(name): true when
 * fault=name was given. A kernel built without the switches
 * (-DNEURON_FAULTS=OFF) has the constant false there, so the mechanism
 * compiles as if the hook were absent (the name is still checked).
 */
#ifndef NEURON_PROOF_FAULT_H
#define NEURON_PROOF_FAULT_H

#include <stdbool.h>

#define SCHED_FAULT_LIST(FAULT)                                                          \
	FAULT(none, "no fault")                                                              \
	FAULT(hart_not_registered, "the highest hart other than the boot hart skips joining the scheduler") \
	FAULT(ipi_send_suppressed, "IPI posts are queued but the interrupt is never sent")  \
	FAULT(call_dropped, "call-function messages are acknowledged without running fn")  \
	FAULT(broadcast_ack_lost, "the highest hart other than the sender runs broadcasts but never acknowledges") \
	FAULT(no_steal, "idle harts never steal")                                          \
	FAULT(full_queue_accepts, "a full runqueue or mailbox claims success and drops")   \
	FAULT(pinned_migrates, "stealing ignores pinning")                                 \
	FAULT(digest_drop, "scheduling decisions on the highest hart are left out of the digest") \
	FAULT(no_preempt, "a timer tick that lands in a task never hands the hart back") \
	FAULT(no_steal_check, "the check that a steal took at most steal_k tasks is skipped") \
	FAULT(no_mailbox_check, "the drain's report of a message not posted through ipi_post is skipped") \
	FAULT(lock_inversion, "instead of the scenario, two harts take two runqueue locks in opposite orders at once") \
	FAULT(early_completion, "an IPI call or broadcast is completed and its sender woken before the handled count") \
	FAULT(lowest_hart_leads, "scenarios act as if the boot hart were the lowest-numbered hart") \
	FAULT(join_after_online, "a secondary reports itself online before it joins the scheduler") \
	FAULT(no_entry_claim, "a hart that enters _start after the boot hart runs the cold path too (with entry_race=1)") \
	FAULT(steal_overshoot, "a run's steals take one task more than steal_k until one has (the violation suite's steal_over_k)")

enum sched_fault {
#define FAULT_ENUM(name, text) FAULT_##name,
	SCHED_FAULT_LIST(FAULT_ENUM)
#undef FAULT_ENUM
	FAULT_COUNT
};

extern const char *const sched_fault_names[FAULT_COUNT];

/*
 * Adds fault to the active set (FAULT_none: nothing). The boot hart adds
 * the boot argument's before secondaries start; a deliberate-break case
 * of the violation suite may add its own before it starts the run it
 * breaks (the run's start, a release its participants acquire, publishes
 * it to them).
 */
void fault_select(enum sched_fault fault);
bool fault_active(enum sched_fault fault);

#if NEURON_FAULTS
#define FAULT_INJECTED(name) fault_active(FAULT_##name)
#else
#define FAULT_INJECTED(name) ((void)FAULT_##name, false)
#endif

#endif
