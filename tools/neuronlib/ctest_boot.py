"""The checks behind the QEMU CTest tests (tests/qemu/CMakeLists.txt).

Each check boots the kernel (or reads a saved console log), prints what it
saw, and returns a CTest verdict: PASS, FAIL, or SKIP (CTest's
SKIP_RETURN_CODE). Every boot has a timeout shorter than the CTest one,
so the harness kills QEMU itself and says so.

A self-test that is missing from the log fails: absence is never a pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import ktap, qemu
from .selftests import SelfTest, read_selftest_list

PASS, FAIL, SKIP = 0, 1, 77

# Boot arguments of every CTest boot, so that each one repeats under icount.
BASE_BOOTARGS = "seed=1"


def _say(message: str) -> None:
    print(f"neuron-ctest: {message}", flush=True)


_meaning = qemu.describe_status


def _boot(elf: Path, harts: int, extra: str, timeout: float, icount: bool = True,
          echo: bool = True) -> qemu.RunResult:
    boot = qemu.Boot(elf=elf, harts=harts, icount=icount,
                     bootargs=f"{BASE_BOOTARGS} {extra}".strip())
    command = qemu.command_line(boot)
    _say("running: " + " ".join(command))
    result = qemu.run(command, timeout)
    if echo:
        sys.stdout.write(result.output.decode("utf-8", "replace"))
        if result.output and not result.output.endswith(b"\n"):
            sys.stdout.write("\n")
    if result.timed_out:
        _say(f"QEMU did not exit within {timeout:g} s and was killed")
    return result


def _print_results(report: ktap.KtapReport) -> None:
    for result in report.results:
        detail = f" ({result.reason})" if result.reason else ""
        _say(f"  {result.status:4} {result.number:3} {result.name}{detail}")
    _say(report.summary())


def boot_check(elf: Path, harts: int, selftest_list: Path, log: Path,
               timeout: float) -> int:
    """Boot under icount, save the console to `log`, check the whole run.

    Passes when the kernel exited 0 or 1, its KTAP is well formed, the
    plan and names match the self-test list in order, and the exit status
    agrees with the results. A failing self-test does not fail this check
    (its own CTest test does), so every case still gets its verdict.
    """
    expected = read_selftest_list(selftest_list)
    log.unlink(missing_ok=True)
    result = _boot(elf, harts, "", timeout)
    log.write_bytes(result.output)
    _say(f"console log saved to {log}")
    report = ktap.parse(result.output.decode("utf-8", "replace"))
    problems = [f"KTAP: {error}" for error in report.errors]
    if result.status not in (0, 1):
        problems.append(_meaning(result.status))
    problems += _compare_with_list(report, expected)
    failed = report.count("fail") > 0
    if result.status == 0 and failed:
        problems.append("exit status 0 although a self-test failed")
    if result.status == 1 and not failed:
        problems.append("exit status 1 although no self-test failed")
    _print_results(report)
    for problem in problems:
        _say(f"FAIL: {problem}")
    if problems:
        return FAIL
    _say(f"boot ok at {harts} harts, {_meaning(result.status)}")
    return PASS


def _compare_with_list(report: ktap.KtapReport, expected: list[SelfTest]) -> list[str]:
    problems = []
    if report.plan is not None and report.plan != len(expected):
        problems.append(f"plan 1..{report.plan} but the self-test list has {len(expected)} entries")
    reported = [result.name for result in report.results]
    wanted = [test.name for test in expected]
    missing = [name for name in wanted if name not in reported]
    unknown = [name for name in reported if name not in wanted]
    if missing:
        problems.append("missing from the log: " + ", ".join(missing))
    if unknown:
        problems.append("not in the self-test list: " + ", ".join(unknown))
    if not missing and not unknown and reported != wanted:
        problems.append("results are not in the self-test list's order")
    return problems


def case_check(log: Path, name: str, harts: int, min_harts: int) -> int:
    """The verdict of one self-test, read from a saved boot log."""
    try:
        text = log.read_bytes().decode("utf-8", "replace")
    except OSError:
        _say(f"FAIL: no console log at {log}: its boot test did not run")
        return FAIL
    result = ktap.parse(text).find(name)
    if result is None:
        _say(f"FAIL: {name} has no result in {log} (absence is never a pass)")
        return FAIL
    for line in result.diagnostics:
        _say(f"  # {line}")
    line = f"line {result.line} of {log}"
    if result.status == "fail":
        _say(f"FAIL: not ok {result.number} {name} ({line})")
        return FAIL
    if result.status == "skip":
        if not result.reason:
            _say(f"FAIL: {name} skipped without a reason ({line})")
            return FAIL
        _say(f"SKIP: {name}: {result.reason}")
        return SKIP
    if harts < min_harts:
        _say(f"FAIL: {name} passed at {harts} harts but needs {min_harts}: it cannot have run")
        return FAIL
    _say(f"PASS: ok {result.number} {name} ({line})")
    return PASS


def bootargs_typo_check(elf: Path, harts: int, timeout: float, argument: str) -> int:
    """A misspelt boot argument: exit 2 and one `neuron: bootargs:` line naming it."""
    result = _boot(elf, harts, f"{argument}=1", timeout)
    lines = [line for line in result.output.decode("utf-8", "replace").splitlines()
             if line.startswith("neuron: bootargs:")]
    problems = []
    if result.status != 2:
        problems.append(f"{_meaning(result.status)}, want 2")
    if len(lines) != 1:
        problems.append(f"{len(lines)} 'neuron: bootargs:' lines, want exactly 1")
    elif argument not in lines[0]:
        problems.append(f"the bootargs line does not name '{argument}'")
    for problem in problems:
        _say(f"FAIL: {problem}")
    return FAIL if problems else PASS


def forced_failure_check(elf: Path, harts: int, timeout: float, name: str) -> int:
    """The counterfactual: `selftest_fail=NAME` must fail NAME and only NAME."""
    result = _boot(elf, harts, f"selftest_fail={name}", timeout)
    report = ktap.parse(result.output.decode("utf-8", "replace"))
    _print_results(report)
    problems = [f"KTAP: {error}" for error in report.errors]
    if result.status != 1:
        problems.append(f"{_meaning(result.status)}, want 1")
    forced = report.find(name)
    if forced is None or forced.status != "fail":
        problems.append(f"no 'not ok ... {name}' line")
    others = [r.name for r in report.results if r.name != name and r.status == "fail"]
    if others:
        problems.append("other self-tests failed too: " + ", ".join(others))
    for problem in problems:
        _say(f"FAIL: {problem}")
    return FAIL if problems else PASS


def watchdog_check(elf: Path, harts: int, timeout: float, name: str,
                   watchdog_ms: int) -> int:
    """`selftest_hang=NAME`: the in-kernel watchdog must end the run with 4."""
    result = _boot(elf, harts, f"selftest_hang={name} watchdog_ms={watchdog_ms}", timeout)
    report = ktap.parse(result.output.decode("utf-8", "replace"))
    problems = []
    if result.status != 4:
        problems.append(f"{_meaning(result.status)}, want 4")
    hung = report.find(name)
    if hung is not None and hung.status == "pass":
        problems.append(f"{name} reported ok although it was made to hang")
    for problem in problems:
        _say(f"FAIL: {problem}")
    return FAIL if problems else PASS


def determinism_check(elf: Path, harts: int, timeout: float, log_dir: Path) -> int:
    """Two icount boots must print byte-identical consoles."""
    outputs = []
    for run in (1, 2):
        result = _boot(elf, harts, "", timeout, echo=run == 1)
        log = log_dir / f"determinism-h{harts}-run{run}.log"
        log.write_bytes(result.output)
        if result.status not in (0, 1) or not ktap.parse(result.output.decode("utf-8", "replace")).valid:
            _say(f"FAIL: run {run}: {_meaning(result.status)} or malformed KTAP; see {log}")
            return FAIL
        outputs.append(result.output)
    if outputs[0] == outputs[1]:
        _say(f"PASS: both runs printed the same {len(outputs[0])} bytes")
        return PASS
    first, second = (output.decode("utf-8", "replace").splitlines() for output in outputs)
    for number, (line_1, line_2) in enumerate(zip(first, second), start=1):
        if line_1 != line_2:
            _say(f"FAIL: runs differ at line {number}:\n  run 1: {line_1}\n  run 2: {line_2}")
            return FAIL
    _say(f"FAIL: runs differ in length: {len(outputs[0])} and {len(outputs[1])} bytes")
    return FAIL
