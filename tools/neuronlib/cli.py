"""tools/neuron: the one front door (argparse and the subcommands).

Every failure is one line, `neuron: <subcommand>: <what>`, and a non-zero
exit status from one table (EXIT_STATUS: the library's error types,
errors.py); never a Python traceback, unless NEURON_DEBUG=1 asks for one.
An interrupt exits 130 after QEMU has been killed. The subcommands' work
lives in the library (trace_workflow.py for `trace`); this module parses
and dispatches.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from . import cmake, ctest_boot, errors, gdbsession, image, packages, qemu, tracefile, trace_workflow
from .errors import NeuronError
from .paths import KERNEL_PRESETS, PRESETS, REPO_ROOT, SELFTEST_LIST, build_dir, kernel_elf
from .scratch import private_directory
from .trace_workflow import DEFAULT_SCENARIO as DEFAULT_TRACE_SCENARIO
from .trace_workflow import DEFAULT_SEED as DEFAULT_TRACE_SEED
from .trace_workflow import TRACE_DIR, default_trace_path

DEFAULT_HARTS = 4
DEFAULT_RUN_TIMEOUT = 120.0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other failure."""

    def error(self, message: str):
        command = self.prog.split()[1] if " " in self.prog else "usage"
        self.exit(2, f"neuron: {command}: {message} (see: tools/{self.prog} --help)\n")


class _Terminated(Exception):
    """SIGTERM, turned into an exception so that QEMU is killed on the way out."""


def _number(kind, text: str):
    """int(text) or float(text); argparse would name the checking function in its message."""
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None


def _positive_int(text: str) -> int:
    value = _number(int, text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seed(text: str) -> int:
    """The kernel's seed= is an unsigned 64-bit number (kernel/boot/bootargs.c):
    refused here rather than by the kernel after QEMU started."""
    value = _number(int, text)
    if not 0 <= value < 1 << 64:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2^64-1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = _number(float, text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, not {text}")
    return value


_SCENARIO_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _scenario_name(text: str) -> str:
    """One boot-argument value: no space (more arguments), no '=', no path."""
    if not _SCENARIO_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be a scenario name (letters, digits, _ and -), "
                                         f"not {text!r}")
    return text


_BREAK_LOCATION = re.compile(r"[A-Za-z0-9_./:+-]+")


def _break_location(text: str) -> str:
    """A gdb location (FUNCTION or FILE:LINE): nothing gdb would read as more commands."""
    if not _BREAK_LOCATION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be a function or FILE:LINE, not {text!r}")
    return text


def _output_file(path: Path | str, option: str, create_parent: bool = False,
                 inputs: tuple = (), writes: Path | None = None, renamed: bool = False) -> Path:
    """A file the command will write: not a directory, not one of its input
    files, in a directory that exists (or, with create_parent, can be made)
    and is writable. `writes` is a file written on the way to `path` (its
    .partial, the trace's dump): checked alike, named in the message.
    `renamed`: the file is written under a temporary name and renamed into
    place, which would put a regular file where a device, FIFO or socket
    was (as root, `--out /dev/null` would replace the device). Status 2."""
    path = Path(path)
    target = Path(writes) if writes is not None else path
    what = f"{option} {path}" + (f": {target}" if writes is not None else "")
    if target.is_dir():
        raise NeuronError(f"{what}: is a directory, not a file", status=2)
    if renamed and target.exists() and not target.is_file():
        raise NeuronError(f"{what}: is not a regular file (a device, FIFO or socket); the output "
                          "is written beside it and renamed into place: give a file name", status=2)
    for given in inputs:
        if given and tracefile.same_file(Path(given), target):
            raise NeuronError(f"{what}: is an input of this command ({given}); "
                              "give another output", status=2)
    parent = target.parent
    if create_parent and not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise NeuronError(f"{what}: cannot create {error.filename or parent}: "
                              f"{error.strerror}", status=2) from None
    if not parent.is_dir():
        raise NeuronError(f"{what}: no directory {parent}", status=2)
    if not os.access(parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise NeuronError(f"{what}: not writable", status=2)
    return path


def _partial(path: Path) -> Path:
    """Where a file is written before it is renamed into place (pipeline, dump)."""
    return path.with_name(path.name + ".partial")


# --- setup, build, test -------------------------------------------------

def cmd_setup(args: argparse.Namespace) -> int:
    packages.setup(verbose=True)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    for preset in [args.preset] if args.preset else PRESETS:
        cmake.build(preset)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    packages.setup()
    if args.stress:
        cmake.test_stress()
    else:
        cmake.test_presets(PRESETS)
    return 0


# --- run, trace, convert, report, diff -----------------------------------

def _kernel_preset(args: argparse.Namespace) -> str:
    return "release" if args.release else "audit"


def _kernel(args: argparse.Namespace, preset: str, traced: bool = False) -> Path:
    """--elf as given, else the preset's fresh kernel; checked (image.kernel)."""
    return image.kernel(getattr(args, "elf", None), preset, getattr(args, "harts", 1),
                        getattr(args, "scenario", None), traced)


def cmd_run(args: argparse.Namespace) -> int:
    preset = _kernel_preset(args)
    if args.log:
        _output_file(args.log, "--log", inputs=(args.elf or kernel_elf(preset),))
    bootargs = qemu.make_bootargs(args.scenario, args.seed, args.append or "")
    elf = _kernel(args, preset)
    timeout = args.timeout
    if args.gdb:
        if timeout == DEFAULT_RUN_TIMEOUT:
            timeout = None  # a debugging session takes as long as it takes
        with private_directory("neuron-gdb-") as directory:
            socket = directory / "gdb.sock"
            print(f"neuron: run: QEMU is stopped at the first instruction; attach with:\n"
                  f"  gdb-multiarch -ex 'target remote {socket}' {elf}", file=sys.stderr, flush=True)
            if args.icount:
                print(f"neuron: run: with gdb, icount is {qemu.ICOUNT_FOR_GDB} "
                      "(QEMU 7.2 deadlocks resuming under a fixed shift)", file=sys.stderr)
            boot = qemu.Boot(elf, args.harts, bootargs, args.icount, socket)
            return qemu.run_echoing(boot, timeout, args.log).status
    boot = qemu.Boot(elf, args.harts, bootargs, args.icount)
    return qemu.run_echoing(boot, timeout, args.log).status


def cmd_trace(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else default_trace_path(args.scenario, args.harts, args.seed)
    if not args.out and TRACE_DIR.resolve() not in out.resolve().parents:
        raise NeuronError(f"--scenario {args.scenario}: the trace would leave {TRACE_DIR}", status=2)
    if out.suffix in (".dump", ".log"):
        raise NeuronError(f"--out {out}: the trace's dump and console log are written next to "
                          "it as .dump and .console.log; name it .pftrace", status=2)
    # Every file the trace writes, not only --out: its dump and console log
    # beside it and their temporary names, none of them the kernel image.
    image_path = args.elf or kernel_elf("audit")
    _output_file(out, "--out", create_parent=True, inputs=(image_path,), renamed=True)
    for written in (_partial(out), out.with_suffix(".dump"), _partial(out.with_suffix(".dump")),
                    out.with_suffix(".console.log")):
        _output_file(out, "--out", inputs=(image_path,), writes=written, renamed=True)
    mode = "console" if args.stream else args.mode
    # The command line this trace boots with, refused before anything is built.
    trace_workflow.trace_bootargs(args.scenario, args.seed, mode, args.append or "")
    packages.setup()
    elf = _kernel(args, "audit", traced=True)
    return trace_workflow.trace(out, elf, args.harts, args.scenario, args.seed,
                                mode, args.append or "",
                                args.timeout, args.release_check)


def cmd_convert(args: argparse.Namespace) -> int:
    from .perfetto import pipeline
    out = Path(args.out) if args.out else Path(args.dump).with_suffix(".pftrace")
    if tracefile.same_file(Path(args.dump), out):
        raise NeuronError(f"--out {out}: is the input; give another --out", status=2)
    inputs = (args.dump, args.elf)
    _output_file(out, "--out", inputs=inputs, renamed=True)
    _output_file(out, "--out", inputs=inputs, writes=_partial(out), renamed=True)
    return pipeline.convert_file(Path(args.dump), Path(args.elf) if args.elf else None, out,
                                 args.salvage, compress=not args.uncompressed)


def cmd_report(args: argparse.Namespace) -> int:
    from . import report
    return report.main(args.trace, args.elf, args.json, args.salvage)


def cmd_diff(args: argparse.Namespace) -> int:
    from . import tracediff
    return tracediff.main(args.a, args.b, args.elf_a or args.elf, args.elf_b or args.elf,
                          args.json, args.salvage)


# --- gdb ----------------------------------------------------------------

def cmd_gdb(args: argparse.Namespace) -> int:
    preset = _kernel_preset(args)
    if args.batch and not Path(args.batch).is_file():
        raise NeuronError(f"no gdb command file at {args.batch}", status=2)
    inputs = (args.elf or kernel_elf(preset), args.batch)
    if args.log:
        log = _output_file(args.log, "--log", inputs=inputs)
    else:
        log = _output_file(build_dir(preset) / "gdb-console.log", "--log", create_parent=True,
                           inputs=inputs)
    bootargs = qemu.make_bootargs(args.scenario, args.seed, args.append or "")
    elf = _kernel(args, preset)
    if not args.batch:
        print(f"neuron: gdb: {preset} kernel, {args.harts} harts; console in {log}; "
              "QEMU is killed when gdb exits", file=sys.stderr, flush=True)
    if args.break_at:
        problem = gdbsession.break_problem(elf, args.break_at)
        if problem:
            raise NeuronError(f"--break {args.break_at}: no function or line to break at in {elf} "
                              f"(gdb: {problem})", status=2)
    session = gdbsession.GdbSession(
        elf=elf, harts=args.harts,
        bootargs=bootargs,
        console_log=log, breakpoint=args.break_at,
        batch_file=Path(args.batch) if args.batch else None, batch_timeout=args.timeout,
        icount=args.icount)
    return gdbsession.run(session)


def _add_boot_options(parser) -> None:
    """Which kernel to boot and how: shared by `run` and `gdb`."""
    flavour = parser.add_mutually_exclusive_group()
    flavour.add_argument("--audit", action="store_true", help="the audit kernel (default)")
    flavour.add_argument("--release", action="store_true", help="the release kernel")
    parser.add_argument("--harts", type=_positive_int, default=DEFAULT_HARTS,
                        help=f"number of harts (default {DEFAULT_HARTS})")
    parser.add_argument("--scenario", type=_scenario_name,
                        help="scenario=NAME boot argument (default: the kernel's)")
    parser.add_argument("--seed", type=_seed, help="seed=N boot argument (default: the kernel's)")


def _add_gdb_parser(subparsers) -> None:
    gdb = subparsers.add_parser(
        "gdb", help="build, boot under QEMU's gdbstub and attach gdb with the neuron commands",
        description="Build a kernel preset (audit unless --release), boot it on QEMU "
                    "halted at the first instruction with the gdbstub on a unix socket, "
                    "and attach gdb-multiarch with tools/gdb loaded (neuron harts, percpu, "
                    "runq, ipi, ring, dump-trace, check; docs/gdb.md). QEMU is killed "
                    "when gdb exits.")
    _add_boot_options(gdb)
    gdb.add_argument("--break", dest="break_at", metavar="FN", type=_break_location,
                     help="set a breakpoint on FN and continue to it before handing over")
    gdb.add_argument("--append", metavar="ARGS",
                     help="more boot arguments (fault=NAME, steal_k=K, trace_mode=stop, ...)")
    gdb.add_argument("--icount", action="store_true",
                     help=f"run QEMU under -icount {qemu.ICOUNT_FOR_GDB} (repeatable stops; "
                          "a fixed shift deadlocks QEMU 7.2 on resume)")
    gdb.add_argument("--batch", metavar="FILE",
                     help="run the gdb commands in FILE, then exit with gdb's status")
    gdb.add_argument("--timeout", type=_positive_float, default=gdbsession.DEFAULT_BATCH_TIMEOUT,
                     metavar="SEC", help="with --batch: kill gdb and QEMU after SEC seconds "
                     f"(default {gdbsession.DEFAULT_BATCH_TIMEOUT:g})")
    gdb.add_argument("--log", metavar="FILE",
                     help="the kernel console (default build/PRESET/gdb-console.log)")
    gdb.add_argument("--elf", metavar="PATH", help="use this image instead of building one")
    gdb.set_defaults(handler=cmd_gdb)


# --- bench ---------------------------------------------------------------

BENCH_DOC = "docs/benchmarks.md"


# Built only to be measured against (bench/baseline.py): the plain-C
# baseline and the release accessors with the old "memory" clobber.
MEASURING_PRESETS = ("release-baseline", "release-noclobber")


def cmd_bench(args: argparse.Namespace) -> int:
    packages.setup()
    for preset in KERNEL_PRESETS + (() if args.quick else MEASURING_PRESETS):
        cmake.build(preset)
    command = ["/usr/bin/python3", str(REPO_ROOT / "bench" / "run.py")]
    command += (["--quick"] if args.quick else
                ["--parts", "guest,host,converter,drain,baseline",
                 "--update", str(REPO_ROOT / BENCH_DOC)])
    status = subprocess.run(command, cwd=REPO_ROOT, stdin=subprocess.DEVNULL).returncode
    if status != 0:
        raise NeuronError(f"bench/run.py failed with status {status}", status=status)
    return 0


# --- ctest: the harness behind tests/qemu (not for people) -------------

def cmd_ctest(args: argparse.Namespace) -> int:
    check = args.check
    if check == "boot":
        return ctest_boot.boot_check(args.elf, args.harts, args.list, args.log, args.timeout)
    if check == "case":
        return ctest_boot.case_check(args.log, args.name, args.harts, args.min_harts)
    if check == "bootargs-typo":
        return ctest_boot.bootargs_typo_check(args.elf, args.harts, args.timeout, args.argument)
    if check == "forced-failure":
        return ctest_boot.forced_failure_check(args.elf, args.harts, args.timeout, args.name)
    if check == "watchdog":
        return ctest_boot.watchdog_check(args.elf, args.harts, args.timeout, args.name,
                                         args.watchdog_ms)
    if check == "determinism":
        return ctest_boot.determinism_check(args.elf, args.harts, args.timeout, args.log_dir)
    raise NeuronError(f"unknown check '{check}'")


def _add_ctest_parser(subparsers) -> None:
    ctest = subparsers.add_parser("ctest",  # no help=: kept out of the listing
                                  description="Checks run by CTest (tests/qemu).")
    checks = ctest.add_subparsers(dest="check", required=True, metavar="CHECK")

    def check(name: str, help_text: str, *options: str) -> argparse.ArgumentParser:
        parser = checks.add_parser(name, help=help_text, description=help_text)
        if "elf" in options:
            parser.add_argument("--elf", type=Path, required=True)
            parser.add_argument("--timeout", type=_positive_float, required=True,
                                help="kill QEMU after this many seconds")
        if "harts" in options:
            parser.add_argument("--harts", type=_positive_int, required=True)
        return parser

    boot = check("boot", "boot, save the console log, check exit status and KTAP", "elf", "harts")
    boot.add_argument("--list", type=Path, default=SELFTEST_LIST)
    boot.add_argument("--log", type=Path, required=True)
    case = check("case", "one self-test's verdict from a saved log", "harts")
    case.add_argument("--log", type=Path, required=True)
    case.add_argument("--name", required=True)
    case.add_argument("--min-harts", type=_positive_int, required=True)
    typo = check("bootargs-typo", "a misspelt boot argument exits 2", "elf", "harts")
    typo.add_argument("--argument", required=True)
    forced = check("forced-failure", "selftest_fail=NAME fails NAME, exit 1", "elf", "harts")
    forced.add_argument("--name", required=True)
    hang = check("watchdog", "selftest_hang=NAME ends with the watchdog, exit 4", "elf", "harts")
    hang.add_argument("--name", required=True)
    hang.add_argument("--watchdog-ms", type=_positive_int, required=True)
    same = check("determinism", "two icount boots print the same bytes", "elf", "harts")
    same.add_argument("--log-dir", type=Path, required=True)
    ctest.set_defaults(handler=cmd_ctest)


# --- the parser ---------------------------------------------------------

def _add_setup_parser(subparsers) -> None:
    setup = subparsers.add_parser(
        "setup", help="install the Debian packages neuron needs",
        description="Check the Debian packages neuron needs and install the missing "
                    "ones with apt-get (as root); otherwise print the command to run.")
    setup.set_defaults(handler=cmd_setup)


def _add_build_parser(subparsers) -> None:
    build = subparsers.add_parser(
        "build", help="configure and build CMake presets",
        description="Configure (once) and build a preset; without --preset, all of "
                    + ", ".join(PRESETS) + ".")
    build.add_argument("--preset", choices=PRESETS)
    build.set_defaults(handler=cmd_build)


def _add_run_parser(subparsers) -> None:
    run = subparsers.add_parser(
        "run", help="build the kernel and boot it on QEMU",
        description="Build a kernel preset (audit unless --release) and boot it on "
                    "QEMU virt. The exit status is the kernel's result "
                    "(docs/architecture.md); 124 on timeout.")
    _add_boot_options(run)
    run.add_argument("--icount", action="store_true",
                     help=f"deterministic run: -icount {qemu.ICOUNT_DETERMINISTIC}")
    run.add_argument("--gdb", action="store_true",
                     help="stop at the first instruction and wait for gdb on a unix socket")
    run.add_argument("--append", metavar="ARGS", help="more boot arguments")
    run.add_argument("--timeout", type=_positive_float, default=DEFAULT_RUN_TIMEOUT, metavar="SEC",
                     help=f"kill QEMU after SEC seconds (default {DEFAULT_RUN_TIMEOUT:g}; "
                          "none with --gdb unless given)")
    run.add_argument("--log", type=Path, metavar="FILE", help="also write the console to FILE")
    run.add_argument("--elf", metavar="PATH", help="boot this image instead of building one")
    run.set_defaults(handler=cmd_run)


def _add_test_parser(subparsers) -> None:
    test = subparsers.add_parser(
        "test", help="set up, then configure, build and test every preset",
        description="Run setup, then `cmake --workflow --preset P` for "
                    + ", ".join(PRESETS) + ", going on after a failure; "
                    "exit non-zero if any preset failed.")
    test.add_argument("--stress", action="store_true",
                      help="instead, the long stress runs only: fuzzing for minutes, "
                           ">= 100,000 mutated dumps, the 1,000-boot false-alarm sweep, 2,000 boots "
                           "without icount "
                           f"(ctest --preset {' and '.join(cmake.STRESS_PRESETS)})")
    test.set_defaults(handler=cmd_test)


def _add_trace_parser(subparsers) -> None:
    trace = subparsers.add_parser(
        "trace", help="boot the audit kernel deterministically and write a Perfetto trace",
        description="Set up, build the audit preset, boot it under icount (the same command "
                    "writes the same bytes), take every record the kernel produced as it "
                    "runs (or, with --mode ring, the last ones through gdb), convert them "
                    "to a Perfetto trace, check it and print the report. Open the file at "
                    "https://ui.perfetto.dev (docs/reviewing-traces.md).")
    trace.add_argument("--harts", type=_positive_int, default=DEFAULT_HARTS,
                       help=f"number of harts (default {DEFAULT_HARTS})")
    trace.add_argument("--scenario", default=DEFAULT_TRACE_SCENARIO, type=_scenario_name,
                       help=f"scenario=NAME boot argument (default {DEFAULT_TRACE_SCENARIO})")
    trace.add_argument("--seed", type=_seed, default=DEFAULT_TRACE_SEED,
                       help=f"seed=N boot argument (default {DEFAULT_TRACE_SEED})")
    trace.add_argument("--out", default=None, metavar="FILE",
                       help="the Perfetto trace to write (default "
                            "build/trace/SCENARIO-Nh-seedS.pftrace)")
    trace.add_argument("--release-check", action="store_true",
                       help="also boot the release kernel and require the same schedule digest")
    trace.add_argument("--mode", choices=trace_workflow.MODES, default="drain",
                       help="drain (default): every record leaves the kernel while it runs "
                            "(trace_drain=1, semihosting), nothing lost however long the run; "
                            "ring: the flight recorder, the last records of each ring read "
                            "through gdb at the end; console: the rings over the console at "
                            "the end (trace_stream=1)")
    trace.add_argument("--stream", action="store_true",
                       help="the same as --mode console")
    trace.add_argument("--append", metavar="ARGS",
                       help="more boot arguments (stress_rounds=N, trace_records=N, ...)")
    trace.add_argument("--timeout", type=_positive_float, default=DEFAULT_RUN_TIMEOUT,
                       metavar="SEC", help=f"kill QEMU after SEC seconds of wall time (default "
                       f"{DEFAULT_RUN_TIMEOUT:g}; a long run, e.g. --append stress_rounds=165 "
                       "for 10 M records, needs more)")
    trace.add_argument("--elf", metavar="ELF",
                       help="an audit kernel image to boot instead of building the audit preset")
    trace.set_defaults(handler=cmd_trace)


def _add_convert_parser(subparsers) -> None:
    convert = subparsers.add_parser(
        "convert", help="convert a ring dump to a Perfetto trace and check it",
        description="Convert DUMP (from `trace`, gdb's neuron dump-trace, or the console "
                    "stream) to a .pftrace and run the structural checker. Bad input is "
                    "one line naming the file, the offset and the hart.")
    convert.add_argument("dump", metavar="DUMP")
    convert.add_argument("--elf", help="the kernel the dump came from (names and id checks)")
    convert.add_argument("--out", metavar="FILE", help="default: DUMP with suffix .pftrace")
    convert.add_argument("--salvage", action="store_true",
                         help="skip bad records, keep the valid ones, say how many were skipped")
    convert.add_argument("--uncompressed", action="store_true",
                         help="write every packet plainly, not deflated into compressed_packets "
                              "(about 5x larger; for reading with protoc --decode)")
    convert.set_defaults(handler=cmd_convert)


def _add_report_parser(subparsers) -> None:
    report = subparsers.add_parser(
        "report", help="steals, IPI latencies, remote accesses, drops and violations of a trace",
        description="Summarize a trace: the steal matrix (thief x victim), IPI latency "
                    "percentiles per kind, remote accesses per variable and kind, ring drops "
                    "and violations. TRACE is a .pftrace written by `trace`, or a ring dump "
                    "(with --elf for names).")
    report.add_argument("trace", metavar="TRACE_OR_DUMP")
    report.add_argument("--elf", help="the kernel the dump came from (names of variables and sites)")
    report.add_argument("--json", action="store_true", help="machine-readable output")
    report.add_argument("--salvage", action="store_true",
                        help="read what can be read of a damaged dump")
    report.set_defaults(handler=cmd_report)


def _add_diff_parser(subparsers) -> None:
    diff = subparsers.add_parser(
        "diff", help="compare two traces: steals, IPIs, first diverging scheduling decision",
        description="Compare two traces (.pftrace or dumps): steal-matrix and IPI deltas "
                    "(B - A) and the first scheduling decision where the runs diverge.")
    diff.add_argument("a", metavar="A")
    diff.add_argument("b", metavar="B")
    diff.add_argument("--elf", help="the kernel both dumps came from")
    diff.add_argument("--elf-a", help=argparse.SUPPRESS)
    diff.add_argument("--elf-b", help=argparse.SUPPRESS)
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    diff.add_argument("--salvage", action="store_true",
                      help="read what can be read of damaged dumps")
    diff.set_defaults(handler=cmd_diff)


def _add_bench_parser(subparsers) -> None:
    bench = subparsers.add_parser(
        "bench", help="set up, build, run the benchmarks and regenerate their tables",
        description="Set up, build the kernel presets (and the measuring baselines), then "
                    "run bench/run.py: guest instruction counts, host ns and callgrind counts "
                    "next to LTTng-UST, converter throughput, the trace drain's cost, the "
                    "release kernel against its plain-C baseline; rewrite the generated "
                    f"tables of {BENCH_DOC}. Takes a few minutes.")
    bench.add_argument("--quick", action="store_true",
                       help="tiny runs that only check every benchmark works; no file written")
    bench.set_defaults(handler=cmd_bench)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="neuron",
        description="Set up, build, boot and test the neuron kernel.")
    subparsers = parser.add_subparsers(
        dest="command", required=True, metavar="{setup,build,run,test,trace,convert,report,diff,gdb,bench}")
    _add_setup_parser(subparsers)
    _add_build_parser(subparsers)
    _add_run_parser(subparsers)
    _add_test_parser(subparsers)
    _add_trace_parser(subparsers)
    _add_convert_parser(subparsers)
    _add_report_parser(subparsers)
    _add_diff_parser(subparsers)
    _add_gdb_parser(subparsers)
    _add_bench_parser(subparsers)
    _add_ctest_parser(subparsers)
    return parser


# --- failures -------------------------------------------------------------

def _own_status(error: NeuronError) -> int:
    return error.status


def _kernel_status(error: errors.KernelEndedEarly) -> int:
    """The kernel's status when it means bad arguments, a panic or the watchdog."""
    return error.kernel_status if error.kernel_status in (2, 3, 4) else 1


# Each library error type and the exit status it means (errors.py); a type
# not listed takes its nearest listed base class's status.
EXIT_STATUS: dict[type[Exception], int | Callable[[Any], int]] = {
    NeuronError: _own_status,                               # the front door's own
    errors.PackagesError: 1,
    errors.CmakeError: 1,
    errors.ImageError: 2,                                   # not a kernel we can boot
    errors.SelfTestListError: 1,
    errors.QemuError: 1,
    errors.BootArgsError: 2,                                # refused before anything boots
    errors.QemuTimeout: 124,
    errors.KernelEndedEarly: _kernel_status,
    errors.GdbSessionError: 1,
    errors.GdbSessionTimeout: 124,
    errors.ExtractError: 1,
    errors.ExtractTimeout: 124,
    errors.ExtractPlaceError: 2,
    errors.DumpError: 1,
    errors.SchemaError: 1,
    errors.PipelineError: 1,
    errors.SameFileError: 2,
    errors.ReportError: 1,
    errors.TraceError: 1,
    errors.TraceTimeout: 124,
}
INTERNAL_ERROR = 70     # an exception in no table row: a bug in the tool
DEBUG_VARIABLE = "NEURON_DEBUG"


def exit_status(error: BaseException) -> int | None:
    """The exit status EXIT_STATUS gives error, None if it names none of its types."""
    for kind in type(error).__mro__:
        status = EXIT_STATUS.get(kind)
        if status is not None:
            return status if isinstance(status, int) else status(error)
    return None


def _debugging() -> bool:
    """NEURON_DEBUG=1: failures raise with their traceback instead of one line."""
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def _raise_terminated(signum, frame) -> None:
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"neuron: {args.command}: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print(f"neuron: {args.command}: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        return 141
    except Exception as error:
        if _debugging():
            raise
        status = exit_status(error)
        if status is None:      # a bug in the tool: still one line, no traceback
            print(f"neuron: {args.command}: internal error: {type(error).__name__}: {error}",
                  file=sys.stderr)
            return INTERNAL_ERROR
        print(f"neuron: {args.command}: {error}", file=sys.stderr)
        return status
