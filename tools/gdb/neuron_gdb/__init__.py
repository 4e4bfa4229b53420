"""gdb scripts for the neuron kernel: one module per concept.

  harts    neuron harts
  percpu   neuron percpu VAR [HART], $percpu("var"[, hart])
  sched    neuron runq [HART], neuron ps, $current([hart])
  ipi      neuron ipi [HART]
  ring     neuron ring [HART] [-n N], neuron dump-trace FILE (ring_dump reads the rings)
  check    neuron check
  boot     neuron bootargs, neuron version, neuron dmesg
  fifo     the one view of runqueues and mailboxes (walk, checks, layout)
  command  the skeleton every neuron command and $function shares
  unwind   gdb unwinds through trap_entry into the interrupted code
  printers the PerCpu slot type, tasks, runqueues

Loaded by tools/gdb/neuron-gdb.py (see docs/gdb.md).
"""

import os

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
    for module in (harts, percpu, sched, ipi, ring, check, boot):
        module.register()
    unwind.register()
    gdb.events.new_objfile.connect(target.on_new_objfile)
    gdb.events.new_inferior.connect(target.clear_caches)
    gdb.events.exited.connect(target.clear_caches)
    gdb.events.stop.connect(target.announce_image)
