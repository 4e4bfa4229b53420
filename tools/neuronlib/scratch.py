"""A private scratch directory that goes with the front door, however it goes.

    with private_directory("neuron-trace-") as path:
        ...   # intermediate files: gdb's socket, the drain stream, a console log

    with removed_if_killed(out.with_name(out.name + ".partial")) as partial:
        ...   # a file written beside its final name, then renamed into place

On any exit that runs Python's cleanup (return, exception, SIGINT or
SIGTERM turned into an exception by the front door) the directory is
removed as usual; after SIGKILL, which runs nothing of ours, a small reaper
process removes it: it waits for end-of-file on a pipe only this process
holds open, so it wakes exactly when this process is gone.
"""

from __future__ import annotations

import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .children import start_child

# Reapers are shell one-liners (a few ms to start: one runs per report of a
# dump and per converted trace): wait for end-of-file, then remove.
_DIRECTORY_REAPER = 'cat >/dev/null; rm -rf -- "$1"'
_FILE_REAPER = 'cat >/dev/null; rm -f -- "$1"'


def _start_reaper(path: str, script: str):
    try:
        return start_child(["/bin/sh", "-c", script, "neuron-reaper", path],
                           die_with_parent=False, stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None       # the directory is still removed on any exit but SIGKILL


@contextmanager
def _reaped(path: str, script: str) -> Iterator[None]:
    """A reaper for path for the length of the block, told at its end
    (end of its input) that we are done, and waited for."""
    reaper = _start_reaper(path, script)
    try:
        yield
    finally:
        if reaper is not None:
            reaper.stdin.close()
            reaper.wait()


@contextmanager
def private_directory(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as directory, \
            _reaped(directory, _DIRECTORY_REAPER):
        yield Path(directory)


@contextmanager
def removed_if_killed(path: Path) -> Iterator[Path]:
    """path, a temporary file the caller writes, renames or removes itself
    before the block ends; should this process die inside the block
    (SIGKILL included), a reaper removes whatever is left at path."""
    with _reaped(str(path), _FILE_REAPER):
        yield path
