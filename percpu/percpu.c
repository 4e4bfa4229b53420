/*
 * Per-hart areas, hart attach and the init phase: the part of PerCpu that
 * exists in release builds too. Freestanding: no libc.
 */
#include <neuron/percpu.h>

/* Base of each hart's area; 0 until the platform sets it. Written in the
 * init phase only, so readers after percpu_smp_begin see final values. */
uintptr_t percpu__area_bases[NEURON_MAX_HARTS];

/* The wrapper's own per-hart block. Its 64-byte alignment makes the TLS
 * segment 64-byte aligned, which the platform extends to each area. */
__thread struct percpu_hart_self percpu__self __attribute__((tls_model("local-exec")));

void percpu__audit_set_area(unsigned hart, uintptr_t base);
void percpu__audit_attach(unsigned hart);
void percpu__audit_smp_begin(void);

void percpu_platform_set_area(unsigned hart, uintptr_t base)
{
#if NEURON_AUDIT
	percpu__audit_set_area(hart, base);
#endif
	if (hart < NEURON_MAX_HARTS)
		__atomic_store_n(&percpu__area_bases[hart], base, __ATOMIC_RELEASE);
}

uintptr_t percpu_registered_area_base(unsigned hart)
{
	if (hart >= NEURON_MAX_HARTS)
		return 0;
	return __atomic_load_n(&percpu__area_bases[hart], __ATOMIC_ACQUIRE);
}

void percpu_hart_attach(unsigned hart)
{
	percpu__self.hart = hart;
#if NEURON_AUDIT
	percpu__audit_attach(hart);
#endif
}

void percpu_smp_begin(void)
{
#if NEURON_AUDIT
	percpu__audit_smp_begin();
#endif
}
