/* C functions entered from entry.S, and the asm symbols C refers to. */
#ifndef NEURON_ARCH_RISCV_ENTRY_H
#define NEURON_ARCH_RISCV_ENTRY_H

#include <stdint.h>
#include <stdnoreturn.h>

#include "arch/riscv/trap.h"

/* Boot hart, on its own stack, BSS zeroed, tp = 0, interrupts off. */
noreturn void boot_main(unsigned long hartid, const void *dtb);
/* Boot hart whose id is >= NEURON_MAX_HARTS: report and stop. */
noreturn void boot_hart_id_unsupported(unsigned long hartid);
/* Secondary hart, on its own stack, tp = its area base, interrupts off. */
noreturn void secondary_main(unsigned long hartid);
/* Any trap; the frame lives on the trapped hart's stack. */
void trap_dispatch(struct trap_frame *frame);

/* A hart that entered _start after the boot hart claimed it: its area
 * base, or 0 (park) if nobody started it. */
uintptr_t smp_second_entry_area(unsigned long hartid);

extern char _start[];
extern char secondary_entry[];
extern uint32_t boot_claim, boot_claim_ignored;
extern char trap_entry[];

#endif
