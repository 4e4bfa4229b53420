/* What the boot hart learned at boot, for the rest of the kernel. */
#ifndef NEURON_BOOT_H
#define NEURON_BOOT_H

#include <stddef.h>

#include "bootargs.h"
#include "fdt.h"

const void *boot_dtb(size_t *size);
const struct fdt_info *boot_fdt_info(void);
const struct bootargs *boot_args(void);
const struct bootargs_vocabulary *boot_vocabulary(void);

#endif
