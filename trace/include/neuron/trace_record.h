/*
 * The audit trace record: the unit of the per-hart ring, of the dump and
 * of the console stream. Shared by the kernel (writer), the host tests and,
 * through docs/trace-format.md, the Python tools (readers). Changing the
 * layout or a type number is a format change: bump TRACE_FORMAT_VERSION.
 *
 * 16 bytes, little-endian, naturally aligned:
 *
 *   offset size field
 *   0      4    seq     per-hart sequence number (low 32 bits of the
 *                       count of records this hart produced before this
 *                       one); a reader sees gaps and overwrites from it
 *   4      1    type    enum trace_type
 *   5      1    b       8-bit argument (usually a hart)
 *   6      2    h       16-bit argument (usually an id)
 *   8      8    tw      bits 0..39: the `time` CSR, low 40 bits (at 10 MHz
 *                       it wraps every 30.5 h; readers unwrap it);
 *                       bits 40..63: 24-bit argument w
 *
 * The accessing hart is never stored: it is the ring's owner.
 */
#ifndef NEURON_TRACE_RECORD_H
#define NEURON_TRACE_RECORD_H

#include <stdint.h>

#define TRACE_FORMAT_VERSION 1u
#define TRACE_TIME_BITS 40u
#define TRACE_TIME_MASK ((UINT64_C(1) << TRACE_TIME_BITS) - 1)
#define TRACE_W_MAX ((UINT32_C(1) << 24) - 1)

struct trace_record {
	uint32_t seq;
	uint8_t type;
	uint8_t b;
	uint16_t h;
	uint64_t tw;
};
_Static_assert(sizeof(struct trace_record) == 16, "trace: records are 16 bytes (docs/trace-format.md)");
_Static_assert(__builtin_offsetof(struct trace_record, tw) == 8, "trace: tw at offset 8");

static inline uint64_t trace_pack_tw(uint64_t time, uint32_t w)
{
	return (time & TRACE_TIME_MASK) | ((uint64_t)(w & TRACE_W_MAX) << TRACE_TIME_BITS);
}

/*
 * Record types and what b, h, w carry. Ids: var = index into the ELF
 * section percpu_vars, site = index into percpu_callsites (both arrays of
 * fixed-size descriptors, see percpu.h), task = scheduler task id.
 */
enum trace_type {
	TRACE_NONE = 0,		/* never written; a reader treats it as corrupt */

	/* PerCpu audit */
	TRACE_REMOTE = 1,	/* b owner hart, h var, w site; kind, reason and
				 * lock come from the site and var descriptors */
	TRACE_VIOLATION = 2,	/* b owner hart, h var, w site | what << 20
				 * (enum trace_violation, 4 bits) */
	TRACE_UNCHECKED = 3,	/* b owner hart, h var, w site (escape hatch) */

	/* scheduling context */
	TRACE_SWITCH = 16,	/* b prev state (enum trace_task_state), h prev task, w next task */
	TRACE_WAKEUP = 17,	/* b target hart, w task */
	TRACE_STEAL_BEGIN = 18,	/* b victim hart, w steal id (per thief) */
	TRACE_STEAL_END = 19,	/* b victim hart, h tasks taken, w steal id */
	TRACE_IPI_SEND = 20,	/* b target hart, h kind (enum ipi_kind), w ipi id (per sender) */
	TRACE_IPI_RECV = 21,	/* b sender hart, h kind, w ipi id: trap observed */
	TRACE_IPI_HANDLED = 22,	/* b sender hart, h kind, w ipi id */
	TRACE_IDLE_ENTER = 23,
	TRACE_IDLE_EXIT = 24,
	TRACE_RUNQ_LEN = 25,	/* h runqueue length */
	TRACE_TASK_NEW = 26,	/* b home hart, h flags (1 = pinned), w task */
	TRACE_MARK = 27,	/* h mark (enum trace_mark): scenario begin/end,
				 * w scenario index (scenario_names[] in the ELF) */
};

enum trace_task_state {
	TRACE_TASK_RUNNABLE = 0,	/* preempted or yielded */
	TRACE_TASK_BLOCKED = 1,
	TRACE_TASK_DONE = 2,
	TRACE_TASK_IDLE = 3,		/* prev was the idle loop */
};

/* What a violation found missing (TRACE_VIOLATION, w bits 20..23): the
 * audit's own code (enum percpu_violation_code, same values). */
enum trace_violation {
	TRACE_MISSING_GUARD = 0,	/* no live guard on this hart */
	TRACE_STALE_GUARD = 1,		/* guard released, or taken on another hart */
	TRACE_WRONG_OWNER = 2,		/* stamp names another hart */
	TRACE_BAD_STAMP = 3,		/* magic wrong: not stamped / corrupted */
	TRACE_BAD_BASE = 4,		/* base register not this hart's area */
	TRACE_NO_LOCK = 5,		/* remote access without the lock held */
	TRACE_WRONG_LOCK = 6,		/* a lock held, but not the one protecting it */
	TRACE_LOCK_OTHER_HART = 7,	/* the right lock, held by another hart */
	TRACE_INIT_PHASE_OVER = 8,	/* init token used after SMP began */
	TRACE_BAD_HART = 9,		/* hart out of range or without an area */
	TRACE_IRQS_ON = 10,		/* interrupts on where they must be off */
	TRACE_SELF_DEADLOCK = 11,	/* a spinlock taken again by its holder */
	TRACE_UNCHECKED_USE = 12,	/* escape hatch used while strict */
	TRACE_DOMAIN_RULE = 13,		/* a subsystem's own rule (percpu/include/neuron/percpu_rule.h) */
	TRACE_LOCK_ORDER = 14,		/* ranked locks taken out of ascending order */
	TRACE_OTHER = 15,
};

enum trace_mark {
	TRACE_MARK_SCENARIO_BEGIN = 1,
	TRACE_MARK_SCENARIO_END = 2,
};

#endif
