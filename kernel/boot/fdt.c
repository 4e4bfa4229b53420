#include <stdbool.h>

#include "boot/fdt.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

/* Header field offsets (big-endian 32-bit words). */
#define HDR_MAGIC 0
#define HDR_TOTALSIZE 4
#define HDR_OFF_STRUCT 8
#define HDR_OFF_STRINGS 12
#define HDR_OFF_RSVMAP 16
#define HDR_VERSION 20
#define HDR_LAST_COMP_VERSION 24
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT 36

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool bytes_equal(const uint8_t *a, size_t a_len, const char *b)
{
	size_t i = 0;
	for (; i < a_len && b[i]; i++) {
		if (a[i] != (uint8_t)b[i])
			return false;
	}
	return i == a_len && b[i] == '\0';
}

/* Length of the NUL-terminated string at p, or -1 if no NUL before end. */
static long bounded_strlen(const uint8_t *p, const uint8_t *end)
{
	for (const uint8_t *q = p; q < end; q++) {
		if (*q == '\0')
			return q - p;
	}
	return -1;
}

/* Property value that is one NUL-terminated string equal to s. */
static bool prop_is_string(const uint8_t *val, uint32_t len, const char *s)
{
	return len > 0 && val[len - 1] == '\0' && bytes_equal(val, len - 1, s);
}

/* A 1- or 2-cell number property; false if the length is neither. */
static bool prop_number(const uint8_t *val, uint32_t len, uint64_t *out)
{
	if (len == 4)
		*out = be32(val);
	else if (len == 8)
		*out = (uint64_t)be32(val) << 32 | be32(val + 4);
	else
		return false;
	return true;
}

enum fdt_status fdt_total_size(const void *blob, size_t avail, uint32_t *total_size)
{
	const uint8_t *b = blob;
	if (avail < FDT_HEADER_SIZE)
		return FDT_ERR_TRUNCATED;
	if (be32(b + HDR_MAGIC) != FDT_MAGIC)
		return FDT_ERR_BAD_MAGIC;
	*total_size = be32(b + HDR_TOTALSIZE);
	return FDT_OK;
}

/* [off, off + size) lies inside [0, total) without overflow. */
static bool block_inside(uint32_t off, uint32_t size, uint32_t total)
{
	return off <= total && size <= total - off;
}

/* Where the walker is, for the few nodes it cares about. */
enum node_kind { NODE_OTHER, NODE_CHOSEN, NODE_CPUS, NODE_CPU };

struct cpu_node {
	bool is_cpu;      /* device_type = "cpu" */
	bool has_reg;
	bool disabled;
	uint64_t reg;
	uint64_t timebase_hz;
};

struct walker {
	const uint8_t *blob;
	const uint8_t *strings;
	uint32_t strings_size;
	uint32_t cpus_address_cells;
	uint64_t cpu_timebase_hz; /* first cpu node's, the fallback */
	enum node_kind kind[FDT_MAX_DEPTH + 1]; /* by depth; [1] is the root */
	struct cpu_node cpu;
	struct fdt_info *out;
};

static enum fdt_status on_begin_node(struct walker *w, unsigned depth, const uint8_t *name,
				     size_t name_len)
{
	enum node_kind parent = w->kind[depth - 1];
	enum node_kind kind = NODE_OTHER;

	if (depth == 2 && bytes_equal(name, name_len, "chosen"))
		kind = NODE_CHOSEN;
	else if (depth == 2 && bytes_equal(name, name_len, "cpus"))
		kind = NODE_CPUS;
	else if (depth == 3 && parent == NODE_CPUS)
		kind = NODE_CPU;
	if (kind == NODE_CPUS)
		w->cpus_address_cells = 2; /* the spec's default */
	if (kind == NODE_CPU)
		w->cpu = (struct cpu_node){ 0 };
	w->kind[depth] = kind;
	return FDT_OK;
}

static enum fdt_status on_end_node(struct walker *w, unsigned depth)
{
	if (w->kind[depth] != NODE_CPU || !w->cpu.is_cpu)
		return FDT_OK;
	if (!w->cpu.has_reg)
		return FDT_ERR_BAD_STRUCTURE;
	if (!w->cpu_timebase_hz)
		w->cpu_timebase_hz = w->cpu.timebase_hz;
	if (w->cpu.disabled)
		return FDT_OK;
	if (w->out->hart_count == FDT_MAX_HARTS)
		return FDT_ERR_TOO_MANY_HARTS;
	w->out->hart_ids[w->out->hart_count++] = w->cpu.reg;
	return FDT_OK;
}

static enum fdt_status on_prop(struct walker *w, unsigned depth, const uint8_t *name,
			       size_t name_len, const uint8_t *val, uint32_t len)
{
	switch (w->kind[depth]) {
	case NODE_CHOSEN:
		if (bytes_equal(name, name_len, "bootargs")) {
			if (len == 0 || val[len - 1] != '\0')
				return FDT_ERR_BAD_STRUCTURE;
			w->out->bootargs = (const char *)val;
			w->out->bootargs_len = len - 1;
		}
		break;
	case NODE_CPUS:
		if (bytes_equal(name, name_len, "timebase-frequency")) {
			if (!prop_number(val, len, &w->out->timebase_hz))
				return FDT_ERR_BAD_STRUCTURE;
		} else if (bytes_equal(name, name_len, "#address-cells")) {
			if (len != 4 || be32(val) < 1 || be32(val) > 2)
				return FDT_ERR_BAD_STRUCTURE;
			w->cpus_address_cells = be32(val);
		}
		break;
	case NODE_CPU:
		if (bytes_equal(name, name_len, "device_type")) {
			w->cpu.is_cpu = prop_is_string(val, len, "cpu");
		} else if (bytes_equal(name, name_len, "reg")) {
			/* The first address; a longer reg lists more, unused here. */
			if (len < 4 * w->cpus_address_cells)
				return FDT_ERR_BAD_STRUCTURE;
			prop_number(val, 4 * w->cpus_address_cells, &w->cpu.reg);
			w->cpu.has_reg = true;
		} else if (bytes_equal(name, name_len, "status")) {
			w->cpu.disabled = prop_is_string(val, len, "disabled");
		} else if (bytes_equal(name, name_len, "timebase-frequency")) {
			if (!prop_number(val, len, &w->cpu.timebase_hz))
				return FDT_ERR_BAD_STRUCTURE;
		}
		break;
	case NODE_OTHER:
		break;
	}
	return FDT_OK;
}

static enum fdt_status walk(struct walker *w, uint32_t start, uint32_t end)
{
	const uint8_t *b = w->blob;
	uint32_t pos = start;
	unsigned depth = 0;
	bool seen_root = false;
	enum fdt_status st;

	/* Every step consumes at least 4 bytes, so this terminates. */
	while (pos <= end - 4) {
		uint32_t token = be32(b + pos);
		w->out->error_offset = pos;
		pos += 4;

		switch (token) {
		case FDT_BEGIN_NODE: {
			long name_len = bounded_strlen(b + pos, b + end);
			if (name_len < 0 || depth == FDT_MAX_DEPTH || (depth == 0 && seen_root))
				return FDT_ERR_BAD_STRUCTURE;
			depth++;
			seen_root = true;
			st = on_begin_node(w, depth, b + pos, (size_t)name_len);
			if (st != FDT_OK)
				return st;
			pos += ((uint32_t)name_len + 1 + 3) & ~3u;
			break;
		}
		case FDT_END_NODE:
			if (depth == 0)
				return FDT_ERR_BAD_STRUCTURE;
			st = on_end_node(w, depth);
			if (st != FDT_OK)
				return st;
			depth--;
			break;
		case FDT_PROP: {
			if (depth == 0 || end - pos < 8)
				return FDT_ERR_BAD_STRUCTURE;
			uint32_t len = be32(b + pos);
			uint32_t nameoff = be32(b + pos + 4);
			pos += 8;
			if (len > end - pos || nameoff >= w->strings_size)
				return FDT_ERR_BAD_STRUCTURE;
			const uint8_t *name = w->strings + nameoff;
			long name_len = bounded_strlen(name, w->strings + w->strings_size);
			if (name_len < 0)
				return FDT_ERR_BAD_STRUCTURE;
			st = on_prop(w, depth, name, (size_t)name_len, b + pos, len);
			if (st != FDT_OK)
				return st;
			pos += (len + 3) & ~3u;
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			if (depth != 0 || !seen_root)
				return FDT_ERR_BAD_STRUCTURE;
			return FDT_OK;
		default:
			return FDT_ERR_BAD_STRUCTURE;
		}
		if (pos > end) /* padding ran past the block */
			return FDT_ERR_BAD_STRUCTURE;
	}
	w->out->error_offset = pos;
	return FDT_ERR_BAD_STRUCTURE; /* no FDT_END */
}

enum fdt_status fdt_read(const void *blob, size_t blob_size, struct fdt_info *out)
{
	const uint8_t *b = blob;
	uint32_t total;
	enum fdt_status st;

	*out = (struct fdt_info){ 0 };
	st = fdt_total_size(blob, blob_size, &total);
	if (st != FDT_OK)
		return st;
	out->error_offset = HDR_TOTALSIZE;
	if (total < FDT_HEADER_SIZE || total > blob_size)
		return FDT_ERR_TRUNCATED;
	out->error_offset = HDR_VERSION;
	if (be32(b + HDR_VERSION) < 17 || be32(b + HDR_LAST_COMP_VERSION) > 17)
		return FDT_ERR_BAD_VERSION;

	uint32_t off_struct = be32(b + HDR_OFF_STRUCT), size_struct = be32(b + HDR_SIZE_STRUCT);
	uint32_t off_strings = be32(b + HDR_OFF_STRINGS), size_strings = be32(b + HDR_SIZE_STRINGS);
	uint32_t off_rsvmap = be32(b + HDR_OFF_RSVMAP);
	out->error_offset = HDR_OFF_STRUCT;
	if (off_struct < FDT_HEADER_SIZE || off_struct % 4 || size_struct < 4 ||
	    !block_inside(off_struct, size_struct, total))
		return FDT_ERR_BAD_LAYOUT;
	out->error_offset = HDR_OFF_STRINGS;
	if (off_strings < FDT_HEADER_SIZE || !block_inside(off_strings, size_strings, total))
		return FDT_ERR_BAD_LAYOUT;
	out->error_offset = HDR_OFF_RSVMAP;
	if (off_rsvmap < FDT_HEADER_SIZE || off_rsvmap % 8 || off_rsvmap > total)
		return FDT_ERR_BAD_LAYOUT;

	struct walker w = {
		.blob = b,
		.strings = b + off_strings,
		.strings_size = size_strings,
		.cpus_address_cells = 2,
		.out = out,
	};
	st = walk(&w, off_struct, off_struct + size_struct);
	if (st != FDT_OK)
		return st;
	if (!out->timebase_hz)
		out->timebase_hz = w.cpu_timebase_hz;
	out->error_offset = 0;
	return FDT_OK;
}

const char *fdt_status_text(enum fdt_status status)
{
	switch (status) {
	case FDT_OK: return "ok";
	case FDT_ERR_TRUNCATED: return "blob truncated (shorter than its header or totalsize)";
	case FDT_ERR_BAD_MAGIC: return "bad magic (not a device tree)";
	case FDT_ERR_BAD_VERSION: return "unsupported version (need 17)";
	case FDT_ERR_BAD_LAYOUT: return "block offset or size outside the blob";
	case FDT_ERR_BAD_STRUCTURE: return "malformed structure block";
	case FDT_ERR_TOO_MANY_HARTS: return "more cpu nodes than the reader can hold";
	}
	return "unknown error";
}
