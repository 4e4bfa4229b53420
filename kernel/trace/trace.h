/*
 * Scheduling-context trace points. Each records one 16-byte record
 * (trace/include/neuron/trace_record.h) in the calling hart's ring, with
 * the `time` CSR as timestamp. In release builds every call compiles to
 * nothing: the functions below are empty static inlines.
 *
 * Precondition (all): the caller runs on the hart whose event it records
 * (a ring has one writer, its owner hart). Safe with interrupts on or off.
 */
#ifndef NEURON_KERNEL_TRACE_H
#define NEURON_KERNEL_TRACE_H

#include <stdint.h>

#include <neuron/trace_record.h>

#if NEURON_AUDIT
/* trace_emit's out-of-line part: meta as the slot holds it (type | b << 8
 * | h << 16), packed here so constant arguments fold at the call site. */
void trace__emit(uint32_t meta, uint32_t w);

/* Appends a record to this hart's ring (no-op before trace_start). */
static inline void trace_emit(enum trace_type type, unsigned b, unsigned h, uint32_t w)
{
	trace__emit((uint32_t)type | (uint32_t)(b & 0xff) << 8 | (uint32_t)(h & 0xffff) << 16, w);
}
#else
static inline void trace_emit(enum trace_type type, unsigned b, unsigned h, uint32_t w)
{
	(void)type, (void)b, (void)h, (void)w;
}
#endif

/* prev_state: enum trace_task_state; tasks by id (TRACE_W_MAX: none). */
static inline void trace_switch(unsigned prev_state, unsigned prev_task, unsigned next_task)
{
	trace_emit(TRACE_SWITCH, prev_state, prev_task, next_task);
}

/* task becomes runnable on target_hart. */
static inline void trace_wakeup(unsigned target_hart, unsigned task)
{
	trace_emit(TRACE_WAKEUP, target_hart, 0, task);
}

/* A steal attempt on victim; steal_id pairs begin and end on this hart. */
static inline void trace_steal_begin(unsigned victim, uint32_t steal_id)
{
	trace_emit(TRACE_STEAL_BEGIN, victim, 0, steal_id);
}

static inline void trace_steal_end(unsigned victim, unsigned tasks_taken, uint32_t steal_id)
{
	trace_emit(TRACE_STEAL_END, victim, tasks_taken, steal_id);
}

/*
 * One IPI message: send on the sender, recv when the target's handler
 * takes it from its mailbox, handled when it has been acted on. ipi_id
 * is the sender's own IPI count (24 bits), so (sender, ipi_id) names one
 * message on all three records. A reschedule posted while one is pending
 * is coalesced: it sends nothing and records nothing; the pending post's
 * recv and handled carry its sender and id.
 */
static inline void trace_ipi_send(unsigned target, unsigned kind, uint32_t ipi_id)
{
	trace_emit(TRACE_IPI_SEND, target, kind, ipi_id);
}

static inline void trace_ipi_recv(unsigned sender, unsigned kind, uint32_t ipi_id)
{
	trace_emit(TRACE_IPI_RECV, sender, kind, ipi_id);
}

static inline void trace_ipi_handled(unsigned sender, unsigned kind, uint32_t ipi_id)
{
	trace_emit(TRACE_IPI_HANDLED, sender, kind, ipi_id);
}

static inline void trace_idle_enter(void)
{
	trace_emit(TRACE_IDLE_ENTER, 0, 0, 0);
}

static inline void trace_idle_exit(void)
{
	trace_emit(TRACE_IDLE_EXIT, 0, 0, 0);
}

static inline void trace_runq_len(unsigned length)
{
	trace_emit(TRACE_RUNQ_LEN, 0, length, 0);
}

/* flags: 1 = pinned. */
static inline void trace_task_new(unsigned home_hart, unsigned flags, unsigned task)
{
	trace_emit(TRACE_TASK_NEW, home_hart, flags, task);
}

/* scenario: index into scenario_names[] (kernel/proof/scenarios/scenario.c), which the
 * tools read from the ELF to name the scenario's tasks. */
static inline void trace_mark(enum trace_mark mark, unsigned scenario)
{
	trace_emit(TRACE_MARK, 0, mark, scenario);
}

/*
 * Scenario bracket, called by scenario_run(). trace_start sets the rings
 * up from the boot arguments (audit builds) and marks the beginning;
 * trace_finish marks the end, stops recording, prints the per-hart
 * counter lines, streams the rings if trace_stream=1, and calls
 * trace_scenario_done(). Precondition: boot hart, interrupts on.
 */
struct bootargs;
void trace_start(const struct bootargs *args);
void trace_finish(int status);

/* Empty, never inlined: the stable breakpoint for tools/gdb. */
void trace_scenario_done(void);

#endif
