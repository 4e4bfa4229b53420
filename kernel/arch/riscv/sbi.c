#include "arch/riscv/sbi.h"

struct sbiret sbi_ecall(long ext, long fid, unsigned long arg0, unsigned long arg1,
			unsigned long arg2)
{
	register unsigned long a0 asm("a0") = arg0;
	register unsigned long a1 asm("a1") = arg1;
	register unsigned long a2 asm("a2") = arg2;
	register unsigned long a6 asm("a6") = (unsigned long)fid;
	register unsigned long a7 asm("a7") = (unsigned long)ext;

	asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
	return (struct sbiret){ .error = (long)a0, .value = (long)a1 };
}

long sbi_spec_version(void)
{
	return sbi_ecall(SBI_EXT_BASE, 0, 0, 0, 0).value;
}

long sbi_probe_extension(long ext)
{
	struct sbiret r = sbi_ecall(SBI_EXT_BASE, 3, (unsigned long)ext, 0, 0);
	return r.error == SBI_SUCCESS ? r.value : 0;
}

long sbi_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, 0, hartid, start, opaque).error;
}

void sbi_set_timer(uint64_t stime)
{
	sbi_ecall(SBI_EXT_TIME, 0, stime, 0, 0);
}

long sbi_send_ipi_to(unsigned long hartid)
{
	/* hart_mask bit 0 relative to hart_mask_base = hartid. */
	return sbi_ecall(SBI_EXT_IPI, 0, 1, hartid, 0).error;
}

long sbi_system_reset(unsigned long type, unsigned long reason)
{
	return sbi_ecall(SBI_EXT_SRST, 0, type, reason, 0).error;
}

const char *sbi_error_name(long error)
{
	switch (error) {
	case SBI_SUCCESS: return "success";
	case SBI_ERR_FAILED: return "failed";
	case SBI_ERR_NOT_SUPPORTED: return "not supported";
	case SBI_ERR_INVALID_PARAM: return "invalid parameter";
	case SBI_ERR_DENIED: return "denied";
	case SBI_ERR_INVALID_ADDRESS: return "invalid address";
	case SBI_ERR_ALREADY_AVAILABLE: return "already available";
	default: return "unknown error";
	}
}
