"""What `convert`, `report`, `diff` and `trace` share about their input
files: which kind a file is, reading a dump, and whether two names are one
file. Below both perfetto.pipeline and report, importing neither.
"""

from __future__ import annotations

import os
from pathlib import Path


def is_perfetto_trace(path: Path) -> bool:
    """A .pftrace begins with Trace.packet (field 1, length-delimited)."""
    with open(path, "rb") as stream:
        return stream.read(1) == b"\x0a"


def load_dump(path: Path, elf: Path | None, salvage: bool):
    """The dump through tracefmt.dump (the ring's reader); a bad one raises
    the one-line DumpError."""
    from .tracefmt import dump as dumpfmt   # needs elftools, which `setup` installs
    return dumpfmt.load(str(path), str(elf) if elf else None, salvage=salvage)


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False
