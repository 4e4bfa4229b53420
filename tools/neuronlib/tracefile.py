"""What `convert`, `report`, `diff` and `trace` share about their input
files: which kind a file is, reading a dump, and whether two names are one
file. Below both perfetto.pipeline and report, importing neither.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


NOT_REGULAR = "not a regular file (a pipe, socket or device: give the file itself)"


def is_regular_or_directory(path: Path) -> bool:
    """False for a FIFO (opening it waits for a writer, forever), a socket or
    a device: the readers open a file twice and map it, which only a
    regular file allows. Directories and missing files are left to open(),
    which names them."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def is_perfetto_trace(path: Path) -> bool:
    """A .pftrace begins with Trace.packet (field 1, length-delimited)."""
    if not is_regular_or_directory(path):
        raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
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
