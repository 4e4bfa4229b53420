/*
 * The per-hart audit ring: one per hart, written only by its owner hart,
 * readable at any time by a reader on another hart (live drain) and from
 * a halted machine (gdb reads the same fields through DWARF).
 * Publish protocol and its ordering argument: docs/trace-format.md.
 *
 * Freestanding C11 (GNU atomics builtins), no libc, no kernel headers:
 * the host tests build this file with pthreads standing in for harts.
 */
#ifndef NEURON_TRACE_RING_H
#define NEURON_TRACE_RING_H

#include <stdbool.h>
#include <stdint.h>

#include <neuron/trace_record.h>

#define TRACE_RING_MAGIC 0x474e4952u	/* "RING": an initialised ring */
#define TRACE_RING_MIN_RECORDS 16u

enum trace_mode {
	TRACE_MODE_OVERWRITE = 0,	/* a full ring overwrites its oldest record */
	TRACE_MODE_STOP = 1,		/* a full ring refuses new records */
};

/*
 * A ring slot: struct trace_record's layout with the fields a reader must
 * load atomically grouped in words. `seq` is the slot's commit word: it
 * holds the low 32 bits of the record's sequence number once the record
 * is complete, and is stored first (invalidate) and last (commit).
 */
struct trace_slot {
	uint32_t seq;
	uint32_t meta;		/* type | b << 8 | h << 16, as in the record */
	uint64_t tw;
};
_Static_assert(sizeof(struct trace_slot) == sizeof(struct trace_record), "trace: slot is a record");
_Static_assert(__builtin_offsetof(struct trace_slot, tw) == __builtin_offsetof(struct trace_record, tw),
	       "trace: slot is a record");

/*
 * The ring header. `head` is the number of records ever written (the seq
 * of the next one), published with release after the slot is committed.
 * Records refused in stop mode are counted in `refused` and get no seq.
 * Field names are read by tools/gdb/neuron_gdb/ring_dump.py: rename both together.
 */
struct trace_ring {
	uint64_t head;
	uint64_t refused;
	uint32_t magic;		/* TRACE_RING_MAGIC once trace_ring_init ran */
	uint32_t hart;
	uint32_t capacity;	/* power of two */
	uint32_t mode;		/* enum trace_mode */
	struct trace_slot *slots;
} __attribute__((aligned(64)));

/* Counts derived from a ring. produced = kept + dropped. */
struct trace_counts {
	uint64_t produced;	/* every trace_ring_write call */
	uint64_t kept;		/* records in the ring now */
	uint64_t dropped;	/* refused (stop) + overwritten (overwrite) */
};

/*
 * Prepares ring for hart. Precondition: no writer or reader uses it yet;
 * capacity is a power of two >= TRACE_RING_MIN_RECORDS; slots holds
 * capacity entries. The slots are not cleared: no reader, drain or dump
 * looks at the slot of a record n >= head, and every slot of a record
 * n < head was written by that record or a later one.
 */
void trace_ring_init(struct trace_ring *ring, struct trace_slot *slots, uint32_t capacity,
		     enum trace_mode mode, unsigned hart);

/* True when n is a power of two in [TRACE_RING_MIN_RECORDS, max]. */
bool trace_ring_capacity_ok(uint64_t n, uint64_t max);

/*
 * Slot seq values: the low 32 bits of the record's sequence number (see
 * trace_ring.c for why they are never ambiguous within one read).
 */
#define TRACE_SEQ32(n) ((uint32_t)(n))

/*
 * The publish protocol's stores for record n (docs/trace-format.md) into
 * slot (the ring's slot n mod capacity) and the ring's head, inline so a
 * writer that already holds n (the owner's head) pays only the stores:
 * invalidate, payload, commit, head. meta is type | b << 8 | h << 16; tw
 * is trace_pack_tw(time, w). Precondition: the owner hart, n == head, and
 * the mode lets record n in.
 */
static inline __attribute__((always_inline)) void
trace_ring_publish(struct trace_ring *ring, struct trace_slot *slot, uint64_t n, uint32_t meta,
		   uint64_t tw)
{
#if defined(__riscv)
	/*
	 * Invalidate, payload, commit, head: each group ordered after the one
	 * before it by a store-store fence (Linux's smp_wmb for seqcount
	 * writers), which is all a reader's acquire loads need. Plain aligned
	 * stores are single-copy atomic on RISC-V; GCC would make each atomic
	 * store an AMO with its own address add and each release store a
	 * `fence w,w` of its own: 3 fences here instead of 4, and no adds.
	 */
	*(volatile uint32_t *)&slot->seq = ~TRACE_SEQ32(n);
	__asm__ volatile("fence w,w" ::: "memory");
	*(volatile uint32_t *)&slot->meta = meta;
	*(volatile uint64_t *)&slot->tw = tw;
	__asm__ volatile("fence w,w" ::: "memory");
	*(volatile uint32_t *)&slot->seq = TRACE_SEQ32(n);
	__asm__ volatile("fence w,w" ::: "memory");
	*(volatile uint64_t *)&ring->head = n + 1;
#else
	/*
	 * The same order with C11 stores: invalidate, then the payload with
	 * release stores: a reader whose acquire load sees new payload also
	 * sees the invalidation (or the commit of a later record) when it
	 * re-checks seq. Release stores rather than a release fence:
	 * ThreadSanitizer models stores, not fences, and the host tests run
	 * under it.
	 */
	__atomic_store_n(&slot->seq, ~TRACE_SEQ32(n), __ATOMIC_RELAXED);
	__atomic_store_n(&slot->meta, meta, __ATOMIC_RELEASE);
	__atomic_store_n(&slot->tw, tw, __ATOMIC_RELEASE);
	/* Commit: the payload is visible to whoever acquires this value. */
	__atomic_store_n(&slot->seq, TRACE_SEQ32(n), __ATOMIC_RELEASE);
	__atomic_store_n(&ring->head, n + 1, __ATOMIC_RELEASE);
#endif
}

/* trace_ring_publish into record n's slot. */
static inline __attribute__((always_inline)) void
trace_ring_store(struct trace_ring *ring, uint64_t n, uint32_t meta, uint64_t tw)
{
	trace_ring_publish(ring, &ring->slots[n & (ring->capacity - 1)], n, meta, tw);
}

/*
 * Appends one record. Returns false if stop mode refused it.
 * Precondition: called only by the owner hart, never re-entered on it
 * (the caller masks interrupts around it).
 */
bool trace_ring_write(struct trace_ring *ring, enum trace_type type, uint8_t b, uint16_t h,
		      uint32_t w, uint64_t time);

/* Counts as of now; exact when the writer is quiescent. Any hart. */
struct trace_counts trace_ring_counts(const struct trace_ring *ring);

/*
 * A reader's cursor over one ring. A reader never writes the ring: any
 * number of readers on any harts may run while the owner writes.
 */
struct trace_reader {
	uint64_t next;		/* seq of the next record wanted */
	uint64_t missed;	/* records overwritten before this reader got them */
};

/* Starts at the oldest record the ring still holds. */
void trace_reader_init(struct trace_reader *reader, const struct trace_ring *ring);

/*
 * Copies the next record into *out. Returns true if it did; false when
 * the reader has caught up with the writer. A record overwritten before
 * or during the copy is skipped and counted in reader->missed, never
 * returned torn: every returned record has out->seq == low 32 bits of
 * its sequence number, and successive records have increasing numbers.
 * *seq64 (if not NULL) receives the full sequence number.
 */
bool trace_reader_next(struct trace_reader *reader, const struct trace_ring *ring,
		       struct trace_record *out, uint64_t *seq64);

#endif
