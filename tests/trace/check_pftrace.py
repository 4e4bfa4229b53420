"""End to end on a real audit kernel: ring (gdb) -> dump -> .pftrace.

Usage: check_pftrace.py ELF SCENARIO [HARTS]

Boots SCENARIO twice under icount and requires, for each run:
  - the dump's counts equal the kernel's own counter lines (check_counts);
  - the .pftrace decodes with protoc against tools/proto/perfetto_subset.proto;
  - the structural checker passes (perfetto/check.py);
  - nothing lost: per hart, remote accesses, unchecked accesses, steals,
    IPI sends / receives / handled and violations counted in the trace
    equal the records of those types in the dump and the kernel's counters;
  - every IPI received or handled carries a flow back to its send and a
    latency, and every violation has a numeric code (never "other");
  - tasks are named SCENARIO/ID;
and the two runs' .pftrace files are byte-identical.
Exit 0 on success, 1 with one line per problem.
"""

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_counts import compare, kernel_counts                # noqa: E402
from neuronlib.perfetto import check as checklib                # noqa: E402
from neuronlib.perfetto import readback, wire                  # noqa: E402
from neuronlib.perfetto.convert import HART_TRACK, convert     # noqa: E402
from neuronlib.tracefmt import dump, extract                   # noqa: E402
from neuronlib.tracefmt.records import TYPE_BY_NAME            # noqa: E402

SCHEMA = ROOT / "tools" / "proto" / "perfetto_subset.proto"

# kernel counter -> (dump record type, how the trace shows one of them)
COUNTED = {
    "remote": "remote", "unchecked": "unchecked", "violations": "violation",
    "steals": "steal_end", "ipis_sent": "ipi_send", "ipis_recv": "ipi_recv",
    "ipis_handled": "ipi_handled",
}


def trace_counts(path: Path) -> tuple[dict, list]:
    """Per hart: counter name -> events in the trace; and problems seen."""
    counts: dict = {}
    problems = []
    for item in readback.read(path):
        if isinstance(item, readback.TaskState):
            if item.comm and "/" not in item.comm:
                problems.append(f"{path}: task {item.tid} named {item.comm!r}, not SCENARIO/ID")
            continue
        if not isinstance(item, readback.Event):
            continue
        category = item.categories[0] if item.categories else ""
        if category == "violation":
            hart = item.args.get("hart")
            if item.args.get("missing") == "other" or item.name == "other":
                problems.append(f"{path}: violation at offset {item.offset} has no numeric code")
            counts.setdefault(hart, Counter())["violations"] += 1
            continue
        hart = item.track - HART_TRACK
        if not 0 <= hart < 256:
            continue
        c = counts.setdefault(hart, Counter())
        if category in ("remote", "unchecked") and item.type == 3:
            c[category] += 1
        elif category == "steal" and item.type == 2 and "tasks taken" in item.args:
            c["steals"] += 1
        elif category == "ipi":
            field = {"send": "ipis_sent", "received": "ipis_recv",
                     "handled": "ipis_handled"}[item.name.rsplit(" ", 1)[1]]
            c[field] += 1
            if field != "ipis_sent" and ("latency ns" not in item.args
                                             or not (item.flow_ids or item.terminating_flow_ids)):
                problems.append(f"{path}: hart {hart} {item.name} at offset {item.offset} "
                                "has no flow or latency back to its send")
    return counts, problems


def one_run(elf: Path, scenario: str, harts: int, directory: Path) -> tuple[bytes, list]:
    problems = []
    got = extract.extract(elf, directory / "ring.dump", harts=harts,
                          bootargs=f"scenario={scenario} seed=1 audit=continue", timeout=120)
    printed = kernel_counts(got.console)
    d = dump.load(got.dump_path, elf_path=elf)
    problems += compare("gdb", d, printed)
    out = directory / "trace.pftrace"
    with open(out, "wb") as stream:
        convert(d, stream, progress=False)
    # The file as written (packets deflated into compressed_packets), then
    # inflated: both must decode against the project's schema.
    for what, data in (("as written", out.read_bytes()), ("inflated", wire.inflate_trace(out.read_bytes()))):
        decoded = subprocess.run(["protoc", f"--proto_path={SCHEMA.parent}",
                                  "--decode=perfetto.protos.Trace", SCHEMA.name],
                                 input=data, capture_output=True)
        if decoded.returncode != 0 or not decoded.stdout:
            problems.append(f"{out} ({what}): protoc --decode failed: "
                            f"{decoded.stderr.decode().strip()[:200]}")
    result = checklib.check(out)
    if not result.ok:
        problems += [f"{out}: check: {error}" for error in result.errors]
    in_trace, seen = trace_counts(out)
    problems += seen
    for ring in d.harts:
        by_type = Counter(record[1] for record in ring.records)
        for counter, type_name in COUNTED.items():
            kernel = printed.get(ring.hart, {}).get(counter)
            records = by_type[TYPE_BY_NAME[type_name]]
            trace = in_trace.get(ring.hart, Counter())[counter]
            if ring.dropped == 0 and not kernel == records == trace:
                problems.append(f"{scenario}: hart {ring.hart} {counter}: kernel {kernel}, "
                                f"dump {records}, trace {trace}")
    if sum(c["ipis_sent"] for c in in_trace.values()) == 0 and scenario != "selftest":
        problems.append(f"{scenario}: no IPI in the trace: nothing was paired")
    return out.read_bytes(), problems


def main() -> int:
    elf = Path(sys.argv[1])
    scenario = sys.argv[2]
    harts = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    problems = []
    traces = []
    with tempfile.TemporaryDirectory(prefix="neuron-pftrace-") as tmp:
        for run in ("first", "second"):
            directory = Path(tmp) / run
            directory.mkdir()
            trace, found = one_run(elf, scenario, harts, directory)
            traces.append(trace)
            problems += [f"{run} run: {p}" for p in found]
    if traces[0] != traces[1]:
        problems.append(f"{scenario}: two icount runs wrote different .pftrace bytes "
                        f"({len(traces[0])} and {len(traces[1])} bytes)")
    for problem in problems:
        print(problem)
    print(f"pftrace {scenario}:", "FAILED" if problems else
          f"decodes, checks, counts equal kernel == dump == trace, {len(traces[0])} bytes "
          "identical over two runs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
