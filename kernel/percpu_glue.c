#include <neuron/percpu_platform.h>

#include "lib/kprintf.h"
#include "panic.h"
#include "percpu_areas.h"
#include "percpu_glue.h"
#include "smp.h"

void percpu_glue_register_harts(unsigned boot_hart)
{
	percpu_platform_set_area(boot_hart, (uintptr_t)percpu_area_base(boot_hart));
	for (unsigned i = 0; i < smp_dtb_hart_count(); i++) {
		unsigned h = smp_dtb_hart(i);
		if (h != boot_hart)
			percpu_platform_set_area(h, (uintptr_t)percpu_area_base(h));
	}
	percpu_hart_attach(boot_hart);
}

void percpu_platform_report(const struct percpu_violation *violation, const char *line)
{
	(void)violation; /* line already renders all of it */
	kprintf("%s\n", line);
}

noreturn void percpu_platform_panic(const char *line)
{
	panic("percpu: %s", line);
}
