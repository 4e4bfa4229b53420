/*
 * The kernel side of the audit trace: one ring per hart, the PerCpu
 * recording seams, the scenario bracket and the counter lines.
 * Format and protocol: docs/trace-format.md.
 */
#include <neuron/percpu.h>

#include "arch/riscv/csr.h"
#include "boot/boot.h"
#include "boot/bootargs.h"
#include "lib/kprintf.h"
#include "smp/smp.h"
#include "smp/timer.h"
#include "trace/trace.h"
#include "trace/trace_drain.h"
#include "trace/trace_state.h"

/* Called by gdb's breakpoint; must exist in release builds too. */
__attribute__((noinline, used)) void trace_scenario_done(void)
{
	asm volatile("" ::: "memory");
}

#if NEURON_AUDIT

extern const struct percpu_var_desc __start_percpu_vars[] __attribute__((weak));
extern const struct percpu_var_desc __stop_percpu_vars[] __attribute__((weak));
extern const struct percpu_callsite __start_percpu_callsites[] __attribute__((weak));
extern const struct percpu_callsite __stop_percpu_callsites[] __attribute__((weak));

struct trace_info trace_info;
struct trace_ring trace_rings[NEURON_MAX_HARTS];
struct trace_writer trace_writers[NEURON_MAX_HARTS];
/* Never cleared (section .trace_slots, kernel.ld): no slot is read before
 * its record is written (trace_ring_init). */
static struct trace_slot trace_slots[NEURON_MAX_HARTS][NEURON_TRACE_RING_RECORDS]
	__attribute__((section(".trace_slots")));
static uint32_t stream_requested;
static unsigned scenario_index;	/* of the scenario being recorded */

/* In [start, stop): one unsigned compare (NULL, below start, at or past
 * stop all fail it; the weak section bounds are NULL together when a
 * section is empty). */
static inline bool in_section(const void *p, const void *start, const void *stop)
{
	return (uintptr_t)p - (uintptr_t)start < (uintptr_t)stop - (uintptr_t)start;
}

unsigned trace_var_index(const struct percpu_var_desc *var)
{
	if (!in_section(var, __start_percpu_vars, __stop_percpu_vars))
		return TRACE_VAR_NONE;
	return (unsigned)(var - __start_percpu_vars);
}

unsigned trace_site_index(const struct percpu_callsite *site)
{
	if (!in_section(site, __start_percpu_callsites, __stop_percpu_callsites))
		return TRACE_SITE_NONE;
	return (unsigned)(site - __start_percpu_callsites);
}

/* FNV-1a 64: matches tools/neuronlib/tracefmt/elftables.py identity(). */
static uint64_t fnv1a(uint64_t hash, const void *begin, const void *end)
{
	for (const uint8_t *p = begin; p < (const uint8_t *)end; p++)
		hash = (hash ^ *p) * 0x100000001b3ull;
	return hash;
}

static uint64_t elf_identity(void)
{
	uint64_t hash = 0xcbf29ce484222325ull;
	hash = fnv1a(hash, __start_percpu_vars, __stop_percpu_vars);
	return fnv1a(hash, __start_percpu_callsites, __stop_percpu_callsites);
}

static void count_unattributed(void)
{
	__atomic_fetch_add(&trace_info.unattributed, 1, __ATOMIC_RELAXED);
}

/* meta as the slot holds it: type | b << 8 | h << 16. */
static inline uint32_t pack_meta(enum trace_type type, unsigned b, unsigned h)
{
	return (uint32_t)type | (uint32_t)(uint8_t)b << 8 | (uint32_t)(uint16_t)h << 16;
}

/* The end of every write: the freeze handshake's release, interrupts back. */
static inline __attribute__((always_inline)) void put_end(struct trace_writer *writer,
							  unsigned long irq)
{
	__atomic_store_n(&writer->writing, 0, __ATOMIC_RELEASE);
	percpu_arch_irq_restore(irq);
}

/*
 * Every write the fast path does not take, after its handshake: recording
 * frozen; the ring's first write on this hart (limit is 0 until then); a
 * stop-mode ring that is full; a drain due after this record. Writes the
 * record as trace_ring_write does, drains if due, and sets the hart's
 * limit: the first record number that must come here again. Then ends the
 * write (put_end). Owner hart, interrupts off.
 */
static __attribute__((noinline)) uintptr_t put_slow(unsigned hart, uint32_t meta, uint64_t tw,
						   unsigned long irq, uintptr_t pass)
{
	struct trace_ring *ring = &trace_rings[hart];
	struct trace_writer *writer = &trace_writers[hart];
	/* In the order trace_put always checked them: no ring, then frozen. */
	if (__atomic_load_n(&ring->magic, __ATOMIC_ACQUIRE) != TRACE_RING_MAGIC) {
		count_unattributed();
		goto out;
	}
	if (__atomic_load_n(&trace_info.frozen, __ATOMIC_RELAXED))
		goto out;
	uint64_t n = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
	if (ring->mode == TRACE_MODE_STOP && n >= ring->capacity)
		__atomic_store_n(&ring->refused, __atomic_load_n(&ring->refused, __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELAXED);
	else
		trace_ring_store(ring, n, meta, tw);
	writer->produced_by_type[meta % TRACE_TYPE_SLOTS]++;
	/* Until trace_start is over the drain may not be set up: stay slow. */
	if (__atomic_load_n(&trace_info.started, __ATOMIC_ACQUIRE)) {
		/* A drain due at head == due is done by the write of record due - 1. */
		uint64_t limit = trace_drain_if_due(hart) - 1;
		if (ring->mode == TRACE_MODE_STOP && limit > ring->capacity)
			limit = ring->capacity;
		writer->slots = ring->slots;
		writer->mask = ring->capacity - 1;
		writer->limit = limit;
	}
out:
	put_end(writer, irq);
	return pass;
}

static __attribute__((noinline)) uintptr_t put_unattributed(unsigned long irq, uintptr_t pass)
{
	count_unattributed();
	percpu_arch_irq_restore(irq);
	return pass;
}

/*
 * Appends to hart's ring, then restores interrupts to irq; the caller is
 * hart, interrupts off. The fast path is the freeze handshake, one compare
 * of the owner's head with its limit, the ring's stores
 * (trace_ring_store) and the per-type count: head is stored only by this
 * hart, so reading it back needs no atomic read-modify-write, and every
 * write that is not an ordinary one (frozen, first write, stop mode full,
 * a drain due) is behind the limit, in put_slow. The slow paths are tail
 * calls, so the fast path saves no registers: every path returns pass
 * unchanged, which lets a caller that must return a value of its own
 * (the remote check's seam returns the slot) keep it in an argument
 * register instead of a frame.
 */
static inline __attribute__((always_inline)) uintptr_t
trace_put(unsigned long hart, uint32_t meta, uint32_t w, unsigned long irq, uintptr_t pass)
{
	if (__builtin_expect(hart >= NEURON_MAX_HARTS, 0))
		return put_unattributed(irq, pass);
	struct trace_writer *writer = &trace_writers[hart];
	uint64_t tw = trace_pack_tw(rdtime(), w);
	/*
	 * Freeze handshake (Dekker): announce the write, then look at frozen;
	 * freeze() sets frozen, then waits for writing == 0. With a seq_cst
	 * fence between the store and the load on both sides, at least one
	 * sees the other's store.
	 */
	__atomic_store_n(&writer->writing, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	struct trace_ring *ring = &trace_rings[hart];
	uint64_t n = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
	if (__builtin_expect(__atomic_load_n(&trace_info.frozen, __ATOMIC_RELAXED) != 0 ||
			     n >= writer->limit, 0))
		return put_slow(hart, meta, tw, irq, pass);
	trace_ring_publish(ring, &writer->slots[n & writer->mask], n, meta, tw);
	writer->produced_by_type[meta % TRACE_TYPE_SLOTS]++;
	put_end(writer, irq);
	return pass;
}

void trace__emit(uint32_t meta, uint32_t w)
{
	unsigned long irq = percpu_arch_irq_save();
	/* The hart running this code, fixed while interrupts are off. The
	 * recorder reads the identity word itself (PERCPU_NO_HART before
	 * attach: counted as unattributed) rather than take a PerCpu guard. */
	uint64_t me = percpu_arch_identity_word();
	unsigned long hart = (uint32_t)me == PERCPU_STAMP_MAGIC ? me >> 32 : NEURON_MAX_HARTS;
	(void)trace_put(hart, meta, w, irq, 0);
}

/* ---- PerCpu seams (weak defaults in percpu/percpu_audit.c) ---- */

void percpu_record_remote(const struct percpu_remote_event *event)
{
	enum trace_type type =
		event->kind == PERCPU_ACCESS_UNCHECKED ? TRACE_UNCHECKED : TRACE_REMOTE;
	uint32_t meta = pack_meta(type, event->owner_hart, trace_var_index(event->var));
	uint32_t w = trace_site_index(event->site);
	(void)trace_put(event->accessing_hart, meta, w, percpu_arch_irq_save(), 0);
}

/* The remote check's fast path: an allowed locked or atomic access, its
 * ids passed as they are. The check passes only the descriptor and call
 * site its accessor macro named (both in their sections, never a forged
 * pointer: the fast path ran on them), so their indices need no range
 * check. */
uintptr_t percpu_record_remote_allowed(const struct percpu_var_desc *var, unsigned owner_hart,
				       const struct spinlock *lock, const struct percpu_callsite *site,
				       uintptr_t slot)
{
	(void)lock;
	unsigned long hart = percpu_arch_identity_word() >> 32;	/* valid: the check read it */
	uint32_t meta = pack_meta(TRACE_REMOTE, owner_hart, (unsigned)(var - __start_percpu_vars));
	return trace_put(hart, meta, (uint32_t)(site - __start_percpu_callsites),
			 percpu_arch_irq_save(), slot);
}

/* The audit's violation codes are recorded as they are (percpu_contract.h). */
_Static_assert(PERCPU_OTHER < (1u << (24 - TRACE_VIOLATION_CODE_SHIFT)),
	       "trace: a violation code fits w's top 4 bits");

/* Descriptor of the variable named `name` (pointer identity: the audit
 * checks pass desc->name through). */
static const struct percpu_var_desc *var_named(const char *name)
{
	for (const struct percpu_var_desc *d = __start_percpu_vars; d && d < __stop_percpu_vars; d++)
		if (d->name == name)
			return d;
	return NULL;
}

static const struct percpu_callsite *site_at(const char *file, unsigned line)
{
	for (const struct percpu_callsite *s = __start_percpu_callsites;
	     s && s < __stop_percpu_callsites; s++)
		if (s->file == file && s->line == line)
			return s;
	return NULL;
}

void percpu_record_violation(const struct percpu_violation *v)
{
	unsigned site = trace_site_index(site_at(v->file, v->line));
	unsigned code = (unsigned)v->code <= PERCPU_OTHER ? (unsigned)v->code : PERCPU_OTHER;
	uint32_t w = (site & 0xfffff) | (uint32_t)code << TRACE_VIOLATION_CODE_SHIFT;
	uint32_t meta = pack_meta(TRACE_VIOLATION, v->owner_hart, trace_var_index(var_named(v->var_name)));
	(void)trace_put(v->accessing_hart, meta, w, percpu_arch_irq_save(), 0);
}

/* ---- scenario bracket ---- */

void trace_start(const struct bootargs *args)
{
	uint32_t capacity = args->trace_records ? args->trace_records : NEURON_TRACE_RING_RECORDS;
	enum trace_mode mode = args->trace_mode_stop ? TRACE_MODE_STOP : TRACE_MODE_OVERWRITE;

	trace_info = (struct trace_info){
		.version = TRACE_FORMAT_VERSION, .max_harts = NEURON_MAX_HARTS,
		.capacity = capacity, .mode = mode,
		.timebase_hz = boot_fdt_info()->timebase_hz, .identity = elf_identity(),
	};
	stream_requested = args->trace_stream;
	for (unsigned i = 0; i < smp_dtb_hart_count(); i++) {
		unsigned h = smp_dtb_hart(i);
		if (h < NEURON_MAX_HARTS && smp_is_online(h))
			trace_ring_init(&trace_rings[h], trace_slots[h], capacity, mode, h);
	}
	bool drain = args->trace_drain && trace_drain_start();
	__atomic_store_n(&trace_info.started, 1, __ATOMIC_RELEASE);
	kprintf("neuron: trace: recording: %u records per hart, mode=%s, identity=0x%016lx%s\n",
		capacity, mode == TRACE_MODE_STOP ? "stop" : "overwrite", trace_info.identity,
		drain ? ", drained to the host as it runs" : "");
	trace_mark(TRACE_MARK_SCENARIO_BEGIN, (unsigned)args->scenario);
	scenario_index = (unsigned)args->scenario;
}

/* Stops recording and waits for writes in flight (bounded: a write is short). */
static void freeze(void)
{
	__atomic_store_n(&trace_info.frozen, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		for (unsigned spins = 0; spins < 1000000 &&
		     __atomic_load_n(&trace_writers[h].writing, __ATOMIC_ACQUIRE); spins++)
			;
}

static void print_counts(void)
{
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++) {
		if (trace_rings[h].magic != TRACE_RING_MAGIC)
			continue;
		struct trace_counts c = trace_ring_counts(&trace_rings[h]);
		if (trace_drain_active()) {
			/* Kept: what reached the host; dropped: everything else. */
			c.kept = trace_drain_drained(h) - trace_drain_lost(h);
			c.dropped = c.produced - c.kept;
		}
		const uint64_t *t = trace_writers[h].produced_by_type;
		kprintf("neuron: trace: hart %u produced=%lu kept=%lu dropped=%lu remote=%lu "
			"violations=%lu unchecked=%lu switches=%lu wakeups=%lu steals=%lu "
			"ipis_sent=%lu ipis_recv=%lu ipis_handled=%lu idle=%lu runq=%lu "
			"tasks_new=%lu marks=%lu\n",
			h, c.produced, c.kept, c.dropped, t[TRACE_REMOTE], t[TRACE_VIOLATION],
			t[TRACE_UNCHECKED], t[TRACE_SWITCH], t[TRACE_WAKEUP], t[TRACE_STEAL_END],
			t[TRACE_IPI_SEND], t[TRACE_IPI_RECV], t[TRACE_IPI_HANDLED],
			t[TRACE_IDLE_ENTER], t[TRACE_RUNQ_LEN], t[TRACE_TASK_NEW], t[TRACE_MARK]);
	}
	kprintf("neuron: trace: total harts=%u audit_violations=%u audit_unchecked=%u "
		"unattributed=%lu\n",
		smp_online_count(), percpu_audit_violation_count(), percpu_audit_unchecked_count(),
		trace_info.unattributed);
}

void trace_finish(int status)
{
	(void)status;
	if (!__atomic_load_n(&trace_info.started, __ATOMIC_ACQUIRE)) {
		trace_scenario_done();
		return;
	}
	trace_mark(TRACE_MARK_SCENARIO_END, scenario_index);
	freeze();
	trace_drain_finish();
	print_counts();
	if (stream_requested)
		trace_stream_all();
	trace_scenario_done();
}

#else /* release: no rings, nothing recorded */

void trace_start(const struct bootargs *args)
{
	(void)args;
}

void trace_finish(int status)
{
	(void)status;
	trace_scenario_done();
}

#endif
