"""Pretty-printers: the PerCpu slot type, tasks and runqueues.

`print $percpu("runqueues", 0)` shows the queue, not 64 raw slots; a
slot shows its owner stamp (audit) and value.
"""

from __future__ import annotations

import gdb
import gdb.printing

from . import fifo, sched, target

PRINTER_NAME = "neuron"


class SlotPrinter:
    """struct percpu_slot__NAME: {stamp = owner N magic M, value = ...}."""

    def __init__(self, value: gdb.Value):
        self.value = value

    def to_string(self):
        name = self.value.type.strip_typedefs().tag or ""
        return name.replace("percpu_slot__", "percpu ")

    def children(self):
        if target.has_field(self.value.type, "stamp"):
            stamp = self.value["stamp"]
            yield "stamp", f"owner={int(stamp['owner'])} magic={int(stamp['magic']):#x}"
        yield "value", self.value["value"]


class TaskPrinter:
    def __init__(self, value: gdb.Value):
        self.value = value

    def to_string(self):
        return sched.describe_task(self.value.address)


class RunqueuePrinter:
    """struct runqueue: count, head, counters, then the queued tasks oldest first."""

    def __init__(self, value: gdb.Value):
        self.value = value

    def to_string(self):
        v = self.value
        return (f"runqueue count={int(v['count'])} head={int(v['head'])} "
                f"enqueued={int(v['enqueued'])} rejected={int(v['rejected'])} "
                f"stolen_from={int(v['stolen_from'])}")

    def children(self):
        for i, pointer in enumerate(fifo.view(-1, self.value, "slots").queued()):
            yield f"[{i}]", pointer.dereference() if target.u64(pointer) else pointer

    def display_hint(self):
        return "array"


def _lookup(value: gdb.Value):
    type_ = value.type.strip_typedefs()
    if type_.code != gdb.TYPE_CODE_STRUCT or type_.tag is None:
        return None
    if type_.tag.startswith("percpu_slot__"):
        return SlotPrinter(value)
    if type_.tag == "task":
        return TaskPrinter(value)
    if type_.tag == "runqueue":
        return RunqueuePrinter(value)
    return None


def register(objfile=None) -> None:
    # One printer lookup for the progspace; replace any earlier one of ours.
    printers = gdb.current_progspace().pretty_printers
    printers[:] = [p for p in printers if getattr(p, "__name__", "") != _lookup.__name__]
    printers.append(_lookup)
