/* percpu_lint fixture: wrapper internals named outside percpu/. Each line
 * ending in "expect: RULE" must be reported with that rule, and nothing
 * else may be. A mention in a comment, like percpu_storage__runqueues or
 * PERCPU__CHECK_GUARD, is not code and is not reported. */
#include <neuron/percpu.h>

struct runqueue { long nr_ready; struct spinlock lock; };
PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);

long f(unsigned hart);
long f(unsigned hart)
{
	long n = percpu_storage__runqueues.value.nr_ready; // expect: wrapper-internal
	uintptr_t base = percpu__area_bases[hart]; // expect: wrapper-internal
	base += runqueues.desc.area_offset(); // expect: wrapper-internal
	PERCPU__CHECK_VAR(runqueues); // expect: wrapper-internal
	n += (long)PERCPU_ARCH_LOAD_RAW(x, 8, 0); // expect: wrapper-internal
	__asm__ volatile("ld %0, %%tprel_lo(percpu_storage__runqueues)(tp)" : "=r"(n)); // expect: wrapper-internal
	struct percpu_slot__runqueues *slot = 0; // expect: wrapper-internal
	(void)slot;
	const char *doc = "a string may say percpu_ in passing";
	(void)doc;
	return n + (long)base;
}
