"""What the kernel was booted with and what it is: `neuron bootargs`,
`neuron version`, and `neuron dmesg` (the console output it has produced).

The console keeps everything it printed in `console_log` (a ring of bytes,
kernel/lib/console.c) with `console_log_written` counting every byte ever
written; the boot arguments are the DTB's /chosen bootargs as `fdt` in
kernel/boot/main.c read them, and `args` as bootargs.c parsed them.
"""

from __future__ import annotations

import gdb

from . import target
from .command import neuron_command
from .target import Problem


def _main_static(name: str) -> gdb.Value:
    for symbol in gdb.lookup_static_symbols(name):
        if symbol.symtab and symbol.symtab.filename.endswith("main.c"):
            return symbol.value()
    raise Problem(f"this build has no '{name}' in kernel/boot/main.c")


def _string(pointer: gdb.Value, length: int) -> str:
    data = bytes(gdb.selected_inferior().read_memory(target.u64(pointer), length))
    return data.decode("ascii", "replace")


@neuron_command("bootargs", gdb.COMMAND_STATUS)
def bootargs_command(argument: str) -> None:
    """Show the kernel command line (/chosen bootargs) and how it was parsed."""
    target.require_connected()
    fdt = _main_static("fdt")
    if not target.boot_reached("AREAS") or target.u64(fdt["timebase_hz"]) == 0:
        raise Problem(f"the DTB has not been read yet (boot stage {target.boot_stage()})")
    if target.u64(fdt["bootargs"]) == 0:
        gdb.write("bootargs: none (/chosen has no bootargs)\n")
    else:
        gdb.write(f"bootargs: \"{_string(fdt['bootargs'], int(fdt['bootargs_len']))}\"\n")
    gdb.write("parsed: " + " ".join(f"{name}={text}" for name, text in parsed_arguments()) + "\n")


# Fields of struct bootargs that index one of the parser's name lists
# (struct bootargs_vocabulary: `scenarios` with `scenario_count`, ...).
VOCABULARY_OF = {"scenario": "scenario", "selftest_fail": "selftest", "selftest_hang": "selftest",
                 "fault": "fault", "violation": "violation"}
BOOTARGS_NONE = (1 << 64) - 1   # (size_t)-1: no name given


def parsed_arguments() -> list[tuple[str, str]]:
    """Every field of the parsed `struct bootargs` (DWARF order), an index
    into a name list shown as the name: the whole parse, not a chosen few."""
    args = _main_static("args")
    try:
        vocabulary = _main_static("vocabulary")
    except Problem:
        vocabulary = None
    out = []
    for field in args.type.strip_typedefs().fields():
        value = target.u64(args[field.name])
        text = str(value)
        kind = VOCABULARY_OF.get(field.name)
        if kind and vocabulary is not None and target.has_field(vocabulary.type, f"{kind}_count"):
            count = int(vocabulary[f"{kind}_count"])
            if value == BOOTARGS_NONE:
                text = "none"
            elif value < count:
                text = vocabulary[f"{kind}s"][value].string()
            else:
                text = f"{value}(IMPOSSIBLE: only {count} {kind}s)"
        out.append((field.name, text))
    return out


def scenario_name() -> str:
    """The scenario the kernel was booted to run, by scenario_names[]."""
    scenario = int(_main_static("args")["scenario"])
    count = int(target.lookup_global("scenario_count"))
    if scenario >= count:
        return f"#{scenario}"
    return target.lookup_global("scenario_names")[scenario].string()


def flavour() -> str:
    """`audit` when per-CPU slots carry owner stamps, else `release`."""
    try:
        slot = target.lookup_type(target.SLOT_PREFIX + "hart_local")
    except Problem:
        return "unknown"
    return "audit" if target.has_field(slot, "stamp") else "release"


@neuron_command("version", gdb.COMMAND_STATUS)
def version_command(argument: str) -> None:
    """Show what this kernel is: build flavour, NEURON_MAX_HARTS, ELF, and
the identity its trace carries (audit builds, once the trace started)."""
    inferior = gdb.selected_inferior()
    attached = bool(inferior.pid and inferior.threads())
    if attached:
        target.require_connected()   # a differing image: its one line, nothing else
    table = target.lookup_global("hart_area")
    max_harts = table.type.range()[1] + 1
    line = (f"neuron {flavour()} build, NEURON_MAX_HARTS {max_harts}, "
            f"ELF {gdb.current_progspace().filename}")
    if target.has_symbol("trace_info"):
        identity = target.u64(target.lookup_global("trace_info")["identity"])
        line += f", trace identity {identity:#018x}" if identity else ", trace identity not set yet"
    gdb.write(line + "\n")
    gdb.write("the running kernel's .text and .rodata equal this ELF's\n" if attached
              else "not attached: the running kernel is not compared with this ELF\n")


@neuron_command("dmesg", gdb.COMMAND_STATUS)
def dmesg_command(argument: str) -> None:
    """Show the console output the kernel has produced (its last 16 KiB)."""
    target.require_connected()
    log = target.lookup_global("console_log")
    written = target.u64(target.lookup_global("console_log_written"))
    size = log.type.sizeof
    if written == 0:
        gdb.write("(the kernel has printed nothing yet)\n")
        return
    data = bytes(gdb.selected_inferior().read_memory(int(log.address), size))
    if written <= size:
        text = data[:written]
    else:
        start = written % size
        text = data[start:] + data[:start]
        gdb.write(f"(the first {written - size} bytes were overwritten)\n")
    gdb.write(text.decode("utf-8", "replace").replace("\r\n", "\n"))
    if not text.endswith(b"\n"):
        gdb.write("\n")


def register() -> None:
    bootargs_command()
    version_command()
    dmesg_command()
