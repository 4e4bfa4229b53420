"""The PerCpu descriptor tables of a kernel ELF, for decoding trace ids.

A var id is an index into section `percpu_vars` (48-byte `struct
percpu_var_desc`), a site id an index into `percpu_callsites` (40-byte
`struct percpu_callsite`); both layouts are pinned in percpu.h. The
ELF's identity is FNV-1a 64 over both sections' bytes, as the kernel
computes it over the same bytes in memory (kernel/trace/trace.c).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile

from .. import contract

VAR_DESC = struct.Struct("<QQIIiIQQ")    # name file line size lock_offset value_offset lock_name area_offset
SITE_DESC = struct.Struct("<QQIHHQQ")    # file function line kind reason var_name note
# Numbered in order (percpu_contract.h); reason "none" marks a local access.
ACCESS_KINDS = contract.ACCESS_KINDS
REASONS = contract.REASONS


class TablesError(Exception):
    """A kernel ELF without usable PerCpu tables; str() is one line."""


@dataclass(frozen=True)
class Var:
    index: int
    name: str
    file: str
    line: int
    size: int
    lock: str | None


@dataclass(frozen=True)
class Site:
    index: int
    file: str
    line: int
    function: str
    kind: str
    reason: str | None
    var_name: str
    note: str | None


def fnv1a64(data: bytes, value: int = 0xCBF29CE484222325) -> int:
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


@dataclass
class Tables:
    path: Path
    vars: list[Var]
    sites: list[Site]
    identity: int
    max_harts: int | None
    scenarios: list[str] = field(default_factory=list)   # scenario_names[] (mark record's w)

    def scenario(self, index: int) -> str | None:
        return self.scenarios[index] if 0 <= index < len(self.scenarios) else None

    def var(self, index: int) -> Var | None:
        return self.vars[index] if 0 <= index < len(self.vars) else None

    def site(self, index: int) -> Site | None:
        return self.sites[index] if 0 <= index < len(self.sites) else None


class _Memory:
    """Reads C strings at link-time addresses from the ELF's sections."""

    def __init__(self, elf: ELFFile):
        self.ranges = [(s["sh_addr"], s.data()) for s in elf.iter_sections()
                       if s["sh_addr"] and s["sh_type"] == "SHT_PROGBITS"]

    def string(self, address: int) -> str | None:
        if address == 0:
            return None
        for start, data in self.ranges:
            if start <= address < start + len(data):
                end = data.find(b"\0", address - start)
                return data[address - start:end if end >= 0 else len(data)].decode("utf-8", "replace")
        return "?"


def load(elf_path: str | Path) -> Tables:
    path = Path(elf_path)
    from ..tracefile import NOT_REGULAR, is_regular_or_directory
    if not is_regular_or_directory(path):
        raise TablesError(f"{path}: {NOT_REGULAR}")
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise TablesError(f"{path}: cannot open: {error.strerror}") from None
    with handle:
        try:
            elf = ELFFile(handle)
            vars_section = elf.get_section_by_name("percpu_vars")
            sites_section = elf.get_section_by_name("percpu_callsites")
        except Exception as error:  # pyelftools raises several types on junk
            raise TablesError(f"{path}: not a readable ELF file ({error})") from None
        if vars_section is None:
            raise TablesError(f"{path}: no percpu_vars section (not an audit kernel?)")
        memory = _Memory(elf)
        var_bytes = vars_section.data()
        site_bytes = sites_section.data() if sites_section is not None else b""
        variables = []
        for index, fields in enumerate(VAR_DESC.iter_unpack(var_bytes)):
            name, file, line, size, _lock_off, _value_off, lock_name, _area = fields
            variables.append(Var(index, memory.string(name) or "?", memory.string(file) or "?",
                                 line, size, memory.string(lock_name)))
        sites = []
        for index, fields in enumerate(SITE_DESC.iter_unpack(site_bytes)):
            file, function, line, kind, reason, var_name, note = fields
            kind_name = ACCESS_KINDS[kind] if kind < len(ACCESS_KINDS) else f"kind{kind}"
            reason_name = REASONS[reason] if reason < len(REASONS) else f"reason{reason}"
            sites.append(Site(index, memory.string(file) or "?", line,
                              memory.string(function) or "?", kind_name,
                              None if reason_name == "none" else reason_name,
                              memory.string(var_name) or "?",
                              memory.string(note)))
        max_harts = None
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            symbols = symtab.get_symbol_by_name("NEURON_MAX_HARTS")
            if symbols:
                max_harts = symbols[0]["st_value"]
            scenarios = _scenario_names(elf, symtab, memory)
        else:
            scenarios = []
        identity = fnv1a64(site_bytes, fnv1a64(var_bytes))
    return Tables(path, variables, sites, identity, max_harts, scenarios)


def _scenario_names(elf: ELFFile, symtab, memory: _Memory) -> list[str]:
    """kernel/proof/scenarios/scenario.c's scenario_names[]: an array of string pointers."""
    symbols = symtab.get_symbol_by_name("scenario_names")
    if not symbols or not symbols[0]["st_size"]:
        return []
    address, size = symbols[0]["st_value"], symbols[0]["st_size"]
    for start, data in memory.ranges:
        if start <= address and address + size <= start + len(data):
            table = data[address - start:address - start + size]
            return [memory.string(pointer) or "?" for (pointer,) in struct.iter_unpack("<Q", table)]
    return []
