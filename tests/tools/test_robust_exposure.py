"""Exposure: what an outside party could reach or feed in (docs/reliability.md).

- the gdbstub is only ever on a unix socket (or gdb's own stdio pipe),
  never a TCP port, and nothing listens on all interfaces;
- the tools never evaluate, unpickle or run anything found in a dump:
  no eval/exec/pickle/marshal/os.system/shell=True anywhere in tools/,
  and the modules that read dumps and streams start no process at all;
- boot-argument parsing is bounded (BOOTARGS_MAX_LEN 1024, checked first).
"""

import re
from pathlib import Path

from neuronlib import qemu

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
PYTHON_SOURCES = sorted(TOOLS.rglob("*.py")) + [TOOLS / "neuron"]

# Modules that read dump, stream or trace bytes: no process may be started from them.
DUMP_READERS = ["neuronlib/tracefmt/dump.py", "neuronlib/tracefmt/records.py",
                "neuronlib/tracefmt/stream.py", "neuronlib/tracefmt/elftables.py",
                "neuronlib/tracefmt/synth.py", "neuronlib/report.py", "neuronlib/tracediff.py",
                "neuronlib/perfetto/convert.py", "neuronlib/perfetto/readback.py",
                "neuronlib/perfetto/check.py", "neuronlib/perfetto/wire.py",
                "neuronlib/perfetto/records.py", "neuronlib/perfetto/tables.py"]

FORBIDDEN = {
    "listens on all interfaces": re.compile(r"0\.0\.0\.0|INADDR_ANY|\[::\]"),
    "eval": re.compile(r"(?<![\w.])eval\("),
    "exec": re.compile(r"(?<![\w.])exec\("),
    "pickle": re.compile(r"\bpickle\b|\bmarshal\b|\bshelve\b"),
    "a shell": re.compile(r"shell\s*=\s*True|os\.system\(|os\.popen\("),
    "a TCP gdbstub": re.compile(r"-gdb[\"', ]+tcp:|gdb tcp:"),
}


def test_scan_covers_the_tools():
    names = {str(path.relative_to(TOOLS)) for path in PYTHON_SOURCES}
    assert "neuronlib/tracefmt/dump.py" in names and "neuronlib/qemu.py" in names
    assert len(names) > 20


def test_no_dangerous_construct_in_the_tools():
    found = []
    for path in PYTHON_SOURCES:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for what, pattern in FORBIDDEN.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {what}: {line.strip()}")
    assert not found, "\n".join(found)


def test_dump_readers_start_no_process():
    for name in DUMP_READERS:
        path = TOOLS / name
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"\bsubprocess\b|\bos\.exec|\bos\.spawn|\bPopen\b", text), name


def test_gdbstub_is_a_unix_socket(tmp_path):
    socket = tmp_path / "gdb.sock"
    command = qemu.command_line(qemu.Boot(REPO / "neuron.elf", 2, "", False, socket))
    gdb = command[command.index("-gdb") + 1]
    assert gdb.startswith(f"unix:{socket},") and "tcp" not in " ".join(command)
    plain = qemu.command_line(qemu.Boot(REPO / "neuron.elf", 2, "", False))
    assert "-gdb" not in plain and "-s" not in plain


def test_boot_arguments_are_bounded_before_parsing():
    header = (REPO / "kernel" / "boot" / "bootargs.h").read_text()
    assert re.search(r"#define BOOTARGS_MAX_LEN 1024\b", header)
    source = (REPO / "kernel" / "boot" / "bootargs.c").read_text()
    body = source[source.index("enum bootargs_status bootargs_parse("):]
    # The length check comes before the first loop over the input.
    assert body.index("len > BOOTARGS_MAX_LEN") < body.index("while (pos < len)")
