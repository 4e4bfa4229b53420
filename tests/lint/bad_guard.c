/* percpu_lint fixture: guards declared by hand. Lines ending in
 * "expect: RULE" must be reported, nothing else: pointers to guards are
 * how a guard is passed down, and a comment or string is not code. */
#include <neuron/percpu.h>

void uses(const struct percpu_guard *g);
void passes(struct percpu_guard *g, const struct percpu_guard *const other);

void forged(void)
{
	struct percpu_guard g; // expect: hand-guard
	struct percpu_guard copy = g; // expect: hand-guard
	static struct percpu_guard kept[2]; // expect: hand-guard
	const char *why = "struct percpu_guard g; in a string";
	uses(&g);
	(void)copy; (void)kept; (void)why;
}

int sized(struct percpu_guard a); // expect: hand-guard

void copies(struct percpu_guard *outer);
void copies(struct percpu_guard *outer)
{
	PERCPU_GUARD(g);
	PERCPU_GUARD_IRQS_OFF(inner);
	__typeof__(g) copy; // expect: hand-guard
	__auto_type again = g; // expect: hand-guard
	__typeof__(*outer) deref = *outer; // expect: hand-guard
	__auto_type alias = outer;
	__auto_type value = *outer; // expect: hand-guard
	const __typeof__(inner) kept = inner; // expect: hand-guard
	__auto_type n = sizeof g;
	__typeof__(g) *pointer = &g;
	(void)copy; (void)again; (void)deref; (void)alias; (void)value; (void)kept; (void)n; (void)pointer;
}
