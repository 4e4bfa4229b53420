/* Supervisor CSR access and the few privileged instructions the kernel uses. */
#ifndef NEURON_ARCH_RISCV_CSR_H
#define NEURON_ARCH_RISCV_CSR_H

#include <stdint.h>

#include <neuron/percpu.h>	/* the interrupt save/restore pair */

#define SSTATUS_SIE (1UL << 1)
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIP_SSIP (1UL << 1)

#define SCAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_SOFTWARE 1
#define IRQ_S_TIMER 5

#define csr_read(csr)                                      \
	({                                                 \
		unsigned long csr_value_;                  \
		asm volatile("csrr %0, " #csr : "=r"(csr_value_)); \
		csr_value_;                                \
	})
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" : : "rK"(val) : "memory")
#define csr_set(csr, bits) asm volatile("csrs " #csr ", %0" : : "rK"(bits) : "memory")
#define csr_clear(csr, bits) asm volatile("csrc " #csr ", %0" : : "rK"(bits) : "memory")

/*
 * Saving and restoring the interrupt state is one pair for the whole
 * kernel: percpu_arch_irq_save() / percpu_arch_irq_restore() (and
 * percpu_arch_irqs_enabled()) in <neuron/arch/riscv.h>, the same the
 * PerCpu guards use. Only the plain switches live here.
 */
static inline void intr_on(void) { csr_set(sstatus, SSTATUS_SIE); }
static inline void intr_off(void) { csr_clear(sstatus, SSTATUS_SIE); }

static inline uint64_t rdtime(void)
{
	uint64_t t;
	asm volatile("rdtime %0" : "=r"(t));
	return t;
}

static inline void wfi(void) { asm volatile("wfi" : : : "memory"); }

static inline uintptr_t read_tp(void)
{
	uintptr_t tp;
	asm volatile("mv %0, tp" : "=r"(tp));
	return tp;
}

static inline uintptr_t read_sp(void)
{
	uintptr_t sp;
	asm volatile("mv %0, sp" : "=r"(sp));
	return sp;
}

#endif
