/*
 * The kernel's trace state, shared by the files in kernel/trace/. Read by
 * tools/gdb/neuron_gdb/ring_dump.py through DWARF (symbols trace_info,
 * trace_rings): renaming a field here means changing it there too.
 */
#ifndef NEURON_KERNEL_TRACE_STATE_H
#define NEURON_KERNEL_TRACE_STATE_H

#include <stdint.h>

#include <neuron/trace_ring.h>

#ifndef NEURON_TRACE_RING_RECORDS
#error "NEURON_TRACE_RING_RECORDS must be defined (trace/CMakeLists.txt does it for neuron-trace)"
#endif

#define TRACE_TYPE_SLOTS 32	/* enum trace_type values fit below this */

/* What a tool needs besides the rings: the dump header's fields. */
struct trace_info {
	uint32_t version;	/* TRACE_FORMAT_VERSION */
	uint32_t max_harts;	/* NEURON_MAX_HARTS */
	uint32_t capacity;	/* records per ring, this boot */
	uint32_t mode;		/* enum trace_mode */
	uint64_t timebase_hz;
	uint64_t identity;	/* FNV-1a 64 of the percpu_vars + percpu_callsites sections */
	uint32_t started;	/* rings set up (trace_start ran) */
	uint32_t frozen;	/* recording stopped (trace_finish ran) */
	uint64_t unattributed;	/* events from a hart with no ring; not in any count */
};

/*
 * The owner's writer state and its counters. A power-of-two size, so a
 * hart's writer is one shift from the array, and the per-type count one
 * indexed add from the writer trace_put already holds.
 */
struct trace_writer {
	uint32_t writing;			/* a write is in progress (freeze handshake) */
	/* Owner only: record numbers below this take trace_put's fast path
	 * (0 until the first write; see put_slow in trace.c). */
	uint64_t limit;
	/* The ring's slots and capacity - 1, copied when limit is set. */
	struct trace_slot *slots;
	uint64_t mask;
	uint64_t produced_by_type[TRACE_TYPE_SLOTS] __attribute__((aligned(64)));
} __attribute__((aligned(512)));
_Static_assert(sizeof(struct trace_writer) == 512, "trace: a writer is one shift from the array");

extern struct trace_info trace_info;
extern struct trace_ring trace_rings[NEURON_MAX_HARTS];
extern struct trace_writer trace_writers[NEURON_MAX_HARTS];

/* Index of a descriptor in its ELF section; 0xffff / TRACE_SITE_NONE if not in it. */
#define TRACE_VAR_NONE 0xffffu
#define TRACE_SITE_NONE 0xfffffu
struct percpu_var_desc;
struct percpu_callsite;
unsigned trace_var_index(const struct percpu_var_desc *var);
unsigned trace_site_index(const struct percpu_callsite *site);

/* Writes every ring over the console (trace_stream=1). Recording frozen. */
void trace_stream_all(void);

#endif
