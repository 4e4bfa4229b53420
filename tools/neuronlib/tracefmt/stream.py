"""A console log with `trace_stream=1` frames -> a dump (docs/trace-format.md).

Frames: `neuron-trace: BODY *CRC` where CRC is zlib.crc32(BODY) in 8 hex
digits. Bodies: `begin version=.. harts=.. capacity=.. mode=.. timebase=..
identity=0x.. max_harts=..`, then per hart `hart H produced=P dropped=D
kept=K` followed by K lines `r H <32 hex: the 16 stored bytes>`, then
`end records=N`. A bad frame raises DumpError naming the log, the line
number and the hart; salvage=True skips bad frames and counts them.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import dump as dumpfmt
from .records import RECORD

PREFIX = "neuron-trace: "
FRAME = re.compile(r"neuron-trace: (?P<body>.*) \*(?P<crc>[0-9a-f]{8})\s*$")


@dataclass
class StreamedHart(dumpfmt.HartData):
    """A hart's section as the stream announced it: its records in a list,
    kept as the frame said (parse() then checks one against the other)."""
    records: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    kept: int = 0


class StreamResult:
    def __init__(self) -> None:
        self.header: dict[str, str] = {}
        self.harts: list[StreamedHart] = []
        self.skipped = 0


def _fields(body: str) -> dict[str, str]:
    return dict(word.split("=", 1) for word in body.split() if "=" in word)


def parse(log_path, salvage: bool = False) -> StreamResult:
    path = Path(log_path)
    result = StreamResult()
    current: StreamedHart | None = None
    ended = False
    with open(path, "r", encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, 1):
            start = line.find(PREFIX)
            if start < 0:
                continue
            line = line[start:]
            hart = current.hart if current is not None else None

            def bad(what: str) -> None:
                if not salvage:
                    raise _line_error(path, number, hart, what)
                result.skipped += 1

            match = FRAME.match(line)
            if not match:
                bad("malformed trace frame (expected 'neuron-trace: BODY *CRC32')")
                continue
            body = match.group("body")
            if zlib.crc32(body.encode()) != int(match.group("crc"), 16):
                bad(f"checksum mismatch in frame '{body[:40]}'")
                continue
            words = body.split()
            try:
                if words[0] == "begin":
                    result.header = _fields(body)
                elif words[0] == "hart":
                    f = _fields(body)
                    current = StreamedHart(int(words[1]), int(f["produced"]),
                                           int(f["dropped"]), [], int(f["kept"]))
                    result.harts.append(current)
                elif words[0] == "r":
                    if current is None or int(words[1]) != current.hart or len(words[2]) != 32:
                        bad("record frame outside its hart's section or not 16 bytes")
                        continue
                    seq, type_, b, h, tw = RECORD.unpack(bytes.fromhex(words[2]))
                    current.records.append((seq, type_, b, h, tw >> 40, tw & ((1 << 40) - 1)))
                elif words[0] == "end":
                    ended = True
                else:
                    bad(f"unknown frame '{words[0]}'")
            except (KeyError, ValueError, IndexError) as error:
                bad(f"bad frame '{body[:40]}': {error}")
    if not result.header:
        raise _line_error(path, 0, None, "no 'neuron-trace: begin' frame (booted with trace_stream=1?)")
    if not ended and not salvage:
        raise _line_error(path, number if result.header else 0, None,
                          "stream ends without its 'end' frame (console cut short)")
    for data in result.harts:
        if len(data.records) != data.kept:
            if not salvage:
                raise _line_error(path, 0, data.hart, f"{data.kept} records announced, "
                                  f"{len(data.records)} streamed")
            result.skipped += abs(data.kept - len(data.records))
            data.dropped += max(data.kept - len(data.records), 0)
            data.kept = len(data.records)
            data.produced = data.kept + data.dropped
    return result


def _line_error(path, number: int, hart, what: str) -> dumpfmt.DumpError:
    error = dumpfmt.DumpError(path, number, hart, what)
    where = f"line {number}" + (f" (hart {hart})" if hart is not None else "")
    error.args = (f"{path}: {where}: {what}",)
    return error


def to_dump(log_path, dump_path, salvage: bool = False) -> StreamResult:
    """Writes the dump the stream in log_path carries; returns what was parsed."""
    result = parse(log_path, salvage)
    h = result.header
    try:
        dumpfmt.write(dump_path, result.harts, timebase_hz=int(h["timebase"]), mode=h["mode"],
                      capacity=int(h["capacity"]), identity=int(h["identity"], 16),
                      max_harts=int(h["max_harts"]), version=int(h["version"]))
    except (KeyError, ValueError) as error:
        raise _line_error(log_path, 0, None, f"begin frame lacks a field: {error}") from None
    return result
