/*
 * The violation suite (violation=NAME, audit builds): one rule broken
 * once, on purpose, in continue mode. The kernel's own verdict is only
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
#define VIOLATION(name, accessing, owner, var, missing, trace_what) #name,
#include "proof/violations/list.h"
#undef VIOLATION
};
const size_t violation_count = sizeof(violation_names) / sizeof(violation_names[0]);

#if NEURON_AUDIT

struct violation_context {
	unsigned me, other;
};

/* ---- remote access ---- */

static void remote_write_unlocked(const struct violation_context *c)
{
	/* violation-site: remote_write_unlocked */
	percpu_remote_write(audit_probe, c->other, value, 1u, percpu_remote_lock(audit_probe, c->other), stats);
}

static void remote_read_unlocked(const struct violation_context *c)
{
	/* violation-site: remote_read_unlocked */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->other), stats);
}

/* Holds this hart's probe lock and passes it for the other's instance. */
static void wrong_lock(const struct violation_context *c)
{
	PERCPU_GUARD(g);
	spin_lock(percpu_remote_lock(audit_probe, c->me));
	/* violation-site: wrong_lock */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->me), stats);
	spin_unlock(percpu_remote_lock(audit_probe, c->me));
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

static void lock_other_hart(const struct violation_context *c)
{
	if (!smp_call_on(c->other, lock_own_probe, NULL, CROSS_CALL_TIMEOUT_MS)) {
		kprintf("# violation: hart %u did not take its probe lock\n", c->other);
		return;
	}
	/* violation-site: lock_other_hart */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->other), stats);
	if (!smp_call_on(c->other, unlock_own_probe, NULL, CROSS_CALL_TIMEOUT_MS))
		kprintf("# violation: hart %u did not drop its probe lock\n", c->other);
}

/* The owner writes its instance of a locked variable without the lock
 * that remote harts take to reach it. */
static void owner_write_unlocked(const struct violation_context *c)
{
	(void)c;
	PERCPU_GUARD(g);
	/* violation-site: owner_write_unlocked */
	percpu_write(g, audit_probe, value, 1);
}

/* ---- scoped borrows ---- */

/* The borrow's lock dropped inside its block: the pointer is still in
 * scope, the lock is not. */
static void borrow_outlives_unlock(const struct violation_context *c)
{
	unsigned long was = percpu_arch_irq_save();
	percpu_remote_locked(audit_probe, c->other, stats, p) {
		/* violation-site: borrow_outlives_unlock */
		spin_unlock(&p->lock);
		(void)p->value;
	}
	percpu_arch_irq_restore(was);
}

/* The same with two runqueues borrowed at once (the steal's pair): one of
 * the two locks dropped inside the block. */
static void pair_borrow_outlives_unlock(const struct violation_context *c)
{
	unsigned long was = percpu_arch_irq_save();
	percpu_remote_locked_pair(runqueues, c->me, c->other, stats, mine, theirs) {
		/* violation-site: pair_borrow_outlives_unlock */
		spin_unlock(&theirs->lock);
		(void)mine->count;
		(void)theirs->count;
	}
	percpu_arch_irq_restore(was);
}

/* ---- guards ---- */

/* A guard never taken (all zero, as a forged or uninitialised one is):
 * the local access has no live guard behind it. */
static void no_guard(const struct violation_context *c)
{
	(void)c;
	PERCPU_GUARD(live);	/* interrupts off: only the forged guard is wrong */
	(void)live;
	struct percpu_guard forged;
	memset(&forged, 0, sizeof(forged));
	/* violation-site: no_guard */
	(void)percpu_read(forged, audit_probe, value);
}

static void export_guard(void *arg)
{
	PERCPU_GUARD_IRQS_OFF(g);
	*(struct percpu_guard *)arg = g;
}

static void guard_other_hart(const struct violation_context *c)
{
	static struct percpu_guard foreign;
	if (!smp_call_on(c->other, export_guard, &foreign, CROSS_CALL_TIMEOUT_MS)) {
		kprintf("# violation: hart %u did not hand over a guard\n", c->other);
		return;
	}
	PERCPU_GUARD(live);
	(void)live;
	/* violation-site: guard_other_hart */
	(void)percpu_read(foreign, audit_probe, value);
}

static void guard_after_release(const struct violation_context *c)
{
	(void)c;
	struct percpu_guard copy;
	{
		PERCPU_GUARD(g);
		copy = g;
	}
	PERCPU_GUARD(live);
	(void)live;
	/* violation-site: guard_after_release */
	(void)percpu_read(copy, audit_probe, value);
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
static void poisoned_base(const struct violation_context *c)
{
	(void)c;
	size_t size = percpu_template_size();
	if (size > sizeof(fake_area)) {
		kprintf("# violation: the %zu-byte template exceeds the copy\n", size);
		return;
	}
	PERCPU_GUARD(g);
	uintptr_t real = read_tp();
	memcpy(fake_area, (const void *)real, size);
	set_tp((uintptr_t)fake_area);
	/* violation-site: poisoned_base */
	(void)percpu_read(g, audit_probe, value);
	set_tp(real);
}

/* tp at the other hart's real, stamped area. Nothing written meanwhile. */
static void base_other_hart(const struct violation_context *c)
{
	PERCPU_GUARD(g);
	uintptr_t real = read_tp();
	set_tp((uintptr_t)percpu_area_base(c->other));
	/* violation-site: base_other_hart */
	(void)percpu_read(g, audit_probe, value);
	set_tp(real);
}

/* ---- stamps and the escape hatch ---- */

/* The other hart's instance as it is before percpu_platform_set_area
 * stamps it (magic still zero), reached under its own lock. */
static void unstamped(const struct violation_context *c)
{
	struct percpu_stamp *stamp = percpu_audit_stamp(audit_probe, c->other);
	struct percpu_stamp saved = *stamp;
	unsigned long was = percpu_arch_irq_save();
	spin_lock(percpu_remote_lock(audit_probe, c->other));
	__atomic_store_n(&stamp->magic, 0, __ATOMIC_RELAXED);
	/* violation-site: unstamped */
	(void)percpu_remote_read(audit_probe, c->other, value, percpu_remote_lock(audit_probe, c->other), stats);
	__atomic_store_n(&stamp->magic, saved.magic, __ATOMIC_RELAXED);
	spin_unlock(percpu_remote_lock(audit_probe, c->other));
	percpu_arch_irq_restore(was);
}

/* In strict mode (this suite's case only) an escape-hatch use is a
 * violation, not just a count. */
static void escape_hatch(const struct violation_context *c)
{
	percpu_audit_set_unchecked_strict(true);
	/* violation-site: escape_hatch */
	(void)percpu_unchecked(audit_probe, c->other, "violation suite: strict mode reports it")->value;
	percpu_audit_set_unchecked_strict(false);
}

/* ---- scheduler rules ---- */

/* An imbalance run whose steals take one task more than steal_k (a test
 * hook in sched.c); the check after each steal must report it. */
static void steal_over_k(const struct violation_context *c)
{
	(void)c;
	static struct sched_run run;
	run = (struct sched_run){ .name = "steal_over_k", .seed = 1, .steal_k = 1, .batch = 1,
				  .max_rounds = 100000, .test_steal_overshoot = 1 };
	if (!run_imbalance(&run, 12, false))
		kprintf("# violation: the imbalance run did not complete\n");
	kprintf("# violation: steal_over_k: steals=%lu max_batch=%lu steal_k=%u\n", run.steals,
		run.max_steal_batch, run.steal_k);
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
static void mailbox_bypass(const struct violation_context *c)
{
	static uint32_t runs;
	static struct ipi_call call = { .fn = count_call, .arg = &runs };
	unsigned long was = percpu_arch_irq_save();
	percpu_remote_locked(ipi_mailboxes, c->other, ipi_post, mb) {
		mb->ring[(mb->head + mb->count) % MAILBOX_CAPACITY] = (struct ipi_message){
			.kind = IPI_CALL, .seq = 0, .from = c->me, .object = &call,
		};
		mb->count++;
	}
	percpu_arch_irq_restore(was);
	(void)sbi_send_ipi_to(c->other);
	if (!timer_wait_until(call_done, &call, CROSS_CALL_TIMEOUT_MS))
		kprintf("# violation: hart %u never drained the forged message\n", c->other);
	kprintf("# violation: mailbox_bypass: the forged call ran %u time(s)\n", runs);
}

/* Two runqueue locks in descending hart order (the rule: ascending).
 * The audit checks the order before spinning, so an inversion is a
 * report, never a hang. */
static void lock_order(const struct violation_context *c)
{
	unsigned low = c->me < c->other ? c->me : c->other;
	unsigned high = c->me < c->other ? c->other : c->me;
	unsigned long was = percpu_arch_irq_save();
	struct spinlock *high_lock = percpu_remote_lock(runqueues, high);
	struct spinlock *low_lock = percpu_remote_lock(runqueues, low);
	spin_lock(high_lock);
	/* violation-site: lock_order */
	spin_lock(low_lock);
	spin_unlock(low_lock);
	spin_unlock(high_lock);
	percpu_arch_irq_restore(was);
}

static void (*const cases[])(const struct violation_context *) = {
#define VIOLATION(name, accessing, owner, var, missing, trace_what) name,
#include "proof/violations/list.h"
#undef VIOLATION
};

static int run_case(size_t index)
{
	struct violation_context c = { .me = hart_id() };
	c.other = smp_other_online_hart(c.me);
	kprintf("KTAP version 1\n1..1\n");
	kprintf("# violation: case %s on boot hart %u, other hart %u\n", violation_names[index], c.me,
		c.other);
	if (c.other == NEURON_MAX_HARTS) {
		kprintf("ok 1 %s # SKIP needs 2 harts, booted 1\n", violation_names[index]);
		return EXIT_PASS;
	}
	percpu_audit_set_mode(PERCPU_AUDIT_CONTINUE);
	unsigned before = percpu_audit_violation_count();
	cases[index](&c);
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
