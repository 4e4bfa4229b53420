#include "arch/riscv/csr.h"
#include "boot/percpu_areas.h"
#include "lib/string.h"

/* From kernel.ld. */
extern char __tls_template_start[], __tdata_end[], __tls_template_end[];
extern char __percpu_areas_start[], __percpu_areas_end[];

/* Area base per hart; global so debuggers can find it by name. */
char *hart_area[NEURON_MAX_HARTS];
static size_t area_size;

/* Initialised, so it lives in .tdata: the one value every copy must carry.
 * Not per-hart state (no hart ever writes it), so not a PerCpu variable.
 * percpu-lint: allow plain-thread: the template marker proves every area copy is complete */
static __thread uint64_t area_marker __attribute__((used)) = PERCPU_AREA_MARKER;

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

int percpu_areas_init(void)
{
	size_t init_bytes = (size_t)(__tdata_end - __tls_template_start);
	size_t template_bytes = percpu_template_size();

	area_size = align_up(template_bytes, 64);
	if ((size_t)(__percpu_areas_end - __percpu_areas_start) < area_size * NEURON_MAX_HARTS)
		return -1;
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++) {
		char *base = __percpu_areas_start + (size_t)h * area_size;
		memcpy(base, __tls_template_start, init_bytes);
		memset(base + init_bytes, 0, area_size - init_bytes);
		hart_area[h] = base;
	}
	return 0;
}

char *percpu_area_base(unsigned hart)
{
	return hart < NEURON_MAX_HARTS ? hart_area[hart] : NULL;
}

size_t percpu_area_size(void)
{
	return area_size;
}

size_t percpu_template_size(void)
{
	return (size_t)(__tls_template_end - __tls_template_start);
}

uint64_t percpu_area_marker(unsigned hart)
{
	/* Every area has the same layout: the offset of our own copy is the
	 * offset of everyone's. */
	uintptr_t offset = (uintptr_t)&area_marker - read_tp();
	return *(const volatile uint64_t *)(percpu_area_base(hart) + offset);
}
