/*
 * The kernel's side of the PerCpu seam (percpu/include/neuron/percpu_platform.h):
 * registers each hart's area with the wrapper and attaches harts. The
 * wrapper's report/panic hooks are implemented in percpu_glue.c.
 */
#ifndef NEURON_PERCPU_GLUE_H
#define NEURON_PERCPU_GLUE_H

/*
 * Tells the wrapper every DTB hart's area (boot hart first) and attaches
 * the boot hart. Precondition: boot hart, tp set, smp_accept_dtb_harts()
 * succeeded, no secondary started.
 */
void percpu_glue_register_harts(unsigned boot_hart);

#endif
