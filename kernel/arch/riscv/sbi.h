/* SBI calls the kernel makes (SBI spec v1.0; OpenSBI provides them). */
#ifndef NEURON_ARCH_RISCV_SBI_H
#define NEURON_ARCH_RISCV_SBI_H

#include <stdint.h>

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_SRST 0x53525354

#define SBI_SUCCESS 0
#define SBI_ERR_FAILED -1
#define SBI_ERR_NOT_SUPPORTED -2
#define SBI_ERR_INVALID_PARAM -3
#define SBI_ERR_DENIED -4
#define SBI_ERR_INVALID_ADDRESS -5
#define SBI_ERR_ALREADY_AVAILABLE -6

#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1

struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_ecall(long ext, long fid, unsigned long arg0, unsigned long arg1,
			unsigned long arg2);

/* Spec version as (major << 24) | minor. */
long sbi_spec_version(void);
/* Non-zero if the extension is implemented. */
long sbi_probe_extension(long ext);
/* Starts hartid at start (S-mode, a0 = hartid, a1 = opaque). Returns SBI error. */
long sbi_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque);
/* Programs this hart's next timer interrupt and clears the pending one. */
void sbi_set_timer(uint64_t stime);
/* Raises a supervisor software interrupt on one hart. Returns SBI error. */
long sbi_send_ipi_to(unsigned long hartid);
/* Returns only if the reset failed. */
long sbi_system_reset(unsigned long type, unsigned long reason);

const char *sbi_error_name(long error);

#endif
