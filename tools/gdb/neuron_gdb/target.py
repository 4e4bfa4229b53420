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
    inferior = gdb.selected_inferior()
    if inferior.pid == 0 or not inferior.threads():
        raise Problem("not connected to a target (target remote SOCKET, or use tools/neuron gdb)")
    return inferior


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


@dataclass
class Hart:
    """One hart: its id, the gdb thread that is it, and its area base."""
    hart: int
    thread: gdb.InferiorThread
    tp: int
    area: int            # 0 when the hart has no area yet

    def register(self, name: str) -> int:
        with selected_thread(self.thread):
            return u64(gdb.selected_frame().read_register(name))

    def pc_and_function(self) -> tuple[int, str]:
        with selected_thread(self.thread):
            frame = gdb.newest_frame()
            pc = frame.pc()
            name = frame.name()
            if name is None:
                block_name = gdb.execute(f"info symbol {pc:#x}", to_string=True).strip()
                name = "??" if block_name.startswith("No symbol") else block_name.split()[0]
            return pc, name


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


def _hart_area_table() -> gdb.Value | None:
    symbol = gdb.lookup_global_symbol("hart_area")
    return symbol.value() if symbol is not None else None


def _self_hart(tp: int) -> int | None:
    """The hart number the wrapper's self block at `tp` records, or None."""
    offset = tls_offset("percpu__self")
    if offset is None or tp == 0:
        return None
    try:
        return int(value_at(tp + offset, lookup_type("struct percpu_hart_self"))["hart"])
    except (gdb.error, gdb.MemoryError, Problem):
        return None


def harts() -> list[Hart]:
    """Every hart QEMU shows as a gdb thread, ascending hart id.

    A thread's hart id is the one its own area records (percpu__self.hart)
    when its tp points at an area; before that, QEMU's CPU index (thread
    N is CPU N-1, which on virt is the hart id). The area base is the
    kernel's hart_area[hart]; tp must agree with it once set.
    """
    inferior = require_connected()
    table = _hart_area_table()
    result = []
    for thread in inferior.threads():
        with selected_thread(thread):
            tp = u64(gdb.selected_frame().read_register("tp"))
        cpu_index = thread.num - 1
        hart = _self_hart(tp)
        if hart is None:
            hart = cpu_index
        area = 0
        if table is not None and 0 <= hart < table.type.range()[1] + 1:
            area = u64(table[hart])
        elif tp:
            area = tp
        result.append(Hart(hart, thread, tp, area))
    result.sort(key=lambda h: h.hart)
    return result


def hart_by_number(number: int, label: str) -> Hart:
    every = harts()
    for hart in every:
        if hart.hart == number:
            if hart.area == 0:
                raise Problem(f"{label}: hart {number} has no per-hart area yet "
                              "(stopped before percpu_areas_init?)")
            return hart
    known = ", ".join(str(h.hart) for h in every)
    raise Problem(f"{label}: hart {number} out of range (harts present: {known})")


def parse_hart(text: str, label: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise Problem(f"{label}: '{text}' is not a hart number")
    if value < 0:
        raise Problem(f"{label}: hart {value} out of range")
    return value


def harts_selected(argument: str | None, label: str) -> list[Hart]:
    """One hart if `argument` names one, else every hart with an area."""
    if argument:
        return [hart_by_number(parse_hart(argument, label), label)]
    return [h for h in harts() if h.area]


def harts_of_command(argument: str, command: str) -> list[Hart]:
    """The harts a `COMMAND [HART]` command shows, once connected."""
    words = gdb.string_to_argv(argument)
    if len(words) > 1:
        raise Problem(f"usage: {command} [HART]")
    require_connected()
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
