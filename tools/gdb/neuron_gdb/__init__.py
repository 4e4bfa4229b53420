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


def register() -> None:
    """Define the commands once per gdb; safe to call again."""
    global _registered
    printers.register()
    if _registered:
        return
    _registered = True
    NeuronPrefix()
    for module in (harts, percpu, sched, ipi, ring, check):
        module.register()
    gdb.events.new_objfile.connect(target.clear_caches)
