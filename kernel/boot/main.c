/*
 * Boot: the boot hart's path from entry.S to the scenario, and the
 * secondary harts' path to idle.
 */
/* First: its __attribute__((noreturn)) breaks once <stdnoreturn.h> defines noreturn. */
#include <neuron/percpu_platform.h>

#include "arch/riscv/csr.h"
#include "arch/riscv/entry.h"
#include "arch/riscv/sbi.h"
#include "boot/boot.h"
#include "boot/percpu_areas.h"
#include "boot/percpu_glue.h"
#include "boot/shutdown.h"
#include "lib/console.h"
#include "lib/format.h"
#include "lib/kprintf.h"
#include "proof/audit_probe.h"
#include "proof/fault.h"
#include "proof/scenarios/scenario.h"
#include "proof/selftest/selftest.h"
#include "proof/violations/violations.h"
#include "sched/sched.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"

/* Larger than any DTB QEMU virt builds; a bigger totalsize is corruption. */
#define DTB_MAX_SIZE (1u << 20)

enum boot_stage boot_stage;

static void reach(enum boot_stage stage)
{
	__atomic_store_n(&boot_stage, stage, __ATOMIC_RELEASE);
}

static const void *dtb_blob;
static size_t dtb_size;
static struct fdt_info fdt;
static struct bootargs args;
static struct bootargs_vocabulary vocabulary;

const void *boot_dtb(size_t *size)
{
	*size = dtb_size;
	return dtb_blob;
}

const struct fdt_info *boot_fdt_info(void)
{
	return &fdt;
}

const struct bootargs *boot_args(void)
{
	return &args;
}

const struct bootargs_vocabulary *boot_vocabulary(void)
{
	return &vocabulary;
}

noreturn void boot_hart_id_unsupported(unsigned long hartid)
{
	char line[160];
	ksnprintf(line, sizeof(line),
		  "neuron: boot hart id %lu is >= NEURON_MAX_HARTS (%d); "
		  "rebuild with -DNEURON_MAX_HARTS=%lu or more\n",
		  hartid, NEURON_MAX_HARTS, hartid + 1);
	console_write_early(line);
	kernel_exit(EXIT_PANIC);
}

static void read_dtb(const void *dtb)
{
	uint32_t total;
	enum fdt_status st = fdt_total_size(dtb, FDT_HEADER_SIZE, &total);

	if (st == FDT_OK && total > DTB_MAX_SIZE) {
		kprintf("neuron: dtb: totalsize %u is larger than the %u bytes allowed\n", total,
			DTB_MAX_SIZE);
		kernel_exit(EXIT_PANIC);
	}
	if (st == FDT_OK)
		st = fdt_read(dtb, total, &fdt);
	if (st != FDT_OK) {
		kprintf("neuron: dtb: at %p: %s (at offset %u)\n", dtb, fdt_status_text(st),
			fdt.error_offset);
		kernel_exit(EXIT_PANIC);
	}
	if (fdt.timebase_hz < TICK_HZ || fdt.timebase_hz > UINT32_MAX) {
		kprintf("neuron: dtb: /cpus timebase-frequency %lu Hz is missing or unusable\n",
			fdt.timebase_hz);
		kernel_exit(EXIT_PANIC);
	}
	dtb_blob = dtb;
	dtb_size = total;
}

static void parse_bootargs(void)
{
	struct bootargs_error err;
	const char *cmdline = fdt.bootargs ? fdt.bootargs : "";

	vocabulary = (struct bootargs_vocabulary){
		.scenarios = scenario_names,
		.scenario_count = scenario_count,
		.selftests = selftest_names,
		.selftest_count = selftest_count,
		.faults = sched_fault_names,
		.fault_count = FAULT_COUNT,
		.violations = violation_names,
		.violation_count = violation_count,
	};
	if (bootargs_parse(cmdline, fdt.bootargs_len, &vocabulary, &args, &err) == BOOTARGS_OK)
		return;

	if (err.status == BOOTARGS_TOO_LONG)
		kprintf("neuron: bootargs: command line too long: %zu bytes, limit %d\n",
			err.length, BOOTARGS_MAX_LEN);
	else if (err.status == BOOTARGS_BAD_CHARACTER)
		kprintf("neuron: bootargs: non-printable character 0x%02x (at offset %zu)\n",
			(unsigned char)cmdline[err.offset], err.offset);
	else
		kprintf("neuron: bootargs: %s '%.*s' (at offset %zu)\n",
			bootargs_status_text(err.status), (int)err.length, cmdline + err.offset,
			err.offset);
	kernel_exit(EXIT_BAD_BOOTARGS);
}

static void require_sbi_extensions(void)
{
	static const struct {
		long id;
		const char *name;
	} needed[] = {
		{ SBI_EXT_TIME, "TIME" },
		{ SBI_EXT_IPI, "IPI" },
		{ SBI_EXT_HSM, "HSM" },
	};
	for (unsigned i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!sbi_probe_extension(needed[i].id)) {
			kprintf("neuron: sbi: the firmware lacks the %s extension\n", needed[i].name);
			kernel_exit(EXIT_PANIC);
		}
	}
}

/* Interrupts this kernel takes: the tick and IPIs. */
static void enable_hart_interrupts(void)
{
	timer_start_this_hart();
	csr_set(sie, SIE_SSIE);
	intr_on();
}

/* Separate from boot_main: GCC may cache tp within a function, and tp was 0 there. */
static noreturn __attribute__((noinline)) void boot_on_own_area(unsigned hartid,
								const void *dtb)
{
	percpu_glue_attach_boot_hart(hartid);
	reach(BOOT_STAGE_AREAS);
	hart_init_this();
	trap_init_this_hart();
	smp_this_hart_online();

	read_dtb(dtb);
	parse_bootargs();
	require_sbi_extensions();
	if (smp_accept_dtb_harts(&fdt, hartid) != 0)
		kernel_exit(EXIT_PANIC);
	percpu_glue_register_harts(hartid);

	long version = sbi_spec_version();
	kprintf("neuron: boot hart %u; %u harts in the DTB; timebase %lu Hz; SBI %ld.%ld; "
		"NEURON_MAX_HARTS %d; %s build\n",
		hartid, fdt.hart_count, fdt.timebase_hz, (version >> 24) & 0x7f,
		version & 0xffffff, NEURON_MAX_HARTS, NEURON_AUDIT ? "audit" : "release");
	/* Not "neuron: bootargs:": that prefix is kept for errors, one line each. */
	kprintf("neuron: args: scenario=%s seed=%lu watchdog_ms=%u\n",
		scenario_names[args.scenario], args.seed, args.watchdog_ms);

	if (args.violation != BOOTARGS_NONE && !NEURON_AUDIT) {
		kprintf("neuron: bootargs: violation=%s: the violation suite is audit-only; "
			"this is a release build\n", violation_names[args.violation]);
		kernel_exit(EXIT_BAD_BOOTARGS);
	}
	if (args.fault && !NEURON_FAULTS) {
		kprintf("neuron: bootargs: fault=%s: this kernel is built without fault "
			"switches (NEURON_FAULTS=OFF)\n", sched_fault_names[args.fault]);
		kernel_exit(EXIT_BAD_BOOTARGS);
	}
	fault_select((enum sched_fault)args.fault);
	smp_set_entry_race_test(args.entry_race);
	smp_set_entry_claim_ignored(FAULT_INJECTED(no_entry_claim));
	percpu_audit_set_mode(args.audit_continue ? PERCPU_AUDIT_CONTINUE : PERCPU_AUDIT_PANIC);
	if (args.audit_continue && !NEURON_AUDIT)
		kprintf("neuron: args: audit=continue has no effect in a release build\n");
	if (args.fault)
		kprintf("neuron: args: fault=%s (test only: a mechanism is broken on purpose)\n",
			sched_fault_names[args.fault]);
	timer_init(fdt.timebase_hz);
	enable_hart_interrupts();
	sched_init();
	reach(BOOT_STAGE_SCHED);
	audit_probe_init();
	percpu_smp_begin();
	smp_start_secondaries();
	sched_join_this_hart();
	reach(BOOT_STAGE_SECONDARIES);

	hart_set_context("scenario");
	reach(BOOT_STAGE_RUNNING);
	if (args.violation != BOOTARGS_NONE)
		kernel_exit(violations_run(args.violation, &args));
	kernel_exit(scenario_run(args.scenario, &args));
}

noreturn void boot_main(unsigned long hartid, const void *dtb)
{
	if (percpu_areas_init() != 0) {
		console_write_early("neuron: panic: kernel.ld reserved too little room "
				    "for the per-hart areas\n");
		kernel_exit(EXIT_PANIC);
	}
	asm volatile("mv tp, %0" : : "r"(percpu_area_base((unsigned)hartid)) : "memory");
	boot_on_own_area((unsigned)hartid, dtb);
}

noreturn void secondary_main(unsigned long hartid)
{
	if (!smp_secondary_arrived((unsigned)hartid))
		for (;;)
			wfi();
	percpu_hart_attach((unsigned)hartid);
	hart_init_this();
	trap_init_this_hart();
	enable_hart_interrupts();
	if (FAULT_INJECTED(join_after_online)) {
		/* The order this fault breaks, with the window held open. */
		smp_this_hart_online();
		timer_sleep_ms(50);
		sched_join_this_hart();
	} else {
		sched_join_this_hart();
		smp_this_hart_online();
	}
	hart_set_context("idle");
	sched_idle_loop();
}
