"""Pretty-printers: the PerCpu slot type, tasks and runqueues.

`print $percpu("runqueues", 0)` shows the queue, not 64 raw slots; a
slot shows its owner stamp (audit) and value.
"""

from __future__ import annotations

import gdb
import gdb.printing

from . import fifo, sched, target

PRINTER_NAME = "neuron"


def _never_fails(to_string):
    """A printer that cannot read what it shows says so in its own text:
    an exception would abort the whole `print` half-way."""
    def safe(self):
        try:
            return to_string(self)
        except (gdb.error, gdb.MemoryError) as error:
            return f"<unreadable: {error}>"
    return safe


def _children_never_fail(children):
    def safe(self):
        try:
            yield from children(self)
        except (gdb.error, gdb.MemoryError) as error:
            yield "unreadable", str(error)
    return safe


class SlotPrinter:
    """struct percpu_slot__NAME: {stamp = owner N magic M, value = ...}."""

    def __init__(self, value: gdb.Value):
        self.value = value

    @_never_fails
    def to_string(self):
        name = self.value.type.strip_typedefs().tag or ""
        return name.replace("percpu_slot__", "percpu ")

    @_children_never_fail
    def children(self):
        if target.has_field(self.value.type, "stamp"):
            stamp = self.value["stamp"]
            yield "stamp", f"owner={int(stamp['owner'])} magic={int(stamp['magic']):#x}"
        yield "value", self.value["value"]


class TaskPrinter:
    def __init__(self, value: gdb.Value):
        self.value = value

    @_never_fails
    def to_string(self):
        if self.value.address is None:  # a copy (history value): show it, not a pool slot
            return (f"task {int(self.value['id'])} {sched.task_state_name(self.value)} "
                    f"steps={int(self.value['steps'])}")
        return sched.describe_task(self.value.address)


class RunqueuePrinter:
    """struct runqueue: count, head, counters, then the queued tasks oldest first."""

    def __init__(self, value: gdb.Value):
        self.value = value

    @_never_fails
    def to_string(self):
        v = self.value
        return (f"runqueue count={int(v['count'])} head={int(v['head'])} "
                f"enqueued={int(v['enqueued'])} rejected={int(v['rejected'])} "
                f"stolen_from={int(v['stolen_from'])}")

    @_children_never_fail
    def children(self):
        # A slot that is not a pool task stays a pointer (gdb prints its
        # value): following it would abort the print.
        for i, pointer in enumerate(fifo.view(-1, self.value, "slots").queued()):
            address = target.u64(pointer)
            yield f"[{i}]", pointer.dereference() if address and not sched.not_a_task(address) else pointer

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
