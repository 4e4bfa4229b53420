/*
 * The kernel side of the audit trace: one ring per hart, the PerCpu
 * recording seams, the scenario bracket and the counter lines.
 * Format and protocol: docs/trace-format.md.
 */
#include <neuron/percpu.h>

#include "arch/riscv/csr.h"
#include "boot/bootargs.h"
#include "boot/boot.h"
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
struct trace_hart_counts trace_hart_counts[NEURON_MAX_HARTS];
/* Not cleared at boot (section .trace_slots, kernel.ld): trace_ring_init
 * zeroes a ring's slots before its hart records, and no slot of a ring
 * that was never initialised is read. */
static struct trace_slot trace_slots[NEURON_MAX_HARTS][NEURON_TRACE_RING_RECORDS]
	__attribute__((section(".trace_slots")));
static uint32_t stream_requested;
static unsigned scenario_index;	/* of the scenario being recorded */

unsigned trace_var_index(const struct percpu_var_desc *var)
{
	if (!var || var < __start_percpu_vars || var >= __stop_percpu_vars)
		return TRACE_VAR_NONE;
	return (unsigned)(var - __start_percpu_vars);
}

unsigned trace_site_index(const struct percpu_callsite *site)
{
	if (!site || site < __start_percpu_callsites || site >= __stop_percpu_callsites)
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

void trace_put(unsigned hart, enum trace_type type, unsigned b, unsigned h, uint32_t w)
{
	if (hart >= NEURON_MAX_HARTS ||
	    __atomic_load_n(&trace_rings[hart].magic, __ATOMIC_ACQUIRE) != TRACE_RING_MAGIC) {
		__atomic_fetch_add(&trace_info.unattributed, 1, __ATOMIC_RELAXED);
		return;
	}
	struct trace_hart_counts *counts = &trace_hart_counts[hart];
	/*
	 * Freeze handshake (Dekker): announce the write, then look at frozen;
	 * trace_finish sets frozen, then waits for writing == 0. With both
	 * sides seq_cst, at least one sees the other's store.
	 */
	__atomic_store_n(&counts->writing, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&trace_info.frozen, __ATOMIC_SEQ_CST)) {
		trace_ring_write(&trace_rings[hart], type, (uint8_t)b, (uint16_t)h, w & TRACE_W_MAX,
				 rdtime());
		counts->by_type[type % TRACE_TYPE_SLOTS]++;
		trace_drain_if_due(hart);
	}
	__atomic_store_n(&counts->writing, 0, __ATOMIC_RELEASE);
}

void trace_emit(enum trace_type type, unsigned b, unsigned h, uint32_t w)
{
	unsigned long irq = intr_save_off();
	{
		PERCPU_GUARD_IRQS_OFF(g);
		trace_put(percpu_current_hart(&g), type, b, h, w);
	}
	intr_restore(irq);
}

/* ---- PerCpu seams (weak defaults in percpu/percpu_audit.c) ---- */

void percpu_record_remote(const struct percpu_remote_event *event)
{
	enum trace_type type =
		event->kind == PERCPU_ACCESS_UNCHECKED ? TRACE_UNCHECKED : TRACE_REMOTE;
	unsigned long irq = intr_save_off();
	trace_put(event->accessing_hart, type, event->owner_hart & 0xff,
		  trace_var_index(event->var), trace_site_index(event->site));
	intr_restore(irq);
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
	unsigned long irq = intr_save_off();
	trace_put(v->accessing_hart, TRACE_VIOLATION, v->owner_hart & 0xff,
		  trace_var_index(var_named(v->var_name)), w);
	intr_restore(irq);
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
	__atomic_store_n(&trace_info.frozen, 1, __ATOMIC_SEQ_CST);
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		for (unsigned spins = 0; spins < 1000000 &&
		     __atomic_load_n(&trace_hart_counts[h].writing, __ATOMIC_SEQ_CST); spins++)
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
		const uint64_t *t = trace_hart_counts[h].by_type;
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
