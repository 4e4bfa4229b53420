#!/usr/bin/python3
"""Feeds tools/percpu_lint.py its fixtures (tests/lint/*.c) one by one.

Every line of a fixture that ends in `expect: RULE[, RULE...]` must be
reported as `FILE:LINE: RULE: ...` for each rule named, and nothing else
may be reported; a fixture with expectations must make the lint exit 1,
one without (good.c) exit 0 with no output. A rule whose check is removed
leaves its expectations unmet, and this test fails.

  check_lint.py            the fixtures
  check_lint.py --tree     the source tree: no findings at all
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LINT = os.path.join(ROOT, "tools", "percpu_lint.py")
FINDING = re.compile(r"^(.*?):(\d+): ([a-z-]+): ")


def run_lint(args):
    return subprocess.run([sys.executable, LINT] + args, capture_output=True, text=True)


def expectations(path):
    expected = set()
    with open(path) as f:
        for number, text in enumerate(f, 1):
            m = re.search(r"expect: ([a-z, -]+)$", text.rstrip("\n"))
            if m and "//" in text:
                for rule in m.group(1).split(","):
                    expected.add((number, rule.strip()))
    return expected


def check_fixture(path):
    name = os.path.basename(path)
    expected = expectations(path)
    proc = run_lint([path])
    reported = set()
    problems = []
    for line in proc.stdout.splitlines():
        m = FINDING.match(line)
        if not m:
            if not line.startswith("percpu_lint: "):
                problems.append("unexpected output line: %s" % line)
            continue
        if m.group(1) != path:
            problems.append("finding names %s, not the file given" % m.group(1))
        reported.add((int(m.group(2)), m.group(3)))
    for line, rule in sorted(expected - reported):
        problems.append("line %d: %s not reported" % (line, rule))
    for line, rule in sorted(reported - expected):
        problems.append("line %d: %s reported, not expected" % (line, rule))
    want_status = 1 if expected else 0
    if proc.returncode != want_status:
        problems.append("exit status %d, want %d (stderr: %s)" % (
            proc.returncode, want_status, proc.stderr.strip()))
    for problem in problems:
        print("FAIL %s: %s" % (name, problem))
    if not problems:
        print("ok   %s: %d finding%s as expected" % (
            name, len(expected), "" if len(expected) == 1 else "s"))
    return not problems


def check_tree():
    proc = run_lint([])
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print("FAIL the tree has PerCpu lint findings")
        return False
    print("ok   tree: no findings")
    return True


def main():
    if sys.argv[1:] == ["--tree"]:
        return 0 if check_tree() else 1
    fixtures = sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".c"))
    rules_expected = set()
    for path in fixtures:
        rules_expected |= {rule for _, rule in expectations(path)}
    results = [check_fixture(path) for path in fixtures]
    rules = {"wrapper-internal", "diagnostic-pragma", "asm-label", "plain-thread", "justification",
             "raw-area", "borrow-break"}
    missing = rules - rules_expected
    if missing:
        print("FAIL no fixture exercises: %s" % ", ".join(sorted(missing)))
    return 0 if all(results) and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
