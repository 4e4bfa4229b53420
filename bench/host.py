"""Host x86-64 benchmarks: PerCpu accesses, the trace ring, LTTng-UST.

Builds bench/host/*.c with gcc, then for every benchmark takes
  - ns per call: median, min and max of SAMPLES samples of CALLS calls,
    pinned to one CPU with taskset, minus an empty call's cost;
  - instructions per call: callgrind --toggle-collect=bench_NAME over
    CALLS calls (inclusive of everything the function calls).
LTTng-UST runs inside a live snapshot session this module creates and
destroys itself, with its own lttng-sessiond killed by pid at the end.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = ROOT / "bench" / "host"
CFLAGS = ["-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror"]
PIN_CPU = "1"
LTTNG_SESSION = "neuron-bench"
LTTNG_EVENT = "neuron_bench:remote"


class BenchError(Exception):
    pass


def _run(command: list[str], timeout: float = 300, env: dict | None = None,
         what: str | None = None) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)
    except FileNotFoundError:
        raise BenchError(f"{command[0]} not found; run tools/neuron setup")
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what or command[0]} timed out after {timeout:g} s")
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
        raise BenchError(f"{what or ' '.join(command[:2])} failed with status "
                         f"{done.returncode}: {last}")
    return done.stdout


def build(out: Path) -> dict[str, Path]:
    """The benchmark programs: percpu-release, percpu-audit, lttng."""
    out.mkdir(parents=True, exist_ok=True)
    programs = {}
    for flavour, audit in (("release", 0), ("audit", 1)):
        exe = out / f"percpu-bench-{flavour}"
        _run(["gcc", *CFLAGS, f"-DNEURON_AUDIT={audit}", "-DNEURON_MAX_HARTS=32",
              "-DNEURON_PERCPU_HOST=1", f"-I{ROOT}/percpu/include", f"-I{ROOT}/percpu/host",
              f"-I{ROOT}/trace/include", str(HOST / "percpu_bench.c"),
              str(ROOT / "percpu/percpu.c"), str(ROOT / "percpu/percpu_audit.c"),
              str(ROOT / "percpu/host/percpu_host.c"), str(ROOT / "trace/trace_ring.c"),
              "-pthread", "-o", str(exe)], what=f"building {exe.name}")
        programs[f"percpu-{flavour}"] = exe
    exe = out / "lttng-bench"
    _run(["gcc", *CFLAGS, f"-I{HOST}", str(HOST / "lttng_bench.c"), "-o", str(exe),
          "-llttng-ust", "-llttng-ust-common", "-ldl"], what="building lttng-bench")
    programs["lttng"] = exe
    check_ring_stores_kept(programs["percpu-audit"])
    return programs


def check_ring_stores_kept(exe: Path) -> None:
    """GCC may delete stores nobody reads: the measured ring write must
    still be a call into trace_ring_write, and that function must store."""
    listing = _run(["objdump", "-d", "--no-show-raw-insn", str(exe)], what="objdump")
    bodies = dict(re.findall(r"^[0-9a-f]+ <(\w+)>:\n(.*?)\n\n", listing, re.S | re.M))
    if "trace_ring_write" not in bodies.get("bench_ring_record", ""):
        raise BenchError(f"{exe.name}: bench_ring_record no longer calls trace_ring_write")
    stores = re.findall(r"\bmov\w*\s+[^,]+,\S*\(", bodies.get("trace_ring_write", ""))
    if len(stores) < 3:
        raise BenchError(f"{exe.name}: trace_ring_write has {len(stores)} stores; "
                         "the compiler removed the ring writes")


@dataclass
class Figure:
    name: str
    median: float
    low: float
    high: float
    calls: int
    samples: int
    insns: float | None = None
    time_command: str = ""
    count_command: str = ""


def _parse_results(text: str, command: str) -> dict[str, Figure]:
    figures = {}
    for m in re.finditer(r"^result (\w+) ns median (\S+) min (\S+) max (\S+) calls (\d+) "
                         r"samples (\d+)$", text, re.M):
        figures[m.group(1)] = Figure(m.group(1), float(m.group(2)), float(m.group(3)),
                                     float(m.group(4)), int(m.group(5)), int(m.group(6)),
                                     time_command=command)
    if not figures:
        raise BenchError(f"no 'result' lines from: {command}")
    return figures


def time_program(exe: Path, calls: int, samples: int, env=None) -> tuple[dict[str, Figure], str]:
    command = ["taskset", "-c", PIN_CPU, str(exe), "time", str(calls), str(samples)]
    text = _run(command, env=env, what=f"{exe.name} time")
    return _parse_results(text, " ".join(command[:2] + [PIN_CPU, exe.name] + command[4:])), text


def count_instructions(exe: Path, function: str, calls: int, work: Path, env=None) -> tuple[float, str]:
    out = work / f"callgrind.{exe.name}.{function}"
    command = ["valgrind", "--tool=callgrind", f"--toggle-collect={function}",
               f"--callgrind-out-file={out}", str(exe), "count", str(calls), "1"]
    _run(command, env=env, what=f"callgrind {exe.name} {function}")
    totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.M)
    if not totals:
        raise BenchError(f"{out}: no totals line")
    shown = " ".join(command[:3] + [exe.name, "count", str(calls), "1"])
    return int(totals.group(1)) / calls, shown


class LttngSession:
    """lttng-sessiond (ours, killed by pid) and a snapshot session."""

    def __init__(self, work: Path):
        self.work = work
        self.pid: int | None = None
        self.env = dict(os.environ, LTTNG_HOME=str(work / "home"))
        (work / "home").mkdir(parents=True, exist_ok=True)

    def __enter__(self):
        pidfile = self.work / "sessiond.pid"
        _run(["lttng-sessiond", "--daemonize", "--no-kernel", f"--pidfile={pidfile}"],
             env=self.env, timeout=30, what="lttng-sessiond")
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.05)
        else:
            raise BenchError("lttng-sessiond wrote no pid file")
        self.pid = int(pidfile.read_text().strip())
        self.lttng("create", LTTNG_SESSION, "--snapshot", f"--output={self.work / 'snapshot'}")
        self.lttng("enable-event", "-u", "-s", LTTNG_SESSION, LTTNG_EVENT)
        self.lttng("start", LTTNG_SESSION)
        return self

    def lttng(self, *arguments: str) -> str:
        return _run(["lttng", *arguments], env=self.env, timeout=30,
                    what=f"lttng {arguments[0]}")

    def __exit__(self, *exc):
        try:
            if self.pid is not None:
                subprocess.run(["lttng", "destroy", LTTNG_SESSION], env=self.env,
                               capture_output=True, timeout=30)
        finally:
            if self.pid is not None:
                try:
                    os.kill(self.pid, signal.SIGTERM)
                    for _ in range(100):
                        os.kill(self.pid, 0)
                        time.sleep(0.05)
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return False


def measure(work: Path, calls: int, samples: int, count_calls: int) -> dict:
    """All host figures: {'figures': {key: Figure}, 'ring_produced': n, ...}."""
    programs = build(work / "programs")
    figures: dict[str, Figure] = {}
    for flavour in ("release", "audit"):
        exe = programs[f"percpu-{flavour}"]
        found, text = time_program(exe, calls, samples)
        if not re.search(r"^violations 0$", text, re.M):
            raise BenchError(f"{exe.name}: the audit reported violations")
        for name, figure in found.items():
            figure.insns, figure.count_command = count_instructions(
                exe, f"bench_{name}", count_calls, work)
            figures[f"{name}.{flavour}"] = figure
    exe = programs["lttng"]
    found, _ = time_program(exe, calls, samples)
    figures["lttng_event.disabled"] = found["lttng_event"]
    figures["lttng_event.disabled"].insns, figures["lttng_event.disabled"].count_command = \
        count_instructions(exe, "bench_lttng_event", count_calls, work)
    with LttngSession(work / "lttng") as session:
        found, _ = time_program(exe, calls, samples, env=session.env)
        figure = found["lttng_event"]
        figure.insns, figure.count_command = count_instructions(
            exe, "bench_lttng_event", count_calls, work, env=session.env)
        figures["lttng_event.enabled"] = figure
        listing = session.lttng("list", LTTNG_SESSION)
        if "neuron_bench:remote" not in listing or "enabled" not in listing:
            raise BenchError("the LTTng event was not enabled in the session")
        session.lttng("snapshot", "record", "-s", LTTNG_SESSION)
    snapshot = work / "lttng" / "snapshot"
    recorded = sum(f.stat().st_size for f in snapshot.rglob("*") if f.is_file()) \
        if snapshot.exists() else 0
    if recorded == 0:
        raise BenchError("the LTTng snapshot holds no data: the events were not recorded")
    return {"figures": figures, "lttng_snapshot_bytes": recorded}
