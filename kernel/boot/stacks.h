/* One kernel stack per possible hart; entry.S points sp at the top. */
#ifndef NEURON_STACKS_H
#define NEURON_STACKS_H

#include <stdint.h>

#include "arch/riscv/layout.h"

extern char hart_stacks[NEURON_MAX_HARTS][HART_STACK_SIZE];

static inline uintptr_t hart_stack_bottom(unsigned hart)
{
	return (uintptr_t)hart_stacks[hart];
}

static inline uintptr_t hart_stack_top(unsigned hart)
{
	return (uintptr_t)hart_stacks[hart] + HART_STACK_SIZE;
}

#endif
