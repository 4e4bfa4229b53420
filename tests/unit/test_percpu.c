/*
 * Host tests for PerCpu: pthreads are harts (percpu/host). Built in both
 * flavours; the audit-only tests check each violation is caught and the
 * report names accessing hart, owner hart, variable, file:line and what was
 * missing. Also run under ThreadSanitizer and AddressSanitizer+UBSan.
 */
#include <neuron/percpu.h>
#include <percpu_host.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define HARTS 4
#define ROUNDS 2000

struct runqueue {
	long nr_ready;
	struct spinlock lock;
	long stolen;
	unsigned char flags;
	int slots[4];
};
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
PERCPU_DEFINE_LOCKED(struct runqueue, runqueues, lock);

struct mailbox {
	_Atomic unsigned long pending;	/* posted by remote atomics */
	_Atomic unsigned long seen;
};
PERCPU_DECLARE(struct mailbox, mailboxes);
PERCPU_DEFINE(struct mailbox, mailboxes);

PERCPU_DECLARE(unsigned long, ticks);
PERCPU_DEFINE(unsigned long, ticks);

/* ---- test doubles: remote-access records and violation reports ---- */

static pthread_mutex_t double_mutex = PTHREAD_MUTEX_INITIALIZER;
static unsigned remote_records;
static struct percpu_remote_event last_event;
static unsigned reports;
static struct percpu_violation last_violation;
static char last_line[256];

void percpu_record_remote(const struct percpu_remote_event *event)
{
	pthread_mutex_lock(&double_mutex);
	remote_records++;
	last_event = *event;
	pthread_mutex_unlock(&double_mutex);
}

static void capture_report(const struct percpu_violation *violation, const char *line)
{
	pthread_mutex_lock(&double_mutex);
	reports++;
	last_violation = *violation;
	snprintf(last_line, sizeof last_line, "%s", line);
	pthread_mutex_unlock(&double_mutex);
}

static void reset_doubles(void)
{
	pthread_mutex_lock(&double_mutex);
	remote_records = 0;
	reports = 0;
	memset(&last_event, 0, sizeof last_event);
	memset(&last_violation, 0, sizeof last_violation);
	last_line[0] = '\0';
	pthread_mutex_unlock(&double_mutex);
}

/* ---- a small SMP scenario: main thread is hart 0 ---- */

struct scenario {
	void (*init)(void);		/* runs on hart 0 in the init phase */
	void (*body)(unsigned hart);	/* runs on every hart after smp_begin */
	void (*finish)(void);		/* runs on hart 0 while every hart is still alive */
	pthread_barrier_t attached, started, finished, released;
};

struct hart_arg {
	struct scenario *scenario;
	unsigned hart;
};

static void *hart_main(void *p)
{
	struct hart_arg *arg = p;
	percpu_host_attach(arg->hart);
	pthread_barrier_wait(&arg->scenario->attached);
	pthread_barrier_wait(&arg->scenario->started);
	arg->scenario->body(arg->hart);
	/* A thread's TLS is its area: keep it alive until hart 0 is done. */
	pthread_barrier_wait(&arg->scenario->finished);
	pthread_barrier_wait(&arg->scenario->released);
	return NULL;
}

static void run_harts(void (*init)(void), void (*body)(unsigned hart), void (*finish)(void))
{
	struct scenario s = { .init = init, .body = body, .finish = finish };
	struct hart_arg args[HARTS];
	pthread_t threads[HARTS];

	percpu_host_reset_for_test();
	reset_doubles();
	percpu_host_set_report_hook(capture_report);
	percpu_audit_set_mode(PERCPU_AUDIT_CONTINUE);
	pthread_barrier_init(&s.attached, NULL, HARTS);
	pthread_barrier_init(&s.started, NULL, HARTS);
	pthread_barrier_init(&s.finished, NULL, HARTS);
	pthread_barrier_init(&s.released, NULL, HARTS);
	percpu_host_attach(0);
	for (unsigned h = 1; h < HARTS; h++) {
		args[h] = (struct hart_arg){ &s, h };
		pthread_create(&threads[h], NULL, hart_main, &args[h]);
	}
	pthread_barrier_wait(&s.attached);
	if (init)
		init();
	reset_doubles();	/* tests count what the body does */
	percpu_smp_begin();
	pthread_barrier_wait(&s.started);
	body(0);
	pthread_barrier_wait(&s.finished);
	if (finish)
		finish();
	pthread_barrier_wait(&s.released);
	for (unsigned h = 1; h < HARTS; h++)
		pthread_join(threads[h], NULL);
	pthread_barrier_destroy(&s.attached);
	pthread_barrier_destroy(&s.started);
	pthread_barrier_destroy(&s.finished);
	pthread_barrier_destroy(&s.released);
}

/* ---- tests for both flavours ---- */

static void init_runqueues(void)
{
	PERCPU_INIT_TOKEN(t);
	percpu_for_each_hart(t, h) {
		struct runqueue *rq = percpu_init(t, runqueues, h);
		rq->nr_ready = 1000 * (long)h;
		rq->stolen = 0;
		spin_init(&rq->lock, "runqueues.lock");
		percpu_init(t, ticks, h)[0] = 0;
	}
}

static unsigned long isolation_errors;

static void isolation_body(unsigned hart)
{
	unsigned long errors = 0;
	for (int i = 0; i < ROUNDS; i++) {
		PERCPU_GUARD(g);
		/* Remote harts reach runqueues under its lock: the owner's writes too. */
		struct spinlock *own = &percpu_local(g, runqueues)->lock;
		spin_lock(own);
		long before = percpu_read(g, runqueues, nr_ready);
		if (before != 1000 * (long)hart + i)
			errors++;
		percpu_write(g, runqueues, nr_ready, before + 1);
		percpu_write(g, runqueues, slots[2], (int)hart);
		spin_unlock(own);
		percpu_write_var(g, ticks, percpu_read_var(g, ticks) + 1);
		if (percpu_current_hart(&g) != hart)
			errors++;
	}
	PERCPU_GUARD(g);
	if (percpu_read(g, runqueues, slots[2]) != (int)hart || percpu_read_var(g, ticks) != ROUNDS)
		errors++;
	__atomic_fetch_add(&isolation_errors, errors, __ATOMIC_RELAXED);
}

/* Each hart sees only its own instance, initialised in the init phase. */
static void test_isolation(void)
{
	isolation_errors = 0;
	run_harts(init_runqueues, isolation_body, NULL);
	CHECK_EQ(isolation_errors, 0);
	CHECK_EQ(reports, 0);
}

/* Guards nest and restore the interrupt state in reverse order. */
static void test_nested_guards(void)
{
	percpu_host_reset_for_test();
	reset_doubles();
	percpu_host_attach(0);
	CHECK(percpu_arch_irqs_enabled());
	{
		PERCPU_GUARD(outer);
		CHECK(!percpu_arch_irqs_enabled());
		{
			PERCPU_GUARD(inner);
			CHECK(!percpu_arch_irqs_enabled());
			{
				PERCPU_GUARD_IRQS_OFF(token);
				percpu_write_var(token, ticks, 7);
				CHECK_EQ(percpu_read_var(inner, ticks), 7);
			}
			CHECK_EQ(percpu_read_var(outer, ticks), 7);
		}
		CHECK(!percpu_arch_irqs_enabled());
	}
	CHECK(percpu_arch_irqs_enabled());
	CHECK_EQ(reports, 0);
}

static void steal_body(unsigned hart)
{
	for (int i = 0; i < ROUNDS; i++) {
		unsigned victim = (hart + 1 + (unsigned)i % (HARTS - 1)) % HARTS;
		PERCPU_GUARD(g);
		struct spinlock *lock = &percpu_unchecked(runqueues, victim,
			"test: find the victim's lock to take it")->lock;
		spin_lock(lock);
		struct runqueue *rq = percpu_remote(runqueues, victim, lock, steal);
		rq->stolen++;
		percpu_remote_write(runqueues, victim, nr_ready,
				    percpu_remote_read(runqueues, victim, nr_ready, lock, steal) - 1,
				    lock, steal);
		spin_unlock(lock);
	}
}

static long stolen, ready;

static void sum_runqueues(void)
{
	stolen = ready = 0;
	for (unsigned h = 0; h < HARTS; h++) {
		stolen += percpu_unchecked(runqueues, h, "test: quiescent sum, all harts parked")->stolen;
		ready += percpu_unchecked(runqueues, h, "test: quiescent sum, all harts parked")->nr_ready;
	}
}

/* Remote updates under the owner's lock do not lose increments. */
static void test_remote_locked(void)
{
	run_harts(init_runqueues, steal_body, sum_runqueues);
	CHECK_EQ(stolen, (long)HARTS * ROUNDS);
	CHECK_EQ(ready, 1000L * (0 + 1 + 2 + 3) - (long)HARTS * ROUNDS);
	CHECK_EQ(reports, 0);
}

/* Every hart moves units between its queue and the others' with the
 * scoped forms: the pair takes both locks in ascending hart order, so
 * harts doing this to each other at once neither deadlock nor lose an
 * update. */
static void scoped_steal_body(unsigned hart)
{
	for (int i = 0; i < ROUNDS; i++) {
		unsigned victim = (hart + 1 + (unsigned)i % (HARTS - 1)) % HARTS;
		PERCPU_GUARD(g);
		percpu_remote_locked_pair(runqueues, hart, victim, steal, mine, theirs) {
			theirs->nr_ready--;
			theirs->stolen++;
			mine->nr_ready++;
		}
		percpu_remote_locked(runqueues, victim, wake, rq) {
			if (i % 2)
				continue;	/* leaves the block: the lock is released */
			rq->nr_ready++;
		}
		percpu_remote_locked(runqueues, hart, wake, rq)
			rq->nr_ready -= i % 2 ? 0 : 1;
	}
}

/* A return from inside the block releases the lock too. */
static long scoped_peek(unsigned hart)
{
	percpu_remote_locked(runqueues, hart, stats, rq)
		return rq->nr_ready;
	return -1;
}

static void scoped_return_body(unsigned hart)
{
	PERCPU_GUARD(g);
	unsigned other = (hart + 1) % HARTS;
	CHECK_EQ(scoped_peek(other), 1000L * other);
	struct spinlock *lock = percpu_remote_lock(runqueues, other);
	CHECK_EQ(atomic_load_explicit(&lock->locked, memory_order_relaxed), 0u);
}

static void test_remote_scoped_return(void)
{
	run_harts(init_runqueues, scoped_return_body, NULL);
	CHECK_EQ(reports, 0);
}

/* The scoped forms keep interrupts off for their block and give the
 * caller's state back on every way out: here, with no guard around them,
 * interrupts are on before and after. */
static void scoped_irqs_body(unsigned hart)
{
	unsigned other = (hart + 1) % HARTS;
	CHECK(percpu_arch_irqs_enabled());
	percpu_remote_locked(runqueues, other, stats, rq) {
		CHECK(!percpu_arch_irqs_enabled());
		if (rq->nr_ready >= 0)
			break;
	}
	CHECK(percpu_arch_irqs_enabled());
	percpu_remote_locked_pair(runqueues, hart, other, stats, mine, theirs)
		CHECK(!percpu_arch_irqs_enabled() && mine != theirs);
	CHECK(percpu_arch_irqs_enabled());
	CHECK_EQ(scoped_peek(other), 1000L * other);
	CHECK(percpu_arch_irqs_enabled());
}

static void test_remote_scoped_irqs(void)
{
	run_harts(init_runqueues, scoped_irqs_body, NULL);
	CHECK_EQ(reports, 0);
}

/* The scoped remote forms exclude each other: no update is lost. */
static void test_remote_scoped(void)
{
	run_harts(init_runqueues, scoped_steal_body, sum_runqueues);
	CHECK_EQ(stolen, (long)HARTS * ROUNDS);
	CHECK_EQ(ready, 1000L * (0 + 1 + 2 + 3));
	CHECK_EQ(reports, 0);
}

static void post_body(unsigned hart)
{
	for (int i = 0; i < ROUNDS; i++)
		percpu_remote_fetch_add(mailboxes, (hart + 1) % HARTS, pending, 1, release, ipi_post);
}

static unsigned long posted[HARTS], posted_local;

static void read_mailboxes(void)
{
	PERCPU_GUARD(g);
	posted_local = percpu_local_load(g, mailboxes, pending, acquire);
	for (unsigned h = 0; h < HARTS; h++)
		posted[h] = percpu_remote_load(mailboxes, h, pending, acquire, stats);
}

static void clear_mailboxes(void)
{
	PERCPU_INIT_TOKEN(t);
	percpu_for_each_hart(t, h)
		percpu_init(t, mailboxes, h)->pending = 0;
}

/* Remote atomics reach the target's instance and only it. */
static void test_remote_atomic(void)
{
	run_harts(clear_mailboxes, post_body, read_mailboxes);
	CHECK_EQ(posted_local, ROUNDS);
	for (unsigned h = 0; h < HARTS; h++)
		CHECK_EQ(posted[h], ROUNDS);
	CHECK_EQ(reports, 0);
}

/* Areas are 64-byte aligned; release storage is the plain type. */
static void test_layout(void)
{
	percpu_host_reset_for_test();
	percpu_host_attach(0);
	CHECK_EQ(percpu_registered_area_base(0) % 64, 0);
	CHECK_EQ(_Alignof(struct percpu_hart_self), 64);
	CHECK_EQ(runqueues.desc.size, sizeof(struct runqueue));
	CHECK_EQ(runqueues.desc.lock_offset, offsetof(struct runqueue, lock));
	CHECK_EQ(mailboxes.desc.lock_offset, -1);
	CHECK_CONTAINS(runqueues.desc.lock_name, "runqueues.lock");
	CHECK_CONTAINS(runqueues.desc.file, "test_percpu.c");
#if !NEURON_AUDIT
	CHECK_EQ(sizeof(struct percpu_slot__runqueues), sizeof(struct runqueue));
	CHECK_EQ(sizeof(struct percpu_guard), sizeof(unsigned long));
#endif
}

/* Release builds make no calls: the record seam is never reached. */
static void test_records_only_in_audit(void)
{
	run_harts(init_runqueues, post_body, NULL);
	CHECK_EQ(remote_records, NEURON_AUDIT ? HARTS * ROUNDS + 0u : 0u);
}

#if NEURON_AUDIT
/* ---- audit: every violation is caught and reported on one line ---- */

static void prepare_single_hart(void)
{
	percpu_host_reset_for_test();
	reset_doubles();
	percpu_host_set_report_hook(capture_report);
	percpu_audit_set_mode(PERCPU_AUDIT_CONTINUE);
	percpu_host_attach(0);
	init_runqueues();
	reset_doubles();
}

static void check_report(unsigned accessing, unsigned owner, const char *var, int line,
			 const char *missing)
{
	char where[64];
	snprintf(where, sizeof where, "test_percpu.c:%d", line);
	CHECK_EQ(reports, 1);
	CHECK_EQ(last_violation.accessing_hart, accessing);
	CHECK_EQ(last_violation.owner_hart, owner);
	CHECK_CONTAINS(last_violation.var_name, var);
	CHECK_EQ(last_violation.line, line);
	CHECK_CONTAINS(last_line, where);
	CHECK_CONTAINS(last_line, var);
	CHECK_CONTAINS(last_violation.missing, missing);
	CHECK_CONTAINS(last_line, missing);
	CHECK(strchr(last_line, '\n') == NULL);
}

static int line_of_access;
static unsigned accessing_hart_seen;

static void remote_without_lock_body(unsigned hart)
{
	if (hart != 1)
		return;
	PERCPU_GUARD(g);
	struct spinlock *mine = &percpu_local(g, runqueues)->lock;
	spin_lock(mine);
	line_of_access = __LINE__ + 1;
	long n = percpu_remote_read(runqueues, 2, nr_ready, mine, steal);
	spin_unlock(mine);
	(void)n;
}

/* Holding some lock is not enough: it must be the target's own lock. */
static void test_audit_remote_wrong_lock(void)
{
	run_harts(init_runqueues, remote_without_lock_body, NULL);
	check_report(1, 2, "runqueues", line_of_access, "runqueues.lock");
	CHECK_EQ(remote_records, 1);
	CHECK(!last_event.allowed);
	CHECK_EQ(last_event.accessing_hart, 1);
	CHECK_EQ(last_event.owner_hart, 2);
	CHECK(last_event.var == &runqueues.desc);
	CHECK_EQ(last_event.kind, PERCPU_ACCESS_READ);
	CHECK_EQ(last_event.reason, PERCPU_REASON_STEAL);
	CHECK_EQ(last_event.site->line, line_of_access);
}

static void remote_not_held_body(unsigned hart)
{
	if (hart != 3)
		return;
	PERCPU_GUARD(g);
	struct spinlock *theirs = &percpu_unchecked(runqueues, 0, "test: name the lock without taking it")->lock;
	line_of_access = __LINE__ + 1;
	struct runqueue *rq = percpu_remote(runqueues, 0, theirs, steal);
	(void)rq;
}

/* The right lock, but not held by the accessing hart. */
static void test_audit_remote_lock_not_held(void)
{
	run_harts(init_runqueues, remote_not_held_body, NULL);
	check_report(3, 0, "runqueues", line_of_access, "lock held by this hart: runqueues.lock");
	CHECK_EQ(remote_records, 2);	/* the escape hatch is recorded too */
	CHECK_EQ(last_event.kind, PERCPU_ACCESS_LOCKED);
	CHECK(!last_event.allowed);
}

/* An allowed remote access is recorded with its lock, reason and site. */
static void test_audit_remote_record(void)
{
	prepare_single_hart();
	PERCPU_GUARD(g);
	struct spinlock *lock = &percpu_local(g, runqueues)->lock;
	spin_lock(lock);
	int line = __LINE__ + 1;
	percpu_remote_write(runqueues, 0, stolen, 5, lock, steal);
	spin_unlock(lock);
	CHECK_EQ(reports, 0);
	CHECK_EQ(remote_records, 1);
	CHECK(last_event.allowed);
	CHECK(last_event.lock == lock);
	CHECK_EQ(last_event.kind, PERCPU_ACCESS_WRITE);
	CHECK_EQ(last_event.reason, PERCPU_REASON_STEAL);
	CHECK_EQ(last_event.site->line, line);
	CHECK_CONTAINS(last_event.site->var_name, "runqueues");
	CHECK_EQ(percpu_read(g, runqueues, stolen), 5);
}

/* A scoped borrow is recorded as a locked remote access, and its lock
 * released when the block is left. */
static void test_audit_scoped_record(void)
{
	prepare_single_hart();
	PERCPU_GUARD(g);
	struct spinlock *lock = percpu_remote_lock(runqueues, 0);
	int line = __LINE__ + 1;
	percpu_remote_locked(runqueues, 0, stats, rq) {
		CHECK(spin_held_by_current_hart(lock));
		CHECK(&rq->lock == lock);
		break;
	}
	CHECK(!spin_held_by_current_hart(lock));
	CHECK_EQ(reports, 0);
	CHECK_EQ(remote_records, 1);
	CHECK(last_event.allowed);
	CHECK(last_event.lock == lock);
	CHECK_EQ(last_event.kind, PERCPU_ACCESS_LOCKED);
	CHECK_EQ(last_event.site->line, line);
}

/* The borrow's lock released inside its block: reported once, at the
 * spin_unlock, and not again when the block ends. */
static void test_audit_borrow_outlives_unlock(void)
{
	prepare_single_hart();
	PERCPU_GUARD(g);
	int opened = __LINE__ + 1;
	percpu_remote_locked(runqueues, 0, steal, rq) {
		line_of_access = __LINE__ + 1;
		spin_unlock(&rq->lock);
		rq->stolen++;
	}
	char missing[96];
	snprintf(missing, sizeof missing,
		 "the lock held until the end of the borrow of runqueues opened at line %d", opened);
	check_report(0, 0, "runqueues.lock", line_of_access, missing);
	CHECK(!spin_held_by_current_hart(percpu_remote_lock(runqueues, 0)));
}

/* The owner writing its locked variable without the lock is caught. */
static void test_audit_owner_write_unlocked(void)
{
	prepare_single_hart();
	PERCPU_GUARD(g);
	line_of_access = __LINE__ + 1;
	percpu_write(g, runqueues, stolen, 1);
	check_report(0, 0, "runqueues", line_of_access,
		     "its own lock held by this hart for the owner's write: runqueues.lock");
	struct spinlock *own = &percpu_local(g, runqueues)->lock;
	spin_lock(own);
	percpu_write(g, runqueues, stolen, 2);
	spin_unlock(own);
	CHECK_EQ(reports, 1);
}

/* A guard copied out of its block is dead: using the copy is caught. */
static void test_audit_guard_after_release(void)
{
	prepare_single_hart();
	struct percpu_guard copy;
	{
		PERCPU_GUARD(g);
		copy = g;
	}
	line_of_access = __LINE__ + 1;
	long n = percpu_read(copy, runqueues, nr_ready);
	(void)n;
	check_report(0, 0, "runqueues", line_of_access, "a live guard");
}

/* The old 32-bit serial's wrap point (serial 0 meant "no guard"). */
#define OLD_SERIAL_WRAP (UINT64_C(1) << 32)

/* Guard serials do not wrap at 2^32: guards taken across that point,
 * nested or not, are live, checked and released without a report. */
static void test_audit_guard_serial_past_2_32(void)
{
	prepare_single_hart();
	percpu_host_set_next_guard_serial_for_test(OLD_SERIAL_WRAP - 3);
	for (unsigned long i = 0; i < 6; i++) {
		PERCPU_GUARD(outer);
		percpu_write_var(outer, ticks, i);
		{
			PERCPU_GUARD(inner);
			CHECK_EQ(percpu_read_var(inner, ticks), i);
			CHECK_EQ(percpu_current_hart(&inner), 0);
		}
		CHECK_EQ(percpu_read_var(outer, ticks), i);
		CHECK(outer.serial >= OLD_SERIAL_WRAP - 3);
	}
	CHECK_EQ(reports, 0);
	CHECK_EQ(percpu__self.guard_depth, 0);	/* every guard was released */
	CHECK_EQ(percpu__self.next_serial, OLD_SERIAL_WRAP + 9);
}

/* A copy of a dead guard stays dead after the hart took 2^32 more
 * guards: its serial never comes round again. */
static void test_audit_stale_guard_after_2_32_guards(void)
{
	prepare_single_hart();
	struct percpu_guard copy;
	percpu_host_set_next_guard_serial_for_test(5);
	{
		PERCPU_GUARD(g);
		copy = g;
	}
	percpu_host_set_next_guard_serial_for_test(OLD_SERIAL_WRAP + 5);	/* 2^32 guards later */
	PERCPU_GUARD(g);
	line_of_access = __LINE__ + 1;
	percpu_write_var(copy, ticks, 1);
	check_report(0, 0, "ticks", line_of_access, "a live guard");
	CHECK_EQ(g.serial, OLD_SERIAL_WRAP + 5);
}

static struct percpu_guard *shared_guard;
static pthread_barrier_t handoff;

/* What hart 2 does with hart 0's live guard; it sets line_of_access. */
static void (*use_foreign_guard)(void);

/* Hart 0 takes a guard and holds it while hart 2, under a guard of its
 * own (interrupts off there too: only the hart differs), uses it. */
static void lend_guard_body(unsigned hart)
{
	if (hart == 0) {
		PERCPU_GUARD(g);
		shared_guard = &g;
		pthread_barrier_wait(&handoff);	/* hart 2 uses it */
		pthread_barrier_wait(&handoff);	/* before g ends */
	} else if (hart == 2) {
		pthread_barrier_wait(&handoff);
		PERCPU_GUARD(own);
		use_foreign_guard();
		pthread_barrier_wait(&handoff);
	}
}

static void run_with_lent_guard(void (*use)(void))
{
	use_foreign_guard = use;
	pthread_barrier_init(&handoff, NULL, 2);
	run_harts(init_runqueues, lend_guard_body, NULL);
	pthread_barrier_destroy(&handoff);
}

static void write_with_foreign_guard(void)
{
	line_of_access = __LINE__ + 1;
	percpu_write_var(*shared_guard, ticks, 1);
	accessing_hart_seen = last_violation.accessing_hart;
}

/* A guard is proof for the hart that took it, and for no other. */
static void test_audit_guard_on_other_hart(void)
{
	run_with_lent_guard(write_with_foreign_guard);
	check_report(2, 2, "ticks", line_of_access, "a guard taken on this hart; guard belongs to hart 0");
}

/* percpu_current_hart checks its guard like every guarded accessor: a
 * dead copy is reported, and the answer is still this hart. */
static void test_audit_current_hart_dead_guard(void)
{
	prepare_single_hart();
	struct percpu_guard copy;
	{
		PERCPU_GUARD(g);
		copy = g;
	}
	line_of_access = __LINE__ + 1;
	unsigned hart = percpu_current_hart(&copy);
	CHECK_EQ(hart, 0);
	check_report(0, 0, "percpu_current_hart", line_of_access, "a live guard");
}

static unsigned hart_seen;

static void current_hart_with_foreign_guard(void)
{
	line_of_access = __LINE__ + 1;
	hart_seen = percpu_current_hart(shared_guard);
}

/* Another hart's guard proves nothing about this one. */
static void test_audit_current_hart_foreign_guard(void)
{
	run_with_lent_guard(current_hart_with_foreign_guard);
	CHECK_EQ(hart_seen, 2);
	check_report(2, 2, "percpu_current_hart", line_of_access,
		     "a guard taken on this hart; guard belongs to hart 0");
}

/* The zero-cost token checks that interrupts really are off. */
static void test_audit_irqs_off_token_with_irqs_on(void)
{
	prepare_single_hart();
	int line = __LINE__ + 1;
	PERCPU_GUARD_IRQS_OFF(g);
	CHECK_EQ(reports, 1);
	CHECK_EQ(last_violation.line, line);
	CHECK_CONTAINS(last_line, "interrupts off");
	(void)g;
}

/* Re-enabling interrupts inside a guard is caught at the next access. */
static void test_audit_irqs_reenabled_inside_guard(void)
{
	prepare_single_hart();
	PERCPU_GUARD(g);
	percpu_arch_irq_restore(1);
	line_of_access = __LINE__ + 1;
	percpu_write_var(g, ticks, 2);
	check_report(0, 0, "ticks", line_of_access, "interrupts off under the guard");
	percpu_arch_irq_save();
}

/* A corrupted base register is caught before the access goes astray. */
static void test_audit_poisoned_base_register(void)
{
	prepare_single_hart();
	PERCPU_GUARD(g);
	percpu_host_poison_base_register(4096);
	line_of_access = __LINE__ + 1;
	long n = percpu_read(g, runqueues, nr_ready);
	percpu_host_poison_base_register(0);
	(void)n;
	CHECK_EQ(reports, 1);
	CHECK_EQ(last_violation.line, line_of_access);
	CHECK_CONTAINS(last_line, "base register pointing at this hart's area");
}

static struct runqueue *kept_pointer;

static void stale_pointer_body(unsigned hart)
{
	if (hart == 1) {
		PERCPU_GUARD(g);
		kept_pointer = percpu_local(g, runqueues);	/* escapes its guard: the bug */
		pthread_barrier_wait(&handoff);
		pthread_barrier_wait(&handoff);
	} else if (hart == 3) {
		pthread_barrier_wait(&handoff);
		PERCPU_GUARD(g);
		line_of_access = __LINE__ + 1;
		PERCPU_ASSERT_LOCAL(g, runqueues, kept_pointer);
		pthread_barrier_wait(&handoff);
	}
}

/* A pointer from a local access that outlived its guard and reached
 * another hart is caught at the next checkpoint. */
static void test_audit_stale_local_pointer(void)
{
	pthread_barrier_init(&handoff, NULL, 2);
	run_harts(init_runqueues, stale_pointer_body, NULL);
	pthread_barrier_destroy(&handoff);
	check_report(3, 1, "runqueues", line_of_access, "a pointer to this hart's instance");
}

/* The init token exists only before secondary harts start. */
static void test_audit_init_token_after_smp(void)
{
	prepare_single_hart();
	percpu_smp_begin();
	int line = __LINE__ + 1;
	PERCPU_INIT_TOKEN(t);
	CHECK_EQ(reports, 1);
	CHECK_EQ(last_violation.line, line);
	CHECK_CONTAINS(last_line, "the init phase");
	line_of_access = __LINE__ + 1;
	percpu_init(t, ticks, 0)[0] = 1;
	CHECK_EQ(reports, 2);
	CHECK_EQ(last_violation.line, line_of_access);
}

/* Every use of the escape hatch is counted and recorded. */
static void test_audit_unchecked_counted(void)
{
	prepare_single_hart();
	unsigned before = percpu_audit_unchecked_count();
	int line = __LINE__ + 1;
	struct mailbox *m = percpu_unchecked(mailboxes, 0, "test: counting the escape hatch");
	(void)m;
	CHECK_EQ(percpu_audit_unchecked_count(), before + 1);
	CHECK_EQ(last_event.kind, PERCPU_ACCESS_UNCHECKED);
	CHECK_EQ(last_event.site->line, line);
	CHECK_CONTAINS(last_event.site->note, "counting the escape hatch");
}

/* Remote access to a hart with no area is caught, never a wild pointer. */
static void test_audit_remote_unknown_hart(void)
{
	prepare_single_hart();
	line_of_access = __LINE__ + 1;
	percpu_remote_store(mailboxes, 7, seen, 1, relaxed, ipi_post);
	check_report(0, 7, "mailboxes", line_of_access, "a target hart that has an area; hart 7");
}

/* Spinlocks: taken with interrupts off, never twice by the same hart. */
static void test_audit_spinlock_rules(void)
{
	prepare_single_hart();
	struct spinlock lock = SPINLOCK_INIT("test.lock");
	spin_lock(&lock);
	CHECK_EQ(reports, 1);
	CHECK_CONTAINS(last_line, "interrupts off before taking a spinlock");
	spin_unlock(&lock);
	CHECK_EQ(reports, 2);
	CHECK_CONTAINS(last_line, "interrupts off until spin_unlock");
	PERCPU_GUARD(g);
	spin_lock(&lock);
	CHECK(spin_held_by_current_hart(&lock));
	spin_unlock(&lock);
	CHECK(!spin_held_by_current_hart(&lock));
	spin_unlock(&lock);
	CHECK_EQ(reports, 3);
	CHECK_CONTAINS(last_line, "the lock held by this hart before spin_unlock");
}

/* Takes this hart's lock under a guard and returns with it held: the
 * guard's end turns interrupts back on under the lock. */
static struct spinlock *lock_own_runqueue(void)
{
	PERCPU_GUARD(g);
	struct spinlock *lock = &percpu_local(g, runqueues)->lock;
	spin_lock(lock);
	return lock;
}

/* percpu_assert_no_guard: silent with no guard live, a report naming
 * the place with one (nested or not), silent again once it ended. */
static void test_audit_no_guard_point(void)
{
	prepare_single_hart();
	percpu_assert_no_guard("across a test point");
	CHECK_EQ(reports, 0);
	{
		PERCPU_GUARD(outer);
		{
			PERCPU_GUARD_IRQS_OFF(inner);
			line_of_access = __LINE__ + 1;
			percpu_assert_no_guard("across a test point");
			(void)inner;
		}
		(void)outer;
	}
	CHECK_EQ(reports, 1);
	CHECK_EQ(last_violation.line, line_of_access);
	CHECK_EQ(last_violation.code, PERCPU_STALE_GUARD);
	CHECK_CONTAINS(last_line, "missing no live guard across a test point");
	percpu_assert_no_guard("across a test point");
	CHECK_EQ(reports, 1);
}

/* A lock held past the guard it was taken under is reported at its
 * unlock (an interrupt handler taking it meanwhile would deadlock). */
static void test_audit_lock_outlives_guard(void)
{
	prepare_single_hart();
	struct spinlock *lock = lock_own_runqueue();
	CHECK_EQ(reports, 0);
	line_of_access = __LINE__ + 1;
	spin_unlock(lock);
	CHECK_EQ(reports, 1);
	CHECK_EQ(last_violation.line, line_of_access);
	CHECK_CONTAINS(last_line, "runqueues.lock");
	CHECK_CONTAINS(last_line, "interrupts off until spin_unlock");
}

/* Default mode: a violation panics (the process aborts). */
static void test_audit_panic_mode(void)
{
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		percpu_host_set_report_hook(NULL);
		percpu_audit_set_mode(PERCPU_AUDIT_PANIC);
		struct percpu_guard copy;
		{
			PERCPU_GUARD(g);
			copy = g;
		}
		long n = percpu_read(copy, runqueues, nr_ready);
		_exit((int)n & 0);	/* reached only if no panic */
	}
	int status = 0;
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}
#endif

TEST_MAIN(
	TEST(test_isolation),
	TEST(test_nested_guards),
	TEST(test_remote_locked),
	TEST(test_remote_atomic),
	TEST(test_remote_scoped),
	TEST(test_remote_scoped_return),
	TEST(test_remote_scoped_irqs),
	TEST(test_layout),
	TEST(test_records_only_in_audit),
#if NEURON_AUDIT
	TEST(test_audit_remote_wrong_lock),
	TEST(test_audit_remote_lock_not_held),
	TEST(test_audit_remote_record),
	TEST(test_audit_scoped_record),
	TEST(test_audit_borrow_outlives_unlock),
	TEST(test_audit_owner_write_unlocked),
	TEST(test_audit_guard_after_release),
	TEST(test_audit_guard_serial_past_2_32),
	TEST(test_audit_stale_guard_after_2_32_guards),
	TEST(test_audit_guard_on_other_hart),
	TEST(test_audit_current_hart_dead_guard),
	TEST(test_audit_current_hart_foreign_guard),
	TEST(test_audit_irqs_off_token_with_irqs_on),
	TEST(test_audit_irqs_reenabled_inside_guard),
	TEST(test_audit_poisoned_base_register),
	TEST(test_audit_stale_local_pointer),
	TEST(test_audit_init_token_after_smp),
	TEST(test_audit_unchecked_counted),
	TEST(test_audit_remote_unknown_hart),
	TEST(test_audit_spinlock_rules),
	TEST(test_audit_lock_outlives_guard),
	TEST(test_audit_no_guard_point),
	TEST(test_audit_panic_mode),
#endif
)
