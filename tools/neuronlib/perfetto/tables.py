"""What the converter needs from the dump's ELF tables, in one place.

The dump reader (tracefmt.dump) returns `Dump.tables` built from the ELF
sections percpu_vars and percpu_callsites, or None without an ELF. This
adapter is the only code that knows its shape; without tables, variables
and sites are named by index.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tracefmt.records import SITE_NONE, VAR_NONE


@dataclass(frozen=True)
class Var:
    name: str
    lock: str


@dataclass(frozen=True)
class Site:
    where: str      # file:line
    function: str
    kind: str
    reason: str
    note: str


def _field(item, name: str, default=""):
    if item is None:
        return default
    if isinstance(item, dict):
        value = item.get(name, default)
    else:
        value = getattr(item, name, default)
    return default if value is None else value


def _lookup(collection, index: int):
    if collection is None:
        return None
    try:
        return collection[index]
    except (IndexError, KeyError, TypeError):
        return None


class Names:
    """Variable and call-site descriptions by index, cached."""

    def __init__(self, tables):
        self._vars = _field(tables, "vars", None) if tables is not None else None
        self._sites = _field(tables, "sites", None) if tables is not None else None
        self._var_cache: dict[int, Var] = {}
        self._site_cache: dict[int, Site] = {}

    def var(self, index: int) -> Var:
        found = self._var_cache.get(index)
        if found is None:
            item = _lookup(self._vars, index)
            # VAR_NONE: the record is about something that is not a
            # per-CPU variable (a lock-order violation names locks).
            fallback = "(not a per-CPU variable)" if index == VAR_NONE else f"var#{index}"
            found = Var(str(_field(item, "name", "") or fallback), str(_field(item, "lock", "")))
            self._var_cache[index] = found
        return found

    def site(self, index: int) -> Site:
        found = self._site_cache.get(index)
        if found is None:
            item = _lookup(self._sites, index)
            file, line = _field(item, "file", ""), _field(item, "line", 0)
            where = f"{file}:{line}" if file else \
                ("(no PerCpu call site)" if index == SITE_NONE else f"site#{index}")
            found = Site(where, str(_field(item, "function", "")), str(_field(item, "kind", "")),
                         str(_field(item, "reason", "")), str(_field(item, "note", "")))
            self._site_cache[index] = found
        return found
