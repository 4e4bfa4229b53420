/* Trap dispatch: timer and software interrupts; everything else panics. */
#include "arch/riscv/csr.h"
#include "arch/riscv/entry.h"
#include "arch/riscv/semihost.h"
#include "arch/riscv/trap.h"
#include "lib/panic.h"
#include "sched/ipi.h"
#include "sched/sched.h"
#include "smp/hart.h"
#include "smp/hart_watch.h"
#include "smp/smp.h"
#include "smp/timer.h"

void trap_init_this_hart(void)
{
	/* Direct mode: the low two bits of stvec are zero (entry is 4-aligned). */
	csr_write(stvec, (unsigned long)trap_entry);
}

static const char *exception_name(uint64_t code)
{
	static const char *const names[] = {
		"instruction address misaligned", "instruction access fault",
		"illegal instruction", "breakpoint", "load address misaligned",
		"load access fault", "store address misaligned", "store access fault",
		"environment call from U-mode", "environment call from S-mode",
		"reserved", "reserved", "instruction page fault", "load page fault",
		"reserved", "store page fault",
	};
	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "unknown";
}

#define EXC_BREAKPOINT 3

void trap_dispatch(struct trap_frame *frame)
{
	uint64_t code = frame->scause & ~SCAUSE_INTERRUPT;

	if (frame->scause & SCAUSE_INTERRUPT) {
		switch (code) {
		case IRQ_S_TIMER:
			hart_watch_tick(frame->sepc);
			timer_handle_tick();
			sched_tick();
			sched_preempt_from_trap();
			return;
		case IRQ_S_SOFTWARE:
			csr_clear(sip, SIP_SSIP);
			ipi_handle();
			return;
		default:
			panic("hart %u: unexpected interrupt scause=0x%lx sepc=0x%lx",
			      hart_id(), frame->scause, frame->sepc);
		}
	}
	if (code == EXC_BREAKPOINT && semihost_is_call(frame->sepc)) {
		/* QEMU without -semihosting-config: the call fails, nothing more. */
		frame->x[10] = (uint64_t)SEMIHOST_ABSENT;
		frame->sepc += 4;
		return;
	}
	panic("hart %u: exception scause=0x%lx (%s) sepc=0x%lx stval=0x%lx", hart_id(),
	      frame->scause, exception_name(code), frame->sepc, frame->stval);
}
