"""The skeleton every `neuron ...` command and `$...` function shares.

A command is a function of its argument string under @neuron_command:
the decorator makes the gdb.Command class (instantiated by the module's
register()), whose help is the function's docstring and a `Usage:` line.
Without `arguments`, any argument is the one-line `usage: neuron NAME (no
arguments)`. A per-hart view (`neuron runq [HART]`, `neuron ipi [HART]`)
is a function of one hart under @per_hart_command. Every failure is one
line (target.command_errors). A convenience function subclasses
NeuronFunction.
"""

from __future__ import annotations

import inspect
from typing import Callable

import gdb

from . import target
from .target import Problem


class NeuronCommand(gdb.Command):
    name = ""
    category = gdb.COMMAND_DATA
    completer: int | None = None
    takes_argument = False

    def __init__(self):
        self.label = f"neuron {self.name}"
        if self.completer is None:
            super().__init__(self.label, self.category)
        else:
            super().__init__(self.label, self.category, self.completer)

    def invoke(self, argument: str, from_tty: bool) -> None:
        target.command_errors(self.label)(self._checked_run)(argument)

    def _checked_run(self, argument: str) -> None:
        if not self.takes_argument and argument.strip():
            raise Problem(f"usage: {self.label} (no arguments)")
        self.run(argument)

    def run(self, argument: str) -> None:
        raise NotImplementedError


def neuron_command(name: str, category: int = gdb.COMMAND_DATA, arguments: str = "",
                   completer: int | None = None) -> Callable[[Callable[[str], None]], type]:
    """`neuron NAME [ARGUMENTS]` from a function of the argument string."""
    def make(body: Callable[[str], None]) -> type:
        usage = f"neuron {name}" + (f" {arguments}" if arguments else "")
        return type(body.__name__, (NeuronCommand,), {
            "__doc__": f"{(body.__doc__ or '').rstrip()}\n\nUsage: {usage}",
            "name": name, "category": category, "completer": completer,
            "takes_argument": bool(arguments), "run": staticmethod(body)})
    return make


def per_hart_command(name: str, what: str) -> Callable[[Callable[[target.Hart], None]], type]:
    """`neuron NAME [HART]` from a function of one hart: every hart, or the
    one named, once boot has set up `what` (stage SCHED)."""
    def make(show: Callable[[target.Hart], None]) -> type:
        def each_hart(argument: str) -> None:
            for hart in target.harts_of_command(argument, f"neuron {name}", what):
                show(hart)
        each_hart.__doc__ = show.__doc__
        each_hart.__name__ = show.__name__
        return neuron_command(name, gdb.COMMAND_DATA, "[HART]")(each_hart)
    return make


class NeuronFunction(gdb.Function):
    """`$NAME(...)`: `call(*arguments)` gives the value; failures are one
    line, a wrong number of arguments `usage: USAGE`."""

    name = ""
    usage = ""

    def __init__(self):
        super().__init__(self.name)

    def invoke(self, *arguments: gdb.Value) -> gdb.Value:
        return target.command_errors(f"${self.name}")(self._checked_call)(*arguments)

    def _checked_call(self, *arguments: gdb.Value) -> gdb.Value:
        try:
            inspect.signature(self.call).bind(*arguments)
        except TypeError:
            raise Problem(f"usage: {self.usage}") from None
        return self.call(*arguments)

    def call(self, *arguments: gdb.Value) -> gdb.Value:
        raise NotImplementedError


def hart_argument(hart: gdb.Value | None, label: str) -> target.Hart:
    """The hart a function argument names, or the selected thread's hart."""
    if hart is None:
        return target.current_hart(label)
    try:
        number = int(hart)
    except gdb.error:
        raise Problem(f"{label}: hart must be a number, not {hart.type}") from None
    return target.hart_by_number(number, label)
