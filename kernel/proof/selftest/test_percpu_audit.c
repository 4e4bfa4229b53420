/*
 * percpu_audit_fires: the counterfactual for the audit build's clean
 * "# percpu violations: 0". It runs the catalog of deliberate rule breaks
 * (kernel/proof/violations/list.h, the cases the violation suite runs one
 * per boot) in turn, in continue mode: each case marked `both` must raise
 * the violation count by exactly one and report a line naming the
 * accessing hart, the owner hart, the variable, the faulty access's
 * file:line and what was missing. The escape hatch outside strict mode
 * must be counted but not be a violation.
 *
 * The violations are declared to the runner (t->provoked_violations),
 * which counts every other one as a failure: the audit's counter cannot
 * be reset, and a clean run must still end with zero stray violations.
 */
#include <neuron/percpu.h>

#include "boot/percpu_glue.h"
#include "lib/format.h"
#include "lib/string.h"
#include "proof/audit_probe.h"
#include "proof/selftest/selftest.h"
#include "proof/violations/violations.h"
#include "smp/hart.h"
#include "smp/smp.h"

#if NEURON_AUDIT

static bool contains(const char *text, const char *part)
{
	size_t n = strlen(part);
	for (; *text; text++)
		if (strncmp(text, part, n) == 0)
			return true;
	return false;
}

/* The hart a list.h role names on this boot (h0/h1 cases are suite-only). */
static unsigned role_hart(const char *role, unsigned me, unsigned other)
{
	if (strcmp(role, "boot") == 0)
		return me;
	if (strcmp(role, "other") == 0)
		return other;
	return PERCPU_NO_HART;	/* "none" */
}

/*
 * Checks that exactly one violation followed `before` and that its line
 * names the accessing and owner harts, the variable, `line` of the
 * catalog's file and what was missing. Counts it as provoked, so the
 * runner does not.
 */
static void expect_violation(struct selftest *t, unsigned before, const struct violation_case *v,
			     unsigned accessing, unsigned owner_hart, int line)
{
	unsigned after = percpu_audit_violation_count();
	const char *report = percpu_glue_last_report();
	char owner[16], prefix[200];

	t->provoked_violations++;
	if (owner_hart == PERCPU_NO_HART)
		ksnprintf(owner, sizeof(owner), "none");
	else
		ksnprintf(owner, sizeof(owner), "%u", owner_hart);
	ksnprintf(prefix, sizeof(prefix), "percpu: violation: hart %u accessed %s of hart %s at %s:%d: missing ",
		  accessing, v->var, owner, violation_case_file, line);
	SELFTEST_CHECK(t, after == before + 1, "%s: violations went from %u to %u, expected +1", v->name,
		       before, after);
	if (SELFTEST_CHECK(t, line > 0, "%s: the case did not reach its faulty access", v->name) &&
	    SELFTEST_CHECK(t, strncmp(report, prefix, strlen(prefix)) == 0,
			   "%s: report '%s', expected it to start '%s'", v->name, report, prefix))
		SELFTEST_CHECK(t, contains(report + strlen(prefix), v->missing),
			       "%s: report '%s' does not say what was missing ('%s')", v->name, report,
			       v->missing);
	selftest_diag(t, "%s: %u violation(s), report checked", v->name, after - before);
	percpu_glue_clear_last_report();
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

void selftest_percpu_audit_fires(struct selftest *t)
{
	unsigned me = hart_id();
	unsigned other = smp_other_online_hart(me);

	percpu_glue_clear_last_report();
	percpu_audit_set_mode(PERCPU_AUDIT_CONTINUE);
	for (size_t i = 0; i < violation_count; i++) {
		const struct violation_case *v = &violation_cases[i];
		if (!v->in_selftest) {
			selftest_diag(t, "%s: run by the violation suite only (list.h)", v->name);
			continue;
		}
		unsigned before = percpu_audit_violation_count();
		int line = violation_case_run(i, me, other);
		if (line == VIOLATION_SKIPPED) {
			selftest_diag(t, "SKIP %s: needs 2 harts, booted 1", v->name);
			continue;
		}
		expect_violation(t, before, v, role_hart(v->accessing, me, other),
				 role_hart(v->owner, me, other), line);
	}
	escape_hatch_counted(t, other == PERCPU_NO_HART ? me : other);
	percpu_audit_set_mode(t->args->audit_continue ? PERCPU_AUDIT_CONTINUE : PERCPU_AUDIT_PANIC);
}

#else

void selftest_percpu_audit_fires(struct selftest *t)
{
	SELFTEST_SKIP(t, "audit build only: the release build has no checks");
}

#endif
