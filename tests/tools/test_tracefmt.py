"""tracefmt: record and dump round trips, one-line errors, salvage."""

import struct

import pytest
from hypothesis import given, settings, strategies as st

from neuronlib.tracefmt import dump, records, stream, synth

record_fields = st.tuples(st.integers(0, 2**32 - 1), st.sampled_from(sorted(records.TYPES)),
                          st.integers(0, 255), st.integers(0, 65535), st.integers(0, records.W_MAX),
                          st.integers(0, records.TIME_MASK))


@given(record_fields)
def test_record_round_trip(fields):
    assert records.decode(records.encode(*fields)) == fields


def _recs(n, start=0):
    return [(start + i, 16, 1, i % 7, i, 1000 + 10 * i) for i in range(n)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=4))
def test_dump_round_trip(tmp_path_factory, sizes):
    path = tmp_path_factory.mktemp("d") / "t.dump"
    harts = [dump.HartData(h, n + 3, 3, _recs(n, 3)) for h, n in enumerate(sizes)]
    dump.write(path, harts, capacity=64, mode="overwrite")
    d = dump.load(path)
    assert [(r.hart, r.produced, r.dropped, r.kept) for r in d.harts] == \
        [(h, n + 3, 3, n) for h, n in enumerate(sizes)]
    for ring, n in zip(d.harts, sizes):
        assert list(ring.records) == _recs(n, 3)


def test_seq_and_time_unwrap(tmp_path):
    path = tmp_path / "w.dump"
    base = 2**32 - 2
    recs = [(base + i, 16, 0, 0, 0, records.TIME_MASK - 1 + i) for i in range(4)]
    dump.write(path, [dump.HartData(0, base + 4, base, recs)], capacity=16)
    got = list(dump.load(path).harts[0].records)
    assert [r[0] for r in got] == [base + i for i in range(4)]
    assert [r[5] for r in got] == [records.TIME_MASK - 1 + i for i in range(4)]


def _valid(tmp_path, n=8):
    path = tmp_path / "trace.dump"
    dump.write(path, [dump.HartData(0, n, 0, _recs(n)), dump.HartData(2, n, 0, _recs(n))], capacity=16)
    return path


def _one_line(error, *words):
    text = str(error.value)
    assert "\n" not in text and "trace.dump" in text
    for word in words:
        assert word in text


def test_truncated(tmp_path):
    path = _valid(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    with pytest.raises(dump.DumpError) as e:
        dump.load(path)
    _one_line(e, "truncated", "offset", "hart 2")
    d = dump.load(path, salvage=True)
    assert d.hart(2).kept == 7 and d.skipped == 1


def test_bad_magic_and_version(tmp_path):
    path = _valid(tmp_path)
    data = bytearray(path.read_bytes())
    path.write_bytes(b"X" + bytes(data[1:]))
    with pytest.raises(dump.DumpError) as e:
        dump.load(path)
    _one_line(e, "offset 0", "magic")
    struct.pack_into("<H", data, 8, 9)
    path.write_bytes(bytes(data))
    with pytest.raises(dump.DumpError) as e:
        dump.load(path)
    _one_line(e, "offset 8", "version 9")


def test_corrupt_record_and_salvage(tmp_path):
    path = _valid(tmp_path)
    data = bytearray(path.read_bytes())
    second_hart_first_record = 64 + 32 + 8 * 16 + 32
    bad = second_hart_first_record + 2 * 16
    data[bad + 4] = 0                       # type 0
    path.write_bytes(bytes(data))
    d = dump.load(path)
    with pytest.raises(dump.DumpError) as e:
        d.validate()
    _one_line(e, f"offset {bad}", "hart 2", "record type 0 is not a valid record")
    d = dump.load(path, salvage=True)
    assert len(list(d.hart(2).records)) == 7 and d.skipped == 1


def test_seq_backwards(tmp_path):
    path = tmp_path / "trace.dump"
    recs = _recs(4)
    recs[2] = (0, 16, 0, 0, 0, 1)
    dump.write(path, [dump.HartData(1, 4, 0, recs)], capacity=16)
    with pytest.raises(dump.DumpError) as e:
        dump.load(path).validate()
    _one_line(e, "offset 128", "hart 1", "backwards")
    assert dump.load(path, salvage=True).validate() is None


def test_hart_out_of_range(tmp_path):
    path = tmp_path / "trace.dump"
    dump.write(path, [dump.HartData(40, 1, 0, _recs(1))], capacity=16, max_harts=32)
    with pytest.raises(dump.DumpError) as e:
        dump.load(path)
    _one_line(e, "hart 40", "out of range")


def test_synth_is_valid(tmp_path):
    path = tmp_path / "s.dump"
    synth.generate(path, 10_001, harts=3)
    d = dump.load(path)
    assert sum(r.kept for r in d.harts) == 10_001
    d.validate()


def test_stream_round_trip_and_bad_frame(tmp_path):
    import zlib
    body = ["begin version=1 harts=1 capacity=16 mode=overwrite timebase=10000000 "
            "identity=0x0 max_harts=32", "hart 0 produced=2 dropped=0 kept=2"]
    body += [f"r 0 {records.encode(*r).hex()}" for r in _recs(2)] + ["end records=2"]
    lines = [f"neuron-trace: {b} *{zlib.crc32(b.encode()):08x}" for b in body]
    log = tmp_path / "console.log"
    log.write_text("boot noise\n" + "\n".join(lines) + "\n")
    stream.to_dump(log, tmp_path / "trace.dump")
    assert list(dump.load(tmp_path / "trace.dump").harts[0].records) == _recs(2)
    lines[3] = lines[3][:-1] + ("0" if lines[3][-1] != "0" else "1")
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(dump.DumpError) as e:
        stream.parse(log)
    assert "line 4 (hart 0)" in str(e.value) and "checksum" in str(e.value)
    assert stream.parse(log, salvage=True).skipped >= 1
