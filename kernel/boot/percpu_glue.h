/*
 * The kernel's side of the PerCpu seam (percpu/include/neuron/percpu_platform.h):
 * registers each hart's area with the wrapper and attaches harts. The
 * wrapper's report/panic hooks are implemented in percpu_glue.c.
 */
#ifndef NEURON_PERCPU_GLUE_H
#define NEURON_PERCPU_GLUE_H

/*
 * Tells the wrapper the boot hart's area and attaches the boot hart, so
 * every later line of boot code may use per-CPU data (hart.c does at once).
 * Precondition: boot hart, tp = its area base, percpu_areas_init() done.
 */
void percpu_glue_attach_boot_hart(unsigned boot_hart);

/*
 * Tells the wrapper every other DTB hart's area. Precondition: boot hart,
 * percpu_glue_attach_boot_hart() done, smp_accept_dtb_harts() succeeded,
 * no secondary started.
 */
void percpu_glue_register_harts(unsigned boot_hart);

/*
 * The last violation line reported, for the self-test that breaks the
 * rules on purpose; "" if none. Cleared by percpu_glue_clear_last_report().
 */
const char *percpu_glue_last_report(void);
void percpu_glue_clear_last_report(void);

#endif
