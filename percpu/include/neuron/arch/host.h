/*
 * Host layer of the PerCpu wrapper: each pthread is a hart, its TLS block
 * is its per-hart area (see percpu/host/). Threads never migrate between
 * "harts", so the compiler's own TLS addressing is safe here; only the
 * riscv layer needs the asm that pins the address computation in place.
 *
 * Interrupts are simulated by a per-thread flag, and the "base register" is
 * a per-thread variable that tests can poison to exercise the audit check
 * that `tp` still points at this hart's area.
 */
#ifndef NEURON_ARCH_HOST_H
#define NEURON_ARCH_HOST_H

#include <stdint.h>

extern __thread unsigned long percpu_host_irq_enabled __attribute__((tls_model("local-exec")));	/* 1: "interrupts" on */
extern __thread uintptr_t percpu_host_base_register __attribute__((tls_model("local-exec")));	/* the simulated tp */
/* The identity word (PERCPU_IDENTITY_WORD(hart)), 0: not attached. Kept
 * whole, as riscv keeps it in sscratch, so reading it is one TLS load. */
extern __thread uint64_t percpu_host_identity_word __attribute__((tls_model("local-exec")));
extern __thread char percpu_host_area_anchor __attribute__((tls_model("local-exec")));		/* defines the area base */

#define PERCPU_ARCH_ADDR(sym, off) ((void *)((char *)&(sym) + (off)))

#define PERCPU_ARCH_LOAD_RAW(sym, size, off) ({ \
	const void *percpu__p = PERCPU_ARCH_ADDR(sym, off); \
	__builtin_choose_expr((size) == 8, (unsigned long)*(const uint64_t *)percpu__p, \
	__builtin_choose_expr((size) == 4, (unsigned long)*(const uint32_t *)percpu__p, \
	__builtin_choose_expr((size) == 2, (unsigned long)*(const uint16_t *)percpu__p, \
					   (unsigned long)*(const uint8_t *)percpu__p))); })

#define PERCPU_ARCH_STORE_RAW(sym, size, off, raw) ({ \
	void *percpu__p = PERCPU_ARCH_ADDR(sym, off); \
	unsigned long percpu__r = (unsigned long)(raw); \
	if ((size) == 8) *(uint64_t *)percpu__p = (uint64_t)percpu__r; \
	else if ((size) == 4) *(uint32_t *)percpu__p = (uint32_t)percpu__r; \
	else if ((size) == 2) *(uint16_t *)percpu__p = (uint16_t)percpu__r; \
	else *(uint8_t *)percpu__p = (uint8_t)percpu__r; \
	(void)0; })

/* The 64-bit word at this hart's sym+off, xor the (simulated) base register. */
#define PERCPU_ARCH_LOAD_XOR_BASE(sym, off) \
	(*(const uint64_t *)PERCPU_ARCH_ADDR(sym, off) ^ (uint64_t)percpu_host_base_register)

#define PERCPU_ARCH_STORE_XOR_BASE(sym, off, v) \
	((void)(*(uint64_t *)PERCPU_ARCH_ADDR(sym, off) = (uint64_t)(v) ^ (uint64_t)percpu_host_base_register))

#define PERCPU_ARCH_AREA_OFFSET(sym) \
	((uintptr_t)&(sym) - (uintptr_t)&percpu_host_area_anchor)

/* The same offset formed from two link-time constants (local-exec TLS
 * offsets), where the compiler would compute both addresses and subtract:
 * the audit's remote check takes it as an argument. */
#if defined(__x86_64__)
#define PERCPU_ARCH_AREA_OFFSET_IMM(sym) ({ \
	uintptr_t percpu__off; \
	__asm__("movq $" #sym "@tpoff, %0\n\tsubq $percpu_host_area_anchor@tpoff, %0" \
		: "=r"(percpu__off)); \
	percpu__off; })
#else
#define PERCPU_ARCH_AREA_OFFSET_IMM(sym) PERCPU_ARCH_AREA_OFFSET(sym)
#endif

static inline uintptr_t percpu_arch_base_register(void)
{
	return percpu_host_base_register;
}

/* The thread's hart, apart from the (poisonable) base register; see riscv.h. */
static inline void percpu_arch_set_identity(unsigned hart)
{
	percpu_host_identity_word = PERCPU_IDENTITY_WORD(hart);
}

/* The identity word (PERCPU_IDENTITY_WORD), 0 until attached; see riscv.h. */
static inline uint64_t percpu_arch_identity_word(void)
{
	return percpu_host_identity_word;
}

/* PERCPU_NO_HART until percpu_arch_set_identity ran on this thread. */
static inline unsigned percpu_arch_identity(void)
{
	uint64_t v = percpu_host_identity_word;
	return (uint32_t)v == PERCPU_STAMP_MAGIC ? (unsigned)(v >> 32) : PERCPU_NO_HART;
}

static inline unsigned long percpu_arch_irq_save(void)
{
	unsigned long old = percpu_host_irq_enabled;
	percpu_host_irq_enabled = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return old;
}

static inline void percpu_arch_irq_restore(unsigned long saved)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	percpu_host_irq_enabled |= saved;
}

static inline int percpu_arch_irqs_enabled(void)
{
	return percpu_host_irq_enabled != 0;
}

#endif
