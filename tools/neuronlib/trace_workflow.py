"""`tools/neuron trace`: boot the audit kernel under icount, take its
records (drain, ring or console), write and check the Perfetto trace and
print the report.

The front door (cli.py) checks the arguments and calls trace(); failures
are the library's one-line errors (errors.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import image, ktap, qemu
from .errors import TraceError, TraceTimeout
from .paths import REPO_ROOT

DEFAULT_SCENARIO = "mixed"
DEFAULT_SEED = 1
# Each mode, and the boot argument it adds to the caller's.
MODE_BOOTARGS = {"drain": "trace_drain=1", "ring": "", "console": "trace_stream=1"}
MODES = tuple(MODE_BOOTARGS)
TRACE_DIR = REPO_ROOT / "build" / "trace"
_DIGEST_PREFIX = "# schedule digest:"


def default_trace_path(scenario: str, harts: int, seed: int) -> Path:
    return TRACE_DIR / f"{scenario}-{harts}h-seed{seed}.pftrace"


def trace_bootargs(scenario: str, seed: int, mode: str, extra: str) -> str:
    """The kernel command line a trace in `mode` boots with; BootArgsError
    (from qemu.make_bootargs) for one the kernel would refuse."""
    return qemu.make_bootargs(scenario, seed, f"{MODE_BOOTARGS[mode]} {extra}")


def trace(out: Path, elf: Path, harts: int, scenario: str, seed: int, mode: str,
          extra: str, timeout: float, release_check: bool) -> int:
    """Boot elf, write out (with .dump and .console.log beside it), check it
    and print the report. Returns the kernel's status, else the check's."""
    console_log = out.with_suffix(".console.log")
    dump_path = out.with_suffix(".dump")
    # An earlier run's trace and dump at these names would sit beside this
    # run's console log as if this run had written them, should it fail.
    for stale in (out, dump_path):
        stale.unlink(missing_ok=True)
    status = 0
    bootargs = trace_bootargs(scenario, seed, mode, extra)
    if mode == "drain":
        status = _trace_drained(elf, harts, timeout, bootargs, console_log, dump_path)
    elif mode == "console":
        status = _trace_console(elf, harts, timeout, bootargs, console_log, dump_path)
    else:
        _trace_ring(elf, harts, timeout, bootargs, console_log, dump_path)
    if release_check:
        _release_check(harts, timeout, bootargs, console_log.read_bytes())
    print(f"neuron: trace: console log {console_log}, ring dump {dump_path}")
    from .tracefile import load_dump
    checked = finish(load_dump(dump_path, elf, salvage=False), out)
    return status or checked


def _trace_drained(elf: Path, harts: int, timeout: float, bootargs: str, console_log: Path,
                   dump_path: Path) -> int:
    """Boot with the drain on; the stream and the console go to a private
    directory (nothing half-written is left beside the trace, whatever
    kills us), the console is copied out whole. Returns the kernel's status."""
    from .errors import DumpError
    from .scratch import private_directory
    from .tracefmt import drain
    with private_directory("neuron-drain-") as private:
        stream, console_file = private / "trace.drain", private / "console.log"
        result = qemu.run_to_file(
            qemu.command_line(qemu.Boot(elf, harts, bootargs, icount=True,
                                        drain_console=console_file)),
            timeout, stream)
        console = console_file.read_text(errors="replace") if console_file.exists() else ""
        console_log.write_text(console)
        sys.stdout.write(console)
        if result.timed_out:
            raise TraceTimeout(f"the kernel did not finish within {timeout:g} s "
                               f"(console in {console_log}; a longer run needs --timeout)")
        _console_summary(console, harts, bootargs,
                         "the drain (every record, streamed out while the kernel ran)")
        status = result.status
        print(f"neuron: trace: kernel {qemu.describe_status(status)}")
        try:
            summary = drain.to_dump(stream, dump_path)
        except DumpError:
            if status in (2, 3, 4):
                raise qemu.ended_early("drain", status, console) from None
            raise
    print(f"neuron: trace: drained {summary.records} records from {summary.harts} harts "
          f"in {summary.chunks} chunks")
    return status


def _trace_console(elf: Path, harts: int, timeout: float, bootargs: str, console_log: Path,
                   dump_path: Path) -> int:
    """The rings over the console at the end (trace_stream=1). The console
    is logged in a private directory and copied out once QEMU is done, so
    that a killed front door leaves no half-written log beside the trace."""
    import shutil

    from .errors import DumpError, QemuTimeout
    from .scratch import private_directory
    from .tracefmt import stream
    with private_directory("neuron-console-") as private:
        log = private / "console.log"
        try:
            result = qemu.run_echoing(qemu.Boot(elf, harts, bootargs, icount=True), timeout, log)
        except QemuTimeout:
            shutil.copyfile(log, console_log)
            raise TraceTimeout(f"the kernel did not finish within {timeout:g} s "
                               f"(console in {console_log}; a longer run needs --timeout)") from None
        shutil.copyfile(log, console_log)
    _console_summary(result.output.decode("utf-8", "replace"), harts, bootargs,
                     "the console stream")
    print(f"neuron: trace: kernel {qemu.describe_status(result.status)}")
    try:
        stream.to_dump(console_log, dump_path)
    except DumpError:
        # No stream because the kernel refused its arguments, panicked or
        # hung: its status says why, not the missing frame.
        if result.status in (2, 3, 4):
            raise qemu.ended_early("console stream", result.status,
                                   result.output.decode("utf-8", "replace")) from None
        raise
    return result.status


def _trace_ring(elf: Path, harts: int, timeout: float, bootargs: str, console_log: Path,
                dump_path: Path) -> None:
    """The flight recorder: the rings read through gdb at trace_scenario_done."""
    from .tracefmt import extract
    got = extract.extract(elf, dump_path, harts=harts, bootargs=bootargs, timeout=timeout)
    console_log.write_text(got.console)
    sys.stdout.write(got.console)
    _console_summary(got.console, harts, bootargs, "gdb (rings read at trace_scenario_done)")


def _console_summary(console: str, harts: int, bootargs: str, how: str) -> None:
    report = ktap.parse(console)
    print(f"neuron: trace: audit kernel, {harts} harts, icount, {bootargs}, records via {how}")
    print(f"neuron: trace: self-tests: {report.summary()}")
    for error in report.errors:
        print(f"neuron: trace: KTAP problem: {error}")


def _digests(output: bytes) -> list[str]:
    text = output.decode("utf-8", "replace")
    return [line.strip() for line in text.splitlines() if line.strip().startswith(_DIGEST_PREFIX)]


def _release_check(harts: int, timeout: float, bootargs: str, audit_output: bytes) -> None:
    """The release kernel, same arguments, must make the same scheduling decisions."""
    elf = image.kernel(None, "release", 1, None)
    result = qemu.run(qemu.command_line(qemu.Boot(elf, harts, bootargs, icount=True)),
                      timeout, lambda chunk: None)
    audit, release = _digests(audit_output), _digests(result.output)
    if not audit or audit != release:
        raise TraceError(f"release check: schedule digests differ (audit {audit or 'none'}, "
                         f"release {release or 'none'})")
    print(f"neuron: trace: release check: release kernel made the same decisions ({audit[-1]})")


def finish(dump, out: Path, salvage: bool = False) -> int:
    """Convert, check, print the report and how to look at the trace."""
    from . import report as reportlib
    from .perfetto import pipeline

    counts, result = pipeline.write_trace(dump, out, salvage)
    size = out.stat().st_size
    print(f"neuron: trace: wrote {out}: {counts['records']} records, {counts['packets']} packets, "
          f"{size} bytes")
    print(f"neuron: trace: check: {result.summary()}")
    print(reportlib.render(reportlib.report(out)))
    print(f"neuron: trace: open it at https://ui.perfetto.dev (Open trace file: {out.resolve()}); "
          "docs/reviewing-traces.md says what to look at")
    return 0
