#include "boot/boot.h"
#include "boot/fdt.h"
#include "lib/string.h"
#include "proof/selftest/selftest.h"
#include "smp/smp.h"
#include "smp/timer.h"

/* Header fields the corruptions target (see the DTB spec). */
#define HDR_MAGIC 0
#define HDR_TOTALSIZE 4
#define HDR_OFF_STRUCT 8
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT 36

static uint8_t copy[128 * 1024];

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool same_info(const struct fdt_info *a, const struct fdt_info *b, long bootargs_shift)
{
	if (a->hart_count != b->hart_count || a->timebase_hz != b->timebase_hz ||
	    a->bootargs_len != b->bootargs_len || (a->bootargs == NULL) != (b->bootargs == NULL))
		return false;
	if (a->bootargs && a->bootargs + bootargs_shift != b->bootargs)
		return false;
	for (unsigned i = 0; i < a->hart_count; i++) {
		if (a->hart_ids[i] != b->hart_ids[i])
			return false;
	}
	return true;
}

struct corruption {
	const char *what;
	unsigned field;  /* header byte offset to overwrite, or ~0u for none */
	uint32_t value;  /* new value; ~0u with field HDR_OFF_STRUCT means totalsize */
	int size_delta;  /* blob size passed to fdt_read relative to totalsize */
	enum fdt_status expected;
};

static void check_rejected(struct selftest *t, const uint8_t *dtb, uint32_t total,
			   const struct corruption *c)
{
	static struct fdt_info info;

	memcpy(copy, dtb, total);
	if (c->field != ~0u)
		put_be32(copy + c->field, c->value == ~0u ? total : c->value);
	enum fdt_status st = fdt_read(copy, (size_t)((long)total + c->size_delta), &info);
	SELFTEST_CHECK(t, st == c->expected, "%s: expected '%s', saw '%s'", c->what,
		       fdt_status_text(c->expected), fdt_status_text(st));
}

void selftest_fdt_reader(struct selftest *t)
{
	static struct fdt_info again, from_copy;
	size_t size;
	const uint8_t *dtb = boot_dtb(&size);
	const struct fdt_info *boot = boot_fdt_info();

	/* The real DTB, read again, agrees with boot and with what the kernel uses. */
	enum fdt_status st = fdt_read(dtb, size, &again);
	if (!SELFTEST_CHECK(t, st == FDT_OK, "re-reading the boot DTB: %s", fdt_status_text(st)))
		return;
	SELFTEST_CHECK(t, same_info(boot, &again, 0), "re-reading the boot DTB gave other values");
	SELFTEST_CHECK(t, again.hart_count == smp_dtb_hart_count() && again.hart_count >= 1,
		       "harts: DTB says %u, kernel used %u", again.hart_count,
		       smp_dtb_hart_count());
	SELFTEST_CHECK(t, again.timebase_hz == timer_timebase_hz(),
		       "timebase: DTB says %lu Hz, timer uses %lu Hz", again.timebase_hz,
		       timer_timebase_hz());
	SELFTEST_CHECK(t, !again.bootargs || ((const uint8_t *)again.bootargs > dtb &&
					      (const uint8_t *)again.bootargs < dtb + size),
		       "bootargs at %p lie outside the blob [%p, +%zu)", again.bootargs, dtb, size);

	if (!SELFTEST_CHECK(t, size <= sizeof(copy), "DTB of %zu bytes exceeds the %zu-byte copy",
			    size, sizeof(copy)))
		return;
	uint32_t total = (uint32_t)size;

	/* An intact copy reads the same: the rejections below are the corruptions'. */
	memcpy(copy, dtb, total);
	st = fdt_read(copy, total, &from_copy);
	SELFTEST_CHECK(t, st == FDT_OK && same_info(&again, &from_copy,
						    (const char *)copy - (const char *)dtb),
		       "an intact copy read differently (%s)", fdt_status_text(st));

	uint32_t off_struct = get_be32(dtb + HDR_OFF_STRUCT);
	const struct corruption corruptions[] = {
		{ "bad magic", HDR_MAGIC, 0xfeedd00d, 0, FDT_ERR_BAD_MAGIC },
		{ "blob one byte short of totalsize", ~0u, 0, -1, FDT_ERR_TRUNCATED },
		{ "header only", ~0u, 0, -(int)total + 40, FDT_ERR_TRUNCATED },
		{ "shorter than a header", ~0u, 0, -(int)total + 39, FDT_ERR_TRUNCATED },
		{ "totalsize below the header", HDR_TOTALSIZE, 16, 0, FDT_ERR_TRUNCATED },
		{ "struct block at totalsize", HDR_OFF_STRUCT, ~0u, 0, FDT_ERR_BAD_LAYOUT },
		{ "strings block 4 GiB long", HDR_SIZE_STRINGS, 0xffffffff, 0, FDT_ERR_BAD_LAYOUT },
		{ "struct block cut to 8 bytes", HDR_SIZE_STRUCT, 8, 0, FDT_ERR_BAD_STRUCTURE },
		{ "first token not BEGIN_NODE", off_struct, 7, 0, FDT_ERR_BAD_STRUCTURE },
		{ "first token END_NODE", off_struct, 2, 0, FDT_ERR_BAD_STRUCTURE },
	};
	for (unsigned i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++)
		check_rejected(t, dtb, total, &corruptions[i]);
}
