"""The 16-byte trace record (trace/include/neuron/trace_record.h)."""

from __future__ import annotations

import struct

RECORD = struct.Struct("<IBBHQ")      # seq, type, b, h, tw
RECORD_SIZE = RECORD.size
assert RECORD_SIZE == 16
FORMAT_VERSION = 1
TIME_BITS = 40
TIME_MASK = (1 << TIME_BITS) - 1
W_MAX = (1 << 24) - 1

# enum trace_type
TYPES = {
    1: "remote", 2: "violation", 3: "unchecked",
    16: "switch", 17: "wakeup", 18: "steal_begin", 19: "steal_end",
    20: "ipi_send", 21: "ipi_recv", 22: "ipi_handled",
    23: "idle_enter", 24: "idle_exit", 25: "runq_len", 26: "task_new", 27: "mark",
}
TYPE_BY_NAME = {name: number for number, name in TYPES.items()}
PERCPU_TYPES = (1, 2, 3)            # h is a var index, w (low 20 bits) a site index
# Types whose b is a hart (owner, target, victim, sender, home): the reader
# refuses one at or beyond the dump's max_harts. A violation's owner is
# left out: it is what the refused access named, out of range when that
# was the fault (bad_hart; 0xff for "no hart").
HART_B_TYPES = (1, 3, 17, 18, 19, 20, 21, 22, 26)
SWITCH_TYPE = 16
# A steal's victim is drawn on its own track: it must be a hart of the dump.
VICTIM_TYPES = (18, 19)
SWITCH_STATES = 4                   # enum trace_task_state: b of a SWITCH is below this
# The record's hart fields are 8 bits: no dump can name more harts.
MAX_HARTS_LIMIT = 256
# A hart's record count, far beyond any run, that keeps 64-bit flow ids
# (seq << 9) and JSON numbers exact.
PRODUCED_LIMIT = 1 << 53
# Time is 40 bits of ticks per record. Between two consecutive records of
# one hart it may only go forward, by less than half the 40-bit range
# (2^39 ticks: 15 hours at 10 MHz); a smaller 40-bit value is a wrap only
# within that bound, anything else is time going backwards.
TIME_WRAP_LIMIT = 1 << (TIME_BITS - 1)
VIOLATIONS = {
    0: "missing_guard", 1: "stale_guard", 2: "wrong_owner", 3: "bad_stamp", 4: "bad_base",
    5: "no_lock", 6: "wrong_lock", 7: "lock_other_hart", 8: "init_phase_over",
    9: "bad_hart", 10: "irqs_on", 11: "self_deadlock",
    12: "unchecked_use", 13: "domain_rule", 14: "lock_order", 15: "other",
}
TASK_STATES = {0: "runnable", 1: "blocked", 2: "done", 3: "idle"}
MARKS = {1: "scenario_begin", 2: "scenario_end"}
VAR_NONE = 0xFFFF
SITE_NONE = 0xFFFFF


def encode(seq: int, type_: int, b: int, h: int, w: int, time: int) -> bytes:
    """One record as stored: seq and time keep their low 32 / 40 bits."""
    return RECORD.pack(seq & 0xFFFFFFFF, type_, b, h, (time & TIME_MASK) | ((w & W_MAX) << TIME_BITS))


def decode(data: bytes) -> tuple[int, int, int, int, int, int]:
    """(seq32, type, b, h, w, time40) of one stored record."""
    seq, type_, b, h, tw = RECORD.unpack(data)
    return seq, type_, b, h, tw >> TIME_BITS, tw & TIME_MASK


def site_of(type_: int, w: int) -> int:
    """The callsite index a PerCpu record carries (violation: low 20 bits)."""
    return w & 0xFFFFF if type_ == 2 else w


def violation_of(w: int) -> str:
    """What a TRACE_VIOLATION record says was missing."""
    return VIOLATIONS.get(w >> 20, "other")
