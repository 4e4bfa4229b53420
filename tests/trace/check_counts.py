"""Boots the audit kernel twice (gdb extraction, console stream) and checks
that every hart's counts in the dump equal the kernel's printed counters,
and, where nothing was dropped, that record counts by type equal them too.
Usage: check_counts.py ELF [SCENARIO]. Exit 0 on success, 1 with one line per mismatch."""

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from neuronlib import qemu                              # noqa: E402
from neuronlib.tracefmt import dump, extract, stream    # noqa: E402
from neuronlib.tracefmt.records import TYPE_BY_NAME     # noqa: E402

LINE = re.compile(r"neuron: trace: hart (\d+) (.*)")
FIELD_TYPES = {"remote": "remote", "violations": "violation", "unchecked": "unchecked",
               "switches": "switch", "steals": "steal_end", "ipis_sent": "ipi_send",
               "ipis_recv": "ipi_recv", "ipis_handled": "ipi_handled", "marks": "mark"}


def kernel_counts(console: str) -> dict:
    out = {}
    for match in LINE.finditer(console):
        out[int(match.group(1))] = {k: int(v) for k, v in
                                    (w.split("=") for w in match.group(2).split())}
    return out


def compare(label, d, printed) -> list:
    problems = []
    if sorted(printed) != sorted(r.hart for r in d.harts):
        problems.append(f"{label}: harts {sorted(printed)} printed, {[r.hart for r in d.harts]} in the dump")
    for ring in d.harts:
        k = printed.get(ring.hart, {})
        for field in ("produced", "kept", "dropped"):
            if k.get(field) != getattr(ring, field):
                problems.append(f"{label}: hart {ring.hart} {field}: kernel {k.get(field)}, dump {getattr(ring, field)}")
        by_type = {}
        n = 0
        for rec in ring.records:
            by_type[rec[1]] = by_type.get(rec[1], 0) + 1
            n += 1
        if n != ring.kept:
            problems.append(f"{label}: hart {ring.hart}: {n} records read, kept {ring.kept}")
        if ring.dropped == 0:
            for field, name in FIELD_TYPES.items():
                if k.get(field) != by_type.get(TYPE_BY_NAME[name], 0):
                    problems.append(f"{label}: hart {ring.hart} {field}: kernel {k.get(field)}, "
                                    f"records {by_type.get(TYPE_BY_NAME[name], 0)}")
    return problems


def main() -> int:
    elf = Path(sys.argv[1])
    scenario = sys.argv[2] if len(sys.argv) > 2 else "mixed"
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        got = extract.extract(elf, Path(tmp) / "gdb.dump", harts=4,
                              bootargs=f"scenario={scenario} trace_records=1024", timeout=120)
        problems += compare("gdb", dump.load(got.dump_path, elf_path=elf), kernel_counts(got.console))
        command = qemu.command_line(qemu.Boot(elf=elf, harts=4, icount=True,
                                              bootargs=f"scenario={scenario} trace_records=256 trace_stream=1"))
        run = qemu.run(command, timeout=120)
        log = Path(tmp) / "console.log"
        log.write_bytes(run.output)
        stream.to_dump(log, Path(tmp) / "stream.dump")
        problems += compare("stream", dump.load(Path(tmp) / "stream.dump", elf_path=elf),
                            kernel_counts(run.output.decode(errors="replace")))
    for problem in problems:
        print(problem)
    print("trace counts:", "MISMATCH" if problems else "dump == kernel counters on every hart (gdb and stream)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
