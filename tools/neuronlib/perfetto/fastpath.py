"""The C accelerator of the converter (fastconv.c), loaded with ctypes.

    lib = library()          # None: use the Python loop (said once on stderr)
    counts = run(converter, lib)

fastconv.c runs the per-record loop (merge, checks, state, encoding) over
the dump's record bytes and writes the same bytes as the Python loop of
convert.py; it asks Python (the request callback below) for each event
template the first time it needs it, so names are interned by the same
code. The library is found, in this order: $NEURON_FASTCONV_LIB (tests,
sanitizer builds); the host preset's build (build/host/tools/fastconv/);
the cache build/fastconv-cache/, compiled there with the system `cc` when
missing. Its file name carries a hash of the source, so a stale build is
never loaded. NEURON_CONVERT_PYTHON=1 forces the Python loop.
"""

from __future__ import annotations

import ctypes
import hashlib
import mmap
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import contract

SOURCE = Path(__file__).with_name("fastconv.c")
_REPO = Path(__file__).resolve().parents[3]
# The record types come from the trace contract (one definition for C and
# Python): the same directory contract.py reads, so both loops see one list.
CONTRACT_INCLUDE = contract.TRACE_INCLUDE
CONTRACT_HEADERS = (CONTRACT_INCLUDE / "neuron" / "trace_contract.h",
                    CONTRACT_INCLUDE / "neuron" / "trace_record.h")
HOST_BUILD_DIR = _REPO / "build" / "host" / "tools" / "fastconv"
CACHE_DIR = _REPO / "build" / "fastconv-cache"
FORCE_PYTHON = "NEURON_CONVERT_PYTHON"
LIBRARY_OVERRIDE = "NEURON_FASTCONV_LIB"

# fc_run results and requests: the enums at the top of fastconv.c.
FC_OK, FC_CALLBACK_FAILED, FC_BAD_RECORD, FC_BAD_SWITCH, FC_NO_MEMORY = range(5)
(REQ_REMOTE, REQ_UNCHECKED, REQ_VIOLATION, REQ_RUNQ, REQ_STEAL_BEGIN, REQ_STEAL_END, REQ_SEND,
 REQ_RECV, REQ_HANDLED, REQ_IDLE, REQ_MARK, REQ_COMM, REQ_START, REQ_INTERNED,
 REQ_GENERIC) = range(1, 16)
MAX_HARTS = 256

REQUEST_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                              ctypes.c_int64, ctypes.c_int64)
WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64)

_loaded: list = []   # [library or None] once decided


def library_name() -> str:
    # As tools/fastconv/CMakeLists.txt computes it: the hash of the files' hashes.
    digests = "".join(hashlib.sha256(p.read_bytes()).hexdigest() for p in (SOURCE, *CONTRACT_HEADERS))
    digest = hashlib.sha256(digests.encode()).hexdigest()[:16]
    return f"libfastconv-{digest}.so"


def _compile(target: Path) -> None:
    """Builds the library into target (atomically: a temporary file, then rename)."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise OSError("no C compiler (cc) found")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".so.tmp")
    os.close(fd)
    try:
        done = subprocess.run([cc, "-std=c11", "-O2", "-shared", "-fPIC", "-I", str(CONTRACT_INCLUDE),
                               "-o", temporary, str(SOURCE)],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["no message"])[0]
            raise OSError(f"{cc} failed: {first}")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _open(path: Path):
    lib = ctypes.CDLL(str(path))
    lib.fc_new.restype = ctypes.c_void_p
    lib.fc_new.argtypes = [ctypes.c_int, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_int, ctypes.c_int,
                           ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint,
                           REQUEST_FN, WRITE_FN]
    lib.fc_ring.restype = ctypes.c_int
    lib.fc_ring.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                            ctypes.c_uint64, ctypes.c_int64, ctypes.c_int64]
    lib.fc_run.restype = ctypes.c_int
    lib.fc_run.argtypes = [ctypes.c_void_p]
    lib.fc_reply.restype = ctypes.c_int
    lib.fc_reply.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint64]
    lib.fc_info.restype = None
    lib.fc_info.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)]
    lib.fc_drop_read_pages.restype = None
    lib.fc_drop_read_pages.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.fc_free.restype = None
    lib.fc_free.argtypes = [ctypes.c_void_p]
    return lib


def _find_or_build() -> Path:
    override = os.environ.get(LIBRARY_OVERRIDE)
    if override:
        return Path(override)
    name = library_name()
    built = HOST_BUILD_DIR / name
    if built.is_file():
        return built
    cached = CACHE_DIR / name
    if not cached.is_file():
        _compile(cached)
        for stale in CACHE_DIR.glob("libfastconv-*.so"):   # builds of older sources
            if stale != cached:
                stale.unlink(missing_ok=True)
    return cached


def library():
    """The loaded accelerator, or None (Python loop). Decided once per process."""
    if os.environ.get(FORCE_PYTHON, "") not in ("", "0"):
        return None
    if _loaded:
        return _loaded[0]
    lib = None
    try:
        lib = _open(_find_or_build())
    except (OSError, subprocess.SubprocessError) as error:
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        sys.stderr.write(f"neuron: converter: C accelerator unavailable ({why}); "
                         "using the pure-Python loop\n")
    _loaded.append(lib)
    return lib


def usable(converter) -> bool:
    """True when the C loop can convert this dump: a loaded dump file (its
    record bytes addressable), not salvage (which stays in Python)."""
    from ..tracefmt import dump as dumpfmt
    dump = converter.dump
    return (isinstance(dump, dumpfmt.Dump) and not converter.salvage and not dump.salvage
            and len(dump.harts) <= MAX_HARTS and 0 < dump.max_harts <= MAX_HARTS and all(r.truncated == 0 for r in dump.harts)
            and isinstance(dump._buffer, (mmap.mmap, bytes)))


def _record_bytes(dump):
    """(keep-alive object, base address) of the dump's bytes, readable by C."""
    buffer = dump._buffer
    if isinstance(buffer, bytes):
        holder = ctypes.c_char_p(buffer)
        return (holder, buffer), ctypes.cast(holder, ctypes.c_void_p).value
    # A read-only mmap exports no writable buffer for ctypes: map the same
    # file copy-on-write (nothing is copied unless written, and C only reads).
    with open(dump.path, "rb") as handle:
        view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
    if len(view) != len(buffer):
        view.close()
        raise OSError(f"{dump.path} changed size while converting")
    anchor = ctypes.c_char.from_buffer(view)
    return (view, anchor), ctypes.addressof(anchor)


def run(converter, lib) -> dict:
    """Converter.run's loop in C. Raises what the Python loop raises."""
    from . import convert as C

    dump = converter.dump
    tables = dump.tables
    converter.engine = "c"
    failure: list = []
    holder: dict[str, int] = {}     # "ctx": the conversion, once fc_new made it

    def request(kind, hart, a, b, c):
        try:
            for piece in _answer(converter, kind, hart, a, b, c):
                if lib.fc_reply(holder["ctx"], piece, len(piece)) != 0:
                    raise MemoryError("fastconv: reply too large")
            return 0
        except BaseException as error:   # noqa: BLE001 - re-raised after fc_run returns
            failure.append(error)
            return -1

    def write(address, length):
        try:
            converter.out.write(ctypes.string_at(address, length))
            if converter.progress.enabled:
                info = (ctypes.c_int64 * 5)()
                lib.fc_info(holder["ctx"], info)
                converter.progress.update(info[0])
            return 0
        except BaseException as error:   # noqa: BLE001
            failure.append(error)
            return -1

    request_cb, write_cb = REQUEST_FN(request), WRITE_FN(write)
    converter._descriptors()
    converter._flush(final=True)   # the descriptors, as chunks counted below
    initial_chunks = converter.chunk_base
    ctx = lib.fc_new(len(dump.harts), converter.hz, converter.multiplier_ns, converter.keep_ticks,
                     tables is not None, len(tables.vars) if tables is not None else 0,
                     len(tables.sites) if tables is not None else 0, initial_chunks,
                     dump.max_harts, request_cb, write_cb)
    if not ctx:
        raise MemoryError("fastconv: cannot allocate a conversion")
    holder["ctx"] = ctx
    keep, base = _record_bytes(dump) if dump.harts else (None, 0)
    # Our own copy-on-write mapping: the C loop may give its pages back.
    lib.fc_drop_read_pages(ctx, isinstance(dump._buffer, mmap.mmap))
    try:
        for index, ring in enumerate(dump.harts):
            expected = (max(ring.produced - ring.dropped - ring.kept, 0) if dump.mode == "stop"
                        else max(ring.produced - ring.kept, 0))
            if lib.fc_ring(ctx, index, ring.hart, (base or 0) + ring._offset, ring.kept,
                           ring.produced, expected) != 0:
                raise C.ConvertError(f"hart {ring.hart}: fastconv.c refused the ring "
                                     "that tracefmt/dump.py accepted")
        status = lib.fc_run(ctx)
        info = (ctypes.c_int64 * 5)()
        lib.fc_info(ctx, info)
    finally:
        lib.fc_free(ctx)
        del keep    # the bytes the C loop read live until it is freed
    if failure:
        raise failure[0]
    if status == FC_BAD_RECORD:
        # dump.py raises the one-line DumpError for the same record.
        ring = dump.hart(info[2])
        for _ in ring.records:
            pass
        raise C.ConvertError(f"hart {info[2]} record {info[3]}: rejected by fastconv.c "
                             "but not by tracefmt/dump.py")
    if status == FC_BAD_SWITCH:
        raise C.ConvertError(f"hart {info[2]}: SWITCH with unknown previous state {info[4]}")
    if status != FC_OK:
        raise MemoryError(f"fastconv: conversion stopped (status {status})")
    converter.counts["records"] = info[0]
    converter.counts["packets"] += info[1]
    if converter.progress.enabled:
        converter.progress.finish()
    return converter.counts


def _answer(conv, kind, hart, a, b, c):
    """The byte pieces fastconv.c asked for (see the REQ_ enum there)."""
    if kind in (REQ_REMOTE, REQ_UNCHECKED):
        category = "remote" if kind == REQ_REMOTE else "unchecked"
        return [conv._cached_payload((category, hart, a, b, c), hart,
                                     lambda seq: conv._remote_event(seq, hart, a, b, c, category))]
    if kind == REQ_VIOLATION:
        return [conv._cached_payload(("violation", hart, a, b, c), hart,
                                     lambda seq: conv._violation_event(seq, hart, a, b, c))]
    if kind == REQ_RUNQ:
        return [conv._runq_payload(hart, b)]
    if kind == REQ_STEAL_BEGIN:
        return list(conv._steal_templates(hart, a))
    if kind == REQ_STEAL_END:
        return [conv._steal_end_payload(hart, None if a else b)]
    if kind == REQ_SEND:
        return [conv._send_template(hart, a, b)]
    if kind in (REQ_RECV, REQ_HANDLED):
        return list(conv._recv_templates(hart, a, b, kind == REQ_HANDLED))
    if kind == REQ_IDLE:
        return [conv._idle_payload(hart)]
    if kind == REQ_MARK:
        return [conv._mark_payload(hart, a, b)]
    if kind == REQ_COMM:
        return [conv._comm(a).encode("utf-8")]
    if kind == REQ_START:
        return [conv._start_packet(hart, a)]
    if kind == REQ_INTERNED:
        return [conv.sequences[hart].take_interned()]
    if kind == REQ_GENERIC:
        return list(conv._generic_templates(hart, a))
    raise ValueError(f"fastconv: unknown request {kind}")
