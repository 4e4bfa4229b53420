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

/* Initial value of the area marker, a .tdata word: proves the copy happened. */
#define PERCPU_AREA_MARKER 0x6e6575726f6e4141ULL /* "neuronAA" */

/*
 * The area marker as it is in hart's area: PERCPU_AREA_MARKER once
 * percpu_areas_init() copied .tdata there. The marker is layout, not
 * per-hart state (nothing writes it after the copy), so it is read raw.
 * Precondition: tp set on the calling hart; hart < NEURON_MAX_HARTS.
 */
uint64_t percpu_area_marker(unsigned hart);

#endif
