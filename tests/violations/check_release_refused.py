"""A release kernel refuses violation=NAME: one clear line, exit status 2.
Usage: check_release_refused.py ELF"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from neuronlib import qemu  # noqa: E402

WANT = "neuron: bootargs: violation=no_guard: the violation suite is audit-only; this is a release build"

run = qemu.run(qemu.command_line(qemu.Boot(elf=Path(sys.argv[1]), harts=2, icount=True,
                                           bootargs="violation=no_guard")), timeout=30)
console = run.output.decode("utf-8", "replace")
print(console)
problems = []
if run.status != 2:
    problems.append(f"exit status {run.status}, expected 2 (bad boot arguments)")
if WANT not in console:
    problems.append(f"no line '{WANT}'")
for problem in problems:
    print("FAIL:", problem)
print("release refusal:", "FAIL" if problems else "one line, exit status 2")
sys.exit(1 if problems else 0)
