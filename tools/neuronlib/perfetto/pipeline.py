"""The end of `tools/neuron trace`: dump -> .pftrace -> check -> report.

The front door boots the kernel and has the ring extracted
(tracefmt.extract); from the dump on, this module does the rest.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import NeuronError
from . import check as checklib
from .convert import ConvertError, convert
from .readback import ReadError

DEFAULT_OUT = Path("neuron.pftrace")


def write_trace(dump, out: Path, salvage: bool = False, compress: bool = True) -> dict:
    """Convert into out (through a temporary name, so a failure leaves no half file)."""
    partial = out.with_name(out.name + ".partial")
    try:
        with open(partial, "wb") as stream:
            counts = convert(dump, stream, salvage=salvage, compress=compress)
        os.replace(partial, out)
    except ConvertError as error:
        partial.unlink(missing_ok=True)
        raise NeuronError(f"converting to {out}: {error}") from None
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise NeuronError(f"{out}: {error.strerror}") from None
    return counts


def check_trace(path: Path) -> checklib.Result:
    try:
        return checklib.check(path)
    except ReadError as error:
        raise NeuronError(f"{path}: {error}") from None


def finish(dump, out: Path, salvage: bool = False) -> int:
    """Convert, check, print the report and how to look at the trace."""
    from .. import report as reportlib  # report imports this package

    counts = write_trace(dump, out, salvage)
    size = out.stat().st_size
    print(f"neuron: trace: wrote {out}: {counts['records']} records, {counts['packets']} packets, "
          f"{size} bytes")
    result = check_trace(out)
    print(f"neuron: trace: check: {result.summary()}")
    for error in result.errors:
        print(f"neuron: trace: check: {error}", file=sys.stderr)
    print(reportlib.render(reportlib.report(out)))
    print(f"neuron: trace: open it at https://ui.perfetto.dev (Open trace file: {out.resolve()}); "
          "docs/reviewing-traces.md says what to look at")
    return 0 if result.ok else 1
