"""A private scratch directory that goes with the front door, however it goes.

    with private_directory("neuron-trace-") as path:
        ...   # intermediate files: gdb's socket, the drain stream, a console log

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

_REAPER = ("import shutil, sys\n"
           "sys.stdin.buffer.read()\n"
           "shutil.rmtree(sys.argv[1], ignore_errors=True)\n")


def _start_reaper(directory: str):
    try:
        return start_child(["/usr/bin/python3", "-c", _REAPER, directory],
                                die_with_parent=False, stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None       # the directory is still removed on any exit but SIGKILL


@contextmanager
def private_directory(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        reaper = _start_reaper(directory)
        try:
            yield Path(directory)
        finally:
            if reaper is not None:
                reaper.stdin.close()
                reaper.wait()
