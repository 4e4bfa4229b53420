/*
 * percpu_audit_fires: the counterfactual for the audit build's clean
 * "# percpu violations: 0". Each rule the audit checks at run time
 * (docs/concurrency-model.md section 7) is broken once, on purpose, in
 * continue mode; each must raise the violation count by exactly one and
 * report a line naming the accessing hart, the owner hart, the variable,
 * the access's file:line and what was missing. The escape hatch must be
 * counted but not be a violation.
 *
 * The violations are declared to the runner (t->provoked_violations),
 * which counts every other one as a failure: the audit's counter cannot
 * be reset, and a clean run must still end with zero stray violations.
 */
#include <neuron/percpu.h>

#include "arch/riscv/csr.h"
#include "boot/percpu_areas.h"
#include "boot/percpu_glue.h"
#include "lib/format.h"
#include "lib/string.h"
#include "proof/audit_probe.h"
#include "proof/selftest/selftest.h"
#include "smp/hart.h"
#include "smp/smp.h"

#define CROSS_CALL_TIMEOUT_MS 1000

#if NEURON_AUDIT

/* A lock no per-CPU variable declares. */
static struct spinlock unrelated_lock = SPINLOCK_INIT("unrelated_lock");

/* Room for a copy of this hart's area, to point tp at. */
/* Filled by memcpy before use: not cleared at boot (kernel.ld, .noclear). */
static char fake_area[64 * 1024] __attribute__((aligned(64), section(".noclear")));

static bool contains(const char *text, const char *part)
{
	size_t n = strlen(part);
	for (; *text; text++)
		if (strncmp(text, part, n) == 0)
			return true;
	return false;
}

struct expected_report {
	const char *rule;	/* the case, for diagnostics */
	unsigned accessing, owner;
	const char *var;
	unsigned line;		/* in this file */
	const char *missing;	/* a part of the "missing" text */
};

/*
 * Checks that exactly one violation followed `before` and that its line
 * says what e says. Counts it as provoked, so the runner does not.
 */
static void expect_violation(struct selftest *t, unsigned before, const struct expected_report *e)
{
	unsigned after = percpu_audit_violation_count();
	const char *report = percpu_glue_last_report();
	char owner[16], prefix[200];

	t->provoked_violations++;
	if (e->owner == PERCPU_NO_HART)
		ksnprintf(owner, sizeof(owner), "none");
	else
		ksnprintf(owner, sizeof(owner), "%u", e->owner);
	ksnprintf(prefix, sizeof(prefix), "percpu: violation: hart %u accessed %s of hart %s at %s:%u: missing ",
		  e->accessing, e->var, owner, __FILE__, e->line);
	SELFTEST_CHECK(t, after == before + 1, "%s: violations went from %u to %u, expected +1", e->rule,
		       before, after);
	if (SELFTEST_CHECK(t, strncmp(report, prefix, strlen(prefix)) == 0,
			   "%s: report '%s', expected it to start '%s'", e->rule, report, prefix))
		SELFTEST_CHECK(t, contains(report + strlen(prefix), e->missing),
			       "%s: report '%s' does not say what was missing ('%s')", e->rule, report,
			       e->missing);
	selftest_diag(t, "%s: %u violation(s), report checked", e->rule, after - before);
	percpu_glue_clear_last_report();
}

/* Another hart with an area, or NEURON_MAX_HARTS when this one is alone. */
static void remote_without_lock(struct selftest *t, unsigned me, unsigned owner)
{
	unsigned before = percpu_audit_violation_count();
	unsigned line = __LINE__ + 1;
	(void)percpu_remote_read(audit_probe, owner, value, percpu_remote_lock(audit_probe, owner), stats);
	expect_violation(t, before, &(struct expected_report){ "remote access without its lock", me, owner,
			 "audit_probe", line, "lock held by this hart: audit_probe.lock" });
}

/* Holds `wrong` and passes it for owner's instance. */
static void wrong_lock(struct selftest *t, unsigned me, unsigned owner, struct spinlock *wrong,
		       const char *rule)
{
	unsigned before = percpu_audit_violation_count(), line;
	{
		PERCPU_GUARD(g);
		spin_lock(wrong);
		line = __LINE__ + 1;
		(void)percpu_remote_read(audit_probe, owner, value, wrong, stats);
		spin_unlock(wrong);
	}
	expect_violation(t, before, &(struct expected_report){ rule, me, owner, "audit_probe", line,
			 "the variable's own lock: pass and hold audit_probe.lock" });
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

static void lock_held_by_other_hart(struct selftest *t, unsigned me, unsigned other)
{
	if (!smp_call_on(other, lock_own_probe, NULL, CROSS_CALL_TIMEOUT_MS)) {
		SELFTEST_FAIL(t, "hart %u did not take its probe lock within %u ms", other,
			      CROSS_CALL_TIMEOUT_MS);
		return;
	}
	unsigned before = percpu_audit_violation_count();
	unsigned line = __LINE__ + 1;
	(void)percpu_remote_read(audit_probe, other, value, percpu_remote_lock(audit_probe, other), stats);
	expect_violation(t, before, &(struct expected_report){ "the lock held by another hart", me, other,
			 "audit_probe", line, "lock held by this hart: audit_probe.lock" });
	if (!smp_call_on(other, unlock_own_probe, NULL, CROSS_CALL_TIMEOUT_MS))
		SELFTEST_FAIL(t, "hart %u did not drop its probe lock within %u ms", other,
			      CROSS_CALL_TIMEOUT_MS);
}

static void guard_after_release(struct selftest *t, unsigned me)
{
	unsigned before = percpu_audit_violation_count(), line;
	struct percpu_guard copy;
	{
		PERCPU_GUARD(g);
		copy = g;
	}
	{
		PERCPU_GUARD(live);	/* interrupts off: only the dead guard is wrong */
		(void)live;
		line = __LINE__ + 1;
		(void)percpu_read(copy, audit_probe, value);
	}
	expect_violation(t, before, &(struct expected_report){ "a guard used after its release", me, me,
			 "audit_probe", line, "a live guard" });
}

/* Cross-called: hands the caller a copy of a guard taken on this hart. */
static void export_guard(void *arg)
{
	PERCPU_GUARD_IRQS_OFF(g);
	*(struct percpu_guard *)arg = g;
}

static void guard_from_other_hart(struct selftest *t, unsigned me, unsigned other)
{
	static struct percpu_guard foreign;
	if (!smp_call_on(other, export_guard, &foreign, CROSS_CALL_TIMEOUT_MS)) {
		SELFTEST_FAIL(t, "hart %u did not hand over a guard within %u ms", other,
			      CROSS_CALL_TIMEOUT_MS);
		return;
	}
	unsigned before = percpu_audit_violation_count(), line;
	{
		PERCPU_GUARD(live);
		(void)live;
		line = __LINE__ + 1;
		(void)percpu_read(foreign, audit_probe, value);
	}
	char missing[64];
	ksnprintf(missing, sizeof(missing), "a guard taken on this hart; guard belongs to hart %u", other);
	expect_violation(t, before, &(struct expected_report){ "a guard taken on another hart", me, me,
			 "audit_probe", line, missing });
}

static inline void set_tp(uintptr_t value)
{
	asm volatile("mv tp, %0" : : "r"(value) : "memory");
}

/*
 * tp points at a copy of this hart's area: the self block there still
 * says "hart me", so only the base-register check can tell. Interrupts
 * stay off (the guard) while tp is wrong; the report path touches no
 * per-CPU data (percpu_glue.c, console.c), so it works with tp poisoned.
 */
static void poisoned_base_register(struct selftest *t, unsigned me)
{
	size_t size = percpu_template_size();
	if (size > sizeof(fake_area)) {
		selftest_diag(t, "SKIP a poisoned base register: the %zu-byte template exceeds the "
			      "%zu-byte copy", size, sizeof(fake_area));
		return;
	}
	unsigned before = percpu_audit_violation_count(), line;
	{
		PERCPU_GUARD(g);
		uintptr_t real = read_tp();
		memcpy(fake_area, (const void *)real, size);
		set_tp((uintptr_t)fake_area);
		line = __LINE__ + 1;
		(void)percpu_read(g, audit_probe, value);
		set_tp(real);
	}
	expect_violation(t, before, &(struct expected_report){ "a poisoned base register", me, me,
			 "audit_probe", line, "a base register pointing at this hart's area" });
}

/*
 * tp points at another hart's real, correctly stamped area: its self block
 * vouches for that hart, so only the identity kept outside the area
 * (sscratch) can tell. Nothing is written while tp is wrong.
 */
static void base_register_other_hart(struct selftest *t, unsigned me, unsigned other)
{
	unsigned before = percpu_audit_violation_count(), line;
	{
		PERCPU_GUARD(g);
		uintptr_t real = read_tp();
		set_tp((uintptr_t)percpu_area_base(other));
		line = __LINE__ + 1;
		(void)percpu_read(g, audit_probe, value);
		set_tp(real);
	}
	expect_violation(t, before, &(struct expected_report){ "a base register pointing at another hart's area",
			 me, me, "audit_probe", line, "a base register pointing at this hart's area" });
}

static void init_token_after_smp(struct selftest *t, unsigned me)
{
	unsigned before = percpu_audit_violation_count();
	unsigned line = __LINE__ + 1;
	PERCPU_INIT_TOKEN(late);
	expect_violation(t, before, &(struct expected_report){ "an init token taken after SMP began", me, me,
			 "init token", line, "the init phase (PERCPU_INIT_TOKEN after percpu_smp_begin)" });

	before = percpu_audit_violation_count();
	line = __LINE__ + 1;
	(void)percpu_init(late, audit_probe, me);
	expect_violation(t, before, &(struct expected_report){ "an init token used after SMP began", me, me,
			 "audit_probe", line, "the init phase (init token used after percpu_smp_begin)" });
}

static void escape_hatch_counted(struct selftest *t, unsigned owner)
{
	unsigned violations = percpu_audit_violation_count();
	unsigned unchecked = percpu_audit_unchecked_count();
	(void)percpu_unchecked(audit_probe, owner, "self-test: proves the escape hatch is counted")->value;
	SELFTEST_CHECK(t, percpu_audit_unchecked_count() == unchecked + 1,
		       "escape hatch: unchecked uses went from %u to %u, expected +1", unchecked,
		       percpu_audit_unchecked_count());
	SELFTEST_CHECK(t, percpu_audit_violation_count() == violations,
		       "escape hatch: counted as %u violations, expected none",
		       percpu_audit_violation_count() - violations);
	selftest_diag(t, "the escape hatch: counted (unchecked uses %u -> %u), no violation", unchecked,
		      percpu_audit_unchecked_count());
}

static void corrupted_stamp(struct selftest *t, unsigned me)
{
	unsigned before = percpu_audit_violation_count(), line;
	{
		PERCPU_GUARD(g);
		struct percpu_stamp *stamp = (struct percpu_stamp *)
			((uintptr_t)percpu_local(g, audit_probe) - audit_probe.desc.value_offset);
		uint32_t magic = stamp->magic;
		stamp->magic = ~magic;
		line = __LINE__ + 1;
		(void)percpu_read(g, audit_probe, value);
		stamp->magic = magic;
	}
	expect_violation(t, before, &(struct expected_report){ "an instance with a corrupted stamp", me,
			 PERCPU_NO_HART, "audit_probe", line, "an instance stamped for this hart" });
}

void selftest_percpu_audit_fires(struct selftest *t)
{
	unsigned me = hart_id();
	unsigned other = smp_other_online_hart(me);
	bool alone = other == NEURON_MAX_HARTS;
	/* Single-hart cases target another hart's instance when there is one. */
	unsigned owner = alone ? me : other;

	percpu_glue_clear_last_report();
	percpu_audit_set_mode(PERCPU_AUDIT_CONTINUE);

	remote_without_lock(t, me, owner);
	if (alone)
		wrong_lock(t, me, owner, &unrelated_lock, "holding an unrelated lock");
	else
		wrong_lock(t, me, owner, percpu_remote_lock(audit_probe, me), "holding another hart's instance lock");
	if (alone) {
		selftest_diag(t, "SKIP the lock held by another hart: needs 2 harts, booted 1");
		selftest_diag(t, "SKIP a guard taken on another hart: needs 2 harts, booted 1");
		selftest_diag(t, "SKIP a base register pointing at another hart's area: needs 2 harts, booted 1");
	} else {
		lock_held_by_other_hart(t, me, other);
		guard_from_other_hart(t, me, other);
		base_register_other_hart(t, me, other);
	}
	guard_after_release(t, me);
	poisoned_base_register(t, me);
	init_token_after_smp(t, me);
	escape_hatch_counted(t, owner);
	corrupted_stamp(t, me);

	percpu_audit_set_mode(t->args->audit_continue ? PERCPU_AUDIT_CONTINUE : PERCPU_AUDIT_PANIC);
}

#else

void selftest_percpu_audit_fires(struct selftest *t)
{
	SELFTEST_SKIP(t, "audit build only: the release build has no checks");
}

#endif
