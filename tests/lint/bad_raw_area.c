/* percpu_lint fixture: raw area addresses outside the wrapper, the boot
 * code and the proof code. Lines ending in "expect: RULE" must be
 * reported, nothing else: the checked remote forms, the escape hatch
 * with its reason, a waived use and the names in comments or strings
 * (percpu_area_base(h) here) are fine. */
#include <neuron/percpu.h>

char *percpu_area_base(unsigned hart); // expect: raw-area
unsigned percpu_area_size(void);

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
struct counters { _Atomic long ticks; };
PERCPU_DECLARE(struct counters, counters);

/* Another hart's tick count, as a base plus an offset: unchecked,
 * unrecorded, and not counted as an escape-hatch use. */
long ticks_of(unsigned hart);
long ticks_of(unsigned hart)
{
	char *base = percpu_area_base(hart); // expect: raw-area
	return *(long *)(base + percpu_area_value_offset(counters)); // expect: raw-area
}

long ready_of(unsigned hart);
long ready_of(unsigned hart)
{
	struct runqueue *rq = (struct runqueue *)(percpu_area_base(hart) + // expect: raw-area
		percpu_area_value_offset(runqueues)); // expect: raw-area
	return rq->nr_ready;
}

/* The same reads, checked and recorded. */
long ticks_checked(unsigned hart);
long ticks_checked(unsigned hart)
{
	return percpu_remote_load(counters, hart, ticks, relaxed, stats);
}

long ready_checked(unsigned hart);
long ready_checked(unsigned hart)
{
	long n = 0;
	percpu_remote_locked(runqueues, hart, stats, rq)
		n = rq->nr_ready;
	return n + percpu_unchecked(runqueues, hart, "a quiescent dump after a panic")->nr_ready;
}

/* A function pointer names it too. */
static char *(*const area_of)(unsigned) = percpu_area_base; // expect: raw-area

unsigned long area_for_tp(unsigned hart);
unsigned long area_for_tp(unsigned hart)
{
	const char *what = "percpu_area_base(hart)";
	(void)what;
	/* percpu-lint: allow raw-area: the starting hart gets its own area base for its tp */
	return (unsigned long)percpu_area_base(hart) + 0 * percpu_area_size();
}
