"""Unwinding through `trap_entry` (kernel/arch/riscv/entry.S).

trap_entry is assembly without call-frame information, so gdb's own
unwinder stops there, and every stack that took an interrupt ends at the
handler: `neuron check` could then not see which function a hart was
interrupted in. This unwinder gives gdb the interrupted context:

  pc at trap_entry, or at trap_entry_sret (nothing saved, or everything
      restored): the interrupted registers are the live ones, its pc is
      sepc, its sp the live sp;
  pc between them, before trap_entry_saved: the frame is being written;
      the live registers still hold the interrupted values (only sp moved,
      by TRAP_FRAME_SIZE; t0 may be clobbered), its pc is sepc;
  pc from trap_entry_saved to trap_entry_sret: every register is in the
      struct trap_frame at sp (the layout comes from DWARF).
"""

from __future__ import annotations

import gdb
from gdb.unwinder import Unwinder, register_unwinder

# Registers gdb needs to go on unwinding the interrupted function.
RESTORED = ["ra", "sp", "gp", "tp", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
            "s9", "s10", "s11", "a0", "a1"]
X_NUMBER = {"ra": 1, "sp": 2, "gp": 3, "tp": 4, "s0": 8, "s1": 9, "a0": 10, "a1": 11,
            **{f"s{n}": 16 + n for n in range(2, 12)}}


class FrameId:
    def __init__(self, sp: gdb.Value, pc: gdb.Value):
        self.sp = sp
        self.pc = pc


def _address(name: str) -> int | None:
    try:
        return int(gdb.parse_and_eval(f"(unsigned long)&{name}"))
    except gdb.error:
        return None


class TrapEntryUnwinder(Unwinder):
    def __init__(self):
        super().__init__("neuron trap_entry")
        self.labels_for: str | None = None
        self.labels: tuple[int, int, int, int] | None = None

    def _labels(self):
        path = gdb.current_progspace().filename
        if self.labels_for != path:
            found = [_address(n) for n in ("trap_entry", "trap_entry_saved", "trap_entry_sret",
                                           "trap_entry_end")]
            self.labels = None if None in found else tuple(found)
            self.labels_for = path
        return self.labels

    def __call__(self, pending_frame):
        # A trap frame that cannot be read (a corrupted sp, a hart caught
        # mid-write) leaves the frame to gdb's own unwinders: an exception
        # here would print a Python traceback into every backtrace.
        try:
            return self._unwind(pending_frame)
        except (gdb.error, gdb.MemoryError):
            return None

    def _unwind(self, pending_frame):
        labels = self._labels()
        if labels is None:
            return None
        start, saved, sret, end = labels
        pc = int(pending_frame.read_register("pc"))
        if not start <= pc < end:
            return None
        sp = pending_frame.read_register("sp")
        sp_type = sp.type
        reg_type = pending_frame.read_register("ra").type
        pc_type = pending_frame.read_register("pc").type
        frame_size = gdb.lookup_type("struct trap_frame").sizeof
        if saved <= pc < sret:
            frame = gdb.Value(int(sp)).cast(gdb.lookup_type("struct trap_frame").pointer()).dereference()
            caller_sp = int(frame["x"][2])
            info = pending_frame.create_unwind_info(FrameId(gdb.Value(caller_sp).cast(sp_type),
                                                            gdb.Value(start).cast(pc_type)))
            for name in RESTORED:
                value = caller_sp if name == "sp" else int(frame["x"][X_NUMBER[name]])
                info.add_saved_register(name, gdb.Value(value).cast(sp_type if name == "sp" else reg_type))
            info.add_saved_register("pc", gdb.Value(int(frame["sepc"])).cast(pc_type))
            return info
        caller_sp = int(sp) + (frame_size if start < pc < sret else 0)
        info = pending_frame.create_unwind_info(FrameId(gdb.Value(caller_sp).cast(sp_type),
                                                        gdb.Value(start).cast(pc_type)))
        for name in RESTORED:
            value = gdb.Value(caller_sp).cast(sp_type) if name == "sp" else pending_frame.read_register(name)
            info.add_saved_register(name, value)
        info.add_saved_register("pc", gdb.Value(int(pending_frame.read_register("sepc"))).cast(pc_type))
        return info


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        register_unwinder(None, TrapEntryUnwinder(), replace=True)
        _registered = True
