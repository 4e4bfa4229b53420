"""A record type that only the contract knows is drawn by both converter loops.

The types below are added to a copy of trace/include, never to the real
contract, and nothing else changes: fastconv.c is compiled against the
copy with -Wall -Wextra -Werror (so -Wswitch sees the new enumerators),
and the tools run with NEURON_TRACE_INCLUDE naming the copy, in a child
process because contract.py reads the contract once, at import. Both
loops must write the same bytes, draw each new record as an instant
named after its type with b, h and w as arguments, refuse the same bad
hart fields (the flags) and leave a trace the checker and the report
accept.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neuronlib.perfetto import check as checklib
from neuronlib.perfetto import fastpath
from neuronlib.perfetto.convert import HART_TRACK
from neuronlib.perfetto.readback import Event, read
from neuronlib.tracefmt import dump as dumpfmt
from neuronlib.tracefmt.records import TYPE_BY_NAME as T

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"

# (name, number, flags, what b, h and w carry): numbers no real type has.
NEW_TYPES = [("PROBE", 60, "0", "b, h, w: anything"),
             ("PROBE_HART", 61, "TF_HART_B", "b a hart of the dump"),
             ("PROBE_VICTIM", 62, "TF_HART_B | TF_VICTIM", "b a hart with a section in the dump")]
PROBE, PROBE_HART, PROBE_VICTIM = (number for _, number, _, _ in NEW_TYPES)
NAMES = {number: name.lower() for name, number, _, _ in NEW_TYPES}
MAX_HARTS = 4

# Run in the child: both loops over one dump, each output to OUT.ENGINE.
_CONVERT_BOTH = """
import json, os, sys
from neuronlib.perfetto import convert, fastpath
from neuronlib.tracefmt import dump as dumpfmt
path, out = sys.argv[1], sys.argv[2]
results = {}
for engine in ("c", "python"):
    if engine == "python":
        os.environ[fastpath.FORCE_PYTHON] = "1"
    with open(out + "." + engine, "wb") as stream:
        converter = convert.Converter(dumpfmt.load(path), stream, progress=False)
        try:
            result = converter.run()
        except (convert.ConvertError, dumpfmt.DumpError) as error:
            result = [type(error).__name__, str(error)]
    results[engine] = [converter.engine, result]
print(json.dumps(results))
"""


def _with_types(contract: str, entries) -> str:
    """The contract text with entries appended to TRACE_TYPE_LIST."""
    lines = contract.splitlines()
    start = lines.index("#define TRACE_TYPE_LIST(X) \\")
    last = next(i for i in range(start, len(lines)) if not lines[i].endswith("\\"))
    added = [f'\tX({name}, {number}, {flags}, "{carries}")' for name, number, flags, carries in entries]
    lines[last] += " \\"
    lines[last + 1:last + 1] = [line + " \\" for line in added[:-1]] + added[-1:]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def contract_copy(tmp_path_factory):
    """(include directory with the new types, fastconv.c built against it)."""
    root = tmp_path_factory.mktemp("contract")
    include = root / "include"
    shutil.copytree(REPO / "trace" / "include", include)
    header = include / "neuron" / "trace_contract.h"
    header.write_text(_with_types(header.read_text(), NEW_TYPES))
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    library = root / "libfastconv-new-types.so"
    built = subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O1", "-shared", "-fPIC",
                            "-I", str(include), "-o", str(library), str(fastpath.SOURCE)],
                           capture_output=True, text=True)
    assert built.returncode == 0, f"fastconv.c with new record types:\n{built.stderr}"
    return include, library


def _tools(contract_copy, *args):
    include, library = contract_copy
    env = dict(os.environ, NEURON_TRACE_INCLUDE=str(include), NEURON_FASTCONV_LIB=str(library),
               PYTHONPATH=str(TOOLS), PYTHONDONTWRITEBYTECODE="1")
    env.pop(fastpath.FORCE_PYTHON, None)
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


def _convert_both(contract_copy, path: Path):
    """{engine: [engine that ran, counts or error]} and each engine's bytes."""
    out = path.with_suffix(".pftrace")
    done = _tools(contract_copy, "-c", _CONVERT_BOTH, str(path), str(out))
    assert done.returncode == 0, done.stderr
    assert "C accelerator unavailable" not in done.stderr
    results = json.loads(done.stdout)
    return results, {engine: Path(f"{out}.{engine}").read_bytes() for engine in results}


def _records(hart: int, rounds: int):
    """The new types among known ones, values varied (so templates get reused)."""
    other = 1 - hart
    seq = time = 0
    for i in range(rounds):
        batch = [(T["switch"], 3, 0, i % 5),
                 (PROBE, 200 + i % 50, i * 977 % (1 << 16), i * 40503 % (1 << 24)),
                 (T["wakeup"], other, 0, (i + 1) % 5), (PROBE_HART, i % MAX_HARTS, i, 0),
                 (T["ipi_send"], other, 1, i), (PROBE_VICTIM, other, 0xFFFF, (1 << 24) - 1),
                 (T["ipi_handled"], other, 1, i)]
        for kind, b, h, w in batch:
            time += 3 + (i + hart) % 4
            yield seq, kind, b, h, w, time
            seq += 1


def _write(path: Path, records_of) -> None:
    harts = []
    for hart in (0, 1):
        records = list(records_of(hart))
        harts.append(dumpfmt.HartData(hart, len(records), 0, records))
    dumpfmt.write(path, harts, max_harts=MAX_HARTS, capacity=4096)


def test_a_new_type_is_drawn_alike_by_both_loops(tmp_path, contract_copy):
    path = tmp_path / "new-types.dump"
    _write(path, lambda hart: _records(hart, 300))
    results, data = _convert_both(contract_copy, path)
    assert [results[e][0] for e in ("c", "python")] == ["c", "python"]
    assert results["c"][1] == results["python"][1] and isinstance(results["c"][1], dict)
    assert data["c"] == data["python"], "the loops' outputs differ"

    trace = path.with_suffix(".pftrace.c")
    drawn: dict[int, list] = {0: [], 1: []}
    for item in read(trace):
        if isinstance(item, Event) and item.categories == ("generic",):
            drawn[item.track - HART_TRACK].append((item.name, item.args))
    for hart in (0, 1):
        expected = [(NAMES[kind], {"b": b, "h": h, "w": w})
                    for _, kind, b, h, w, _ in _records(hart, 300) if kind in NAMES]
        assert drawn[hart] == expected
    result = checklib.check(trace)
    assert result.ok, result.errors


def test_the_front_door_takes_a_new_type(tmp_path, contract_copy):
    """convert (which runs the checker) and report, unchanged."""
    path = tmp_path / "new-types.dump"
    _write(path, lambda hart: _records(hart, 20))
    neuron = str(TOOLS / "neuron")
    converted = _tools(contract_copy, neuron, "convert", str(path), "--out", str(tmp_path / "t.pftrace"))
    assert converted.returncode == 0, converted.stderr
    assert "check: ok" in converted.stdout
    reported = _tools(contract_copy, neuron, "report", str(path), "--json")
    assert reported.returncode == 0, reported.stderr
    assert json.loads(reported.stdout)


@pytest.mark.parametrize("kind,b,refusal", [
    (PROBE_HART, MAX_HARTS, rf"probe_hart names hart {MAX_HARTS}, the dump's NEURON_MAX_HARTS is {MAX_HARTS}"),
    (PROBE_VICTIM, 2, r"probe_victim names victim hart 2, which has no section in the dump"),
    (PROBE, 0xFF, None),   # no flag: b is no hart, anything goes
])
def test_a_new_types_flags_hold_in_both_loops(tmp_path, contract_copy, kind, b, refusal):
    path = tmp_path / "flags.dump"

    def records(hart):
        yield 0, T["runq_len"], 0, 1, 0, 10
        yield 1, kind, b, 0, 0, 20

    _write(path, records)
    results, _ = _convert_both(contract_copy, path)
    assert results["c"][1] == results["python"][1]
    if refusal is None:
        assert isinstance(results["c"][1], dict)
    else:
        assert results["c"][1][0] == "DumpError" and re.search(refusal, results["c"][1][1])
