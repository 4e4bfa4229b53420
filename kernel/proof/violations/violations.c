/*
 * The catalog of deliberate rule breaks (list.h). The violation suite
 * (violation=NAME, audit builds) runs one case per boot; the audit
 * self-test percpu_audit_fires runs every case marked `both` in turn
 * (violation_case_run) and checks each report in the kernel. In the
 * suite, one rule is broken once, on purpose, in continue mode. The
 * suite's own verdict is only
 * "exactly one violation was reported"; what the report says (harts,
 * variable, file:line, what was missing) and that the same violation is
 * on the trace's violation track is asserted by the CTest outside
 * (tests/violations/check_violation.py), from the console and the trace.
 *
 * Each case marks the line its report must name with a comment
 * "violation-site: NAME" on the line before it; the CTest reads the
 * expected file:line from there, not from anything the kernel prints.
 * Cases whose check lives elsewhere (kernel/sched, percpu/) carry the
 * marker there.
 */
#include <neuron/percpu.h>
#include <neuron/percpu_platform.h>

#include "arch/riscv/csr.h"
#include "arch/riscv/sbi.h"
#include "boot/percpu_areas.h"
#include "boot/shutdown.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "proof/audit_probe.h"
#include "proof/cross_call.h"
#include "proof/fault.h"
#include "proof/scenarios/scenarios.h"
#include "proof/violations/violations.h"
#include "sched/ipi.h"
#include "sched/runqueue.h"
#include "sched/sched.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"
#include "trace/trace.h"

#define CROSS_CALL_TIMEOUT_MS 1000

const char *const violation_names[] = {
#define VIOLATION(name, accessing, owner, var, missing, trace_what, runs) #name,
#include "proof/violations/list.h"
#undef VIOLATION
};
const size_t violation_count = sizeof(violation_names) / sizeof(violation_names[0]);

const struct violation_case violation_cases[] = {
#define VIOLATION(name, accessing, owner, var, missing, trace_what, runs)		\
	{ #name, #accessing, #owner, var, missing, VIOLATION_RUNS_##runs },
#include "proof/violations/list.h"
#undef VIOLATION
};

#if NEURON_AUDIT

struct violation_context {
	unsigned me, other;	/* other: PERCPU_NO_HART on a one-hart boot */
};

/* A case that needs a second hart returns this on a one-hart boot. */
#define NEEDS_OTHER(c)					\
	do {						\
		if ((c)->other == PERCPU_NO_HART)	\
			return VIOLATION_SKIPPED;	\
	} while (0)

/* ---- remote access ---- */

static int remote_write_unlocked(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	const int site = __LINE__ + 1;	/* violation-site: remote_write_unlocked */
	percpu_remote_write(audit_probe, c->other, value, 1u, percpu_remote_lock(audit_probe, c->other), wake);
	return site;
}

static int remote_read_unlocked(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	const int site = __LINE__ + 1;	/* violation-site: remote_read_unlocked */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->other), stats);
	return site;
}

/* Holds this hart's probe lock and passes it for the other's instance. */
static int wrong_lock(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	PERCPU_GUARD(g);
	spin_lock(percpu_remote_lock(audit_probe, c->me));
	const int site = __LINE__ + 1;	/* violation-site: wrong_lock */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->me), stats);
	spin_unlock(percpu_remote_lock(audit_probe, c->me));
	return site;
}

/* Cross-called: the running hart takes, or drops, its own probe lock.
 * Between the two the lock is held across sret, against the lock rules,
 * on purpose: nothing else takes it. */
static void lock_own_probe(void *arg)
{
	(void)arg;
	PERCPU_GUARD_IRQS_OFF(g);
	spin_lock(percpu_remote_lock(audit_probe, percpu_current_hart(&g)));
}

static void unlock_own_probe(void *arg)
{
	(void)arg;
	PERCPU_GUARD_IRQS_OFF(g);
	spin_unlock(percpu_remote_lock(audit_probe, percpu_current_hart(&g)));
}

static int lock_other_hart(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	if (!proof_call_on(c->other, lock_own_probe, NULL, CROSS_CALL_TIMEOUT_MS)) {
		kprintf("# violation: hart %u did not take its probe lock\n", c->other);
		return 0;	/* not provoked: the count check fails */
	}
	const int site = __LINE__ + 1;	/* violation-site: lock_other_hart */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->other), stats);
	if (!proof_call_on(c->other, unlock_own_probe, NULL, CROSS_CALL_TIMEOUT_MS))
		kprintf("# violation: hart %u did not drop its probe lock\n", c->other);
	return site;
}

/* The owner writes its instance of a locked variable without the lock
 * that remote harts take to reach it. */
static int owner_write_unlocked(const struct violation_context *c)
{
	(void)c;
	PERCPU_GUARD(g);
	const int site = __LINE__ + 1;	/* violation-site: owner_write_unlocked */
	percpu_write(g, audit_probe, value, 1);
	return site;
}

/* ---- scoped borrows ---- */

/* The borrow's lock dropped inside its block: the pointer is still in
 * scope, the lock is not. */
static int borrow_outlives_unlock(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	percpu_remote_locked(audit_probe, c->other, wake, p) {
		/* violation-site: borrow_outlives_unlock */
		spin_unlock(&p->lock);
		(void)p->value;
	}
	return 0;	/* its report is checked from outside only */
}

/* The same with two runqueues borrowed at once (the steal's pair): one of
 * the two locks dropped inside the block. */
static int pair_borrow_outlives_unlock(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	percpu_remote_locked_pair(runqueues, c->me, c->other, steal, mine, theirs) {
		/* violation-site: pair_borrow_outlives_unlock */
		spin_unlock(&theirs->lock);
		(void)mine->count;
		(void)theirs->count;
	}
	return 0;	/* its report is checked from outside only */
}

/* ---- guards ---- */

/* A guard never taken (all zero, as a forged or uninitialised one is):
 * the local access has no live guard behind it. */
static int no_guard(const struct violation_context *c)
{
	(void)c;
	PERCPU_GUARD(live);	/* interrupts off: only the forged guard is wrong */
	(void)live;
	/* percpu-lint: allow hand-guard: this case forges a guard on purpose to be reported */
	struct percpu_guard forged;
	memset(&forged, 0, sizeof(forged));
	const int site = __LINE__ + 1;	/* violation-site: no_guard */
	(void)percpu_read(forged, audit_probe, value);
	return site;
}

static void export_guard(void *arg)
{
	PERCPU_GUARD_IRQS_OFF(g);
	*(struct percpu_guard *)arg = g;
}

static int guard_other_hart(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	/* percpu-lint: allow hand-guard: it receives the other hart's guard on purpose */
	static struct percpu_guard foreign;
	if (!proof_call_on(c->other, export_guard, &foreign, CROSS_CALL_TIMEOUT_MS)) {
		kprintf("# violation: hart %u did not hand over a guard\n", c->other);
		return 0;	/* not provoked: the count check fails */
	}
	PERCPU_GUARD(live);
	(void)live;
	const int site = __LINE__ + 1;	/* violation-site: guard_other_hart */
	(void)percpu_read(foreign, audit_probe, value);
	return site;
}

static int guard_after_release(const struct violation_context *c)
{
	(void)c;
	/* percpu-lint: allow hand-guard: it keeps a copy past the guard's block on purpose */
	struct percpu_guard copy;
	{
		PERCPU_GUARD(g);
		copy = g;
	}
	PERCPU_GUARD(live);
	(void)live;
	const int site = __LINE__ + 1;	/* violation-site: guard_after_release */
	(void)percpu_read(copy, audit_probe, value);
	return site;
}

/* ---- the base register ---- */

/* Filled by memcpy before use: not cleared at boot (kernel.ld, .noclear). */
static char fake_area[64 * 1024] __attribute__((aligned(64), section(".noclear")));

static inline void set_tp(uintptr_t value)
{
	asm volatile("mv tp, %0" : : "r"(value) : "memory");
}

/* tp at a copy of this hart's area: the self block there still vouches
 * for this hart; only the base-register check can tell. The report path
 * touches no per-CPU data, so it works with tp wrong. */
static int poisoned_base(const struct violation_context *c)
{
	(void)c;
	size_t size = percpu_template_size();
	if (size > sizeof(fake_area)) {
		kprintf("# violation: the %zu-byte template exceeds the copy\n", size);
		return 0;	/* not provoked: the count check fails */
	}
	PERCPU_GUARD(g);
	uintptr_t real = read_tp();
	memcpy(fake_area, (const void *)real, size);
	set_tp((uintptr_t)fake_area);
	const int site = __LINE__ + 1;	/* violation-site: poisoned_base */
	(void)percpu_read(g, audit_probe, value);
	set_tp(real);
	return site;
}

/* tp at the other hart's real, stamped area. Nothing written meanwhile. */
static int base_other_hart(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	PERCPU_GUARD(g);
	uintptr_t real = read_tp();
	set_tp((uintptr_t)percpu_area_base(c->other));
	const int site = __LINE__ + 1;	/* violation-site: base_other_hart */
	(void)percpu_read(g, audit_probe, value);
	set_tp(real);
	return site;
}

/* ---- stamps and the escape hatch ---- */

/* The other hart's instance as it is before percpu_platform_set_area
 * stamps it (magic still zero), reached under its own lock. */
static int unstamped(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	struct percpu_stamp *stamp = percpu_audit_stamp(audit_probe, c->other);
	struct percpu_stamp saved = *stamp;
	unsigned long was = percpu_arch_irq_save();
	spin_lock(percpu_remote_lock(audit_probe, c->other));
	__atomic_store_n(&stamp->magic, 0, __ATOMIC_RELAXED);
	const int site = __LINE__ + 1;	/* violation-site: unstamped */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->other), stats);
	__atomic_store_n(&stamp->magic, saved.magic, __ATOMIC_RELAXED);
	spin_unlock(percpu_remote_lock(audit_probe, c->other));
	percpu_arch_irq_restore(was);
	return site;
}

/* This hart's own instance with its stamp overwritten: the local check
 * finds no owner in it (the report names none). */
static int corrupted_stamp(const struct violation_context *c)
{
	(void)c;
	PERCPU_GUARD(g);
	struct percpu_stamp *stamp = percpu_audit_stamp(audit_probe, percpu_current_hart(&g));
	uint32_t magic = stamp->magic;
	stamp->magic = ~magic;
	const int site = __LINE__ + 1;	/* violation-site: corrupted_stamp */
	(void)percpu_read(g, audit_probe, value);
	stamp->magic = magic;
	return site;
}

/* ---- the init phase ---- */

/* An init token taken after percpu_smp_begin. */
static int init_token_after_smp(const struct violation_context *c)
{
	(void)c;
	const int site = __LINE__ + 1;	/* violation-site: init_token_after_smp */
	PERCPU_INIT_TOKEN(late);
	(void)late;
	return site;
}

/* A token taken in the init phase (audit_probe_init kept it) used after
 * percpu_smp_begin. */
static int init_token_used_late(const struct violation_context *c)
{
	struct percpu_init_token *kept = audit_probe_init_token();
	const int site = __LINE__ + 1;	/* violation-site: init_token_used_late */
	(void)percpu_init(*kept, audit_probe, c->me);
	return site;
}

/* In strict mode (this case only: the self-test also checks the counted,
 * unreported use outside it) an escape-hatch use is a violation. */
static int escape_hatch(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	percpu_audit_set_unchecked_strict(true);
	const int site = __LINE__ + 1;	/* violation-site: escape_hatch */
	(void)percpu_unchecked(audit_probe, c->other, "violation suite: strict mode reports it")->value;
	percpu_audit_set_unchecked_strict(false);
	return site;
}

/* ---- scheduler rules ---- */

/* An imbalance run whose first steal over steal_k is let through
 * (fault=steal_overshoot, a fault hook in sched.c); the check after each
 * steal must report it. */
static int steal_over_k(const struct violation_context *c)
{
	(void)c;
	static struct sched_run run;
	fault_select(FAULT_steal_overshoot);
	run = (struct sched_run){ .name = "steal_over_k", .seed = 1, .steal_k = 1, .batch = 1,
				  .max_rounds = 100000 };
	if (!run_imbalance(&run, 12, false))
		kprintf("# violation: the imbalance run did not complete\n");
	kprintf("# violation: steal_over_k: steals=%lu max_batch=%lu steal_k=%u\n", run.steals,
		run.max_steal_batch, run.steal_k);
	return 0;	/* its report is checked from outside only */
}

static bool call_done(const void *arg)
{
	return __atomic_load_n(&((const struct ipi_call *)arg)->done, __ATOMIC_ACQUIRE) != 0;
}

static void count_call(void *arg)
{
	__atomic_fetch_add((uint32_t *)arg, 1, __ATOMIC_RELAXED);
}

/*
 * A message written straight into the other hart's mailbox, under its
 * lock (so the PerCpu audit is satisfied) but not through ipi_post: no
 * sequence number from the mailbox. The drain's sequence check reports it
 * (kernel/sched/ipi.c, "violation-site: mailbox_bypass").
 */
static int mailbox_bypass(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	static uint32_t runs;
	static struct ipi_call call = { .fn = count_call, .arg = &runs };
	percpu_remote_locked(ipi_mailboxes, c->other, ipi_post, mb) {
		mb->ring[(mb->head + mb->count) % MAILBOX_CAPACITY] = (struct ipi_message){
			.kind = IPI_CALL, .seq = 0, .from = c->me, .object = &call,
		};
		mb->count++;
	}
	(void)sbi_send_ipi_to(c->other);
	if (!timer_wait_until(call_done, &call, CROSS_CALL_TIMEOUT_MS))
		kprintf("# violation: hart %u never drained the forged message\n", c->other);
	kprintf("# violation: mailbox_bypass: the forged call ran %u time(s)\n", runs);
	return 0;	/* its report is checked from outside only */
}

/* Two runqueue locks in descending hart order (the rule: ascending).
 * The audit checks the order before spinning, so an inversion is a
 * report, never a hang. */
static int lock_order(const struct violation_context *c)
{
	NEEDS_OTHER(c);
	unsigned low = c->me < c->other ? c->me : c->other;
	unsigned high = c->me < c->other ? c->other : c->me;
	unsigned long was = percpu_arch_irq_save();
	struct spinlock *high_lock = percpu_remote_lock(runqueues, high);
	struct spinlock *low_lock = percpu_remote_lock(runqueues, low);
	spin_lock(high_lock);
	const int site = __LINE__ + 1;	/* violation-site: lock_order */
	spin_lock(low_lock);
	spin_unlock(low_lock);
	spin_unlock(high_lock);
	percpu_arch_irq_restore(was);
	return site;
}

/* A task that yields under a guard: the switch reports it
 * (kernel/sched/sched.c, "violation-site: guard_across_switch"). Pinned to
 * this hart, so the guard ends where it began, in order: one report. */
static void yield_under_guard(struct task *self, void *arg)
{
	(void)arg;
	PERCPU_GUARD(g);
	(void)g;
	sched_yield(self);
}

static int guard_across_switch(const struct violation_context *c)
{
	static struct sched_run run;
	run = (struct sched_run){ .name = "guard_across_switch", .seed = 1, .batch = 1,
				  .max_rounds = 1000, .expected_tasks = 1 };
	if (!sched_spawn(&run, c->me, yield_under_guard, NULL, c->me))
		kprintf("# violation: guard_across_switch: no task spawned\n");
	else if (!sched_run(&run))
		kprintf("# violation: guard_across_switch: the run did not complete\n");
	return 0;	/* its report is checked from outside only */
}

static int (*const cases[])(const struct violation_context *) = {
#define VIOLATION(name, accessing, owner, var, missing, trace_what, runs) name,
#include "proof/violations/list.h"
#undef VIOLATION
};

const char violation_case_file[] = __FILE__;

int violation_case_run(size_t index, unsigned me, unsigned other)
{
	const struct violation_context c = { .me = me, .other = other };
	return cases[index](&c);
}

static int run_case(size_t index)
{
	struct violation_context c = { .me = hart_id() };
	c.other = smp_other_online_hart(c.me);
	kprintf("KTAP version 1\n1..1\n");
	kprintf("# violation: case %s on boot hart %u, other hart %u\n", violation_names[index], c.me,
		c.other);
	if (c.other == PERCPU_NO_HART) {
		kprintf("ok 1 %s # SKIP needs 2 harts, booted 1\n", violation_names[index]);
		return EXIT_PASS;
	}
	percpu_audit_set_mode(PERCPU_AUDIT_CONTINUE);
	unsigned before = percpu_audit_violation_count();
	(void)cases[index](&c);
	/* A report from another hart (the mailbox drain) lands by the time
	 * the case's own wait is over; give a straggler one more tick. */
	timer_sleep_ms(20);
	unsigned reported = percpu_audit_violation_count() - before;
	bool ok = reported == 1;
	kprintf("# percpu violations: %u (provoked: 1)\n", reported);
	kprintf("%s 1 %s\n", ok ? "ok" : "not ok", violation_names[index]);
	kprintf("neuron: violation %s: %s\n", violation_names[index], ok ? "PASS" : "FAIL");
	return ok ? EXIT_PASS : EXIT_TEST_FAILED;
}

int violations_run(size_t index, const struct bootargs *args)
{
	trace_start(args);
	int status = run_case(index);
	trace_finish(status);
	return status;
}

#else

int violations_run(size_t index, const struct bootargs *args)
{
	(void)index;
	(void)args;
	kprintf("neuron: bootargs: violation=%s: the violation suite is audit-only; this is a "
		"release build\n", violation_names[index]);
	return EXIT_BAD_BOOTARGS;
}

#endif
