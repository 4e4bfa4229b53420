"""`neuron check`: invariants of a halted machine, one line per problem.

  area     tp equals the kernel's hart_area[hart]; the wrapper's self block
           names its own hart (audit: its magic and base too)
  stamps   (audit) every per-CPU instance is stamped for the hart whose area
           holds it
  runq     head and count within capacity; every queued pointer is a pool
           task, RUNNABLE, queued once, not running anywhere; a pinned task
           only on its own hart; every hart's current task is a pool task
  task     every pool task's state is one of enum task_state
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

Each invariant holds only outside the windows in which the kernel itself
breaks it for a moment. `neuron check` finds those windows by looking at
where each hart is (its whole stack, inlined functions and interrupted
code included, through unwind.py), never by guessing:

  boot     nothing of a part is checked before boot_stage says it was
           initialised (areas: AREAS; stamps, runqueues, mailboxes, locks,
           task pool: SCHED); a hart's own self block only once it is online
  lock     a lock locked with no holder, or free with one, while some hart
           is inside spin__lock or spin__unlock (or their _as forms, which
           the scoped borrows call directly; the holder is written just
           after the lock word, and cleared just before)
  queue    a runqueue or mailbox whose lock is held is mid-update: its
           contents are not checked
  task     a RUNNABLE task in no runqueue is in flight while some hart is
           in one of IN_FLIGHT (popped and being dispatched, being
           spawned, woken, stolen or requeued): one per such hart
  unknown  a hart in firmware (its kernel frames are behind OpenSBI's trap
           frame) or whose stack cannot be read back to where kernel stacks
           begin (STACK_ROOTS) counts as being in every window (said in a
           note line, not as a problem)
"""

from __future__ import annotations

from typing import Callable, Iterator

import gdb

from . import fifo, ipi, percpu, sched, target
from .command import neuron_command

SELF_MAGIC_NAME = "PERCPU_SELF_MAGIC"
SELF_MAGIC_DEFAULT = 0x50435055  # "PCPU", pinned in percpu.h
NO_HOLDER = 0xFFFFFFFF
FRAMES_SEARCHED = 48
# Functions inside which a RUNNABLE task may be in no runqueue.
IN_FLIGHT = frozenset({"run_phase", "dispatch", "sched_spawn", "reap_and_wake", "try_steal",
                       "enqueue_on", "sched_yield", "sched_block", "sched_migrate",
                       "sched_preempt_from_trap", "switch_out", "sched_switch", "task_alloc"})
LOCK_WINDOWS = frozenset({"spin__lock", "spin__lock_as", "spin__unlock", "spin__unlock_as"})


def self_magic() -> int:
    try:
        return int(gdb.parse_and_eval(SELF_MAGIC_NAME))
    except gdb.error:
        return SELF_MAGIC_DEFAULT


# Where every kernel stack begins: a stack whose unwinding ends anywhere
# else was cut short (code gdb cannot unwind, such as sched_switch between
# its two halves), and is not known.
STACK_ROOTS = frozenset({"cold_boot", "_start", "secondary_entry", "task_trampoline"})


def stack_names(hart: target.Hart) -> set[str] | None:
    """Every function on hart's stack, inlined ones included; None when
    the stack cannot be read to one of STACK_ROOTS."""
    names: set[str] = set()
    if hart.priv == target.PRIV_MACHINE:
        # In firmware: the kernel's frames are behind OpenSBI's own trap
        # frame, whose layout is OpenSBI's to change. Unknown, not guessed.
        return None
    with target.selected_thread(hart.thread):
        try:
            frame, last = gdb.newest_frame(), None
            for _ in range(FRAMES_SEARCHED):
                if frame is None:
                    return names if last in STACK_ROOTS else None
                last = frame.name()
                if last:
                    names.add(last)
                frame = frame.older()
        except gdb.error:
            return None
    return None


class Checker:
    def __init__(self):
        target.lookup_type("struct percpu_hart_self")  # one line if there is no debug info
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.queues_mid_update = 0
        self.harts = [h for h in target.harts() if h.area]
        self.sie = {h.hart: bool(h.register("sstatus") & target.SSTATUS_SIE) for h in self.harts}
        self.stacks = {h.hart: stack_names(h) for h in self.harts}
        for hart, names in self.stacks.items():
            if names is None:
                self.notes.append(f"hart {hart}: kernel stack unknown (in firmware, or unreadable "
                                  "to its end); taken to be inside every window")

    def inside(self, hart: int, functions: frozenset) -> bool:
        names = self.stacks.get(hart)
        return names is None or not names.isdisjoint(functions)

    def harts_inside(self, functions: frozenset) -> int:
        return sum(self.inside(h.hart, functions) for h in self.harts)

    def report(self, text: str) -> None:
        self.problems.append(text)

    # ---- areas and stamps ----

    def check_areas(self) -> None:
        self_type = target.lookup_type("struct percpu_hart_self")
        offset = target.tls_offset("percpu__self")
        audited = target.has_field(self_type, "magic")
        for hart in self.harts:
            if not hart.in_kernel:
                continue  # firmware's tp, or not attached yet
            if hart.tp != hart.area:
                self.report(f"area: hart {hart.hart}: tp={hart.tp:#x} but hart_area[{hart.hart}]={hart.area:#x}")
            if offset is None:
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
        where: dict[int, str] = {}     # every queued address, for the counts
        checked: dict[int, str] = {}   # those of queues not mid-update: the duplicates
        currents: dict[int, int] = {}
        for hart in self.harts:
            current = sched.current_task(hart)
            if current is not None and target.u64(current):
                address = target.u64(current)
                problem = sched.not_a_task(address)
                if problem:
                    self.report(f"current: hart {hart.hart}: sched_cpu.current {address:#x} is {problem}")
                    continue
                currents[address] = hart.hart
        for hart, rq, label, mid_update in self.whole_rings("runq", sched.runqueue,
                                                            lambda rq: str(rq.problem())):
            self.queues_mid_update += mid_update
            for position, pointer in enumerate(rq.queued()):
                address = target.u64(pointer)
                at = f"{label} [{position}]"
                if mid_update:
                    where.setdefault(address, at)  # for the counts; not checked
                    continue
                if pool and not (pool_start <= address < pool_start + task_size * pool_count
                                 and (address - pool_start) % task_size == 0):
                    self.report(f"{at}: {address:#x} is not a task of the pool")
                    continue
                task = pointer.dereference()
                state = sched.task_state_name(task)
                if state != "RUNNABLE":
                    self.report(f"{at}: task {int(task['id'])} is {state}, not RUNNABLE")
                # Only against queues whose contents are checked: a queue
                # mid-update may still show a slot it has just given up
                # (the task already pushed elsewhere), in either order.
                if address in checked:
                    self.report(f"{at}: task {int(task['id'])} also queued at {checked[address]}")
                checked[address] = at
                where.setdefault(address, at)
                if address in currents:
                    self.report(f"{at}: task {int(task['id'])} is also running on hart {currents[address]}")
                pinned = int(task["pinned_hart"])
                if pinned != sched.TASK_ANY_HART and pinned != hart.hart:
                    self.report(f"{at}: task {int(task['id'])} is pinned to hart {pinned}")
        if pool:
            self.check_counts(where)

    def whole_rings(self, what: str, view_of: Callable[[target.Hart, str], fifo.FifoView],
                    broken: Callable[[fifo.FifoView], str]
                    ) -> Iterator[tuple[target.Hart, fifo.FifoView, str, bool]]:
        """Each hart's ring (runqueue or mailbox) whose head and count fit,
        with its label and whether its lock is held (mid-update); the
        others reported as `WHAT: hart N: broken(view)`."""
        for hart in self.harts:
            view = view_of(hart, "neuron check")
            label = f"{what}: hart {hart.hart}"
            if view.problem():
                self.report(f"{label}: {broken(view)}")
                continue
            yield hart, view, label, bool(int(view.value["lock"]["locked"]))

    def check_counts(self, queued: dict[int, str]) -> None:
        """`queued`: address of every distinct pool task found in a runqueue."""
        pool = sched.task_pool()
        low, high = pool.type.range()
        states = [sched.task_state_name(pool[i]) for i in range(low, high + 1)]
        for i, state in enumerate(states):
            if "IMPOSSIBLE" in state:
                self.report(f"task: pool[{i}] (task {int(pool[i]['id'])}) has state {int(pool[i]['state'])}, "
                            "which enum task_state does not have")
        in_use = sum(state != "FREE" for state in states)
        free_count = target.lookup_global("free_count") if target.has_symbol("free_count") else None
        pool_busy = self.harts_inside(frozenset({"task_alloc", "task_free", "task_pool_reset"}))
        if free_count is not None and not pool_busy and in_use != len(states) - int(free_count):
            self.report(f"counts: {in_use} pool tasks in use but free_count={int(free_count)} "
                        f"(pool size {len(states)})")
        runnable = [i for i, state in enumerate(states) if state == "RUNNABLE"]
        unqueued = [i for i in runnable if int(pool[i].address) not in queued]
        # A queue under its lock may hold one task more or less than it shows.
        in_flight = self.harts_inside(IN_FLIGHT) + self.queues_mid_update
        if len(unqueued) > in_flight:
            ids = ", ".join(str(int(pool[i]["id"])) for i in unqueued[:8])
            self.report(f"counts: {len(runnable)} RUNNABLE tasks but {len(queued)} queued "
                        f"(not in any runqueue: task {ids}{' ...' if len(unqueued) > 8 else ''})")

    def check_mailboxes(self) -> None:
        kinds = ipi.kind_count()
        for _, box, label, locked in self.whole_rings(
                "mailbox", ipi.mailbox,
                lambda box: f"head {box.head} count {box.count} outside capacity {box.capacity}"):
            if locked:
                continue  # a post or a drain is under way
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
        in_window = self.harts_inside(LOCK_WINDOWS) > 0
        if locked:
            if not any(not on for on in self.sie.values()):
                self.report(f"lock: {name} is held but every hart has interrupts on")
            elif audited and holder == NO_HOLDER and in_window:
                pass  # taken, holder about to be written (or just cleared)
            elif audited:
                if holder not in self.sie:
                    self.report(f"lock: {name} is held by {'no hart' if holder == NO_HOLDER else f'hart {holder}'}"
                                " (not a present hart)")
                elif self.sie[holder]:
                    self.report(f"lock: {name} is held by hart {holder}, which has interrupts on")
        elif audited and holder != NO_HOLDER and not in_window:
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
            self.notes.append(f"the per-hart areas do not exist yet (boot stage "
                              f"{target.boot_stage()}): nothing to check")
            return self.problems
        self.check_areas()
        if not target.boot_reached("SCHED"):
            self.notes.append(f"boot stage {target.boot_stage()}: stamps, runqueues, mailboxes, "
                              "locks and the task pool are not set up yet; not checked")
            self.check_audit_counters()
            return self.problems
        self.check_stamps()
        if sched.has_scheduler():
            self.check_runqueues()
        if target.tls_offset(target.STORAGE_PREFIX + ipi.MAILBOXES) is not None:
            self.check_mailboxes()
        self.check_locks()
        self.check_audit_counters()
        return self.problems


@neuron_command("check", gdb.COMMAND_STATUS)
def check_command(argument: str) -> None:
    """Check the invariants of the halted machine; one line per problem,
"neuron check: ok" when there is none."""
    checker = Checker()
    problems = checker.run()
    for note in checker.notes:
        gdb.write(f"neuron check: note: {note}\n")
    for problem in problems:
        gdb.write(f"neuron check: {problem}\n")
    if problems:
        gdb.write(f"neuron check: {len(problems)} problem(s)\n")
    else:
        gdb.write("neuron check: ok\n")


def register() -> None:
    check_command()
