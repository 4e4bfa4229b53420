"""The kernel's self-test list, kernel/proof/selftest/list.h.

It is an X-macro list with exactly one entry per line:
    SELFTEST(name, min_harts, "description")
tests/qemu/CMakeLists.txt reads it with the same regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SelfTestListError

ENTRY = re.compile(r"^SELFTEST\(([a-z0-9_]+), *([0-9]+)")


@dataclass(frozen=True)
class SelfTest:
    name: str
    min_harts: int


def parse_selftest_list(text: str, where: str = "list.h") -> list[SelfTest]:
    """The entries in list order; SelfTestListError if none or a name repeats."""
    entries: list[SelfTest] = []
    first_line: dict[str, int] = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        match = ENTRY.match(line)
        if not match:
            continue
        name = match[1]
        if name in first_line:
            raise SelfTestListError(f"{where}:{line_number}: self-test '{name}' "
                              f"already listed at line {first_line[name]}")
        first_line[name] = line_number
        entries.append(SelfTest(name, int(match[2])))
    if not entries:
        raise SelfTestListError(f"{where}: no SELFTEST(name, min_harts, ...) lines")
    return entries


def read_selftest_list(path: Path) -> list[SelfTest]:
    try:
        text = path.read_text()
    except OSError as error:
        raise SelfTestListError(f"cannot read the self-test list {path}: {error.strerror}")
    return parse_selftest_list(text, str(path))
