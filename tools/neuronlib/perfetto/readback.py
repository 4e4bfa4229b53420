"""Read a .pftrace back through the generated classes of
tools/proto/perfetto_subset.proto, resolving what the reader of a trace
resolves: sequence-scoped incremental clocks, trace packet defaults and
interned names. Streaming: one packet at a time.

Meant for traces this package wrote; anything else that is well formed
decodes too, but fields outside the subset are skipped.

The converter folds an event's low-cardinality arguments into its
interned name and its call site into an interned SourceLocation
(docs/trace-format.md); Event.args gives them back under the argument
names the older traces used (`variable`, `kind`, `site`, ...), so that
the report and the diff read both shapes alike.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from . import schema as S
from .wire import WireError, iter_trace_packets


class ReadError(Exception):
    """A trace that cannot be read; str() is one line naming the byte offset."""


@dataclass
class Track:
    uuid: int
    name: str
    parent: int | None
    is_counter: bool


@dataclass
class Event:
    """A TrackEvent with its names resolved; time in ns (None if unresolvable)."""
    offset: int
    sequence: int
    time: int | None
    type: int
    track: int
    name: str
    categories: tuple
    args: dict
    flow_ids: tuple
    terminating_flow_ids: tuple
    counter: int | None
    problems: list = field(default_factory=list)  # undefined interned ids and the like


@dataclass
class TaskState:
    offset: int
    sequence: int
    time: int | None
    cpu: int
    tid: int
    state: int
    comm: str


class _SequenceState:
    def __init__(self):
        self.cleared = False
        self.default_clock = None
        self.clocks = {}      # clock id -> [value, is_incremental, multiplier]
        self.names = {}
        self.categories = {}
        self.arg_names = {}
        self.sources = {}         # iid -> (file, function, line)
        self.default_track = None
        self.builtin_offset = {}  # clock id -> (clock value, boottime ns) from the snapshot


def _text(value) -> str:
    """A string field as text. The schema declares Perfetto's strings as
    bytes (tools/proto/perfetto_subset.proto says why); a damaged one (not
    UTF-8) reads with U+FFFD in place of the bad bytes."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _arg_value(annotation):
    which = annotation.WhichOneof("value")
    return getattr(annotation, which) if which else None


def read(path_or_stream):
    """Yield Track, Event and TaskState objects in file order.

    Raises ReadError for framing or decoding problems (one line, with offset).
    """
    trace = S.pb2()
    packet_class = trace.TracePacket
    stream = open(path_or_stream, "rb") if not hasattr(path_or_stream, "read") else path_or_stream
    sequences: dict[int, _SequenceState] = {}
    try:
        for offset, data in iter_trace_packets(stream):
            try:
                # The C protobuf runtime only warns about some damage ("Unexpected
                # end-group tag"): an error here, not a stray line on stderr.
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)
                    packet = packet_class.FromString(data)
            except Exception as error:  # the protobuf runtime's DecodeError, RuntimeWarning
                raise ReadError(f"byte {offset}: packet does not decode: {error}") from None
            sequence_id = packet.trusted_packet_sequence_id
            state = sequences.get(sequence_id)
            if state is None:
                state = sequences[sequence_id] = _SequenceState()
            if packet.sequence_flags & S.SEQ_INCREMENTAL_STATE_CLEARED:
                fresh = _SequenceState()
                fresh.clocks = state.clocks
                state = sequences[sequence_id] = fresh
                state.cleared = True
            if packet.HasField("trace_packet_defaults"):
                defaults = packet.trace_packet_defaults
                if defaults.HasField("timestamp_clock_id"):
                    state.default_clock = defaults.timestamp_clock_id
                if defaults.track_event_defaults.HasField("track_uuid"):
                    state.default_track = defaults.track_event_defaults.track_uuid
            if packet.HasField("interned_data"):
                interned = packet.interned_data
                for entry in interned.event_names:
                    state.names[entry.iid] = _text(entry.name)
                for entry in interned.event_categories:
                    state.categories[entry.iid] = _text(entry.name)
                for entry in interned.debug_annotation_names:
                    state.arg_names[entry.iid] = _text(entry.name)
                for entry in interned.source_locations:
                    state.sources[entry.iid] = (_text(entry.file_name), _text(entry.function_name),
                                                entry.line_number)
            payload = packet.WhichOneof("data")
            if payload == "clock_snapshot":
                boottime = None
                for clock in packet.clock_snapshot.clocks:
                    if clock.clock_id == S.CLOCK_BOOTTIME:
                        boottime = clock.timestamp
                for clock in packet.clock_snapshot.clocks:
                    if clock.clock_id >= 64:
                        state.clocks[clock.clock_id] = [clock.timestamp, clock.is_incremental,
                                                        clock.unit_multiplier_ns or 1, boottime]
                continue
            time = _time(packet, state)
            if payload == "track_descriptor":
                descriptor = packet.track_descriptor
                yield Track(descriptor.uuid, _text(descriptor.name or descriptor.static_name),
                            descriptor.parent_uuid if descriptor.HasField("parent_uuid") else None,
                            descriptor.HasField("counter"))
            elif payload == "track_event":
                yield _event(offset, sequence_id, time, packet.track_event, state)
            elif payload == "generic_kernel_task_state_event":
                task = packet.generic_kernel_task_state_event
                yield TaskState(offset, sequence_id, time, task.cpu, task.tid, task.state,
                                _text(task.comm))
    except WireError as error:
        raise ReadError(str(error)) from None
    finally:
        if stream is not path_or_stream:
            stream.close()


def _time(packet, state: _SequenceState):
    """The packet's time in ns, or None when it has none or its clock is unknown."""
    if not packet.HasField("timestamp"):
        return None
    clock_id = packet.timestamp_clock_id if packet.HasField("timestamp_clock_id") else state.default_clock
    if clock_id is None or clock_id == S.CLOCK_BOOTTIME:
        return packet.timestamp
    clock = state.clocks.get(clock_id)
    if clock is None:
        return None
    value, incremental, multiplier, _ = clock
    value = value + packet.timestamp if incremental else packet.timestamp
    clock[0] = value
    return value * multiplier


def _event(offset, sequence_id, time, track_event, state: _SequenceState) -> Event:
    problems = []
    if track_event.HasField("name_iid"):
        name = state.names.get(track_event.name_iid)
        if name is None:
            problems.append(f"event name iid {track_event.name_iid} not interned")
            name = ""
    else:
        name = _text(track_event.name)
    categories = [_text(category) for category in track_event.categories]
    for iid in track_event.category_iids:
        category = state.categories.get(iid)
        if category is None:
            problems.append(f"category iid {iid} not interned")
        else:
            categories.append(category)
    args = {}
    for annotation in track_event.debug_annotations:
        if annotation.HasField("name_iid"):
            arg = state.arg_names.get(annotation.name_iid)
            if arg is None:
                problems.append(f"argument name iid {annotation.name_iid} not interned")
                continue
        else:
            arg = _text(annotation.name)
        args[arg] = _text(_arg_value(annotation))
    if track_event.HasField("source_location_iid"):
        source = state.sources.get(track_event.source_location_iid)
        if source is None:
            problems.append(f"source location iid {track_event.source_location_iid} not interned")
        else:
            file, function, line = source
            args.setdefault("site", f"{file}:{line}" if line else file)
            args.setdefault("function", function)
    if categories:
        for arg, value in unfold_name(categories[0], name).items():
            args.setdefault(arg, value)
    interned = (track_event.HasField("name_iid") or track_event.category_iids
                or track_event.HasField("source_location_iid"))
    if interned and not state.cleared:
        problems.append("interned ids used before the sequence cleared its state")
    counter = track_event.counter_value if track_event.HasField("counter_value") else None
    if track_event.HasField("track_uuid"):
        track = track_event.track_uuid
    else:
        track = state.default_track if state.default_track is not None else 0
    return Event(offset, sequence_id, time, track_event.type, track, name,
                 tuple(categories), args,
                 tuple(track_event.flow_ids) + tuple(track_event.flow_ids_old),
                 tuple(track_event.terminating_flow_ids) + tuple(track_event.terminating_flow_ids_old),
                 counter, problems)


_REMOTE_NAME = re.compile(r"(\S+) (\S+) from hart (\d+) \((.*); (.*)\)\Z")
_IPI_NAME = re.compile(r"ipi (.+) (\d+)->(\d+) (send|received|handled)\Z")


def unfold_name(category: str, name: str) -> dict:
    """The arguments convert.py folded into an event name (none if it did not)."""
    if category in ("remote", "unchecked"):
        match = _REMOTE_NAME.match(name)
        if match:
            variable, kind, owner, lock, reason = match.groups()
            return {"variable": variable, "kind": "" if kind == "-" else kind,
                    "owner hart": int(owner), "lock": "" if lock == "-" else lock,
                    "reason": "" if reason == "-" else reason}
    elif category == "ipi":
        match = _IPI_NAME.match(name)
        if match:
            kind, sender, target, verb = match.groups()
            if verb == "send":
                return {"kind": kind, "target hart": int(target)}
            return {"kind": kind, "sender hart": int(sender)}
    return {}
