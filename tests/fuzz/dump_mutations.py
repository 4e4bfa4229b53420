"""Damaged trace dumps and the oracle every reader of them must satisfy.

Used by tests/tools/test_robust_dump.py (a few thousand inputs in the
default run) and by the `robust.dump.stress` CTest (NEURON_ROBUST_SCALE=
stress, >= 100,000 inputs). docs/reliability.md has the figures.

The oracle, for every input:
  - strict read (`dump.load` + every record): succeeds, or raises
    DumpError whose text is one line `FILE: offset N[ (hart H)]: what`
    with N inside the file; a record-level error names the hart;
  - salvage read: succeeds or raises such a DumpError; when it succeeds,
    every hart's yielded records + skipped == the records its header
    announced (a truncated section's missing records count as skipped), and what it yields is valid (known types, seq increasing);
  - a strictly valid input also converts and reports (dump -> .pftrace ->
    counts) without an exception other than the tools' one-line error;
  - nothing takes longer than PER_INPUT_SECONDS (a hang is a failure);
  - no other exception, ever (that would be a traceback for the user).
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import signal
import struct
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from neuronlib.tracefmt import dump as dumpfmt
from neuronlib.tracefmt.records import HART_B_TYPES, TYPE_BY_NAME as T, TYPES

PER_INPUT_SECONDS = 10
HEADER_SIZE = dumpfmt.HEADER.size
HART_HEADER_SIZE = dumpfmt.HART_HEADER.size
RECORD_SIZE = 16

# Header fields: (offset, struct format) of every field a mutation may set.
HEADER_FIELDS = [(8, "<H"), (10, "<H"), (12, "<H"), (14, "<H"), (16, "<I"), (20, "<B"),
                 (24, "<Q"), (32, "<Q"), (40, "<I"), (44, "<I")]
HART_FIELDS = [(0, "<I"), (4, "<I"), (8, "<Q"), (16, "<Q"), (24, "<Q")]
INTERESTING = [0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 255, 256, 4095, 4096, 4097,
               0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]


class InputTimeout(Exception):
    """The per-input time limit passed: the reader hangs on this input."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def expire(signum, frame):
        raise InputTimeout()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- base dumps -----------------------------------------------------------

def _hart_records(hart: int, harts: int, first_seq: int, count: int, rng: random.Random):
    """A plausible run of records: switches, steals, IPIs, idle, remote accesses."""
    time = 1000 + 37 * hart + first_seq * 50
    out = []
    seq = first_seq
    while len(out) < count:
        time += rng.randint(1, 90)
        choice = rng.random()
        other = (hart + 1) % harts
        if choice < 0.3:
            batch = [(T["switch"], 0, rng.randint(0, 5), rng.randint(0, 5))]
        elif choice < 0.45:
            batch = [(T["steal_begin"], other, 0, seq), (T["steal_end"], other, 1, seq)]
        elif choice < 0.65:
            batch = [(T["ipi_send"], other, 1, seq)]
        elif choice < 0.8:
            batch = [(T["ipi_recv"], other, 1, seq), (T["ipi_handled"], other, 1, seq)]
        elif choice < 0.9:
            batch = [(T["idle_enter"], 0, 0, 0), (T["idle_exit"], 0, 0, 0)]
        else:
            batch = [(T["remote"], other, 0, 0)]
        for type_, b, h, w in batch:
            if len(out) < count:
                out.append((seq, type_, b, h, w, time))
                seq += 1
                time += 2
    return out


def synthetic_dumps(directory: Path) -> list["Base"]:
    """Small valid dumps in both modes, with drops, no ELF (identity 0)."""
    rng = random.Random(7)
    bases = []
    # overwrite: produced 40, the ring kept the newest 16
    harts = [dumpfmt.HartData(h, 40, 24, _hart_records(h, 3, 24, 16, rng)) for h in range(3)]
    path = directory / "overwrite.dump"
    dumpfmt.write(path, harts, mode="overwrite", capacity=16)
    bases.append(Base(path, None))
    # stop: the first 16 kept, 9 refused; a hart that recorded nothing (hart 0's victim)
    harts = [dumpfmt.HartData(0, 25, 9, _hart_records(0, 2, 0, 16, rng)),
             dumpfmt.HartData(1, 0, 0, [])]
    path = directory / "stop.dump"
    dumpfmt.write(path, harts, mode="stop", capacity=16)
    bases.append(Base(path, None))
    return bases


@dataclass
class Base:
    path: Path
    elf: Path | None          # the kernel a real dump came from: ids checked against it
    data: bytes = field(init=False, repr=False)

    def __post_init__(self):
        self.data = self.path.read_bytes()


# --- mutations ------------------------------------------------------------

def _sections(data: bytes) -> list[tuple[int, int]]:
    """(offset of hart header, kept) of each well-formed hart section."""
    out = []
    if len(data) < HEADER_SIZE:
        return out
    count = struct.unpack_from("<H", data, 14)[0]
    offset = HEADER_SIZE
    for _ in range(count):
        if offset + HART_HEADER_SIZE > len(data):
            break
        kept = struct.unpack_from("<Q", data, offset + 24)[0]
        out.append((offset, kept))
        offset += HART_HEADER_SIZE + kept * RECORD_SIZE
    return out


def _put(data: bytearray, offset: int, fmt: str, value: int) -> None:
    size = struct.calcsize(fmt)
    if offset + size <= len(data):
        struct.pack_into(fmt, data, offset, value & ((1 << (8 * size)) - 1))


def _value(rng: random.Random, current: int) -> int:
    return rng.choice([rng.choice(INTERESTING), current + rng.randint(-3, 3), rng.getrandbits(64)])


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One damaged variant of data, and the name of what was done to it."""
    out = bytearray(data)
    size = len(out)
    kind = rng.choice(MUTATIONS)
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(size)] ^= 1 << rng.randrange(8)
    elif kind == "byte":
        out[rng.randrange(size)] = rng.randrange(256)
    elif kind == "truncate":
        del out[rng.randrange(size):]
    elif kind == "splice":
        length = rng.randint(1, 48)
        source, target = rng.randrange(size), rng.randrange(size)
        chunk = out[source:source + length]
        out[target:target + len(chunk)] = chunk
    elif kind == "duplicate":
        start = rng.randrange(size)
        chunk = out[start:start + rng.choice([1, 4, 16, 32, rng.randint(1, 64)])]
        at = rng.randrange(size + 1)
        out[at:at] = chunk
    elif kind == "delete":
        start = rng.randrange(size)
        del out[start:start + rng.choice([1, 4, 16, 32, rng.randint(1, 64)])]
    elif kind == "append":
        out += bytes(rng.randrange(256) for _ in range(rng.choice([1, 16, 32, 48])))
    elif kind == "header":
        offset, fmt = rng.choice(HEADER_FIELDS)
        _put(out, offset, fmt, _value(rng, struct.unpack_from(fmt, out, offset)[0]))
    elif kind in ("hart", "counts"):
        sections = _sections(data)
        if sections:
            base, kept = rng.choice(sections)
            if kind == "hart":
                offset, fmt = rng.choice(HART_FIELDS)
                _put(out, base + offset, fmt, _value(rng, struct.unpack_from(fmt, out, base + offset)[0]))
            else:  # consistent counts that disagree with the records present
                new_kept = max(0, kept + rng.choice([-2, -1, 1, 2, 1000]))
                dropped = rng.choice([0, 1, 5])
                _put(out, base + 8, "<Q", new_kept + dropped)
                _put(out, base + 16, "<Q", dropped)
                _put(out, base + 24, "<Q", new_kept)
    elif kind in ("record_type", "record_seq", "record_swap", "record_random", "record_time",
                  "record_hart"):
        sections = [(base, kept) for base, kept in _sections(data) if kept]
        if sections:
            base, kept = rng.choice(sections)
            first = base + HART_HEADER_SIZE
            index = rng.randrange(kept)
            at = first + index * RECORD_SIZE
            if kind == "record_type":
                _put(out, at + 4, "<B", rng.choice([0, 4, 15, 28, 255, rng.randrange(256)]))
            elif kind == "record_seq":
                _put(out, at, "<I", _value(rng, struct.unpack_from("<I", out, at)[0]))
            elif kind == "record_random":      # several records of random bytes
                for _ in range(rng.randint(1, 4)):
                    at = first + rng.randrange(kept) * RECORD_SIZE
                    out[at:at + RECORD_SIZE] = rng.randbytes(RECORD_SIZE)
            elif kind == "record_time":        # backwards a little, or far either way
                time = struct.unpack_from("<Q", out, at + 8)[0] & ((1 << 40) - 1)
                step = rng.choice([-1, -2, -1000, 1 << 39, (1 << 39) - 1, 1 << 38, -(1 << 39)])
                word = struct.unpack_from("<Q", out, at + 8)[0]
                _put(out, at + 8, "<Q", (word & ~((1 << 40) - 1)) | ((time + step) & ((1 << 40) - 1)))
            elif kind == "record_hart":        # a hart field at or near the dump's limit
                _put(out, at + 4, "<B", rng.choice([T["remote"], T["steal_begin"], T["ipi_send"],
                                                     T["ipi_handled"], T["wakeup"], T["task_new"]]))
                _put(out, at + 5, "<B", rng.choice([31, 32, 33, 200, 255]))
            elif kept > 1:
                other = first + rng.randrange(kept) * RECORD_SIZE
                out[at:at + RECORD_SIZE], out[other:other + RECORD_SIZE] = \
                    out[other:other + RECORD_SIZE], out[at:at + RECORD_SIZE]
    return kind, bytes(out)


MUTATIONS = ["flip", "byte", "truncate", "splice", "duplicate", "delete", "append", "header",
             "hart", "counts", "record_type", "record_seq", "record_swap", "record_random",
             "record_time", "record_hart"]


# --- the oracle -----------------------------------------------------------

def _message_problem(error: dumpfmt.DumpError, path: Path, size: int, need_hart: bool) -> str | None:
    text = str(error)
    match = re.fullmatch(re.escape(str(path)) + r": offset (\d+)( \(hart (\d+)\))?: (\S.*)", text)
    if "\n" in text or match is None:
        return f"not one line 'FILE: offset N (hart H): what': {text!r}"
    if int(match.group(1)) > size:
        return f"offset {match.group(1)} is past the end of a {size}-byte file: {text!r}"
    if need_hart and match.group(2) is None:
        return f"record error without its hart: {text!r}"
    return None


def _read(path: Path, elf, salvage: bool):
    """Load and read every record; (dump, [(ring, records)]). DumpError passes through."""
    loaded = dumpfmt.load(path, elf, salvage=salvage)
    announced = {ring.hart: ring.kept + ring.truncated for ring in loaded.harts}
    rings = []
    for ring in loaded.harts:
        try:
            rings.append((ring, list(ring.records), announced[ring.hart]))
        except dumpfmt.DumpError as error:
            error.during_records = True
            raise
    return loaded, rings


def check(path: Path, elf=None, convert: bool = True) -> tuple[str, list[str]]:
    """Runs the oracle on one file: (verdict, problems). Verdict: valid, rejected or salvaged."""
    size = path.stat().st_size
    problems: list[str] = []
    verdict = "valid"
    try:
        with time_limit(PER_INPUT_SECONDS):
            try:
                _read(path, elf, salvage=False)
            except dumpfmt.DumpError as error:
                verdict = "rejected"
                problem = _message_problem(error, path, size, getattr(error, "during_records", False))
                if problem:
                    problems.append("strict: " + problem)
            try:
                loaded, rings = _read(path, elf, salvage=True)
                max_harts = loaded.max_harts
                if verdict == "rejected":
                    verdict = "salvaged"
                for ring, got, announced in rings:
                    if len(got) + ring.skipped != announced:
                        problems.append(f"salvage: hart {ring.hart}: {len(got)} records + "
                                        f"{ring.skipped} skipped != {announced} announced")
                    if verdict == "valid" and ring.skipped:
                        problems.append(f"salvage skipped {ring.skipped} records of a valid dump")
                    seqs = [record[0] for record in got]
                    if any(b <= a for a, b in zip(seqs, seqs[1:])):
                        problems.append(f"salvage: hart {ring.hart}: seq not increasing")
                    if any(record[1] not in TYPES for record in got):
                        problems.append(f"salvage: hart {ring.hart}: yielded an invalid type")
                    times = [record[5] for record in got]
                    if any(b < a or b - a >= 1 << 39 for a, b in zip(times, times[1:])):
                        problems.append(f"salvage: hart {ring.hart}: time not moving forward "
                                        "by less than 2^39")
                    if any(record[1] in HART_B_TYPES and record[2] >= max_harts for record in got):
                        problems.append(f"salvage: hart {ring.hart}: yielded a hart id beyond "
                                        f"max_harts {max_harts}")
            except dumpfmt.DumpError as error:
                problem = _message_problem(error, path, size, getattr(error, "during_records", False))
                if problem:
                    problems.append("salvage: " + problem)
            if verdict == "valid" and convert:
                from neuronlib import report
                from neuronlib.errors import NeuronError
                try:
                    report.report(path, elf)
                except NeuronError as error:
                    if "\n" in str(error) or str(path) not in str(error):
                        problems.append(f"report: not one line naming the file: {error}")
            if verdict == "salvaged" and convert:
                # What salvage keeps also converts: a bad record is skipped, never
                # met later by the converter as an error.
                from neuronlib import report
                from neuronlib.errors import NeuronError
                try:
                    with contextlib.redirect_stderr(io.StringIO()):
                        report.report(path, elf, salvage=True)
                except NeuronError as error:
                    problems.append(f"salvage report failed: {error}")
    except InputTimeout:
        problems.append(f"no answer within {PER_INPUT_SECONDS} s (hang)")
    except Exception:  # the point of the test: any of these is a traceback for the user
        problems.append("exception: " + traceback.format_exc(limit=4).strip().replace("\n", " | "))
    return verdict, problems
