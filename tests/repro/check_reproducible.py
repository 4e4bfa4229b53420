#!/usr/bin/python3
"""The same sources give the same kernel and the same trace from any checkout path.

    check_reproducible.py SOURCE_DIR ELF [WORK_DIR]

Copies SOURCE_DIR (without build/ and .git) to a second, longer path,
configures and builds the audit preset there, and requires:
  - the two kernel ELFs are byte-identical;
  - neither ELF contains its checkout's absolute path (panic and violation
    messages, the PerCpu tables and the debug info say kernel/...);
  - `tools/neuron trace --harts 2` from each checkout writes byte-identical
    .pftrace files.
Exit 0 when all hold; otherwise one line per difference and exit 1.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _copy(source: Path, target: Path) -> None:
    def ignore(directory, names):
        skip = {".git"}
        if Path(directory) == source:
            skip.add("build")
        return [name for name in names if name in skip or name.startswith("__pycache__")]
    shutil.copytree(source, target, ignore=ignore, symlinks=True)


def _run(command, cwd) -> None:
    done = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        print(f"repro: {' '.join(map(str, command))} failed ({done.returncode}): " + " | ".join(tail))
        sys.exit(1)


def _trace(checkout: Path, elf: Path, out: Path) -> bytes:
    _run(["/usr/bin/python3", str(checkout / "tools" / "neuron"), "trace", "--elf", str(elf),
          "--harts", "2", "--out", str(out)], cwd=checkout)
    return out.read_bytes()


def main() -> int:
    source, elf = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    work = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    problems = []
    with tempfile.TemporaryDirectory(prefix="neuron-repro-", dir=work) as scratch:
        second = Path(scratch) / "a" / "second" / "checkout-at-another-path"
        _copy(source, second)
        _run(["cmake", "--preset", "audit"], cwd=second)
        _run(["cmake", "--build", "--preset", "audit"], cwd=second)
        other = second / "build" / "audit" / "kernel" / "neuron.elf"
        first_bytes, second_bytes = elf.read_bytes(), other.read_bytes()
        if first_bytes != second_bytes:
            where = next((i for i, (a, b) in enumerate(zip(first_bytes, second_bytes)) if a != b),
                         min(len(first_bytes), len(second_bytes)))
            problems.append(f"the ELFs differ from byte {where} ({elf}: {len(first_bytes)} bytes, "
                            f"{other}: {len(second_bytes)})")
        for checkout, data in ((source, first_bytes), (second, second_bytes)):
            if str(checkout).encode() in data:
                problems.append(f"the ELF built in {checkout} contains that path")
        traces = Path(scratch) / "traces"
        traces.mkdir()
        one = _trace(source, elf, traces / "first.pftrace")
        two = _trace(second, other, traces / "second.pftrace")
        if one != two:
            problems.append(f"the traces differ ({len(one)} and {len(two)} bytes)")
        if str(source).encode() in one or str(second).encode() in two:
            problems.append("a trace contains its checkout's path")
    for problem in problems:
        print(f"repro: {problem}")
    if not problems:
        print(f"repro: same ELF ({len(first_bytes)} bytes) and same trace ({len(one)} bytes) "
              "from two checkout paths")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
