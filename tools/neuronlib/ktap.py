"""KTAP version 1 parser for a kernel console log.

The log is whatever the serial console printed: `neuron: ...` boot
messages and anything else may come before, between and after the KTAP
lines. The KTAP document starts at the first line that begins with a
version line (`KTAP version 1`, not indented) and is made of:

    KTAP version 1
    1..N                         the plan, before any result
    # text                       diagnostic, attached to the next result
    ok 1 name                    pass
    not ok 2 name                fail
    ok 3 name # SKIP reason      skip (the SKIP directive, ok or not ok)
    not ok 4 name # TODO reason  other directives are kept, status follows ok/not ok
    Bail out! reason             the producer gave up

Indented lines that look like KTAP are a subtest block belonging to the
next result at the outer level; they are parsed the same way and kept on
that result, and their problems stay with them. Any other line is not
KTAP and is ignored, as KTAP allows.

Diagnostics attach to the result that follows them, as KTAP specifies;
diagnostics after the last result attach to the last result, since no
result follows them.

Problems are collected as messages naming the line, never raised: a
harness must be able to report everything wrong with a log at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SUPPORTED_VERSION = "KTAP version 1"
KNOWN_DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT", "ERROR")

_VERSION = re.compile(r"^(K?TAP version \S+)\s*$")
_PLAN = re.compile(r"^1\.\.(\d+)\s*$")
_RESULT = re.compile(
    r"^(?P<verdict>ok|not ok)"
    r"(?: +(?P<number>\d+))?"
    r"(?: +(?:- +)?(?P<name>[^#]*?))?"
    r"\s*(?:#\s*(?P<comment>.*?))?\s*$"
)
_DIRECTIVE = re.compile(r"^(?P<word>[A-Za-z]+)\b\s*(?P<reason>.*)$")
_DIAGNOSTIC = re.compile(r"^#(?: ?(?P<text>.*))?$")
_BAIL_OUT = re.compile(r"^Bail out!\s*(?P<reason>.*?)\s*$")


@dataclass
class TestResult:
    number: int
    name: str
    ok: bool
    line: int
    directive: str | None = None
    reason: str = ""
    diagnostics: list[str] = field(default_factory=list)
    subtests: "KtapReport | None" = None

    @property
    def status(self) -> str:
        """'skip' for the SKIP directive, else 'pass' or 'fail'."""
        if self.directive == "SKIP":
            return "skip"
        return "pass" if self.ok else "fail"


@dataclass
class KtapReport:
    version: str | None = None
    plan: int | None = None
    results: list[TestResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bail_out: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def find(self, name: str) -> TestResult | None:
        """The result called `name`, or None if the log has none."""
        for result in self.results:
            if result.name == name:
                return result
        return None

    def summary(self) -> str:
        planned = "?" if self.plan is None else str(self.plan)
        return (f"{len(self.results)}/{planned} reported: "
                f"{self.count('pass')} passed, {self.count('fail')} failed, "
                f"{self.count('skip')} skipped")


def parse(text: str) -> KtapReport:
    """Parse the first KTAP document in a console log."""
    lines = [(number, line.rstrip("\r"))
             for number, line in enumerate(text.split("\n"), start=1)]
    for index, (number, line) in enumerate(lines):
        if _VERSION.match(line):
            return _parse_document(lines[index:], nested=False)
    report = KtapReport()
    report.errors.append(f"no '{SUPPORTED_VERSION}' line in the log")
    return report


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _looks_like_ktap(stripped: str) -> bool:
    return bool(_VERSION.match(stripped) or _PLAN.match(stripped)
                or _RESULT.match(stripped) or _DIAGNOSTIC.match(stripped)
                or _BAIL_OUT.match(stripped))


def _parse_result(match: re.Match, line_number: int) -> TestResult:
    result = TestResult(number=int(match["number"]),
                        name=(match["name"] or "").strip(),
                        ok=match["verdict"] == "ok",
                        line=line_number)
    comment = match["comment"]
    if comment:
        directive = _DIRECTIVE.match(comment)
        if directive and directive["word"].upper() in KNOWN_DIRECTIVES:
            result.directive = directive["word"].upper()
            result.reason = directive["reason"].strip()
        else:
            result.reason = comment.strip()
    return result


class _DocumentParser:
    """State while reading one KTAP document (top level or a subtest)."""

    def __init__(self, nested: bool):
        self.nested = nested
        self.report = KtapReport()
        self.pending_diagnostics: list[str] = []
        self.subtest_lines: list[tuple[int, str]] = []
        self.seen_numbers: dict[int, int] = {}
        self.last_line = 0

    def error(self, line_number: int, message: str) -> None:
        self.report.errors.append(f"line {line_number}: {message}")

    def feed(self, line_number: int, line: str) -> bool:
        """Take one line; False once the document has ended."""
        self.last_line = line_number
        if not line.strip():
            return True
        if _indent(line) > 0:
            if _looks_like_ktap(line.strip()):
                self.subtest_lines.append((line_number, line))
            return True
        version = _VERSION.match(line)
        if version:
            if self.report.version is None:
                self.report.version = version[1]
                if version[1] != SUPPORTED_VERSION:
                    self.error(line_number, f"'{version[1]}' is not '{SUPPORTED_VERSION}'")
                return True
            self.error(line_number, "a second version line: the producer restarted")
            return False
        plan = _PLAN.match(line)
        if plan:
            self.take_plan(line_number, int(plan[1]))
            return True
        bail = _BAIL_OUT.match(line)
        if bail:
            self.report.bail_out = bail["reason"]
            self.error(line_number, f"bail out: {bail['reason'] or '(no reason given)'}")
            return False
        diagnostic = _DIAGNOSTIC.match(line)
        if diagnostic:
            self.pending_diagnostics.append(diagnostic["text"] or "")
            return True
        result = _RESULT.match(line)
        if result:
            if result["number"] is None:
                self.error(line_number, f"result without a test number: '{line}'")
                return True
            self.take_result(_parse_result(result, line_number))
        return True

    def take_plan(self, line_number: int, planned: int) -> None:
        if self.report.plan is not None:
            self.error(line_number, "a second plan line")
        elif self.report.results:
            self.error(line_number, "the plan comes after results; it must come first")
        else:
            self.report.plan = planned

    def take_result(self, result: TestResult) -> None:
        expected = len(self.report.results) + 1
        if result.number in self.seen_numbers:
            self.error(result.line, f"test {result.number} reported again "
                       f"(first at line {self.seen_numbers[result.number]})")
        elif result.number != expected:
            self.error(result.line, f"test {result.number} out of order "
                       f"(expected test {expected})")
        self.seen_numbers.setdefault(result.number, result.line)
        if self.report.plan is not None and result.number > self.report.plan:
            self.error(result.line, f"test {result.number} is beyond the plan 1..{self.report.plan}")
        result.diagnostics = self.pending_diagnostics
        self.pending_diagnostics = []
        if self.subtest_lines:
            result.subtests = _parse_subtests(self.subtest_lines)
            self.subtest_lines = []
        self.report.results.append(result)

    def finish(self) -> KtapReport:
        report = self.report
        if report.results and self.pending_diagnostics:
            report.results[-1].diagnostics.extend(self.pending_diagnostics)
        if self.subtest_lines:
            self.error(self.subtest_lines[0][0], "subtest lines with no result line after them")
        if report.version is None and not self.nested:
            self.error(self.last_line, f"no '{SUPPORTED_VERSION}' line")
        if report.plan is None:
            self.error(self.last_line, "no plan line '1..N'")
        elif len(report.results) != report.plan:
            self.report.errors.append(
                f"planned {report.plan} tests, got {len(report.results)} results")
        return report


def _parse_document(lines: list[tuple[int, str]], nested: bool) -> KtapReport:
    parser = _DocumentParser(nested)
    for line_number, line in lines:
        if not parser.feed(line_number, line):
            break
    return parser.finish()


def _parse_subtests(lines: list[tuple[int, str]]) -> KtapReport:
    """Parse an indented block, dedented by its first line's indentation."""
    depth = _indent(lines[0][1])
    dedented = [(number, line[min(depth, _indent(line)):]) for number, line in lines]
    return _parse_document(dedented, nested=True)
