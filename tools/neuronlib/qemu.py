"""Booting the kernel on QEMU's riscv64 `virt` board.

QEMU's exit status is the kernel's result (docs/architecture.md). QEMU
runs in a process group of its own, so that a timeout or an interrupt can
kill it and anything it started; it is also told to die with its parent,
so that not even a killed front door leaves a QEMU behind.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .children import kill_process_group, start_child
from .errors import BootArgsError, KernelEndedEarly, QemuError, QemuTimeout

QEMU = "qemu-system-riscv64"
MEMORY = "128M"
# Fixed shift: one virtual nanosecond per instruction, no real-time
# alignment, and no sleeping in wfi: the whole run repeats exactly.
ICOUNT_DETERMINISTIC = "shift=0,align=off,sleep=off"
# QEMU 7.2 deadlocks when a gdb session resumes under a fixed shift.
ICOUNT_FOR_GDB = "shift=auto,sleep=off"


# The kernel's exit status, as QEMU's (docs/architecture.md).
EXIT_MEANING = {
    0: "every self-test passed or was skipped",
    1: "at least one self-test failed",
    2: "bad boot arguments",
    3: "kernel panic",
    4: "watchdog fired",
    124: "timed out (QEMU killed by the harness)",
}


def describe_status(status: int) -> str:
    """`exit status 3 (kernel panic)`."""
    return f"exit status {status} ({EXIT_MEANING.get(status, 'unexpected')})"


def ended_early(label: str, status: int, console: str) -> KernelEndedEarly:
    """The error for a kernel that ended before its scenario did (a trace
    then has nothing whole to give): its status, which says why, and its
    last console line. The front door exits with that status when it means
    bad arguments, a panic or the watchdog, else 1."""
    last = [line for line in console.splitlines() if line.strip()][-1:] or ["no output"]
    return KernelEndedEarly(f"{label}: the kernel ended with {describe_status(status)} before "
                            f"the scenario did: {last[0]}", status)


@dataclass
class Boot:
    """One QEMU boot of a kernel image."""
    elf: Path
    harts: int = 4
    bootargs: str = ""
    icount: bool = False
    gdb_socket: Path | None = None
    # The trace drain (trace_drain=1): semihosting on, its writes on QEMU's
    # standard output, so the console goes to this file instead.
    drain_console: Path | None = None


@dataclass
class RunResult:
    status: int          # QEMU's exit status, 128+signal if killed, 124 on timeout
    timed_out: bool
    output: bytes        # everything QEMU wrote to stdout and stderr


# What the kernel's command-line parser takes (kernel/boot/bootargs.h,
# BOOTARGS_MAX_LEN; kernel/boot/bootargs.c): a longer line or another
# character is refused by the kernel after the boot, so the front door
# refuses it first, before anything is built or booted.
BOOTARGS_MAX_LEN = 1024
BOOTARGS_SPACES = " \t\n"


def make_bootargs(scenario: str | None, seed: int | None, extra: str = "") -> str:
    """The kernel command line: `scenario=S seed=N` then `extra`;
    BootArgsError for one the kernel would refuse."""
    words = []
    if scenario is not None:
        words.append(f"scenario={scenario}")
    if seed is not None:
        words.append(f"seed={seed}")
    if extra.strip():
        words.append(extra.strip())
    line = " ".join(words)
    for offset, char in enumerate(line):
        if char not in BOOTARGS_SPACES and not "!" <= char <= "~":
            raise BootArgsError(f"boot arguments: character {char!r} at offset {offset} of "
                                f"{line!r}: the kernel takes printable ASCII words separated "
                                "by spaces")
    if len(line) > BOOTARGS_MAX_LEN:
        raise BootArgsError(f"boot arguments: {len(line)} bytes, the kernel takes at most "
                            f"{BOOTARGS_MAX_LEN} (kernel/boot/bootargs.h)")
    return line


def command_line(boot: Boot) -> list[str]:
    """The QEMU command for `boot`.

    The console is the first UART on QEMU's stdio with no monitor and no
    display, which works with no terminal and no stdin (as in CI).
    """
    if boot.harts < 1:
        raise QemuError(f"harts must be at least 1, not {boot.harts}")
    serial = "stdio" if boot.drain_console is None else f"file:{boot.drain_console}"
    command = [QEMU, "-machine", "virt", "-smp", str(boot.harts), "-m", MEMORY,
               "-bios", "default", "-kernel", str(boot.elf),
               "-display", "none", "-serial", serial, "-monitor", "none",
               "-no-reboot"]
    if boot.drain_console is not None:
        # target=native: QEMU answers the calls itself. The kernel opens
        # only ":tt" (QEMU's stdout); docs/trace-format.md says why this
        # is acceptable for the project's own kernel.
        command += ["-semihosting-config", "enable=on,target=native"]
    if boot.bootargs:
        command += ["-append", boot.bootargs]
    if boot.icount:
        mode = ICOUNT_FOR_GDB if boot.gdb_socket else ICOUNT_DETERMINISTIC
        command += ["-icount", mode]
    if boot.gdb_socket is not None:
        # A unix socket: nothing listens on the network. QEMU's option
        # syntax ends the path at a comma; a doubled comma is a comma.
        path = str(boot.gdb_socket).replace(",", ",,")
        command += ["-S", "-gdb", f"unix:{path},server,nowait"]
    return command


def run_to_file(command: list[str], timeout: float | None, stdout_path: Path) -> RunResult:
    """Like run(), but QEMU's standard output goes straight to stdout_path
    (the trace drain: any length, flat memory); `output` is its stderr."""
    with open(stdout_path, "wb") as stdout:
        try:
            process = start_child(command, stdin=subprocess.DEVNULL, stdout=stdout,
                                  stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise QemuError(f"{command[0]} not found; run tools/neuron setup")
        try:
            _, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process_group(process)
            return RunResult(124, True, process.stderr.read() if process.stderr else b"")
        finally:
            if process.poll() is None:
                kill_process_group(process)
    status = process.returncode
    return RunResult(128 - status if status < 0 else status, False, errors)


def run(command: list[str], timeout: float | None,
        on_output: Callable[[bytes], None] = lambda chunk: None,
        stdin_terminal: bool = False) -> RunResult:
    """Run `command` in its own process group, streaming its output.

    `timeout` is in seconds (None: no limit). On timeout the whole group is
    killed and the status is 124. On any exception (KeyboardInterrupt
    included) the group is killed before the exception propagates.
    `stdin_terminal` passes our stdin through (for an interactive console);
    otherwise QEMU reads nothing.
    """
    try:
        process = start_child(
            command, stdin=None if stdin_terminal else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except FileNotFoundError:
        raise QemuError(f"{command[0]} not found; run tools/neuron setup")
    stdout = process.stdout
    assert stdout is not None       # stdout=PIPE
    deadline = None if timeout is None else time.monotonic() + timeout
    output = bytearray()
    timed_out = False
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    timed_out = True
                    break
                if not selector.select(remaining):
                    continue
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
                on_output(chunk)
        if not timed_out:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        if process.poll() is None:
            kill_process_group(process)
        stdout.close()
    if timed_out:
        return RunResult(124, True, bytes(output))
    status = process.returncode
    return RunResult(128 - status if status < 0 else status, False, bytes(output))


def run_echoing(boot: Boot, timeout: float | None, log: Path | None,
                interactive: bool = False) -> RunResult:
    """Boot, echoing the console to stdout (and to log); QemuTimeout when
    the kernel does not finish within timeout."""
    log_file = open(log, "wb") if log else None
    try:
        def echo(chunk: bytes) -> None:
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            if log_file:
                log_file.write(chunk)
        result = run(command_line(boot), timeout, echo, stdin_terminal=interactive)
    finally:
        if log_file:
            log_file.close()
    if result.timed_out:
        raise QemuTimeout(f"timed out after {timeout:g} s")
    return result
