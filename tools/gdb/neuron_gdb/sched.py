"""The scheduler's per-hart state: `neuron runq [HART]`, tasks, current task.

Runqueues are the per-CPU variable `runqueues` (struct runqueue: a ring of
task pointers, head and count); the running task is `sched_cpu.current`.
Tasks live in the static pool `pool` of kernel/sched/task.c.
"""

from __future__ import annotations

import gdb

from . import boot, command, fifo, target
from .command import NeuronFunction, neuron_command, per_hart_command
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
    """RUNNABLE, ...: the enumerator's name (DWARF) without TASK_; a value
    the enum does not have is flagged."""
    state = task["state"]
    value = int(state)
    for field in state.type.strip_typedefs().fields():
        if field.enumval == value:
            return field.name[len("TASK_"):] if field.name.startswith("TASK_") else field.name
    return f"{value}(IMPOSSIBLE: no such state)"


def hart_text(number: int) -> str:
    return "any" if number == TASK_ANY_HART else str(number)


def not_a_task(address: int) -> str | None:
    """Why a non-NULL task pointer cannot be followed, or None: the kernel's
    tasks are all in the pool, so anything else is a corrupted pointer."""
    pool = pool_range()
    if pool is None:
        return None
    start, size, count = pool
    if start <= address < start + size * count and (address - start) % size == 0:
        return None
    return "not a task of the pool"


def _no_task_text(address: int) -> str | None:
    """What to show for a task pointer that leads to no task (`none`, or
    the pointer flagged), or None when it is a task of the pool."""
    if address == 0:
        return "none"
    problem = not_a_task(address)
    return f"{address:#x} (IMPOSSIBLE: {problem})" if problem else None


def task_label(task_pointer: gdb.Value) -> str:
    """`task 7`, `none`, or the pointer flagged when it is not a task."""
    instead = _no_task_text(target.u64(task_pointer))
    return instead if instead is not None else f"task {int(task_pointer.dereference()['id'])}"


def describe_task(task_pointer: gdb.Value) -> str:
    """`task 7 RUNNABLE pinned=any last=2 steps=3 fn=steps_task` (one line)."""
    address = target.u64(task_pointer)
    instead = _no_task_text(address)
    if instead is not None:
        return instead
    task = task_pointer.dereference()
    return (f"task {int(task['id'])} {task_state_name(task)} pinned={hart_text(int(task['pinned_hart']))} "
            f"last={hart_text(int(task['last_hart']))} steps={int(task['steps'])} "
            f"fn={target.symbol_at(target.u64(task['fn']))} @ {address:#x}")


def runqueue(hart: target.Hart, label: str) -> fifo.FifoView:
    return fifo.view(hart.hart, PerCpuVar(RUNQUEUES, label).value(hart), "slots")


def has_scheduler() -> bool:
    return target.tls_offset(target.STORAGE_PREFIX + RUNQUEUES) is not None


def current_task(hart: target.Hart) -> gdb.Value | None:
    """sched_cpu.current of hart (a struct task *), None without a scheduler."""
    if target.tls_offset(target.STORAGE_PREFIX + SCHED_CPU) is None:
        return None
    return PerCpuVar(SCHED_CPU).value(hart)["current"]


@per_hart_command("runq", "runqueues are")
def runq_command(hart: target.Hart) -> None:
    """Show runqueue contents, oldest task first."""
    rq = runqueue(hart, "neuron runq")

    def details() -> list[str]:
        current = current_task(hart)
        return [] if current is None else [f"current: {describe_task(current)}"]
    fifo.write(rq, hart, "runqueue",
               f"enqueued={int(rq.value['enqueued'])} rejected={int(rq.value['rejected'])} "
               f"stolen_from={int(rq.value['stolen_from'])}",
               "entries", details, describe_task)


class CurrentFunction(NeuronFunction):
    """$current(): the task running on the selected hart (struct task *,
NULL in the scheduler loop); $current(HART) for another hart."""

    name = "current"
    usage = "$current([hart])"

    def call(self, hart: gdb.Value | None = None) -> gdb.Value:
        chosen = command.hart_argument(hart, "$current")
        current = current_task(chosen)
        if current is None:
            raise target.Problem("$current: this build has no scheduler")
        return current


def where_tasks_are(harts: list[target.Hart]) -> dict[int, str]:
    """Task address -> `running on N` / `queued on N`."""
    where: dict[int, str] = {}
    for hart in harts:
        current = current_task(hart)
        if current is not None and target.u64(current):
            where[target.u64(current)] = f"running on {hart.hart}"
        for pointer in runqueue(hart, "neuron ps").queued():
            where.setdefault(target.u64(pointer), f"queued on {hart.hart}")
    return where


@neuron_command("ps", gdb.COMMAND_STATUS)
def ps_command(argument: str) -> None:
    """Show every task of the pool that is in use: id, name (SCENARIO/ID, as
the trace names it), state, where it is (running on / queued on a hart),
pinning, the hart it last ran on, steps run and its function."""
    target.require_connected()
    pool = task_pool()
    if pool is None:
        raise target.Problem("this build has no task pool")
    target.require_stage("SCHED", "the task pool is", "neuron ps")
    where = where_tasks_are([h for h in target.harts() if h.area])
    # The name the trace tools give a task (SCENARIO/ID, perfetto/convert.py),
    # so a row here and a track in the trace viewer are found by one name.
    try:
        scenario: str | None = boot.scenario_name()
    except (target.Problem, gdb.error):
        scenario = None
    low, high = pool.type.range()
    rows = []
    for i in range(low, high + 1):
        task = pool[i]
        state = task_state_name(task)
        if state == "FREE":
            continue
        address = int(task.address)
        name = f"{scenario}/{int(task['id'])}" if scenario else f"task {int(task['id'])}"
        rows.append(f"{int(task['id']):>5}  {name:<14} {state:<9} {where.get(address, '-'):<13} "
                    f"{hart_text(int(task['pinned_hart'])):>6}  {hart_text(int(task['last_hart'])):>4}  "
                    f"{int(task['steps']):>5}  {target.symbol_at(target.u64(task['fn']))}")
    gdb.write(f"{'ID':>5}  {'NAME':<14} {'STATE':<9} {'WHERE':<13} {'PINNED':>6}  {'LAST':>4}  "
              f"{'STEPS':>5}  FN\n")
    for row in rows:
        gdb.write(row + "\n")
    gdb.write(f"{len(rows)} task(s) in use of {high - low + 1}\n" if rows
              else f"no task in use (pool of {high - low + 1})\n")


def register() -> None:
    runq_command()
    ps_command()
    CurrentFunction()
