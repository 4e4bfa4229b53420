"""The trace rings of a halted kernel, read through symbols and DWARF.

Runs inside gdb-multiarch (its Python sees Debian's packages). Nothing
here knows an address or a field offset: `trace_info` and `trace_rings`
are found by name and their fields by DWARF type (kernel/trace/
trace_state.h, trace/include/neuron/trace_ring.h).

    ring_available() -> bool
    ring_stats(hart) -> (fill, drops)
    ring_records(hart, count) -> list[str]      decoded, oldest first
    dump_trace(path) -> str                     writes the dump, returns a summary line

The commands that use it are `neuron ring` and `neuron dump-trace`
(ring.py); tools/neuronlib/tracefmt/extract.py calls dump_trace() directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gdb

_TOOLS = str(Path(__file__).resolve().parents[2])               # tools/, for neuronlib
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from neuronlib.tracefmt import dump as dumpfmt            # noqa: E402
from neuronlib.tracefmt.records import RECORD, TYPES, decode   # noqa: E402

RING_MAGIC = 0x474E4952


def _value(name: str):
    symbol = gdb.lookup_global_symbol(name) or gdb.lookup_symbol(name)[0]
    if symbol is None:
        raise gdb.GdbError(f"no symbol {name}: not an audit kernel, or built without kernel/trace")
    return symbol.value()


def _mode_name(mode: int) -> str:
    """`overwrite` or `stop`: trace_info.mode (a uint32_t) by the names of
    enum trace_mode (DWARF), as the dump format spells them."""
    try:
        for field in gdb.lookup_type("enum trace_mode").fields():
            if field.enumval == mode and field.name.startswith("TRACE_MODE_"):
                return field.name[len("TRACE_MODE_"):].lower()
    except gdb.error:
        pass
    raise gdb.GdbError(f"trace_info.mode is {mode}, which enum trace_mode does not have")


def ring_available() -> bool:
    try:
        return int(_value("trace_info")["started"]) != 0
    except (gdb.error, gdb.GdbError):  # a release kernel has no trace_info
        return False


def _rings():
    """(hart, ring value) for every initialised ring."""
    rings = _value("trace_rings")
    count = rings.type.range()[1] + 1
    for hart in range(count):
        ring = rings[hart]
        if int(ring["magic"]) == RING_MAGIC:
            yield hart, ring


def _ring(hart: int):
    for number, ring in _rings():
        if number == hart:
            return ring
    raise gdb.GdbError(f"hart {hart} has no trace ring")


def _counts(ring) -> tuple[int, int, int]:
    head, refused, capacity = int(ring["head"]), int(ring["refused"]), int(ring["capacity"])
    kept = min(head, capacity)
    return head + refused, kept, head + refused - kept


def _slot_records(ring):
    """The kept records, oldest first, as stored bytes; a slot caught
    mid-write (its seq does not name the record) is left out."""
    head, capacity = int(ring["head"]), int(ring["capacity"])
    first = max(head - capacity, 0)
    inferior = gdb.selected_inferior()
    slots = int(ring["slots"])
    slot_size = ring["slots"].dereference().type.sizeof
    data = bytes(inferior.read_memory(slots, capacity * slot_size))
    out = []
    for n in range(first, head):
        raw = data[(n % capacity) * slot_size:(n % capacity + 1) * slot_size]
        if RECORD.unpack(raw)[0] == n & 0xFFFFFFFF:
            out.append((n, raw))
    return out


def ring_stats(hart: int) -> tuple[int, int]:
    produced, kept, dropped = _counts(_ring(hart))
    return kept, dropped


def ring_records(hart: int, count: int) -> list[str]:
    records = _slot_records(_ring(hart))[-count:] if count > 0 else []
    lines = []
    for n, raw in records:
        _seq, type_, b, h, w, time = decode(raw)
        lines.append(f"#{n} t={time} {TYPES.get(type_, f'type{type_}')} b={b} h={h} w={w}")
    return lines


def dump_trace(path: str) -> str:
    info = _value("trace_info")
    if int(info["started"]) == 0:
        raise gdb.GdbError("the trace was not started (no scenario ran yet)")
    harts = []
    total = 0
    for hart, ring in _rings():
        produced, _kept, dropped = _counts(ring)
        records = []
        for n, raw in _slot_records(ring):
            seq, type_, b, h, w, time = decode(raw)
            records.append((n, type_, b, h, w, time))
        # Records torn by a halt mid-write count as dropped.
        dropped = produced - len(records)
        harts.append(dumpfmt.HartData(hart, produced, dropped, records))
        total += len(records)
    dumpfmt.write(path, harts, timebase_hz=int(info["timebase_hz"]),
                  mode=_mode_name(int(info["mode"])),
                  capacity=int(info["capacity"]), identity=int(info["identity"]),
                  max_harts=int(info["max_harts"]), version=int(info["version"]))
    return f"trace dump {path}: {len(harts)} harts, {total} records"
