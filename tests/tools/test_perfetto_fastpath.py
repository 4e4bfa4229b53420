"""fastconv.c (the converter's C loop) writes the same bytes as the Python loop.

Each dump is converted twice, NEURON_CONVERT_PYTHON=1 for the Python
loop, and the two outputs, counts and errors must be identical. The
dumps cover every record type of the contract with small id spaces (so ids collide and
get reused), several harts, both ring modes, drops, a timebase that does
not divide 1 GHz, a wrapped 40-bit clock, IPI sends that wait past the
flow window or overflow the pending table, bad records and a real dump
of the audit kernel when one is built. NEURON_FASTCONV_LIB selects the
library under test (the sanitizer build in tests/tools/CMakeLists.txt).
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from neuronlib.perfetto import convert, fastpath
from neuronlib.tracefmt import dump as dumpfmt
from neuronlib.tracefmt import synth
from neuronlib.tracefmt.records import TYPE_BY_NAME as T

REPO = Path(__file__).resolve().parents[2]
AUDIT_ELF = REPO / "build" / "audit" / "kernel" / "neuron.elf"
REAL_DUMPS = (REPO / "build" / "trace" / "mixed-4h-seed1.dump",
              REPO / "build" / "bench" / "converter" / "demo" / "mixed-4h-seed1.dump")


def _convert(path, monkeypatch, python: bool, elf=None):
    """(engine, bytes, counts or the error's type and text) of one conversion."""
    if python:
        monkeypatch.setenv(fastpath.FORCE_PYTHON, "1")
    else:
        monkeypatch.delenv(fastpath.FORCE_PYTHON, raising=False)
    out = io.BytesIO()
    dump = dumpfmt.load(path, elf)
    converter = convert.Converter(dump, out, progress=False)
    try:
        result = converter.run()
    except (convert.ConvertError, dumpfmt.DumpError) as error:
        result = (type(error).__name__, str(error))
    return converter.engine, out.getvalue(), result


def _assert_same(path, monkeypatch, elf=None):
    engine_c, data_c, result_c = _convert(path, monkeypatch, python=False, elf=elf)
    engine_py, data_py, result_py = _convert(path, monkeypatch, python=True, elf=elf)
    assert (engine_c, engine_py) == ("c", "python")
    assert result_c == result_py
    # After an error the partial output is discarded (pipeline.py): only
    # the error must match.
    if isinstance(result_c, dict) and data_c != data_py:
        where = next((i for i, (x, y) in enumerate(zip(data_c, data_py)) if x != y),
                     min(len(data_c), len(data_py)))
        pytest.fail(f"{path.name}: outputs differ from byte {where} "
                    f"(C {len(data_c)} bytes, Python {len(data_py)})")
    return data_c, result_c


def _mixed_records(rng, hart, harts, count, start_time, gaps):
    """Every record type, small id spaces; seq gaps when `gaps` (lost records)."""
    kinds = ["remote", "unchecked", "violation", "switch", "switch", "switch", "wakeup", "wakeup",
             "task_new", "steal_begin", "steal_end", "ipi_send", "ipi_send", "ipi_recv",
             "ipi_handled", "ipi_handled", "idle_enter", "idle_exit", "runq_len", "mark"]
    # A type the contract gained since this list was written comes too
    # (any b names a hart of the dump, so its flags hold): both loops
    # must draw it alike, generically or not.
    kinds += sorted(name for name in T if name not in kinds)
    seq, time = 0, start_time
    for _ in range(count):
        time += rng.choice((0, 1, 2, 7, 40, 300))
        kind = rng.choice(kinds)
        other = rng.randrange(harts)
        task = rng.randrange(12)
        if kind in ("remote", "unchecked"):
            b, h, w = other, rng.randrange(4), rng.randrange(5)
        elif kind == "violation":
            b, h, w = other, rng.randrange(4), rng.randrange(5) | rng.randrange(16) << 20
        elif kind == "switch":
            b, h, w = rng.choice((0, 0, 1, 2, 3)), task, rng.choice((rng.randrange(12), (1 << 24) - 1))
        elif kind in ("wakeup", "task_new"):
            b, h, w = other, 0, task
        elif kind in ("steal_begin", "steal_end"):
            b, h, w = other, rng.randrange(3), rng.randrange(6)
        elif kind.startswith("ipi"):
            b, h, w = other, rng.randrange(3), rng.randrange(40)
        elif kind == "runq_len":
            b, h, w = 0, rng.randrange(4), 0
        elif kind == "mark":
            b, h, w = 0, rng.choice((1, 1, 2, 3)), rng.randrange(3)
        elif kind in ("idle_enter", "idle_exit"):
            b = h = w = 0
        else:
            b, h, w = other, rng.randrange(1 << 16), rng.randrange(1 << 24)
        yield seq, T[kind], b, h, w, time
        seq += 1 + (rng.randrange(1, 6) if gaps and rng.random() < 0.02 else 0)


def _write_mixed(path, seed, harts, count, mode="overwrite", hz=10_000_000, gaps=False,
                 start_time=1000):
    rng = random.Random(seed)
    data = []
    for hart in range(harts):
        records = list(_mixed_records(rng, hart, harts, count, start_time + hart, gaps))
        produced = records[-1][0] + 1 + (rng.randrange(4) if gaps else 0)
        data.append(dumpfmt.HartData(hart, produced, produced - len(records), records))
    dumpfmt.write(path, data, timebase_hz=hz, mode=mode, capacity=count, max_harts=32)


@pytest.mark.parametrize("seed,harts,mode,hz,gaps,start", [
    (1, 1, "overwrite", 10_000_000, False, 1000),
    (2, 3, "overwrite", 10_000_000, True, 1000),
    (3, 4, "stop", 10_000_000, True, 1000),
    (4, 8, "overwrite", 3_000_000, False, 1000),          # ticks -> ns
    (5, 2, "overwrite", 10_000_000, True, (1 << 40) - 20_000),   # the 40-bit time wraps
])
def test_mixed_dumps_identical(tmp_path, monkeypatch, seed, harts, mode, hz, gaps, start):
    path = tmp_path / f"mixed-{seed}.dump"
    _write_mixed(path, seed, harts, 6000, mode, hz, gaps, start)
    data, counts = _assert_same(path, monkeypatch)
    assert isinstance(counts, dict) and counts["records"] == 6000 * harts
    assert len(data) > 6000 * harts


@pytest.mark.parametrize("seed,harts", [(1, 4), (9, 2)])
def test_synthetic_benchmark_dumps_identical(tmp_path, monkeypatch, seed, harts):
    path = tmp_path / "synth.dump"
    synth.generate(path, 60_000, harts=harts, seed=seed)
    _assert_same(path, monkeypatch)


def test_ipi_flow_window_and_pending_overflow_identical(tmp_path, monkeypatch):
    """Sends whose receiver comes after the window, after the pending table
    overflowed, within the window, and ids reused before any receiver."""
    sends = 70_000
    sender = [(i, T["ipi_send"], 1, 0, i % 69_000, 100 + 2 * i) for i in range(sends)]
    late = [0, 1, 2, 68_990, 69_500, 69_990]
    receiver = []
    for j, ipi in enumerate(late):
        receiver.append((2 * j, T["ipi_recv"], 0, 0, ipi, 100 + 2 * sends + 10 * j))
        receiver.append((2 * j + 1, T["ipi_handled"], 0, 0, ipi, 101 + 2 * sends + 10 * j))
    path = tmp_path / "window.dump"
    dumpfmt.write(path, [dumpfmt.HartData(0, sends, 0, sender),
                         dumpfmt.HartData(1, len(receiver), 0, receiver)],
                  capacity=sends, max_harts=32)
    data, counts = _assert_same(path, monkeypatch)
    assert counts["records"] == sends + len(receiver)


def test_unknown_switch_state_same_error(tmp_path, monkeypatch):
    records = [(0, T["switch"], 0, 1, 2, 10), (1, T["switch"], 9, 2, 3, 20)]
    path = tmp_path / "switch.dump"
    dumpfmt.write(path, [dumpfmt.HartData(0, 2, 0, records)], capacity=4, max_harts=32)
    _, result = _assert_same(path, monkeypatch)
    assert result == ("DumpError", f"{path}: offset {64 + 32 + 16} (hart 0): "
                      "switch with unknown previous state 9")


HART_FIELDS = {"remote": "owner", "unchecked": "owner", "wakeup": "target", "task_new": "home",
               "steal_begin": "victim", "steal_end": "victim", "ipi_send": "target",
               "ipi_recv": "sender", "ipi_handled": "sender"}


@pytest.mark.parametrize("kind", sorted(HART_FIELDS))
@pytest.mark.parametrize("hart", [31, 32, 200, 255])
def test_hart_fields_same_verdict(tmp_path, monkeypatch, kind, hart):
    """A hart field below the dump's max_harts (32) is accepted by both loops
    with the same bytes; at or beyond it, refused by both with the same line."""
    records = [(0, T["task_new"], 0, 0, 1, 10), (1, T[kind], hart, 0, 1, 20),
               (2, T["switch"], 3, 0, 1, 30)]
    path = tmp_path / "harts.dump"
    dumpfmt.write(path, [dumpfmt.HartData(0, 3, 0, records), dumpfmt.HartData(31, 0, 0, [])],
                  capacity=4, max_harts=32)
    _, result = _assert_same(path, monkeypatch)
    if hart < 32:
        assert isinstance(result, dict) and result["records"] == 3
    else:
        assert result[0] == "DumpError" and f"offset {64 + 32 + 16} (hart 0)" in result[1]
        assert f"names hart {hart}" in result[1]


@pytest.mark.parametrize("max_harts", [32, 255, 256])
def test_sections_up_to_max_harts_same_bytes(tmp_path, monkeypatch, max_harts):
    """Sections for the highest hart ids a dump can have lose nothing in either loop."""
    harts = [0, max_harts // 2, max_harts - 1]
    data = []
    for hart in harts:
        other = harts[(harts.index(hart) + 1) % len(harts)]
        records = [(0, T["task_new"], hart, 0, hart, 10 + hart), (1, T["switch"], 3, 0, hart, 20 + hart),
                   (2, T["ipi_send"], other, 0, 7, 30 + hart), (3, T["steal_begin"], other, 0, 1, 40 + hart),
                   (4, T["steal_end"], other, 1, 1, 50 + hart)]
        data.append(dumpfmt.HartData(hart, 5, 0, records))
    path = tmp_path / "high.dump"
    dumpfmt.write(path, data, capacity=8, max_harts=max_harts)
    _, result = _assert_same(path, monkeypatch)
    assert result["records"] == 15


def test_max_harts_beyond_the_format_refused(tmp_path, monkeypatch):
    path = tmp_path / "wide.dump"
    dumpfmt.write(path, [dumpfmt.HartData(300, 1, 0, [(0, T["mark"], 0, 1, 0, 5)])],
                  capacity=4, max_harts=1000)
    with pytest.raises(dumpfmt.DumpError, match="offset 40: NEURON_MAX_HARTS 1000"):
        dumpfmt.load(path)


@pytest.mark.parametrize("step,accepted", [
    (1, True), ((1 << 39) - 1, True),                 # forward, across the 40-bit wrap too
    (0, True), (1 << 39, False), ((1 << 40) - 1, False),   # half the range or more: backwards
])
@pytest.mark.parametrize("start", [1000, (1 << 40) - 10])
def test_time_steps_same_verdict(tmp_path, monkeypatch, step, accepted, start):
    """Time may only go forward, by less than 2^39 ticks (wrapping the 40 bits
    when it must); both loops accept and refuse the same steps."""
    t0 = start
    t1 = t0 + step
    records = [(0, T["mark"], 0, 1, 0, t0), (1, T["mark"], 0, 2, 0, t1), (2, T["mark"], 0, 2, 0, t1)]
    path = tmp_path / "time.dump"
    dumpfmt.write(path, [dumpfmt.HartData(0, 3, 0, records)], capacity=4, max_harts=32)
    _, result = _assert_same(path, monkeypatch)
    if accepted:
        assert isinstance(result, dict) and result["records"] == 3
    else:
        assert result[0] == "DumpError" and "time goes backwards" in result[1]
        assert f"offset {64 + 32 + 16} (hart 0)" in result[1]


def test_random_records_same_verdict(tmp_path, monkeypatch):
    """One random 16-byte record in a valid dump: both loops give the same
    verdict (and bytes) whatever it holds."""
    rng = random.Random(7)
    path = tmp_path / "random.dump"
    _write_mixed(path, 21, 2, 60)
    good = path.read_bytes()
    verdicts = set()
    for _ in range(150):
        data = bytearray(good)
        at = 64 + 32 + rng.randrange(60) * 16
        record = bytearray(rng.randbytes(16))
        if rng.random() < 0.7:               # a plausible seq and type, so later checks run
            record[0:4] = data[at:at + 4]
            record[4] = rng.choice(sorted(T.values()))
            record[5] = rng.choice((record[5], rng.randrange(4)))
            record[8:13] = data[at + 8:at + 13]    # its time; b, h and w stay random
        data[at:at + 16] = record
        path.write_bytes(bytes(data))
        _, result = _assert_same(path, monkeypatch)
        verdicts.add(isinstance(result, dict))
    assert verdicts == {True, False}


def test_first_seq_before_zero_same_verdict(tmp_path, monkeypatch):
    """A first record whose 32-bit seq, taken nearest to where the kept records
    start, would be negative: a record the hart never produced, refused by both."""
    records = [(0x90000000, T["mark"], 0, 1, 0, 5)] + [(i, T["mark"], 0, 2, 0, 10 + i) for i in (1, 2, 3)]
    path = tmp_path / "negative.dump"
    dumpfmt.write(path, [dumpfmt.HartData(0, 4, 0, records)], capacity=4, max_harts=32)
    _, result = _assert_same(path, monkeypatch)
    assert result[0] == "DumpError" and f"offset {64 + 32} (hart 0): seq -" in result[1]


@pytest.mark.parametrize("bad", ["type", "seq backwards", "seq beyond produced", "time backwards",
                                 "hart field", "switch state"])
def test_bad_record_same_one_line_error(tmp_path, monkeypatch, bad):
    path = tmp_path / "bad.dump"
    _write_mixed(path, 11, 2, 500)
    data = bytearray(path.read_bytes())
    hart1_first = 64 + 32 + 500 * 16 + 32
    record = hart1_first + 300 * 16
    if bad == "type":
        data[record + 4] = 9
    elif bad == "seq backwards":
        data[record:record + 4] = (5).to_bytes(4, "little")
    elif bad == "seq beyond produced":
        data[record:record + 4] = (100_000).to_bytes(4, "little")
    elif bad == "time backwards":
        previous = int.from_bytes(data[record - 8:record - 3], "little")
        data[record + 8:record + 13] = ((previous - 1) % (1 << 40)).to_bytes(5, "little")
    elif bad == "hart field":
        data[record + 4] = T["steal_begin"]
        data[record + 5] = 32
    else:
        data[record + 4] = T["switch"]
        data[record + 5] = 4
    path.write_bytes(bytes(data))
    _, result = _assert_same(path, monkeypatch)
    assert result[0] == "DumpError"
    assert f"offset {record} (hart 1)" in result[1] and "\n" not in result[1]


def test_real_dump_identical(monkeypatch):
    """The dumps `tools/neuron trace` and the benchmark leave in the build tree,
    when one matches the audit kernel built there now."""
    matching = []
    for path in REAL_DUMPS:
        try:
            if path.is_file() and AUDIT_ELF.is_file():
                dumpfmt.load(path, AUDIT_ELF)
                matching.append(path)
        except dumpfmt.DumpError:
            continue   # a dump of an earlier build of the kernel
    if not matching:
        pytest.skip("no dump of the current audit kernel in the build tree (tools/neuron trace)")
    data, counts = _assert_same(matching[0], monkeypatch, elf=AUDIT_ELF)
    assert counts["records"] > 0


def test_forced_python_and_fallback_message(tmp_path, monkeypatch, capfd):
    path = tmp_path / "small.dump"
    _write_mixed(path, 3, 2, 100)
    monkeypatch.setenv(fastpath.LIBRARY_OVERRIDE, str(tmp_path / "missing.so"))
    monkeypatch.setattr(fastpath, "_loaded", [])
    engine, data, _ = _convert(path, monkeypatch, python=False)
    engine_again, _, _ = _convert(path, monkeypatch, python=False)
    err = capfd.readouterr().err
    assert (engine, engine_again) == ("python", "python") and data
    assert err.count("C accelerator unavailable") == 1 and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("victim,accepted", [(1, True), (2, False), (31, False)])
def test_steal_victim_must_have_a_section_same_verdict(tmp_path, monkeypatch, victim, accepted):
    """A steal is drawn on its victim's track: a victim below max_harts but
    without a section in the dump is refused by both loops (it made the
    converted trace fail its check, and the report invent the hart)."""
    records = [(0, T["steal_begin"], victim, 0, 1, 10), (1, T["steal_end"], victim, 1, 1, 20)]
    path = tmp_path / "victim.dump"
    dumpfmt.write(path, [dumpfmt.HartData(0, 2, 0, records), dumpfmt.HartData(1, 0, 0, [])],
                  capacity=4, max_harts=32)
    _, result = _assert_same(path, monkeypatch)
    if accepted:
        assert result["records"] == 2
    else:
        assert result[0] == "DumpError" and "has no section" in result[1]


def test_timebase_zero_refused(tmp_path):
    path = tmp_path / "zero.dump"
    dumpfmt.write(path, [dumpfmt.HartData(0, 1, 0, [(0, T["mark"], 0, 1, 0, 5)])], timebase_hz=0)
    with pytest.raises(dumpfmt.DumpError, match="offset 24: timebase 0 Hz"):
        dumpfmt.load(path)
