"""An injected lock-order inversion (fault=lock_inversion): two harts take
two runqueue locks in opposite orders at once. Usage:
inversion.py ELF audit|release HARTS. The audit build must report it on one
line naming both locks and both harts and exit 3 (audit=panic); the release
build must be ended by the watchdog (its line, exit 4). Either way within
the time limit, and no QEMU left behind. Exit 0 on success."""

import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from neuronlib import qemu  # noqa: E402

WATCHDOG_MS = 3000
LIMIT_S = 60
PLAN = re.compile(r"^# lock_inversion: hart (\d+) takes runqueues\.lock of hart \d+ then \d+; "
                  r"hart (\d+) takes them in the opposite order", re.M)
VIOLATION = re.compile(r"^percpu: violation: .*$", re.M)
WATCHDOG = re.compile(r"^neuron: watchdog: (?!hart \d+:).*$", re.M)
# The watchdog's diagnosis: one line per hart; the two deadlocked ones spin.
SPINNING = re.compile(r"^neuron: watchdog: hart (\d+): .*; spinning \d+ ms on .*taken at "
                      r"\S*kernel/proof/scenarios/inversion\.c:\d+\r?$", re.M)


def qemu_alive(tag: str) -> bool:
    """Any process whose command line carries our unique tag."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if tag.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def main() -> int:
    elf, build, harts = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    tag = f"neuron-inversion-{os.getpid()}"
    command = qemu.command_line(qemu.Boot(elf=elf, harts=harts, icount=True,
                                          bootargs=f"scenario=storm fault=lock_inversion "
                                                   f"watchdog_ms={WATCHDOG_MS}"))
    start = time.monotonic()
    run = qemu.run(command + ["-name", tag], timeout=LIMIT_S)
    wall = time.monotonic() - start
    out = run.output.decode("utf-8", "replace")
    problems = []
    if run.timed_out:
        problems.append(f"no verdict within {LIMIT_S} s: a hang")
    if qemu_alive(tag):
        problems.append("a QEMU process outlived the run")
    plan = PLAN.search(out)
    if not plan:
        problems.append("no '# lock_inversion: hart A ... hart B ...' line: nothing injected")
        low = high = None
    else:
        low, high = plan.group(1), plan.group(2)
    violations, watchdogs = VIOLATION.findall(out), WATCHDOG.findall(out)
    if build == "audit":
        want = 3
        if len(violations) != 1:
            problems.append(f"{len(violations)} 'percpu: violation:' lines, want 1")
        elif plan:
            line = violations[0]
            # The descending side (high) is caught before its spin: it holds
            # its own lock and wants low's, which low holds.
            for part in (f"hart {high} accessed runqueues.lock of hart {low}",
                         f"holds the one of hart {high}", f"this one held by hart {low}",
                         "locks of one class taken in ascending order"):
                if part not in line:
                    problems.append(f"violation line lacks '{part}': {line}")
        if watchdogs:
            problems.append(f"the watchdog fired in the audit build: {watchdogs}")
    else:
        want = 4
        if violations:
            problems.append(f"a release build reported a violation: {violations}")
        if len(watchdogs) != 1 or "'lock_inversion' did not finish" not in watchdogs[0]:
            problems.append(f"watchdog lines {watchdogs}, want one naming 'lock_inversion'")
        spinning = sorted(SPINNING.findall(out))
        if plan and spinning != sorted([low, high]):
            problems.append(f"watchdog diagnosis shows harts {spinning} spinning on a lock in "
                            f"inversion.c, want harts {low} and {high}")
        if "# lock_inversion: both sides hold their first lock" not in out:
            problems.append("no 'both sides hold their first lock' line: not shown to be an ABBA")
        if "not ok 1 lock_inversion # watchdog" not in out:
            problems.append("no 'not ok 1 lock_inversion # watchdog' KTAP line")
    if run.status != want:
        problems.append(f"exit status {run.status}, want {want}")
    for problem in problems:
        print("FAIL:", problem)
    if problems:
        print(out[-3000:])
    else:
        print(f"lock inversion ({build}, {harts} harts): exit {run.status} after {wall:.1f} s wall: "
              + (violations[0] if build == "audit" else watchdogs[0]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
