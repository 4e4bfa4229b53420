"""Bad input to convert and report: one line naming file, offset and hart,
exit 1, and no output file unless it is complete (docs/reliability.md).

Each case damages a small valid dump the way a user's file gets damaged
(a flipped byte, a duplicated or skipped seq, an absurd count, time going
backwards, a hart the dump cannot have) and runs tools/neuron as a
process, as a user would.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from neuronlib.tracefmt import dump as dumpfmt
from neuronlib.tracefmt.records import RECORD_SIZE, TYPE_BY_NAME as T

NEURON = Path(__file__).resolve().parents[2] / "tools" / "neuron"
HEADER = 64
SECTION = 32
RECORDS = 40           # per hart


def neuron(*args, cwd=None, timeout=120):
    return subprocess.run([str(NEURON), *map(str, args)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwd)


def _records(hart: int, harts: int):
    """A little of everything, each hart field naming a real hart."""
    time = 1000 + hart
    kinds = [("task_new", hart, 0, 1), ("switch", 3, 0, 1), ("ipi_send", (hart + 1) % harts, 0, 5),
             ("ipi_recv", (hart + harts - 1) % harts, 0, 5),
             ("ipi_handled", (hart + harts - 1) % harts, 0, 5), ("steal_begin", (hart + 1) % harts, 0, 2),
             ("steal_end", (hart + 1) % harts, 1, 2), ("idle_enter", 0, 0, 0), ("idle_exit", 0, 0, 0),
             ("runq_len", 0, 2, 0), ("wakeup", hart, 0, 1), ("remote", (hart + 1) % harts, 0, 0)]
    for seq in range(RECORDS):
        name, b, h, w = kinds[seq % len(kinds)]
        time += 7
        yield seq, T[name], b, h, w, time


def write_dump(path: Path, harts: int = 2, max_harts: int = 32, hart_ids=None) -> Path:
    data = [dumpfmt.HartData(hart, RECORDS, 0, list(_records(hart, harts)))
            for hart in (hart_ids or range(harts))]
    dumpfmt.write(path, data, capacity=RECORDS, max_harts=max_harts)
    return path


def record_offset(hart_index: int, index: int) -> int:
    return HEADER + SECTION + hart_index * (SECTION + RECORDS * RECORD_SIZE) + index * RECORD_SIZE


def damage(path: Path, how: str) -> int:
    """Damage hart 1's records; returns the offset the error must name."""
    data = bytearray(path.read_bytes())
    at = record_offset(1, 10)
    if how == "flipped type":
        data[at + 4] = 0
    elif how == "duplicated seq":
        data[at:at + 4] = data[at - RECORD_SIZE:at - RECORD_SIZE + 4]
    elif how == "seq gap":
        data[at:at + 4] = (10 + 7).to_bytes(4, "little")     # 7 records skipped ...
        # ... and every later seq follows it, so the last ones pass `produced`
        for i in range(11, RECORDS):
            o = record_offset(1, i)
            data[o:o + 4] = (i + 7).to_bytes(4, "little")
        at = record_offset(1, RECORDS - 7)
    elif how == "huge produced":
        section = record_offset(1, 0) - SECTION
        data[section + 8:section + 16] = (1 << 62).to_bytes(8, "little")
        data[section + 16:section + 24] = ((1 << 62) - RECORDS).to_bytes(8, "little")
        at = section + 8
    elif how == "time backwards":
        previous = int.from_bytes(data[at - 8:at - 3], "little")
        data[at + 8:at + 13] = (previous - 1).to_bytes(5, "little")
    elif how.startswith("hart "):                     # hart 200 as victim, target, owner, ...
        field = how.split()[1]
        index = {"victim": 5, "target": 2, "sender": 3, "owner": 11, "home": 0}[field]
        at = record_offset(1, index)
        data[at + 5] = 200
    else:
        raise AssertionError(how)
    path.write_bytes(bytes(data))
    return at


CASES = ["flipped type", "duplicated seq", "seq gap", "huge produced", "time backwards",
         "hart victim", "hart target", "hart sender", "hart owner", "hart home"]


def _assert_one_line(result, path: Path, offset: int, hart: int = 1):
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{path.name}: offset {offset} (hart {hart}):" in lines[0], lines[0]
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("how", CASES)
def test_convert_bad_record_one_line_exit_1_no_file(tmp_path, how):
    path = write_dump(tmp_path / "d.dump")
    offset = damage(path, how)
    result = neuron("convert", path, "--out", tmp_path / "d.pftrace")
    _assert_one_line(result, path, offset)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.dump"]


@pytest.mark.parametrize("how", CASES)
def test_report_json_bad_record_one_line_exit_1_no_output(tmp_path, how):
    path = write_dump(tmp_path / "d.dump")
    offset = damage(path, how)
    result = neuron("report", path, "--json")
    _assert_one_line(result, path, offset)
    assert result.stdout == ""


@pytest.mark.parametrize("how", ["flipped type", "duplicated seq", "time backwards", "hart victim"])
def test_salvage_skips_the_bad_record_and_names_its_offset(tmp_path, how):
    path = write_dump(tmp_path / "d.dump")
    offset = damage(path, how)
    out = tmp_path / "d.pftrace"
    result = neuron("convert", path, "--out", out, "--salvage")
    assert result.returncode == 0, result.stderr
    assert f"offset {offset} (hart 1)" in result.stderr and "(skipped)" in result.stderr
    assert out.is_file() and not (tmp_path / "d.pftrace.partial").exists()


def test_valid_dump_converts_and_reports(tmp_path):
    path = write_dump(tmp_path / "d.dump", harts=3)
    result = neuron("convert", path)
    assert result.returncode == 0, result.stderr
    report = neuron("report", tmp_path / "d.pftrace", "--json")
    assert report.returncode == 0 and json.loads(report.stdout)["harts"] == [0, 1, 2]


def test_convert_refuses_to_overwrite_its_input(tmp_path):
    path = write_dump(tmp_path / "d.dump")
    before = path.read_bytes()
    result = neuron("convert", path, "--out", path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.dump"]


def test_unwritable_output_is_one_line(tmp_path):
    path = write_dump(tmp_path / "d.dump")
    result = neuron("convert", path, "--out", tmp_path / "missing" / "d.pftrace")
    assert result.returncode in (1, 2) and len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("length", [1 << 35, 1 << 63, (1 << 64) - 1])
def test_pftrace_announcing_a_huge_packet(tmp_path, length):
    """A .pftrace whose packet says it is 32 GiB or 8 EiB long: one line, exit 1."""
    from neuronlib.perfetto.wire import varint
    path = tmp_path / "huge.pftrace"
    path.write_bytes(b"\x0a" + varint(length) + b"\x00" * 64)
    result = neuron("report", path)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "huge.pftrace" in result.stderr
    assert "byte 0" in result.stderr and "internal error" not in result.stderr


def test_salvage_skips_many_random_records(tmp_path):
    """Random bytes over several records of each hart: salvage keeps the rest and
    names each skipped record's offset, instead of stopping at the first."""
    import random
    rng = random.Random(3)
    path = write_dump(tmp_path / "d.dump", harts=3)
    data = bytearray(path.read_bytes())
    offsets = sorted(record_offset(h, i) for h in range(3) for i in rng.sample(range(RECORDS), 3))
    for at in offsets:
        data[at:at + RECORD_SIZE] = bytes([rng.randrange(256) for _ in range(4)]) + \
            bytes([0x10, 200]) + bytes(rng.randrange(256) for _ in range(10))
    path.write_bytes(bytes(data))
    result = neuron("convert", path, "--salvage", "--out", tmp_path / "d.pftrace")
    assert result.returncode == 0, result.stderr
    for at in offsets:
        assert f"offset {at} (hart" in result.stderr
    report = neuron("report", path, "--salvage", "--json")
    assert report.returncode == 0 and json.loads(report.stdout)["harts"] == [0, 1, 2]


def test_report_refuses_a_pftrace_naming_an_undeclared_hart(tmp_path):
    """A .pftrace (not a dump: the reader's checks do not apply) whose steal
    names victim hart 200 of a 2-hart trace: one line, exit 1, no hart 200."""
    from neuronlib.perfetto import convert, fakedump
    records = [(0, T["steal_begin"], 200, 0, 1, 10), (1, T["steal_end"], 200, 1, 1, 20)]
    dump = fakedump.FakeDump(
        harts=[fakedump.FakeRing(0, 2, 0, 2, records), fakedump.FakeRing(1, 0, 0, 0, [])],
        timebase_hz=fakedump.TIMEBASE_HZ, tables=None)
    path = tmp_path / "forged.pftrace"
    with open(path, "wb") as out:
        convert.convert(dump, out, progress=False)
    result = neuron("report", path, "--json")
    assert result.returncode == 1 and result.stdout == "", result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "forged.pftrace: byte " in result.stderr and "names hart 200" in result.stderr


def test_dump_write_leaves_no_file_when_it_fails(tmp_path):
    """The dump writer (gdb's ring_dump, the console stream, generators) is
    all or nothing: records that cannot be written leave no dump."""
    path = tmp_path / "x.dump"
    def records():
        yield (0, T["mark"], 0, 1, 0, 5)
        raise RuntimeError("the reader of the rings failed")
    with pytest.raises(RuntimeError):
        dumpfmt.write(path, [dumpfmt.HartData(0, 2, 0, records(), kept=2)])
    assert list(tmp_path.iterdir()) == []


def test_pftrace_packet_the_protobuf_runtime_only_warns_about(tmp_path):
    """A packet holding an end-group tag: protobuf's C runtime decodes it with a
    RuntimeWarning, which printed a second line; now it is the one-line error."""
    path = tmp_path / "group.pftrace"
    path.write_bytes(b"\x0a\x03\x08\x01\x0c")
    result = neuron("report", path)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "group.pftrace: byte 0: packet does not decode" in result.stderr


def test_pftrace_names_that_are_not_utf8(tmp_path):
    """Interned names with a byte that is not UTF-8: protobuf hands them back
    as bytes, which the report compared with text (TypeError, exit 70)."""
    dump = write_dump(tmp_path / "d.dump")
    out = tmp_path / "d.pftrace"
    assert neuron("convert", dump, "--out", out, "--uncompressed").returncode == 0
    data = out.read_bytes()
    assert b"ipi resched 0->1 send" in data
    out.write_bytes(data.replace(b"ipi resched 0->1 send", b"ipi resched 0->1 s\xffnd")
                    .replace(b"stolen from", b"stol\xffn from"))
    result = neuron("report", out, "--json")
    assert result.returncode in (0, 1) and "internal error" not in result.stderr, result.stderr
    # Nothing else on stderr: the C++ protobuf runtime logged each such
    # string itself ("[libprotobuf ERROR ...]") until the schema declared
    # them bytes.
    assert len(result.stderr.splitlines()) == (result.returncode != 0), result.stderr
    assert "libprotobuf" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", [("report", "{x}"), ("report", "{dump}", "--elf", "{x}"),
                                     ("convert", "{x}", "--out", "{out}"),
                                     ("convert", "{dump}", "--elf", "{x}", "--out", "{out}"),
                                     ("diff", "{dump}", "{x}")])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_device_is_one_line_not_a_hang(tmp_path, command, kind):
    """A FIFO with no writer blocked the reader's open() forever; a device
    or pipe cannot be opened twice and mapped as the readers do: one line,
    exit 1, in a second."""
    import os
    if kind == "fifo":
        x = tmp_path / "pipe"
        os.mkfifo(x)
    else:
        x = Path("/dev/zero")
    dump = write_dump(tmp_path / "d.dump")
    args = [a.format(x=x, dump=dump, out=tmp_path / "o.pftrace") for a in command]
    result = neuron(*args, timeout=10)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "not a regular file" in result.stderr and result.stdout == ""
    assert not (tmp_path / "o.pftrace").exists()
