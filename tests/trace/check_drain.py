"""The continuous drain (trace_drain=1) loses nothing, says so exactly when
it does, and repeats. Usage: check_drain.py ELF. Exit 0 on success.

  whole      stress on 8 harts, seed 5 (about 7,630 records per hart, where
             the 4,096-record ring used to keep the last 4,096): every
             hart's kernel line says dropped=0, the dump's sections hold
             every record (kept == produced, seq 0..produced-1), and the
             record counts by type equal the kernel's counters
  tiny ring  trace_records=16: the drain still takes everything (a batch is
             at most half the ring)
  repeat     two icount runs give the same drain bytes
  host full  QEMU's stdout on /dev/full: every write is refused; the kernel
             counts every record as dropped, exactly, and the reader refuses
             the stream in one line instead of passing a partial run
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from neuronlib import qemu                        # noqa: E402
from neuronlib.tracefmt import drain, dump        # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_counts import compare, kernel_counts   # noqa: E402

problems: list[str] = []


def boot(elf: Path, work: Path, name: str, harts: int, bootargs: str, stdout: Path) -> str:
    console = work / f"{name}.console.log"
    command = qemu.command_line(qemu.Boot(elf, harts, f"{bootargs} trace_drain=1", icount=True,
                                          drain_console=console))
    result = qemu.run_to_file(command, 600, stdout)
    text = console.read_text(errors="replace") if console.exists() else ""
    if result.status != 0:
        problems.append(f"{name}: exit status {result.status}")
    return text


def whole(elf: Path, work: Path, name: str, harts: int, bootargs: str) -> Path:
    stream = work / f"{name}.drain"
    console = boot(elf, work, name, harts, bootargs, stream)
    printed = kernel_counts(console)
    out = work / f"{name}.dump"
    try:
        drain.to_dump(stream, out)
    except dump.DumpError as error:
        problems.append(f"{name}: {error}")
        return stream
    d = dump.load(out, elf)
    problems.extend(compare(name, d, printed))
    for ring in d.harts:
        if ring.dropped or ring.kept != ring.produced or printed[ring.hart].get("dropped") != 0:
            problems.append(f"{name}: hart {ring.hart}: produced {ring.produced}, kept {ring.kept}, "
                            f"dropped {ring.dropped} (kernel says {printed[ring.hart].get('dropped')})")
        seqs = [record[0] for record in ring.records]
        if seqs != list(range(ring.produced)):
            problems.append(f"{name}: hart {ring.hart}: sequence numbers are not 0..{ring.produced - 1}")
    total = sum(r.produced for r in d.harts)
    print(f"{name}: {len(d.harts)} harts, {total} records, every one drained")
    return stream


def main() -> int:
    elf = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        first = whole(elf, work, "stress_h8", 8, "scenario=stress seed=5")
        whole(elf, work, "tiny_ring", 4, "scenario=mixed seed=2 trace_records=16")
        again = work / "again.drain"
        boot(elf, work, "again", 8, "scenario=stress seed=5", again)
        if first.read_bytes() != again.read_bytes():
            problems.append("repeat: two icount runs drained different bytes")
        else:
            print(f"repeat: two runs, {first.stat().st_size} identical bytes")
        console = boot(elf, work, "host_full", 4, "scenario=mixed seed=1", Path("/dev/full"))
        printed = kernel_counts(console)
        if not printed or any(c.get("kept") != 0 or c.get("dropped") != c.get("produced")
                              or c.get("produced", 0) == 0 for c in printed.values()):
            problems.append(f"host full: the kernel must count every record dropped: {printed}")
        else:
            print(f"host full: the kernel counted all {sum(c['produced'] for c in printed.values())} "
                  "records as dropped")
        refused = work / "refused.drain"
        refused.write_bytes(b"")
        try:
            drain.to_dump(refused, work / "refused.dump")
            problems.append("host full: an empty stream was accepted")
        except dump.DumpError as error:
            print(f"host full: the reader refuses: {error}")
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
