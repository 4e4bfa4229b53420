"""Reading and writing trace dumps (docs/trace-format.md, "The dump").

    d = load("trace.dump", elf_path="neuron.elf")
    for ring in d.harts:
        for seq, type_, b, h, w, time in ring.records:   # streamed
            ...

`load` checks the header and every hart section's bounds at once;
records are checked as they are read (one pass over an mmap, no
per-record objects kept), so a corrupt record raises while iterating.
Every error is a DumpError whose str() is one line naming the file, the
byte offset and the hart. With salvage=True bad records are skipped and
counted in `HartRing.skipped` and `Dump.skipped` instead.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from . import elftables
from ..errors import DumpError
from .records import (FORMAT_VERSION, HART_B_TYPES, MAX_HARTS_LIMIT, PERCPU_TYPES, PRODUCED_LIMIT,
                      RECORD, RECORD_SIZE, SITE_NONE, SWITCH_STATES, SWITCH_TYPE, TIME_BITS,
                      TIME_MASK, TIME_WRAP_LIMIT, TYPES, VAR_NONE, VICTIM_TYPES, W_MAX, site_of)

MAGIC = b"NRNTRACE"
HEADER = struct.Struct("<8sHHHHIBBHQQII16x")   # 64 bytes
HART_MAGIC = 0x54524148                          # "HART"
HART_HEADER = struct.Struct("<IIQQQ")            # 32 bytes
MODES = {0: "overwrite", 1: "stop"}
SKIPPED_KEPT = 100                               # skipped records remembered per hart (salvage)
MODE_NUMBERS = {name: number for number, name in MODES.items()}
# Header flags. DRAINED: the records were drained while the kernel ran
# (trace_drain=1): a section holds every record of its hart, so it may be
# longer than the ring's capacity.
DRAINED = 1
assert HEADER.size == 64 and HART_HEADER.size == 32


@dataclass
class HartRing:
    hart: int
    produced: int
    dropped: int
    kept: int
    _dump: "Dump" = field(repr=False)
    _offset: int = field(repr=False)     # of the first record
    skipped: int = 0                     # bad records passed over (salvage)
    skipped_at: list = field(default_factory=list, repr=False)   # their DumpErrors, the first ones
    truncated: int = 0                   # announced records missing from the file (salvage)

    @property
    def records(self) -> Iterator[tuple[int, int, int, int, int, int]]:
        """(seq64, type, b, h, w, time64) in sequence order, streamed."""
        return self._dump._iter_records(self)


@dataclass
class Dump:
    path: Path
    version: int
    timebase_hz: int
    mode: str
    capacity: int
    max_harts: int
    identity: int
    harts: list[HartRing]
    tables: elftables.Tables | None
    salvage: bool
    _buffer: bytes | mmap.mmap = field(repr=False, default=b"")
    drained: bool = False        # header flag DRAINED: every record of the run
    _present: set = field(repr=False, default_factory=set)   # hart ids with a section

    @property
    def skipped(self) -> int:
        return sum(ring.skipped for ring in self.harts)

    def skipped_lines(self, most: int = 10) -> list[str]:
        """One line per record salvage skipped (`FILE: offset N (hart H): what`),
        the first `most` in file order, then how many more."""
        errors = sorted((e for ring in self.harts for e in ring.skipped_at), key=lambda e: e.offset)
        lines = [f"{error} (skipped)" for error in errors[:most]]
        if self.skipped > len(lines):
            lines.append(f"... and {self.skipped - len(lines)} more skipped record(s)")
        return lines

    def hart(self, number: int) -> HartRing | None:
        return next((ring for ring in self.harts if ring.hart == number), None)

    def validate(self) -> None:
        """Reads every record once (raises DumpError on the first bad one)."""
        for ring in self.harts:
            for _ in ring.records:
                pass

    def _fail(self, offset: int, hart: int | None, what: str) -> None:
        raise DumpError(self.path, offset, hart, what)

    def _bad_record(self, type_: int, b: int, h: int, w: int) -> str | None:
        if type_ not in TYPES:
            return f"record type {type_} is not a valid record"
        if type_ in HART_B_TYPES and b >= self.max_harts:
            return (f"{TYPES[type_]} names hart {b}, the dump's NEURON_MAX_HARTS is "
                    f"{self.max_harts}")
        if type_ in VICTIM_TYPES and b not in self._present:
            return f"{TYPES[type_]} names victim hart {b}, which has no section in the dump"
        if type_ == SWITCH_TYPE and b >= SWITCH_STATES:
            return f"switch with unknown previous state {b}"
        if self.tables is not None and type_ in PERCPU_TYPES:
            if h != VAR_NONE and self.tables.var(h) is None:
                return f"unknown var id {h} (the ELF has {len(self.tables.vars)} in percpu_vars)"
            site = site_of(type_, w)
            if site != SITE_NONE and self.tables.site(site) is None:
                return f"unknown site id {site} (the ELF has {len(self.tables.sites)} in percpu_callsites)"
        return None

    def _iter_records(self, ring: HartRing):
        self._present = {other.hart for other in self.harts}
        view = memoryview(self._buffer)[ring._offset:ring._offset + ring.kept * RECORD_SIZE]
        # The first record's full seq: nearest to where the kept ones start.
        expected = max(ring.produced - ring.dropped - ring.kept, 0) if self.mode == "stop" \
            else max(ring.produced - ring.kept, 0)
        prev_seq = None
        prev_time = None
        time_high = 0
        skipped = ring.truncated
        skipped_at = ring.skipped_at = []
        if ring.truncated:
            end = ring._offset + ring.kept * RECORD_SIZE
            skipped_at.append(DumpError(self.path, end, ring.hart, f"truncated: {ring.truncated} "
                                        "announced record(s) missing"))
        offset = ring._offset
        bad = self._bad_record
        for seq32, type_, b, h, tw in RECORD.iter_unpack(view):
            w = tw >> TIME_BITS
            problem = bad(type_, b, h, w)
            if problem is None:
                if prev_seq is None:
                    seq = (expected & ~0xFFFFFFFF) | seq32
                    if seq - expected > 1 << 31:
                        seq -= 1 << 32
                    elif expected - seq > 1 << 31:
                        seq += 1 << 32
                else:
                    step = (seq32 - prev_seq) & 0xFFFFFFFF
                    if step == 0 or step >= 1 << 31:
                        problem = f"seq goes backwards: {seq32} after {prev_seq & 0xFFFFFFFF}"
                    seq = prev_seq + step
                # A seq the hart never produced is corrupt; rejecting it
                # (rather than following it) lets salvage resynchronise
                # on the next record.
                if problem is None and not 0 <= seq < ring.produced:
                    problem = f"seq {seq} is outside the {ring.produced} records the hart produced"
            time40 = tw & TIME_MASK
            if problem is None and prev_time is not None:
                step = (time40 - prev_time) & TIME_MASK
                if step >= TIME_WRAP_LIMIT:
                    problem = (f"time goes backwards: {time40} after {prev_time} (40-bit ticks; "
                               f"a wrap is only forward by less than 2^{TIME_BITS - 1})")
            if problem is not None:
                if not self.salvage:
                    self._fail(offset, ring.hart, problem)
                if len(skipped_at) < SKIPPED_KEPT:
                    skipped_at.append(DumpError(self.path, offset, ring.hart, problem))
                skipped += 1
                offset += RECORD_SIZE
                continue
            if prev_time is not None and time40 < prev_time:
                time_high += 1 << TIME_BITS          # the 40-bit time wrapped (forward)
            prev_time = time40
            prev_seq = seq
            offset += RECORD_SIZE
            yield seq, type_, b, h, w, time_high | time40
        ring.skipped = skipped


def map_file(path: Path) -> bytes | mmap.mmap:
    """The file's bytes, read-only: an mmap, or b"" for an empty file (which
    mmap refuses). A file that cannot be opened is a one-line DumpError."""
    from ..tracefile import NOT_REGULAR, is_regular_or_directory
    if not is_regular_or_directory(path):
        raise DumpError(path, 0, None, NOT_REGULAR)
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise DumpError(path, 0, None, f"cannot open: {error.strerror}") from None
    with handle:
        if path.stat().st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def load(dump_path, elf_path=None, salvage: bool = False) -> Dump:
    path = Path(dump_path)
    buffer = map_file(path)
    size = len(buffer)
    if size < HEADER.size:
        raise DumpError(path, size, None, f"truncated: {size} bytes, the header alone is {HEADER.size}")
    (magic, version, header_size, record_size, hart_count, capacity, mode, _pad, _pad2,
     timebase, identity, max_harts, flags) = HEADER.unpack_from(buffer, 0)
    if magic != MAGIC:
        raise DumpError(path, 0, None, f"bad magic {magic!r}, expected {MAGIC!r} (not a trace dump)")
    if version != FORMAT_VERSION:
        raise DumpError(path, 8, None, f"format version {version}, this reader knows {FORMAT_VERSION}")
    if header_size != HEADER.size or record_size != RECORD_SIZE:
        raise DumpError(path, 10, None, f"header size {header_size} / record size {record_size}, "
                        f"expected {HEADER.size} / {RECORD_SIZE}")
    if timebase == 0:
        raise DumpError(path, 24, None, "timebase 0 Hz (the time CSR's frequency cannot be 0)")
    if mode not in MODES:
        raise DumpError(path, 20, None, f"mode {mode} is neither 0 (overwrite) nor 1 (stop)")
    tables = None
    if elf_path is not None:
        try:
            tables = elftables.load(elf_path)
        except elftables.TablesError as error:
            raise DumpError(path, 0, None, f"cannot decode ids: {error}") from None
        if tables.identity != identity:
            raise DumpError(path, 32, None, f"identity 0x{identity:016x} does not match "
                            f"{tables.path} (0x{tables.identity:016x}): dump of another kernel build")
        if tables.max_harts is not None and max_harts != tables.max_harts:
            raise DumpError(path, 40, None, f"dump says NEURON_MAX_HARTS {max_harts}, "
                            f"{tables.path} has {tables.max_harts}")
    if max_harts > MAX_HARTS_LIMIT:
        raise DumpError(path, 40, None, f"NEURON_MAX_HARTS {max_harts}: a record names harts in "
                        f"8 bits, so at most {MAX_HARTS_LIMIT}")
    if hart_count > max_harts:
        raise DumpError(path, 14, None, f"{hart_count} harts, more than NEURON_MAX_HARTS {max_harts}")

    if flags & ~DRAINED:
        raise DumpError(path, 44, None, f"unknown header flags 0x{flags:x}")
    drained = bool(flags & DRAINED)
    dump = Dump(path, version, timebase, MODES[mode], capacity, max_harts, identity, [], tables,
                salvage, buffer, drained)
    offset = HEADER.size
    seen = set()
    for _ in range(hart_count):
        if offset + HART_HEADER.size > size:
            raise DumpError(path, offset, None, f"truncated: hart section header needs "
                            f"{HART_HEADER.size} bytes, {size - offset} left")
        hmagic, hart, produced, dropped, kept = HART_HEADER.unpack_from(buffer, offset)
        if hmagic != HART_MAGIC:
            raise DumpError(path, offset, None, f"bad hart section magic 0x{hmagic:08x}")
        if hart >= max_harts or hart in seen:
            raise DumpError(path, offset + 4, hart, f"hart id {hart} is out of range "
                            f"(NEURON_MAX_HARTS {max_harts}) or repeated")
        seen.add(hart)
        if produced > PRODUCED_LIMIT:
            raise DumpError(path, offset + 8, hart, f"produced {produced} records, more than "
                            f"the 2^53 a dump may count")
        if (kept > capacity and not drained) or kept + dropped != produced:
            raise DumpError(path, offset + 8, hart, f"counts disagree: produced {produced}, "
                            f"dropped {dropped}, kept {kept}, capacity {capacity}")
        first = offset + HART_HEADER.size
        end = first + kept * RECORD_SIZE
        if end > size:
            whole = (size - first) // RECORD_SIZE
            if not salvage:
                raise DumpError(path, size, hart, f"truncated: {kept} records announced, "
                                f"{whole} present")
            ring = HartRing(hart, produced, dropped, whole, dump, first,
                            skipped=kept - whole, truncated=kept - whole)
            dump.harts.append(ring)
            break
        dump.harts.append(HartRing(hart, produced, dropped, kept, dump, first))
        offset = end
    else:
        if offset != size and not salvage:
            raise DumpError(path, offset, None, f"{size - offset} bytes after the last hart section")
    return dump


@dataclass
class HartData:
    """One hart's section for `write`: records as (seq, type, b, h, w, time) tuples."""
    hart: int
    produced: int
    dropped: int
    records: Iterable[tuple[int, int, int, int, int, int]]
    kept: int | None = None      # needed when records is a one-shot iterator


def write(path, harts: Sequence[HartData], *, timebase_hz: int = 10_000_000, mode: str = "overwrite",
          capacity: int = 4096, identity: int = 0, max_harts: int = 32,
          version: int = FORMAT_VERSION) -> None:
    """Writes a dump, streaming each hart's records (tests, generators, extractors).

    Through PATH.partial, renamed once whole: a failure leaves no dump."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        _write(partial, harts, timebase_hz, mode, capacity, identity, max_harts, version)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _write(path, harts, timebase_hz, mode, capacity, identity, max_harts, version) -> None:
    with open(path, "wb") as out:
        out.write(HEADER.pack(MAGIC, version, HEADER.size, RECORD_SIZE, len(harts), capacity,
                              MODE_NUMBERS[mode], 0, 0, timebase_hz, identity, max_harts, 0))
        pack = RECORD.pack
        for data in harts:
            records = data.records
            kept = data.kept
            if kept is None:
                records = list(records)
                kept = len(records)
            out.write(HART_HEADER.pack(HART_MAGIC, data.hart, data.produced, data.dropped, kept))
            chunk = []
            for seq, type_, b, h, w, time in records:
                chunk.append(pack(seq & 0xFFFFFFFF, type_, b, h,
                                  (time & TIME_MASK) | ((w & W_MAX) << TIME_BITS)))
                if len(chunk) >= 65536:
                    out.write(b"".join(chunk))
                    chunk.clear()
            out.write(b"".join(chunk))
