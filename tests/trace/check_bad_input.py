"""Bad dumps from a real audit kernel, through `tools/neuron report` and
`tools/neuron convert`: one line naming the file and the offset (and the
hart for a record), a non-zero exit, no traceback; --salvage keeps the
valid records and says how many it skipped.

Usage: check_bad_input.py ELF. Exit 0 on success, 1 with one line per problem.
"""

import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from neuronlib.tracefmt import dump, extract                   # noqa: E402
from neuronlib.tracefmt.dump import HART_HEADER, HEADER        # noqa: E402

NEURON = [sys.executable, str(ROOT / "tools" / "neuron")]


def first_record_offset(data: bytes) -> int:
    return HEADER.size + HART_HEADER.size


def variants(good: bytes) -> dict:
    """name -> (bytes, needs hart in the message, salvageable)."""
    record = first_record_offset(good)
    out = {}
    out["truncated"] = (good[:len(good) - 8], True, False)
    out["wrong-magic"] = (b"XXXXXXXX" + good[8:], False, False)
    out["wrong-version"] = (good[:8] + struct.pack("<H", 99) + good[10:], False, False)
    corrupt = bytearray(good)
    corrupt[record + 16 * 3 + 4] = 0            # fourth record of the first hart: type 0
    out["corrupt-record"] = (bytes(corrupt), True, True)
    unknown = bytearray(good)
    for index in range(64):                      # first remote record: var id beyond the ELF's
        at = record + 16 * index
        if unknown[at + 4] == 1:
            unknown[at + 6:at + 8] = struct.pack("<H", 0xFFFE)
            break
    out["unknown-id"] = (bytes(unknown), True, True)
    harts = bytearray(good)
    harts[40:44] = struct.pack("<I", 7)          # NEURON_MAX_HARTS the ELF does not have
    out["hart-count"] = (bytes(harts), False, False)
    return out


def run(command: list) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def check_error(label: str, result, path: Path, needs_hart: bool) -> list:
    problems = []
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode == 0:
        problems.append(f"{label}: exit status 0")
    if "Traceback" in result.stderr + result.stdout:
        problems.append(f"{label}: a Python traceback")
    if len(lines) != 1:
        problems.append(f"{label}: {len(lines)} lines on stderr, not one: {lines[:3]}")
    elif str(path) not in lines[0] or "offset" not in lines[0] or \
            (needs_hart and "hart" not in lines[0]):
        problems.append(f"{label}: the error does not name file, offset"
                        f"{' and hart' if needs_hart else ''}: {lines[0]}")
    return problems


def main() -> int:
    elf = Path(sys.argv[1])
    problems = []
    with tempfile.TemporaryDirectory(prefix="neuron-badinput-") as tmp:
        tmp = Path(tmp)
        got = extract.extract(elf, tmp / "good.dump", harts=4,
                              bootargs="scenario=imbalance seed=1", timeout=120)
        good = got.dump_path.read_bytes()
        kept = sum(ring.kept for ring in dump.load(got.dump_path, elf_path=elf).harts)
        for name, (data, needs_hart, salvageable) in variants(good).items():
            path = tmp / f"{name}.dump"
            path.write_bytes(data)
            for tool in ("report", "convert"):
                command = NEURON + [tool, str(path), "--elf", str(elf)]
                if tool == "convert":
                    command += ["--out", str(tmp / f"{name}.pftrace")]
                problems += check_error(f"{tool} {name}", run(command), path, needs_hart)
                if not salvageable:
                    continue
                salvaged = run(command + ["--salvage"])
                if salvaged.returncode != 0:
                    problems.append(f"{tool} {name} --salvage: exit {salvaged.returncode}: "
                                    f"{salvaged.stderr.strip()[-200:]}")
                elif "skipped 1 bad record" not in salvaged.stderr:
                    problems.append(f"{tool} {name} --salvage: does not say it skipped one "
                                    f"record: {salvaged.stderr.strip()[-200:]}")
            if salvageable:
                d = dump.load(path, elf_path=elf, salvage=True)
                recovered = sum(1 for ring in d.harts for _ in ring.records)
                if recovered != kept - 1:
                    problems.append(f"{name}: salvage recovered {recovered} of {kept - 1} valid records")
    for problem in problems:
        print(problem)
    print("bad input:", "FAILED" if problems else
          "one-line errors naming file/offset/hart, non-zero exit, salvage recovers the rest")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
