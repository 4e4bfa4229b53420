"""tools/neuron checks its arguments before it starts anything (exit 2, one
line), and its children die with it.

The checks that need a kernel use the audit ELF of the build tree and are
skipped when it is not built.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NEURON = REPO / "tools" / "neuron"
# The kernel cases run in the audit preset (CTest tools.pytest.kernel, which
# names its image); the host preset's tools.pytest leaves them out (-m "not
# kernel"), so neither run skips anything.
AUDIT_ELF = Path(os.environ.get("NEURON_AUDIT_ELF", REPO / "build" / "audit" / "kernel" / "neuron.elf"))
needs_kernel = pytest.mark.kernel


def neuron(*args, cwd=None, env=None, timeout=60):
    return subprocess.run([str(NEURON), *map(str, args)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwd, env=env)


def _usage_error(result, *words):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0"])
@pytest.mark.parametrize("command", ["run", "trace", "gdb"])
def test_timeout_must_be_finite_and_positive(command, value):
    _usage_error(neuron(command, f"--timeout={value}"), "--timeout")


def test_log_in_missing_directory_or_onto_directory(tmp_path):
    # Refused before any build or boot: no kernel is needed to see it.
    _usage_error(neuron("run", "--log", tmp_path / "missing" / "x.log", "--elf", "/nonexistent"),
                 "--log", "no directory")
    _usage_error(neuron("run", "--log", tmp_path, "--elf", "/nonexistent"), "is a directory")
    _usage_error(neuron("gdb", "--log", tmp_path / "missing" / "x.log", "--elf", "/nonexistent"),
                 "--log")


def test_elf_that_is_not_a_neuron_kernel(tmp_path):
    _usage_error(neuron("run", "--elf", REPO / "README.md"), "not an ELF")
    _usage_error(neuron("run", "--elf", "/bin/sh"), "not a riscv64 neuron kernel")
    _usage_error(neuron("trace", "--elf", tmp_path / "none.elf"), "no kernel image")


@pytest.mark.parametrize("value", ["mixed fault=no_steal_check", "a=b", "../x", "../../../x/y", ""])
@pytest.mark.parametrize("command", ["run", "trace", "gdb"])
def test_scenario_value_cannot_carry_more_arguments_or_a_path(command, value):
    _usage_error(neuron(command, "--scenario", value), "--scenario")


def test_break_location_cannot_carry_gdb_commands():
    _usage_error(neuron("gdb", "--break", "main\nshell touch x"), "--break")


@needs_kernel
@pytest.mark.parametrize("harts", [33, 513, 100000])
def test_harts_above_the_kernel_limit(harts):
    _usage_error(neuron("run", "--harts", harts, "--elf", AUDIT_ELF), "--harts", "NEURON_MAX_HARTS 32")


@needs_kernel
def test_scenario_checked_against_the_kernel(tmp_path):
    line = _usage_error(neuron("trace", "--scenario", "nosuch", "--elf", AUDIT_ELF,
                               "--out", tmp_path / "t.pftrace"), "nosuch", "mixed")
    assert "gdb" not in line
    assert list(tmp_path.iterdir()) == []


def test_image_limits_of_qemu():
    import sys
    sys.path.insert(0, str(REPO / "tools"))
    from neuronlib import image
    from neuronlib.errors import ImageError
    wide = image.Image(Path("k.elf"), 4096, ("mixed",))
    image.check_boot(wide, 512, "mixed")
    with pytest.raises(ImageError, match="at most 512"):
        image.check_boot(wide, 513, "mixed")


def test_convert_output_checks(tmp_path):
    dump = tmp_path / "d.dump"
    dump.write_bytes(b"x" * 100)
    _usage_error(neuron("convert", dump, "--out", dump), "is the input")
    _usage_error(neuron("convert", dump, "--out", tmp_path / "no" / "d.pftrace"), "no directory")
    assert dump.read_bytes() == b"x" * 100


@needs_kernel
def test_out_path_with_newline_runs_no_gdb_command(tmp_path):
    """A file name reaches gdb as data: the old spliced script would run the
    `shell touch INJECTED` line."""
    out = tmp_path / "a\nshell touch INJECTED\nb.pftrace"
    result = neuron("trace", "--elf", AUDIT_ELF, "--harts", 2, "--out", out, cwd=tmp_path,
                    timeout=180)
    assert not (tmp_path / "INJECTED").exists()
    assert result.returncode == 0, result.stderr
    assert out.is_file()


def _command_lines():
    """(pid, command line) of every process running now."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield entry.name, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace")
            except OSError:
                continue


def _processes_mentioning(text: str) -> list[str]:
    return [f"{pid}: {command[:160]}" for pid, command in _command_lines() if text in command]


@contextlib.contextmanager
def _front_door(args, **popen):
    """tools/neuron ARGS started, no stdin; killed, if still running, when
    the block ends (a failed assertion must not leave it behind)."""
    front = subprocess.Popen([str(NEURON), *map(str, args)], stdin=subprocess.DEVNULL, **popen)
    try:
        yield front
    finally:
        if front.poll() is None:
            front.kill()
            front.wait()
        for stream in (front.stdout, front.stderr):
            if stream is not None:
                stream.close()


def _left_behind(tmp_path: Path, private: Path, seconds: float = 5) -> tuple[list[str], list[Path]]:
    """What a killed front door left once `seconds` have passed or nothing
    is left: the processes naming tmp_path, and the entries of private."""
    deadline = time.monotonic() + seconds
    while True:
        left = (_processes_mentioning(str(tmp_path)), list(private.iterdir()))
        if left == ([], []) or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)


@needs_kernel
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("mode", ["ring", "drain", "console"])
def test_killed_trace_leaves_no_qemu_gdb_or_temp_directory(tmp_path, how, mode):
    """`trace --mode ring` killed while gdb hangs (a gdb-multiarch that never
    returns), `trace` (the drain, the console stream) killed while a long
    run goes on: within a few seconds no QEMU, no gdb, no private directory
    and no file beside the trace is left (the console stream's log was
    written as it came)."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    gdb = fake_bin / "gdb-multiarch"
    gdb.write_text("#!/bin/sh\nexec /usr/bin/python3 -c 'import time; time.sleep(600)' "
                   f"{tmp_path}/hanging-gdb \"$@\"\n")
    gdb.chmod(0o755)
    private = tmp_path / "tmp"
    private.mkdir()
    env = dict(os.environ, PATH=f"{fake_bin}:{os.environ['PATH']}", TMPDIR=str(private))
    extra = (["--mode", "ring"] if mode == "ring"
             else ["--mode", mode, "--scenario", "stress", "--append", "stress_rounds=2000"])
    image = tmp_path / "k.elf"      # QEMU's command line names tmp_path
    image.write_bytes(AUDIT_ELF.read_bytes())
    with _front_door(["trace", "--elf", image, "--harts", "2", "--out", tmp_path / "t.pftrace",
                      *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                     env=env) as front:
        deadline = time.monotonic() + 60
        while not ((mode != "ring" or _processes_mentioning(f"{tmp_path}/hanging-gdb"))
                   and _processes_mentioning(str(private))
                   and _processes_mentioning(f"-kernel {image}")):
            assert front.poll() is None, front.stderr.read().decode()
            assert time.monotonic() < deadline, "QEMU and gdb did not both start"
            time.sleep(0.1)
        front.send_signal(how)
        front.wait(timeout=30)
        processes, entries = _left_behind(tmp_path, private)
        assert processes == []
        assert entries == []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "k.elf", "tmp"]


@needs_kernel
def test_extract_reports_the_kernels_exit_status(tmp_path):
    """Boot arguments the kernel refuses (past the front door's checks, e.g. from
    a script): the kernel's status 2 and its message, not "gdb wrote no dump"."""
    import sys
    sys.path.insert(0, str(REPO / "tools"))
    from neuronlib import cli
    from neuronlib.errors import KernelEndedEarly
    from neuronlib.tracefmt import extract
    with pytest.raises(KernelEndedEarly) as caught:
        extract.extract(AUDIT_ELF, tmp_path / "x.dump", harts=2, bootargs="scenario=nosuch",
                        timeout=60)
    assert cli.exit_status(caught.value) == 2 and "unknown scenario" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


# --- outputs: never an input, never a directory, nothing half-written ------

def test_no_output_is_an_input(tmp_path):
    """The trace, its dump, its console log and a log never land on the
    kernel image, the dump or the gdb script the command reads (`trace
    --elf K --out K` wrote the trace over the kernel and exited 0)."""
    image = tmp_path / "k.elf"
    image.write_bytes(b"\x7fELF not really")
    script = tmp_path / "cmds.gdb"
    script.write_text("quit\n")
    cases = [("trace", "--elf", image, "--out", image),
             ("trace", "--elf", tmp_path / "k.dump", "--out", tmp_path / "k.pftrace"),
             ("trace", "--elf", tmp_path / "k.console.log", "--out", tmp_path / "k.pftrace"),
             ("convert", script, "--elf", image, "--out", image),
             ("run", "--elf", image, "--log", image),
             ("gdb", "--elf", image, "--batch", script, "--log", script)]
    (tmp_path / "k.dump").write_bytes(b"dump")
    (tmp_path / "k.console.log").write_bytes(b"log")
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    for case in cases:
        _usage_error(neuron(*case), "is an input")
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("beside", ["t.dump", "t.console.log", "t.pftrace.partial",
                                    "t.dump.partial"])
def test_trace_refuses_a_directory_where_it_writes_beside_the_trace(tmp_path, beside):
    """A directory where the trace would write its dump, console log or a
    temporary file: exit 2 before anything boots, not 70 after the run."""
    (tmp_path / beside).mkdir()
    _usage_error(neuron("trace", "--elf", "/nonexistent", "--out", tmp_path / "t.pftrace"),
                 beside, "is a directory")


def test_convert_refuses_a_directory_at_its_temporary_name(tmp_path):
    dump = tmp_path / "d.dump"
    dump.write_bytes(b"x" * 100)
    (tmp_path / "d.pftrace.partial").mkdir()
    _usage_error(neuron("convert", dump), "d.pftrace.partial", "is a directory")


@pytest.mark.parametrize("value", ["-1", str(1 << 64), "1.5", "x"])
@pytest.mark.parametrize("command", ["run", "trace", "gdb"])
def test_seed_is_an_unsigned_64_bit_number(command, value):
    """The kernel's seed= range, refused before QEMU starts (the kernel said
    it only after booting); no checking function's name in the message."""
    line = _usage_error(neuron(command, "--seed", value, "--elf", "/nonexistent"), "--seed")
    assert "_seed" not in line


def test_harts_beyond_qemu_refused_before_building(monkeypatch, capsys):
    """No build of any preset can boot 513 harts on QEMU's virt board."""
    import sys
    sys.path.insert(0, str(REPO / "tools"))
    from neuronlib import cli, cmake

    def no_build(preset):
        raise AssertionError(f"built {preset} for a hart count QEMU refuses")
    monkeypatch.setattr(cmake, "build", no_build)
    for command in ("run", "trace", "gdb"):
        assert cli.main([command, "--harts", "513"]) == 2
        assert "at most 512" in capsys.readouterr().err


@pytest.mark.parametrize("append, words", [
    (" ".join(["fault=none"] * 100), ["bytes", "at most 1024"]),
    ("seed_twice=1\x01", ["character", "offset"]),
    ("x=\u00e9", ["character", "printable ASCII"]),
])
def test_boot_arguments_the_kernel_refuses_are_refused_before_building(monkeypatch, capsys,
                                                                       append, words):
    """The kernel refused a command line over BOOTARGS_MAX_LEN or with a
    character outside printable ASCII only after a build and a boot; each
    command says it first, exit 2, one line."""
    import sys
    sys.path.insert(0, str(REPO / "tools"))
    from neuronlib import cli, cmake, packages

    def no_build(preset):
        raise AssertionError(f"built {preset} for a command line the kernel refuses")
    monkeypatch.setattr(cmake, "build", no_build)
    monkeypatch.setattr(packages, "setup", lambda: None)
    for command in ("run", "trace", "gdb"):
        assert cli.main([command, "--append", append]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"neuron: {command}: boot arguments:"), err
        for word in words:
            assert word in err[0], err


def test_boot_argument_limit_is_the_kernels():
    """qemu.BOOTARGS_MAX_LEN is the kernel's BOOTARGS_MAX_LEN, and the
    trace's longest line (its mode word added) still fits at that limit."""
    import re
    import sys
    sys.path.insert(0, str(REPO / "tools"))
    from neuronlib import qemu
    header = (REPO / "kernel" / "boot" / "bootargs.h").read_text()
    assert int(re.search(r"#define BOOTARGS_MAX_LEN (\d+)", header).group(1)) == qemu.BOOTARGS_MAX_LEN
    fits = "x=" + "1" * (qemu.BOOTARGS_MAX_LEN - 2)
    assert qemu.make_bootargs(None, None, fits) == fits
    with pytest.raises(Exception, match="1025 bytes"):
        qemu.make_bootargs(None, None, fits + "1")


def _running(program: str, mentioning: str) -> bool:
    """A process whose command line starts with program and names `mentioning`."""
    return any(command.startswith(program) and mentioning in command
               for _, command in _command_lines())


def test_a_child_whose_parent_died_before_prctl_does_not_start():
    """The parent-death signal is armed in the child after fork; a front door
    killed in between (a gdb was seen left running under load) must not
    leave the child to exec an orphan: it exits instead."""
    import sys
    sys.path.insert(0, str(REPO / "tools"))
    from neuronlib import children
    real = os.getppid
    try:
        os.getppid = lambda: 1                 # as the child sees a dead parent
        child = children.start_child(["sleep", "30"])
    finally:
        os.getppid = real
    try:
        assert child.wait(timeout=10) == 1
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _wait_for(condition, what: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, f"exited {process.returncode} before {what}"
        assert time.monotonic() < deadline, f"no {what} within {seconds:g} s"
        time.sleep(0.05)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killed_convert_leaves_no_partial_trace(tmp_path, how):
    """`convert` killed while it writes X.pftrace.partial: gone within 5 s
    (after SIGKILL a reaper removes it), and no X.pftrace."""
    from neuronlib.tracefmt import synth
    dump = tmp_path / "big.dump"
    synth.generate(dump, 600_000, harts=4)
    partial = tmp_path / "big.pftrace.partial"
    with _front_door(["convert", dump], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL) as front:
        _wait_for(partial.exists, "partial trace", front)
        front.send_signal(how)
        status = front.wait(timeout=30)
        deadline = time.monotonic() + 5
        while partial.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        # On a loaded machine the conversion may finish before the signal
        # lands: then, and only then, the trace is there, and whole.
        whole = ["big.pftrace"] if status == 0 else []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["big.dump", *whole]
        if whole:
            assert neuron("report", tmp_path / "big.pftrace").returncode == 0


def test_killed_report_of_a_dump_leaves_no_temporary_trace(tmp_path):
    """`report DUMP` converts into a private directory (tens of MB for a long
    run): SIGKILL leaves nothing there."""
    from neuronlib.tracefmt import synth
    dump = tmp_path / "big.dump"
    synth.generate(dump, 300_000, harts=4)
    private = tmp_path / "tmp"
    private.mkdir()
    with _front_door(["report", dump], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     env=dict(os.environ, TMPDIR=str(private))) as front:
        _wait_for(lambda: any(private.glob("neuron-report-*/trace.pftrace")),
                  "converted trace", front)
        front.kill()
        front.wait(timeout=30)
        _, entries = _left_behind(tmp_path, private)
        assert entries == []


@needs_kernel
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
@pytest.mark.parametrize("command", ["gdb", "run --gdb"])
def test_killed_gdb_session_leaves_no_qemu_gdb_or_temp_directory(tmp_path, how, command):
    """`gdb --batch` (a script that never ends) and `run --gdb` killed: no
    QEMU, gdb or socket directory left (the directory outlived SIGKILL)."""
    image = tmp_path / "k.elf"
    image.write_bytes(AUDIT_ELF.read_bytes())
    private = tmp_path / "tmp"
    private.mkdir()
    script = tmp_path / "hang.gdb"
    script.write_text("python\nimport time\ntime.sleep(600)\nend\n")
    args = (["gdb", "--batch", str(script), "--log", str(tmp_path / "console.log")]
            if command == "gdb" else ["run", "--gdb"])
    with _front_door([*args, "--elf", image, "--harts", "2"], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, env=dict(os.environ, TMPDIR=str(private))) as front:
        # This test's own QEMU and gdb (their command lines name the image;
        # another gdb on the machine must not start the clock), past exec.
        started = ((lambda: _running("qemu-system-riscv64 -machine", str(image))
                    and _running("gdb-multiarch", str(image)))
                   if command == "gdb" else lambda: _running("qemu-system-riscv64 -machine",
                                                             str(image)))
        _wait_for(started, "QEMU's gdb socket", front)
        front.send_signal(how)
        front.wait(timeout=30)
        processes, entries = _left_behind(tmp_path, private)
        assert processes == []
        assert entries == []


@needs_kernel
@pytest.mark.parametrize("mode", ["drain", "console", "ring"])
def test_trace_refused_by_the_kernel_in_every_mode(tmp_path, mode):
    """Boot arguments only the kernel can judge (--append): its status 2 and
    its message in every mode (the console stream said "no frame", exit 1),
    and no trace or dump of an earlier run left beside this run's log."""
    out = tmp_path / "t.pftrace"
    out.write_bytes(b"an earlier run's trace")
    (tmp_path / "t.dump").write_bytes(b"an earlier run's dump")
    result = neuron("trace", "--elf", AUDIT_ELF, "--harts", 1, "--mode", mode,
                    "--append", "scenario=x", "--out", out, timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "bad boot arguments" in lines[0], result.stderr
    assert not out.exists() and not (tmp_path / "t.dump").exists()


def test_gdbstub_socket_path_with_a_comma_reaches_qemu_whole(tmp_path):
    """TMPDIR with a comma: QEMU's `-gdb unix:PATH,server` ended the path
    there and exited (exit 1, QEMU's message) for `gdb` and `trace`. The
    comma is doubled, as QEMU's option syntax wants; the path reaches
    QEMU whole."""
    from neuronlib import qemu
    socket = tmp_path / "a,b" / "gdb.sock"
    command = qemu.command_line(qemu.Boot(tmp_path / "k.elf", 1, "", True, socket))
    spec = command[command.index("-gdb") + 1]
    assert spec == f"unix:{str(socket).replace(',', ',,')},server,nowait"
    path = spec[len("unix:"):].rsplit(",server,nowait", 1)[0]
    assert path.replace(",,", ",") == str(socket)


def test_ring_mode_refuses_a_temporary_directory_gdb_would_split(tmp_path, monkeypatch):
    """TMPDIR with a space: refused (exit 2) before QEMU starts, since the
    socket's path goes to gdb's `target remote` as command text."""
    import tempfile
    from neuronlib import cli
    from neuronlib.errors import ExtractPlaceError
    from neuronlib.tracefmt import extract
    odd = tmp_path / "a b"
    odd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    image = tmp_path / "k.elf"
    image.write_bytes(b"not booted")
    with pytest.raises(ExtractPlaceError, match="space") as caught:
        extract.extract(image, tmp_path / "x.dump", harts=1, timeout=5)
    assert cli.exit_status(caught.value) == 2
    assert list(odd.iterdir()) == []


@needs_kernel
def test_gdb_and_trace_run_with_a_comma_in_the_temporary_directory(tmp_path):
    """The real thing: a gdb batch and a ring-mode trace with TMPDIR holding
    a comma."""
    odd = tmp_path / "a,b"
    odd.mkdir()
    env = dict(os.environ, TMPDIR=str(odd))
    batch = tmp_path / "b.gdb"
    batch.write_text("info threads\n")
    done = neuron("gdb", "--elf", AUDIT_ELF, "--batch", batch, "--log", tmp_path / "g.log",
                  env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Thread 1.1" in done.stdout, done.stdout
    out = tmp_path / "t.pftrace"
    done = neuron("trace", "--elf", AUDIT_ELF, "--harts", 2, "--out", out, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0
    assert list(odd.iterdir()) == []


def test_trace_refuses_a_kernel_without_trace_rings():
    """A release kernel has no rings: `trace --elf` with one booted it, ran
    the scenario and failed after it (no BEGIN chunk, no frame), exit 1."""
    from neuronlib import image
    from neuronlib.errors import ImageError
    release = image.Image(Path("release.elf"), 32, ("mixed",), traced=False)
    image.check_boot(release, 2, "mixed")                   # `run` boots it
    with pytest.raises(ImageError, match="audit kernel"):
        image.check_boot(release, 2, "mixed", traced=True)


@needs_kernel
def test_trace_with_a_release_kernel_is_refused_before_it_boots(tmp_path):
    import shutil
    objcopy = shutil.which("riscv64-unknown-elf-objcopy")
    if objcopy is None:
        pytest.skip("riscv64-unknown-elf-objcopy not installed")
    untraced = tmp_path / "untraced.elf"
    subprocess.run([objcopy, "--strip-symbol=trace_rings", str(AUDIT_ELF), str(untraced)],
                   check=True)
    _usage_error(neuron("trace", "--elf", untraced, "--harts", 1, "--out", tmp_path / "t.pftrace"),
                 "release kernel", "audit kernel")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["untraced.elf"]


@pytest.mark.parametrize("command", ["convert", "trace"])
def test_output_that_is_a_device_or_fifo_is_refused(tmp_path, command):
    """The trace is renamed into place: `--out /dev/null`, as root, replaced
    the device with a regular file. A FIFO stands in for the device here."""
    from neuronlib.tracefmt import synth
    fifo = tmp_path / "sink"
    os.mkfifo(fifo)
    dump = tmp_path / "d.dump"
    synth.generate(dump, 100, harts=2)
    args = ([dump] if command == "convert" else ["--elf", "/nonexistent"])
    _usage_error(neuron(command, *args, "--out", fifo), "not a regular file")
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.dump", "sink"]
