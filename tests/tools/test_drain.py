"""tracefmt.drain: a drain stream becomes a dump whose sections hold every
record; a damaged stream is one line naming file, offset and hart."""

import struct

import pytest
from hypothesis import given, settings, strategies as st

from neuronlib.tracefmt import drain, dump, records

CHUNK = drain.CHUNK


def begin(max_harts=32, capacity=64, identity=0x1234, mode=0):
    return CHUNK.pack(drain.CHUNK_MAGIC, drain.BEGIN, drain.NO_HART, 0, 0, 10_000_000, identity,
                      1 | max_harts << 16 | mode << 32, capacity)


def chunk(hart, first, recs):
    body = b"".join(records.encode(first + i, 16, 0, i % 9, i, 100 + 10 * (first + i))
                    for i in range(recs))
    return CHUNK.pack(drain.CHUNK_MAGIC, drain.RECORDS, hart, recs, 0, first, 0, 0, 0) + body


def hart_end(hart, produced, drained, lost=0):
    return CHUNK.pack(drain.CHUNK_MAGIC, drain.HART_END, hart, 0, 0, produced, drained, lost, 0)


def end(total):
    return CHUNK.pack(drain.CHUNK_MAGIC, drain.END, drain.NO_HART, 0, 0, total, 0, 0, 0)


def stream(per_hart, batch=5):
    """Chunks of every hart interleaved, as harts drain side by side."""
    parts, next_seq = [begin()], {h: 0 for h in per_hart}
    while any(next_seq[h] < n for h, n in per_hart.items()):
        for hart, n in per_hart.items():
            take = min(batch, n - next_seq[hart])
            if take:
                parts.append(chunk(hart, next_seq[hart], take))
                next_seq[hart] += take
    parts += [hart_end(h, n, n) for h, n in per_hart.items()]
    parts.append(end(sum(per_hart.values())))
    return b"".join(parts)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.integers(0, 31), st.integers(0, 200), min_size=1, max_size=6),
       st.integers(1, 64))
def test_every_record_reaches_the_dump(tmp_path_factory, per_hart, batch):
    tmp = tmp_path_factory.mktemp("drain")
    (tmp / "s.drain").write_bytes(stream(per_hart, batch))
    summary = drain.to_dump(tmp / "s.drain", tmp / "s.dump")
    assert summary.records == sum(per_hart.values())
    d = dump.load(tmp / "s.dump")
    assert d.drained and [r.hart for r in d.harts] == sorted(per_hart)
    for ring in d.harts:
        assert (ring.produced, ring.kept, ring.dropped) == (per_hart[ring.hart],) * 2 + (0,)
        assert [rec[0] for rec in ring.records] == list(range(per_hart[ring.hart]))


def test_a_section_may_outgrow_the_ring_only_when_drained(tmp_path):
    (tmp_path / "s.drain").write_bytes(stream({0: 100}))
    drain.to_dump(tmp_path / "s.drain", tmp_path / "s.dump")
    assert dump.load(tmp_path / "s.dump").harts[0].kept == 100      # capacity 64
    data = bytearray((tmp_path / "s.dump").read_bytes())
    struct.pack_into("<I", data, 44, 0)                               # flag off
    (tmp_path / "plain.dump").write_bytes(bytes(data))
    with pytest.raises(dump.DumpError, match="counts disagree"):
        dump.load(tmp_path / "plain.dump")


GOOD = stream({0: 12, 3: 7})
FIRST_RECORDS = CHUNK.size          # offset of the first RECORDS chunk


def damaged(name):
    data = bytearray(GOOD)
    if name == "truncated":
        return bytes(data[:-20])
    if name == "no_end":
        return bytes(data[:-CHUNK.size])
    if name == "bad_magic":
        data[FIRST_RECORDS] ^= 0xFF
    elif name == "hart_beyond_max":
        struct.pack_into("<H", data, FIRST_RECORDS + 6, 40)
    elif name == "gap":
        struct.pack_into("<Q", data, FIRST_RECORDS + 16, 3)
    elif name == "after_end":
        return bytes(data) + b"x" * 10
    elif name == "lost":
        return stream({0: 5})[:-2 * CHUNK.size] + hart_end(0, 5, 5, lost=5) + end(5)
    elif name == "no_begin":
        return bytes(data[CHUNK.size:])
    return bytes(data)


@pytest.mark.parametrize("name,what", [
    ("truncated", "truncated"), ("no_end", "no END chunk"), ("bad_magic", "bad chunk magic"),
    ("hart_beyond_max", "beyond NEURON_MAX_HARTS"), ("gap", "a chunk is missing or repeated"),
    ("after_end", "after the END chunk"), ("lost", "refused 5"), ("no_begin", "BEGIN"),
])
def test_damage_is_one_line_with_its_offset(tmp_path, name, what):
    (tmp_path / "s.drain").write_bytes(damaged(name))
    with pytest.raises(dump.DumpError) as caught:
        drain.to_dump(tmp_path / "s.drain", tmp_path / "s.dump")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / 's.drain'}: offset ")
    assert what in message


def test_every_single_bit_flip_is_refused_or_harmless(tmp_path):
    """Exhaustive, not sampled: whatever the drain reader accepts, the dump reader accepts too."""
    for at in range(len(GOOD)):
        for bit in range(8):
            data = bytearray(GOOD)
            data[at] ^= 1 << bit
            (tmp_path / "s.drain").write_bytes(bytes(data))
            try:
                drain.to_dump(tmp_path / "s.drain", tmp_path / "s.dump")
            except dump.DumpError as error:
                assert "\n" not in str(error)
                continue
            dump.load(tmp_path / "s.dump")  # accepted: record payload only; the dump reader checks it
