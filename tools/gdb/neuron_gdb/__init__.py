"""gdb scripts for the neuron kernel: one module per concept.

  harts    neuron harts
  percpu   neuron percpu VAR [HART], $percpu("var", hart)
  sched    neuron runq [HART]
  ipi      neuron ipi [HART]
  ring     neuron ring [HART] [-n N], neuron dump-trace FILE
  check    neuron check
  printers the PerCpu slot type, tasks, runqueues

Loaded by tools/gdb/neuron-gdb.py (see docs/gdb.md).
"""

import os

import gdb

from . import check, harts, ipi, percpu, printers, ring, sched, target


class NeuronPrefix(gdb.Command):
    """Inspect a neuron kernel halted under QEMU's gdbstub (docs/gdb.md).

Commands: neuron harts, neuron percpu VAR [HART], neuron runq [HART],
neuron ipi [HART], neuron ring [HART] [-n N], neuron dump-trace FILE,
neuron check. Function: $percpu("var", hart)."""

    def __init__(self):
        super().__init__("neuron", gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, prefix=True)


_registered = False

# This checkout: the kernel's debug info names files relative to the source
# tree (cmake/reproducible.cmake: kernel/sched/sched.c, comp_dir
# build/audit), so gdb is told where that tree is.
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def add_source_directory(root: str = SOURCE_ROOT) -> None:
    """`directory ROOT`, so that gdb finds kernel/... from any working directory.

    gdb splits the argument of `directory` at whitespace and ':'; a
    checkout path holding one is left out (gdb then finds the sources
    when started from the checkout)."""
    if any(ch.isspace() or ch == ":" for ch in root):
        return
    gdb.execute(f"directory {root}", to_string=True)


def register() -> None:
    """Define the commands once per gdb; safe to call again."""
    global _registered
    printers.register()
    if _registered:
        return
    _registered = True
    NeuronPrefix()
    add_source_directory()
    for module in (harts, percpu, sched, ipi, ring, check):
        module.register()
    gdb.events.new_objfile.connect(target.clear_caches)
