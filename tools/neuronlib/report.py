"""tools/neuron report: what a trace says about stealing, IPIs, remote
accesses, drops and violations.

The numbers come from the Perfetto trace (a dump is converted first), so
they are the numbers the trace_processor queries of
docs/reviewing-traces.md give on the same file.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReportError
from .scratch import private_directory
from .perfetto import schema as S
from .perfetto.convert import DROPS_TRACK, HART_TRACK, TID_OFFSET, VIOLATIONS_TRACK, ConvertError, convert
from .perfetto.readback import Event, ReadError, TaskState, Track, read
from .tracefile import is_perfetto_trace, load_dump

PERCENTILES = (50, 90, 99)


@dataclass
class Stats:
    harts: set = field(default_factory=set)
    steals: dict = field(default_factory=dict)        # (thief, victim) -> steals
    tasks_taken: dict = field(default_factory=dict)   # (thief, victim) -> tasks moved
    ipi_latency: dict = field(default_factory=dict)   # kind -> array of ns (send -> handled)
    ipi_unmatched: int = 0                            # handled without a known send
    remote: dict = field(default_factory=dict)        # (category, variable, kind) -> count
    drops: dict = field(default_factory=dict)         # hart -> records lost
    violations: dict = field(default_factory=dict)    # (missing, variable, site) -> count
    decisions: int = 0                                # RUNNING task states
    open_steals: dict = field(default_factory=dict)   # track -> (thief, victim) of its open slice


def events_of(path: Path, elf: Path | None = None, salvage: bool = False):
    """Trace items of a .pftrace, or of a dump converted into a temporary one."""
    path = Path(path)
    try:
        if is_perfetto_trace(path):
            yield from read(path)
            return
    except OSError as error:
        raise ReportError(f"{path}: {error.strerror}") from None
    except ReadError as error:
        raise ReportError(f"{path}: {error}") from None
    dump = load_dump(path, elf, salvage)
    # A private directory, removed even if report is killed: the converted
    # trace of a long run is tens of MB.
    with private_directory("neuron-report-") as directory:
        converted = directory / "trace.pftrace"
        try:
            with open(converted, "wb") as out:
                convert(dump, out, progress=False, salvage=salvage)
        except ConvertError as error:
            raise ReportError(f"{path}: {error}") from None
        if salvage:
            print(f"neuron: report: {path}: salvage: kept the valid records, skipped "
                  f"{dump.skipped} bad record(s)", file=sys.stderr)
            for line in dump.skipped_lines():
                print(f"neuron: report: salvage: {line}", file=sys.stderr)
        yield from read(converted)


class BadTrace(Exception):
    """A trace whose events name a hart it never declared; str() is one line."""


def _declared(declared: set, hart, offset: int, what: str) -> None:
    if hart not in declared:
        harts = ", ".join(map(str, sorted(declared))) or "none"
        raise BadTrace(f"byte {offset}: {what} names hart {hart}, which the trace does not "
                       f"declare (its hart tracks: {harts})")


def collect(items) -> Stats:
    """Counts of a trace's items; BadTrace when an item names an undeclared hart
    (the report would otherwise invent it)."""
    stats = Stats()
    declared: set = set()
    for item in items:
        if isinstance(item, Track):
            if HART_TRACK <= item.uuid < HART_TRACK + 0x1000:
                declared.add(item.uuid - HART_TRACK)
            continue
        if isinstance(item, TaskState):
            if item.state == S.TASK_RUNNING:
                _declared(declared, item.cpu, item.offset, "a task state's cpu")
                stats.decisions += 1
                stats.harts.add(item.cpu)
            continue
        if not isinstance(item, Event):
            continue
        if HART_TRACK <= item.track < HART_TRACK + 0x1000:
            _declared(declared, item.track - HART_TRACK, item.offset, "an event's track")
        if item.categories and item.categories[0] == "steal":
            for arg in ("thief hart", "victim hart"):
                if arg in item.args:
                    _declared(declared, item.args[arg], item.offset, f"a steal's {arg}")
        _count_event(stats, item)
    return stats


def _text(value) -> str:
    """An argument used as a name: text whatever type a damaged trace gave it."""
    return value if isinstance(value, str) else repr(value)


def _count(event: Event, what: str, value) -> int:
    """An argument used as a number: a non-negative 64-bit integer, or BadTrace."""
    if type(value) is not int or not 0 <= value < 1 << 64:
        raise BadTrace(f"byte {event.offset}: {what} is {value!r}, not a count")
    return value


def _count_event(stats: Stats, event: Event) -> None:
    args = event.args
    category = event.categories[0] if event.categories else ""
    if HART_TRACK <= event.track < HART_TRACK + 0x1000:
        stats.harts.add(event.track - HART_TRACK)
    if category in ("remote", "unchecked") and event.type == S.INSTANT:
        key = (category, _text(args.get("variable", event.name)), _text(args.get("kind", "")))
        stats.remote[key] = stats.remote.get(key, 0) + 1
    elif category == "steal":
        pair = (args.get("thief hart"), args.get("victim hart"))
        if event.type == S.SLICE_BEGIN:
            stats.steals[pair] = stats.steals.get(pair, 0) + 1
            stats.open_steals[event.track] = pair
        elif event.type == S.SLICE_END and "tasks taken" in args:
            pair = stats.open_steals.pop(event.track, None)
            if pair is not None:
                stats.tasks_taken[pair] = (stats.tasks_taken.get(pair, 0)
                                           + _count(event, "tasks taken", args["tasks taken"]))
    elif category == "ipi" and event.name.endswith(" handled"):
        if "latency ns" in args:
            kind = _text(args.get("kind", "?"))
            stats.ipi_latency.setdefault(kind, array("Q")).append(
                _count(event, "latency ns", args["latency ns"]))
        else:
            stats.ipi_unmatched += 1
    elif category == "violation" and event.track == VIOLATIONS_TRACK:
        key = (event.name, _text(args.get("variable", "")), _text(args.get("site", "")))
        stats.violations[key] = stats.violations.get(key, 0) + 1
    elif event.type == S.COUNTER and DROPS_TRACK <= event.track < DROPS_TRACK + 0x1000:
        hart = event.track - DROPS_TRACK
        stats.drops[hart] = max(stats.drops.get(hart, 0), _count(event, "a drops counter", event.counter))


def percentile(sorted_values, p: int) -> int:
    """Nearest rank: the smallest value with at least p% of values <= it."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def to_json(stats: Stats) -> dict:
    harts = sorted(stats.harts)
    ipi = {}
    for kind in sorted(stats.ipi_latency):
        values = sorted(stats.ipi_latency[kind])
        ipi[kind] = {"count": len(values), **{f"p{p}_ns": percentile(values, p) for p in PERCENTILES},
                     "max_ns": values[-1]}
    return {
        "harts": harts,
        "steals": {"matrix": [[stats.steals.get((thief, victim), 0) for victim in harts] for thief in harts],
                   "tasks_taken": [[stats.tasks_taken.get((thief, victim), 0) for victim in harts]
                                   for thief in harts],
                   "total": sum(stats.steals.values())},
        "ipi": ipi,
        "ipi_handled_without_send": stats.ipi_unmatched,
        "remote": [{"category": c, "variable": v, "kind": k, "count": n}
                   for (c, v, k), n in sorted(stats.remote.items())],
        "drops": {str(h): stats.drops.get(h, 0) for h in harts},
        "violations": {"total": sum(stats.violations.values()),
                       "by": [{"missing": m, "variable": v, "site": s, "count": n}
                              for (m, v, s), n in sorted(stats.violations.items())]},
        "scheduling_decisions": stats.decisions,
    }


def render(report: dict) -> str:
    harts = report["harts"]
    lines = ["steal attempts (rows: thief hart, columns: victim hart; tasks moved in brackets; "
             "an attempt that found nothing to take moves 0)"]
    lines.append("        " + "".join(f"{'v' + str(h):>12}" for h in harts))
    for t, thief in enumerate(harts):
        cells = "".join(f"{report['steals']['matrix'][t][col]:>6} [{report['steals']['tasks_taken'][t][col]:>3}]"
                        for col in range(len(harts)))
        lines.append(f"  t{thief:<5}" + cells)
    lines.append(f"  total {report['steals']['total']}")
    lines.append("IPI latency, send -> handled (ns)")
    if not report["ipi"]:
        lines.append("  none")
    for kind, row in report["ipi"].items():
        lines.append(f"  {kind:<10} n={row['count']:<7} p50={row['p50_ns']:<8} p90={row['p90_ns']:<8} "
                     f"p99={row['p99_ns']:<8} max={row['max_ns']}")
    if report["ipi_handled_without_send"]:
        lines.append(f"  {report['ipi_handled_without_send']} handled without a matching send "
                     "(send lost, or the receiver does not know sender and id)")
    lines.append("remote accesses (variable, kind)")
    if not report["remote"]:
        lines.append("  none")
    for row in report["remote"]:
        tag = "" if row["category"] == "remote" else f" ({row['category']})"
        lines.append(f"  {row['variable']:<20} {row['kind']:<14} {row['count']}{tag}")
    lines.append("ring drops: " + ", ".join(f"hart {h}: {n}" for h, n in report["drops"].items()))
    lines.append(f"violations: {report['violations']['total']}")
    for row in report["violations"]["by"]:
        lines.append(f"  {row['missing']:<26} {row['variable']:<16} {row['site']}  x{row['count']}")
    return "\n".join(lines)


def report(path, elf=None, salvage=False) -> dict:
    try:
        return to_json(collect(events_of(Path(path), elf, salvage)))
    except BadTrace as error:
        raise ReportError(f"{path}: {error}") from None


def main(path, elf=None, as_json=False, salvage=False) -> int:
    result = report(path, elf, salvage)
    print(json.dumps(result, indent=1, sort_keys=True) if as_json else render(result))
    return 0


def decisions(path, elf=None, salvage=False):
    """(hart, time ns, task id) for each task put RUNNING, in trace order."""
    for item in events_of(Path(path), elf, salvage):
        if isinstance(item, TaskState) and item.state == S.TASK_RUNNING:
            yield item.cpu, item.time, item.tid - TID_OFFSET
