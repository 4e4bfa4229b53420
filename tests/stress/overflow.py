"""Nothing lost: a small trace ring overflows; per hart kept + dropped ==
produced, exactly, in the kernel's counters, in the dump read from the
console stream, and in the drops the Perfetto converter reports.
Usage: overflow.py ELF MODE (overwrite|stop). Exit 0 on success."""

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from neuronlib import qemu, report           # noqa: E402
from neuronlib.tracefmt import dump, stream   # noqa: E402

LINE = re.compile(r"^neuron: trace: hart (\d+) produced=(\d+) kept=(\d+) dropped=(\d+)", re.M)
RECORDS = 16


def main() -> int:
    elf, mode = Path(sys.argv[1]), sys.argv[2]
    args = f"scenario=mixed seed=1 trace_records={RECORDS} trace_mode={mode} trace_stream=1"
    run = qemu.run(qemu.command_line(qemu.Boot(elf=elf, harts=4, icount=True, bootargs=args)), timeout=120)
    out = run.output.decode("utf-8", "replace")
    problems = []
    kernel = {int(h): (int(p), int(k), int(d)) for h, p, k, d in LINE.findall(out)}
    if run.status != 0 or len(kernel) != 4:
        problems.append(f"exit status {run.status}, {len(kernel)} counter lines (want 0, 4)")
    for hart, (produced, kept, dropped) in sorted(kernel.items()):
        if kept + dropped != produced:
            problems.append(f"kernel hart {hart}: kept {kept} + dropped {dropped} != produced {produced}")
        if dropped == 0:
            problems.append(f"kernel hart {hart}: nothing dropped: the ring of {RECORDS} did not overflow")
        if kept > RECORDS:
            problems.append(f"kernel hart {hart}: kept {kept} > ring size {RECORDS}")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "console.log"
        log.write_bytes(run.output)
        stream.to_dump(log, Path(tmp) / "t.dump")
        d = dump.load(Path(tmp) / "t.dump", elf_path=elf)
        if d.mode != mode:
            problems.append(f"dump mode {d.mode}, expected {mode}")
        for ring in d.harts:
            n = sum(1 for _ in ring.records)
            want = kernel.get(ring.hart)
            if want is None or (ring.produced, ring.kept, ring.dropped) != want:
                problems.append(f"dump hart {ring.hart}: produced/kept/dropped "
                                f"{(ring.produced, ring.kept, ring.dropped)}, kernel {want}")
            if n != ring.kept or ring.kept + ring.dropped != ring.produced:
                problems.append(f"dump hart {ring.hart}: {n} records read, kept {ring.kept}, "
                                f"dropped {ring.dropped}, produced {ring.produced}")
            print(f"hart {ring.hart}: produced {ring.produced} = kept {ring.kept} + dropped {ring.dropped} "
                  f"({n} records read)")
        # The converter's drops counter, read back from the trace it writes.
        reported = report.report(Path(tmp) / "t.dump", elf)["drops"]
        for hart, (_, _, dropped) in sorted(kernel.items()):
            got = reported.get(str(hart))
            if got != dropped:
                problems.append(f"converter hart {hart}: reports {got} dropped, kernel {dropped}")
            else:
                print(f"hart {hart}: the trace's drops counter ends at {got}, as the kernel counted")
    for problem in problems:
        print("FAIL:", problem)
    print(f"overflow ({mode}):", "FAIL" if problems else "kept + dropped == produced on every hart")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
