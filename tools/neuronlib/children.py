"""The front door's children (QEMU, gdb, the scratch reaper): each in a
process group of its own, killed when the front door dies, and never
lost to a signal that lands while it is being forked."""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess

# How long a killed child gets to exit on SIGTERM before SIGKILL.
TERMINATE_GRACE_SECONDS = 2.0


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it if the parent dies."""
    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the process group kill still applies


# Signals held while a child is forked (start_child).
HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _child_setup(die_with_parent: bool, parent: int) -> None:
    """In the child before exec: the held signals back (a signal mask
    survives exec, and a child must still die of SIGTERM), and, unless
    it must outlive us, death with the parent."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)
    if die_with_parent:
        die_with(parent)


def die_with(parent: int) -> None:
    """In the child before exec: the parent-death signal, then a check that
    `parent` is still the parent. A front door killed (SIGKILL, which no
    mask holds) between fork and prctl, a window of milliseconds while the
    child loads libc, would otherwise leave an orphan: a gdb was seen left
    running that way under load. Then the child exits instead."""
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)


def start_child(command: list[str], die_with_parent: bool = True, **popen_arguments) -> subprocess.Popen:
    """Popen in a process group of its own, with SIGINT and SIGTERM held
    across the fork. Why held: right after fork Python runs its at-fork
    callbacks in the parent (logging's lock release among them); a
    KeyboardInterrupt raised inside one is printed as "Exception ignored"
    and dropped, and the front door ran on as if never interrupted (a
    `trace` went on draining for 30 s after ^C). Held, the signal arrives
    when the fork is over; if it arrives before the caller holds the
    child, the child's group is killed here first."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    parent = os.getpid()
    process = None
    try:
        process = subprocess.Popen(command, start_new_session=True,
                                   preexec_fn=lambda: _child_setup(die_with_parent, parent),
                                   **popen_arguments)
    finally:
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        except BaseException:
            if process is not None:
                kill_process_group(process)
            raise
    return process


def kill_process_group(process: subprocess.Popen) -> None:
    """Kill `process` and everything in its group; wait for it."""
    for sig, grace in ((signal.SIGTERM, TERMINATE_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            # The leader is gone; make sure nothing else in the group is left.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        except subprocess.TimeoutExpired:
            continue
    process.wait()
