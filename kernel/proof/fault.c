#include "proof/fault.h"

const char *const sched_fault_names[FAULT_COUNT] = {
#define FAULT_NAME(name, text) #name,
	SCHED_FAULT_LIST(FAULT_NAME)
#undef FAULT_NAME
};

static enum sched_fault selected = FAULT_none;

void fault_select(enum sched_fault fault)
{
	selected = fault;
}

bool fault_active(enum sched_fault fault)
{
	return fault != FAULT_none && selected == fault;
}
