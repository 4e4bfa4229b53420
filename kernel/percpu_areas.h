/*
 * The per-hart areas: one copy of the TLS template (.tdata + .tbss) per
 * possible hart, laid out by kernel.ld. This is the platform half of the
 * per-CPU seam (docs/architecture.md): tp = percpu_area_base(hart).
 */
#ifndef NEURON_PERCPU_AREAS_H
#define NEURON_PERCPU_AREAS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Copies .tdata and zeroes the rest in every area.
 * Precondition: boot hart, before any hart uses per-CPU data.
 * Returns 0, or -1 if kernel.ld reserved too little (a build bug).
 */
int percpu_areas_init(void);

/* Base of hart's area (what its tp holds); NULL if hart >= NEURON_MAX_HARTS. */
char *percpu_area_base(unsigned hart);

/* Bytes between consecutive areas: the template size rounded up to 64. */
size_t percpu_area_size(void);

/* Size of the TLS template itself (.tdata + .tbss, with alignment gaps). */
size_t percpu_template_size(void);

/*
 * The link-time local-exec offset of a __thread variable, i.e. its offset
 * within every area. Read from the relocation the linker resolved, not
 * from tp, so it can check tp. (norelax: relaxation would rewrite the
 * lui/addi pair into a tp-relative access.)
 */
#define PERCPU_TPREL_OFFSET(var)                                         \
	({                                                               \
		uintptr_t tprel_;                                        \
		asm(".option push\n\t.option norelax\n\t"                \
		    "lui %0, %%tprel_hi(" #var ")\n\t"                   \
		    "addi %0, %0, %%tprel_lo(" #var ")\n\t"              \
		    ".option pop"                                        \
		    : "=r"(tprel_));                                     \
		tprel_;                                                  \
	})

#endif
