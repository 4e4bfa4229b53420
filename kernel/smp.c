#include "arch/riscv/csr.h"
#include "arch/riscv/entry.h"
#include "arch/riscv/sbi.h"
#include "hart.h"
#include "lib/kprintf.h"
#include "panic.h"
#include "percpu_areas.h"
#include "smp.h"
#include "timer.h"

/* Guest time allowed for all secondaries to come online. */
#define BRINGUP_TIMEOUT_MS 2000

static unsigned boot_hart;
static unsigned dtb_harts[NEURON_MAX_HARTS];
static unsigned dtb_hart_count;

/* records[h] is written only by hart h, read by others after it is online. */
static struct hart_record records[NEURON_MAX_HARTS];
static uint32_t online_total;

/* Cross-call mailbox of one target hart: requested != completed = pending. */
struct call_mailbox {
	void (*fn)(void *arg);
	void *arg;
	unsigned from;
	uint32_t requested;
	uint32_t completed;
};
static struct call_mailbox mailboxes[NEURON_MAX_HARTS];

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
	r->hart_id_address = hart_id_address();
	__atomic_fetch_add(&r->online_count, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&online_total, 1, __ATOMIC_RELEASE);
}

static bool all_started_online(const void *arg)
{
	return __atomic_load_n(&online_total, __ATOMIC_ACQUIRE) >= *(const unsigned *)arg;
}

void smp_start_secondaries(void)
{
	unsigned expected = 1;

	for (unsigned i = 0; i < dtb_hart_count; i++) {
		unsigned h = dtb_harts[i];
		if (h == boot_hart)
			continue;
		long err = sbi_hart_start(h, (unsigned long)secondary_entry,
					  (unsigned long)percpu_area_base(h));
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
	return index < dtb_hart_count ? dtb_harts[index] : ~0u;
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
	return NEURON_MAX_HARTS;
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

void smp_handle_ipi(void)
{
	struct call_mailbox *mb = &mailboxes[hart_id()];
	uint32_t requested = __atomic_load_n(&mb->requested, __ATOMIC_ACQUIRE);

	hart_count_ipi();
	if (requested != mb->completed) {
		mb->fn(mb->arg);
		__atomic_store_n(&mb->completed, requested, __ATOMIC_RELEASE);
		/* Wake the caller now rather than at its next tick. */
		sbi_send_ipi_to(mb->from);
	}
}

static bool call_completed(const void *arg)
{
	const struct call_mailbox *mb = arg;
	return __atomic_load_n(&mb->completed, __ATOMIC_ACQUIRE) == mb->requested;
}

bool smp_call_on(unsigned hart, void (*fn)(void *arg), void *arg, uint32_t timeout_ms)
{
	ASSERT(hart < NEURON_MAX_HARTS && hart != hart_id());
	struct call_mailbox *mb = &mailboxes[hart];

	if (!call_completed(mb))
		return false; /* an earlier call to it never finished */
	mb->fn = fn;
	mb->arg = arg;
	mb->from = hart_id();
	__atomic_store_n(&mb->requested, mb->requested + 1, __ATOMIC_RELEASE);
	if (smp_send_ipi(hart) != SBI_SUCCESS)
		return false;
	return timer_wait_until(call_completed, mb, timeout_ms);
}
