"""The QEMU command line and runner (tools/neuronlib/qemu.py)."""

import sys
import time
from pathlib import Path

import pytest

from neuronlib import qemu
from neuronlib.errors import QemuError


def test_command_line_boots_virt_with_opensbi_and_no_terminal():
    command = qemu.command_line(qemu.Boot(Path("k.elf"), harts=8, bootargs="seed=1"))
    assert command[0] == "qemu-system-riscv64"
    text = " ".join(command)
    for part in ("-machine virt", "-smp 8", "-m 128M", "-bios default", "-kernel k.elf",
                 "-display none", "-serial stdio", "-monitor none", "-append seed=1"):
        assert part in text
    assert "-icount" not in command and "-gdb" not in command


def test_icount_is_the_deterministic_setting():
    command = qemu.command_line(qemu.Boot(Path("k.elf"), icount=True))
    assert command[command.index("-icount") + 1] == "shift=0,align=off,sleep=off"


def test_gdb_listens_on_a_unix_socket_and_avoids_the_fixed_shift():
    command = qemu.command_line(qemu.Boot(Path("k.elf"), icount=True, gdb_socket=Path("/tmp/g.sock")))
    assert command[command.index("-gdb") + 1] == "unix:/tmp/g.sock,server,nowait"
    assert "-S" in command
    assert "tcp" not in " ".join(command) and "0.0.0.0" not in " ".join(command)
    assert command[command.index("-icount") + 1] == "shift=auto,sleep=off"


def test_no_append_without_bootargs():
    assert "-append" not in qemu.command_line(qemu.Boot(Path("k.elf")))


def test_zero_harts_is_refused():
    with pytest.raises(QemuError, match="at least 1"):
        qemu.command_line(qemu.Boot(Path("k.elf"), harts=0))


def test_bootargs_order():
    assert qemu.make_bootargs("smoke", 7, " selftest_fail=x ") == "scenario=smoke seed=7 selftest_fail=x"
    assert qemu.make_bootargs(None, None) == ""


def test_run_streams_output_and_returns_the_exit_status():
    chunks = []
    result = qemu.run([sys.executable, "-c", "print('hello'); raise SystemExit(3)"], 30, chunks.append)
    assert result.status == 3 and not result.timed_out
    assert b"".join(chunks) == result.output == b"hello\n"


def _alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    # A parent that ignores SIGTERM and a child it started: both must go.
    script = ("import os, signal, subprocess, sys, time\n"
              "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
              "child = subprocess.Popen(['sleep', '300'])\n"
              f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
              "print('started', flush=True)\n"
              "time.sleep(300)\n")
    start = time.monotonic()
    result = qemu.run([sys.executable, "-c", script], 1.0)
    assert result.timed_out and result.status == 124
    assert b"started" in result.output
    assert time.monotonic() - start < 10
    child = int(pid_file.read_text())
    for _ in range(50):
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)


def test_missing_program_is_a_clear_error():
    with pytest.raises(QemuError, match="not found; run tools/neuron setup"):
        qemu.run(["/nonexistent/qemu-system-riscv64"], 5)
