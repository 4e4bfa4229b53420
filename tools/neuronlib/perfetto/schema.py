"""The generated Python classes for tools/proto/perfetto_subset.proto.

The host build generates them (tools/proto/CMakeLists.txt) into
build/host/tools/proto/; without a build, they are generated on first use
into build/proto-cache/ with protoc. Either way they are regenerated when
the .proto is newer than the module.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from ..errors import SchemaError
from ..paths import REPO_ROOT

PROTO_DIR = REPO_ROOT / "tools" / "proto"
PROTO = PROTO_DIR / "perfetto_subset.proto"
MODULE = "perfetto_subset_pb2"
BUILT_DIRS = (REPO_ROOT / "build" / "host" / "tools" / "proto", REPO_ROOT / "build" / "proto-cache")

# Field numbers and enum values the converter and checker use (Perfetto's).
SEQ_INCREMENTAL_STATE_CLEARED = 1
SEQ_NEEDS_INCREMENTAL_STATE = 2
SLICE_BEGIN, SLICE_END, INSTANT, COUNTER = 1, 2, 3, 4
CLOCK_BOOTTIME = 6
TASK_CREATED, TASK_RUNNABLE, TASK_RUNNING = 1, 2, 3
TASK_SLEEPING, TASK_DEAD, TASK_DESTROYED = 4, 7, 8

_loaded = None


def _fresh(directory: Path) -> bool:
    module = directory / f"{MODULE}.py"
    return module.is_file() and module.stat().st_mtime >= PROTO.stat().st_mtime


def _generate(directory: Path) -> None:
    protoc = shutil.which("protoc")
    if not protoc:
        raise SchemaError("protoc not found (Debian package protobuf-compiler; run tools/neuron setup)")
    directory.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([protoc, f"-I{PROTO_DIR}", f"--python_out={directory}", str(PROTO)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no message"])[0]
        raise SchemaError(f"protoc failed on {PROTO}: {first}")


def pb2():
    """The generated module (Trace, TracePacket, ...), generating it if needed."""
    global _loaded
    if _loaded is not None:
        return _loaded
    directory = next((d for d in BUILT_DIRS if _fresh(d)), None)
    if directory is None:
        directory = BUILT_DIRS[-1]
        _generate(directory)
    spec = importlib.util.spec_from_file_location(MODULE, directory / f"{MODULE}.py")
    if spec is None or spec.loader is None:
        raise SchemaError(f"cannot load {directory / MODULE}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _loaded = module
    return module
