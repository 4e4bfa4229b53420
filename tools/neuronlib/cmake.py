"""Configuring, building and testing through the CMake presets."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

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
