"""Configuring, building and testing through the CMake presets."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from typing import Iterable

from .errors import CmakeError
from .paths import REPO_ROOT, build_dir


def _cmake(*arguments: str) -> int:
    try:
        return subprocess.run(["cmake", *arguments], cwd=REPO_ROOT,
                              stdin=subprocess.DEVNULL).returncode
    except FileNotFoundError:
        raise CmakeError("cmake not found; run tools/neuron setup")


def build(preset: str) -> None:
    """Configure `preset` if it has never been configured, then build it."""
    if not (build_dir(preset) / "CMakeCache.txt").exists():
        if _cmake("--preset", preset) != 0:
            raise CmakeError(f"configuring preset '{preset}' failed")
    if _cmake("--build", "--preset", preset) != 0:
        raise CmakeError(f"building preset '{preset}' failed")


STRESS_PRESETS = {"host-stress": "host", "release-stress": "release", "audit-stress": "audit"}   # test preset: its build


@dataclass
class WorkflowOutcome:
    preset: str
    status: int
    seconds: float


def workflow(preset: str) -> WorkflowOutcome:
    """`cmake --workflow --preset P`: configure, build and test."""
    start = time.monotonic()
    status = _cmake("--workflow", "--preset", preset)
    return WorkflowOutcome(preset, status, time.monotonic() - start)


def test_presets(presets: Iterable[str]) -> None:
    """`tools/neuron test`: every preset's workflow, going on after a
    failure, then a summary; CmakeError naming the presets that failed."""
    outcomes = []
    for preset in presets:
        print(f"neuron: test: === {preset}: cmake --workflow --preset {preset} ===", flush=True)
        outcomes.append(workflow(preset))
    print("neuron: test: summary", flush=True)
    for outcome in outcomes:
        verdict = "passed" if outcome.status == 0 else f"FAILED (status {outcome.status})"
        print(f"  {outcome.preset:8} {verdict:24} {outcome.seconds:6.1f} s")
    failed = [outcome.preset for outcome in outcomes if outcome.status != 0]
    if failed:
        raise CmakeError("failed presets: " + ", ".join(failed))


def test_stress() -> None:
    """`tools/neuron test --stress`: the long runs (label stress) that the
    test presets leave out."""
    failed = []
    for test_preset, build_preset in STRESS_PRESETS.items():
        build(build_preset)
        status = subprocess.run(["ctest", "--preset", test_preset], cwd=REPO_ROOT,
                                stdin=subprocess.DEVNULL).returncode
        if status != 0:
            failed.append(f"ctest --preset {test_preset}")
    if failed:
        raise CmakeError("stress tests failed: " + ", ".join(failed))
