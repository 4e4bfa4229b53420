#include "lib/kprintf.h"
#include "lib/ktap.h"

void ktap_begin(struct ktap *k, unsigned planned)
{
	*k = (struct ktap){ 0 };
	kprintf("KTAP version 1\n1..%u\n", planned);
}

void ktap_case(struct ktap *k, const char *name, bool ok, const char *skip_reason)
{
	k->number++;
	if (skip_reason) {
		kprintf("ok %u %s # SKIP %s\n", k->number, name, skip_reason);
		k->skipped++;
	} else if (ok) {
		kprintf("ok %u %s\n", k->number, name);
		k->passed++;
	} else {
		kprintf("not ok %u %s\n", k->number, name);
		k->failed++;
	}
}
