/*
 * Domain rules: a subsystem's own rule about per-CPU data that the
 * PerCpu audit cannot see (a steal takes at most steal_k tasks, mailbox
 * messages come through ipi_post, ...), reported through the audit's own
 * path: the same one-line report ("percpu: violation: hart A accessed VAR
 * of hart O at FILE:LINE: missing WHAT"), the same counter, the same
 * continue/panic mode and the same TRACE_VIOLATION record, whose site is
 * the line of the percpu_rule_broken() call.
 *
 *   percpu_rule_broken(var, owner, code, "what was missing", number)
 *
 * var: the per-CPU variable the rule protects; owner: the hart whose
 * instance it concerns; code: enum percpu_violation_code; number: appended
 * to the text, or PERCPU_RULE_NO_NUMBER. Release builds: nothing, and the
 * arguments are not evaluated, so a check costs nothing there.
 */
#ifndef NEURON_PERCPU_RULE_H
#define NEURON_PERCPU_RULE_H

#include <neuron/percpu.h>

#define PERCPU_RULE_NO_NUMBER ((unsigned long)-1)

#if NEURON_AUDIT
void percpu__audit_rule(enum percpu_violation_code code, unsigned owner,
			const struct percpu_var_desc *var, const struct percpu_callsite *site,
			const char *missing, unsigned long number);

#define percpu_rule_broken(var, owner, code, missing, number) \
	PERCPU__RULE_BROKEN(var, owner, code, missing, number, __COUNTER__)
#define PERCPU__RULE_BROKEN(var, owner, code, missing, number, id) do {			\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__SITE(id, PERCPU_ACCESS_LOCAL, PERCPU_REASON_NONE, var, NULL);		\
	percpu__audit_rule((code), (owner), &(var).desc,			\
			   &PERCPU__ID(site, id), (missing), (number));			\
} while (0)
#else
#define percpu_rule_broken(var, owner, code, missing, number) do { } while (0)
#endif

#endif
