"""tools/neuron diff: deltas and the first diverging scheduling decision."""

import json
import subprocess
from pathlib import Path

from neuronlib import report, tracediff
from neuronlib.perfetto import convert, fakedump
from neuronlib.perfetto import records as R

NEURON = Path(__file__).resolve().parents[2] / "tools" / "neuron"


def write(dump, path):
    with open(path, "wb") as out:
        convert.convert(dump, out, progress=False)
    return path


def test_a_run_against_itself_has_no_difference(tmp_path):
    a = write(fakedump.scenario(seed=1, harts=3, steps=1000)[0], tmp_path / "a.pftrace")
    b = write(fakedump.scenario(seed=1, harts=3, steps=1000)[0], tmp_path / "b.pftrace")
    result = tracediff.diff(a, b)
    assert result["first_divergence"] is None
    assert all(v == 0 for row in result["steals_delta"] for v in row)


def test_deltas_are_b_minus_a(tmp_path):
    a = write(fakedump.scenario(seed=1, harts=3, steps=1000)[0], tmp_path / "a.pftrace")
    b = write(fakedump.scenario(seed=2, harts=3, steps=1000)[0], tmp_path / "b.pftrace")
    ra, rb = report.report(a), report.report(b)
    result = tracediff.diff(a, b)
    for t in range(3):
        for v in range(3):
            assert result["steals_delta"][t][v] == rb["steals"]["matrix"][t][v] - ra["steals"]["matrix"][t][v]
    for kind, row in result["ipi_delta"].items():
        assert row["count"] == rb["ipi"].get(kind, {}).get("count", 0) - ra["ipi"].get(kind, {}).get("count", 0)


def switches(tasks):
    records = [(i, R.SWITCH, R.TASK_IDLE if i == 0 else R.TASK_RUNNABLE, tasks[i - 1] if i else 0, t, 10 * (i + 1))
               for i, t in enumerate(tasks)]
    return fakedump.FakeDump([fakedump.FakeRing(0, len(records), 0, len(records), records)])


def test_first_divergence_names_the_hart_and_decision(tmp_path):
    a = write(switches([1, 2, 3, 4]), tmp_path / "a.pftrace")
    b = write(switches([1, 2, 4, 3]), tmp_path / "b.pftrace")
    found = tracediff.diff(a, b)["first_divergence"]
    assert found == {"hart": 0, "index": 2, "a": {"time_ns": 3000, "task": 3},
                     "b": {"time_ns": 3000, "task": 4}}
    shorter = write(switches([1, 2]), tmp_path / "c.pftrace")
    found = tracediff.diff(a, shorter)["first_divergence"]
    assert found["index"] == 2 and found["b"] is None


def test_cli(tmp_path):
    a = write(switches([1, 2, 3]), tmp_path / "a.pftrace")
    b = write(switches([1, 3, 2]), tmp_path / "b.pftrace")
    result = subprocess.run([str(NEURON), "diff", str(a), str(b), "--json"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["first_divergence"]["index"] == 1
    text = subprocess.run([str(NEURON), "diff", str(a), str(b)], capture_output=True, text=True, timeout=60)
    assert "first divergence on hart 0, decision #1" in text.stdout
    bad = subprocess.run([str(NEURON), "diff", str(a), str(tmp_path / "none")], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode != 0 and bad.stderr.startswith("neuron: diff: ")
