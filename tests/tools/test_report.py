"""tools/neuron report: the numbers, the formats, bad input."""

import json
import subprocess
from pathlib import Path

from neuronlib import report
from neuronlib.perfetto import convert, fakedump

NEURON = Path(__file__).resolve().parents[2] / "tools" / "neuron"


def neuron(*args):
    return subprocess.run([str(NEURON), *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


def trace(tmp_path, name="t.pftrace", **options):
    dump, truth = fakedump.scenario(**options)
    path = tmp_path / name
    with open(path, "wb") as out:
        convert.convert(dump, out, progress=False)
    return path, dump, truth


def test_report_numbers_equal_the_simulated_run(tmp_path):
    path, dump, truth = trace(tmp_path, seed=11, harts=3, steps=2500, drop_every=9)
    result = report.report(path)
    harts = result["harts"]
    assert harts == [0, 1, 2]
    for t, thief in enumerate(harts):
        for v, victim in enumerate(harts):
            assert result["steals"]["matrix"][t][v] == truth.steals.get((thief, victim), 0)
            assert result["steals"]["tasks_taken"][t][v] == truth.tasks_taken.get((thief, victim), 0)
    # hart 1 lost records: some handled IPIs lost their send, and so their latency
    latencies = sum(row["count"] for row in result["ipi"].values())
    assert latencies + result["ipi_handled_without_send"] == sum(truth.ipis.values())
    assert result["ipi_handled_without_send"] > 0
    for row in result["ipi"].values():
        assert 0 < row["p50_ns"] <= row["p90_ns"] <= row["p99_ns"] <= row["max_ns"]
    assert {(r["variable"], r["kind"]): r["count"] for r in result["remote"]} == truth.remote
    assert result["violations"]["total"] == truth.violations
    assert result["drops"] == {str(h): n for h, n in truth.drops.items()} and truth.drops[1] > 0


def test_ipi_counts_per_kind_without_drops(tmp_path):
    path, _, truth = trace(tmp_path, seed=12, harts=4, steps=2000)
    result = report.report(path)
    assert {k: row["count"] for k, row in result["ipi"].items()} == truth.ipis
    assert result["ipi_handled_without_send"] == 0


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert [report.percentile(values, p) for p in (50, 90, 99)] == [50, 90, 99]
    assert report.percentile([7], 99) == 7


def test_cli_json_and_text(tmp_path):
    path, _, truth = trace(tmp_path, seed=2, harts=2, steps=800)
    result = neuron("report", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["violations"]["total"] == truth.violations
    text = neuron("report", str(path))
    assert text.returncode == 0 and "steal attempts (rows: thief hart" in text.stdout
    assert "IPI latency" in text.stdout


def test_cli_reads_a_dump_file(tmp_path):
    from neuronlib.tracefmt import synth
    synth.generate(tmp_path / "s.dump", 5000, harts=2, seed=1)
    result = neuron("report", str(tmp_path / "s.dump"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["steals"]["total"] > 0


def test_bad_input_is_one_line_and_non_zero(tmp_path):
    missing = neuron("report", str(tmp_path / "nope"))
    assert missing.returncode != 0
    assert missing.stderr.startswith(f"neuron: report: {tmp_path / 'nope'}: ")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x0a\xff\xff\x03abc")
    bad = neuron("report", str(junk))
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith(f"neuron: report: {junk}: truncated")
    dumpish = tmp_path / "d.dump"
    dumpish.write_bytes(b"NRNTRACX" + bytes(200))
    bad = neuron("report", str(dumpish))
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
