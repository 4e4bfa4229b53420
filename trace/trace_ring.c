/*
 * The per-hart ring. Ordering argument: docs/trace-format.md, "Publish
 * protocol". In short, a seqlock per slot whose odd state is "the seq
 * field does not name the record being read", plus a head counter that
 * tells readers which slots were ever completed.
 */
#include <neuron/trace_ring.h>

#define RELAXED __ATOMIC_RELAXED
#define ACQUIRE __ATOMIC_ACQUIRE
#define RELEASE __ATOMIC_RELEASE

/*
 * Slot seq values are never ambiguous within one read: a writer would have
 * to lap the ring 2^32 / capacity times during one 16-byte copy. The
 * invalid value ~SEQ32(n) differs from the record it replaces, n - capacity,
 * because n - capacity == ~n (mod 2^32) would need 2n == capacity - 1,
 * an even number equal to an odd one.
 */
#define SEQ32(n) TRACE_SEQ32(n)

bool trace_ring_capacity_ok(uint64_t n, uint64_t max)
{
	return n >= TRACE_RING_MIN_RECORDS && n <= max && (n & (n - 1)) == 0;
}

void trace_ring_init(struct trace_ring *ring, struct trace_slot *slots, uint32_t capacity,
		     enum trace_mode mode, unsigned hart)
{
	ring->slots = slots;
	ring->capacity = capacity;
	ring->mode = mode;
	ring->hart = hart;
	__atomic_store_n(&ring->refused, 0, RELAXED);
	__atomic_store_n(&ring->head, 0, RELAXED);
	__atomic_store_n(&ring->magic, TRACE_RING_MAGIC, RELEASE);
}

bool trace_ring_write(struct trace_ring *ring, enum trace_type type, uint8_t b, uint16_t h,
		      uint32_t w, uint64_t time)
{
	/* Only the owner stores head: a relaxed load sees its own last store. */
	uint64_t n = __atomic_load_n(&ring->head, RELAXED);
	if (ring->mode == TRACE_MODE_STOP && n >= ring->capacity) {
		__atomic_store_n(&ring->refused, __atomic_load_n(&ring->refused, RELAXED) + 1, RELAXED);
		return false;
	}
	trace_ring_store(ring, n, (uint32_t)type | (uint32_t)b << 8 | (uint32_t)h << 16,
			 trace_pack_tw(time, w));
	return true;
}

struct trace_counts trace_ring_counts(const struct trace_ring *ring)
{
	uint64_t head = __atomic_load_n(&ring->head, ACQUIRE);
	uint64_t refused = __atomic_load_n(&ring->refused, RELAXED);
	uint64_t kept = head < ring->capacity ? head : ring->capacity;
	return (struct trace_counts){
		.produced = head + refused,
		.kept = kept,
		.dropped = head + refused - kept,
	};
}

void trace_reader_init(struct trace_reader *reader, const struct trace_ring *ring)
{
	uint64_t head = __atomic_load_n(&ring->head, ACQUIRE);
	reader->next = head > ring->capacity ? head - ring->capacity : 0;
	reader->missed = reader->next;
}

/* Copies slot's record if it still holds record n. */
static bool copy_slot(const struct trace_slot *slot, uint64_t n, struct trace_record *out)
{
	if (__atomic_load_n(&slot->seq, ACQUIRE) != SEQ32(n))
		return false;
	/* Acquire: the re-check below cannot move above these loads. */
	uint32_t meta = __atomic_load_n(&slot->meta, ACQUIRE);
	uint64_t tw = __atomic_load_n(&slot->tw, ACQUIRE);
	if (__atomic_load_n(&slot->seq, RELAXED) != SEQ32(n))
		return false;
	*out = (struct trace_record){
		.seq = SEQ32(n), .type = (uint8_t)meta, .b = (uint8_t)(meta >> 8),
		.h = (uint16_t)(meta >> 16), .tw = tw,
	};
	return true;
}

bool trace_reader_next(struct trace_reader *reader, const struct trace_ring *ring,
		       struct trace_record *out, uint64_t *seq64)
{
	for (;;) {
		uint64_t head = __atomic_load_n(&ring->head, ACQUIRE);
		if (reader->next >= head)
			return false;
		if (head - reader->next > ring->capacity) {
			/* Overwritten before we got there. */
			reader->missed += head - ring->capacity - reader->next;
			reader->next = head - ring->capacity;
		}
		uint64_t n = reader->next++;
		if (copy_slot(&ring->slots[n & (ring->capacity - 1)], n, out)) {
			if (seq64)
				*seq64 = n;
			return true;
		}
		reader->missed++;	/* overwritten during the copy */
	}
}
