"""tools/neuron as a user runs it: help, one-line errors, exit statuses."""

import subprocess
from pathlib import Path

import pytest

NEURON = Path(__file__).resolve().parents[2] / "tools" / "neuron"


def neuron(*args, timeout=60):
    return subprocess.run([str(NEURON), *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def test_shebang_is_debian_python():
    assert NEURON.read_text().splitlines()[0] == "#!/usr/bin/python3"


@pytest.mark.parametrize("command", ["setup", "build", "run", "test", "trace"])
def test_every_subcommand_has_help(command):
    result = neuron(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: neuron {command}")


def test_top_level_help_lists_the_subcommands_only():
    result = neuron("--help")
    assert result.returncode == 0
    # Every public subcommand is listed; the hidden CTest harness is not.
    listed = result.stdout.split("{", 1)[1].split("}", 1)[0].split(",")
    for name in ("setup", "build", "run", "test", "trace", "gdb"):
        assert name in listed
    assert "ctest" not in listed


def test_usage_error_is_one_line():
    result = neuron("run", "--harts", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "neuron: run: argument --harts: must be at least 1, not 0 (see: tools/neuron run --help)"]


def test_missing_kernel_is_one_line_without_traceback():
    result = neuron("run", "--elf", "/nonexistent/neuron.elf")
    assert result.returncode == 2
    assert result.stderr == "neuron: run: no kernel image at /nonexistent/neuron.elf\n"
    assert "Traceback" not in result.stderr


def test_ctest_missing_list_is_one_line(tmp_path):
    result = neuron("ctest", "boot", "--elf", "x", "--timeout", "1", "--harts", "1",
                    "--list", str(tmp_path / "list.h"), "--log", str(tmp_path / "log"))
    assert result.returncode == 1
    assert result.stderr.startswith("neuron: ctest: cannot read the self-test list")
    assert len(result.stderr.splitlines()) == 1


def test_debug_switch_shows_the_traceback():
    """NEURON_DEBUG=1 re-raises: the same failure with its Python traceback;
    unset or 0, the one line."""
    import os
    environment = {k: v for k, v in os.environ.items() if k != "NEURON_DEBUG"}
    argv = [str(NEURON), "run", "--elf", "/nonexistent/neuron.elf"]
    for value in (None, "0"):
        if value is not None:
            environment["NEURON_DEBUG"] = value
        quiet = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                               env=environment, timeout=60)
        assert quiet.returncode == 2
        assert quiet.stderr == "neuron: run: no kernel image at /nonexistent/neuron.elf\n"
    environment["NEURON_DEBUG"] = "1"
    loud = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env=environment, timeout=60)
    assert loud.returncode == 1
    assert loud.stderr.startswith("Traceback (most recent call last):")
    assert loud.stderr.rstrip().endswith(
        "ImageError: no kernel image at /nonexistent/neuron.elf")
    assert "neuronlib/image.py" in loud.stderr


def test_every_error_type_has_its_row_in_the_exit_status_table():
    """A library error type without a row would reach the user as an
    `internal error` (70); each has one, and the statuses are the ones
    docs/reliability.md gives."""
    import inspect
    from neuronlib import cli, errors
    types = [value for _, value in inspect.getmembers(errors, inspect.isclass)
             if issubclass(value, Exception) and value.__module__ == errors.__name__]
    assert types and all(kind in cli.EXIT_STATUS for kind in types), \
        [kind.__name__ for kind in types if kind not in cli.EXIT_STATUS]
    assert cli.exit_status(errors.ImageError("x")) == 2
    assert cli.exit_status(errors.SameFileError("x")) == 2
    assert cli.exit_status(errors.QemuTimeout("x")) == 124
    assert cli.exit_status(errors.DumpError("f", 0, None, "x")) == 1
    assert cli.exit_status(errors.NeuronError("x", status=7)) == 7
    assert [cli.exit_status(errors.KernelEndedEarly("x", status)) for status in (1, 2, 3, 4, 5)] \
        == [1, 2, 3, 4, 1]
    assert cli.exit_status(ValueError("a bug")) is None
