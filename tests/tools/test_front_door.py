"""tools/neuron checks its arguments before it starts anything (exit 2, one
line).

The checks that need a kernel use the audit ELF of the build tree and are
skipped when it is not built.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NEURON = REPO / "tools" / "neuron"
AUDIT_ELF = REPO / "build" / "audit" / "kernel" / "neuron.elf"
needs_kernel = pytest.mark.skipif(not AUDIT_ELF.is_file(), reason="audit kernel not built")


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
    from neuronlib.errors import NeuronError
    wide = image.Image(Path("k.elf"), 4096, ("mixed",))
    image.check_boot(wide, 512, "mixed")
    with pytest.raises(NeuronError, match="at most 512"):
        image.check_boot(wide, 513, "mixed")


def test_convert_output_checks(tmp_path):
    dump = tmp_path / "d.dump"
    dump.write_bytes(b"x" * 100)
    _usage_error(neuron("convert", dump, "--out", dump), "is the input")
    _usage_error(neuron("convert", dump, "--out", tmp_path / "no" / "d.pftrace"), "no directory")
    assert dump.read_bytes() == b"x" * 100
