"""The Debian packages neuron needs, and `tools/neuron setup`.

This list is the one place that names them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from .errors import PackagesError

DEBIAN_PACKAGES = (
    "cmake", "ninja-build", "gcc", "libc6-dev",
    "gcc-riscv64-unknown-elf", "binutils-riscv64-unknown-elf",
    "qemu-system-misc", "opensbi", "gdb-multiarch",
    "device-tree-compiler", "valgrind", "clang",
    "protobuf-compiler", "python3-protobuf", "python3-pyelftools",
    "python3-pytest", "python3-hypothesis", "python3-pyflakes", "python3-mypy",
    # tools/neuron bench: the real tracer it measures against
    "lttng-tools", "liblttng-ust-dev",
    # tests/fuzz (libFuzzer runtime) and tests/model (the ring's protocol)
    "libclang-rt-14-dev", "spin",
)

APT_INSTALL = ("apt-get", "install", "-y", "--no-install-recommends",
               "-o", "DPkg::Lock::Timeout=300")


def missing_packages(packages=DEBIAN_PACKAGES) -> list[str]:
    """The packages in `packages` that dpkg does not have installed."""
    if shutil.which("dpkg-query") is None:
        raise PackagesError("dpkg-query not found: setup supports Debian 12 only")
    query = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *packages],
        stdin=subprocess.DEVNULL, capture_output=True, text=True)
    installed = set()
    for line in query.stdout.splitlines():
        name, _, status = line.partition(" ")
        if status.startswith("ii"):
            installed.add(name.split(":")[0])
    return [package for package in packages if package not in installed]


def install_command(packages: list[str]) -> str:
    return ("apt-get update && DEBIAN_FRONTEND=noninteractive "
            + " ".join(APT_INSTALL) + " " + " ".join(packages))


def setup(verbose: bool = False) -> None:
    """Install whatever is missing (as root), or say what to run."""
    missing = missing_packages()
    if not missing:
        if verbose:
            print("neuron: setup: all packages present")
        return
    if os.geteuid() != 0:
        raise PackagesError(
            f"missing Debian packages: {' '.join(missing)}; as root, run: "
            + install_command(missing))
    print(f"neuron: setup: installing {' '.join(missing)}", flush=True)
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step in (["apt-get", "update"], [*APT_INSTALL, *missing]):
        sys.stdout.flush()
        completed = subprocess.run(step, stdin=subprocess.DEVNULL, env=environment)
        if completed.returncode != 0:
            raise PackagesError(f"'{' '.join(step[:2])}' failed with status {completed.returncode}")
    still_missing = missing_packages()
    if still_missing:
        raise PackagesError(f"still missing after apt-get install: {' '.join(still_missing)}")
