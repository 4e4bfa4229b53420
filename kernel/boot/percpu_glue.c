#include <neuron/percpu_platform.h>

#include "boot/percpu_areas.h"
#include "boot/percpu_glue.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "smp/smp.h"

void percpu_glue_attach_boot_hart(unsigned boot_hart)
{
	percpu_platform_set_area(boot_hart, (uintptr_t)percpu_area_base(boot_hart));
	percpu_hart_attach(boot_hart);
}

void percpu_glue_register_harts(unsigned boot_hart)
{
	for (unsigned i = 0; i < smp_dtb_hart_count(); i++) {
		unsigned h = smp_dtb_hart(i);
		if (h != boot_hart)
			percpu_platform_set_area(h, (uintptr_t)percpu_area_base(h));
	}
}

/*
 * Written by whichever hart reports; only the rule-breaking self-test
 * reads it, after the report it provoked on a known hart has returned
 * (the cross-call's completion, a release the caller acquires, orders it). Plain memory: this path must not
 * touch per-CPU data, its report may be about a poisoned base register.
 */
static char last_report[256];

const char *percpu_glue_last_report(void)
{
	return last_report;
}

void percpu_glue_clear_last_report(void)
{
	last_report[0] = '\0';
}

void percpu_platform_report(const struct percpu_violation *violation, const char *line)
{
	(void)violation; /* line already renders all of it */
	size_t n = 0;
	for (; line[n] && n + 1 < sizeof(last_report); n++)
		last_report[n] = line[n];
	last_report[n] = '\0';
	kprintf("%s\n", line);
}

noreturn void percpu_platform_panic(const char *line)
{
	panic("percpu: %s", line);
}
