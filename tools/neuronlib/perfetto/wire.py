"""Protocol-buffer wire format, by hand: the converter's encoder.

Encoding through generated message classes costs a Python object per
field; the converter instead joins byte strings, most of them computed
once and cached (docs/reviewing-traces.md has the measurement). Reading
back goes through the generated classes (schema.py), so the two are
checked against each other by the tests.
"""

from __future__ import annotations

import struct

VARINT = 0
FIXED64 = 1
LENGTH = 2

_fixed64 = struct.Struct("<Q").pack
_double = struct.Struct("<d").pack

# Small varints are most of what the converter writes: precompute them.
_SMALL = [bytes([n]) if n < 0x80 else bytes([(n & 0x7F) | 0x80, n >> 7]) for n in range(1 << 14)]


def varint(value: int) -> bytes:
    """Precondition: 0 <= value < 2**64 (negative int64s: pass value & (2**64 - 1))."""
    if value < 16384:
        return _SMALL[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def key(field: int, wire_type: int) -> bytes:
    return varint((field << 3) | wire_type)


def uint(field: int, value: int) -> bytes:
    return key(field, VARINT) + varint(value & 0xFFFFFFFFFFFFFFFF)


def boolean(field: int, value: bool) -> bytes:
    return key(field, VARINT) + (b"\x01" if value else b"\x00")


def fixed64(field: int, value: int) -> bytes:
    return key(field, FIXED64) + _fixed64(value)


def double(field: int, value: float) -> bytes:
    return key(field, FIXED64) + _double(value)


def message(field: int, body: bytes) -> bytes:
    return key(field, LENGTH) + varint(len(body)) + body


def string(field: int, text: str) -> bytes:
    return message(field, text.encode("utf-8"))


class WireError(ValueError):
    """Malformed protobuf framing; str() names the byte offset."""


def read_varint(data, pos: int) -> tuple[int, int]:
    """(value, position after it). Raises WireError past the end or after 10 bytes."""
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise WireError(f"varint runs past the end at byte {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError(f"varint longer than 10 bytes at byte {pos}")


def iter_trace_packets(stream, chunk_size: int = 1 << 20):
    """Yield (offset, packet bytes) for each `Trace.packet` in a binary stream.

    Streams: holds one chunk plus one packet. Raises WireError naming the
    offset on anything but field 1 length-delimited or a truncated packet.
    """
    buffer = b""
    base = 0  # file offset of buffer[0]
    pos = 0
    while True:
        if len(buffer) - pos < 16:
            more = stream.read(chunk_size)
            buffer = buffer[pos:] + more
            base += pos
            pos = 0
            if not buffer:
                return
        start = pos
        try:
            tag, pos = read_varint(buffer, pos)
            if tag != (1 << 3) | LENGTH:
                raise WireError(f"not a Perfetto trace: field {tag >> 3} wire type {tag & 7} "
                                f"at byte {base + start} (expected Trace.packet)")
            length, pos = read_varint(buffer, pos)
        except WireError as error:
            if "past the end" in str(error) and len(buffer) - start < 16:
                more = stream.read(chunk_size)
                if more:
                    buffer = buffer[start:] + more
                    base += start
                    pos = 0
                    continue
                raise WireError(f"truncated packet header at byte {base + start}") from None
            raise
        while len(buffer) - pos < length:
            more = stream.read(max(chunk_size, length))
            if not more:
                raise WireError(f"truncated packet at byte {base + start}: {length} bytes "
                                f"announced, {len(buffer) - pos} present")
            buffer = buffer[start:] + more
            base += start
            pos -= start
            start = 0
        yield base + start, buffer[pos:pos + length]
        pos += length
