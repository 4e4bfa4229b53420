"""The failures the tools report, one exception type per module.

Each library module raises its own type (str() is the one line to print);
the front door (cli.EXIT_STATUS) maps the type to the exit status. The
types live here, not in their modules, so that the front door can name them
without importing the modules (some need packages that `setup` installs).
"""

from __future__ import annotations


class PackagesError(Exception):
    """packages: a Debian package missing or apt-get failing."""


class CmakeError(Exception):
    """cmake: configuring or building a preset failed."""


class ImageError(Exception):
    """image: not a kernel the command can boot (bad usage, exit 2)."""


class SelfTestListError(Exception):
    """selftests: the self-test list is unreadable or malformed."""


class QemuError(Exception):
    """qemu: QEMU could not be run."""


class BootArgsError(Exception):
    """qemu: a kernel command line the kernel would refuse (bad usage, exit 2)."""


class QemuTimeout(QemuError):
    """qemu: the kernel did not finish in time (exit 124)."""


class GdbSessionError(Exception):
    """gdbsession: QEMU's gdbstub or gdb could not be started."""


class GdbSessionTimeout(GdbSessionError):
    """gdbsession: a gdb batch did not finish in time (exit 124)."""


class ExtractError(Exception):
    """tracefmt.extract: the rings could not be read through gdb."""


class ExtractTimeout(ExtractError):
    """tracefmt.extract: gdb did not finish in time (exit 124)."""


class ExtractPlaceError(ExtractError):
    """tracefmt.extract: the temporary directory is unusable (exit 2)."""


class SchemaError(Exception):
    """perfetto.schema: the generated protobuf classes are unavailable."""


class PipelineError(Exception):
    """perfetto.pipeline: converting or checking a trace failed."""


class SameFileError(PipelineError):
    """perfetto.pipeline: the output would overwrite the input (exit 2)."""


class ReportError(Exception):
    """report: a trace that cannot be read or summarized."""


class TraceError(Exception):
    """trace_workflow: the traced run went wrong."""


class TraceTimeout(TraceError):
    """trace_workflow: the traced kernel did not finish in time (exit 124)."""


# The types that carry more than their message.


class KernelEndedEarly(QemuError):
    """The kernel ended before its scenario did; kernel_status says why."""

    def __init__(self, message: str, kernel_status: int):
        super().__init__(message)
        self.kernel_status = kernel_status


class DumpError(Exception):
    """tracefmt: a bad dump; str() is one line: `FILE: offset N (hart H): what`."""

    def __init__(self, path, offset: int, hart: int | None, what: str):
        where = f"offset {offset}" + (f" (hart {hart})" if hart is not None else "")
        super().__init__(f"{path}: {where}: {what}")
        self.path, self.offset, self.hart, self.what = path, offset, hart, what


class NeuronError(Exception):
    """The front door's own failure (a bad argument, a failed step): its
    message and the exit status to use (1 unless it has a more specific
    meaning, such as 2 for bad usage or 124 for a timeout)."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status
