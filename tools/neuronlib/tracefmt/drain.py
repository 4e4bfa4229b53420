"""The host side of `trace_drain=1` (docs/trace-format.md, "Drain").

With the drain on, the kernel writes its records through semihosting while
it runs; QEMU puts them on its standard output, and the console goes to a
file (`-serial file:`). The stream is a sequence of chunks, each a 48-byte
header (kernel/trace/trace_drain.h) and `count` 16-byte records:

    BEGIN      timebase, identity, version, max_harts, mode, capacity
    RECORDS    count records of one hart, the first with sequence number a
    HART_END   one per hart: produced, drained, lost
    END        records drained in all

`to_dump` turns a stream into a trace dump (flag DRAINED: a hart section
holds every record of the run, so it may be longer than the ring) in two
passes over an mmap: the first checks every chunk and notes where each
hart's records are, the second copies them, hart by hart, as they are
(a drained record's bytes are the dump's). Memory stays flat whatever the
length; every error is a DumpError naming the file, the offset and the hart.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..scratch import removed_if_killed
from .dump import (DRAINED, HART_HEADER, HART_MAGIC, HEADER, MAGIC, MODES, DumpError, map_file)
from .records import FORMAT_VERSION, MAX_HARTS_LIMIT, PRODUCED_LIMIT, RECORD_SIZE

CHUNK = struct.Struct("<IHHIIQQQQ")
CHUNK_MAGIC = 0x434E5244          # "DRNC"
BEGIN, RECORDS, HART_END, END = 1, 2, 3, 4
NO_HART = 0xFFFF
COPY_BYTES = 1 << 20
assert CHUNK.size == 48


@dataclass
class HartStream:
    hart: int
    pieces: list[tuple[int, int]] = field(default_factory=list)   # (offset, records)
    next_seq: int = 0
    produced: int | None = None
    drained: int | None = None
    lost: int | None = None

    def ended(self) -> tuple[int, int]:
        """(produced, drained) from the HART_END chunk, which _scan requires."""
        assert self.produced is not None and self.drained is not None
        return self.produced, self.drained


@dataclass
class Summary:
    harts: int
    records: int
    chunks: int


def _scan(path: Path, data) -> tuple[dict, dict[int, HartStream], int]:
    size = len(data)
    offset, chunks = 0, 0
    begin: dict | None = None
    harts: dict[int, HartStream] = {}
    total = None
    while offset < size:
        if total is not None:
            raise DumpError(path, offset, None, f"{size - offset} bytes after the END chunk")
        if offset + CHUNK.size > size:
            raise DumpError(path, offset, None, f"truncated: a chunk header needs {CHUNK.size} "
                            f"bytes, {size - offset} left (the kernel was stopped mid-write?)")
        magic, kind, hart, count, _reserved, a, b, c, d = CHUNK.unpack_from(data, offset)
        if magic != CHUNK_MAGIC:
            raise DumpError(path, offset, None, f"bad chunk magic 0x{magic:08x} (not a drain "
                            "stream, or output that is not the kernel's on QEMU's stdout)")
        payload = offset + CHUNK.size
        if payload + count * RECORD_SIZE > size:
            raise DumpError(path, offset, hart, f"truncated: chunk announces {count} records, "
                            f"{(size - payload) // RECORD_SIZE} present")
        if kind != RECORDS and count:
            raise DumpError(path, offset, None, f"chunk kind {kind} carries {count} records")
        if (begin is None) != (kind == BEGIN):
            raise DumpError(path, offset, None, "the stream must start with exactly one BEGIN chunk")
        if kind == BEGIN:
            begin = {"timebase_hz": a, "identity": b, "version": c & 0xFFFF,
                     "max_harts": (c >> 16) & 0xFFFF, "mode": (c >> 32) & 0xFF, "capacity": d}
            if begin["version"] != FORMAT_VERSION:
                raise DumpError(path, offset + 32, None, f"format version {begin['version']}, "
                                f"this reader knows {FORMAT_VERSION}")
            if begin["mode"] not in MODES or c >> 40:
                raise DumpError(path, offset + 32, None, f"mode {begin['mode']} is not a ring mode")
            if not 1 <= begin["max_harts"] <= MAX_HARTS_LIMIT or not 0 < d < 1 << 32 \
                    or d & (d - 1) or not a:
                raise DumpError(path, offset + 16, None, f"BEGIN: max_harts {begin['max_harts']}, "
                                f"capacity {d}, timebase {a}: not a kernel's")
        elif kind in (RECORDS, HART_END):
            assert begin is not None        # the BEGIN check above
            if hart >= begin["max_harts"]:
                raise DumpError(path, offset + 6, hart, f"hart {hart} is beyond NEURON_MAX_HARTS "
                                f"{begin['max_harts']}")
            stream = harts.setdefault(hart, HartStream(hart))
            if stream.produced is not None:
                raise DumpError(path, offset, hart, "a chunk after this hart's HART_END")
            if kind == RECORDS:
                if a != stream.next_seq:
                    raise DumpError(path, offset, hart, f"records start at seq {a}, expected "
                                    f"{stream.next_seq}: a chunk is missing or repeated")
                stream.pieces.append((payload, count))
                stream.next_seq += count
            else:
                stream.produced, stream.drained, stream.lost = a, b, c
                if b != stream.next_seq or c > b or b > a:
                    raise DumpError(path, offset, hart, f"HART_END says produced {a}, drained {b}, "
                                    f"lost {c}, but the stream carries {stream.next_seq} records")
                if a > PRODUCED_LIMIT:
                    raise DumpError(path, offset, hart, f"HART_END says produced {a} records, "
                                    "more than the 2^53 a dump may count")
                if c:
                    raise DumpError(path, offset, hart, f"the host refused {c} of this hart's "
                                    "records (a failed write): the run is not whole")
        elif kind == END:
            total = a
            carried = sum(s.next_seq for s in harts.values())
            if a != carried or any(s.produced is None for s in harts.values()):
                raise DumpError(path, offset, None, f"END says {a} records, the stream carries "
                                f"{carried}, or a hart has no HART_END")
        else:
            raise DumpError(path, offset, None, f"unknown chunk kind {kind}")
        offset = payload + count * RECORD_SIZE
        chunks += 1
    if begin is None:
        raise DumpError(path, 0, None, "empty: no BEGIN chunk (was the kernel booted with "
                        "trace_drain=1 and QEMU with -semihosting-config enable=on?)")
    if total is None:
        raise DumpError(path, size, None, "truncated: no END chunk (the kernel did not finish "
                        "its scenario, or QEMU was stopped)")
    return begin, harts, chunks


def to_dump(drain_path, dump_path) -> Summary:
    """Checks the drain stream at drain_path and writes the dump."""
    path = Path(drain_path)
    data = map_file(path)
    # Whole or not at all: written beside, renamed when complete.
    with removed_if_killed(Path(str(dump_path) + ".partial")) as partial:
        return _write_dump(path, data, partial, dump_path)


def _write_dump(path: Path, data, partial: Path, dump_path) -> Summary:
    try:
        begin, harts, chunks = _scan(path, data)
        with open(partial, "wb") as out:
            out.write(HEADER.pack(MAGIC, begin["version"], HEADER.size, RECORD_SIZE, len(harts),
                                  begin["capacity"], begin["mode"], 0, 0, begin["timebase_hz"],
                                  begin["identity"], begin["max_harts"], DRAINED))
            for hart in sorted(harts):
                stream = harts[hart]
                produced, drained = stream.ended()
                out.write(HART_HEADER.pack(HART_MAGIC, hart, produced, produced - drained, drained))
                for offset, count in stream.pieces:
                    end = offset + count * RECORD_SIZE
                    for start in range(offset, end, COPY_BYTES):
                        out.write(data[start:min(end, start + COPY_BYTES)])
        partial.replace(dump_path)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()
        partial.unlink(missing_ok=True)
    return Summary(len(harts), sum(s.ended()[1] for s in harts.values()), chunks)
