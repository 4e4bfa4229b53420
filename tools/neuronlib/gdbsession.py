"""`tools/neuron gdb`: QEMU with its gdbstub on a unix socket, and gdb attached.

QEMU listens on a socket in a private temporary directory (never on a
network port), runs without icount unless asked (then with shift=auto:
QEMU 7.2 deadlocks when a session resumes under a fixed shift), and is killed with its whole process
group when gdb exits, fails, or the front door is interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import qemu
from . import children
from .children import kill_process_group, start_child
from .errors import GdbSessionError, GdbSessionTimeout
from .paths import REPO_ROOT
from .scratch import private_directory

GDB = "gdb-multiarch"
LOADER = REPO_ROOT / "tools" / "gdb" / "neuron-gdb.py"
SOCKET_WAIT_SECONDS = 10.0
DEFAULT_BATCH_TIMEOUT = 120.0


@dataclass
class GdbSession:
    elf: Path
    harts: int
    bootargs: str
    console_log: Path
    breakpoint: str | None = None
    batch_file: Path | None = None
    batch_timeout: float = DEFAULT_BATCH_TIMEOUT
    icount: bool = False


BREAK_CHECK_SECONDS = 60.0


def break_problem(elf: Path, spec: str) -> str | None:
    """None when gdb can break at `spec` in `elf`, else gdb's reason in one
    line. Asked of gdb itself, with pending breakpoints off, so every form
    gdb takes (FUNCTION, FILE:LINE, a label, a function the compiler
    inlined) is resolved exactly as the session will resolve it; an
    unknown one would otherwise leave a pending breakpoint and let the
    kernel run to its end. (-batch exits 1 when its last command failed.)"""
    command = [GDB, "-q", "-nx", "-batch", "-iex", "set auto-load python-scripts off",
               "-ex", "set breakpoint pending off", "-ex", f"break {spec}", str(elf)]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=BREAK_CHECK_SECONDS)
    except FileNotFoundError:
        raise GdbSessionError(f"{GDB} not found; run tools/neuron setup")
    except subprocess.TimeoutExpired:
        return f"gdb did not resolve it within {BREAK_CHECK_SECONDS:g} s"
    if result.returncode == 0 and "Breakpoint 1 at" in result.stdout:
        return None
    reason = (result.stderr.strip() or result.stdout.strip() or f"gdb exit status {result.returncode}")
    return reason.splitlines()[-1]


def gdb_command(session: GdbSession, socket: Path) -> list[str]:
    """The gdb command line: our scripts loaded, attached, optionally stopped at a function.

    Auto-loading is switched off and the loader sourced explicitly, so the
    session does not depend on the user's safe-path settings.
    """
    command = [GDB, "-q", "-nx",
               "-iex", "set auto-load python-scripts off",
               "-ex", f"source {LOADER}",
               "-ex", "set pagination off" if session.batch_file else "set confirm off",
               "-ex", f"target remote {socket}"]
    if session.breakpoint:
        command += ["-ex", f"break {session.breakpoint}", "-ex", "continue"]
    if session.batch_file:
        command += ["-batch", "-x", str(session.batch_file)]
    command.append(str(session.elf))
    return command


def _start_qemu(session: GdbSession, socket: Path) -> subprocess.Popen:
    boot = qemu.Boot(session.elf, session.harts, session.bootargs, icount=session.icount,
                     gdb_socket=socket)
    log = open(session.console_log, "wb")
    try:
        return start_child(qemu.command_line(boot), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    except FileNotFoundError:
        raise GdbSessionError(f"{qemu.QEMU} not found; run tools/neuron setup")
    finally:
        log.close()


def _wait_for_socket(process: subprocess.Popen, socket: Path, console_log: Path) -> None:
    deadline = time.monotonic() + SOCKET_WAIT_SECONDS
    while not socket.exists():
        if process.poll() is not None:
            tail = console_log.read_text(errors="replace").strip().splitlines()[-1:]
            raise GdbSessionError(f"QEMU exited with status {process.returncode} before its gdbstub "
                              f"was ready{': ' + tail[0] if tail else ''}")
        if time.monotonic() > deadline:
            raise GdbSessionError(f"QEMU's gdbstub socket did not appear within {SOCKET_WAIT_SECONDS:g} s")
        time.sleep(0.02)


def _run_batch(command: list[str], timeout: float) -> int:
    """gdb in a process group of its own, killed with anything it started
    on timeout or on any exception."""
    gdb = start_child(command, stdin=subprocess.DEVNULL)
    try:
        return gdb.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GdbSessionTimeout(f"gdb batch did not finish within {timeout:g} s")
    finally:
        if gdb.poll() is None:
            # SIGKILL at once: on SIGTERM gdb prints a Python traceback of
            # its own interrupted output flush.
            try:
                os.killpg(gdb.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            gdb.wait()


def _interactive_child():
    """gdb keeps the terminal (no group of its own), takes ^C, and still
    dies with the front door: QEMU, its target, would be gone."""
    parent = os.getpid()

    def preexec() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        children.die_with(parent)
    return preexec


def run(session: GdbSession) -> int:
    """Start QEMU, run gdb against it, kill QEMU; return gdb's exit status."""
    try:
        subprocess.run([GDB, "--version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
    except FileNotFoundError:
        raise GdbSessionError(f"{GDB} not found; run tools/neuron setup")
    with private_directory("neuron-gdb-") as directory:
        socket = directory / "gdbstub.sock"
        process = _start_qemu(session, socket)
        try:
            _wait_for_socket(process, socket, session.console_log)
            command = gdb_command(session, socket)
            if session.batch_file:
                return _run_batch(command, session.batch_timeout)
            # Interactive: ^C belongs to gdb (it stops the target), not to us.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                gdb = subprocess.Popen(command, preexec_fn=_interactive_child())
                return gdb.wait()
            finally:
                signal.signal(signal.SIGINT, previous)
        finally:
            if process.poll() is None:
                kill_process_group(process)
            else:
                _say_how_the_kernel_ended(process.returncode, session.console_log)
            try:
                os.unlink(socket)
            except FileNotFoundError:
                pass


def _say_how_the_kernel_ended(status: int, console_log: Path) -> None:
    """The kernel ended under gdb (gdb only says 'Remote connection
    closed'): why, by its exit status, and its last console line, which
    names the cause (a bad boot argument, the panic, the watchdog)."""
    try:
        lines = console_log.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    last = [line.strip() for line in lines if line.strip()][-1:] or ["no output"]
    print(f"neuron: gdb: the kernel ended while attached: {qemu.describe_status(status)}; "
          f"its last console line: {last[0]} (console: {console_log})", file=sys.stderr, flush=True)
