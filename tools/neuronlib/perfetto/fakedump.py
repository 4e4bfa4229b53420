"""In-memory dumps with the interface of tracefmt.dump.Dump, for tests and
for measuring the converter.

`scenario(...)` simulates a small scheduler run (tasks switching, waking,
stealing, IPIs between harts, remote accesses, violations, lost records)
and returns it together with the true counts. `stream(...)` produces a
regular pattern lazily, so that a 10 M-record dump costs no memory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import records as R

TIMEBASE_HZ = 10_000_000


@dataclass
class FakeRing:
    hart: int
    produced: int
    dropped: int
    kept: int
    records: object  # iterable of (seq64, type, b, h, w, time64)


@dataclass
class FakeVar:
    name: str
    lock: str


@dataclass
class FakeSite:
    file: str
    line: int
    function: str
    kind: str
    reason: str
    var: str
    note: str = ""


@dataclass
class FakeTables:
    vars: list
    sites: list


@dataclass
class FakeDump:
    harts: list
    tables: object = None
    version: int = 1
    timebase_hz: int = TIMEBASE_HZ
    mode: str = "overwrite"
    capacity: int = 1 << 16


@dataclass
class Truth:
    """What a correct converter must find in the trace of a scenario()."""
    remote: dict = field(default_factory=dict)      # (var name, kind) -> count
    steals: dict = field(default_factory=dict)      # (thief, victim) -> steals begun
    tasks_taken: dict = field(default_factory=dict)  # (thief, victim) -> tasks
    ipis: dict = field(default_factory=dict)        # kind name -> handled count
    violations: int = 0
    drops: dict = field(default_factory=dict)       # hart -> dropped records


def tables() -> FakeTables:
    variables = [FakeVar("runq", "runq_lock"), FakeVar("mailbox", "mailbox_lock"),
                 FakeVar("stats", "")]
    sites = [FakeSite("kernel/sched/sched.c", 120, "steal_from", "remote_read", "LOCKED", "runq"),
             FakeSite("kernel/sched/ipi.c", 44, "ipi_post", "remote_write", "LOCKED", "mailbox"),
             FakeSite("kernel/sched/sched.c", 300, "sched_stats", "remote_read", "QUIESCENT", "stats")]
    return FakeTables(variables, sites)


def scenario(seed: int = 1, harts: int = 4, steps: int = 2000, drop_every: int = 0,
             lose_first: int = 0, with_tables: bool = True) -> tuple[FakeDump, Truth]:
    """A seeded simulated run. drop_every > 0 loses every n-th record of hart 1
    (seq gap); lose_first drops the oldest records of hart 0 (overwritten)."""
    rng = random.Random(seed)
    events = []  # (time, hart, order, type, b, h, w)
    order = 0
    truth = Truth()

    def put(time, hart, kind, b=0, h=0, w=0):
        nonlocal order
        events.append((time, hart, order, kind, b, h, w))
        order += 1

    running: dict[int, int | None] = {hart: None for hart in range(harts)}
    queues: dict[int, list[int]] = {hart: [] for hart in range(harts)}
    next_task = 0
    steal_ids = [0] * harts
    stealing_until = [0] * harts  # a hart steals once at a time
    ipi_ids = [0] * harts
    var_names = ["runq", "mailbox", "stats"]
    kinds = ["remote_read", "remote_write", "remote_read"]
    time = 1000
    for hart in range(harts):
        put(time, hart, R.MARK, h=1)
    for _ in range(steps):
        time += rng.randint(1, 20)
        hart = rng.randrange(harts)
        action = rng.random()
        if action < 0.15:
            task = next_task
            next_task += 1
            put(time, hart, R.TASK_NEW, b=hart, w=task)
            queues[hart].append(task)
            put(time, hart, R.RUNQ_LEN, h=len(queues[hart]))
        elif action < 0.40:
            prev = running[hart]
            if not queues[hart] and prev is None:
                continue
            state = rng.choice([R.TASK_RUNNABLE, R.TASK_BLOCKED, R.TASK_DONE])
            if prev is not None and state == R.TASK_RUNNABLE:
                queues[hart].append(prev)
            nxt = queues[hart].pop(0) if queues[hart] else R.IDLE_TASK
            put(time, hart, R.SWITCH, b=R.TASK_IDLE if prev is None else state,
                h=0 if prev is None else prev, w=nxt)
            running[hart] = None if nxt == R.IDLE_TASK else nxt
            if state == R.TASK_BLOCKED and prev is not None:
                target = rng.randrange(harts)
                put(time + 3, hart, R.WAKEUP, b=target, w=prev)
                queues[target].append(prev)
            put(time, hart, R.RUNQ_LEN, h=len(queues[hart]))
        elif action < 0.55 and harts > 1 and stealing_until[hart] < time:
            stealing_until[hart] = time + 2
            victim = rng.choice([v for v in range(harts) if v != hart])
            steal_id = steal_ids[hart]
            steal_ids[hart] += 1
            taken = min(len(queues[victim]), rng.randint(0, 2))
            for _ in range(taken):
                queues[hart].append(queues[victim].pop())
            put(time, hart, R.STEAL_BEGIN, b=victim, w=steal_id)
            put(time + 2, hart, R.STEAL_END, b=victim, h=taken, w=steal_id)
            truth.steals[(hart, victim)] = truth.steals.get((hart, victim), 0) + 1
            truth.tasks_taken[(hart, victim)] = truth.tasks_taken.get((hart, victim), 0) + taken
        elif action < 0.70 and harts > 1:
            target = rng.choice([v for v in range(harts) if v != hart])
            kind = rng.randrange(3)
            ipi_id = ipi_ids[hart]
            ipi_ids[hart] += 1
            put(time, hart, R.IPI_SEND, b=target, h=kind, w=ipi_id)
            put(time + rng.randint(1, 5), target, R.IPI_RECV, b=hart, h=kind, w=ipi_id)
            put(time + rng.randint(6, 12), target, R.IPI_HANDLED, b=hart, h=kind, w=ipi_id)
            name = R.ipi_kind_name(kind)
            truth.ipis[name] = truth.ipis.get(name, 0) + 1
        elif action < 0.97:
            owner = rng.randrange(harts)
            var = rng.randrange(3)
            put(time, hart, R.REMOTE, b=owner, h=var, w=var)
            key = (var_names[var], kinds[var])
            truth.remote[key] = truth.remote.get(key, 0) + 1
        else:
            what = rng.choice([0, 5, 6])
            put(time, hart, R.VIOLATION, b=rng.randrange(harts), h=0, w=0 | (what << R.VIOLATION_SITE_BITS))
            truth.violations += 1
    end = time + 100
    for hart in range(harts):
        put(end, hart, R.MARK, h=2)
    events.sort()

    per_hart: dict[int, list[tuple[int, int, int, int, int]]] = {hart: [] for hart in range(harts)}
    for time, hart, _, kind, b, h, w in events:
        per_hart[hart].append((kind, b, h, w, time))
    rings = []
    lost: dict[int, set[int]] = {hart: set() for hart in range(harts)}
    for hart, recs in per_hart.items():
        produced = len(recs)
        kept_records = []
        for seq, (kind, b, h, w, time) in enumerate(recs):
            if hart == 0 and seq < lose_first:
                lost[hart].add(seq)
                continue
            if hart == 1 and drop_every and seq % drop_every == drop_every - 1:
                lost[hart].add(seq)
                continue
            kept_records.append((seq, kind, b, h, w, time))
        rings.append(FakeRing(hart, produced, produced - len(kept_records), len(kept_records),
                              kept_records))
        truth.drops[hart] = produced - len(kept_records)
    if any(lost.values()):
        _recount(truth, rings)
    return FakeDump(rings, tables() if with_tables else None), truth


def _recount(truth: Truth, rings) -> None:
    """With lost records the truth is what survived: count from the kept records."""
    names = ["runq", "mailbox", "stats"]
    kinds = ["remote_read", "remote_write", "remote_read"]
    truth.remote, truth.steals, truth.tasks_taken, truth.ipis = {}, {}, {}, {}
    truth.violations = 0
    for ring in rings:
        begun: set[tuple[int, int]] = set()
        for seq, kind, b, h, w, time in ring.records:
            if kind == R.REMOTE:
                key = (names[h], kinds[w])
                truth.remote[key] = truth.remote.get(key, 0) + 1
            elif kind == R.VIOLATION:
                truth.violations += 1
            elif kind == R.STEAL_BEGIN:
                begun = {(b, w)}
                key = (ring.hart, b)
                truth.steals[key] = truth.steals.get(key, 0) + 1
            elif kind == R.STEAL_END and (b, w) in begun:
                key = (ring.hart, b)
                truth.tasks_taken[key] = truth.tasks_taken.get(key, 0) + h
                begun = set()
            elif kind == R.IPI_HANDLED:
                name = R.ipi_kind_name(h)
                truth.ipis[name] = truth.ipis.get(name, 0) + 1


def _pattern(hart: int, harts: int, count: int):
    """Lazily: a fixed cycle of record types, IPIs matched with neighbours."""
    sender = (hart - 1) % harts
    time = 1000
    seq = 0
    step = 0
    while seq < count:
        time += 10
        phase = step % 8
        if phase == 0:
            out = (R.IPI_SEND, (hart + 1) % harts, 0, step & 0xFFFFFF)
        elif phase == 1:
            out = (R.IPI_RECV, sender, 0, (step - 1) & 0xFFFFFF)
        elif phase == 2:
            out = (R.IPI_HANDLED, sender, 0, (step - 2) & 0xFFFFFF)
        elif phase == 3:
            out = (R.STEAL_BEGIN, (hart + 1) % harts, 0, step & 0xFFFFFF)
        elif phase == 4:
            out = (R.STEAL_END, (hart + 1) % harts, 1, (step - 1) & 0xFFFFFF)
        elif phase == 5:
            out = (R.RUNQ_LEN, 0, step % 5, 0)
        else:
            out = (R.REMOTE, (hart + 1) % harts, step % 3, step % 3)
        yield (seq, out[0], out[1], out[2], out[3], time)
        seq += 1
        step += 1


class _Lazy:
    def __init__(self, hart, harts, count):
        self.args = (hart, harts, count)

    def __iter__(self):
        return _pattern(*self.args)


def stream(harts: int = 4, records: int = 1_000_000) -> FakeDump:
    """A dump of `records` records in total whose records are generated on iteration."""
    per = records // harts
    rings = [FakeRing(h, per, 0, per, _Lazy(h, harts, per)) for h in range(harts)]
    return FakeDump(rings, tables())
