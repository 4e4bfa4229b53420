/*
 * riscv64 layer of the PerCpu wrapper (kernel builds).
 *
 * The per-hart area is this hart's copy of the TLS template and `tp` holds
 * its base for as long as the hart runs kernel code. Every access below
 * computes `tp + offset` inside ONE asm volatile statement, so GCC (which
 * believes `tp` never changes within a function) can neither hoist the
 * address above the guard that made it valid nor keep it in a register
 * across a call, a context switch or a later guard. The sequence
 *     lui  r, %tprel_hi(sym+off)
 *     add  r, r, tp, %tprel_add(sym+off)
 *     OP   ..., %tprel_lo(sym+off)(r)
 * is what the linker relaxes to a single `OP ..., off(tp)` when the offset
 * fits in 12 bits, so the release build pays exactly one instruction. The
 * relocations carry the full offset (sym+off, any field offset: the
 * operand is printed as a plain integer, not with %c, which GCC refuses
 * for integers beyond a 12-bit immediate), so a farther field keeps the
 * three instructions and still works.
 * Each access is also ordered against the plain memory operations around
 * it (for instance a store made through percpu_local()) and against calls,
 * at no instruction: PERCPU__RV_AREA_READ below says how.
 */
#ifndef NEURON_ARCH_RISCV_H
#define NEURON_ARCH_RISCV_H

#include <stdint.h>

#define PERCPU_ARCH_SSTATUS_SIE 2ul

#ifndef NEURON_PERCPU_BASELINE
#define NEURON_PERCPU_BASELINE 0
#endif

#if NEURON_PERCPU_BASELINE
/*
 * MEASURING BASELINE ONLY (cmake -DNEURON_PERCPU_BASELINE=ON, release):
 * the accessors below are what plain hand-written per-hart C gives, a
 * __thread object read and written in C and another hart's copy reached
 * as its area base plus the object's offset from tp. No asm, no clobber.
 * It exists so the wrapper's code can be compared with it
 * (bench/run.py --parts baseline); it is NOT safe as a product: GCC
 * treats tp as constant within a function, so it may form tp + offset
 * once and keep it in a register (or hoist it) across a call that
 * switches context and migrates the task, or above the csrrci that made
 * the access valid, and then touch the previous hart's instance
 * (docs/concurrency-model.md, "the tp caveat"). Nothing here stops that.
 */
/* Raw words of the wrapper's own block (the hart number): may_alias, as
 * a byte offset into a structure is. */
typedef uint64_t percpu__bl_u64 __attribute__((may_alias));
typedef uint32_t percpu__bl_u32 __attribute__((may_alias));
typedef uint16_t percpu__bl_u16 __attribute__((may_alias));
typedef uint8_t percpu__bl_u8 __attribute__((may_alias));
#define PERCPU__BL_AT(sym, T, off) (*(T *)((char *)&(sym) + (off)))
#define PERCPU_ARCH_LOAD_RAW(sym, size, off) \
	__builtin_choose_expr((size) == 8, (unsigned long)PERCPU__BL_AT(sym, percpu__bl_u64, off), \
	__builtin_choose_expr((size) == 4, (unsigned long)PERCPU__BL_AT(sym, percpu__bl_u32, off), \
	__builtin_choose_expr((size) == 2, (unsigned long)PERCPU__BL_AT(sym, percpu__bl_u16, off), \
					   (unsigned long)PERCPU__BL_AT(sym, percpu__bl_u8, off))))
#define PERCPU_ARCH_STORE_RAW(sym, size, off, raw) \
	__builtin_choose_expr((size) == 8, (void)(PERCPU__BL_AT(sym, percpu__bl_u64, off) = (uint64_t)(raw)), \
	__builtin_choose_expr((size) == 4, (void)(PERCPU__BL_AT(sym, percpu__bl_u32, off) = (uint32_t)(raw)), \
	__builtin_choose_expr((size) == 2, (void)(PERCPU__BL_AT(sym, percpu__bl_u16, off) = (uint16_t)(raw)), \
					   (void)(PERCPU__BL_AT(sym, percpu__bl_u8, off) = (uint8_t)(raw)))))
#define PERCPU_ARCH_ADDR(sym, off) ((void *)((char *)&(sym) + (off)))
#define PERCPU_ARCH_AREA_OFFSET(sym) \
	((uintptr_t)&(sym) - (uintptr_t)__builtin_thread_pointer())
#define PERCPU_ARCH_AREA_OFFSET_IMM(sym) PERCPU_ARCH_AREA_OFFSET(sym)
#else
/*
 * What an access tells GCC about memory. It must stay ordered against the
 * plain loads and stores that can reach the same instance (through a
 * percpu_local() or remote pointer: any pointer whose origin GCC cannot
 * see) and against calls (a context switch is a call). A "memory" clobber
 * does that, but also makes GCC forget every value it holds in registers.
 * Release builds name instead the memory the accesses really touch: the
 * per-hart area, as an object of unknown size at tp, read by a load and by
 * an address (PERCPU_ARCH_ADDR: it must not move across a call either),
 * read and written by a store. GCC then orders each access against every
 * pointer of unknown origin and every call, as before, and keeps what it
 * can prove lies elsewhere. The operand reaches tp through a register
 * variable, so there is nothing to compute or keep (GCC never copies tp
 * for it; through __builtin_thread_pointer() it did, into callee-saved
 * registers), the template never uses it, and the address is still formed
 * inside the asm (the tp caveat above; codegen.percpu.check checks that
 * no register keeps tp across a call). Audit builds keep the clobber:
 * their checks are not the zero-cost path. -DPERCPU_ARCH_MEASURE_NO_CLOBBER=1
 * drops both, to measure what they cost (docs/benchmarks.md); such a
 * build loses the ordering and is for measuring only.
 */
#if defined(PERCPU_ARCH_MEASURE_NO_CLOBBER) && PERCPU_ARCH_MEASURE_NO_CLOBBER
#define PERCPU__RV_CLOBBER
#define PERCPU__RV_AREA_DECL (void)0
#define PERCPU__RV_AREA_READ
#define PERCPU__RV_AREA_WRITE
#elif NEURON_AUDIT
#define PERCPU__RV_CLOBBER "memory"
#define PERCPU__RV_AREA_DECL (void)0
#define PERCPU__RV_AREA_READ
#define PERCPU__RV_AREA_WRITE
#else
#define PERCPU__RV_CLOBBER
#define PERCPU__RV_AREA_DECL register char *percpu__tp __asm__("tp")
#define PERCPU__RV_AREA_READ , [percpu_area] "m"(*(const char (*)[])percpu__tp)
#define PERCPU__RV_AREA_WRITE , [percpu_area] "+m"(*(char (*)[])percpu__tp)
#endif
#define PERCPU__RV_SEQ(sym, insn, reg) \
	"lui " reg ",%%tprel_hi(" #sym "+%[pcoff])\n\t" \
	"add " reg "," reg ",tp,%%tprel_add(" #sym "+%[pcoff])\n\t" insn

#define PERCPU__RV_LOAD(sym, insn, off) ({ \
	PERCPU__RV_AREA_DECL; \
	unsigned long percpu__raw; \
	__asm__ volatile(PERCPU__RV_SEQ(sym, insn " %0,%%tprel_lo(" #sym "+%[pcoff])(%0)", "%0") \
			 : "=r"(percpu__raw) : [pcoff] "i"(off) PERCPU__RV_AREA_READ : PERCPU__RV_CLOBBER); \
	percpu__raw; })

/* "rJ" and %z: a zero is stored from the zero register, as C would,
 * not first loaded into one. raw is read before tp's register variable is
 * declared: an accessor inside it has its own. */
#define PERCPU__RV_STORE(sym, insn, off, raw) ({ \
	__typeof__(raw) percpu__st = (raw); \
	PERCPU__RV_AREA_DECL; \
	unsigned long percpu__tmp; \
	__asm__ volatile(PERCPU__RV_SEQ(sym, insn " %z[percpu_st],%%tprel_lo(" #sym "+%[pcoff])(%0)", "%0") \
			 : "=&r"(percpu__tmp) PERCPU__RV_AREA_WRITE \
			 : [percpu_st] "rJ"(percpu__st), [pcoff] "i"(off) : PERCPU__RV_CLOBBER); \
	(void)0; })

/* The 64-bit word at this hart's sym+off, xor the base register: the
 * audit's guard check (relaxes to `ld r, off(tp); xor r, r, tp`). */
#define PERCPU_ARCH_LOAD_XOR_BASE(sym, off) ({ \
	unsigned long percpu__raw; \
	__asm__ volatile(PERCPU__RV_SEQ(sym, "ld %0,%%tprel_lo(" #sym "+%[pcoff])(%0)\n\txor %0,%0,tp", "%0") \
			 : "=r"(percpu__raw) : [pcoff] "i"(off) : "memory"); \
	(uint64_t)percpu__raw; })

/* Stores v xor the base register into this hart's 64-bit sym+off
 * (relaxes to `xor r, v, tp; sd r, off(tp)`). */
#define PERCPU_ARCH_STORE_XOR_BASE(sym, off, v) ({ \
	unsigned long percpu__tmp, percpu__x; \
	__asm__ volatile("xor %1,%2,tp\n\t" \
			 PERCPU__RV_SEQ(sym, "sd %1,%%tprel_lo(" #sym "+%[pcoff])(%0)", "%0") \
			 : "=&r"(percpu__tmp), "=&r"(percpu__x) : "r"((unsigned long)(v)), [pcoff] "i"(off) \
			 : "memory"); \
	(void)0; })

/* Loads zero-extend sub-word values; the caller reinterprets the bits. */
#define PERCPU_ARCH_LOAD_RAW(sym, size, off) \
	__builtin_choose_expr((size) == 8, PERCPU__RV_LOAD(sym, "ld", off), \
	__builtin_choose_expr((size) == 4, PERCPU__RV_LOAD(sym, "lw", off), \
	__builtin_choose_expr((size) == 2, PERCPU__RV_LOAD(sym, "lhu", off), \
					   PERCPU__RV_LOAD(sym, "lbu", off))))

#define PERCPU_ARCH_STORE_RAW(sym, size, off, raw) \
	__builtin_choose_expr((size) == 8, PERCPU__RV_STORE(sym, "sd", off, raw), \
	__builtin_choose_expr((size) == 4, PERCPU__RV_STORE(sym, "sw", off, raw), \
	__builtin_choose_expr((size) == 2, PERCPU__RV_STORE(sym, "sh", off, raw), \
					   PERCPU__RV_STORE(sym, "sb", off, raw))))

/* Address of this hart's copy of sym+off: relaxes to `addi r, tp, off`. */
#define PERCPU_ARCH_ADDR(sym, off) ({ \
	PERCPU__RV_AREA_DECL; \
	unsigned long percpu__addr; \
	__asm__ volatile(PERCPU__RV_SEQ(sym, "addi %0,%0,%%tprel_lo(" #sym "+%[pcoff])", "%0") \
			 : "=r"(percpu__addr) : [pcoff] "i"(off) PERCPU__RV_AREA_READ : PERCPU__RV_CLOBBER); \
	(void *)percpu__addr; })

/*
 * Offset of sym from the area base, the same on every hart. Relaxation is
 * switched off here: relaxing this pair would rewrite it to be tp-relative.
 */
#define PERCPU_ARCH_AREA_OFFSET(sym) ({ \
	unsigned long percpu__off; \
	__asm__(".option push\n\t.option norelax\n\t" \
		"lui %0,%%tprel_hi(" #sym ")\n\t" \
		"addi %0,%0,%%tprel_lo(" #sym ")\n\t.option pop" \
		: "=r"(percpu__off)); \
	(uintptr_t)percpu__off; })
/* lui + addi already: the same macro for the audit's remote check. */
#define PERCPU_ARCH_AREA_OFFSET_IMM(sym) PERCPU_ARCH_AREA_OFFSET(sym)
#endif /* NEURON_PERCPU_BASELINE */

/* The per-hart base register as it is now (audit compares it). */
static inline uintptr_t percpu_arch_base_register(void)
{
	uintptr_t tp;
	__asm__ volatile("mv %0, tp" : "=r"(tp));
	return tp;
}

/*
 * The hart's identity, kept apart from `tp` so the audit can tell a
 * poisoned base register even when it points at another hart's real area
 * (whose self block would then vouch for the wrong hart). The kernel has
 * no user mode, so `sscratch` is free. It holds the identity word: the
 * stamp this hart's instances carry (PERCPU_STAMP_MAGIC in the low half,
 * the hart in the high half; 0: not attached), so the audit's inline
 * check compares an instance's stamp with it in one instruction.
 */
static inline void percpu_arch_set_identity(unsigned hart)
{
	__asm__ volatile("csrw sscratch, %0" : : "r"(PERCPU_IDENTITY_WORD(hart)));
}

/* The identity word (PERCPU_IDENTITY_WORD), 0 until percpu_arch_set_identity ran. */
static inline uint64_t percpu_arch_identity_word(void)
{
	uint64_t v;
	__asm__ volatile("csrr %0, sscratch" : "=r"(v));
	return v;
}

/* PERCPU_NO_HART until percpu_arch_set_identity ran on this hart. */
static inline unsigned percpu_arch_identity(void)
{
	uint64_t v = percpu_arch_identity_word();
	return (uint32_t)v == PERCPU_STAMP_MAGIC ? (unsigned)(v >> 32) : PERCPU_NO_HART;
}

/* Disables supervisor interrupts; returns the previous SIE bit. */
static inline unsigned long percpu_arch_irq_save(void)
{
	unsigned long old;
	__asm__ volatile("csrrci %0, sstatus, %1" : "=r"(old) : "i"(PERCPU_ARCH_SSTATUS_SIE) : "memory");
	return old & PERCPU_ARCH_SSTATUS_SIE;
}

/* Precondition: saved came from percpu_arch_irq_save on this hart. */
static inline void percpu_arch_irq_restore(unsigned long saved)
{
	__asm__ volatile("csrs sstatus, %0" : : "r"(saved) : "memory");
}

static inline int percpu_arch_irqs_enabled(void)
{
	unsigned long s;
	__asm__ volatile("csrr %0, sstatus" : "=r"(s));
	return (s & PERCPU_ARCH_SSTATUS_SIE) != 0;
}

#endif
