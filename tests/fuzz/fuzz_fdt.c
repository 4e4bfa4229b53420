/*
 * libFuzzer target: the FDT reader (kernel/boot/fdt.c) on any bytes, then the
 * boot-argument parser on the bootargs it finds, as kernel/boot/main.c does.
 *
 * The blob is copied into a heap buffer of exactly its size, so ASan
 * reports any read outside it. Properties beyond that:
 *   - fdt_total_size and fdt_read agree on the magic;
 *   - success: bootargs lie inside the blob and end in a NUL that is also
 *     inside it; at most FDT_MAX_HARTS harts;
 *   - failure: the error offset lies within the blob.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootargs.h"
#include "boot/fdt.h"
#include "fuzz_check.h"

static const char *const scenarios[] = { "selftest" };
static const struct bootargs_vocabulary vocabulary = {
	.scenarios = scenarios, .scenario_count = 1,
};

static struct fdt_info info;  /* about 2 KiB: off the fuzzer's stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *blob = malloc(size ? size : 1);
	FUZZ_CHECK(blob != NULL);
	memcpy(blob, data, size);

	uint32_t total = 0;
	enum fdt_status header = fdt_total_size(blob, size, &total);
	enum fdt_status st = fdt_read(blob, size, &info);
	FUZZ_CHECK(fdt_status_text(st) != NULL);

	if (header != FDT_OK)
		FUZZ_CHECK(st == header);
	if (st == FDT_OK) {
		FUZZ_CHECK(total >= FDT_HEADER_SIZE && total <= size);
		FUZZ_CHECK(info.hart_count <= FDT_MAX_HARTS);
		if (info.bootargs != NULL) {
			const uint8_t *start = (const uint8_t *)info.bootargs;
			FUZZ_CHECK(start >= blob && info.bootargs_len < size &&
				   start + info.bootargs_len < blob + size);
			FUZZ_CHECK(info.bootargs[info.bootargs_len] == '\0');
			struct bootargs args;
			struct bootargs_error err;
			if (bootargs_parse(info.bootargs, info.bootargs_len, &vocabulary, &args, &err) !=
			    BOOTARGS_OK)
				FUZZ_CHECK(err.status == BOOTARGS_TOO_LONG ||
					   err.offset < info.bootargs_len);
		}
	} else {
		FUZZ_CHECK(info.error_offset <= size);
	}
	free(blob);
	return 0;
}
