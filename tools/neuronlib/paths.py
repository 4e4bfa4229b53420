"""Where things are in the source and build trees."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PRESETS = ("host", "release", "audit")
KERNEL_PRESETS = ("release", "audit")
SELFTEST_LIST = REPO_ROOT / "kernel" / "proof" / "selftest" / "list.h"


def build_dir(preset: str) -> Path:
    return REPO_ROOT / "build" / preset


def kernel_elf(preset: str) -> Path:
    """The kernel image a kernel preset builds (see docs/architecture.md)."""
    return build_dir(preset) / "kernel" / "neuron.elf"
