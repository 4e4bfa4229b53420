/*
 * Bringing up the other harts, and talking to them with IPIs.
 * Hart ids come from the DTB; only ids below NEURON_MAX_HARTS can run.
 */
#ifndef NEURON_SMP_H
#define NEURON_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/fdt.h"

/* What each hart recorded about itself when it came online. */
struct hart_record {
	uint32_t online_count;     /* times this hart ran its entry code */
	uintptr_t tp;              /* its tp at entry */
	uintptr_t sp;              /* a stack address from its entry code */
	uintptr_t stamp_address;   /* &its isolation stamp as its own code saw it */
};

/*
 * Checks the DTB's hart list (ids < NEURON_MAX_HARTS, boot hart listed)
 * and remembers it. Returns 0, or -1 after printing one line saying why.
 * Precondition: boot hart, once.
 */
int smp_accept_dtb_harts(const struct fdt_info *fdt, unsigned boot_hart);

/* Records the calling hart as online. Precondition: hart_init_this() ran. */
void smp_this_hart_online(void);

/*
 * Starts every other DTB hart with SBI HSM and waits (bounded, in wfi)
 * until they are all online. Harts that fail to start are reported and
 * left out; the harts_online self-test then fails.
 * Precondition: boot hart, tick running, interrupts on.
 */
void smp_start_secondaries(void);

/*
 * Secondary entry, first thing: false (after one line saying so) if this
 * hart already entered once; the caller then parks. Says so, too, when
 * the hart came in through _start (smp_second_entry_area).
 */
bool smp_secondary_arrived(unsigned hart);

/* Test only, before smp_start_secondaries: entry_race=1 starts the highest
 * secondary at _start as the firmware's race does; fault=no_entry_claim
 * lets it run the cold path anyway. */
void smp_set_entry_race_test(bool on);
void smp_set_entry_claim_ignored(bool on);

unsigned smp_boot_hart(void);
/* The highest DTB hart other than the boot hart; PERCPU_NO_HART if there is none. */
unsigned smp_highest_secondary(void);
unsigned smp_dtb_hart_count(void);
unsigned smp_dtb_hart(unsigned index);
unsigned smp_online_count(void);
bool smp_is_online(unsigned hart);
/* The lowest online hart other than `me`; PERCPU_NO_HART if none. */
unsigned smp_other_online_hart(unsigned me);
struct hart_record smp_hart_record(unsigned hart);

/* Raises a software interrupt on hart. Returns the SBI error (0 = sent).
 * Cross-calls go through the IPI mailboxes (sched/ipi.h, ipi_call_on). */
long smp_send_ipi(unsigned hart);

#endif
