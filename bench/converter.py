"""Trace converter figures: events/s, peak RSS, .pftrace bytes per event.

Each measurement runs in a fresh interpreter so that its peak RSS
(getrusage ru_maxrss) is its own. Input: dump files of 1 M / 10 M events
written by tools/neuronlib/tracefmt/synth.py (4 harts, seed 1; made once
into the work directory), converted by the C loop (fastconv.c) and, at
1 M, by the Python loop (NEURON_CONVERT_PYTHON=1); for bytes per event,
the dump of the real demo (`tools/neuron trace`; the synthetic
`fakedump.scenario` only if that cannot run). The record size is
sizeof(struct trace_record), compiled from trace/include.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENTS_PER_S_GOAL = 1_000_000
BYTES_PER_EVENT_GOAL = 12

PROBE = r"""
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from neuronlib.perfetto import convert, fakedump, wire
class Counter:
    # Counts bytes on their way to `inner` (or to nowhere).
    def __init__(self, inner=None):
        self.inner, self.n = inner, 0
    def write(self, b):
        self.n += len(b)
        return self.inner.write(b) if self.inner else len(b)
kind, n = sys.argv[2], sys.argv[3]
from neuronlib.tracefmt import dump as dumpfmt
if kind == "demo":  # n: the dump `tools/neuron trace` wrote, then the ELF
    dump = dumpfmt.load(n, sys.argv[4])
elif kind == "file":  # n: a synthetic dump file
    dump = dumpfmt.load(n)
else:
    n = int(n)
    dump = fakedump.stream(records=n) if kind == "stream" else fakedump.scenario(seed=1, steps=n)[0]
events = sum(r.kept for r in dump.harts)
# As convert.convert() writes a file: packets deflated into compressed_packets.
out = Counter()
writer = wire.CompressingWriter(out)
plain = Counter(writer)
from neuronlib.perfetto import fastpath
fastpath.library()   # built or loaded once, outside the timed conversion
converter = convert.Converter(dump, plain, progress=False)
start = time.perf_counter()
converter.run()
writer.close()
seconds = time.perf_counter() - start
print("events", events, "seconds", seconds, "bytes", out.n, "plain", plain.n,
      "rss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "engine", converter.engine)
"""


class BenchError(Exception):
    pass


def compression_level() -> int:
    sys.path.insert(0, str(ROOT / "tools"))
    from neuronlib.perfetto import wire
    return wire.COMPRESSION_LEVEL


def available() -> bool:
    base = ROOT / "tools" / "neuronlib"
    return (base / "perfetto" / "convert.py").is_file() and (base / "tracefmt" / "synth.py").is_file()


def probe(kind: str, n, timeout: float = 400, *extra: str, python_loop: bool = False) -> dict:
    command = [sys.executable, "-c", PROBE, str(ROOT / "tools"), kind, str(n), *extra]
    env = dict(os.environ)
    env.pop("NEURON_CONVERT_PYTHON", None)
    if python_loop:
        env["NEURON_CONVERT_PYTHON"] = "1"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise BenchError(f"converter on {kind} {n} timed out after {timeout:g} s")
    m = re.search(r"events (\d+) seconds (\S+) bytes (\d+) plain (\d+) rss_kib (\d+) engine (\w+)",
                  done.stdout)
    if done.returncode != 0 or not m:
        last = done.stderr.strip().splitlines()[-1:]
        raise BenchError(f"converter on {kind} {n} failed (status {done.returncode}): {last}")
    return {"events": int(m.group(1)), "seconds": float(m.group(2)),
            "bytes": int(m.group(3)), "plain": int(m.group(4)), "rss_mib": int(m.group(5)) / 1024,
            "engine": m.group(6)}


def synthetic(work: Path, events: int) -> Path:
    """A synth.py dump of `events` events (4 harts, seed 1), made once."""
    path = work / f"synth-{events}-4h-seed1.dump"
    if not path.is_file():
        work.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        subprocess.run([sys.executable, "-m", "neuronlib.tracefmt.synth", str(partial), str(events),
                        "--harts", "4", "--seed", "1"], cwd=ROOT / "tools", check=True, timeout=1800)
        partial.replace(path)
    return path


def record_size(work: Path) -> int:
    work.mkdir(parents=True, exist_ok=True)
    source, exe = work / "record_size.c", work / "record_size"
    source.write_text('#include <stdio.h>\n#include <neuron/trace_record.h>\n'
                      'int main(void) { printf("%zu\\n", sizeof(struct trace_record)); return 0; }\n')
    subprocess.run(["gcc", f"-I{ROOT}/trace/include", str(source), "-o", str(exe)], check=True)
    return int(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout)


def real_demo(work: Path):
    """The converter on the dump of the real demo, `tools/neuron trace` (gdb path,
    4 harts, mixed, seed 1, icount); (None, why) when it cannot be made here."""
    dump = work / "demo" / "mixed-4h-seed1.dump"
    elf = ROOT / "build" / "audit" / "kernel" / "neuron.elf"
    made = subprocess.run([sys.executable, str(ROOT / "tools" / "neuron"), "trace",
                           "--out", str(dump.with_suffix(".pftrace"))],
                          capture_output=True, text=True, timeout=600)
    if made.returncode != 0 or not dump.is_file():
        return None, ("`fakedump.scenario(seed=1)`, synthetic: `tools/neuron trace` failed here "
                      f"(status {made.returncode})")
    return probe("demo", dump, 400, str(elf)), \
        "the real demo: `tools/neuron trace` (4 harts, mixed, seed 1, ring dump through gdb)"


def section(work: Path, quick: bool) -> list[str]:
    out = ["### Trace converter (`tools/neuronlib/perfetto`)", ""]
    size = record_size(work)
    if not available():
        return out + ["| figure | value |", "|---|---|",
                      f"| ring record size | {size} bytes |",
                      "| events/s, peak RSS, bytes per event | not measured: converter not available |",
                      ""]
    sizes = [20_000] if quick else [1_000_000, 10_000_000]
    rows = [(n, "C loop (fastconv.c)", probe("file", synthetic(work, n))) for n in sizes]
    rows.insert(1, (sizes[0], "Python loop", probe("file", synthetic(work, sizes[0]), python_loop=True)))
    demo, demo_source = real_demo(work)
    if demo is None:
        demo = probe("scenario", 200 if quick else 2000)
    out += [f"Input: `tracefmt/synth.py` dump files of N events (4 harts, seed 1), converted to a "
            f"byte counter; one fresh `{Path(sys.executable).name}` per row; the Python loop row "
            f"with `NEURON_CONVERT_PYTHON=1`. Timed as `convert()` writes a file: packets "
            f"deflated into `compressed_packets` (zlib level {compression_level()}); "
            f"the plain-packet size is shown beside it. Ring record size: "
            f"{size} bytes (`sizeof(struct trace_record)`).", "",
            "| events | loop | events/s | peak RSS | bytes per event (plain packets) |",
            "|---|---|---|---|---|"]
    for n, loop, r in rows:
        rate = r["events"] / r["seconds"]
        if r["engine"] != ("python" if loop == "Python loop" else "c"):
            raise BenchError(f"converter on {n} events ran the {r['engine']} loop, not the {loop}")
        out.append(f"| {r['events']:,} | {loop} | {rate:,.0f} | {r['rss_mib']:.1f} MiB | "
                   f"{r['bytes'] / r['events']:.2f} ({r['plain'] / r['events']:.2f}) |")
    fast = [r for _, loop, r in rows if loop != "Python loop"]
    worst = min(r["events"] / r["seconds"] for r in fast)
    python_rate = rows[1][2]["events"] / rows[1][2]["seconds"]
    flat = fast[-1]["rss_mib"] <= fast[0]["rss_mib"] * 1.25 + 8
    demo_bpe = demo["bytes"] / demo["events"]
    out += ["", f"Goal >= {EVENTS_PER_S_GOAL:,} events/s: {'met' if worst >= EVENTS_PER_S_GOAL else '**MISSED**'} "
            f"(slowest C loop row {worst:,.0f} events/s, {worst / python_rate:.0f}× the Python loop; "
            "both write the same bytes, tests/tools/test_perfetto_fastpath.py)."
            + ("" if worst >= EVENTS_PER_S_GOAL else
               " What would close it: profile the C loop (the Python template requests "
               "and the write callback are the only per-chunk Python left)."),
            f"Memory flat from {sizes[0]:,} to {sizes[-1]:,} events: "
            f"{'met' if flat else '**MISSED**'} ({fast[0]['rss_mib']:.1f} → {fast[-1]['rss_mib']:.1f} MiB).",
            f"Demo trace ({demo_source}, {demo['events']:,} events): "
            f"{demo_bpe:.2f} .pftrace bytes per event ({demo['plain'] / demo['events']:.2f} as plain packets); "
            f"goal <= {BYTES_PER_EVENT_GOAL}: {'met' if demo_bpe <= BYTES_PER_EVENT_GOAL else '**MISSED**'}."
            + ("" if demo_bpe <= BYTES_PER_EVENT_GOAL else
               " What would close it: every packet pays about 8 bytes of framing (packet and "
               "TrackEvent lengths, time delta, sequence id) and an instant 6 more (type, "
               "interned name and category); what is left is per-event data: IPI `latency ns` "
               "and flow ids, task states. Below 12 needs dropping per-event data the report "
               "reads (latency, recomputable from the flow's two ends) or events "
               "(the `received` instant of each IPI)."),
            "", "Commands: `bench/converter.py` PROBE with `file DUMP` / `demo DUMP ELF`.", ""]
    return out
