"""`tools/neuron bench` rewrites docs/benchmarks.md whole or not at all."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def _bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_failed_write_leaves_the_document_as_it_was(tmp_path, monkeypatch):
    """A write that dies half way (a full disk, a kill) used to leave the
    document cut short: now it goes to a temporary name, renamed once whole."""
    run = _bench_run()
    begin, end = run.part_markers("drain")
    doc = tmp_path / "benchmarks.md"
    original = "# Benchmarks\n\n" + begin + "old table\n" + end + "\nthe rest\n"
    doc.write_text(original)
    real_write_text = Path.write_text

    def half_then_fail(self, text, *args, **kwargs):
        real_write_text(self, text[:len(text) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Path, "write_text", half_then_fail)
    with pytest.raises(OSError):
        run.update(doc, {"drain": ["new table"]})
    monkeypatch.undo()
    assert doc.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["benchmarks.md"]
    run.update(doc, {"drain": ["new table"]})
    assert "new table" in doc.read_text() and "the rest" in doc.read_text()
