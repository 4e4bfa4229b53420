/*
 * PerCpu accesses and the trace ring on the host, one flavour per build
 * (NEURON_AUDIT 0 or 1, as the kernel). Hart 0 is the main thread; a
 * second thread attaches as hart 1 and stays alive so that its area (its
 * TLS block) exists for the remote access.
 *
 * In the audit build percpu_record_remote is the ring writer the kernel
 * uses: one 16-byte TRACE_REMOTE record into hart 0's ring, timestamped
 * with rdtsc. The ring is a global the program reads at the end (and the
 * write is out of line in trace_ring.c), so no store can be deleted.
 */
#include <pthread.h>
#include <x86intrin.h>

#include <neuron/percpu.h>
#include <neuron/trace_ring.h>
#include <percpu_host.h>

#include "timing.h"

struct counters {
	long hits;
	struct spinlock lock;
};
PERCPU_DECLARE_LOCKED(struct counters, counters, lock);
PERCPU_DEFINE_LOCKED(struct counters, counters, lock);

/* The local access: a variable without a lock (a locked variable's owner
 * writes under its lock, which audit builds check: not what this measures). */
struct local_counters {
	long hits;
};
PERCPU_DECLARE(struct local_counters, local_counters);
PERCPU_DEFINE(struct local_counters, local_counters);

#define RING_RECORDS 4096u
static struct trace_slot ring_slots[RING_RECORDS];
struct trace_ring bench_ring;

extern const struct percpu_var_desc __start_percpu_vars[] __attribute__((weak));
extern const struct percpu_callsite __start_percpu_callsites[] __attribute__((weak));

void percpu_record_remote(const struct percpu_remote_event *event)
{
	trace_ring_write(&bench_ring, TRACE_REMOTE, (uint8_t)event->owner_hart,
			 (uint16_t)(event->var - __start_percpu_vars),
			 (uint32_t)(event->site - __start_percpu_callsites), __rdtsc());
}

/* The remote check's fast path: the same record, from the ids it passes. */
uintptr_t percpu_record_remote_allowed(const struct percpu_var_desc *var, unsigned owner_hart,
				       const struct spinlock *lock, const struct percpu_callsite *site,
				       uintptr_t slot)
{
	(void)lock;
	trace_ring_write(&bench_ring, TRACE_REMOTE, (uint8_t)owner_hart,
			 (uint16_t)(var - __start_percpu_vars),
			 (uint32_t)(site - __start_percpu_callsites), __rdtsc());
	return slot;
}

static struct spinlock *hart1_lock;

__attribute__((noinline)) void bench_local_access(void);
__attribute__((noinline)) void bench_local_access(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, local_counters, hits, percpu_read(g, local_counters, hits) + 1);
}

/* Precondition: hart1_lock held by this thread. */
__attribute__((noinline)) void bench_remote_access(void);
__attribute__((noinline)) void bench_remote_access(void)
{
	/* percpu-lint: allow explicit-remote: the bench times the explicit lock form itself */
	percpu_remote(counters, 1, hart1_lock, steal)->hits++;
}

__attribute__((noinline)) void bench_ring_record(void);
__attribute__((noinline)) void bench_ring_record(void)
{
	trace_ring_write(&bench_ring, TRACE_REMOTE, 1, 2, 3, __rdtsc());
}

/* The ring write's timestamp alone: what every TSC-stamped record pays
 * (the ring write's floor in time, docs/benchmarks.md, "Fifth round"). */
static volatile uint64_t tsc_sink;
__attribute__((noinline)) void bench_timestamp_read(void);
__attribute__((noinline)) void bench_timestamp_read(void)
{
	tsc_sink = __rdtsc();
}

static pthread_barrier_t attached, finished;

static void *hart1_main(void *unused)
{
	(void)unused;
	percpu_host_attach(1);
	pthread_barrier_wait(&attached);
	pthread_barrier_wait(&finished);	/* keep hart 1's area alive */
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct bench benches[] = {
		{ "local_access", bench_local_access },
		{ "remote_access", bench_remote_access },
		{ "ring_record", bench_ring_record },
		{ "timestamp_read", bench_timestamp_read },
	};
	pthread_t hart1;

	pthread_barrier_init(&attached, NULL, 2);
	pthread_barrier_init(&finished, NULL, 2);
	percpu_host_attach(0);
	pthread_create(&hart1, NULL, hart1_main, NULL);
	pthread_barrier_wait(&attached);
	/* Before the init accesses: the audit records those too. */
	trace_ring_init(&bench_ring, ring_slots, RING_RECORDS, TRACE_MODE_OVERWRITE, 0);
	{
		PERCPU_INIT_TOKEN(t);
		percpu_for_each_hart(t, h) {
			struct counters *c = percpu_init(t, counters, h);
			c->hits = 0;
			spin_init(&c->lock, "counters.lock");
			percpu_init(t, local_counters, h)->hits = 0;
		}
		hart1_lock = &percpu_init(t, counters, 1)->lock;
	}
	percpu_smp_begin();

	int status;
	{
		/* Interrupts off (the host's per-thread flag), as the kernel
		 * takes every spinlock; the irqs-off token then holds. */
		PERCPU_GUARD(g);
		spin_lock(hart1_lock);
		status = bench_main(argc, argv, benches, sizeof(benches) / sizeof(benches[0]));
		spin_unlock(hart1_lock);
	}

	struct trace_counts counts = trace_ring_counts(&bench_ring);
#if NEURON_AUDIT
	printf("flavour audit\nviolations %u\n", percpu_audit_violation_count());
#else
	printf("flavour release\nviolations 0\n");
#endif
	printf("ring produced %llu\n", (unsigned long long)counts.produced);
	pthread_barrier_wait(&finished);
	pthread_join(hart1, NULL);
	return status;
}
