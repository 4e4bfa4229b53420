#ifndef NEURON_ARCH_RISCV_TRAP_H
#define NEURON_ARCH_RISCV_TRAP_H

#include <stdint.h>

#include "arch/riscv/layout.h"

/* Layout matches trap_entry in entry.S (see layout.h). */
struct trap_frame {
	uint64_t x[32]; /* x[0] unused; x[2] is sp before the trap */
	uint64_t sepc;
	uint64_t sstatus;
	uint64_t scause;
	uint64_t stval;
};

_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "trap frame layout");

/* Points stvec at trap_entry (direct mode) on the calling hart. */
void trap_init_this_hart(void);

#endif
