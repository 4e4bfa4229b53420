"""The record types of trace/include/neuron/trace_record.h, for the converter.

The C header is the contract; tests/tools/test_perfetto_check.py parses it
(and fastconv.c's copy) and fails if a number here drifts from it.
"""

from ..tracefmt.records import TYPES as _TYPES
from ..tracefmt.records import TYPE_BY_NAME as _T
from ..tracefmt.records import VIOLATIONS as _VIOLATIONS

# One table of record types, tracefmt.records.TYPES (the dump reader's);
# the names the converter uses are taken from it.
REMOTE = _T["remote"]
VIOLATION = _T["violation"]
UNCHECKED = _T["unchecked"]
SWITCH = _T["switch"]
WAKEUP = _T["wakeup"]
STEAL_BEGIN = _T["steal_begin"]
STEAL_END = _T["steal_end"]
IPI_SEND = _T["ipi_send"]
IPI_RECV = _T["ipi_recv"]
IPI_HANDLED = _T["ipi_handled"]
IDLE_ENTER = _T["idle_enter"]
IDLE_EXIT = _T["idle_exit"]
RUNQ_LEN = _T["runq_len"]
TASK_NEW = _T["task_new"]
MARK = _T["mark"]

# The C header's enumerator of each type (checked by test_perfetto_check.py).
TYPE_NAMES = {number: "TRACE_" + name.upper() for number, name in _TYPES.items()}

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
