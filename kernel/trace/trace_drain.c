/*
 * The continuous drain (trace_drain=1). Each hart drains its own ring:
 * when TRACE_DRAIN_BATCH records are pending, the writer copies them
 * behind a chunk header into its staging buffer and hands the buffer to
 * the host in one semihosting write, before the ring can wrap over them
 * (the batch is at most half the ring). So in drain mode a record is lost
 * only if the host refuses a write, and that is counted per hart.
 *
 * Concurrency: drain state is per hart and written only by its owner,
 * inside trace_put (interrupts off, never re-entered). trace_drain_finish
 * runs on the boot hart after trace_finish froze recording and waited for
 * every write in flight (the seq_cst handshake in trace.c), so it sees
 * every owner's last cursor and may read every ring. One write is one
 * chunk: chunks from different harts never interleave inside each other.
 * Plain arrays, not PerCpu: this is the recorder PerCpu reports into.
 */
#include "arch/riscv/semihost.h"
#include "lib/kprintf.h"
#include "trace/trace_drain.h"
#include "trace/trace_state.h"

#if NEURON_AUDIT

#define TRACE_DRAIN_BATCH 256u
/* A chunk that is no hart's (BEGIN, END): its 16-bit hart field (docs/trace-format.md). */
#define CHUNK_NO_HART 0xffffu

struct drain_hart {
	uint64_t drained;	/* seq of the next record to drain */
	uint64_t lost;		/* records in chunks the host refused */
	struct trace_drain_chunk header;
	struct trace_record staging[TRACE_DRAIN_BATCH];
} __attribute__((aligned(64)));

/* Never cleared at boot (section .trace_slots, kernel.ld): read only while
 * the drain is active, and trace_drain_start sets every cursor. */
static struct drain_hart drains[NEURON_MAX_HARTS] __attribute__((section(".trace_slots")));
static long channel = SEMIHOST_ABSENT;
static uint32_t batch;	/* min(TRACE_DRAIN_BATCH, capacity / 2) */

bool trace_drain_active(void)
{
	return channel != SEMIHOST_ABSENT;
}

static bool send(const struct trace_drain_chunk *header, size_t records)
{
	return semihost_write(channel, header, sizeof *header + records * sizeof(struct trace_record));
}

static void send_info(uint16_t kind, uint16_t hart, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct trace_drain_chunk chunk = { .magic = TRACE_DRAIN_MAGIC, .kind = kind, .hart = hart,
					   .a = a, .b = b, .c = c, .d = d };
	(void)send(&chunk, 0);
}

bool trace_drain_start(void)
{
	channel = semihost_open_console();
	if (channel == SEMIHOST_ABSENT) {
		kprintf("neuron: trace: drain: no semihosting (QEMU needs -semihosting-config "
			"enable=on); recording to the rings only\n");
		return false;
	}
	batch = trace_info.capacity / 2 < TRACE_DRAIN_BATCH ? trace_info.capacity / 2 : TRACE_DRAIN_BATCH;
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		drains[h].drained = drains[h].lost = 0;
	send_info(TRACE_DRAIN_BEGIN, CHUNK_NO_HART, trace_info.timebase_hz, trace_info.identity,
		  trace_info.version | (uint64_t)trace_info.max_harts << 16 |
			  (uint64_t)trace_info.mode << 32,
		  trace_info.capacity);
	return true;
}

/* Drains hart's records [drained, upto) in chunks of at most batch. */
static void drain_until(unsigned hart, uint64_t upto)
{
	struct drain_hart *d = &drains[hart];
	const struct trace_ring *ring = &trace_rings[hart];
	const struct trace_record *slots = (const struct trace_record *)ring->slots;
	uint32_t mask = ring->capacity - 1;

	while (d->drained < upto) {
		uint64_t n = upto - d->drained < batch ? upto - d->drained : batch;
		for (uint64_t i = 0; i < n; i++)
			d->staging[i] = slots[(d->drained + i) & mask];
		d->header = (struct trace_drain_chunk){ .magic = TRACE_DRAIN_MAGIC,
			.kind = TRACE_DRAIN_RECORDS, .hart = (uint16_t)hart, .count = (uint32_t)n,
			.a = d->drained };
		if (!send(&d->header, n))
			d->lost += n;
		d->drained += n;
	}
}

uint64_t trace_drain_if_due(unsigned hart)
{
	if (channel == SEMIHOST_ABSENT)
		return UINT64_MAX;
	uint64_t head = __atomic_load_n(&trace_rings[hart].head, __ATOMIC_RELAXED);
	if (head - drains[hart].drained >= batch)
		drain_until(hart, head);
	return drains[hart].drained + batch;
}

void trace_drain_finish(void)
{
	if (channel == SEMIHOST_ABSENT)
		return;
	uint64_t total = 0;
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++) {
		if (trace_rings[h].magic != TRACE_RING_MAGIC)
			continue;
		drain_until(h, __atomic_load_n(&trace_rings[h].head, __ATOMIC_ACQUIRE));
		struct trace_counts c = trace_ring_counts(&trace_rings[h]);
		send_info(TRACE_DRAIN_HART_END, (uint16_t)h, c.produced, drains[h].drained,
			  drains[h].lost, 0);
		total += drains[h].drained;
	}
	send_info(TRACE_DRAIN_END, CHUNK_NO_HART, total, 0, 0, 0);
}

uint64_t trace_drain_drained(unsigned hart)
{
	return hart < NEURON_MAX_HARTS ? drains[hart].drained : 0;
}

uint64_t trace_drain_lost(unsigned hart)
{
	return hart < NEURON_MAX_HARTS ? drains[hart].lost : 0;
}

#endif
