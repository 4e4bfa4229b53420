/*
 * The trace ring on the host: pthreads stand in for harts. A writer
 * thread owns the ring; reader threads drain it live. Every record's
 * payload is a function of its sequence number, so a torn or misplaced
 * record is detected, not just counted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <neuron/trace_ring.h>

static int failures;

#define CHECK(cond, ...) do {							\
	if (!(cond)) {								\
		failures++;							\
		printf("  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		printf(__VA_ARGS__);						\
		printf("\n");							\
	}									\
} while (0)

/* The payload record n carries. */
static uint8_t b_of(uint64_t n) { return (uint8_t)(n * 13); }
static uint16_t h_of(uint64_t n) { return (uint16_t)(n >> 3); }
static uint32_t w_of(uint64_t n) { return (uint32_t)(n * 2654435761u) & TRACE_W_MAX; }
static uint64_t time_of(uint64_t n) { return n * 3 + 1000; }
static enum trace_type type_of(uint64_t n) { return n % 2 ? TRACE_SWITCH : TRACE_REMOTE; }

static void write_n(struct trace_ring *ring, uint64_t n)
{
	trace_ring_write(ring, type_of(n), b_of(n), h_of(n), w_of(n), time_of(n));
}

/* True if r is exactly the record trace_ring_write stored for n. */
static bool record_is(const struct trace_record *r, uint64_t n)
{
	return r->seq == (uint32_t)n && r->type == type_of(n) && r->b == b_of(n) &&
	       r->h == h_of(n) && r->tw == trace_pack_tw(time_of(n), w_of(n));
}

static void test_capacity_rule(void)
{
	CHECK(trace_ring_capacity_ok(16, 4096), "16 is the minimum");
	CHECK(trace_ring_capacity_ok(4096, 4096), "the maximum itself");
	CHECK(!trace_ring_capacity_ok(8, 4096), "below the minimum");
	CHECK(!trace_ring_capacity_ok(8192, 4096), "above the maximum");
	CHECK(!trace_ring_capacity_ok(100, 4096), "not a power of two");
	CHECK(!trace_ring_capacity_ok(0, 4096), "zero");
}

static void test_overwrite_keeps_newest(void)
{
	enum { CAP = 64 };
	static struct trace_slot slots[CAP];
	struct trace_ring ring;
	trace_ring_init(&ring, slots, CAP, TRACE_MODE_OVERWRITE, 3);
	uint64_t produced = 3 * CAP + 5;
	for (uint64_t n = 0; n < produced; n++)
		write_n(&ring, n);

	struct trace_counts c = trace_ring_counts(&ring);
	CHECK(c.produced == produced && c.kept == CAP && c.dropped == produced - CAP,
	      "counts %lu/%lu/%lu", (unsigned long)c.produced, (unsigned long)c.kept,
	      (unsigned long)c.dropped);

	struct trace_reader rd;
	trace_reader_init(&rd, &ring);
	struct trace_record r;
	uint64_t seq, expected = produced - CAP, got = 0;
	while (trace_reader_next(&rd, &ring, &r, &seq)) {
		CHECK(seq == expected && record_is(&r, seq), "record %lu (expected %lu)",
		      (unsigned long)seq, (unsigned long)expected);
		expected++;
		got++;
	}
	CHECK(got == CAP && rd.missed == produced - CAP, "got %lu missed %lu", (unsigned long)got,
	      (unsigned long)rd.missed);
}

static void test_stop_keeps_oldest(void)
{
	enum { CAP = 32 };
	static struct trace_slot slots[CAP];
	struct trace_ring ring;
	trace_ring_init(&ring, slots, CAP, TRACE_MODE_STOP, 0);
	unsigned refused = 0;
	for (uint64_t n = 0; n < CAP + 7; n++)
		refused += !trace_ring_write(&ring, type_of(n), b_of(n), h_of(n), w_of(n), time_of(n));
	struct trace_counts c = trace_ring_counts(&ring);
	CHECK(refused == 7 && c.produced == CAP + 7 && c.kept == CAP && c.dropped == 7,
	      "refused %u counts %lu/%lu/%lu", refused, (unsigned long)c.produced,
	      (unsigned long)c.kept, (unsigned long)c.dropped);
	struct trace_reader rd;
	trace_reader_init(&rd, &ring);
	struct trace_record r;
	uint64_t seq, expected = 0;
	while (trace_reader_next(&rd, &ring, &r, &seq)) {
		CHECK(seq == expected && record_is(&r, seq), "record %lu", (unsigned long)seq);
		expected++;
	}
	CHECK(expected == CAP && rd.missed == 0, "read %lu", (unsigned long)expected);
}

/* ---- live readers racing the owner ---- */

struct race {
	struct trace_ring ring;
	uint64_t records;
	int writer_done;
};

struct reader_result {
	struct race *race;
	uint64_t got, missed, torn, out_of_order;
};

static void *writer_main(void *arg)
{
	struct race *race = arg;
	for (uint64_t n = 0; n < race->records; n++)
		write_n(&race->ring, n);
	__atomic_store_n(&race->writer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *reader_main(void *arg)
{
	struct reader_result *res = arg;
	struct race *race = res->race;
	struct trace_reader rd = { 0, 0 };
	struct trace_record r;
	uint64_t seq, last = 0;
	bool any = false;
	for (;;) {
		/* Read done before draining: the final drain then sees every record. */
		int done = __atomic_load_n(&race->writer_done, __ATOMIC_ACQUIRE);
		while (trace_reader_next(&rd, &race->ring, &r, &seq)) {
			if (!record_is(&r, seq))
				res->torn++;
			if (any && seq <= last)
				res->out_of_order++;
			last = seq;
			any = true;
			res->got++;
		}
		if (done)
			break;
	}
	res->missed = rd.missed;
	return NULL;
}

static void test_live_readers(uint32_t capacity, uint64_t records)
{
	struct race *race = calloc(1, sizeof *race);
	struct trace_slot *slots = calloc(capacity, sizeof *slots);
	trace_ring_init(&race->ring, slots, capacity, TRACE_MODE_OVERWRITE, 1);
	race->records = records;

	enum { READERS = 2 };
	struct reader_result res[READERS] = { { .race = race }, { .race = race } };
	pthread_t readers[READERS], writer;
	for (int i = 0; i < READERS; i++)
		pthread_create(&readers[i], NULL, reader_main, &res[i]);
	pthread_create(&writer, NULL, writer_main, race);
	pthread_join(writer, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);

	struct trace_counts c = trace_ring_counts(&race->ring);
	CHECK(c.produced == records, "produced %lu", (unsigned long)c.produced);
	for (int i = 0; i < READERS; i++) {
		CHECK(res[i].torn == 0, "reader %d: %lu torn records", i, (unsigned long)res[i].torn);
		CHECK(res[i].out_of_order == 0, "reader %d: %lu out of order", i,
		      (unsigned long)res[i].out_of_order);
		CHECK(res[i].got + res[i].missed == records,
		      "reader %d: got %lu + missed %lu != produced %lu", i, (unsigned long)res[i].got,
		      (unsigned long)res[i].missed, (unsigned long)records);
		CHECK(res[i].got >= capacity, "reader %d: final drain got only %lu", i,
		      (unsigned long)res[i].got);
		printf("  capacity %u: reader %d got %lu, missed %lu\n", capacity, i,
		       (unsigned long)res[i].got, (unsigned long)res[i].missed);
	}
	free(slots);
	free(race);
}

int main(void)
{
	struct { const char *name; void (*fn)(void); } tests[] = {
		{ "capacity_rule", test_capacity_rule },
		{ "overwrite_keeps_newest", test_overwrite_keeps_newest },
		{ "stop_keeps_oldest", test_stop_keeps_oldest },
	};
	for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		printf("%s\n", tests[i].name);
		tests[i].fn();
	}
	printf("live_readers\n");
	test_live_readers(16, 200000);		/* small ring: constant overwrites mid-copy */
	test_live_readers(1024, 200000);
	printf("%s: %d failed checks\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
