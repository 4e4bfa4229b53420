#include "arch/riscv/csr.h"
#include "arch/riscv/entry.h"
#include "arch/riscv/sbi.h"
#include "boot/boot.h"
#include "boot/percpu_areas.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "smp/hart.h"
#include "smp/smp.h"
#include "smp/timer.h"

/* Guest time allowed for all secondaries to come online. */
#define BRINGUP_TIMEOUT_MS 2000

static unsigned boot_hart;
static unsigned dtb_harts[NEURON_MAX_HARTS];
static unsigned dtb_hart_count;

/*
 * start_requested[h]: the boot hart asked SBI to start h (set, release,
 * before the call). arrived[h]: h ran its secondary entry (claimed by
 * exchange, so a second arrival is seen). entered_at_start[h]: h came in
 * through _start, not secondary_entry. Each written once.
 */
static uint32_t start_requested[NEURON_MAX_HARTS];
static uint32_t arrived[NEURON_MAX_HARTS];
static uint32_t entered_at_start[NEURON_MAX_HARTS];
static bool entry_race_test;

/* How long a second entrant waits for the boot hart to have started it:
 * 2^25 ticks of `time`, 3.4 s at QEMU virt's 10 MHz. */
#define SECOND_ENTRY_WAIT_TICKS (1ull << 25)

/* records[h] is written only by hart h, read by others after it is online. */
static struct hart_record records[NEURON_MAX_HARTS];
static uint32_t online_total;


int smp_accept_dtb_harts(const struct fdt_info *fdt, unsigned boot)
{
	bool boot_listed = false;

	for (unsigned i = 0; i < fdt->hart_count; i++) {
		uint64_t id = fdt->hart_ids[i];
		if (id >= NEURON_MAX_HARTS) {
			kprintf("neuron: smp: DTB hart id %lu is >= NEURON_MAX_HARTS (%d); "
				"rebuild with -DNEURON_MAX_HARTS=%lu or more\n",
				id, NEURON_MAX_HARTS, id + 1);
			return -1;
		}
		for (unsigned j = 0; j < i; j++) {
			if (fdt->hart_ids[j] == id) {
				kprintf("neuron: smp: DTB lists hart id %lu twice\n", id);
				return -1;
			}
		}
		boot_listed |= id == boot;
		dtb_harts[i] = (unsigned)id;
	}
	if (!boot_listed) {
		kprintf("neuron: smp: the boot hart %u is not among the DTB's %u harts\n", boot,
			fdt->hart_count);
		return -1;
	}
	boot_hart = boot;
	dtb_hart_count = fdt->hart_count;
	return 0;
}

void smp_this_hart_online(void)
{
	struct hart_record *r = &records[hart_id()];

	r->tp = read_tp();
	r->sp = read_sp();
	r->stamp_address = hart_isolation_stamp_address();
	__atomic_fetch_add(&r->online_count, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&online_total, 1, __ATOMIC_RELEASE);
}

static bool all_started_online(const void *arg)
{
	return __atomic_load_n(&online_total, __ATOMIC_ACQUIRE) >= *(const unsigned *)arg;
}

/*
 * entry.S, for a hart that entered _start after the boot hart claimed it;
 * tp = 0, so nothing here touches per-CPU data or prints. OpenSBI 1.1's
 * hart_start marks the target START_PENDING before it stores the start
 * address: a target that wakes in that window jumps to the address it
 * was given at boot, _start, with a1 = the DTB (kernel/README.md). Such
 * a hart was being started by the boot hart: it returns its area base
 * and enters as a secondary. A hart nobody started gets 0 and parks.
 */
uintptr_t smp_second_entry_area(unsigned long hartid)
{
	uint64_t deadline = rdtime() + SECOND_ENTRY_WAIT_TICKS;

	while (!__atomic_load_n(&start_requested[hartid], __ATOMIC_ACQUIRE))
		if (rdtime() > deadline)
			return 0;
	__atomic_store_n(&entered_at_start[hartid], 1, __ATOMIC_RELAXED);
	/* percpu-lint: allow raw-area: the entering hart gets its own area base for tp, not a pointer to use */
	return (uintptr_t)percpu_area_base((unsigned)hartid);
}

bool smp_secondary_arrived(unsigned hart)
{
	if (__atomic_exchange_n(&arrived[hart], 1, __ATOMIC_ACQ_REL)) {
		kprintf("neuron: smp: hart %u entered the kernel a second time; parked "
			"(what it set up the first time is kept)\n", hart);
		return false;
	}
	if (__atomic_load_n(&entered_at_start[hart], __ATOMIC_RELAXED))
		kprintf("neuron: smp: hart %u entered at _start instead of secondary_entry "
			"(the firmware's hart_start race); joined as a secondary\n", hart);
	return true;
}

void smp_set_entry_race_test(bool on)
{
	entry_race_test = on;
}

void smp_set_entry_claim_ignored(bool on)
{
	boot_claim_ignored = on;
}

unsigned smp_highest_secondary(void)
{
	unsigned top = PERCPU_NO_HART;
	for (unsigned i = 0; i < dtb_hart_count; i++)
		if (dtb_harts[i] != boot_hart && (top == PERCPU_NO_HART || dtb_harts[i] > top))
			top = dtb_harts[i];
	return top;
}

void smp_start_secondaries(void)
{
	unsigned expected = 1;
	unsigned racer = entry_race_test ? smp_highest_secondary() : PERCPU_NO_HART;

	for (unsigned i = 0; i < dtb_hart_count; i++) {
		unsigned h = dtb_harts[i];
		if (h == boot_hart)
			continue;
		__atomic_store_n(&start_requested[h], 1, __ATOMIC_RELEASE);
		/* entry_race=1 does on purpose what OpenSBI 1.1 does by chance. */
		unsigned long entry = h == racer ? (unsigned long)_start : (unsigned long)secondary_entry;
		size_t dtb_bytes;
		unsigned long opaque = h == racer ? (unsigned long)boot_dtb(&dtb_bytes)
						  /* percpu-lint: allow raw-area: the starting hart gets its own area base for tp, not a pointer to use */
						  : (unsigned long)percpu_area_base(h);
		long err = sbi_hart_start(h, entry, opaque);
		if (err != SBI_SUCCESS) {
			kprintf("neuron: smp: hart %u did not start: SBI error %ld (%s)\n", h, err,
				sbi_error_name(err));
			continue;
		}
		expected++;
	}
	timer_wait_until(all_started_online, &expected, BRINGUP_TIMEOUT_MS);
	kprintf("neuron: smp: %u of %u harts online\n", smp_online_count(), dtb_hart_count);
}

unsigned smp_boot_hart(void)
{
	return boot_hart;
}

unsigned smp_dtb_hart_count(void)
{
	return dtb_hart_count;
}

unsigned smp_dtb_hart(unsigned index)
{
	return index < dtb_hart_count ? dtb_harts[index] : PERCPU_NO_HART;
}

unsigned smp_online_count(void)
{
	return __atomic_load_n(&online_total, __ATOMIC_ACQUIRE);
}

bool smp_is_online(unsigned hart)
{
	return hart < NEURON_MAX_HARTS &&
	       __atomic_load_n(&records[hart].online_count, __ATOMIC_ACQUIRE) > 0;
}

unsigned smp_other_online_hart(unsigned me)
{
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		if (h != me && smp_is_online(h))
			return h;
	return PERCPU_NO_HART;
}

struct hart_record smp_hart_record(unsigned hart)
{
	struct hart_record r = { 0 };
	if (smp_is_online(hart))
		r = records[hart];
	return r;
}

long smp_send_ipi(unsigned hart)
{
	return sbi_send_ipi_to(hart);
}
