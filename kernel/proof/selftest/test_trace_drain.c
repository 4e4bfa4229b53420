/*
 * Self-test trace_live_drain: another hart writes a ring while this hart
 * drains it. Each record's payload is a function of its sequence number,
 * so a torn or misplaced copy is caught, not only counted. Audit builds
 * only (release has no rings): there it passes trivially with a note.
 */
#include "arch/riscv/csr.h"
#include "proof/cross_call.h"
#include "proof/selftest/selftest.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"

#if NEURON_AUDIT
#include <neuron/trace_ring.h>

#define DRAIN_CAPACITY 64	/* small: the writer laps the reader often */
/*
 * The writer writes at least DRAIN_MIN_RECORDS, then goes on until the
 * reader has drained a record while it ran, at most DRAIN_MAX_RECORDS:
 * how long a fixed count takes is no promise (200,000 records took just
 * over one 10 ms tick under -icount until the ring's stores got cheaper,
 * then just under it, and the reader never woke while the writer ran).
 */
#define DRAIN_MIN_RECORDS 200000
#define DRAIN_MAX_RECORDS 5000000
#define DRAIN_TIMEOUT_MS 2000

struct drain_test {
	struct trace_ring ring;
	uint32_t writer_started, writer_done;
	uint32_t drained_while_running;	/* set by the reader */
	uint64_t written;		/* records the writer wrote, once done */
};

static struct trace_slot drain_slots[DRAIN_CAPACITY];
static struct drain_test drain;

static uint8_t b_of(uint64_t n) { return (uint8_t)(n * 13); }
static uint16_t h_of(uint64_t n) { return (uint16_t)(n >> 2); }
static uint32_t w_of(uint64_t n) { return (uint32_t)(n * 2654435761u) & TRACE_W_MAX; }

/* On the writer hart, from its IPI handler (interrupts off, bounded). */
static void write_records(void *arg)
{
	struct drain_test *d = arg;
	__atomic_store_n(&d->writer_started, 1, __ATOMIC_RELEASE);
	uint64_t n = 0;
	for (; n < DRAIN_MAX_RECORDS &&
	       (n < DRAIN_MIN_RECORDS || !__atomic_load_n(&d->drained_while_running, __ATOMIC_ACQUIRE));
	     n++)
		trace_ring_write(&d->ring, TRACE_MARK, b_of(n), h_of(n), w_of(n), n);
	d->written = n;
	__atomic_store_n(&d->writer_done, 1, __ATOMIC_RELEASE);
}

static bool writer_finished(const struct drain_test *d)
{
	return __atomic_load_n(&d->writer_done, __ATOMIC_ACQUIRE);
}

struct drain_reader {
	struct drain_test *d;
	struct trace_reader reader;
	uint64_t last, got, torn, backwards, while_running;
};

/* Reads everything available; true once the writer has finished. */
static bool drain_step(const void *arg)
{
	struct drain_reader *dr = (struct drain_reader *)arg;
	bool done = writer_finished(dr->d);
	struct trace_record r;
	uint64_t seq;
	while (trace_reader_next(&dr->reader, &dr->d->ring, &r, &seq)) {
		if (r.seq != (uint32_t)seq || r.type != TRACE_MARK || r.b != b_of(seq) ||
		    r.h != h_of(seq) || r.tw != trace_pack_tw(seq, w_of(seq)))
			dr->torn++;
		if (dr->got && seq <= dr->last)
			dr->backwards++;
		dr->last = seq;
		dr->got++;
		dr->while_running += !done;
	}
	if (dr->while_running)
		__atomic_store_n(&dr->d->drained_while_running, 1, __ATOMIC_RELEASE);
	return done;
}

void selftest_trace_live_drain(struct selftest *t)
{
	unsigned me = hart_id(), writer = PERCPU_NO_HART;
	for (unsigned i = 0; i < smp_dtb_hart_count() && writer == PERCPU_NO_HART; i++)
		if (smp_dtb_hart(i) != me && smp_is_online(smp_dtb_hart(i)))
			writer = smp_dtb_hart(i);
	if (!SELFTEST_CHECK(t, writer != PERCPU_NO_HART, "no second online hart to write the ring"))
		return;

	drain.writer_started = drain.writer_done = drain.drained_while_running = 0;
	drain.written = 0;
	trace_ring_init(&drain.ring, drain_slots, DRAIN_CAPACITY, TRACE_MODE_OVERWRITE, writer);
	/*
	 * Timeout 0: post the call and return at once (the result is "not
	 * finished yet"), so this hart can drain while the writer runs. The
	 * wait for writer_finished below keeps one call at a time.
	 */
	(void)proof_call_on(writer, write_records, &drain, 0);

	struct drain_reader dr = { .d = &drain };
	/* Drain at every wake-up until the writer is done: waiting in wfi, not
	 * spinning, lets the writer hart run under -icount's round robin. */
	timer_wait_until(drain_step, &dr, DRAIN_TIMEOUT_MS);
	drain_step(&dr);	/* the records written since the last step */
	struct trace_reader reader = dr.reader;
	uint64_t got = dr.got, torn = dr.torn, backwards = dr.backwards;
	uint64_t while_running = dr.while_running;
	struct trace_counts c = trace_ring_counts(&drain.ring);
	selftest_diag(t, "writer hart %u: produced %lu, drained %lu (%lu while it ran), missed %lu",
		      writer, c.produced, got, while_running, reader.missed);
	SELFTEST_CHECK(t, writer_finished(&drain), "the writer did not finish");
	SELFTEST_CHECK(t, c.produced == drain.written && drain.written >= DRAIN_MIN_RECORDS,
		       "produced %lu, the writer wrote %lu (at least %u)", c.produced, drain.written,
		       DRAIN_MIN_RECORDS);
	SELFTEST_CHECK(t, torn == 0, "%lu torn records", torn);
	SELFTEST_CHECK(t, backwards == 0, "%lu records out of sequence order", backwards);
	SELFTEST_CHECK(t, got + reader.missed == c.produced, "drained %lu + missed %lu != produced %lu",
		       got, reader.missed, c.produced);
	SELFTEST_CHECK(t, got >= DRAIN_CAPACITY, "drained only %lu", got);
	SELFTEST_CHECK(t, while_running > 0, "nothing was drained while the writer ran");
}

#else

void selftest_trace_live_drain(struct selftest *t)
{
	selftest_diag(t, "release build: no trace rings; nothing to drain");
}

#endif
