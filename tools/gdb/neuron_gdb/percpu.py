"""Per-CPU variables: `neuron percpu VAR [HART]` and `$percpu("var", hart)`.

A variable `name` is the thread-local object `percpu_storage__name` of type
`struct percpu_slot__name` { [audit: struct percpu_stamp stamp;] value }.
Each hart's instance lives at its area base plus the variable's TLS offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gdb

from . import target
from .command import NeuronCommand, NeuronFunction, hart_argument
from .target import Problem

STAMP_MAGIC_NAME = "PERCPU_STAMP_MAGIC"
# Fallback when the macro is not in the DWARF (no -g3): the wrapper's
# constant "STAM", pinned in percpu.h next to the stamp layout.
STAMP_MAGIC_DEFAULT = 0x5354414D


@dataclass
class Stamp:
    magic: int
    owner: int

    def problem(self, hart: int, expected_magic: int) -> str | None:
        if self.magic != expected_magic:
            return f"bad stamp magic {self.magic:#x} (expected {expected_magic:#x})"
        if self.owner != hart:
            return f"stamped for hart {self.owner}, found in hart {hart}'s area"
        return None


def stamp_magic() -> int:
    try:
        return int(gdb.parse_and_eval(STAMP_MAGIC_NAME))
    except gdb.error:
        return STAMP_MAGIC_DEFAULT


class PerCpuVar:
    """One per-CPU variable, found by name through symbols and DWARF."""

    def __init__(self, name: str, label: str = "neuron percpu"):
        self.name = name
        offset = target.tls_offset(target.STORAGE_PREFIX + name)
        if offset is None:
            known = ", ".join(variable_names()) or "none found"
            raise Problem(f"{label}: no per-CPU variable '{name}' in this build (known: {known})")
        self.offset = offset
        self.slot_type = target.lookup_type(target.SLOT_PREFIX + name)
        self.audited = target.has_field(self.slot_type, "stamp")

    def slot(self, hart: target.Hart) -> gdb.Value:
        return target.value_at(hart.area + self.offset, self.slot_type)

    def value(self, hart: target.Hart) -> gdb.Value:
        return self.slot(hart)["value"]

    def stamp(self, hart: target.Hart) -> Stamp | None:
        """The owner stamp (audit builds); None in release builds."""
        if not self.audited:
            return None
        stamp = self.slot(hart)["stamp"]
        return Stamp(int(stamp["magic"]), int(stamp["owner"]))


_SLOT_LINE = re.compile(r"\bstruct percpu_slot__(\w+)\s*;")


def variable_names() -> list[str]:
    """Every per-CPU variable of the loaded ELF, sorted: each slot type
    (DWARF) whose storage object has a thread-local offset (defined here)."""
    try:
        text = gdb.execute("info types -q ^percpu_slot__", to_string=True)
    except gdb.error:
        return []
    names = sorted(set(_SLOT_LINE.findall(text)))
    return [name for name in names if target.tls_offset(target.STORAGE_PREFIX + name) is not None]


def instance(name: str, hart_number: int, label: str) -> gdb.Value:
    variable = PerCpuVar(name, label)
    return variable.value(target.hart_by_number(hart_number, label))


class PercpuCommand(NeuronCommand):
    """Show each hart's instance of a per-CPU variable.

Usage: neuron percpu VAR [HART]
Audit builds also show each instance's owner stamp and flag a stamp whose
magic or owner is wrong. Without VAR, lists the per-CPU variables."""

    name = "percpu"
    usage = '$percpu("var"[, hart])'
    completer = gdb.COMPLETE_SYMBOL
    takes_argument = True

    def run(self, argument: str) -> None:
        words = gdb.string_to_argv(argument)
        inferior = gdb.selected_inferior()
        if inferior.pid and inferior.threads():
            target.require_connected()  # the list is this ELF's: refused if it is not the kernel's
        if not words:
            gdb.write("per-CPU variables: " + (" ".join(variable_names()) or "none") + "\n")
            return
        if len(words) > 2:
            raise Problem("usage: neuron percpu VAR [HART]")
        target.require_connected()
        variable = PerCpuVar(words[0])
        selected = target.harts_selected(words[1] if len(words) == 2 else None, "neuron percpu")
        magic = stamp_magic()
        if not variable.audited:
            gdb.write(f"{variable.name}: release build: owner stamps do not exist here\n")
        for hart in selected:
            address = hart.area + variable.offset
            line = f"hart {hart.hart}: {variable.name} @ {address:#x}"
            stamp = variable.stamp(hart)
            if stamp is not None:
                problem = stamp.problem(hart.hart, magic)
                line += f" stamp owner={stamp.owner} magic={stamp.magic:#x}"
                line += f"  <-- WRONG: {problem}" if problem else " ok"
            gdb.write(line + hart.state_note() + "\n")
            gdb.write(f"  {variable.value(hart).format_string(pretty_structs=False)}\n")


class _VariableFunction(NeuronFunction):
    """$NAME("var"[, hart]): `pick` from per-CPU variable var on the selected
    hart or on hart."""

    def call(self, name: gdb.Value, hart: gdb.Value | None = None) -> gdb.Value:
        label = f"${self.name}"
        try:
            text = name.string()
        except gdb.error:
            raise Problem(f'usage: {label}("var"[, hart]) with var a string')
        return self.pick(PerCpuVar(text, label), hart_argument(hart, label))

    def pick(self, variable: PerCpuVar, hart: target.Hart) -> gdb.Value:
        raise NotImplementedError


class PercpuFunction(_VariableFunction):
    """$percpu("var"[, hart]): an instance of per-CPU variable var (the value,
not the slot): the selected hart's, or hart's."""

    name = "percpu"
    usage = '$percpu("var"[, hart])'

    def pick(self, variable: PerCpuVar, hart: target.Hart) -> gdb.Value:
        return variable.value(hart)


class PercpuSlotFunction(_VariableFunction):
    """$percpu_slot("var"[, hart]): the whole slot of per-CPU variable var on
the selected hart or on hart (audit builds: .stamp and .value; release
builds: .value only)."""

    name = "percpu_slot"
    usage = '$percpu_slot("var"[, hart])'

    def pick(self, variable: PerCpuVar, hart: target.Hart) -> gdb.Value:
        return variable.slot(hart)


def register() -> None:
    PercpuCommand()
    PercpuFunction()
    PercpuSlotFunction()
