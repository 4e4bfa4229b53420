/*
 * A small, bounded reader for flattened device trees (DTB, spec v0.4).
 * Pure: no kernel dependencies, so a host fuzz target can build it.
 * Never reads outside [blob, blob + blob_size).
 */
#ifndef NEURON_FDT_H
#define NEURON_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_HEADER_SIZE 40
#define FDT_MAX_HARTS 256 /* /cpus entries the reader will collect */
#define FDT_MAX_DEPTH 32

enum fdt_status {
	FDT_OK = 0,
	FDT_ERR_TRUNCATED,     /* blob smaller than the header or its totalsize */
	FDT_ERR_BAD_MAGIC,
	FDT_ERR_BAD_VERSION,   /* not compatible with version 17 */
	FDT_ERR_BAD_LAYOUT,    /* a block offset/size outside totalsize */
	FDT_ERR_BAD_STRUCTURE, /* bad token, name, nesting or property */
	FDT_ERR_TOO_MANY_HARTS,
};

struct fdt_info {
	const char *bootargs;   /* /chosen bootargs inside the blob, or NULL */
	size_t bootargs_len;    /* excluding the NUL */
	uint64_t timebase_hz;   /* /cpus timebase-frequency (or a cpu's); 0 if absent */
	unsigned hart_count;    /* /cpus/cpu@N nodes whose status is not "disabled" */
	uint64_t hart_ids[FDT_MAX_HARTS]; /* their reg values, in DTB order */
	uint32_t error_offset;  /* on error: byte offset in the blob where it was found */
};

/*
 * Reads the header's totalsize, checking magic. avail: bytes readable at
 * blob (at least FDT_HEADER_SIZE or the result is FDT_ERR_TRUNCATED).
 */
enum fdt_status fdt_total_size(const void *blob, size_t avail, uint32_t *total_size);

/* Validates the blob and extracts fdt_info. On error, out->error_offset says where. */
enum fdt_status fdt_read(const void *blob, size_t blob_size, struct fdt_info *out);

const char *fdt_status_text(enum fdt_status status);

#endif
