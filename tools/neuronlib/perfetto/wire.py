"""Protocol-buffer wire format, by hand: the converter's encoder.

Encoding through generated message classes costs a Python object per
field; the converter instead joins byte strings, most of them computed
once and cached (docs/reviewing-traces.md has the measurement). Reading
back goes through the generated classes (schema.py), so the two are
checked against each other by the tests.
"""

from __future__ import annotations

import io
import struct
import zlib

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


# A trace packet announcing more is refused before any read: Perfetto's own
# writers stay far below (compressed_packets inflate to MAX_INFLATED at most).
MAX_PACKET = 1 << 30
_MAX_READ = 1 << 26


def iter_trace_packets(stream, chunk_size: int = 1 << 20):
    """Yield (offset, packet bytes) for every TracePacket of a trace, the
    ones inside `compressed_packets` included (offset: of the outer packet)."""
    for offset, data in _iter_outer_packets(stream, chunk_size):
        inner = compressed_payload(data, offset)
        if inner is None:
            yield offset, data
            continue
        for _, packet in _iter_outer_packets(io.BytesIO(inner), chunk_size):
            if compressed_payload(packet, offset) is not None:
                raise WireError(f"compressed packets nested inside compressed packets at byte {offset}")
            yield offset, packet


def _iter_outer_packets(stream, chunk_size: int):
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
        if length > MAX_PACKET:
            raise WireError(f"packet at byte {base + start} announces {length} bytes, more than "
                            f"the {MAX_PACKET} a trace packet may have")
        while len(buffer) - pos < length:
            # Never ask for more than is needed, nor more than a bounded read.
            more = stream.read(min(max(chunk_size, length - (len(buffer) - pos)), _MAX_READ))
            if not more:
                raise WireError(f"truncated packet at byte {base + start}: {length} bytes "
                                f"announced, {len(buffer) - pos} present")
            buffer = buffer[start:] + more
            base += start
            pos -= start
            start = 0
        yield base + start, buffer[pos:pos + length]
        pos += length


# ---- compressed_packets ----------------------------------------------------
#
# Perfetto's own service can deflate runs of packets into one
# TracePacket.compressed_packets (field 50: a zlib stream holding a
# serialized Trace); trace_processor and the UI inflate them on load.
# Interning and delta timestamps leave ~8 bytes of framing per packet;
# deflate removes most of the rest (docs/reviewing-traces.md).

COMPRESSED_PACKETS = 50
COMPRESSION_LEVEL = 1                   # fastest: ~5x smaller already; level 6 gains ~25% at a third of the speed
COMPRESSED_CHUNK = 256 << 10            # uncompressed packet bytes per compressed packet
MAX_INFLATED = 64 << 20                 # refuse a "zip bomb" rather than exhaust memory


def compressed_payload(packet: bytes, offset: int) -> bytes | None:
    """The inflated Trace bytes if `packet` is a compressed_packets packet, else None."""
    try:
        tag, pos = read_varint(packet, 0)
    except WireError:
        return None
    if tag != (COMPRESSED_PACKETS << 3) | LENGTH:
        return None
    length, pos = read_varint(packet, pos)
    if pos + length != len(packet):
        raise WireError(f"compressed packets at byte {offset}: {length} bytes announced, "
                        f"{len(packet) - pos} present")
    inflater = zlib.decompressobj()
    try:
        inner = inflater.decompress(packet[pos:], MAX_INFLATED)
    except zlib.error as error:
        raise WireError(f"compressed packets at byte {offset} do not inflate: {error}") from None
    if inflater.unconsumed_tail:
        raise WireError(f"compressed packets at byte {offset} inflate to more than {MAX_INFLATED} bytes")
    if not inflater.eof:
        raise WireError(f"compressed packets at byte {offset} are truncated")
    return inner


class CompressingWriter:
    """A binary stream that deflates what is written to it into
    compressed_packets packets of about COMPRESSED_CHUNK bytes each.
    Precondition: every write() holds whole serialized Trace.packet
    entries (both converter loops write whole packets), so a chunk never
    splits a packet; the converter tests inflate every trace they write
    and compare it with the uncompressed output. Deterministic. Call close()."""

    def __init__(self, out):
        self.out = out
        self.pending = bytearray()

    def write(self, data) -> int:
        self.pending += data
        if len(self.pending) >= COMPRESSED_CHUNK:
            self._emit()
        return len(data)

    def _emit(self) -> None:
        body = zlib.compress(bytes(self.pending), COMPRESSION_LEVEL)
        inner = key(COMPRESSED_PACKETS, LENGTH) + varint(len(body)) + body
        self.out.write(key(1, LENGTH) + varint(len(inner)) + inner)
        self.pending.clear()

    def close(self) -> None:
        if self.pending:
            self._emit()


def inflate_trace(data: bytes) -> bytes:
    """A whole trace with every compressed_packets packet replaced by its
    packets: what `protoc --decode` can show in full."""
    out = bytearray()
    for _, packet in iter_trace_packets(io.BytesIO(data)):
        out += key(1, LENGTH) + varint(len(packet)) + packet
    return bytes(out)

