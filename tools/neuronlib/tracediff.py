"""tools/neuron diff A B: how two runs differ.

Steal matrix and IPI deltas (B - A) from the two reports, and the first
scheduling decision where they diverge: per hart, the sequence of tasks
put RUNNING is compared in order; the divergence reported is the one that
happens earliest in A. Streams both traces side by side; memory grows
only with how far one hart's decisions run ahead of the same hart's in
the other trace.
"""

from __future__ import annotations

import json
from collections import deque

from . import report as reportlib


def first_divergence(a, b, elf_a=None, elf_b=None, salvage=False):
    """The earliest-in-A decision where A and B differ, or None.

    Returns {"hart", "index", "a": {"time_ns", "task"} | None, "b": ...}.
    """
    stream_a = reportlib.decisions(a, elf_a, salvage)
    stream_b = reportlib.decisions(b, elf_b, salvage)
    queues: tuple[dict[int, deque], dict[int, deque]] = ({}, {})   # per side: hart -> deque of (index, time, task)
    counts: tuple[dict[int, int], dict[int, int]] = ({}, {})
    found = []
    done = [False, False]
    streams = (stream_a, stream_b)

    def pull(side):
        try:
            hart, time, task = next(streams[side])
        except StopIteration:
            done[side] = True
            return
        index = counts[side].get(hart, 0)
        counts[side][hart] = index + 1
        queues[side].setdefault(hart, deque()).append((index, time, task))

    while not (done[0] and done[1]):
        for side in (0, 1):
            if not done[side]:
                pull(side)
        for hart in set(queues[0]) | set(queues[1]):
            qa, qb = queues[0].get(hart, deque()), queues[1].get(hart, deque())
            while qa and qb:
                ia, ta, ka = qa.popleft()
                _, tb, kb = qb.popleft()
                if ka != kb:
                    found.append({"hart": hart, "index": ia, "a": {"time_ns": ta, "task": ka},
                                  "b": {"time_ns": tb, "task": kb}})
                    queues[0][hart] = deque()
                    queues[1][hart] = deque()
                    counts[0][hart] = counts[1][hart] = -(1 << 62)  # stop comparing this hart
                    break
    for hart in set(queues[0]) | set(queues[1]):
        qa, qb = queues[0].get(hart, deque()), queues[1].get(hart, deque())
        if (qa or qb) and counts[0].get(hart, 0) >= 0:
            first = qa[0] if qa else qb[0]
            found.append({"hart": hart, "index": first[0],
                          "a": {"time_ns": qa[0][1], "task": qa[0][2]} if qa else None,
                          "b": {"time_ns": qb[0][1], "task": qb[0][2]} if qb else None})
    if not found:
        return None
    return min(found, key=lambda d: ((d["a"] or d["b"])["time_ns"] or 0, d["hart"]))


def _matrix_delta(ra, rb):
    harts = sorted(set(ra["harts"]) | set(rb["harts"]))

    def cell(report, key, thief, victim):
        h = report["harts"]
        if thief in h and victim in h:
            return report["steals"][key][h.index(thief)][h.index(victim)]
        return 0
    return harts, [[cell(rb, "matrix", t, v) - cell(ra, "matrix", t, v) for v in harts] for t in harts]


def diff(a, b, elf_a=None, elf_b=None, salvage=False) -> dict:
    ra = reportlib.report(a, elf_a, salvage)
    rb = reportlib.report(b, elf_b, salvage)
    harts, steal_delta = _matrix_delta(ra, rb)
    ipi = {}
    for kind in sorted(set(ra["ipi"]) | set(rb["ipi"])):
        row_a, row_b = ra["ipi"].get(kind, {}), rb["ipi"].get(kind, {})
        ipi[kind] = {key: row_b.get(key, 0) - row_a.get(key, 0)
                     for key in ("count", "p50_ns", "p90_ns", "p99_ns", "max_ns")}
    return {
        "harts": harts,
        "steals_delta": steal_delta,
        "steals_total": {"a": ra["steals"]["total"], "b": rb["steals"]["total"]},
        "ipi_delta": ipi,
        "violations": {"a": ra["violations"]["total"], "b": rb["violations"]["total"]},
        "drops": {"a": ra["drops"], "b": rb["drops"]},
        "first_divergence": first_divergence(a, b, elf_a, elf_b, salvage),
    }


def render(result: dict) -> str:
    harts = result["harts"]
    lines = ["steal matrix delta, B - A (rows: thief, columns: victim)"]
    lines.append("       " + "".join(f"{'v' + str(h):>7}" for h in harts))
    for t, thief in enumerate(harts):
        lines.append(f"  t{thief:<4}" + "".join(f"{v:>+7}" for v in result["steals_delta"][t]))
    lines.append(f"  total: A {result['steals_total']['a']}, B {result['steals_total']['b']}")
    lines.append("IPI delta, B - A")
    for kind, row in result["ipi_delta"].items():
        lines.append(f"  {kind:<10} " + " ".join(f"{k}={v:+}" for k, v in row.items()))
    lines.append(f"violations: A {result['violations']['a']}, B {result['violations']['b']}")
    divergence = result["first_divergence"]
    if divergence is None:
        lines.append("scheduling: the same decisions in the same order on every hart")
    else:
        def side(s):
            return "nothing" if s is None else f"task {s['task']} at {s['time_ns']} ns"
        lines.append(f"scheduling: first divergence on hart {divergence['hart']}, decision "
                     f"#{divergence['index']}: A ran {side(divergence['a'])}, B ran {side(divergence['b'])}")
    return "\n".join(lines)


def main(a, b, elf_a=None, elf_b=None, as_json=False, salvage=False) -> int:
    result = diff(a, b, elf_a, elf_b, salvage)
    print(json.dumps(result, indent=1, sort_keys=True) if as_json else render(result))
    return 0
