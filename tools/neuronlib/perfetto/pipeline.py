"""Dump -> .pftrace -> check, for `tools/neuron trace` and `convert`.

The trace workflow (trace_workflow.py) boots the kernel and gets the
records; from the dump on, this module writes and checks the trace.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import PipelineError, SameFileError
from ..scratch import removed_if_killed
from ..tracefile import load_dump, same_file
from . import check as checklib
from .convert import ConvertError, convert
from .readback import ReadError

DEFAULT_OUT = Path("neuron.pftrace")


def write_trace(dump, out: Path, salvage: bool = False,
                compress: bool = True) -> tuple[dict, checklib.Result]:
    """Convert into out, through a temporary name: out appears only when the
    conversion finished and the checker passed it; any failure leaves
    neither out nor the temporary file. Returns (counts, check result).
    """
    out = Path(out)
    source = Path(getattr(dump, "path", "") or "")
    if source.name and same_file(source, out):
        raise SameFileError(f"{out}: is the input; give another --out")
    with removed_if_killed(out.with_name(out.name + ".partial")) as partial:
        return _write_through(dump, out, partial, salvage, compress)


def _write_through(dump, out: Path, partial: Path, salvage: bool,
                   compress: bool) -> tuple[dict, checklib.Result]:
    try:
        with open(partial, "wb") as stream:
            counts = convert(dump, stream, salvage=salvage, compress=compress)
        result = check_trace(partial)
        if not result.ok:
            raise PipelineError(f"{out}: the converted trace fails its check: "
                                f"{result.errors[0]}")
        os.replace(partial, out)
    except ConvertError as error:
        raise PipelineError(f"converting to {out}: {error}") from None
    except OSError as error:
        raise PipelineError(f"{error.filename or out}: {error.strerror}") from None
    finally:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass    # not ours to remove (a directory of that name): the error above says why
    return counts, result


def check_trace(path: Path) -> checklib.Result:
    try:
        return checklib.check(path)
    except ReadError as error:
        raise PipelineError(f"{path}: {error}") from None


def convert_file(dump_path: Path, elf: Path | None, out: Path, salvage: bool,
                 compress: bool = True) -> int:
    """`tools/neuron convert`: the dump at dump_path into out, checked;
    says what it wrote and, with salvage, what it skipped."""
    dump = load_dump(dump_path, elf, salvage)
    counts, result = write_trace(dump, out, salvage, compress=compress)
    print(f"neuron: convert: wrote {out}: {counts['records']} records, {counts['packets']} packets, "
          f"{out.stat().st_size} bytes")
    if salvage:
        print(f"neuron: convert: salvage: kept the valid records, skipped {dump.skipped} bad "
              "record(s)", file=sys.stderr)
        for line in dump.skipped_lines():
            print(f"neuron: convert: salvage: {line}", file=sys.stderr)
    print(f"neuron: convert: check: {result.summary()}")
    return 0
