"""The 16-byte trace record (trace/include/neuron/trace_record.h)."""

from __future__ import annotations

import struct

from .. import contract

RECORD = struct.Struct("<IBBHQ")      # seq, type, b, h, tw
RECORD_SIZE = RECORD.size
assert RECORD_SIZE == 16
FORMAT_VERSION = 1
TIME_BITS = 40
TIME_MASK = (1 << TIME_BITS) - 1
W_MAX = (1 << 24) - 1

# Record types and the numbers records carry: the contract headers (contract.py).
TYPES = contract.TYPES
TYPE_BY_NAME = {name: number for number, name in TYPES.items()}
PERCPU_TYPES = contract.PERCPU_TYPES  # h is a var index, w (low 20 bits) a site index
# Types whose b is a hart (owner, target, victim, sender, home): the reader
# refuses one at or beyond the dump's max_harts. A violation's owner is
# left out: it is what the refused access named, out of range when that
# was the fault (bad_hart; 0xff for "no hart").
HART_B_TYPES = contract.HART_B_TYPES
SWITCH_TYPE = TYPE_BY_NAME["switch"]
# A steal's victim is drawn on its own track: it must be a hart of the dump.
VICTIM_TYPES = contract.VICTIM_TYPES
SWITCH_STATES = len(contract.TASK_STATES)  # b of a SWITCH is below this
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
VIOLATIONS = contract.VIOLATIONS      # TRACE_VIOLATION, w bits 20..23
TASK_STATES = contract.TASK_STATES
MARKS = contract.MARKS
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
    return w & 0xFFFFF if type_ == TYPE_BY_NAME["violation"] else w


def violation_of(w: int) -> str:
    """What a TRACE_VIOLATION record says was missing."""
    return VIOLATIONS.get(w >> 20, "other")
