"""The record types of trace/include/neuron/trace_record.h, for the tools.

The C header is the contract; tests/tools/test_perfetto_check.py parses
it and fails if a number here drifts from it.
"""

from ..tracefmt.records import VIOLATIONS as _VIOLATIONS

REMOTE = 1
VIOLATION = 2
UNCHECKED = 3
SWITCH = 16
WAKEUP = 17
STEAL_BEGIN = 18
STEAL_END = 19
IPI_SEND = 20
IPI_RECV = 21
IPI_HANDLED = 22
IDLE_ENTER = 23
IDLE_EXIT = 24
RUNQ_LEN = 25
TASK_NEW = 26
MARK = 27

TYPE_NAMES = {
    REMOTE: "TRACE_REMOTE", VIOLATION: "TRACE_VIOLATION", UNCHECKED: "TRACE_UNCHECKED",
    SWITCH: "TRACE_SWITCH", WAKEUP: "TRACE_WAKEUP", STEAL_BEGIN: "TRACE_STEAL_BEGIN",
    STEAL_END: "TRACE_STEAL_END", IPI_SEND: "TRACE_IPI_SEND", IPI_RECV: "TRACE_IPI_RECV",
    IPI_HANDLED: "TRACE_IPI_HANDLED", IDLE_ENTER: "TRACE_IDLE_ENTER",
    IDLE_EXIT: "TRACE_IDLE_EXIT", RUNQ_LEN: "TRACE_RUNQ_LEN", TASK_NEW: "TRACE_TASK_NEW",
    MARK: "TRACE_MARK",
}

# enum trace_task_state: the state SWITCH leaves the previous task in.
TASK_RUNNABLE = 0
TASK_BLOCKED = 1
TASK_DONE = 2
TASK_IDLE = 3

# SWITCH's w when the hart switches to its idle loop rather than a task
# (the largest 24-bit value; no scheduler task id reaches it).
IDLE_TASK = (1 << 24) - 1

# enum trace_violation (TRACE_VIOLATION, w bits 20..23).
# One table for the dump reader and the trace: tracefmt.records.VIOLATIONS
# (enum trace_violation), spelled with spaces on the trace.
VIOLATION_NAMES = {code: name.replace("_", " ") for code, name in _VIOLATIONS.items()}
VIOLATION_SITE_BITS = 20

MARK_SCENARIO_BEGIN = 1
MARK_NAMES = {1: "scenario begin", 2: "scenario end"}

# enum ipi_kind (kernel/sched/ipi.h); unknown kinds print as numbers.
IPI_KIND_NAMES = {0: "resched", 1: "call", 2: "broadcast", 3: "stop"}


def ipi_kind_name(kind: int) -> str:
    return IPI_KIND_NAMES.get(kind, f"kind {kind}")


def violation_name(what: int) -> str:
    return VIOLATION_NAMES.get(what, f"violation {what}")
