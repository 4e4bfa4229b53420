/* Reference functions written with the PerCpu wrapper. */
#include <neuron/percpu.h>

#include "layout.h"

struct runqueue {
	CODEGEN_RUNQUEUE_FIELDS
};
PERCPU_DECLARE(struct runqueue, runqueues);
PERCPU_DEFINE(struct runqueue, runqueues);

long read_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, runqueues, nr_ready);
}

void write_irqs_off(long value)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, runqueues, nr_ready, value);
}

long read_guarded(void)
{
	PERCPU_GUARD(g);
	return percpu_read(g, runqueues, nr_ready);
}

void write_guarded(long value)
{
	PERCPU_GUARD(g);
	percpu_write(g, runqueues, nr_ready, value);
}

uint32_t read_u32_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, runqueues, weight);
}

uint8_t read_u8_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, runqueues, flags);
}

void write_u8_irqs_off(uint8_t value)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, runqueues, flags, value);
}

void *read_ptr_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, runqueues, current);
}

void *local_address(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_local(g, runqueues);
}

/* Fields 2 KiB and more into the variable: past a 12-bit immediate, so
 * lui + add + access (the linker cannot relax them to one instruction). */
long read_far_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, runqueues, far);
}

void write_far_irqs_off(long value)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, runqueues, far, value);
}

long read_farther_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, runqueues, farther);
}

void write_farther_irqs_off(long value)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, runqueues, farther, value);
}

/* Two accesses under one guard: the second one's cost is one access's. */
long read_twice_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	return percpu_read(g, runqueues, nr_ready) + percpu_read(g, runqueues, generation);
}

void write_twice_irqs_off(long value)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, runqueues, nr_ready, value);
	percpu_write(g, runqueues, generation, value);
}

/* A guard and nothing else: what a guard pair costs on its own. */
void guard_only_irqs_off(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	(void)g;
}

void guard_only(void)
{
	PERCPU_GUARD(g);
	(void)g;
}

/* A plain load on either side of a local read: two loads (hand.c). */
long reload_around_read(const long *p)
{
	long a = *p;
	PERCPU_GUARD_IRQS_OFF(g);
	long v = percpu_read(g, runqueues, nr_ready);
	return a + v + *p;
}

/* A call between two reads stands in for a context switch: the second
 * read must form its address from tp again (codegen.py checks that no
 * register keeps tp or tp + offset across the call). */
__attribute__((noipa)) void codegen_switch(void)
{
}

long read_across_call(void)
{
	long a;
	{
		PERCPU_GUARD_IRQS_OFF(g);
		a = percpu_read(g, runqueues, nr_ready);
	}
	codegen_switch();
	PERCPU_GUARD_IRQS_OFF(g);
	return a + percpu_read(g, runqueues, generation);
}

/* Ordering with plain accesses to the same instance through a
 * percpu_local() pointer: each must keep both accesses, in source order
 * (codegen.py checks it; GCC cannot see that the pointer and the accessor
 * reach the same bytes). */
long order_store_then_read(long v)
{
	PERCPU_GUARD_IRQS_OFF(g);
	struct runqueue *rq = percpu_local(g, runqueues);
	rq->nr_ready = v;
	return percpu_read(g, runqueues, nr_ready);
}

long order_write_then_load(long v)
{
	PERCPU_GUARD_IRQS_OFF(g);
	percpu_write(g, runqueues, nr_ready, v);
	return percpu_local(g, runqueues)->nr_ready;
}

long order_load_write_load(long v)
{
	PERCPU_GUARD_IRQS_OFF(g);
	struct runqueue *rq = percpu_local(g, runqueues);
	long before = rq->nr_ready;
	percpu_write(g, runqueues, nr_ready, v);
	return before + rq->nr_ready;
}

void codegen_entry(void)
{
}
