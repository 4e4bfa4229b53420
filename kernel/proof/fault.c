#include <stdint.h>

#include "proof/fault.h"

const char *const sched_fault_names[FAULT_COUNT] = {
#define FAULT_NAME(name, text) #name,
	SCHED_FAULT_LIST(FAULT_NAME)
#undef FAULT_NAME
};

_Static_assert(FAULT_COUNT <= 32, "fault: the active set is one 32-bit word");
static uint32_t selected;	/* bit f: fault f active */

void fault_select(enum sched_fault fault)
{
	if (fault != FAULT_none)
		__atomic_fetch_or(&selected, 1u << fault, __ATOMIC_RELAXED);
}

bool fault_active(enum sched_fault fault)
{
	return fault != FAULT_none && (__atomic_load_n(&selected, __ATOMIC_RELAXED) >> fault & 1);
}
