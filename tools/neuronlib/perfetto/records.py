"""The record types and numbers of the trace contract, named for the converter.

Every table comes from the contract headers through contract.py; this
module only gives the converter short names for them.
"""

from .. import contract

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

# The C enumerator of each type.
TYPE_NAMES = {number: "TRACE_" + name.upper() for number, name in _TYPES.items()}
# The contract's name of each type, as the dump reader spells it: what a
# record drawn generically is called on the trace.
TYPE_LABELS = _TYPES

# The state SWITCH leaves the previous task in.
_STATE = {name: number for number, name in contract.TASK_STATES.items()}
TASK_RUNNABLE = _STATE["runnable"]
TASK_BLOCKED = _STATE["blocked"]
TASK_DONE = _STATE["done"]
TASK_IDLE = _STATE["idle"]

# SWITCH's w when the hart switches to its idle loop rather than a task
# (the largest 24-bit value; no scheduler task id reaches it).
IDLE_TASK = (1 << 24) - 1

# What a TRACE_VIOLATION found missing (w bits 20..23), spelled with spaces
# on the trace.
VIOLATION_NAMES = {code: name.replace("_", " ") for code, name in _VIOLATIONS.items()}
VIOLATION_SITE_BITS = 20

MARK_NAMES = {number: name.replace("_", " ") for number, name in contract.MARKS.items()}
MARK_SCENARIO_BEGIN = {name: number for number, name in contract.MARKS.items()}["scenario_begin"]

# IPI kinds (h of the IPI records); unknown kinds print as numbers.
IPI_KIND_NAMES = contract.IPI_KINDS


def ipi_kind_name(kind: int) -> str:
    return IPI_KIND_NAMES.get(kind, f"kind {kind}")


def violation_name(what: int) -> str:
    return VIOLATION_NAMES.get(what, f"violation {what}")
