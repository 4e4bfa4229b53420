"""The halted machine as gdb sees it: harts, their areas, typed reads.

Every location comes from symbols and DWARF: a per-CPU variable's offset
within an area is the TLS offset gdb reports for `percpu_storage__<name>`,
a hart's area base is its `tp` (cross-checked with the kernel's
`hart_area[]` table), and layouts come from `gdb.lookup_type`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import gdb

STORAGE_PREFIX = "percpu_storage__"
SLOT_PREFIX = "struct percpu_slot__"
SSTATUS_SIE = 1 << 1
U64 = (1 << 64) - 1


class Problem(gdb.GdbError):
    """A user-facing failure: gdb prints the message alone."""


def command_errors(label: str):
    """Wrap a command or function body so every failure is one line.

    gdb.GdbError passes through (already one line); a memory or gdb error
    becomes `label: what`; anything else is reported as an internal error,
    still on one line, never as a Python traceback.
    """
    def wrap(body):
        @functools.wraps(body)
        def run(*args, **kwargs):
            try:
                return body(*args, **kwargs)
            except gdb.GdbError as error:
                message = str(error)
                raise gdb.GdbError(message if message.startswith(label) else f"{label}: {message}")
            except gdb.MemoryError as error:
                raise gdb.GdbError(f"{label}: cannot read target memory ({error})")
            except gdb.error as error:
                raise gdb.GdbError(f"{label}: {error}")
            except Exception as error:  # a bug here: still one line
                raise gdb.GdbError(f"{label}: internal error: {type(error).__name__}: {error}")
        return run
    return wrap


def require_connected() -> gdb.Inferior:
    """The connected inferior, once its image is known to be the loaded ELF."""
    inferior = gdb.selected_inferior()
    if inferior.pid == 0 or not inferior.threads():
        raise Problem("not connected to a target (target remote SOCKET, or use tools/neuron gdb)")
    verify_image(inferior)
    return inferior


# Sections the kernel never writes: equal bytes in the ELF and in memory
# mean this ELF is the image QEMU booted.
IMAGE_SECTIONS = (".text", ".rodata")
_image_verdicts: dict[tuple, str | None] = {}


def _image_mismatch(inferior: gdb.Inferior) -> str | None:
    """None if the loaded ELF's read-only sections equal target memory,
    else one line saying where they differ."""
    path = gdb.current_progspace().filename
    if not path:
        return "no ELF loaded (file PATH/neuron.elf)"
    try:
        from elftools.elf.elffile import ELFFile
    except ImportError:
        return None  # cannot check without pyelftools; say nothing rather than guess
    try:
        with open(path, "rb") as stream:
            elf = ELFFile(stream)
            for name in IMAGE_SECTIONS:
                section = elf.get_section_by_name(name)
                if section is None or section["sh_type"] == "SHT_NOBITS":
                    continue
                want = section.data()
                address = section["sh_addr"]
                try:
                    have = bytes(inferior.read_memory(address, len(want)))
                except gdb.MemoryError:
                    return f"cannot read the running kernel's {name} at {address:#x}"
                if have != want:
                    at = next(i for i in range(len(want)) if have[i] != want[i])
                    return (f"the running kernel is not {path}: its {name} differs at "
                            f"{address + at:#x}; load the ELF it was booted from (file PATH) "
                            "and every neuron command works again")
    except OSError as error:
        return f"cannot read {path}: {error.strerror}"
    return None


def _image_key(inferior: gdb.Inferior) -> tuple:
    return (gdb.current_progspace().filename, inferior.num, inferior.pid,
            getattr(inferior, "connection_num", None))


def verify_image(inferior: gdb.Inferior) -> None:
    key = _image_key(inferior)
    if key not in _image_verdicts:
        _image_verdicts[key] = _image_mismatch(inferior)
    if _image_verdicts[key]:
        raise Problem(_image_verdicts[key])


_announced: set[tuple] = set()


def announce_image(event=None) -> None:
    """On attach (the first stop) and on `file` while attached: say in one
    line that the loaded ELF is not the running kernel, before any command
    is tried. Once per ELF and connection; silent when they match."""
    try:
        inferior = gdb.selected_inferior()
        if inferior.pid == 0 or not inferior.threads():
            return
        key = _image_key(inferior)
        if key in _announced:
            return
        _announced.add(key)
        verify_image(inferior)
    except Problem as problem:
        gdb.write(f"neuron: {problem}\n", gdb.STDERR)
    except Exception:  # an event handler must not break gdb's own stop
        pass


def lookup_type(name: str) -> gdb.Type:
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        raise Problem(f"this build has no type '{name}' (kernel ELF without debug info, "
                      "or a kernel without that part)")


def lookup_global(name: str) -> gdb.Value:
    symbol = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if symbol is None:
        raise Problem(f"this build has no symbol '{name}'")
    return symbol.value()


def has_symbol(name: str) -> bool:
    return (gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)) is not None


def has_field(struct: gdb.Type, name: str) -> bool:
    return any(field.name == name for field in struct.strip_typedefs().fields())


def value_at(address: int, type_: gdb.Type) -> gdb.Value:
    return gdb.Value(address).cast(type_.pointer()).dereference()


def u64(value: gdb.Value) -> int:
    return int(value) & U64


_TLS_OFFSET = re.compile(r"thread-local variable at offset (0x[0-9a-fA-F]+|\d+)")


@functools.lru_cache(maxsize=None)
def _tls_offset_cached(objfile_key: str, symbol: str) -> int | None:
    del objfile_key  # only part of the cache key: a new ELF means new offsets
    try:
        text = gdb.execute(f"info address {symbol}", to_string=True)
    except gdb.error:
        return None
    match = _TLS_OFFSET.search(text)
    return int(match.group(1), 0) if match else None


def _objfile_key() -> str:
    progspace = gdb.current_progspace()
    return progspace.filename or ""


def tls_offset(symbol: str) -> int | None:
    """Offset of thread-local `symbol` within every per-hart area (DWARF), or None."""
    return _tls_offset_cached(_objfile_key(), symbol)


def clear_caches(event=None) -> None:
    _tls_offset_cached.cache_clear()
    _image_verdicts.clear()
    _announced.clear()


def on_new_objfile(event=None) -> None:
    clear_caches()
    announce_image()


PRIV_MACHINE = 3
PRIV_SUPERVISOR = 1


@dataclass
class Hart:
    """One hart: its id (QEMU's CPU index), the gdb thread that is it, its
    privilege mode, what it is doing, and its area base (0: no areas yet)."""
    hart: int
    thread: gdb.InferiorThread
    tp: int
    area: int
    priv: int
    state: str           # see hart_state()

    @property
    def in_kernel(self) -> bool:
        """Running kernel code in S-mode (not in firmware, not starting)."""
        return self.state in ("running", "stopped")

    def register(self, name: str) -> int:
        with selected_thread(self.thread):
            return u64(gdb.selected_frame().read_register(name))

    def pc_and_function(self) -> tuple[int, str]:
        with selected_thread(self.thread):
            frame = gdb.newest_frame()
            pc = frame.pc()
            name = frame.name()
            if name is None:
                name = symbol_at(pc) if pc else "??"
                if name.startswith("0x"):
                    name = "(firmware)" if self.priv == PRIV_MACHINE else "??"
            return pc, name

    def describe_state(self) -> str:
        """One phrase: `in firmware (M-mode)`, `not started`, ..."""
        return STATE_TEXT.get(self.state, self.state)

    def state_note(self) -> str:
        """`  [hart in firmware (...)]` for a hart not running kernel code,
        for a per-hart view's header line; empty otherwise."""
        return "" if self.in_kernel else f"  [hart {self.describe_state()}]"


STATE_TEXT = {
    "running": "running kernel code",
    "stopped": "stopped (left the scheduler on IPI_STOP)",
    "in firmware": "in firmware (M-mode, an SBI call or trap)",
    "not started": "not started (waiting in firmware)",
    "starting": "starting (kernel entry, not online yet)",
}


class selected_thread:
    """Context manager: select a gdb thread, restore the previous one after."""

    def __init__(self, thread: gdb.InferiorThread):
        self.thread = thread
        self.previous = None

    def __enter__(self):
        self.previous = gdb.selected_thread()
        self.thread.switch()
        return self.thread

    def __exit__(self, *exc):
        if self.previous is not None and self.previous.is_valid():
            self.previous.switch()
        return False


def cpu_index(thread: gdb.InferiorThread) -> int:
    """QEMU's CPU index of a gdb thread: its gdbstub thread id minus one
    (QEMU numbers CPU n as thread n+1), which on virt is the hart id.
    Never taken from tp: in firmware tp points into OpenSBI's scratch."""
    _pid, lwp, _tid = thread.ptid
    return (lwp or thread.num) - 1


def _hart_area_table() -> gdb.Value | None:
    symbol = gdb.lookup_global_symbol("hart_area")
    return symbol.value() if symbol is not None else None


def boot_stage() -> str | None:
    """The kernel's boot_stage (`AREAS`, `SCHED`, ...), None in an ELF without it."""
    symbol = gdb.lookup_global_symbol("boot_stage")
    if symbol is None:
        return None
    text = str(symbol.value())
    return text[len("BOOT_STAGE_"):] if text.startswith("BOOT_STAGE_") else text


def boot_stages() -> list[str]:
    """The stages of `enum boot_stage` (DWARF), in the order boot reaches them."""
    try:
        fields = gdb.lookup_type("enum boot_stage").fields()
    except gdb.error:
        return []
    ordered = sorted(fields, key=lambda field: field.enumval)
    return [f.name[len("BOOT_STAGE_"):] if f.name.startswith("BOOT_STAGE_") else f.name
            for f in ordered]


def boot_reached(stage: str) -> bool:
    """True once boot got to `stage`; True for an ELF that does not say."""
    now = boot_stage()
    stages = boot_stages()
    if now is None or now not in stages or stage not in stages:
        return True
    return stages.index(now) >= stages.index(stage)


def _online(hart: int) -> bool | None:
    """smp.c's records[hart].online_count > 0; None if the ELF has no table."""
    for symbol in gdb.lookup_static_symbols("records"):
        if symbol.symtab and symbol.symtab.filename.endswith("smp.c"):
            table = symbol.value()
            if 0 <= hart <= table.type.range()[1]:
                return int(table[hart]["online_count"]) > 0
    return None


def _stopped(hart: int, area: int) -> bool:
    offset = tls_offset(STORAGE_PREFIX + "ipi_stats")
    if offset is None or not area:
        return False
    try:
        slot = value_at(area + offset, lookup_type(SLOT_PREFIX + "ipi_stats"))
        return int(slot["value"]["stopped"]) != 0
    except (gdb.error, gdb.MemoryError, Problem):
        return False


def hart_state(priv: int, online: bool | None, stopped: bool) -> str:
    if priv == PRIV_MACHINE:
        return "in firmware" if online else "not started"
    if online is False:
        return "starting"
    return "stopped" if stopped else "running"


def harts() -> list[Hart]:
    """Every hart QEMU shows as a gdb thread, ascending hart id (= CPU index).

    The area base is the kernel's hart_area[hart] once the areas exist;
    tp is read for the checks that compare it, never to name the hart.
    """
    inferior = require_connected()
    table = _hart_area_table()
    result = []
    for thread in inferior.threads():
        with selected_thread(thread):
            frame = gdb.selected_frame()
            tp = u64(frame.read_register("tp"))
            try:
                priv = int(frame.read_register("priv"))
            except (gdb.error, ValueError):
                priv = PRIV_SUPERVISOR
        hart = cpu_index(thread)
        area = 0
        if table is not None and 0 <= hart <= table.type.range()[1]:
            area = u64(table[hart])
        online = _online(hart)
        result.append(Hart(hart, thread, tp, area, priv,
                           hart_state(priv, online, _stopped(hart, area))))
    result.sort(key=lambda h: h.hart)
    return result


def no_areas_message(label: str) -> str:
    if _hart_area_table() is None:
        return (f"{label}: this build has no symbol 'hart_area' (kernel ELF without debug "
                "info, or not a neuron kernel)")
    stage = boot_stage()
    where = f" (boot stage {stage})" if stage else ""
    return (f"{label}: the per-hart areas do not exist yet{where}: "
            "stopped before percpu_areas_init; try again after it")


def hart_by_number(number: int, label: str) -> Hart:
    every = harts()
    for hart in every:
        if hart.hart == number:
            if hart.area == 0:
                raise Problem(no_areas_message(label))
            return hart
    known = ", ".join(str(h.hart) for h in every)
    raise Problem(f"{label}: hart {number} out of range (harts present: {known})")


def require_stage(stage: str, what: str, label: str) -> None:
    """One line instead of reading `what` before boot has set it up."""
    if not boot_reached(stage):
        raise Problem(f"{label}: {what} not set up yet (boot stage {boot_stage()}; "
                      f"they are from stage {stage} on)")


def current_hart(label: str) -> Hart:
    """The hart of gdb's selected thread."""
    require_connected()
    return hart_by_number(cpu_index(gdb.selected_thread()), label)


def parse_hart(text: str, label: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise Problem(f"{label}: '{text}' is not a hart number")
    if value < 0:
        raise Problem(f"{label}: hart {value} out of range")
    return value


def harts_selected(argument: str | None, label: str) -> list[Hart]:
    """One hart if `argument` names one, else every hart; a one-line
    error when the areas do not exist yet (never an empty listing)."""
    if argument:
        return [hart_by_number(parse_hart(argument, label), label)]
    every = [h for h in harts() if h.area]
    if not every:
        raise Problem(no_areas_message(label))
    return every


def harts_of_command(argument: str, command: str, what: str) -> list[Hart]:
    """The harts a `COMMAND [HART]` command shows, once connected and once
    boot has set up `what` (stage SCHED)."""
    words = gdb.string_to_argv(argument)
    if len(words) > 1:
        raise Problem(f"usage: {command} [HART]")
    require_connected()
    require_stage("SCHED", what, command)
    return harts_selected(words[0] if words else None, command)


def symbol_at(address: int) -> str:
    """`name` or `name+off` for a code or data address, or a hex number."""
    if address == 0:
        return "NULL"
    block = gdb.current_progspace().block_for_pc(address)
    if block is not None and block.function is not None:
        return block.function.name
    try:
        text = gdb.execute(f"info symbol {address:#x}", to_string=True).strip()
    except gdb.error:
        return f"{address:#x}"
    if text.startswith("No symbol"):
        return f"{address:#x}"
    name, _, rest = text.partition(" in section")
    return name.replace(" + ", "+")
