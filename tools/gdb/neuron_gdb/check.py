"""`neuron check`: invariants of a halted machine, one line per problem.

  area     tp equals the kernel's hart_area[hart]; the wrapper's self block
           names its own hart (audit: its magic and base too)
  stamps   (audit) every per-CPU instance is stamped for the hart whose area
           holds it
  runq     head and count within capacity; every queued pointer is a pool
           task, RUNNABLE, queued once, not running anywhere; a pinned task
           only on its own hart
  counts   tasks in use = pool size - free count; every RUNNABLE task is
           queued, except one per hart halted inside its run phase (popped,
           not yet dispatched, or dispatched, not yet requeued)
  mailbox  head and count within capacity; known kinds; sequence numbers
           consecutive, the newest equal to next_seq
  locks    a held runqueue or mailbox lock has a holder that may hold it: in
           audit builds the recorded holder is present and has interrupts
           off (locks are taken with interrupts off), and a free lock
           records no holder; in both builds some hart has interrupts off
  audit    the wrapper recorded no violation
"""

from __future__ import annotations

import gdb

from . import ipi, percpu, sched, target
from .target import Problem

SELF_MAGIC_NAME = "PERCPU_SELF_MAGIC"
SELF_MAGIC_DEFAULT = 0x50435055  # "PCPU", pinned in percpu.h
NO_HOLDER = 0xFFFFFFFF
FRAMES_SEARCHED = 24


def self_magic() -> int:
    try:
        return int(gdb.parse_and_eval(SELF_MAGIC_NAME))
    except gdb.error:
        return SELF_MAGIC_DEFAULT


def in_function(hart: target.Hart, name: str) -> bool:
    """True if `name` is on hart's call stack (newest FRAMES_SEARCHED frames)."""
    with target.selected_thread(hart.thread):
        frame = gdb.newest_frame()
        for _ in range(FRAMES_SEARCHED):
            if frame is None:
                return False
            if frame.name() == name:
                return True
            try:
                frame = frame.older()
            except gdb.error:
                return False
    return False


class Checker:
    def __init__(self):
        self.problems: list[str] = []
        self.harts = [h for h in target.harts() if h.area]
        self.sie = {h.hart: bool(h.register("sstatus") & target.SSTATUS_SIE) for h in self.harts}

    def report(self, text: str) -> None:
        self.problems.append(text)

    # ---- areas and stamps ----

    def check_areas(self) -> None:
        self_type = target.lookup_type("struct percpu_hart_self")
        offset = target.tls_offset("percpu__self")
        audited = target.has_field(self_type, "magic")
        for hart in self.harts:
            if hart.tp and hart.tp != hart.area:
                self.report(f"area: hart {hart.hart}: tp={hart.tp:#x} but hart_area[{hart.hart}]={hart.area:#x}")
            if offset is None or hart.tp == 0:
                continue
            block = target.value_at(hart.area + offset, self_type)
            if int(block["hart"]) != hart.hart:
                self.report(f"area: hart {hart.hart}: percpu__self.hart is {int(block['hart'])}")
            if audited:
                if int(block["magic"]) != self_magic():
                    self.report(f"area: hart {hart.hart}: percpu__self.magic is {int(block['magic']):#x}")
                if target.u64(block["base"]) != hart.area:
                    self.report(f"area: hart {hart.hart}: percpu__self.base is {target.u64(block['base']):#x}, "
                                f"area is {hart.area:#x}")

    def check_stamps(self) -> None:
        magic = percpu.stamp_magic()
        for name in percpu.variable_names():
            variable = percpu.PerCpuVar(name, "neuron check")
            if not variable.audited:
                return  # release build: no stamps
            for hart in self.harts:
                problem = variable.stamp(hart).problem(hart.hart, magic)
                if problem:
                    self.report(f"stamp: {name} on hart {hart.hart}: {problem}")

    # ---- scheduler ----

    def check_runqueues(self) -> None:
        pool = sched.pool_range()
        pool_start, task_size, pool_count = pool if pool else (0, 0, 0)
        where: dict[int, str] = {}
        currents: dict[int, int] = {}
        for hart in self.harts:
            current = sched.current_task(hart)
            if current is not None and target.u64(current):
                currents[target.u64(current)] = hart.hart
        for hart in self.harts:
            rq = sched.runqueue(hart, "neuron check")
            label = f"runq: hart {hart.hart}"
            if rq.head >= rq.capacity:
                self.report(f"{label}: head {rq.head} >= capacity {rq.capacity}")
                continue
            if rq.count > rq.capacity:
                self.report(f"{label}: count {rq.count} > capacity {rq.capacity}")
                continue
            for position, pointer in enumerate(rq.queued()):
                address = target.u64(pointer)
                at = f"{label} [{position}]"
                if pool and not (pool_start <= address < pool_start + task_size * pool_count
                                 and (address - pool_start) % task_size == 0):
                    self.report(f"{at}: {address:#x} is not a task of the pool")
                    continue
                task = pointer.dereference()
                state = sched.task_state_name(task)
                if state != "RUNNABLE":
                    self.report(f"{at}: task {int(task['id'])} is {state}, not RUNNABLE")
                if address in where:
                    self.report(f"{at}: task {int(task['id'])} also queued at {where[address]}")
                where[address] = at
                if address in currents:
                    self.report(f"{at}: task {int(task['id'])} is also running on hart {currents[address]}")
                pinned = int(task["pinned_hart"])
                if pinned != sched.TASK_ANY_HART and pinned != hart.hart:
                    self.report(f"{at}: task {int(task['id'])} is pinned to hart {pinned}")
        if pool:
            self.check_counts(where)

    def check_counts(self, queued: dict[int, str]) -> None:
        """`queued`: address of every distinct pool task found in a runqueue."""
        pool = sched.task_pool()
        low, high = pool.type.range()
        states = [sched.task_state_name(pool[i]) for i in range(low, high + 1)]
        in_use = sum(state != "FREE" for state in states)
        free_count = target.lookup_global("free_count") if target.has_symbol("free_count") else None
        if free_count is not None and in_use != len(states) - int(free_count):
            self.report(f"counts: {in_use} pool tasks in use but free_count={int(free_count)} "
                        f"(pool size {len(states)})")
        runnable = [i for i, state in enumerate(states) if state == "RUNNABLE"]
        unqueued = [i for i in runnable if int(pool[i].address) not in queued]
        in_flight = sum(in_function(h, "run_phase") for h in self.harts)
        if len(unqueued) > in_flight:
            ids = ", ".join(str(int(pool[i]["id"])) for i in unqueued[:8])
            self.report(f"counts: {len(runnable)} RUNNABLE tasks but {len(queued)} queued "
                        f"(not in any runqueue: task {ids}{' ...' if len(unqueued) > 8 else ''})")

    def check_mailboxes(self) -> None:
        kinds = ipi.kind_count()
        for hart in self.harts:
            box = ipi.mailbox(hart, "neuron check")
            label = f"mailbox: hart {hart.hart}"
            if box.head >= box.capacity or box.count > box.capacity:
                self.report(f"{label}: head {box.head} count {box.count} outside capacity {box.capacity}")
                continue
            previous = None
            for position, message in enumerate(box.queued()):
                kind, seq = int(message["kind"]), int(message["seq"])
                if kinds is not None and kind >= kinds:
                    self.report(f"{label} [{position}]: unknown kind {kind}")
                if previous is not None and seq != (previous + 1) & 0xFFFFFFFF:
                    self.report(f"{label} [{position}]: seq {seq} after {previous}")
                previous = seq
            # A post takes ++next_seq: the newest queued message carries next_seq.
            if previous is not None and previous != int(box.value["next_seq"]):
                self.report(f"{label}: newest seq {previous} but next_seq {int(box.value['next_seq'])}")

    # ---- locks ----

    def check_lock(self, lock: gdb.Value, name: str) -> None:
        locked = int(lock["locked"])
        audited = target.has_field(lock.type, "holder")
        holder = int(lock["holder"]) if audited else None
        if locked:
            if not any(not on for on in self.sie.values()):
                self.report(f"lock: {name} is held but every hart has interrupts on")
            elif audited:
                if holder not in self.sie:
                    self.report(f"lock: {name} is held by {'no hart' if holder == NO_HOLDER else f'hart {holder}'}"
                                " (not a present hart)")
                elif self.sie[holder]:
                    self.report(f"lock: {name} is held by hart {holder}, which has interrupts on")
        elif audited and holder != NO_HOLDER:
            self.report(f"lock: {name} is free but records holder hart {holder}")

    def check_locks(self) -> None:
        for hart in self.harts:
            if sched.has_scheduler():
                self.check_lock(sched.runqueue(hart, "neuron check").value["lock"],
                                f"runqueues.lock of hart {hart.hart}")
            if target.tls_offset(target.STORAGE_PREFIX + ipi.MAILBOXES) is not None:
                self.check_lock(ipi.mailbox(hart, "neuron check").value["lock"],
                                f"ipi_mailboxes.lock of hart {hart.hart}")

    def check_audit_counters(self) -> None:
        for symbol in gdb.lookup_static_symbols("violation_count"):
            if symbol.symtab and symbol.symtab.filename.endswith("percpu_audit.c"):
                count = int(symbol.value())
                if count:
                    self.report(f"audit: the PerCpu audit recorded {count} violation(s)")

    def run(self) -> list[str]:
        if not self.harts:
            raise Problem("no hart has a per-hart area yet (stopped before percpu_areas_init?)")
        self.check_areas()
        self.check_stamps()
        if sched.has_scheduler():
            self.check_runqueues()
        if target.tls_offset(target.STORAGE_PREFIX + ipi.MAILBOXES) is not None:
            self.check_mailboxes()
        self.check_locks()
        self.check_audit_counters()
        return self.problems


class CheckCommand(gdb.Command):
    """Check the invariants of the halted machine; one line per problem,
"neuron check: ok" when there is none.

Usage: neuron check"""

    def __init__(self):
        super().__init__("neuron check", gdb.COMMAND_STATUS)

    @target.command_errors("neuron check")
    def invoke(self, argument: str, from_tty: bool) -> None:
        if argument.strip():
            raise Problem("usage: neuron check (no arguments)")
        problems = Checker().run()
        for problem in problems:
            gdb.write(f"neuron check: {problem}\n")
        if problems:
            gdb.write(f"neuron check: {len(problems)} problem(s)\n")
        else:
            gdb.write("neuron check: ok\n")


def register() -> None:
    CheckCommand()
