"""`neuron check` and `neuron harts` at many stops of a real run.

Usage: stops.py --elf ELF --flavour audit|release --work DIR [--seed N]
                [--scenario S] [--harts N] [--min-stops N] [--counterfactual]

Boots the kernel under QEMU's gdbstub with -icount shift=auto (repeatable,
and it does not deadlock on resume), and lets tests/gdb/stops_driver.py
stop it at every function of the scheduler and IPI layers and at
instruction addresses drawn with a fixed seed from the whole image. Every
stop must give 0 problems from `neuron check` and hart identities equal to
QEMU's. Fewer than --min-stops stops is a failure too: a check that did
not run proves nothing.

--counterfactual corrupts one runqueue's count at each stop first; then
every stop must report a problem (the check is not blind)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

OBJDUMP = "riscv64-unknown-elf-objdump"


def instruction_addresses(elf: Path) -> list[int]:
    text = subprocess.run([OBJDUMP, "-d", "--section=.text", str(elf)], capture_output=True,
                          text=True, check=True).stdout
    addresses = []
    for line in text.splitlines():
        head, _, rest = line.partition(":")
        head = head.strip()
        if rest.startswith("\t") and all(c in "0123456789abcdef" for c in head) and head:
            addresses.append(int(head, 16))
    return addresses


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elf", type=Path, required=True)
    parser.add_argument("--flavour", required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default="ladder")
    parser.add_argument("--harts", type=int, default=4)
    parser.add_argument("--random-stops", type=int, default=90)
    parser.add_argument("--deep-stops", type=int, default=0,
                        help="deep breakpoints (N-th call of a busy function, then K single steps)")
    parser.add_argument("--min-deep-stops", type=int, default=0)
    parser.add_argument("--min-stops", type=int, default=100)
    parser.add_argument("--max-stops", type=int, default=400)
    parser.add_argument("--counterfactual", action="store_true")
    options = parser.parse_args()
    options.work.mkdir(parents=True, exist_ok=True)
    results = options.work / "stops.jsonl"
    settings = {"seed": options.seed, "results": str(results),
                "addresses": instruction_addresses(options.elf),
                "random_stops": options.random_stops, "max_stops": options.max_stops,
                "deep_stops": options.deep_stops}
    settings_file = options.work / "settings.json"
    settings_file.write_text(json.dumps(settings))
    script = options.work / "stops.gdb"
    lines = [f"set $stops_settings = {json.dumps(str(settings_file))}"]
    if options.counterfactual:
        # Silently nothing before the areas exist (the driver skips those stops).
        lines.append("define hook-stop\n  python\ntry:\n    gdb.execute('set var $percpu(\"runqueues\", 1).count = 65')\n"
                     "except gdb.error:\n    pass\n  end\nend")
    lines.append(f"source {REPO / 'tests' / 'gdb' / 'stops_driver.py'}")
    script.write_text("\n".join(lines) + "\n")
    command = [sys.executable, str(REPO / "tools" / "neuron"), "gdb", f"--{options.flavour}",
               "--elf", str(options.elf), "--harts", str(options.harts), "--icount",
               "--scenario", options.scenario, "--seed", str(options.seed),
               "--batch", str(script), "--timeout", "800",
               "--log", str(options.work / "console.log")]
    print("stops:", " ".join(command), flush=True)
    run = subprocess.run(command, capture_output=True, text=True)
    (options.work / "gdb.out").write_text(run.stdout + run.stderr)
    records = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    summary = records[-1] if records and "stops" in records[-1] else {"stops": 0, "breakpoints": 0}
    summary.setdefault("deep_stops", 0)
    stops = [r for r in records if "stop" in r]
    bad = [r for r in stops if r["problems"]]
    states = sorted({s for r in stops for s in r.get("states", [])})
    print(f"stops: {summary['stops']} stops ({summary['deep_stops']} deep) from {summary['breakpoints']} breakpoints "
          f"(seed {options.seed}, {options.scenario}, {options.harts} harts); hart states seen: {states}; "
          f"{len(bad)} with a problem")
    if "Traceback" in run.stdout + run.stderr:
        print("stops: a Python traceback in the gdb transcript", options.work / "gdb.out")
        return 1
    if qemu_left := subprocess.run(["pgrep", "-f", str(options.work / "console.log")],
                                   capture_output=True).stdout.strip():
        print(f"stops: QEMU left behind: {qemu_left.decode()}")
        return 1
    if options.counterfactual:
        # Runqueues exist from boot stage SCHED on; before it there is nothing to corrupt.
        stops = [r for r in stops if r.get("stage") in ("SCHED", "SECONDARIES", "RUNNING")]
        blind = [r for r in stops if not r["problems"]]
        for r in blind[:5]:
            print(f"  BLIND at stop {r['stop']} ({r['where']}): a count of 65 went unreported")
        ok = stops and not blind
        print("stops: counterfactual: " + ("every stop reported the corruption" if ok else "FAILED"))
        return 0 if ok else 1
    for r in bad[:20]:
        print(f"  stop {r['stop']} at {r['where']}:")
        for p in r["problems"][:6]:
            print(f"    {p}")
    if summary["stops"] < options.min_stops:
        print(f"stops: only {summary['stops']} stops, want at least {options.min_stops}")
        return 1
    if summary["deep_stops"] < options.min_deep_stops:
        print(f"stops: only {summary['deep_stops']} deep stops, want at least {options.min_deep_stops}")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
