/*
 * trace_drain=1: every hart's records leave the guest while it runs, in
 * chunks written through semihosting, so a run of any length reaches the
 * host whole (docs/trace-format.md, "Drain"). Audit builds only.
 */
#ifndef NEURON_KERNEL_TRACE_DRAIN_H
#define NEURON_KERNEL_TRACE_DRAIN_H

#include <stdbool.h>
#include <stdint.h>

/* Chunk kinds and their header, as tools/neuronlib/tracefmt/drain.py reads them. */
#define TRACE_DRAIN_MAGIC 0x434e5244u	/* "DRNC" */
enum trace_drain_kind {
	TRACE_DRAIN_BEGIN = 1,		/* a = timebase_hz, b = identity, c = version | max_harts << 16 | mode << 32, d = capacity */
	TRACE_DRAIN_RECORDS = 2,	/* count records of `hart`, a = seq of the first */
	TRACE_DRAIN_HART_END = 3,	/* a = produced, b = drained, c = lost (host refused) */
	TRACE_DRAIN_END = 4,		/* a = records drained in all */
};

struct trace_drain_chunk {
	uint32_t magic;
	uint16_t kind;
	uint16_t hart;		/* 0xffff: not a hart's */
	uint32_t count;		/* records that follow */
	uint32_t reserved;
	uint64_t a, b, c, d;
};
_Static_assert(sizeof(struct trace_drain_chunk) == 48, "trace: drain chunk header is 48 bytes");

/*
 * At trace_start, boot hart: opens the host channel and writes BEGIN.
 * False (after one line saying why) when QEMU has no semihosting: the
 * rings then record as in flight-recorder mode.
 */
bool trace_drain_start(void);
/*
 * From trace_put's slow path, owner hart, interrupts off: drains once
 * enough is pending. Returns the head at which the next drain is due
 * (UINT64_MAX without a drain); trace_put takes its slow path for the
 * record that brings head there, so no other write checks.
 */
uint64_t trace_drain_if_due(unsigned hart);
/* At trace_finish, boot hart, recording frozen: the rest of every ring,
 * one HART_END per hart, then END. */
void trace_drain_finish(void);
bool trace_drain_active(void);
/* Records drained from hart and records the host refused (lost). */
uint64_t trace_drain_drained(unsigned hart);
uint64_t trace_drain_lost(unsigned hart);

#endif
