"""The kernel-tools contract, read from its one definition.

trace/include/neuron/trace_contract.h and percpu/include/neuron/percpu_contract.h
hold every number a trace record or a PerCpu descriptor carries as list
macros (`#define NAME_LIST(X)` followed by one `X(...)` entry per line).
The C side expands them into enums; this module reads the same lines, so
neither side keeps a copy. A header this reader cannot take as written is
an error at import, never a silently shorter table.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]
# NEURON_TRACE_INCLUDE names another copy of trace/include: a test adds a
# record type there without editing the real contract, and the Python
# tools and the C loop fastpath.py builds (from TRACE_INCLUDE too) then
# agree on it. Unset, the repository's copy.
TRACE_INCLUDE = Path(os.environ.get("NEURON_TRACE_INCLUDE") or _REPO / "trace" / "include")
TRACE_CONTRACT = TRACE_INCLUDE / "neuron" / "trace_contract.h"
PERCPU_CONTRACT = _REPO / "percpu" / "include" / "neuron" / "percpu_contract.h"

_DEFINE = re.compile(r"#define (\w+_LIST)\(X\)\s*\\$")
_ENTRY = re.compile(r'\s*X\((.*)\)\s*(\\?)$')
_ARG = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[^,]+?)\s*(?:,|$)')


class ContractError(Exception):
    """A contract header that does not read as list macros."""


def _arguments(text: str) -> list[str]:
    args = [a[1:-1] if a.startswith('"') else a for a in _ARG.findall(text)]
    return [a for a in args if a != ""]


def read_lists(path: Path) -> dict[str, list[list[str]]]:
    """Every `NAME_LIST` in the header: its entries' arguments, in order.

    A list runs from its #define to the first line without a trailing
    backslash; every line of it must be one whole X(...) entry."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ContractError(f"{path}: {error}") from None
    lists: dict[str, list[list[str]]] = {}
    current = None
    for number, line in enumerate(lines, 1):
        if current is None:
            define = _DEFINE.match(line)
            if define:
                current = lists.setdefault(define.group(1), [])
                name = define.group(1)
            continue
        entry = _ENTRY.fullmatch(line)
        if not entry:
            raise ContractError(f"{path}:{number}: {name}: not one whole X(...) entry per line: {line.strip()}")
        current.append(_arguments(entry.group(1)))
        if not entry.group(2):
            current = None
    if current is not None:
        raise ContractError(f"{path}: {name} ends with a continuation and no entry")
    return lists


def _numbered(entries, path, list_name):
    table: dict[int, str] = {}
    given: dict[int, str] = {}
    for entry in entries:
        name, number = entry[0], int(entry[1], 0)
        if number in table:
            raise ContractError(f"{path}: {list_name} gives {number} to {given[number]} and {name}")
        table[number], given[number] = name.lower(), name
    return table


_TRACE = read_lists(TRACE_CONTRACT)
_PERCPU = read_lists(PERCPU_CONTRACT)

# number -> lower-case name
TYPES = _numbered(_TRACE["TRACE_TYPE_LIST"], TRACE_CONTRACT, "TRACE_TYPE_LIST")
TASK_STATES = _numbered(_TRACE["TRACE_TASK_STATE_LIST"], TRACE_CONTRACT, "TRACE_TASK_STATE_LIST")
MARKS = _numbered(_TRACE["TRACE_MARK_KIND_LIST"], TRACE_CONTRACT, "TRACE_MARK_KIND_LIST")
IPI_KINDS = _numbered(_TRACE["IPI_KIND_LIST"], TRACE_CONTRACT, "IPI_KIND_LIST")
VIOLATIONS = _numbered(_PERCPU["PERCPU_VIOLATION_LIST"], PERCPU_CONTRACT, "PERCPU_VIOLATION_LIST")


def _types_with(flag: str) -> tuple[int, ...]:
    return tuple(int(e[1], 0) for e in _TRACE["TRACE_TYPE_LIST"]
                 if flag in (f.strip() for f in e[2].split("|")))


PERCPU_TYPES = _types_with("TF_PERCPU")      # h a var index, w (low 20 bits) a site
HART_B_TYPES = _types_with("TF_HART_B")      # b a hart of the dump
VICTIM_TYPES = _types_with("TF_VICTIM")      # b a steal victim (its own track)

# Numbered in order, as the C enums are.
ACCESS_KINDS = [e[1] for e in _PERCPU["PERCPU_ACCESS_KIND_LIST"]]
REASONS = [e[1] for e in _PERCPU["PERCPU_REASON_LIST"]]
