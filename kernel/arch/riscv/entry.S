/*
 * Boot and trap entry points.
 *
 * _start: OpenSBI fw_dynamic jumps here on one hart (any hart) in S-mode
 *   with a0 = hart id, a1 = physical address of the DTB, MMU off,
 *   supervisor interrupts off. Exactly one hart runs the cold path: the
 *   first to swap boot_claim. OpenSBI 1.1 can send a second hart here
 *   (kernel/README.md, "Second entry"): it loses the claim and joins as
 *   a secondary, and nothing it could clear is touched.
 * secondary_entry: SBI HSM hart_start brings the other harts here with
 *   a0 = hart id, a1 = the opaque value the boot hart passed, which is
 *   that hart's per-hart area base.
 * trap_entry: stvec in direct mode; every trap arrives on the current
 *   kernel stack (there is no user mode to switch from).
 */
#include "arch/riscv/layout.h"

/* sp = top of hart_stacks[\hart]; clobbers \tmp. */
.macro set_hart_stack hart, tmp
	la	sp, hart_stacks
	addi	\tmp, \hart, 1
	slli	\tmp, \tmp, 14
	add	sp, sp, \tmp
.endm

#if HART_STACK_SIZE != (1 << 14)
#error "set_hart_stack assumes 16 KiB stacks"
#endif

	/*
	 * In .data, not .bss: the winner clears .bss, and a claim that could
	 * be cleared would let a later hart win again and wipe the kernel.
	 */
	.section .data
	.balign	4
	.globl	boot_claim
boot_claim:
	.word	0
	/* fault=no_entry_claim: a hart that lost the claim runs the cold path anyway. */
	.globl	boot_claim_ignored
boot_claim_ignored:
	.word	0

	.section .text.boot, "ax"
	.globl	_start
_start:
	csrw	sie, zero
	csrci	sstatus, 2
	/* tp is garbage from the firmware until the area exists. */
	mv	tp, zero
	mv	s0, a0
	mv	s1, a1

	la	t0, boot_claim
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	beqz	t1, cold_boot
	la	t0, boot_claim_ignored
	lw	t1, 0(t0)
	beqz	t1, second_entry

cold_boot:

	/*
	 * A boot hart id beyond the stack array borrows slot 0 just long
	 * enough to report the problem: nothing else runs yet.
	 */
	li	t0, NEURON_MAX_HARTS
	mv	t1, a0
	bltu	t1, t0, 1f
	li	t1, 0
1:	set_hart_stack t1, t2

	la	t0, __bss_start
	la	t1, __bss_end
2:	bgeu	t0, t1, 3f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	2b
3:
	li	t0, NEURON_MAX_HARTS
	mv	a0, s0
	mv	a1, s1
	bgeu	a0, t0, 4f
	call	boot_main
	j	park
4:	call	boot_hart_id_unsupported
	j	park

/*
 * A hart that lost boot_claim: on its own stack (never used before, since
 * it was not started), tp = 0, it asks smp.c for its area. 0 means nobody
 * started it: park. Otherwise enter as the secondary it was meant to be.
 */
second_entry:
	li	t0, NEURON_MAX_HARTS
	bgeu	s0, t0, park
	set_hart_stack s0, t1
	mv	a0, s0
	call	smp_second_entry_area
	beqz	a0, park
	mv	a1, a0
	mv	a0, s0
	j	secondary_entry

	.text
	.globl	secondary_entry
	.balign	4
secondary_entry:
	csrw	sie, zero
	csrci	sstatus, 2
	/* The boot hart only starts harts below NEURON_MAX_HARTS. */
	li	t0, NEURON_MAX_HARTS
	bgeu	a0, t0, park
	set_hart_stack a0, t1
	mv	tp, a1
	call	secondary_main
	/* fall through: secondary_main does not return */

park:
	wfi
	j	park

/*
 * Save every GPR and the trap CSRs in a frame on the current stack, call
 * trap_dispatch(frame), restore and sret. tp is saved and restored like
 * any register; nothing changes it.
 */
	.globl	trap_entry
	.balign	4
trap_entry:
	addi	sp, sp, -TRAP_FRAME_SIZE
	sd	x1, 1*8(sp)
	.irp	n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\n, \n*8(sp)
	.endr
	addi	t0, sp, TRAP_FRAME_SIZE
	sd	t0, 2*8(sp)
	csrr	t0, sepc
	sd	t0, TRAP_FRAME_SEPC*8(sp)
	csrr	t0, sstatus
	sd	t0, TRAP_FRAME_SSTATUS*8(sp)
	csrr	t0, scause
	sd	t0, TRAP_FRAME_SCAUSE*8(sp)
	csrr	t0, stval
	sd	t0, TRAP_FRAME_STVAL*8(sp)

	/* Labels for debuggers (tools/gdb/neuron_gdb/unwind.py): from here to
	 * trap_entry_sret every interrupted register is in the frame. */
	.globl	trap_entry_saved
trap_entry_saved:
	mv	a0, sp
	call	trap_dispatch

	ld	t0, TRAP_FRAME_SEPC*8(sp)
	csrw	sepc, t0
	ld	t0, TRAP_FRAME_SSTATUS*8(sp)
	csrw	sstatus, t0
	ld	x1, 1*8(sp)
	.irp	n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\n, \n*8(sp)
	.endr
	addi	sp, sp, TRAP_FRAME_SIZE
	.globl	trap_entry_sret
trap_entry_sret:
	sret
	.globl	trap_entry_end
trap_entry_end:
