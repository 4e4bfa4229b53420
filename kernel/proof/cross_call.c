#include "lib/panic.h"
#include "proof/cross_call.h"
#include "sched/ipi.h"

static struct ipi_call calls[NEURON_MAX_HARTS];

bool proof_call_on(unsigned hart, void (*fn)(void *arg), void *arg, uint32_t timeout_ms)
{
	ASSERT(hart < NEURON_MAX_HARTS);
	struct ipi_call *c = &calls[hart];
	if (c->fn && !__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
		return false;	/* the last call to it never finished */
	c->fn = fn;
	c->arg = arg;
	return ipi_call_and_wait(hart, c, timeout_ms);
}
