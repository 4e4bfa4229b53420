"""IPI storm, exactly once: scenario=storm with storm_ipis=N. Usage:
storm.py ELF HARTS N. Requires exit 0, every KTAP case ok, the kernel's
total of calls handled exactly once >= N with every (sender, target) pair
exact (calls sent == fns run == IPI-layer posted == handled), and no
sequence error (mailbox or per sender) on any hart. Exit 0 on success."""

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from neuronlib import qemu  # noqa: E402

TOTAL = re.compile(r"^# storm: (\d+) calls handled exactly once in all \(([^)]*)\); "
                   r"posts refused and retried (\d+), given up (\d+)", re.M)
HART = re.compile(r"^# storm: hart (\d+): (\d+) calls run, (\d+) handled, .*"
                  r"sequence errors (\d+)/(\d+)\r?$", re.M)
PAIR_MISMATCH = re.compile(r"^# storm: pair .*$", re.M)
NOT_OK = re.compile(r"^not ok .*$", re.M)


def main() -> int:
    elf, harts, want = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    args = f"scenario=storm seed=1 storm_ipis={want}"
    start = time.monotonic()
    run = qemu.run(qemu.command_line(qemu.Boot(elf=elf, harts=harts, icount=True, bootargs=args)),
                   timeout=600)
    wall = time.monotonic() - start
    out = run.output.decode("utf-8", "replace")
    problems = []
    if run.status != 0:
        problems.append(f"exit status {run.status}, want 0")
    problems += [f"KTAP: {line.strip()}" for line in NOT_OK.findall(out)]
    problems += [f"pair mismatch: {line.strip()}" for line in PAIR_MISMATCH.findall(out)]
    total = TOTAL.search(out)
    if not total:
        problems.append("no '# storm: N calls handled exactly once in all' line")
    else:
        handled, verdict = int(total.group(1)), total.group(2)
        if handled < want:
            problems.append(f"{handled} calls handled, fewer than storm_ipis={want}")
        if verdict != "every pair exact":
            problems.append(f"kernel verdict '{verdict}'")
        print(f"storm: {handled} calls on {harts} harts, each handled exactly once; "
              f"refused and retried {total.group(3)}, given up {total.group(4)}; {wall:.1f} s wall")
    rows = HART.findall(out)
    if len(rows) != harts:
        problems.append(f"{len(rows)} per-hart lines, want {harts}")
    for hart, ran, handled, seq, sender_seq in rows:
        if ran != handled or seq != "0" or sender_seq != "0":
            problems.append(f"hart {hart}: {ran} run, {handled} handled, sequence errors {seq}/{sender_seq}")
    for problem in problems:
        print("FAIL:", problem)
    if problems:
        print(out[-4000:])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
