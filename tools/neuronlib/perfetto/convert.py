"""Dump -> Perfetto trace (.pftrace), streaming.

What the trace shows (docs/reviewing-traces.md):
  - CPU tracks and thread states from GenericKernelTaskStateEvent packets
    (cpu = hart, tid = task id + TID_OFFSET), built from SWITCH, WAKEUP
    and TASK_NEW;
  - a track per hart: remote accesses (instants), steals (slices, with a
    flow from an instant on the victim's track), IPIs (instants chained by
    a flow send -> received -> handled), scenario marks;
  - per hart: an idle track and counters for runqueue length and drops;
  - a violations track.

Layout of the file: the track descriptors on sequence 1, then every
event in time order (a k-way merge of the hart rings). Hart h writes on
sequence FIRST_HART_SEQUENCE + h, whose first packet clears incremental
state, declares an incremental clock in timer ticks and sets it as the
default; names are interned on first use. Memory stays flat: the only
buffer is a bounded window that decides whether an IPI send gets a flow
(it does when its receive or handled record shows up within the window).

Two loops, one product. The C loop (fastconv.c through fastpath.py) is
what converts every dump file: it is several times faster (docs/benchmarks.md, converter table) and long drained runs
need it. This loop is its oracle (tests/tools/test_perfetto_fastpath.py
asserts the same bytes on every synthetic and damaged dump) and the one
place that salvages: --salvage keeps going past damage that the C loop
refuses, and that resynchronising logic is kept once, here, rather than
twice. It also runs when no C compiler is present. Both dispatch on the
record type from one table (_HANDLERS here, record() there) of the types
that have a drawing of their own; every other type of trace_contract.h
is drawn generically (_generic: an instant named after the type, b, h
and w as arguments), so a new type needs no converter code until it
wants a better picture. The two tables name the same types
(tests/tools/test_contract.py) and every type converts to the same bytes
in both loops (tests/tools/test_perfetto_fastpath.py).
"""

from __future__ import annotations

import heapq
import sys
import time as wallclock
from collections import deque

from . import fastpath
from . import records as R
from . import schema as S
from . import wire
from .tables import Names
from .wire import boolean, message, string, uint, varint

TID_OFFSET = 1000
DESCRIPTOR_SEQUENCE = 1
FIRST_HART_SEQUENCE = 2
INCREMENTAL_CLOCK = 64

ROOT_TRACK = 1
VIOLATIONS_TRACK = 2
HART_TRACK = 0x1000
RUNQ_TRACK = 0x2000
DROPS_TRACK = 0x3000
IDLE_TRACK = 0x4000

# Flow ids are written as varints (TrackEvent.flow_ids_old): kept small,
# the low bit tells steals (0) from IPIs (1), then the hart, then the id.
FLOW_KIND_BITS = 1
FLOW_HART_BITS = 8

# How many packets an IPI send may wait for its receiver before it is
# written without a flow (its receive and handled records were lost).
IPI_FLOW_WINDOW = 1 << 16
_FLUSH_AT = 4096
_MAX_PENDING_IPIS = 1 << 16


def hart_track(hart: int) -> int:
    return HART_TRACK + hart


def steal_flow_id(thief: int, seq64: int) -> int:
    """Precondition: thief < 256 (NEURON_MAX_HARTS); seq64 the BEGIN record's sequence."""
    return ((seq64 << FLOW_HART_BITS | thief) << FLOW_KIND_BITS) | 0


def ipi_flow_id(sender: int, ipi_id: int) -> int:
    """Precondition: sender < 256."""
    return ((ipi_id << FLOW_HART_BITS | sender) << FLOW_KIND_BITS) | 1


def ipi_name(kind: str, sender: int, target: int, verb: str) -> str:
    """`ipi KIND S->T VERB`: sender and target harts folded into the interned name."""
    return f"ipi {kind} {sender}->{target} {verb}"


def remote_name(variable: str, kind: str, owner: int, lock: str, reason: str) -> str:
    """The interned name of a remote access instant: every per-site and
    per-variable argument folded in (readback.unfold_name undoes it)."""
    return f"{variable} {kind or '-'} from hart {owner} ({lock or '-'}; {reason or '-'})"


# SWITCH's previous-task state -> the Perfetto task state it leaves.
_LEFT_IN_STATE = {R.TASK_RUNNABLE: S.TASK_RUNNABLE, R.TASK_BLOCKED: S.TASK_SLEEPING,
                  R.TASK_DONE: S.TASK_DEAD}


class ConvertError(Exception):
    """Input the converter cannot turn into a trace; str() is one line."""


def _timebase(hz: int) -> tuple[int, int]:
    """(unit_multiplier_ns, ticks -> clock units factor numerator) for a timebase.

    Precondition: hz > 0. A timebase dividing 1 GHz keeps ticks as the
    unit (100 ns at 10 MHz); any other is converted to nanoseconds.
    """
    if 1_000_000_000 % hz == 0:
        return 1_000_000_000 // hz, 1
    return 1, 0


class _Sequence:
    """One trusted_packet_sequence_id: its clock, interning and header bytes."""

    def __init__(self, sequence_id: int, default_track: int):
        # Only the first packet carries sequence_flags (it clears the state);
        # later ones rely on it without repeating SEQ_NEEDS_INCREMENTAL_STATE.
        self.header = uint(10, sequence_id)
        self.sequence_id = sequence_id
        self.default_track = default_track   # TrackEventDefaults.track_uuid
        self.last = 0
        self.names: dict[str, int] = {}
        self.categories: dict[str, int] = {}
        self.arg_names: dict[str, int] = {}
        self.sources: dict[tuple, int] = {}
        self.new_interned: list[bytes] = []

    def _iid(self, table: dict, field: int, text: str) -> int:
        iid = table.get(text)
        if iid is None:
            iid = len(table) + 1
            table[text] = iid
            self.new_interned.append(message(field, uint(1, iid) + string(2, text)))
        return iid

    def name(self, text: str) -> int:
        return self._iid(self.names, 2, text)

    def category(self, text: str) -> int:
        return self._iid(self.categories, 1, text)

    def arg(self, text: str) -> int:
        return self._iid(self.arg_names, 3, text)

    def source(self, file: str, function: str, line: int) -> int:
        """An interned SourceLocation (InternedData field 4)."""
        key = (file, function, line)
        iid = self.sources.get(key)
        if iid is None:
            iid = len(self.sources) + 1
            self.sources[key] = iid
            body = uint(1, iid) + string(2, file) + string(3, function) + uint(4, line)
            self.new_interned.append(message(4, body))
        return iid

    def take_interned(self) -> bytes:
        if not self.new_interned:
            return b""
        entries = sorted(self.new_interned, key=lambda entry: entry[0])  # by table field
        self.new_interned = []
        return message(12, b"".join(entries))


class _HeldSend:
    """An IPI send packet whose flow is decided when its receiver shows up."""

    __slots__ = ("prefix", "event", "flow_id", "flow", "time", "key")

    def __init__(self, prefix: bytes, event: bytes, flow_id: int, time: int, key: tuple):
        self.key = key
        self.prefix = prefix
        self.event = event
        self.flow_id = flow_id
        self.flow: bool | None = None  # None: undecided, True / False once decided
        self.time = time

    def render(self) -> bytes:
        event = self.event + uint(36, self.flow_id) if self.flow else self.event
        body = self.prefix + message(11, event)
        return b"\x0a" + varint(len(body)) + body


def _annotation(seq: _Sequence, name: str, value) -> bytes:
    head = uint(1, seq.arg(name))
    if isinstance(value, bool):
        return message(4, head + boolean(2, value))
    if isinstance(value, int):
        return message(4, head + (uint(3, value) if value >= 0 else uint(4, value)))
    return message(4, head + string(6, str(value)))


def _arg_head(seq: _Sequence, name: str) -> bytes:
    """DebugAnnotation.name_iid for `name`, to put before a value with _uint_arg."""
    return b"\x08" + varint(seq.arg(name))


def _uint_arg(head: bytes, value: int) -> bytes:
    """A DebugAnnotation {name_iid, uint_value} as TrackEvent field 4.

    Precondition: 0 <= value < 2**64 and head from _arg_head (short)."""
    body = head + b"\x18" + varint(value)
    return b"\x22" + varint(len(body)) + body


def _track_event(body: bytes) -> bytes:
    return b"\x5a" + varint(len(body)) + body


def _event(seq: _Sequence, kind: int, track: int, name: str, category: str, args=(),
           source: int | None = None) -> bytes:
    """A TrackEvent body (without flows), interning its strings on seq.
    The track is left to the sequence's default when it is that one."""
    body = [uint(9, kind)]
    if track != seq.default_track:
        body.append(uint(11, track))
    body += [uint(10, seq.name(name)), uint(3, seq.category(category))]
    if source is not None:
        body.append(uint(34, source))
    body.extend(_annotation(seq, arg, value) for arg, value in args)
    return b"".join(body)


def _counter_event(track: int, value: int) -> bytes:
    return uint(9, S.COUNTER) + uint(11, track) + uint(30, value)


def _flow(terminating: bool, flow_id: int) -> bytes:
    """TrackEvent.flow_ids_old (36) or terminating_flow_ids_old (42), varint."""
    return uint(42 if terminating else 36, flow_id)


def _task_state(cpu: int, tid: int, state: int, comm: str | None) -> bytes:
    body = b"\x08" + varint(cpu) + b"\x18" + varint(tid) + b"\x20" + varint(state)
    if comm is not None:
        body += string(2, comm)
    return message(117, body)


class _Progress:
    """A one-line progress display on stderr when it is a terminal."""

    def __init__(self, total: int, enabled: bool | None):
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.next_update = 0.0

    def update(self, done: int) -> None:
        now = wallclock.monotonic()
        if now < self.next_update:
            return
        self.next_update = now + 0.2
        share = f" ({100 * done // self.total}%)" if self.total else ""
        sys.stderr.write(f"\rneuron: converting: {done}/{self.total} records{share}")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def merged_records(rings):
    """(hart, record) for every record of every ring, in time order.

    Ties go to the lower hart, so the order is a function of the input.
    Precondition: each ring's records are in time order.
    """
    heap = []
    for ring in rings:
        iterator = iter(ring.records)
        for record in iterator:
            heap.append([record[5], ring.hart, record, iterator.__next__])
            break
    heapq.heapify(heap)
    while heap:
        entry = heap[0]
        yield entry[1], entry[2]
        try:
            record = entry[3]()
        except StopIteration:
            heapq.heappop(heap)
            continue
        entry[0] = record[5]
        entry[2] = record
        heapq.heapreplace(heap, entry)


class Converter:
    """One conversion. Use convert() rather than this class directly."""

    def __init__(self, dump, out, task_names=None, progress: bool | None = None, salvage=False):
        hz = int(dump.timebase_hz)
        if hz <= 0:
            raise ConvertError(f"timebase {dump.timebase_hz} Hz is not positive")
        self.dump = dump
        self.out = out
        self.salvage = salvage
        self.hz = hz
        self.multiplier_ns, self.keep_ticks = _timebase(hz)
        self.names = Names(dump.tables)
        self.task_names = task_names or {}
        self.scenario: str | None = None   # named by the scenario-begin mark
        self.harts = sorted(ring.hart for ring in dump.harts)
        self.rings = {ring.hart: ring for ring in dump.harts}
        if len(set(self.harts)) != len(self.harts):
            raise ConvertError("the dump lists a hart twice")
        self.sequences = {h: _Sequence(FIRST_HART_SEQUENCE + h, hart_track(h)) for h in self.harts}
        self.started: set[int] = set()
        self.cache: dict[tuple, bytes] = {}
        self.templates: dict[tuple, tuple] = {}
        self.chunks: list = []
        self.flush_at = _FLUSH_AT
        self.chunk_base = 0          # absolute index of chunks[0]
        self.held: deque = deque()   # (absolute index, _HeldSend), oldest first
        self.pending_ipis: dict[tuple[int, int], _HeldSend] = {}
        self.task_state: dict[int, int] = {}
        self.open_steal: dict[int, tuple[int, int]] = {}
        self.idle_open: set[int] = set()
        self.last_seq: dict[int, int] = {}
        self.runq_value: dict[int, int] = {}   # hart -> last runqueue length written
        self.dropped_seen: dict[int, int] = {}
        self.last_time = 0
        self.counts = {"records": 0, "packets": 0}
        self.engine = "python"   # "c" once fastpath.run converts
        self.progress = _Progress(sum(int(ring.kept) for ring in dump.harts), progress)

    # --- output --------------------------------------------------------

    def _emit(self, chunk) -> None:
        self.chunks.append(chunk)
        if len(self.chunks) >= self.flush_at:
            self._flush()

    def _flush(self, final: bool = False) -> None:
        """Write every chunk before the oldest undecided IPI send.

        A send undecided for more than IPI_FLOW_WINDOW packets (or at the
        end) is decided: no flow, its receiver was lost.
        """
        held = self.held
        newest = self.chunk_base + len(self.chunks)
        while held and (final or held[0][1].flow is not None
                        or newest - held[0][0] > IPI_FLOW_WINDOW):
            _, send = held.popleft()
            if send.flow is None:
                send.flow = False
                if self.pending_ipis.get(send.key) is send:
                    del self.pending_ipis[send.key]
        upto = len(self.chunks) if not held else held[0][0] - self.chunk_base
        if upto > 0:
            self.out.write(b"".join(c if type(c) is bytes else c.render() for c in self.chunks[:upto]))
            del self.chunks[:upto]
            self.chunk_base += upto
        self.flush_at = len(self.chunks) + _FLUSH_AT

    def _packet(self, seq: _Sequence, time: int, payload: bytes) -> None:
        delta = time - seq.last
        seq.last = time
        interned = seq.take_interned() if seq.new_interned else b""
        body = b"\x40" + varint(delta) + seq.header + interned + payload
        self._emit(b"\x0a" + varint(len(body)) + body)
        self.counts["packets"] += 1

    def _start_sequence(self, hart: int, time: int) -> None:
        self._emit(self._start_packet(hart, time))
        self.counts["packets"] += 1
        self.sequences[hart].last = time
        self.started.add(hart)

    def _start_packet(self, hart: int, time: int) -> bytes:
        """The first packet of a hart's sequence: clock, defaults, cleared state."""
        seq = self.sequences[hart]
        clocks = (message(1, uint(1, S.CLOCK_BOOTTIME) + uint(2, time * self.multiplier_ns))
                  + message(1, uint(1, INCREMENTAL_CLOCK) + uint(2, time) + boolean(3, True)
                            + uint(4, self.multiplier_ns)))
        body = (uint(8, time * self.multiplier_ns) + uint(58, S.CLOCK_BOOTTIME)
                + uint(10, seq.sequence_id) + uint(13, S.SEQ_INCREMENTAL_STATE_CLEARED)
                + message(59, uint(58, INCREMENTAL_CLOCK) + message(11, uint(11, seq.default_track)))
                + message(6, clocks))
        return b"\x0a" + varint(len(body)) + body

    def _descriptors(self) -> None:
        def track(uuid, name, parent=None, rank=None, counter=None, explicit=False):
            body = uint(1, uuid) + string(2, name)
            if parent is not None:
                body += uint(5, parent)
            if rank is not None:
                body += uint(12, rank)
            if explicit:
                body += uint(11, 3)
            if counter is not None:
                body += message(8, uint(3, 2) + string(6, counter))
            packet = uint(10, DESCRIPTOR_SEQUENCE) + message(60, body)
            self._emit(b"\x0a" + varint(len(packet)) + packet)
            self.counts["packets"] += 1

        track(ROOT_TRACK, "neuron harts", explicit=True)
        track(VIOLATIONS_TRACK, "PerCpu violations", parent=ROOT_TRACK, rank=0)
        for hart in self.harts:
            base = 1 + 4 * hart
            track(hart_track(hart), f"hart {hart}", parent=ROOT_TRACK, rank=base)
            track(IDLE_TRACK + hart, f"hart {hart} idle", parent=ROOT_TRACK, rank=base + 1)
            track(RUNQ_TRACK + hart, f"hart {hart} runqueue", parent=ROOT_TRACK, rank=base + 2,
                  counter="tasks")
            track(DROPS_TRACK + hart, f"hart {hart} ring drops", parent=ROOT_TRACK, rank=base + 3,
                  counter="records")

    # --- scheduling (GenericKernelTaskStateEvent) -----------------------

    def _comm(self, task: int) -> str:
        """SCENARIO/TASK once the scenario-begin mark named the scenario."""
        name = self.task_names.get(task)
        if name:
            return name
        return f"{self.scenario}/{task}" if self.scenario else f"task {task}"

    def _mark(self, hart, time, mark, scenario_index):
        self._packet(self.sequences[hart], time, self._mark_payload(hart, mark, scenario_index))

    def _mark_payload(self, hart, mark, scenario_index) -> bytes:
        """Names the scenario at its begin mark; the mark's TrackEvent field."""
        if mark == R.MARK_SCENARIO_BEGIN:
            lookup = getattr(self.dump.tables, "scenario", None)
            self.scenario = (lookup(scenario_index) if lookup else None) or f"scenario {scenario_index}"
        return self._cached_payload(("mark", hart, mark, self.scenario), hart, lambda s: _event(
            s, S.INSTANT, hart_track(hart), R.MARK_NAMES.get(mark, f"mark {mark}"), "mark",
            [("scenario", self.scenario)] if self.scenario else ()))

    def _set_state(self, hart: int, time: int, task: int, state: int, cpu: int) -> None:
        """Emit a task state change, keeping the sequence trace_processor accepts."""
        seq = self.sequences[hart]
        tid = task + TID_OFFSET
        previous = self.task_state.get(tid)
        if previous == S.TASK_DEAD:
            if state == S.TASK_DEAD:
                return
            # A finished id came back: end the old thread so a new one starts.
            self._packet(seq, time, _task_state(cpu, tid, S.TASK_DESTROYED, None))
            previous = None
        if state == S.TASK_RUNNING and previous == S.TASK_RUNNING:
            # The record that switched it out was lost: it was preempted.
            self._packet(seq, time, _task_state(cpu, tid, S.TASK_RUNNABLE, None))
        elif state == previous and state != S.TASK_RUNNING:
            return
        comm = self._comm(task) if previous is None else None
        self.task_state[tid] = state
        self._packet(seq, time, _task_state(cpu, tid, state, comm))

    def _switch(self, hart, time, prev_state, prev_task, next_task):
        if prev_state != R.TASK_IDLE:
            state = _LEFT_IN_STATE.get(prev_state)
            if state is None:
                raise ConvertError(f"hart {hart}: SWITCH with unknown previous state {prev_state}")
            tid = prev_task + TID_OFFSET
            if self.task_state.get(tid) == S.TASK_RUNNING or state == S.TASK_DEAD:
                self._set_state(hart, time, prev_task, state, hart)
        if next_task != R.IDLE_TASK:
            self._set_state(hart, time, next_task, S.TASK_RUNNING, hart)

    # --- the hart tracks ------------------------------------------------

    def _cached_event(self, key, hart, time, build) -> None:
        self._packet(self.sequences[hart], time, self._cached_payload(key, hart, build))

    def _cached_payload(self, key, hart, build) -> bytes:
        payload = self.cache.get(key)
        if payload is None:
            if len(self.cache) > 65536:
                self.cache.clear()
            payload = message(11, build(self.sequences[hart]))
            self.cache[key] = payload
        return payload

    def _remote(self, hart, time, owner, var_index, site_index, category):
        self._cached_event((category, hart, owner, var_index, site_index), hart, time,
                           lambda seq: self._remote_event(seq, hart, owner, var_index,
                                                          site_index, category))

    def _remote_event(self, seq, hart, owner, var_index, site_index, category) -> bytes:
        var = self.names.var(var_index)
        site = self.names.site(site_index)
        name = remote_name(var.name, site.kind, owner, var.lock, site.reason)
        file, _, line = site.where.rpartition(":")
        if file and line.isdigit():
            source = seq.source(file, site.function, int(line))
        else:
            source = seq.source(site.where, site.function, 0)
        return _event(seq, S.INSTANT, hart_track(hart), name, category, source=source)

    def _violation(self, hart, time, owner, var_index, packed):
        self._cached_event(("violation", hart, owner, var_index, packed), hart, time,
                           lambda seq: self._violation_event(seq, hart, owner, var_index, packed))

    def _violation_event(self, seq, hart, owner, var_index, packed) -> bytes:
        site_index = packed & ((1 << R.VIOLATION_SITE_BITS) - 1)
        what = packed >> R.VIOLATION_SITE_BITS
        var = self.names.var(var_index)
        site = self.names.site(site_index)
        args = [("missing", R.violation_name(what)), ("hart", hart), ("owner hart", owner),
                ("variable", var.name), ("lock", var.lock), ("site", site.where),
                ("function", site.function), ("kind", site.kind)]
        return _event(seq, S.INSTANT, VIOLATIONS_TRACK, R.violation_name(what), "violation", args)

    def _steal_begin(self, hart, time, seq64, victim, steal_id):
        if hart in self.open_steal:
            self._steal_close(hart, time)
        seq = self.sequences[hart]
        victim_prefix, thief_prefix, id_head = self._template(
            ("steal", hart, victim), lambda: self._steal_templates(hart, victim))
        flow = steal_flow_id(hart, seq64)
        steal_arg = _uint_arg(id_head, steal_id)
        self._packet(seq, time, _track_event(victim_prefix + steal_arg + _flow(False, flow)))
        self._packet(seq, time, _track_event(thief_prefix + steal_arg + _flow(True, flow)))
        self.open_steal[hart] = (victim, steal_id)

    def _steal_templates(self, hart, victim) -> tuple:
        """(victim instant, thief slice begin, `steal id` argument head) of a steal."""
        seq = self.sequences[hart]
        args = [("thief hart", hart), ("victim hart", victim)]
        return (_event(seq, S.INSTANT, hart_track(victim), "stolen from", "steal", args),
                _event(seq, S.SLICE_BEGIN, hart_track(hart), "steal", "steal", args),
                _arg_head(seq, "steal id"))

    def _steal_close(self, hart, time, taken=None):
        self._packet(self.sequences[hart], time, self._steal_end_payload(hart, taken))
        del self.open_steal[hart]

    def _steal_end_payload(self, hart, taken) -> bytes:
        args = [("tasks taken", taken)] if taken is not None else [("incomplete", True)]
        return self._cached_payload(("steal end", hart, taken), hart, lambda s: _event(
            s, S.SLICE_END, hart_track(hart), "steal", "steal", args))

    def _steal_end(self, hart, time, victim, taken, steal_id):
        if self.open_steal.get(hart) == (victim, steal_id):
            self._steal_close(hart, time, taken)
        # An END whose BEGIN was lost has no slice to close: nothing to draw.

    def _template(self, key, build):
        found = self.templates.get(key)
        if found is None:
            if len(self.templates) > 65536:
                self.templates.clear()
            found = self.templates[key] = build()
        return found

    def _ipi_send(self, hart, time, target, kind, ipi_id):
        seq = self.sequences[hart]
        event = self._template(("send", hart, target, kind),
                               lambda: self._send_template(hart, target, kind))
        delta = time - seq.last
        seq.last = time
        interned = seq.take_interned() if seq.new_interned else b""
        key = (hart, ipi_id)
        send = _HeldSend(b"\x40" + varint(delta) + seq.header + interned, event,
                         ipi_flow_id(hart, ipi_id), time, key)
        pending = self.pending_ipis
        stale = pending.pop(key, None)
        if stale is not None and stale.flow is None:
            stale.flow = False  # its id was reused before any receiver showed up
        if len(pending) >= _MAX_PENDING_IPIS:
            pending.pop(next(iter(pending)))
        pending[key] = send
        self.held.append((self.chunk_base + len(self.chunks), send))
        self.counts["packets"] += 1
        self._emit(send)

    def _send_template(self, hart, target, kind) -> bytes:
        name = R.ipi_kind_name(kind)
        return _event(self.sequences[hart], S.INSTANT, hart_track(hart),
                      ipi_name(name, hart, target, "send"), "ipi")

    def _recv_templates(self, hart, sender, kind, handled) -> tuple:
        """(the instant, `latency ns` argument head) of an IPI received or handled."""
        seq = self.sequences[hart]
        name = R.ipi_kind_name(kind)
        verb = "handled" if handled else "received"
        return (_event(seq, S.INSTANT, hart_track(hart), ipi_name(name, sender, hart, verb), "ipi"),
                _arg_head(seq, "latency ns"))

    def _ipi_recv(self, hart, time, sender, kind, ipi_id, handled):
        seq = self.sequences[hart]
        key = (sender, ipi_id)
        send = self.pending_ipis.pop(key, None) if handled else self.pending_ipis.get(key)
        if send is not None and send.flow is None:
            send.flow = True
        event, latency_head = self._template(("recv", handled, hart, sender, kind),
                                             lambda: self._recv_templates(hart, sender, kind, handled))
        if send is not None:
            event += _uint_arg(latency_head, (time - send.time) * self.multiplier_ns)
            if send.flow:
                event += _flow(handled, ipi_flow_id(sender, ipi_id))
        self._packet(seq, time, _track_event(event))

    def _idle(self, hart, time, enter):
        seq = self.sequences[hart]
        if enter and hart in self.idle_open:
            self._packet(seq, time, message(11, uint(9, S.SLICE_END) + uint(11, IDLE_TRACK + hart)))
            self.idle_open.discard(hart)
        if enter:
            self._packet(seq, time, self._idle_payload(hart))
            self.idle_open.add(hart)
        elif hart in self.idle_open:
            self._packet(seq, time, message(11, uint(9, S.SLICE_END) + uint(11, IDLE_TRACK + hart)))
            self.idle_open.discard(hart)

    def _idle_payload(self, hart) -> bytes:
        return self._cached_payload(("idle", hart), hart, lambda s: _event(
            s, S.SLICE_BEGIN, IDLE_TRACK + hart, "idle", "sched"))

    def _drops(self, hart, time, value):
        self._packet(self.sequences[hart], time, message(11, _counter_event(DROPS_TRACK + hart, value)))

    # --- the main loop --------------------------------------------------

    def run(self) -> dict:
        if fastpath.usable(self):
            lib = fastpath.library()
            if lib is not None:
                return fastpath.run(self, lib)
        self._descriptors()
        keep_ticks = self.keep_ticks
        hz = self.hz
        count = 0
        progress = self.progress
        last_time_of: dict[int, int] = {}
        for hart, record in merged_records(self.dump.harts):
            seq64, kind, b, h, w, time = record
            if not keep_ticks:
                time = time * 1_000_000_000 // hz
            count += 1
            if not count & 0xFFFF and progress.enabled:
                progress.update(count)
            previous_time = last_time_of.get(hart)
            if previous_time is None:
                self._start_sequence(hart, time)
                self.last_seq[hart] = seq64
                self.dropped_seen[hart] = seq64
                self._drops(hart, time, seq64)
            else:
                if time < previous_time:
                    if not self.salvage:
                        raise ConvertError(f"hart {hart} record seq {seq64}: time {record[5]} "
                                           "goes backwards")
                    time = previous_time
                gap = seq64 - self.last_seq[hart] - 1
                if gap:
                    if gap < 0 and not self.salvage:
                        raise ConvertError(f"hart {hart} record seq {seq64}: sequence goes "
                                           f"backwards (after {self.last_seq[hart]})")
                    if gap > 0:
                        self.dropped_seen[hart] += gap
                        self._drops(hart, time, self.dropped_seen[hart])
                self.last_seq[hart] = seq64
            last_time_of[hart] = time
            self.last_time = time
            self._record(hart, time, seq64, kind, b, h, w)
        self.counts["records"] = count
        self._finish(last_time_of)
        if progress.enabled:
            progress.finish()
        return self.counts

    def _runq_payload(self, hart, h) -> bytes:
        return self._cached_payload(("runq", hart, h), hart,
                                    lambda s: _counter_event(RUNQ_TRACK + hart, h))

    def _runq_len(self, hart, time, seq64, b, h, w):
        if self.runq_value.get(hart) != h:   # counters only when the value changed
            self.runq_value[hart] = h
            self._packet(self.sequences[hart], time, self._runq_payload(hart, h))

    def _wakeup(self, hart, time, seq64, b, h, w):
        if self.task_state.get(w + TID_OFFSET) != S.TASK_RUNNING:
            self._set_state(hart, time, w, S.TASK_RUNNABLE, b)

    # --- a record type with no drawing of its own -----------------------

    def _generic(self, hart, time, kind, b, h, w):
        """An instant named after the type on the hart's track, b, h and w
        its arguments: a type added to the contract shows in the trace,
        in both loops alike, before anyone writes it a drawing."""
        event, *heads = self._template(("generic", hart, kind),
                                       lambda: self._generic_templates(hart, kind))
        for head, value in zip(heads, (b, h, w)):
            event += _uint_arg(head, value)
        self._packet(self.sequences[hart], time, _track_event(event))

    def _generic_templates(self, hart, kind) -> tuple:
        """(the instant, then the `b`, `h` and `w` argument heads) of a generic record."""
        seq = self.sequences[hart]
        return (_event(seq, S.INSTANT, hart_track(hart), R.TYPE_LABELS[kind], "generic"),
                _arg_head(seq, "b"), _arg_head(seq, "h"), _arg_head(seq, "w"))

    # Record type -> handler(self, hart, time, seq64, b, h, w), for the types
    # drawn their own way; the rest of the contract's types are drawn by
    # _generic. fastconv.c's switch in record() has a case for exactly
    # these (tests/tools/test_contract.py compares the two).
    _HANDLERS = {
        R.REMOTE: lambda c, hart, time, seq64, b, h, w: c._remote(hart, time, b, h, w, "remote"),
        R.UNCHECKED: lambda c, hart, time, seq64, b, h, w: c._remote(hart, time, b, h, w, "unchecked"),
        R.VIOLATION: lambda c, hart, time, seq64, b, h, w: c._violation(hart, time, b, h, w),
        R.RUNQ_LEN: _runq_len,
        R.SWITCH: lambda c, hart, time, seq64, b, h, w: c._switch(hart, time, b, h, w),
        R.WAKEUP: _wakeup,
        R.TASK_NEW: lambda c, hart, time, seq64, b, h, w: c._set_state(hart, time, w, S.TASK_RUNNABLE, b),
        R.IPI_SEND: lambda c, hart, time, seq64, b, h, w: c._ipi_send(hart, time, b, h, w),
        R.IPI_RECV: lambda c, hart, time, seq64, b, h, w: c._ipi_recv(hart, time, b, h, w, handled=False),
        R.IPI_HANDLED: lambda c, hart, time, seq64, b, h, w: c._ipi_recv(hart, time, b, h, w, handled=True),
        R.STEAL_BEGIN: lambda c, hart, time, seq64, b, h, w: c._steal_begin(hart, time, seq64, b, w),
        R.STEAL_END: lambda c, hart, time, seq64, b, h, w: c._steal_end(hart, time, b, h, w),
        R.IDLE_ENTER: lambda c, hart, time, seq64, b, h, w: c._idle(hart, time, True),
        R.IDLE_EXIT: lambda c, hart, time, seq64, b, h, w: c._idle(hart, time, False),
        R.MARK: lambda c, hart, time, seq64, b, h, w: c._mark(hart, time, h, w),
    }

    def _record(self, hart, time, seq64, kind, b, h, w):
        handler = self._HANDLERS.get(kind)
        if handler is not None:
            handler(self, hart, time, seq64, b, h, w)
        elif kind in R.TYPE_LABELS:
            self._generic(hart, time, kind, b, h, w)
        elif not self.salvage:
            raise ConvertError(f"hart {hart} record seq {seq64}: unknown record type {kind}")

    def _finish(self, last_time_of) -> None:
        """Close what is open at the end, at the last time of the whole trace."""
        end = self.last_time
        for hart in self.harts:
            if hart not in last_time_of:
                continue
            if hart in self.open_steal:
                self._steal_close(hart, end)
            if hart in self.idle_open:
                self._idle(hart, end, enter=False)
            ring = self.rings[hart]
            trailing = int(ring.produced) - self.last_seq[hart] - 1
            if trailing > 0:
                self.dropped_seen[hart] += trailing
                self._drops(hart, end, self.dropped_seen[hart])
        self._flush(final=True)


def convert(dump, out, task_names=None, progress: bool | None = None, salvage=False,
            compress: bool = True) -> dict:
    """Write the Perfetto trace of `dump` to the binary stream `out`.

    Returns counts ({"records": ..., "packets": ...}). Raises ConvertError
    on input it cannot convert (unless salvage, which keeps going where it
    can). The output is a function of the input only. With compress (the
    default) runs of packets are deflated into TracePacket.compressed_packets,
    as Perfetto's own service does; compress=False writes them plainly.
    """
    if not compress:
        return Converter(dump, out, task_names, progress, salvage).run()
    writer = wire.CompressingWriter(out)
    counts = Converter(dump, writer, task_names, progress, salvage).run()
    writer.close()
    return counts
