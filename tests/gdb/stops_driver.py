"""Runs inside gdb (tests/gdb/stops.py writes the settings first): stops a
booting kernel at many points and checks `neuron harts` and `neuron check`
at each.

Stops: a one-shot breakpoint on every function of the scheduler and IPI
layers and of the scenarios that drive them (kernel/sched/*.c,
kernel/proof/scenarios/*.c), and on instruction addresses drawn with a fixed
seed from the whole kernel image (trap entry, lock loops, boot code
included). Those stop at first calls, most of them early; deep stops
reach into the thick of the run: in each function the run calls over and
over (DEEP_FUNCTIONS), a breakpoint on one of its instructions, stopping
the N-th time a hart passes it; address and N drawn from the seed, so a
hart is caught inside the windows the check must allow (a lock being
taken, a task half-queued) while the others are wherever they are. (Not
single steps: QEMU masks interrupts while stepping, and under -icount
each step lets the guest clock run ahead until the watchdog fires.)
Under -icount every draw names the same instant on every run. At each stop:
  - `neuron check` must report no problem (notes are fine);
  - `neuron harts` must name every hart by QEMU's own numbering: the line
    for hart N carries the pc QEMU reports for the CPU whose mhartid is N
    (`monitor info registers -a`);
  - no command may fail or print a Python traceback.
Writes one JSON line per stop to the result file.
"""

import json
import random
import re

import gdb

with open(gdb.convenience_variable("stops_settings").string()) as _file:
    settings = json.load(_file)
rng = random.Random(settings["seed"])
results = open(settings["results"], "w")

HART_LINE = re.compile(r"^hart (\d+)\s+thread \d+\s+(\S+(?: \S+)?)\s+pc=(0x[0-9a-f]+)", re.M)
QEMU_CPU = re.compile(r"^CPU#(\d+)\n(?: V\s+=\s+\d+\n)? pc\s+([0-9a-f]+)\n mhartid\s+([0-9a-f]+)", re.M)


SCHED_DIRS = ("kernel/sched/", "kernel/proof/scenarios/")


def sched_functions() -> list[str]:
    text = gdb.execute("info functions -q -n ^", to_string=True)
    names, wanted = [], False
    for line in text.splitlines():
        if line.startswith("File "):
            wanted = any(f"/{d}" in line or line.startswith(f"File {d}") for d in SCHED_DIRS)
        elif wanted and line.strip():
            match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\(", line)
            if match:
                names.append(match.group(1))
    return sorted(set(names))


def set_breakpoints() -> int:
    count = 0
    for name in sched_functions():
        gdb.Breakpoint(name, temporary=True, internal=False)
        count += 1
    addresses = settings["addresses"]
    for address in rng.sample(addresses, min(settings["random_stops"], len(addresses))):
        gdb.Breakpoint(f"*{address:#x}", temporary=True)
        count += 1
    return count


# Called throughout a run (every scenario's scheduling and IPI paths).
DEEP_FUNCTIONS = ("rq_push", "rq_pop", "ipi_post", "ipi_handle", "handle_message", "sched_tick",
                  "enqueue_on", "try_steal", "dispatch", "run_phase", "try_post", "sched_spawn",
                  "sched_yield", "complete_message", "reap_and_wake", "task_alloc")
DEEP_MAX_PASSES = 10


def function_instructions(name: str) -> list[int]:
    """Every instruction address of `name`'s out-of-line copy."""
    symbol = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if symbol is None or symbol.type.code != gdb.TYPE_CODE_FUNC:
        return []
    block = gdb.block_for_pc(int(symbol.value().address))
    while block is not None and block.function is None:
        block = block.superblock
    if block is None:
        return []
    return [a for a in settings["addresses"] if block.start <= a < block.end]


class Deep:
    """In each deep function, a breakpoint on one of its instructions (any:
    its entry, a lock being taken, a task half-queued) that stops the N-th
    time a hart passes it from when it was armed, address and N drawn from
    the seed; the one that stopped is re-armed elsewhere, until `count`
    deep stops have been armed."""

    def __init__(self, count: int):
        self.left = count
        self.armed: dict[str, tuple[gdb.Breakpoint, int, str]] = {}
        self.instructions = {name: function_instructions(name) for name in DEEP_FUNCTIONS}
        for name, instructions in sorted(self.instructions.items()):
            if instructions:
                self.arm(name)

    def arm(self, name: str) -> None:
        if name in self.armed:
            self.armed.pop(name)[0].delete()
        if self.left <= 0:
            return
        self.left -= 1
        instructions = self.instructions[name]
        address = rng.choice(instructions)
        breakpoint = gdb.Breakpoint(f"*{address:#x}", internal=True)
        passes = rng.randrange(DEEP_MAX_PASSES)
        breakpoint.ignore_count = passes
        self.armed[name] = (breakpoint, passes, f"deep {name}+{address - instructions[0]} pass {passes + 1}")

    def hit(self) -> str | None:
        """Where this stop is, if a deep breakpoint made it (gdb counts the
        ignored passes as hits too); that one is re-armed."""
        for name, (breakpoint, passes, label) in sorted(self.armed.items()):
            if breakpoint.hit_count > passes:
                self.arm(name)
                return label
        return None


def qemu_view() -> dict[int, int]:
    text = gdb.execute("monitor info registers -a", to_string=True).replace("\r\n", "\n")
    return {int(hart, 16): int(pc, 16) for _cpu, pc, hart in QEMU_CPU.findall(text)}


def one_stop(number: int) -> dict:
    record = {"stop": number, "problems": []}
    frame = gdb.selected_frame()
    record["where"] = f"{frame.pc():#x} {frame.name() or '?'}"
    try:
        harts_text = gdb.execute("neuron harts", to_string=True)
        check_text = gdb.execute("neuron check", to_string=True)
    except gdb.error as error:
        record["problems"].append(f"command failed: {error}")
        return record
    for text in (harts_text, check_text):
        if "Traceback" in text or "internal error" in text:
            record["problems"].append("traceback or internal error: " + text[-300:])
    record["check"] = check_text.strip().splitlines()[-1] if check_text.strip() else ""
    if not check_text.strip().endswith("neuron check: ok"):
        record["problems"] += [line for line in check_text.splitlines()
                               if not line.startswith("neuron check: note:")]
    stage = re.search(r"^boot stage (\w+)", harts_text, re.M)
    record["stage"] = stage.group(1) if stage else None
    ours = {int(h): (state, int(pc, 16)) for h, state, pc in HART_LINE.findall(harts_text)}
    theirs = qemu_view()
    record["states"] = sorted({state for state, _pc in ours.values()})
    if set(ours) != set(theirs):
        record["problems"].append(f"harts {sorted(ours)} but QEMU has {sorted(theirs)}")
    for hart, pc in theirs.items():
        if hart in ours and ours[hart][1] != pc:
            record["problems"].append(f"hart {hart}: neuron harts says pc {ours[hart][1]:#x}, "
                                      f"QEMU's CPU with mhartid {hart} is at {pc:#x}")
    return record


def alive() -> bool:
    inferior = gdb.selected_inferior()
    return inferior.pid != 0 and bool(inferior.threads())


def record(stops: int, how: str) -> None:
    result = one_stop(stops)
    result["how"] = how
    results.write(json.dumps(result) + "\n")
    results.flush()


def main() -> None:
    total = set_breakpoints()
    deep = Deep(settings.get("deep_stops", 0))
    stops = deep_stops = 0
    while stops < settings["max_stops"]:
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error:
            break  # the kernel finished and QEMU closed the connection
        if not alive():
            break
        stops += 1
        location = deep.hit()
        if location is None:
            record(stops, "breakpoint")
            continue
        deep_stops += 1
        record(stops, location)
    results.write(json.dumps({"breakpoints": total, "stops": stops, "deep_stops": deep_stops}) + "\n")
    results.close()


main()
