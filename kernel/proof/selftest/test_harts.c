/* Bring-up and per-hart area tests: harts_online, percpu_area_isolation. */
#include <neuron/percpu_platform.h>

#include "boot/percpu_areas.h"
#include "boot/stacks.h"
#include "proof/cross_call.h"
#include "proof/selftest/selftest.h"
#include "smp/hart.h"
#include "smp/smp.h"

#define CROSS_CALL_TIMEOUT_MS 1000

static bool in_dtb(unsigned hart)
{
	for (unsigned i = 0; i < smp_dtb_hart_count(); i++) {
		if (smp_dtb_hart(i) == hart)
			return true;
	}
	return false;
}

void selftest_harts_online(struct selftest *t)
{
	unsigned dtb_count = smp_dtb_hart_count();
	uintptr_t stamp_offset = hart_isolation_stamp_offset();

	SELFTEST_CHECK(t, smp_online_count() == dtb_count,
		       "online harts: expected %u (the DTB's), saw %u", dtb_count,
		       smp_online_count());
	SELFTEST_CHECK(t, stamp_offset + sizeof(uint64_t) <= percpu_template_size(),
		       "isolation stamp offset %lu lies outside the %zu-byte TLS template",
		       stamp_offset, percpu_template_size());

	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++) {
		struct hart_record r = smp_hart_record(h);
		uintptr_t base = (uintptr_t)percpu_area_base(h);

		if (!in_dtb(h)) {
			SELFTEST_CHECK(t, r.online_count == 0,
				       "hart %u is not in the DTB but came online %u times", h,
				       r.online_count);
			continue;
		}
		if (!SELFTEST_CHECK(t, r.online_count == 1,
				    "hart %u: came online %u times, expected exactly once", h,
				    r.online_count))
			continue;
		SELFTEST_CHECK(t, percpu_registered_area_base(h) == base,
			       "hart %u: PerCpu knows area 0x%lx, the kernel made 0x%lx", h,
			       percpu_registered_area_base(h), base);
		SELFTEST_CHECK(t, r.tp == base, "hart %u: tp expected 0x%lx (its area), saw 0x%lx",
			       h, base, r.tp);
		SELFTEST_CHECK(t, r.stamp_address == base + stamp_offset,
			       "hart %u: &isolation stamp expected 0x%lx (area + tprel %lu), saw 0x%lx",
			       h, base + stamp_offset, stamp_offset, r.stamp_address);
		SELFTEST_CHECK(t, r.sp > hart_stack_bottom(h) && r.sp <= hart_stack_top(h),
			       "hart %u: sp expected in its stack (0x%lx, 0x%lx], saw 0x%lx", h,
			       hart_stack_bottom(h), hart_stack_top(h), r.sp);
		SELFTEST_CHECK(t, percpu_area_marker(h) == PERCPU_AREA_MARKER,
			       "hart %u: .tdata value expected 0x%llx, saw 0x%lx (area not copied?)",
			       h, PERCPU_AREA_MARKER, percpu_area_marker(h));
	}
}

/* splitmix64: distinct, seed-dependent values per hart. */
static uint64_t stamp_for(uint64_t seed, unsigned hart)
{
	uint64_t z = seed + (hart + 1) * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void write_stamp(void *arg)
{
	hart_set_isolation_stamp(*(const uint64_t *)arg);
}

void selftest_percpu_area_isolation(struct selftest *t)
{
	static uint64_t stamps[NEURON_MAX_HARTS];
	unsigned n = smp_dtb_hart_count();
	unsigned me = hart_id();
	uintptr_t offset = hart_isolation_stamp_offset();
	size_t template_size = percpu_template_size();

	/* Each hart writes its own value through its own tp. */
	for (unsigned i = 0; i < n; i++) {
		unsigned h = smp_dtb_hart(i);
		stamps[h] = stamp_for(t->args->seed, h);
		if (h == me)
			write_stamp(&stamps[h]);
		else if (!smp_is_online(h) ||
			 !proof_call_on(h, write_stamp, &stamps[h], CROSS_CALL_TIMEOUT_MS))
			SELFTEST_FAIL(t, "hart %u did not run the write within %u ms", h,
				      CROSS_CALL_TIMEOUT_MS);
	}

	for (unsigned i = 0; i < n; i++) {
		unsigned h = smp_dtb_hart(i);
		uintptr_t base = (uintptr_t)percpu_area_base(h);

		SELFTEST_CHECK(t, hart_remote_isolation_stamp(h) == stamps[h],
			       "hart %u: its area holds 0x%lx, expected its own value 0x%lx", h,
			       hart_remote_isolation_stamp(h), stamps[h]);
		SELFTEST_CHECK(t, base % 64 == 0, "hart %u: area base 0x%lx is not 64-byte aligned",
			       h, base);
		for (unsigned j = 0; j < i; j++) {
			unsigned g = smp_dtb_hart(j);
			uintptr_t other = (uintptr_t)percpu_area_base(g);
			uintptr_t gap = base > other ? base - other : other - base;
			SELFTEST_CHECK(t, base + offset != other + offset,
				       "harts %u and %u share the address 0x%lx", h, g, base + offset);
			SELFTEST_CHECK(t, gap % 64 == 0 && gap >= template_size,
				       "areas of harts %u and %u are 0x%lx apart: expected a multiple "
				       "of 64 and at least the %zu-byte template",
				       h, g, gap, template_size);
		}
	}
}
