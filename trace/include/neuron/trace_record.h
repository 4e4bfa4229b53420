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

#include <neuron/trace_contract.h>

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

/* Flags of a record type (trace_contract.h says what each means). */
enum trace_type_flag { TF_PERCPU = 1, TF_HART_B = 2, TF_VICTIM = 4 };

/* Record types; what b, h and w carry is said next to each in
 * trace_contract.h. TRACE_NONE is never written: a reader treats it as
 * corrupt. */
enum trace_type {
	TRACE_NONE = 0,
#define TRACE__TYPE(name, number, flags, carries) TRACE_##name = number,
	TRACE_TYPE_LIST(TRACE__TYPE)
#undef TRACE__TYPE
};

/* b of TRACE_SWITCH: the state the previous task was left in. */
enum trace_task_state {
#define TRACE__TASK_STATE(name, number, meaning) TRACE_TASK_##name = number,
	TRACE_TASK_STATE_LIST(TRACE__TASK_STATE)
#undef TRACE__TASK_STATE
};

/* h of TRACE_MARK. */
enum trace_mark {
#define TRACE__MARK(name, number, meaning) TRACE_MARK_##name = number,
	TRACE_MARK_KIND_LIST(TRACE__MARK)
#undef TRACE__MARK
};

/* TRACE_VIOLATION's w bits 20..23 hold the audit's own violation code
 * (PERCPU_VIOLATION_LIST in percpu/include/neuron/percpu_contract.h), as the
 * audit reported it. */
#define TRACE_VIOLATION_CODE_SHIFT 20u

#endif
