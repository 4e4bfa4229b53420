"""gdb scripts for the neuron kernel: one module per concept.

  harts    neuron harts
  percpu   neuron percpu VAR [HART], $percpu("var"[, hart])
  sched    neuron runq [HART], neuron ps, $current([hart])
  ipi      neuron ipi [HART]
  ring     neuron ring [HART] [-n N], neuron dump-trace FILE
  check    neuron check
  boot     neuron bootargs, neuron version, neuron dmesg
  fifo     the one walk of runqueues and mailboxes
  unwind   gdb unwinds through trap_entry into the interrupted code
  printers the PerCpu slot type, tasks, runqueues

Loaded by tools/gdb/neuron-gdb.py (see docs/gdb.md).
"""

import gdb

from . import boot, check, harts, ipi, percpu, printers, ring, sched, target, unwind


class NeuronPrefix(gdb.Command):
    """Inspect a neuron kernel halted under QEMU's gdbstub (docs/gdb.md).

Commands: neuron harts, neuron ps, neuron percpu VAR [HART],
neuron runq [HART], neuron ipi [HART], neuron ring [HART] [-n N],
neuron dump-trace FILE, neuron check, neuron bootargs, neuron dmesg,
neuron version.
Functions: $percpu("var"[, hart]), $percpu_slot("var"[, hart]),
$current([hart]) (the selected hart's, or hart's)."""

    def __init__(self):
        super().__init__("neuron", gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, prefix=True)

    def invoke(self, argument: str, from_tty: bool) -> None:
        if argument.strip():
            raise gdb.GdbError(f"neuron: no command '{argument.split()[0]}' (help neuron lists them)")
        gdb.write(self.__doc__ + "\n")


_registered = False


def register() -> None:
    """Define the commands once per gdb; safe to call again."""
    global _registered
    printers.register()
    if _registered:
        return
    _registered = True
    NeuronPrefix()
    for module in (harts, percpu, sched, ipi, ring, check, boot):
        module.register()
    unwind.register()
    gdb.events.new_objfile.connect(target.clear_caches)
    gdb.events.new_inferior.connect(target.clear_caches)
    gdb.events.exited.connect(target.clear_caches)
