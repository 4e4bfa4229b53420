/* What the boot hart learned at boot, for the rest of the kernel. */
#ifndef NEURON_BOOT_H
#define NEURON_BOOT_H

#include <stddef.h>

#include "boot/bootargs.h"
#include "boot/fdt.h"

const void *boot_dtb(size_t *size);
const struct fdt_info *boot_fdt_info(void);
const struct bootargs *boot_args(void);
const struct bootargs_vocabulary *boot_vocabulary(void);

/*
 * How far the boot hart has got. Debuggers read it (`neuron check` skips
 * the invariants of a part before its init, `neuron harts` shows it);
 * nothing in the kernel branches on it. Written only by the boot hart.
 */
enum boot_stage {
	BOOT_STAGE_ENTRY = 0,	/* .bss may not even be cleared yet */
	BOOT_STAGE_AREAS,	/* per-hart areas copied, boot hart attached */
	BOOT_STAGE_SCHED,	/* runqueues, mailboxes and task pool initialised */
	BOOT_STAGE_SECONDARIES,	/* every secondary started and online (or reported) */
	BOOT_STAGE_RUNNING,	/* the scenario runs */
};
extern enum boot_stage boot_stage;

#endif
