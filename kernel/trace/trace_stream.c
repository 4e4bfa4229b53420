/*
 * trace_stream=1: the rings over the console, for machines without gdb.
 * Every line is "neuron-trace: BODY *CRC" where CRC is the CRC-32 (IEEE,
 * as zlib.crc32) of BODY in 8 hex digits. Grammar: docs/trace-format.md.
 * Precondition (trace_stream_all): recording frozen, boot hart.
 */
#include "lib/format.h"
#include "lib/kprintf.h"
#include "trace/trace_state.h"

#if NEURON_AUDIT

static uint32_t crc32(const char *s)
{
	uint32_t crc = 0xffffffffu;
	for (; *s; s++) {
		crc ^= (uint8_t)*s;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static void frame(const char *body)
{
	kprintf("neuron-trace: %s *%08x\n", body, crc32(body));
}

static void hex_record(char *out, const struct trace_record *r)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *bytes = (const uint8_t *)r;
	for (unsigned i = 0; i < sizeof *r; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * sizeof *r] = '\0';
}

void trace_stream_all(void)
{
	char body[160], hex[2 * sizeof(struct trace_record) + 1];
	unsigned harts = 0;
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		harts += trace_rings[h].magic == TRACE_RING_MAGIC;

	ksnprintf(body, sizeof body,
		  "begin version=%u harts=%u capacity=%u mode=%s timebase=%lu identity=0x%016lx "
		  "max_harts=%u",
		  trace_info.version, harts, trace_info.capacity,
		  trace_info.mode == TRACE_MODE_STOP ? "stop" : "overwrite", trace_info.timebase_hz,
		  trace_info.identity, trace_info.max_harts);
	frame(body);
	uint64_t total = 0;
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++) {
		const struct trace_ring *ring = &trace_rings[h];
		if (ring->magic != TRACE_RING_MAGIC)
			continue;
		struct trace_counts c = trace_ring_counts(ring);
		ksnprintf(body, sizeof body, "hart %u produced=%lu dropped=%lu kept=%lu", h,
			  c.produced, c.dropped, c.kept);
		frame(body);
		struct trace_reader reader;
		struct trace_record r;
		trace_reader_init(&reader, ring);
		while (trace_reader_next(&reader, ring, &r, NULL)) {
			hex_record(hex, &r);
			ksnprintf(body, sizeof body, "r %u %s", h, hex);
			frame(body);
			total++;
		}
	}
	ksnprintf(body, sizeof body, "end records=%lu", total);
	frame(body);
}

#endif
