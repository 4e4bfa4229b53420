"""`neuron harts`: one line per hart.

Hart (QEMU's CPU index), gdb thread, state (running, in firmware, not
started, starting, stopped), pc and function, interrupt state
(sstatus.SIE), current task, runqueue length and, when the build has a
trace ring, its fill and drops.
"""

from __future__ import annotations

import gdb

from . import ring, sched, target
from .command import neuron_command


def hart_line(hart: target.Hart, with_scheduler: bool, with_ring: bool) -> str:
    pc, function = hart.pc_and_function()
    sie = "on" if hart.register("sstatus") & target.SSTATUS_SIE else "off"
    parts = [f"hart {hart.hart}", f"thread {hart.thread.num}", hart.state,
             f"pc={pc:#x} {function}", f"sie={sie}"]
    if hart.area == 0:
        parts.append("no area yet")
    elif with_scheduler and target.boot_reached("SCHED"):
        current = sched.current_task(hart)
        parts.append("current=none" if current is None else f"current={sched.task_label(current)}")
        rq = sched.runqueue(hart, "neuron harts")
        parts.append(f"runq={rq.count}" + (f" (IMPOSSIBLE: {rq.problem()})" if rq.problem() else ""))
    if with_ring and hart.area:
        counts = ring.stats(hart.hart)
        parts.append("ring=none" if counts is None else f"ring fill={counts[0]} drops={counts[1]}")
    if hart.in_kernel and hart.area and hart.tp != hart.area:
        parts.append(f"tp={hart.tp:#x} != hart_area[{hart.hart}]={hart.area:#x}")
    return "  ".join(parts)


@neuron_command("harts", gdb.COMMAND_STATUS)
def harts_command(argument: str) -> None:
    """Show every hart: gdb thread, pc and function, current task,
runqueue length, interrupt state (sstatus.SIE), trace ring fill and drops."""
    every = target.harts()
    with_scheduler = sched.has_scheduler()
    with_ring = ring.reader() is not None
    stage = target.boot_stage()
    if stage is not None:
        gdb.write(f"boot stage {stage}\n")
    for hart in every:
        gdb.write(hart_line(hart, with_scheduler, with_ring) + "\n")
    if not with_ring:
        gdb.write(f"(ring: {ring.why_not_available()})\n")


def register() -> None:
    harts_command()
