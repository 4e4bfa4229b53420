"""The dump -> Perfetto converter: structure, counts, determinism, bad input."""

import dataclasses
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from neuronlib.perfetto import check, convert, fakedump, readback, wire
from neuronlib.perfetto import records as R
from neuronlib.perfetto import schema as S
from neuronlib.perfetto.convert import ConvertError

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "tools" / "proto" / "perfetto_subset.proto"


def write(dump, path, **options):
    with open(path, "wb") as out:
        convert.convert(dump, out, progress=False, **options)
    return path


def items(path):
    return list(readback.read(path))


def events(path, category=None):
    return [e for e in items(path) if isinstance(e, readback.Event)
            and (category is None or category in e.categories)]


def test_checker_passes_and_counts_match_the_dump(tmp_path):
    dump, truth = fakedump.scenario(seed=3, harts=4, steps=3000)
    path = write(dump, tmp_path / "t.pftrace")
    result = check.check(path)
    assert result.ok, result.errors
    remote = {}
    for e in events(path, "remote"):
        key = (e.args["variable"], e.args["kind"])
        remote[key] = remote.get(key, 0) + 1
    assert remote == truth.remote and sum(remote.values()) > 100
    steals = {}
    for e in events(path, "steal"):
        if e.type == S.SLICE_BEGIN:
            key = (e.args["thief hart"], e.args["victim hart"])
            steals[key] = steals.get(key, 0) + 1
    assert steals == truth.steals
    handled = {}
    for e in events(path, "ipi"):
        if e.name.endswith("handled"):
            handled[e.args["kind"]] = handled.get(e.args["kind"], 0) + 1
    assert handled == truth.ipis
    assert len(events(path, "violation")) == truth.violations > 0


def test_steal_and_ipi_flows_join_the_right_tracks(tmp_path):
    dump, _ = fakedump.scenario(seed=4, harts=3, steps=800)
    path = write(dump, tmp_path / "t.pftrace")
    by_flow = {}
    for e in events(path):
        for flow in e.flow_ids + e.terminating_flow_ids:
            by_flow.setdefault(flow, []).append(e)
    steal_flows = [v for k, v in by_flow.items() if k & 1 == 0]
    ipi_flows = [v for k, v in by_flow.items() if k & 1 == 1]
    assert steal_flows and ipi_flows
    for start, end in steal_flows:
        # from the victim's track to the thief's
        assert start.track == convert.hart_track(start.args["victim hart"])
        assert end.track == convert.hart_track(end.args["thief hart"]) and end.type == S.SLICE_BEGIN
    for chain in ipi_flows:
        assert chain[0].name.endswith("send") and chain[-1].name.endswith("handled")
        assert chain[-1].args["latency ns"] > 0


def test_drops_counter_ends_at_the_dump_drop_count(tmp_path):
    dump, truth = fakedump.scenario(seed=5, harts=2, steps=1500, drop_every=5, lose_first=30)
    path = write(dump, tmp_path / "t.pftrace")
    assert check.check(path).ok
    last = {}
    for e in events(path):
        if e.type == S.COUNTER and e.track >= convert.DROPS_TRACK and e.track < convert.DROPS_TRACK + 64:
            last[e.track - convert.DROPS_TRACK] = e.counter
    assert last == {ring.hart: ring.dropped for ring in dump.harts}
    assert last[0] == 30 and last[1] == truth.drops[1] > 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), harts=st.integers(1, 6), steps=st.integers(0, 600),
       drop_every=st.sampled_from([0, 3, 11]), tables=st.booleans())
def test_any_simulated_run_converts_to_a_clean_trace(tmp_path_factory, seed, harts, steps,
                                                      drop_every, tables):
    dump, truth = fakedump.scenario(seed, harts, steps, drop_every=drop_every, with_tables=tables)
    path = write(dump, tmp_path_factory.mktemp("h") / "t.pftrace")
    result = check.check(path)
    assert result.ok, result.errors
    assert sum(1 for e in events(path, "violation")) == truth.violations


def test_same_input_same_bytes():
    outputs = []
    for _ in range(2):
        dump, _ = fakedump.scenario(seed=9, harts=4, steps=2000, drop_every=13)
        out = io.BytesIO()
        convert.convert(dump, out, progress=False)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1] and len(outputs[0]) > 10_000


def test_protoc_decodes_it_with_the_subset_schema(tmp_path):
    if not shutil.which("protoc"):
        pytest.skip("protoc not installed")
    dump, _ = fakedump.scenario(seed=2, harts=2, steps=300)
    path = write(dump, tmp_path / "t.pftrace")
    # As written (runs of packets deflated into compressed_packets) ...
    with open(path, "rb") as stream:
        outer = subprocess.run(["protoc", f"-I{PROTO.parent}", "--decode=perfetto.protos.Trace",
                                str(PROTO)], stdin=stream, capture_output=True, text=True)
    assert outer.returncode == 0, outer.stderr
    assert "compressed_packets:" in outer.stdout
    # ... and inflated, where every packet shows.
    result = subprocess.run(["protoc", f"-I{PROTO.parent}", "--decode=perfetto.protos.Trace",
                             str(PROTO)], input=wire.inflate_trace(path.read_bytes()),
                            capture_output=True)
    result.stdout, result.stderr = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, result.stderr
    assert "generic_kernel_task_state_event" in result.stdout
    assert "unit_multiplier_ns: 100" in result.stdout
    assert re.search(r"terminating_flow_ids_old: \d+", result.stdout)
    assert re.search(r"source_location_iid: \d+", result.stdout)
    assert "track_event_defaults {" in result.stdout
    # nothing the schema does not know (it would print as a bare field number)
    assert not re.search(r"^\s*\d+: ", result.stdout, re.M)


def test_a_task_never_runs_twice_in_a_row(tmp_path):
    # hart 1 switches to task 5 while hart 0's switch away from it was lost
    rings = [fakedump.FakeRing(0, 2, 0, 2, [(0, R.TASK_NEW, 0, 0, 5, 10), (1, R.SWITCH, R.TASK_IDLE, 0, 5, 20)]),
             fakedump.FakeRing(1, 1, 0, 1, [(0, R.SWITCH, R.TASK_IDLE, 0, 5, 30)])]
    path = write(fakedump.FakeDump(rings), tmp_path / "t.pftrace")
    assert check.check(path).ok
    states = [(i.tid, i.state) for i in items(path) if isinstance(i, readback.TaskState)]
    assert states == [(1005, S.TASK_RUNNABLE), (1005, S.TASK_RUNNING), (1005, S.TASK_RUNNABLE),
                      (1005, S.TASK_RUNNING)]


def ring(hart, records):
    return fakedump.FakeRing(hart, len(records), 0, len(records), records)


def test_time_going_backwards_is_an_error_unless_salvaging(tmp_path):
    dump = fakedump.FakeDump([ring(0, [(0, R.RUNQ_LEN, 0, 1, 0, 50), (1, R.RUNQ_LEN, 0, 2, 0, 40)])])
    with pytest.raises(ConvertError, match="hart 0 record seq 1: time 40 goes backwards"):
        write(dump, tmp_path / "t.pftrace")
    assert check.check(write(dump, tmp_path / "s.pftrace", salvage=True)).ok


def test_unknown_record_type_is_an_error(tmp_path):
    dump = fakedump.FakeDump([ring(2, [(0, 99, 0, 0, 0, 5)])])
    with pytest.raises(ConvertError, match="hart 2 record seq 0: unknown record type 99"):
        write(dump, tmp_path / "t.pftrace")


def test_zero_timebase_is_an_error(tmp_path):
    with pytest.raises(ConvertError, match="timebase"):
        write(fakedump.FakeDump([], timebase_hz=0), tmp_path / "t.pftrace")


def test_odd_timebase_converts_to_nanoseconds(tmp_path):
    dump = fakedump.FakeDump([ring(0, [(0, R.RUNQ_LEN, 0, 1, 0, 3), (1, R.RUNQ_LEN, 0, 2, 0, 6)])],
                             timebase_hz=3)
    times = [e.time for e in events(write(dump, tmp_path / "t.pftrace")) if e.type == S.COUNTER
             and e.track == convert.RUNQ_TRACK]
    assert times == [1_000_000_000, 2_000_000_000]


def test_the_converter_reads_a_real_dump_file(tmp_path):
    synth = pytest.importorskip("neuronlib.tracefmt.synth")
    from neuronlib.tracefmt import dump as dumpfmt
    synth.generate(tmp_path / "s.dump", 20_000, harts=4, seed=3)
    dump = dumpfmt.load(tmp_path / "s.dump")
    path = write(dump, tmp_path / "s.pftrace")
    result = check.check(path)
    assert result.ok, result.errors
    assert result.task_states > 1000 and result.flows > 100


def test_compressed_output_carries_exactly_the_plain_packets(tmp_path):
    dump, _ = fakedump.scenario(seed=4, harts=4, steps=3000, drop_every=17)
    plain = write(dump, tmp_path / "plain.pftrace", compress=False).read_bytes()
    dump, _ = fakedump.scenario(seed=4, harts=4, steps=3000, drop_every=17)
    packed = write(dump, tmp_path / "packed.pftrace").read_bytes()
    assert len(packed) * 3 < len(plain)
    assert wire.inflate_trace(packed) == plain
    # Offsets name the outer packet in a compressed trace; all else is equal.
    def without_offsets(path):
        return [dataclasses.replace(i, offset=0) if hasattr(i, "offset") else i for i in items(path)]
    assert without_offsets(tmp_path / "packed.pftrace") == without_offsets(tmp_path / "plain.pftrace")


def test_a_corrupt_compressed_packet_is_one_line_naming_its_offset(tmp_path):
    dump, _ = fakedump.scenario(seed=5, harts=2, steps=300)
    data = bytearray(write(dump, tmp_path / "t.pftrace").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "t.pftrace").write_bytes(bytes(data))
    with pytest.raises(readback.ReadError) as error:
        items(tmp_path / "t.pftrace")
    assert "\n" not in str(error.value) and "byte " in str(error.value)
