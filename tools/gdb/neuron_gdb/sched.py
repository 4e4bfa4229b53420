"""The scheduler's per-hart state: `neuron runq [HART]`, tasks, current task.

Runqueues are the per-CPU variable `runqueues` (struct runqueue: a ring of
task pointers, head and count); the running task is `sched_cpu.current`.
Tasks live in the static pool `pool` of kernel/sched/task.c.
"""

from __future__ import annotations

from dataclasses import dataclass

import gdb

from . import target
from .percpu import PerCpuVar

RUNQUEUES = "runqueues"
SCHED_CPU = "sched_cpu"
TASK_ANY_HART = 0xFFFFFFFF


def task_pool() -> gdb.Value | None:
    """The task pool array, or None in a build without the scheduler."""
    for symbol in gdb.lookup_static_symbols("pool"):
        type_ = symbol.type.strip_typedefs()
        if type_.code == gdb.TYPE_CODE_ARRAY and str(type_.target().strip_typedefs()) == "struct task":
            return symbol.value()
    return None


def pool_range() -> tuple[int, int, int] | None:
    """(first address, size of one task, count) of the pool, or None."""
    pool = task_pool()
    if pool is None:
        return None
    low, high = pool.type.range()
    return int(pool[0].address), pool[0].type.sizeof, high - low + 1


def task_state_name(task: gdb.Value) -> str:
    text = str(task["state"])
    return text[len("TASK_"):] if text.startswith("TASK_") else text


def hart_text(number: int) -> str:
    return "any" if number == TASK_ANY_HART else str(number)


def describe_task(task_pointer: gdb.Value) -> str:
    """`task 7 RUNNABLE pinned=any last=2 steps=3 fn=steps_task` (one line)."""
    address = target.u64(task_pointer)
    if address == 0:
        return "none"
    task = task_pointer.dereference()
    return (f"task {int(task['id'])} {task_state_name(task)} pinned={hart_text(int(task['pinned_hart']))} "
            f"last={hart_text(int(task['last_hart']))} steps={int(task['steps'])} "
            f"fn={target.symbol_at(target.u64(task['fn']))} @ {address:#x}")


@dataclass
class RunqueueView:
    """One hart's runqueue, read once."""
    hart: int
    value: gdb.Value
    capacity: int
    head: int
    count: int

    def queued(self) -> list[gdb.Value]:
        """Task pointers oldest first; stops at capacity whatever count says."""
        slots = self.value["slots"]
        n = min(self.count, self.capacity)
        return [slots[(self.head + i) % self.capacity] for i in range(n)]


def runqueue(hart: target.Hart, label: str) -> RunqueueView:
    variable = PerCpuVar(RUNQUEUES, label)
    value = variable.value(hart)
    low, high = value["slots"].type.range()
    return RunqueueView(hart.hart, value, high - low + 1, int(value["head"]), int(value["count"]))


def has_scheduler() -> bool:
    return target.tls_offset(target.STORAGE_PREFIX + RUNQUEUES) is not None


def current_task(hart: target.Hart) -> gdb.Value | None:
    """sched_cpu.current of hart (a struct task *), None without a scheduler."""
    if target.tls_offset(target.STORAGE_PREFIX + SCHED_CPU) is None:
        return None
    return PerCpuVar(SCHED_CPU).value(hart)["current"]


class RunqCommand(gdb.Command):
    """Show runqueue contents, oldest task first.

Usage: neuron runq [HART]"""

    def __init__(self):
        super().__init__("neuron runq", gdb.COMMAND_DATA)

    @target.command_errors("neuron runq")
    def invoke(self, argument: str, from_tty: bool) -> None:
        for hart in target.harts_of_command(argument, "neuron runq"):
            rq = runqueue(hart, "neuron runq")
            gdb.write(f"hart {hart.hart}: runqueue count={rq.count} head={rq.head} "
                      f"capacity={rq.capacity} enqueued={int(rq.value['enqueued'])} "
                      f"rejected={int(rq.value['rejected'])} "
                      f"stolen_from={int(rq.value['stolen_from'])}\n")
            current = current_task(hart)
            if current is not None:
                gdb.write(f"  current: {describe_task(current)}\n")
            for position, task in enumerate(rq.queued()):
                gdb.write(f"  [{position}] {describe_task(task)}\n")


def register() -> None:
    RunqCommand()
