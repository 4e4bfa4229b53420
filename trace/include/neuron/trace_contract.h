/*
 * The trace contract: every number a trace record carries that the tools
 * must name. This file is the one definition; the kernel's enums
 * (trace_record.h, kernel/sched/ipi.h), the converter's C loop
 * (tools/neuronlib/perfetto/fastconv.c) and the Python tools
 * (tools/neuronlib/contract.py) are all made from it. Adding a record
 * type is one line here plus the code that writes it: the converter
 * draws a type it has no drawing for generically (convert.py _generic).
 *
 * Each list is a list macro (the X-macro idiom): LIST(X) applies X to
 * every entry. One entry per line, arguments in order, so the Python
 * reader takes the file as written. Changing or reusing a number is a
 * format change: bump TRACE_FORMAT_VERSION.
 *
 * TRACE_TYPE_LIST: X(NAME, number, flags, "what b, h and w carry")
 *   flags: TF_PERCPU  h is a var index, w (low 20 bits) a site index
 *          TF_HART_B  b names a hart of the dump (owner, target, victim,
 *                     sender, home); readers refuse one beyond max_harts
 *          TF_VICTIM  b is a steal's victim, drawn on its own track
 * Ids: var = index into the ELF section percpu_vars, site = index into
 * percpu_callsites (see percpu.h), task = scheduler task id.
 */
#ifndef NEURON_TRACE_CONTRACT_H
#define NEURON_TRACE_CONTRACT_H

#define TRACE_TYPE_LIST(X) \
	X(REMOTE, 1, TF_PERCPU | TF_HART_B, "b owner hart, h var, w site; kind, reason and lock come from the site and var descriptors") \
	X(VIOLATION, 2, TF_PERCPU, "b owner hart (0xff: none), h var, w site | what << 20 (PERCPU_VIOLATION_LIST code, 4 bits)") \
	X(UNCHECKED, 3, TF_PERCPU | TF_HART_B, "b owner hart, h var, w site (escape hatch)") \
	X(SWITCH, 16, 0, "b prev state (TRACE_TASK_STATE_LIST), h prev task, w next task") \
	X(WAKEUP, 17, TF_HART_B, "b target hart, w task") \
	X(STEAL_BEGIN, 18, TF_HART_B | TF_VICTIM, "b victim hart, w steal id (per thief)") \
	X(STEAL_END, 19, TF_HART_B | TF_VICTIM, "b victim hart, h tasks taken, w steal id") \
	X(IPI_SEND, 20, TF_HART_B, "b target hart, h kind (IPI_KIND_LIST), w ipi id (per sender)") \
	X(IPI_RECV, 21, TF_HART_B, "b sender hart, h kind, w ipi id: trap observed") \
	X(IPI_HANDLED, 22, TF_HART_B, "b sender hart, h kind, w ipi id") \
	X(IDLE_ENTER, 23, 0, "no arguments") \
	X(IDLE_EXIT, 24, 0, "no arguments") \
	X(RUNQ_LEN, 25, 0, "h runqueue length") \
	X(TASK_NEW, 26, TF_HART_B, "b home hart, h flags (1 = pinned), w task") \
	X(MARK, 27, 0, "h mark (TRACE_MARK_KIND_LIST), w scenario index (scenario_names[] in the ELF)")

/* TRACE_TASK_STATE_LIST: X(NAME, number, "meaning"): the state a SWITCH leaves its
 * previous task in (b of TRACE_SWITCH). */
#define TRACE_TASK_STATE_LIST(X) \
	X(RUNNABLE, 0, "preempted or yielded") \
	X(BLOCKED, 1, "waiting") \
	X(DONE, 2, "finished") \
	X(IDLE, 3, "prev was the idle loop")

/* TRACE_MARK_KIND_LIST: X(NAME, number, "meaning"): h of TRACE_MARK. */
#define TRACE_MARK_KIND_LIST(X) \
	X(SCENARIO_BEGIN, 1, "scenario begins") \
	X(SCENARIO_END, 2, "scenario ends")

/* IPI_KIND_LIST: X(NAME, number, "meaning"): h of the TRACE_IPI_* records. */
#define IPI_KIND_LIST(X) \
	X(RESCHED, 0, "reschedule") \
	X(CALL, 1, "run a function on the target and wait") \
	X(BROADCAST, 2, "run a function on every other hart") \
	X(STOP, 3, "stop the target")

#endif
