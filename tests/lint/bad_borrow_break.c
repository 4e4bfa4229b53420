/* percpu_lint fixture: break and continue that leave a scoped borrow when
 * the writer meant the loop or switch around it. The scoped forms are
 * `for` loops run once, so a break or continue directly in their body
 * binds to them. Lines ending in "expect: RULE" must be reported, nothing
 * else: a break in a loop or switch of the body, a scoped form outside
 * any loop or switch, a return, and a waived use are fine. */
#include <neuron/percpu.h>

struct task;
struct runqueue { long nr_ready; struct spinlock lock; struct task *head; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
struct task *rq_pop(struct runqueue *rq);
unsigned hart_count(void);

/* The plausible bug: the break ends the borrow and the scan goes on, so
 * a later hart's task (or none) overwrites the one found. */
struct task *steal_any(void);
struct task *steal_any(void)
{
	struct task *t = 0;
	for (unsigned h = 0; h < hart_count(); h++)
		percpu_remote_locked(runqueues, h, steal, rq) {
			if ((t = rq_pop(rq)))
				break; // expect: borrow-break
		}
	return t;
}

/* Without braces, in a while loop, through an if/else. */
long count_until_empty(void);
long count_until_empty(void)
{
	unsigned h = 0;
	long n = 0;
	while (h < hart_count()) {
		h++;
		percpu_remote_locked(runqueues, h - 1, stats, rq)
			if (rq->nr_ready == 0)
				continue; // expect: borrow-break
			else
				n += rq->nr_ready;
		n++;
	}
	do
		percpu_remote_locked(runqueues, h, stats, rq) break; // expect: borrow-break
	while (0);
	return n;
}

/* Nested scoped forms: the inner one's break leaves its borrow only; the
 * outer loop is the one meant. A switch takes a break too, not a continue. */
void balance(unsigned me, unsigned mode);
void balance(unsigned me, unsigned mode)
{
	for (unsigned h = 0; h < hart_count(); h++) {
		percpu_remote_locked_pair(runqueues, me, h, steal, mine, theirs)
			percpu_remote_locked(runqueues, 0, stats, first) {
				if (first->nr_ready > mine->nr_ready + theirs->nr_ready)
					break; // expect: borrow-break
			}
		switch (mode) {
		case 1:
			percpu_remote_locked(runqueues, h, wake, rq) {
				if (!rq->nr_ready)
					break; // expect: borrow-break
				rq->nr_ready--;
				continue; // expect: borrow-break
			}
			break;
		default:
			break;
		}
	}
	PERCPU_INIT_TOKEN(t);
	percpu_for_each_hart(t, h) {
		percpu_remote_locked(runqueues, h, stats, rq)
			if (rq->nr_ready)
				break; // expect: borrow-break
	}
}

/* Fine: the break binds to a loop or switch of the body, or the scoped
 * form is in no loop or switch (the break ends the borrow, as it says;
 * a continue in a switch outside any loop binds to the borrow as well). */
long fine(unsigned victim, unsigned mode);
long fine(unsigned victim, unsigned mode)
{
	long n = 0;
	percpu_remote_locked(runqueues, victim, stats, rq) {
		if (!rq->nr_ready)
			break;
		n = rq->nr_ready;
	}
	for (int i = 0; i < 4; i++) {
		percpu_remote_locked(runqueues, victim, steal, rq) {
			for (int j = 0; j < 4; j++)
				if (j == i)
					break;
			while (rq->nr_ready > 4) {
				rq->nr_ready--;
				if (rq->nr_ready == 8)
					continue;
			}
			do {
				if (rq->nr_ready)
					break;
			} while (0);
			switch (mode) {
			case 0:
				break;
			}
			if (rq->nr_ready)
				return n;
		}
		if (n)
			break;
	}
	switch (mode) {
	case 2:
		percpu_remote_locked(runqueues, victim, stats, rq) {
			if (rq->nr_ready)
				continue;
		}
		break;
	}
	const char *text = "for (;;) percpu_remote_locked(runqueues, 0, stats, rq) break;";
	(void)text;
	for (int i = 0; i < 4; i++)
		percpu_remote_locked(runqueues, victim, steal, rq) {
			/* percpu-lint: allow borrow-break: only the borrow ends, the loop retries on purpose */
			if (!rq->nr_ready) break;
		}
	return n;
}
