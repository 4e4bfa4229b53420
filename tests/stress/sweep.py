"""No false alarms: clean scenarios across seeds x hart counts in the audit
build report no violation. Usage: sweep.py ELF SEEDS HARTS [HARTS...]
SEEDS is a count (seeds 1..SEEDS). Every boot must exit 0, print
"# percpu violations: 0", and its trace counter lines must show
violations=0 on every hart. Exit 0 on success, 1 listing every bad boot."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from neuronlib import qemu  # noqa: E402

SCENARIOS = ("imbalance", "pingpong", "storm", "mixed", "stress")
CLEAN = re.compile(r"^# percpu violations: 0\r?$", re.M)
COUNTERS = re.compile(r"^neuron: trace: hart (\d+) .*\bviolations=(\d+)", re.M)


def main() -> int:
    elf, seeds, harts = Path(sys.argv[1]), int(sys.argv[2]), [int(h) for h in sys.argv[3:]]
    bad, boots = [], 0
    for h in harts:
        for scenario in SCENARIOS:
            for seed in range(1, seeds + 1):
                args = f"scenario={scenario} seed={seed}"
                run = qemu.run(qemu.command_line(qemu.Boot(elf=elf, harts=h, icount=True, bootargs=args)),
                               timeout=120)
                boots += 1
                out = run.output.decode("utf-8", "replace")
                counters = COUNTERS.findall(out)
                problems = []
                if run.status != 0:
                    problems.append(f"exit status {run.status}")
                if not CLEAN.search(out):
                    problems.append("no '# percpu violations: 0'")
                if len(counters) != h or any(v != "0" for _, v in counters):
                    problems.append(f"trace violation counters {counters}")
                if "percpu: violation:" in out:
                    problems.append("a violation line")
                if problems:
                    bad.append(f"harts={h} {args}: " + "; ".join(problems))
                    print(out)
    for line in bad:
        print("FAIL:", line)
    print(f"sweep: {boots} boots ({len(SCENARIOS)} scenarios x {seeds} seeds x harts {harts}), "
          f"{len(bad)} with a violation or failure")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
