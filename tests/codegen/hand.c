/* The same functions hand-written the way per-hart kernel code is written
 * without a wrapper: the TLS object addressed straight from tp, interrupts
 * masked by hand. Each must compile to exactly what the wrapper gives. */
#include "layout.h"

struct runqueue {
	CODEGEN_RUNQUEUE_FIELDS
};
__thread struct runqueue hand_rq __attribute__((tls_model("local-exec")));

#define SIE 2ul

static inline unsigned long irq_save(void)
{
	unsigned long old;
	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(old) : : "memory");
	return old & SIE;
}

static inline void irq_restore(unsigned long saved)
{
	__asm__ volatile("csrs sstatus, %0" : : "r"(saved) : "memory");
}

/* The accesses name the memory they touch, this hart's area at tp, as
 * an operand of unknown size (a register variable: no instruction), so
 * GCC orders them against other memory accesses and calls without
 * forgetting everything else it holds, as a "memory" clobber would. */
#define AREA_DECL register char *tp_reg __asm__("tp")
#define AREA_IN "m"(*(const char (*)[])tp_reg)
#define AREA_INOUT "+m"(*(char (*)[])tp_reg)

#define LOAD(insn, type, offset) ({						\
	AREA_DECL;									\
	type loaded;									\
	__asm__ volatile(insn " %0, %%tprel_lo(hand_rq+" #offset ")(tp)"	\
			 : "=r"(loaded) : AREA_IN);				\
	loaded; })
#define STORE(insn, offset, value) ({						\
	AREA_DECL;									\
	__asm__ volatile(insn " %1, %%tprel_lo(hand_rq+" #offset ")(tp)"	\
			 : AREA_INOUT : "r"(value));				\
	(void)0; })

/* A field beyond a 12-bit immediate from tp: the full tp-relative address
 * is built with lui + add, then accessed. */
#define LOAD_FAR(insn, type, offset) ({						\
	AREA_DECL;									\
	type loaded;									\
	__asm__ volatile("lui %0, %%tprel_hi(hand_rq+" #offset ")\n\t"		\
			 "add %0, %0, tp, %%tprel_add(hand_rq+" #offset ")\n\t"	\
			 insn " %0, %%tprel_lo(hand_rq+" #offset ")(%0)"		\
			 : "=r"(loaded) : AREA_IN);				\
	loaded; })
#define STORE_FAR(insn, offset, value) ({					\
	AREA_DECL;									\
	unsigned long address;								\
	__asm__ volatile("lui %0, %%tprel_hi(hand_rq+" #offset ")\n\t"		\
			 "add %0, %0, tp, %%tprel_add(hand_rq+" #offset ")\n\t"	\
			 insn " %2, %%tprel_lo(hand_rq+" #offset ")(%0)"		\
			 : "=&r"(address), AREA_INOUT : "r"(value));		\
	(void)0; })

_Static_assert(__builtin_offsetof(struct runqueue, nr_ready) == 8, "offset used below");
_Static_assert(__builtin_offsetof(struct runqueue, weight) == 16, "offset used below");
_Static_assert(__builtin_offsetof(struct runqueue, flags) == 20, "offset used below");
_Static_assert(__builtin_offsetof(struct runqueue, current) == 24, "offset used below");
_Static_assert(__builtin_offsetof(struct runqueue, far) == 2048, "offset used below");
_Static_assert(__builtin_offsetof(struct runqueue, farther) == 4104, "offset used below");

long read_irqs_off(void) { return LOAD("ld", long, 8); }
void write_irqs_off(long value) { STORE("sd", 8, value); }

long read_guarded(void)
{
	unsigned long saved = irq_save();
	unsigned long raw = LOAD("ld", unsigned long, 8);
	long v = (long)raw;
	irq_restore(saved);
	return v;
}

void write_guarded(long value)
{
	unsigned long saved = irq_save();
	STORE("sd", 8, value);
	irq_restore(saved);
}

uint32_t read_u32_irqs_off(void) { return LOAD("lw", uint32_t, 16); }
uint8_t read_u8_irqs_off(void) { return LOAD("lbu", uint8_t, 20); }
void write_u8_irqs_off(uint8_t value) { STORE("sb", 20, value); }
void *read_ptr_irqs_off(void) { return LOAD("ld", void *, 24); }
void *local_address(void) { return &hand_rq; }
long read_far_irqs_off(void) { return LOAD_FAR("ld", long, 2048); }
void write_far_irqs_off(long value) { STORE_FAR("sd", 2048, value); }
long read_farther_irqs_off(void) { return LOAD_FAR("ld", long, 4104); }
void write_farther_irqs_off(long value) { STORE_FAR("sd", 4104, value); }

/* A plain load on either side of a local read: with a "memory" clobber
 * GCC would load *p again (three loads); naming the area instead, *p is
 * loaded once, as in plain C. */
long reload_around_read(const long *p)
{
	long a = *p;
	unsigned long raw = LOAD("ld", unsigned long, 8);
	long v = (long)raw;
	return a + v + *p;
}

__attribute__((noipa)) void codegen_switch(void)
{
}

long read_across_call(void)
{
	unsigned long a = LOAD("ld", unsigned long, 8);
	codegen_switch();
	return (long)a + (long)LOAD("ld", unsigned long, 0);
}

/* The same in plain C (what the measuring baseline builds): GCC may form
 * tp + offset once and keep it in a callee-saved register across the
 * call, the tp caveat of docs/concurrency-model.md (the baseline kernel's
 * sched_preempt_from_trap does: `add s0,tp,1352` before its call to
 * fault_active, s0 after it). Printed by the check, not compared. */
long plain_read_across_call(void)
{
	long a = hand_rq.nr_ready;
	codegen_switch();
	return a + (long)hand_rq.generation;
}

/*
 * Linux riscv's form, for comparison only (not a wrapper pair): tp holds
 * the current task, whose thread_info.cpu indexes __per_cpu_offset[],
 * added to the variable's link address (this_cpu_ptr, per_cpu_ptr).
 */
struct linux_thread_info {
	unsigned long flags;
	int preempt_count;
	long kernel_sp;
	long user_sp;
	int cpu;
};
unsigned long linux_per_cpu_offset[32];
struct runqueue linux_rq;

long linux_read_irqs_off(void)
{
	const struct linux_thread_info *ti = __builtin_thread_pointer();
	const struct runqueue *rq =
		(const struct runqueue *)((const char *)&linux_rq + linux_per_cpu_offset[ti->cpu]);
	return rq->nr_ready;
}

void *linux_local_address(void)
{
	const struct linux_thread_info *ti = __builtin_thread_pointer();
	return (char *)&linux_rq + linux_per_cpu_offset[ti->cpu];
}

void codegen_entry(void)
{
}
