"""Getting a trace dump out of a booted audit kernel through gdb.

QEMU starts halted (-S) with its gdbstub on a unix socket in a private
directory and the fixed icount shift (repeatable); gdb-multiarch (batch, no init files) sets one
breakpoint on trace_scenario_done, continues ONCE, writes the dump with
tools/gdb/ring_dump.py and exits. QEMU 7.2 can deadlock when a gdb
session resumes a second time under icount, so nothing resumes after the
stop: QEMU is killed by process group. Both processes run under limits
(gdb under `timeout -k`), so a hang ends as an error, never a hang.

    result = extract(elf, dump_path, harts=4, bootargs="scenario=imbalance")
    result.dump_path, result.console (str), result.gdb_output (str)

The stream alternative (no gdb): boot with trace_stream=1 and use
stream.to_dump() on the console log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import qemu
from ..errors import NeuronError

GDB = "gdb-multiarch"
RING_DUMP = Path(__file__).resolve().parents[2] / "gdb" / "ring_dump.py"
SOCKET_WAIT_SECONDS = 10.0


@dataclass
class ExtractResult:
    dump_path: Path
    console: str
    gdb_output: str


def gdb_script(elf: Path, socket: Path, dump_path: Path) -> str:
    return "\n".join([
        "set pagination off",
        "set confirm off",
        f"file {elf}",
        f"target remote {socket}",
        "break trace_scenario_done",
        "continue",
        f"source {RING_DUMP}",
        f"neuron-trace-dump {dump_path}",
        "",
    ])


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
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def extract(elf, dump_path, harts: int = 4, bootargs: str = "", timeout: float = 120.0) -> ExtractResult:
    elf, dump_path = Path(elf).resolve(), Path(dump_path).resolve()
    if not elf.is_file():
        raise NeuronError(f"trace extract: no kernel ELF at {elf}")
    with tempfile.TemporaryDirectory(prefix="neuron-trace-") as private:
        socket = Path(private) / "gdb.sock"
        console_path = Path(private) / "console.log"
        boot = qemu.Boot(elf=elf, harts=harts, bootargs=bootargs, icount=True, gdb_socket=socket)
        with open(console_path, "wb") as console:
            machine = subprocess.Popen(_deterministic(qemu.command_line(boot)),
                                       stdin=subprocess.DEVNULL,
                                       stdout=console, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            deadline = time.monotonic() + SOCKET_WAIT_SECONDS
            while not socket.exists():
                if machine.poll() is not None or time.monotonic() > deadline:
                    raise NeuronError(f"trace extract: QEMU did not open its gdb socket "
                                      f"(exit status {machine.poll()}): "
                                      f"{console_path.read_text(errors='replace').strip()[-200:]}")
                time.sleep(0.05)
            script = Path(private) / "extract.gdb"
            script.write_text(gdb_script(elf, socket, dump_path))
            if dump_path.exists():
                dump_path.unlink()
            try:
                gdb = subprocess.run(["timeout", "-k", "5", str(int(timeout)), GDB, "-batch", "-nx",
                                      "-x", str(script)], stdin=subprocess.DEVNULL,
                                     capture_output=True, text=True, timeout=timeout + 15)
            except subprocess.TimeoutExpired:
                raise NeuronError(f"trace extract: gdb did not finish in {timeout:.0f} s") from None
        finally:
            _kill_group(machine)
        log = console_path.read_text(errors="replace")
    output = gdb.stdout + gdb.stderr
    if not dump_path.exists():
        last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
        raise NeuronError(f"trace extract: gdb wrote no dump (status {gdb.returncode}): {last[0]}")
    return ExtractResult(dump_path, log, output)
