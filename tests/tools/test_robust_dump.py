"""Bad input, Python: damaged dumps never produce a traceback or a hang.

Mutations of real and synthetic dumps (tests/fuzz/dump_mutations.py has
the mutations and the oracle), the CLI's one-line errors and exit status,
what salvage recovers, and hypothesis round trips (dump write -> read,
dump -> Perfetto trace -> report counts).

Scale: NEURON_ROBUST_SCALE=stress (the `robust.dump.stress` CTest, label
stress) runs >= 100,000 mutated inputs; the default run a few thousand.
"""

import contextlib
import io
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "fuzz"))

import dump_mutations as M  # noqa: E402
from neuronlib import cli, report  # noqa: E402
from neuronlib.tracefmt import dump as dumpfmt  # noqa: E402
from neuronlib.tracefmt.records import (HART_B_TYPES, SWITCH_STATES, TYPE_BY_NAME as T,  # noqa: E402
                                       TYPES, W_MAX)

STRESS = os.environ.get("NEURON_ROBUST_SCALE") == "stress"
MUTATED_INPUTS = 120_000 if STRESS else 3_000
CLI_SAMPLE = 2_000 if STRESS else 150
AUDIT_ELF = REPO / "build" / "audit" / "kernel" / "neuron.elf"


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    """Synthetic dumps, plus a real one from the audit kernel when it is built."""
    directory = tmp_path_factory.mktemp("bases")
    found = M.synthetic_dumps(directory)
    if AUDIT_ELF.is_file() and os.environ.get("NEURON_ROBUST_REAL", "1") == "1":
        from neuronlib.tracefmt import extract
        real = directory / "real.dump"
        try:
            extract.extract(AUDIT_ELF, real, harts=2, timeout=60,
                            bootargs="scenario=mixed seed=1 trace_records=32")
            dumpfmt.load(real, AUDIT_ELF).validate()
            found.append(M.Base(real, AUDIT_ELF))
        except Exception as error:  # no real base this time; the synthetic ones still run
            print(f"robust: no real dump ({type(error).__name__}: {error})")
    return found


def _summary(name: str, figures: dict) -> None:
    """One line on the terminal and a JSON file in the working directory (the build tree)."""
    line = f"robust: {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
    Path(f"robust-{name}.json").write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
    print(line, file=sys.__stderr__)


def test_mutated_dumps_never_traceback_or_hang(bases, tmp_path):
    rng = random.Random(20240611)
    verdicts, kinds, problems = Counter(), Counter(), {}
    target = tmp_path / "mutated.dump"
    for index in range(MUTATED_INPUTS):
        base = bases[index % len(bases)]
        kind, data = M.mutate(base.data, rng)
        target.write_bytes(data)
        # Decoding the ELF's tables takes longer than the rest of a check:
        # every 8th input of a real base is checked against its kernel.
        with_elf = (index // len(bases)) % 8 == 0
        verdict, found = M.check(target, base.elf if with_elf else None)
        verdicts[verdict] += 1
        kinds[kind] += 1
        for problem in found:
            problems.setdefault(problem[:120], (kind, base.path.name, problem, data))
    _summary("dump-mutations", {"inputs": MUTATED_INPUTS, "bases": [b.path.name for b in bases],
                                **verdicts, "problems": len(problems)})
    assert not problems, "\n".join(f"{kind} of {name}: {problem}"
                                   for kind, name, problem, _ in list(problems.values())[:10])
    # The mutations really reach all three outcomes (or the test tests little).
    assert verdicts["rejected"] and verdicts["salvaged"] and verdicts["valid"]
    assert set(kinds) == set(M.MUTATIONS)


def _run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def test_cli_rejects_in_one_line_with_nonzero_exit(bases, tmp_path):
    rng = random.Random(5)
    checked = 0
    target = tmp_path / "bad.dump"
    while checked < CLI_SAMPLE:
        base = bases[checked % len(bases)]
        _, data = M.mutate(base.data, rng)
        target.write_bytes(data)
        try:
            dumpfmt.load(target, base.elf).validate()
            continue                      # valid: not what this test is about
        except dumpfmt.DumpError:
            pass
        elf = ["--elf", str(base.elf)] if base.elf else []
        argv = ["report", str(target)] + elf
        status, _, err = _run_cli(argv)
        lines = err.splitlines()
        # Bad input is exit 1 (70 would be a bug in the tools), one line.
        assert status == 1 and len(lines) == 1, (status, err)
        assert lines[0].startswith("neuron: report: ") and f"{target}: offset " in lines[0], lines[0]
        assert "Traceback" not in err
        salvage_status, _, salvage_err = _run_cli(argv + ["--salvage"])
        errors = [line for line in salvage_err.splitlines() if ": salvage: " not in line]
        assert salvage_status == 0 or (salvage_status == 1 and len(errors) == 1), \
            (salvage_status, salvage_err)
        # convert: the same verdict, and no output file unless complete.
        out = tmp_path / "out.pftrace"
        status, _, err = _run_cli(["convert", str(target), "--out", str(out)] + elf)
        assert status == 1 and len(err.splitlines()) == 1 and f"{target}: offset " in err, (status, err)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.dump"]
        status, _, err = _run_cli(["convert", str(target), "--out", str(out), "--salvage"] + elf)
        assert status in (0, 1) and "internal error" not in err, (status, err)
        assert out.exists() == (status == 0) and not (tmp_path / "out.pftrace.partial").exists()
        out.unlink(missing_ok=True)
        checked += 1
    _summary("cli-rejections", {"inputs": checked})


def test_front_door_process_exits_nonzero_without_traceback(bases, tmp_path):
    """The real tools/neuron process, on a few damaged dumps."""
    data = bases[0].data
    cases = {"truncated": data[:100], "bad-magic": b"X" + data[1:], "empty": b"",
             "header-only": data[:64]}
    for name, content in cases.items():
        path = tmp_path / f"{name}.dump"
        path.write_bytes(content)
        done = subprocess.run([sys.executable, str(REPO / "tools" / "neuron"), "report", str(path)],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 1, name
        assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
        assert str(path) in done.stderr and "offset" in done.stderr, done.stderr


PFTRACE_INPUTS = 6_000 if STRESS else 300


def _pftrace_mutation(data: bytes, boundaries: list, rng: random.Random) -> tuple[str, bytes]:
    """A damaged .pftrace: flipped bytes, a cut, a packet announcing a huge
    length or a packet of random bytes (both at a packet boundary)."""
    from neuronlib.perfetto.wire import varint
    out = bytearray(data)
    kind = rng.choice(["flip", "truncate", "huge length", "garbage packet"])
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del out[rng.randrange(len(out)):]
    elif kind == "huge length":          # a whole packet announcing 2^k bytes
        at = rng.choice(boundaries)
        out[at:at] = b"\x0a" + varint(rng.choice([1 << 30, 1 << 35, 1 << 63, (1 << 64) - 1,
                                                  rng.getrandbits(64)]))
    else:                                # a well-framed packet of random bytes
        body = rng.randbytes(rng.randint(1, 40))
        at = rng.choice(boundaries)
        out[at:at] = b"\x0a" + varint(len(body)) + body
    return kind, bytes(out)


@pytest.mark.filterwarnings("error")   # a warning is a stray line on the user's terminal
def test_mutated_pftrace_is_one_line_exit_1(tmp_path):
    """report on damaged .pftrace files: a report, or one line naming the file
    (exit 1); never another exception (a MemoryError was 70 before)."""
    from neuronlib.errors import ReportError
    from neuronlib.perfetto import convert as convertlib, fakedump
    from neuronlib.perfetto.wire import iter_trace_packets
    dump, _ = fakedump.scenario(seed=3, harts=3, steps=300)
    good = tmp_path / "good.pftrace"
    with open(good, "wb") as out:   # plain packets, so that flips reach the fields
        convertlib.convert(dump, out, progress=False, compress=False)
    data = good.read_bytes()
    with open(good, "rb") as stream:
        boundaries = [offset for offset, _ in iter_trace_packets(stream)] + [len(data)]
    rng = random.Random(11)
    target = tmp_path / "bad.pftrace"
    verdicts, kinds = Counter(), Counter()
    for _ in range(PFTRACE_INPUTS):
        kind, damaged = _pftrace_mutation(data, boundaries, rng)
        kinds[kind] += 1
        target.write_bytes(damaged)
        try:
            with M.time_limit(M.PER_INPUT_SECONDS):
                report.report(target)
            verdicts["reported"] += 1
        except ReportError as error:
            assert cli.exit_status(error) == 1 and "\n" not in str(error) and str(target) in str(error), error
            verdicts["refused"] += 1
    _summary("pftrace-mutations", {"inputs": PFTRACE_INPUTS, **verdicts, **kinds})
    assert verdicts["refused"] and verdicts["reported"]


def test_cli_record_errors_are_not_internal_errors(tmp_path):
    path = tmp_path / "t.dump"
    _plain_dump(path)
    data = bytearray(path.read_bytes())
    data[_record_offset(3) + 4] = 0
    path.write_bytes(bytes(data))
    status, _, err = _run_cli(["report", str(path)])
    assert status == 1 and err.startswith(f"neuron: report: {path}: offset 144 (hart 0): "), err


# --- salvage: what it recovers ---------------------------------------------

def _plain_dump(path, count=8):
    records = [(i, T["switch"], 0, i, i, 100 + 10 * i) for i in range(count)]
    dumpfmt.write(path, [dumpfmt.HartData(0, count, 0, records)], capacity=16)
    return records


def _record_offset(index):
    return M.HEADER_SIZE + M.HART_HEADER_SIZE + index * M.RECORD_SIZE


def test_salvage_skips_exactly_a_record_with_a_bad_type(tmp_path):
    path = tmp_path / "t.dump"
    records = _plain_dump(path)
    data = bytearray(path.read_bytes())
    data[_record_offset(3) + 4] = 0          # type 0 is never valid
    path.write_bytes(bytes(data))
    with pytest.raises(dumpfmt.DumpError, match=r"offset 144 \(hart 0\)"):
        dumpfmt.load(path).validate()
    loaded = dumpfmt.load(path, salvage=True)
    assert list(loaded.harts[0].records) == records[:3] + records[4:]
    assert loaded.skipped == 1


def test_salvage_recovers_the_records_after_a_corrupted_seq(tmp_path):
    path = tmp_path / "t.dump"
    records = _plain_dump(path)
    data = bytearray(path.read_bytes())
    data[_record_offset(2) + 3] ^= 0x10      # seq 2 -> 268435458
    path.write_bytes(bytes(data))
    got = list(dumpfmt.load(path, salvage=True).harts[0].records)
    assert got == records[:2] + records[3:]


def test_salvage_still_counts_truncated_records_after_reading(tmp_path):
    path = tmp_path / "t.dump"
    _plain_dump(path)
    path.write_bytes(path.read_bytes()[:-20])   # record 7 gone, record 6 cut
    loaded = dumpfmt.load(path, salvage=True)
    assert loaded.skipped == 2
    loaded.validate()
    assert loaded.skipped == 2


# --- hypothesis: round trips and counts -----------------------------------

@st.composite
def dumps(draw):
    """A valid dump: geometry, counts and records consistent with the ring's rules."""
    mode = draw(st.sampled_from(["overwrite", "stop"]))
    capacity = draw(st.sampled_from([16, 32, 64]))
    max_harts = draw(st.sampled_from([4, 32]))
    hart_ids = draw(st.lists(st.integers(0, max_harts - 1), min_size=1, max_size=4, unique=True))
    harts = []
    for hart in hart_ids:
        kept = draw(st.integers(0, capacity))
        dropped = draw(st.integers(0, 2**40)) if kept == capacity else 0
        first = dropped if mode == "overwrite" else 0
        time = draw(st.integers(0, 2**39))
        records = []
        for i in range(kept):
            time += draw(st.integers(0, 1000))
            type_ = draw(st.sampled_from(sorted(TYPES)))
            # b is a hart below max_harts where it names one, a task state for a switch
            if type_ in (T["steal_begin"], T["steal_end"]):   # a victim is a hart of the dump
                b = draw(st.sampled_from(hart_ids))
            else:
                b = draw(st.integers(0, max_harts - 1 if type_ in HART_B_TYPES else
                                     SWITCH_STATES - 1 if type_ == T["switch"] else 255))
            records.append((first + i, type_, b, draw(st.integers(0, 0xFFFE)),
                            draw(st.integers(0, W_MAX)), time))
        harts.append(dumpfmt.HartData(hart, kept + dropped, dropped, records))
    return mode, capacity, max_harts, harts


@settings(max_examples=150 if not STRESS else 3000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(dumps(), st.integers(1, 10**9), st.integers(0, 2**64 - 1))
def test_dump_write_read_round_trip(tmp_path, case, timebase, identity):
    mode, capacity, max_harts, harts = case
    path = tmp_path / "round.dump"
    dumpfmt.write(path, harts, mode=mode, capacity=capacity, max_harts=max_harts,
                  timebase_hz=timebase, identity=identity)
    loaded = dumpfmt.load(path)
    assert (loaded.mode, loaded.capacity, loaded.max_harts, loaded.timebase_hz, loaded.identity) == \
        (mode, capacity, max_harts, timebase, identity)
    assert [(r.hart, r.produced, r.dropped, r.kept) for r in loaded.harts] == \
        [(h.hart, h.produced, h.dropped, len(h.records)) for h in harts]
    for ring, data in zip(loaded.harts, harts):
        assert list(ring.records) == data.records
    assert loaded.skipped == 0


@st.composite
def scheduling_dumps(draw):
    """Dumps whose records the converter understands: steals, IPIs, remote accesses."""
    harts = draw(st.integers(2, 3))
    out = []
    for hart in range(harts):
        events = draw(st.lists(st.sampled_from(["steal", "ipi_send", "ipi_recv", "remote", "switch"]),
                               max_size=12))
        records, seq, time = [], 0, 1000 + hart
        victim = (hart + 1) % harts
        for event in events:
            if event == "steal":
                batch = [(T["steal_begin"], victim, 0, seq), (T["steal_end"], victim, 1, seq)]
            elif event == "ipi_recv":
                batch = [(T["ipi_recv"], victim, 1, seq), (T["ipi_handled"], victim, 1, seq)]
            elif event == "remote":
                batch = [(T["remote"], victim, 0, 0)]
            elif event == "switch":
                batch = [(T["switch"], 0, 1, 2)]
            else:
                batch = [(T["ipi_send"], victim, 1, seq)]
            for type_, b, h, w in batch:
                time += draw(st.integers(1, 500))
                records.append((seq, type_, b, h, w, time))
                seq += 1
        dropped = draw(st.integers(0, 3))
        out.append(dumpfmt.HartData(hart, len(records) + dropped, dropped,
                                    [(s + dropped, *rest) for s, *rest in records]))
    return out


@settings(max_examples=60 if not STRESS else 1000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scheduling_dumps())
def test_dump_to_trace_to_report_counts(tmp_path, harts):
    """What the report counts from the Perfetto trace equals what the dump holds."""
    path = tmp_path / "counts.dump"
    dumpfmt.write(path, harts, capacity=64)
    result = report.report(path)
    index = {hart: i for i, hart in enumerate(result["harts"])}
    for data in harts:
        records = data.records
        steals = sum(1 for r in records if r[1] == T["steal_begin"])
        victim = (data.hart + 1) % len(harts)
        if steals:
            assert result["steals"]["matrix"][index[data.hart]][index[victim]] == steals
        remote = sum(1 for r in records if r[1] == T["remote"])
        assert result["drops"].get(str(data.hart), 0) == data.dropped or not records
        assert remote == 0 or result["remote"], result["remote"]
    assert result["steals"]["total"] == sum(1 for d in harts for r in d.records
                                            if r[1] == T["steal_begin"])
    assert sum(row["count"] for row in result["remote"]) == \
        sum(1 for d in harts for r in d.records if r[1] == T["remote"])
