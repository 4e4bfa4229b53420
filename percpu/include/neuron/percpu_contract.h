/*
 * The PerCpu wrapper's side of the contract with the tools: the numbers
 * its descriptors and violation records carry. This file is the one
 * definition; percpu.h, percpu_platform.h and the Python tools
 * (tools/neuronlib/contract.py) are made from it. Adding a reason is one
 * line here, a line in docs/concurrency-model.md section 5, and the code
 * that uses it.
 *
 * List macros as in trace/include/neuron/trace_contract.h: each list
 * applies X to its entries; one entry per line, so that the Python reader
 * takes the file as written.
 *
 * PERCPU_VIOLATION_LIST: X(NAME, code, "what was missing"), the code a
 *   violation record carries (TRACE_VIOLATION, w bits 20..23: at most 16).
 * PERCPU_ACCESS_KIND_LIST: X(NAME, name, "meaning"), a call site's kind,
 *   numbered in order.
 * PERCPU_REASON_LIST: X(NAME, name, scope, "meaning"), why a hart touches
 *   another hart's instance, numbered in order. scope PUBLIC: callers name
 *   it (percpu_remote_*(..., name)); INTERNAL: the wrapper's own.
 */
#ifndef NEURON_PERCPU_CONTRACT_H
#define NEURON_PERCPU_CONTRACT_H

#define PERCPU_VIOLATION_LIST(X) \
	X(MISSING_GUARD, 0, "no room for a guard, or none taken") \
	X(STALE_GUARD, 1, "guard released, copied, or taken on another hart") \
	X(WRONG_OWNER, 2, "instance stamped for another hart") \
	X(BAD_STAMP, 3, "stamp magic wrong: not stamped, or overwritten") \
	X(BAD_BASE, 4, "base register not this hart's area") \
	X(NO_LOCK, 5, "lock not declared, or not held") \
	X(WRONG_LOCK, 6, "a lock held, but not the one protecting it") \
	X(LOCK_OTHER_HART, 7, "the right lock, held by another hart") \
	X(INIT_PHASE_OVER, 8, "init-phase operation after SMP began") \
	X(BAD_HART, 9, "hart not attached, out of range, or without an area") \
	X(IRQS_ON, 10, "interrupts on where they must be off") \
	X(SELF_DEADLOCK, 11, "a spinlock taken again by its holder") \
	X(UNCHECKED_USE, 12, "escape hatch used while strict (violation suite)") \
	X(DOMAIN_RULE, 13, "a subsystem's own rule (percpu_rule.h): steal bound, mailbox protocol") \
	X(LOCK_ORDER, 14, "ranked locks of one class taken out of ascending order") \
	X(OTHER, 15, "anything else")

#define PERCPU_ACCESS_KIND_LIST(X) \
	X(LOCAL, local, "this hart's own instance") \
	X(READ, read, "remote read under the variable's lock") \
	X(WRITE, write, "remote write under the variable's lock") \
	X(LOCKED, locked, "remote pointer under the variable's lock") \
	X(ATOMIC, atomic, "remote atomic operation") \
	X(INIT, init, "init-phase access") \
	X(UNCHECKED, unchecked, "escape hatch")

#define PERCPU_REASON_LIST(X) \
	X(STEAL, steal, PUBLIC, "work stealing from another runqueue") \
	X(IPI_POST, ipi_post, PUBLIC, "posting into another hart's IPI mailbox") \
	X(WAKE, wake, PUBLIC, "making a task runnable on another hart") \
	X(STATS, stats, PUBLIC, "reading counters for a report") \
	X(INIT, init, PUBLIC, "init phase") \
	X(DEBUG, debug, PUBLIC, "debugger / panic dump") \
	X(UNCHECKED, unchecked, INTERNAL, "escape hatch") \
	X(NONE, none, INTERNAL, "local access: no reason needed")

#endif
