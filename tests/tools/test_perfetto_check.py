"""The structural checker finds what it claims to find."""

import pytest

from neuronlib.perfetto import check, readback
from neuronlib.perfetto.wire import fixed64, message, string, uint


def packet(body: bytes) -> bytes:
    return message(1, body)


def track(uuid, counter=False):
    body = uint(1, uuid) + string(2, f"t{uuid}") + (message(8, b"") if counter else b"")
    return packet(uint(10, 1) + message(60, body))


def event(ts, kind, track_uuid, name="e", flows=(), ends=(), seq=7, counter=None):
    te = uint(9, kind) + uint(11, track_uuid) + string(23, name)
    te += b"".join(fixed64(47, f) for f in flows) + b"".join(fixed64(48, f) for f in ends)
    if counter is not None:
        te += uint(30, counter)
    return packet(uint(8, ts) + uint(10, seq) + message(11, te))


def task(ts, tid, state, seq=7):
    return packet(uint(8, ts) + uint(10, seq) + message(117, uint(1, 0) + uint(3, tid) + uint(4, state)))


def run(tmp_path, *packets):
    path = tmp_path / "t.pftrace"
    path.write_bytes(b"".join(packets))
    return check.check(path)


def test_a_well_formed_trace_passes(tmp_path):
    result = run(tmp_path, track(1), track(2, counter=True), event(10, 1, 1, flows=[9]),
                 event(11, 3, 1, ends=[9]), event(12, 2, 1), event(13, 4, 2, counter=3),
                 task(14, 5, 3), task(15, 5, 2), task(16, 5, 3))
    assert result.ok, result.errors


@pytest.mark.parametrize("packets, message_part", [
    ([track(1), track(1)], "declared twice"),
    ([track(1), event(5, 2, 1)], "no slice open"),
    ([track(1), event(5, 1, 1)], "slices never ended"),
    ([track(1), event(5, 3, 1, flows=[4])], "one end only"),
    ([track(1), event(5, 3, 1, ends=[4])], "terminated but never started"),
    ([track(1), event(5, 3, 1, seq=1), event(4, 3, 1, seq=1)], "before the sequence's previous"),
    ([track(1), event(5, 3, 1, seq=1), event(4, 3, 1, seq=2)], "not sorted"),
    ([track(1), event(5, 3, 2)], "undeclared track"),
    ([track(1), event(5, 4, 1, counter=1)], "on a slice track"),
    ([task(1, 5, 3), task(2, 5, 3)], "RUNNING twice in a row"),
    ([task(1, 5, 7), task(2, 5, 3)], "after DEAD"),
    ([track(1), packet(uint(8, 1) + uint(10, 3) + uint(13, 1)),
      packet(uint(8, 2) + uint(10, 3) + message(11, uint(9, 3) + uint(11, 1) + uint(10, 4)))],
     "event name iid 4 not interned"),
])
def test_each_problem_is_found(tmp_path, packets, message_part):
    result = run(tmp_path, *packets)
    assert not result.ok
    assert any(message_part in error for error in result.errors), result.errors


def test_truncated_trace_is_a_one_line_read_error(tmp_path):
    path = tmp_path / "t.pftrace"
    path.write_bytes(track(1) + track(2)[:-3])
    with pytest.raises(readback.ReadError, match=r"truncated packet at byte \d+"):
        check.check(path)


def test_not_a_trace_is_a_read_error(tmp_path):
    path = tmp_path / "t.pftrace"
    path.write_bytes(b"NRNTRACE" + bytes(100))
    with pytest.raises(readback.ReadError, match="not a Perfetto trace"):
        check.check(path)
