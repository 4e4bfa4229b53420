#include "boot/stacks.h"

/* Own section: kernel.ld leaves it out of the BSS the boot hart zeroes. */
char hart_stacks[NEURON_MAX_HARTS][HART_STACK_SIZE]
	__attribute__((aligned(16), section(".hart_stacks")));
