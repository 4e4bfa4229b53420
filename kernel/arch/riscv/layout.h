/* Memory layout constants shared by C, assembly and (by value) kernel.ld. */
#ifndef NEURON_ARCH_RISCV_LAYOUT_H
#define NEURON_ARCH_RISCV_LAYOUT_H

#define KERNEL_LOAD_ADDR 0x80200000 /* where OpenSBI fw_dynamic jumps */
#define HART_STACK_SIZE 16384       /* per hart; also holds trap frames */
#define PERCPU_AREA_ALIGN 64        /* one cache line: areas never share one */

#define UART0_BASE 0x10000000UL     /* ns16550a on QEMU virt */
#define TEST_FINISHER_BASE 0x100000UL /* sifive,test1 on QEMU virt */

/* Trap frame: x0..x31 (x0 slot unused), sepc, sstatus, scause, stval. */
#define TRAP_FRAME_SEPC 32
#define TRAP_FRAME_SSTATUS 33
#define TRAP_FRAME_SCAUSE 34
#define TRAP_FRAME_STVAL 35
#define TRAP_FRAME_SIZE (36 * 8) /* a multiple of 16: keeps sp aligned */

#endif
