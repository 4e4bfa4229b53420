"""Getting a trace dump out of a booted audit kernel through gdb.

QEMU starts halted (-S) with its gdbstub on a unix socket in a private
directory and the fixed icount shift (repeatable); gdb-multiarch (batch, no init files) sets one
breakpoint on trace_scenario_done, continues ONCE, writes the dump with
tools/gdb/neuron_gdb/ring_dump.py and exits (paths reach gdb as Python strings, never as
command text). QEMU 7.2 can deadlock when a gdb
session resumes a second time under icount, so nothing resumes after the
stop: QEMU is killed by process group. Both processes run under a limit,
so a hang ends as an error, never a hang, and both die with the front door.

    result = extract(elf, dump_path, harts=4, bootargs="scenario=imbalance")
    result.dump_path, result.console (str), result.gdb_output (str)

The stream alternative (no gdb): boot with trace_stream=1 and use
stream.to_dump() on the console log.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .. import qemu
from ..children import kill_process_group, start_child
from ..errors import ExtractError, ExtractPlaceError, ExtractTimeout
from ..scratch import private_directory

GDB = "gdb-multiarch"
GDB_PACKAGE_DIR = Path(__file__).resolve().parents[2] / "gdb"     # holds neuron_gdb
SOCKET_WAIT_SECONDS = 10.0


@dataclass
class ExtractResult:
    dump_path: Path
    console: str
    gdb_output: str


# The gdb session, as a Python script: every path reaches gdb as a Python
# string (the ELF as gdb's argument, the others through the environment),
# never spliced into a gdb command line, so no file name can become a
# command. Only the gdbstub socket, in our private directory, is given to
# `target remote`, after a check that it holds nothing gdb would split.
GDB_SCRIPT = """\
import os, sys
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote " + os.environ["NEURON_EXTRACT_SOCKET"])
gdb.execute("break trace_scenario_done")
gdb.execute("continue")
sys.path.insert(0, os.environ["NEURON_EXTRACT_GDB_DIR"])
from neuron_gdb import ring_dump
gdb.write(ring_dump.dump_trace(os.environ["NEURON_EXTRACT_DUMP"]) + "\\n")
"""


def _plain(path: Path) -> bool:
    """True when path has no whitespace nor control character (safe on a gdb
    command line). A comma is safe: qemu.command_line doubles it, as QEMU's
    option syntax wants."""
    return not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in str(path))


def _deterministic(command: list[str]) -> list[str]:
    """The fixed icount shift, even with the gdbstub on.

    qemu.command_line picks shift=auto for gdb because QEMU 7.2 deadlocks
    when a session resumes after a stop under a fixed shift; shift=auto is
    not repeatable (two runs under load wrote different traces). This
    session resumes exactly once, from -S to the breakpoint, which a fixed
    shift survives; nothing resumes after the stop. So the same command
    reads the same rings.
    """
    command = list(command)
    at = command.index("-icount")
    command[at + 1] = qemu.ICOUNT_DETERMINISTIC
    return command


def _kill_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        kill_process_group(process)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)    # anything it left in its group
        except (ProcessLookupError, PermissionError):
            pass


def extract(elf, dump_path, harts: int = 4, bootargs: str = "", timeout: float = 120.0) -> ExtractResult:
    """Boot, stop at trace_scenario_done, write the dump at dump_path.

    QEMU and gdb each run in a process group of their own and die with
    this process (PR_SET_PDEATHSIG); on any exit (an exception, SIGINT,
    SIGTERM turned into an exception by the front door) both groups are
    killed and the private directory removed; after SIGKILL the reaper
    removes it. dump_path appears only once gdb wrote the whole dump.
    """
    elf, dump_path = Path(elf).resolve(), Path(dump_path).resolve()
    if not elf.is_file():
        raise ExtractError(f"trace extract: no kernel ELF at {elf}")
    with private_directory("neuron-trace-") as private:
        return _extract(elf, dump_path, private, harts, bootargs, timeout)


def _extract(elf: Path, dump_path: Path, private: Path, harts: int, bootargs: str,
             timeout: float) -> ExtractResult:
    socket = private / "gdb.sock"
    if not _plain(socket):
        raise ExtractPlaceError(f"trace extract: the temporary directory {private} contains a "
                                "space or control character; set TMPDIR to a plain directory")
    console_path = private / "console.log"
    private_dump = private / "trace.dump"
    boot = qemu.Boot(elf=elf, harts=harts, bootargs=bootargs, icount=True, gdb_socket=socket)
    with open(console_path, "wb") as console:
        try:
            machine = start_child(_deterministic(qemu.command_line(boot)),
                                  stdin=subprocess.DEVNULL,
                                  stdout=console, stderr=subprocess.STDOUT)
        except FileNotFoundError:
            raise ExtractError(f"{qemu.QEMU} not found; run tools/neuron setup") from None
    gdb = None
    try:
        deadline = time.monotonic() + SOCKET_WAIT_SECONDS
        while not socket.exists():
            if machine.poll() is not None or time.monotonic() > deadline:
                raise ExtractError(f"trace extract: QEMU did not open its gdb socket "
                                  f"(exit status {machine.poll()}): "
                                  f"{console_path.read_text(errors='replace').strip()[-200:]}")
            time.sleep(0.05)
        script = private / "extract.py"
        script.write_text(GDB_SCRIPT)
        environment = dict(os.environ, NEURON_EXTRACT_SOCKET=str(socket),
                           NEURON_EXTRACT_DUMP=str(private_dump),
                           NEURON_EXTRACT_GDB_DIR=str(GDB_PACKAGE_DIR))
        try:
            gdb = start_child([GDB, "-batch", "-nx", "-x", str(script), "--", str(elf)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=environment)
        except FileNotFoundError:
            raise ExtractError(f"{GDB} not found; run tools/neuron setup") from None
        try:
            output, _ = gdb.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ExtractTimeout(f"trace extract: gdb did not finish in {timeout:g} s") from None
    finally:
        if gdb is not None:
            _kill_group(gdb)
            if gdb.stdout:
                gdb.stdout.close()
        kernel_status = machine.poll()     # None: still running (stopped at the breakpoint)
        _kill_group(machine)
    gdb_output = output.decode("utf-8", "replace")
    log = console_path.read_text(errors="replace")
    if not private_dump.exists():
        if kernel_status is not None:
            raise qemu.ended_early("trace extract", kernel_status, log)
        last = [line for line in gdb_output.splitlines() if line.strip()][-1:] or ["no output"]
        raise ExtractError(f"trace extract: gdb wrote no dump (status {gdb.returncode}): {last[0]}")
    # Only a whole dump reaches dump_path (a copy across file systems, then a rename).
    partial = dump_path.with_name(dump_path.name + ".partial")
    try:
        shutil.copyfile(private_dump, partial)
        os.replace(partial, dump_path)
    except OSError as error:
        raise ExtractError(f"{dump_path}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return ExtractResult(dump_path, log, gdb_output)
