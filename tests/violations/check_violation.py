"""One case of the violation suite (kernel/proof/violations/list.h), checked from outside.

Usage: check_violation.py ELF LIST NAME [--fault FAULT]

Boots the audit kernel on 2 harts under icount with `violation=NAME
trace_stream=1` and asserts:
  - exit status 0 and exactly one "percpu: violation:" line;
  - that line names the accessing and owner harts the list's roles give,
    the list's variable, the file:line marked "violation-site: NAME" in
    the sources (the line after the marker), and contains the list's
    "what was missing" text;
  - the trace (console stream -> dump, ELF tables) holds exactly one
    violation record, on the accessing hart's ring, with the same owner,
    variable, site file:line and kind (the list's trace_what).
With --fault FAULT (a check switched off, kernel/proof/fault.h): the
counterfactual; the case must then report nothing (exit status 1, no
violation line, no violation record).
Exit 0 on success, 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from neuronlib import qemu                                  # noqa: E402
from neuronlib import report                               # noqa: E402
from neuronlib.tracefmt import dump, stream                 # noqa: E402
from neuronlib.tracefmt.records import (SITE_NONE, VAR_NONE,  # noqa: E402
                                        site_of, violation_of)

HARTS = 2
ENTRY = re.compile(r'^VIOLATION\((\w+), (\w+), (\w+), "([^"]*)", "([^"]*)", (\w+), (?:both|suite)\)')
REPORT = re.compile(r"^percpu: violation: hart (\S+) accessed (.+?) of hart (\S+) at (\S+):(\d+): "
                    r"missing (.*)$", re.M)
BOOT_HART = re.compile(r"^neuron: boot hart (\d+);", re.M)


def read_entry(list_path: Path, name: str):
    for line in list_path.read_text().splitlines():
        match = ENTRY.match(line)
        if match and match.group(1) == name:
            return match.groups()[1:]
    raise SystemExit(f"check_violation: {list_path}: no VIOLATION({name}, ...) line")


def marked_site(name: str) -> tuple[str, int]:
    """(path relative to the repository, line) of the line after the marker."""
    marker = f"violation-site: {name} "
    hits = []
    for path in sorted((ROOT / "kernel").rglob("*.c")):
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if marker in text + " ":
                hits.append((str(path.relative_to(ROOT)), number + 1))
    if len(hits) != 1:
        raise SystemExit(f"check_violation: marker 'violation-site: {name}' found {len(hits)} times "
                         f"in kernel/*.c, expected once")
    return hits[0]


NO_OWNER = -1      # role "none": the report says "of hart none", the record's owner is 0xff


def role_hart(role: str, boot: int) -> int:
    if role == "none":
        return NO_OWNER
    if role == "boot":
        return boot
    if role == "other":
        return min(h for h in range(HARTS) if h != boot)
    if re.fullmatch(r"h\d+", role):
        return int(role[1:])
    raise SystemExit(f"check_violation: unknown hart role '{role}'")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("elf", type=Path)
    parser.add_argument("list", type=Path)
    parser.add_argument("name")
    parser.add_argument("--fault")
    args = parser.parse_args()

    accessing_role, owner_role, var, missing, trace_what = read_entry(args.list, args.name)
    site_file, site_line = marked_site(args.name)
    bootargs = f"seed=1 violation={args.name} trace_stream=1"
    if args.fault:
        bootargs += f" fault={args.fault}"
    command = qemu.command_line(qemu.Boot(elf=args.elf, harts=HARTS, icount=True, bootargs=bootargs))
    print("running:", " ".join(command))
    run = qemu.run(command, timeout=90)
    console = run.output.decode("utf-8", "replace")
    print("\n".join(l for l in console.splitlines() if not l.startswith("neuron-trace:")))
    problems = []
    boot_match = BOOT_HART.search(console)
    if not boot_match:
        print("no 'neuron: boot hart N' line")
        return 1
    boot = int(boot_match.group(1))
    reports = REPORT.findall(console)

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "console.log"
        log.write_bytes(run.output)
        stream.to_dump(log, Path(tmp) / "stream.dump")
        trace = dump.load(Path(tmp) / "stream.dump", elf_path=args.elf)
        records = [(ring.hart, rec) for ring in trace.harts for rec in ring.records if rec[1] == 2]

        if args.fault:
            if run.status != 1:
                problems.append(f"counterfactual: exit status {run.status}, expected 1 (nothing reported)")
            if reports or records:
                problems.append(f"counterfactual: with fault={args.fault} still {len(reports)} report(s), "
                                f"{len(records)} violation record(s): the check is not what reports")
            for problem in problems:
                print("FAIL:", problem)
            print("counterfactual:", "FAIL" if problems else f"fault={args.fault}: nothing reported, as expected")
            return 1 if problems else 0

        accessing, owner = role_hart(accessing_role, boot), role_hart(owner_role, boot)
        if run.status != 0:
            problems.append(f"exit status {run.status}, expected 0")
        if len(reports) != 1:
            problems.append(f"{len(reports)} violation lines, expected 1")
        else:
            got_acc, got_var, got_owner, got_file, got_line, got_missing = reports[0]
            owner_text = "none" if owner == NO_OWNER else str(owner)
            expected = {"accessing hart": (got_acc, str(accessing)), "owner hart": (got_owner, owner_text),
                        "variable": (got_var, var), "line": (int(got_line), site_line)}
            for what, (got, want) in expected.items():
                if got != want:
                    problems.append(f"report {what}: {got}, expected {want}")
            # Relative to the source tree, whatever the checkout path (cmake/reproducible.cmake).
            if got_file != site_file:
                problems.append(f"report file: {got_file}, expected {site_file}")
            if missing not in got_missing:
                problems.append(f"report says missing '{got_missing}', expected it to contain '{missing}'")

        if len(records) != 1:
            problems.append(f"{len(records)} violation records on the trace, expected 1")
        else:
            hart, (_, _, b, h, w, _) = records[0]
            tables = trace.tables
            rec_var = tables.var(h).name if h != VAR_NONE and tables.var(h) else None
            site_index = site_of(2, w)
            site = tables.site(site_index) if site_index != SITE_NONE else None
            # Locks, init tokens and guards are not per-CPU variables, and
            # their reports come from no PerCpu call site: the record names
            # neither (the console report names the place).
            want_var = None if var.endswith(".lock") or var in ("init token", "guard") else var
            checks = {"hart": (hart, accessing), "owner": (b, owner & 0xff),
                      "what": (violation_of(w), trace_what), "var": (rec_var, want_var)}
            for what, (got, want) in checks.items():
                if got != want:
                    problems.append(f"trace violation record {what}: {got}, expected {want}")
            if want_var is not None:
                if site is None or site.file != site_file or site.line != site_line:
                    got = f"{site.file}:{site.line}" if site else "none"
                    problems.append(f"trace violation record site: {got}, expected {site_file}:{site_line}")
            print(f"trace: violation record on hart {hart}: owner {b}, var {rec_var}, "
                  f"site {site.file + ':' + str(site.line) if site else 'none'}, what {violation_of(w)}")

            # The same violation on the Perfetto trace's violations track.
            on_track = report.report(Path(tmp) / "stream.dump", args.elf)["violations"]
            if on_track["total"] != 1:
                problems.append(f"{on_track['total']} events on the trace's violations track, expected 1")
            else:
                event = on_track["by"][0]
                if event["missing"].replace(" ", "_") != trace_what:
                    problems.append(f"violations track: missing '{event['missing']}', expected '{trace_what}'")
                if want_var is not None:
                    if event["variable"] != want_var:
                        problems.append(f"violations track: variable {event['variable']}, expected {want_var}")
                    if event["site"] != f"{site_file}:{site_line}":
                        problems.append(f"violations track: site {event['site']}, "
                                        f"expected {site_file}:{site_line}")
                print(f"trace: violations track: {event['missing']} {event['variable']} at {event['site']}")

    for problem in problems:
        print("FAIL:", problem)
    print(f"violation {args.name}:", "FAIL" if problems else
          f"report and trace record agree: hart {accessing} -> {var} of hart {owner} at {site_file}:{site_line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
