"""The trace ring: `neuron ring [HART] [-n N]` and `neuron dump-trace FILE`.

The ring reader and the dump belong to the trace part (its gdb-side module,
decoding with the same decoder the trace tools use). This module only
finds that reader and calls it; when the build or the tree has none, both
commands say so plainly.

The reader is ring_dump.py in this package; it provides:
    ring_available() -> bool             the loaded kernel has a ring
    ring_stats(hart: int) -> (fill, drops)
    ring_records(hart: int, count: int) -> list[str]   decoded, oldest first
    dump_trace(path: str) -> str         writes the dump, returns a summary line
"""

from __future__ import annotations

import gdb

from . import target
from .command import NeuronCommand
from .target import Problem

DEFAULT_RECORDS = 16
NOT_AVAILABLE = "the trace ring is not available in this build"


def reader():
    """The ring reader when the kernel has a ring that has started, else None."""
    from . import ring_dump
    try:
        return ring_dump if ring_dump.ring_available() else None
    except (gdb.GdbError, gdb.error):
        return None  # a kernel without the ring's symbols


def why_not_available() -> str:
    """Why `reader()` is None, in words: no ring in this build, or not yet."""
    if target.has_symbol("trace_info"):
        return "the trace has not started yet (the rings start with the scenario)"
    return NOT_AVAILABLE


def stats(hart: int) -> tuple[int, int] | None:
    """(fill, drops) of hart's ring, or None when there is none (no ring
    in this build, or none for this hart)."""
    module = reader()
    if module is None:
        return None
    try:
        return tuple(module.ring_stats(hart))
    except gdb.GdbError:
        return None


def _parse_ring_arguments(argument: str) -> tuple[str | None, int]:
    words = gdb.string_to_argv(argument)
    hart, count = None, DEFAULT_RECORDS
    while words:
        word = words.pop(0)
        if word == "-n":
            if not words:
                raise Problem("-n needs a number")
            try:
                count = int(words.pop(0), 0)
            except ValueError:
                raise Problem("-n needs a number")
            if count < 1:
                raise Problem("-n must be at least 1")
        elif hart is None:
            hart = word
        else:
            raise Problem("usage: neuron ring [HART] [-n N]")
    return hart, count


class RingCommand(NeuronCommand):
    """Show the last N trace records of each hart's ring (default 16).

Usage: neuron ring [HART] [-n N]"""

    name = "ring"
    takes_argument = True

    def run(self, argument: str) -> None:
        hart_argument, count = _parse_ring_arguments(argument)
        target.require_connected()
        selected = target.harts_selected(hart_argument, "neuron ring")
        module = reader()
        if module is None:
            raise Problem(why_not_available())
        for hart in selected:
            fill, drops = module.ring_stats(hart.hart)
            gdb.write(f"hart {hart.hart}: ring fill={fill} drops={drops}{hart.state_note()}\n")
            lines = module.ring_records(hart.hart, count)
            if not lines:
                gdb.write("  empty\n")
            for line in lines:
                gdb.write(f"  {line}\n")


class DumpTraceCommand(NeuronCommand):
    """Write every hart's trace ring to FILE in the trace dump format.

Usage: neuron dump-trace FILE"""

    name = "dump-trace"
    completer = gdb.COMPLETE_FILENAME
    takes_argument = True

    def run(self, argument: str) -> None:
        words = gdb.string_to_argv(argument)
        if len(words) != 1:
            raise Problem("usage: neuron dump-trace FILE")
        target.require_connected()
        module = reader()
        if module is None:
            raise Problem(why_not_available())
        try:
            gdb.write(f"{module.dump_trace(words[0])}\n")
        except OSError as error:
            raise Problem(f"cannot write {words[0]}: {error.strerror or error}")


def register() -> None:
    RingCommand()
    DumpTraceCommand()
