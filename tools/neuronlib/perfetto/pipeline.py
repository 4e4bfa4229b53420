"""The end of `tools/neuron trace`: dump -> .pftrace -> check -> report.

The front door boots the kernel and has the ring extracted
(tracefmt.extract); from the dump on, this module does the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import NeuronError
from . import check as checklib
from .convert import ConvertError, convert
from .readback import ReadError
from ..tracefmt.dump import DumpError

DEFAULT_OUT = Path("neuron.pftrace")


def write_trace(dump, out: Path, salvage: bool = False, compress: bool = True,
                check: bool = True) -> tuple[dict, checklib.Result | None]:
    """Convert into out, through a temporary name: out appears only when the
    conversion finished and (with check) the checker passed it; any failure
    leaves neither out nor the temporary file. Returns (counts, check result).
    """
    out = Path(out)
    source = Path(getattr(dump, "path", "") or "")
    if source.name and _same_file(source, out):
        raise NeuronError(f"{out}: is the input; give another --out", status=2)
    partial = out.with_name(out.name + ".partial")
    result = None
    try:
        with open(partial, "wb") as stream:
            counts = convert(dump, stream, salvage=salvage, compress=compress)
        if check:
            result = check_trace(partial)
            if not result.ok:
                raise NeuronError(f"{out}: the converted trace fails its check: "
                                  f"{result.errors[0]}")
        os.replace(partial, out)
    except ConvertError as error:
        raise NeuronError(f"converting to {out}: {error}") from None
    except DumpError as error:          # a bad record met while converting
        raise NeuronError(str(error)) from None
    except OSError as error:
        raise NeuronError(f"{error.filename or out}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return counts, result


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_trace(path: Path) -> checklib.Result:
    try:
        return checklib.check(path)
    except ReadError as error:
        raise NeuronError(f"{path}: {error}") from None


def finish(dump, out: Path, salvage: bool = False) -> int:
    """Convert, check, print the report and how to look at the trace."""
    from .. import report as reportlib  # report imports this package

    counts, result = write_trace(dump, out, salvage)
    size = out.stat().st_size
    print(f"neuron: trace: wrote {out}: {counts['records']} records, {counts['packets']} packets, "
          f"{size} bytes")
    print(f"neuron: trace: check: {result.summary()}")
    print(reportlib.render(reportlib.report(out)))
    print(f"neuron: trace: open it at https://ui.perfetto.dev (Open trace file: {out.resolve()}); "
          "docs/reviewing-traces.md says what to look at")
    return 0
