"""Structural checks of a .pftrace, the ones trace_processor would trip on.

  - track uuids unique; every event on a declared track; counter values
    only on counter tracks
  - slices balanced per track (no END without BEGIN, none left open)
  - every flow has both ends: an id continued or terminated was started
    earlier, and every started id is seen on at least two events
  - time order: within each sequence, and across the file (sorted output)
  - interned ids defined (on their sequence) before use
  - no task RUNNING twice in a row; nothing after DEAD but DESTROYED

Usage: check(path) -> Result; Result.ok, Result.errors (first ones), and
Result.counts for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import schema as S
from .readback import Event, TaskState, Track, read

MAX_ERRORS = 20


@dataclass
class Result:
    errors: list = field(default_factory=list)
    error_count: int = 0
    packets: int = 0
    events: int = 0
    task_states: int = 0
    tracks: int = 0
    flows: int = 0
    slices: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def summary(self) -> str:
        verdict = "ok" if self.ok else f"{self.error_count} problems"
        return (f"{verdict}: {self.tracks} tracks, {self.events} track events, "
                f"{self.slices} slices, {self.flows} flows, {self.task_states} task states")


def check(path) -> Result:
    """Check a trace file. Raises readback.ReadError if it cannot be read at all."""
    result = Result()
    tracks: dict[int, Track] = {}
    open_slices: dict[int, int] = {}
    flow_events: dict[int, int] = {}   # open flow id -> events seen so far
    last_time: dict[int, int] = {}
    file_time = None
    task_state: dict[int, int] = {}
    for item in read(path):
        result.packets += 1
        if isinstance(item, Track):
            if item.uuid in tracks:
                result.add(f"track uuid {item.uuid} declared twice")
            if item.parent is not None and item.parent not in tracks:
                result.add(f"track {item.uuid} '{item.name}': parent {item.parent} not declared before it")
            tracks[item.uuid] = item
            result.tracks += 1
            continue
        where = f"byte {item.offset} (sequence {item.sequence})"
        if item.time is None:
            result.add(f"{where}: no resolvable timestamp")
        else:
            if item.time < last_time.get(item.sequence, 0):
                result.add(f"{where}: time {item.time} before the sequence's previous "
                           f"{last_time[item.sequence]}")
            last_time[item.sequence] = item.time
            if file_time is not None and item.time < file_time:
                result.add(f"{where}: time {item.time} before the previous packet's {file_time} "
                           "(output not sorted)")
            file_time = item.time
        if isinstance(item, TaskState):
            result.task_states += 1
            _check_task(result, where, item, task_state)
            continue
        result.events += 1
        _check_event(result, where, item, tracks, open_slices, flow_events)
    for uuid, depth in open_slices.items():
        if depth:
            result.add(f"track {uuid}: {depth} slices never ended")
    for flow, seen in flow_events.items():
        if seen < 2:
            result.add(f"flow {flow:#x}: one end only")
    return result


def _check_task(result: Result, where: str, item: TaskState, task_state: dict) -> None:
    previous = task_state.get(item.tid)
    if item.state == S.TASK_RUNNING and previous == S.TASK_RUNNING:
        result.add(f"{where}: tid {item.tid} RUNNING twice in a row")
    if previous == S.TASK_DEAD and item.state != S.TASK_DESTROYED:
        result.add(f"{where}: tid {item.tid} in state {item.state} after DEAD")
    task_state[item.tid] = item.state if item.state != S.TASK_DESTROYED else None


def _check_event(result, where, event: Event, tracks, open_slices, flow_events) -> None:
    for problem in event.problems:
        result.add(f"{where}: {problem}")
    track = tracks.get(event.track)
    if track is None:
        result.add(f"{where}: event '{event.name}' on undeclared track {event.track}")
    elif (event.type == S.COUNTER) != track.is_counter:
        result.add(f"{where}: event type {event.type} on {'a counter' if track.is_counter else 'a slice'} "
                   f"track {event.track}")
    if event.type == S.SLICE_BEGIN:
        open_slices[event.track] = open_slices.get(event.track, 0) + 1
        result.slices += 1
    elif event.type == S.SLICE_END:
        depth = open_slices.get(event.track, 0)
        if depth == 0:
            result.add(f"{where}: slice end on track {event.track} with no slice open")
        else:
            open_slices[event.track] = depth - 1
    for flow in event.flow_ids:
        if flow in flow_events:
            flow_events[flow] += 1
        else:
            flow_events[flow] = 1
            result.flows += 1
    for flow in event.terminating_flow_ids:
        seen = flow_events.pop(flow, None)
        if seen is None:
            result.add(f"{where}: flow {flow:#x} terminated but never started")
