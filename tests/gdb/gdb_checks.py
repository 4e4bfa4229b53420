"""CTest checks for the gdb scripts (tools/gdb) and `tools/neuron gdb`.

Each check boots the kernel under QEMU's gdbstub through the front door
(or runs gdb alone), and asserts on the commands' output for a state whose
contents are known by construction:

  inspect   scenario=imbalance stopped at sched_run: every task spawned on
            the lowest hart (6 per hart, ids 0..N-1 in order), other
            runqueues empty, nothing running; then states corrupted on
            purpose from gdb, which `neuron check` must report
  mailbox   scenario=ladder stopped at ipi_queued (rung full_mailbox): the
            last hart's mailbox paused and full of call messages
  offline   gdb without a target: one-line errors; the loader's listing
  nodebug   a kernel without debug info: one-line errors, no traceback
  autoload  neuron.elf-gdb.py loads with the safe-path step, not without
  commands  neuron, ps, bootargs, version, dmesg, $current(), $percpu("var")
            on the selected hart, empty and impossible queues, pointers and
            values no healthy kernel holds (flagged, never a half-printed
            view), and an ELF that is not the running image (said on load;
            one line, every command refuses)
  early     the first instruction and sched_init: harts not started, in
            firmware, numbered by QEMU; every command says something;
            --break on a location gdb cannot break at exits 2 before booting
  unwind    a hart in trap_entry whose trap frame cannot be read: no
            Python exception in bt or neuron check

Usage: gdb_checks.py CHECK --elf ELF --flavour audit|release --work DIR
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NEURON = REPO / "tools" / "neuron"
LOADER = REPO / "tools" / "gdb" / "neuron-gdb.py"
GDB = "gdb-multiarch"
HARTS = 4
TASKS_PER_HART = 6
MAILBOX_CAPACITY = 8
TIMEOUT = 60

failures: list[str] = []


def expect(condition: bool, what: str, output: str = "") -> None:
    if condition:
        print(f"ok: {what}")
    else:
        failures.append(what)
        print(f"FAILED: {what}")


def one_line_errors(output: str, what: str) -> None:
    """No Python traceback or internal error anywhere in a gdb transcript."""
    expect("Traceback" not in output and "Python Exception" not in output
           and "Error occurred in Python" not in output and "internal error" not in output,
           f"{what}: no traceback or internal error")


def attempts(commands: list[str]) -> str:
    """gdb Python that runs each command and prints `ERROR <message>` for a failure."""
    lines = ["python", "for _c in ["] + [f"        {c!r}," for c in commands] + [
        "    ]:",
        "    try:",
        "        gdb.execute(_c)",
        "        print('NOERROR', _c)",
        "    except gdb.error as _e:",
        "        print('ERROR', _c, '=>', str(_e).replace(chr(10), ' | '))",
        "end"]
    return "\n".join(lines) + "\n"


def error_for(output: str, command: str) -> str | None:
    for line in output.splitlines():
        if line.startswith(f"ERROR {command} => "):
            return line.split(" => ", 1)[1]
    return None


def run_front_door(elf: Path, work: Path, script: str, name: str, scenario: str,
                   breakpoint: str | None, flavour: str, append: str | None = None) -> str:
    batch = work / f"{name}.gdb"
    batch.write_text(script)
    command = [sys.executable, str(NEURON), "gdb", f"--{flavour}", "--elf", str(elf),
               "--harts", str(HARTS), "--scenario", scenario, "--seed", "1",
               "--batch", str(batch), "--timeout", str(TIMEOUT),
               "--log", str(work / f"{name}.console.log")]
    if breakpoint:
        command += ["--break", breakpoint]
    if append:
        command += ["--append", append]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, timeout=TIMEOUT + 10)
    output = result.stdout.decode(errors="replace")
    (work / f"{name}.out").write_text(output)
    print(f"--- {name}: tools/neuron gdb exit {result.returncode}, transcript {work / (name + '.out')}")
    expect(result.returncode == 0, f"{name}: the front door exits 0")
    expect(not qemu_left(elf), f"{name}: no QEMU left behind")
    return output


def run_batch_to_end(elf: Path, work: Path, script: str, name: str, scenario: str,
                     breakpoint: str | None, flavour: str, append: str | None = None) -> str | None:
    """run_front_door, then what every batch must show: no traceback or
    internal error, and the script ran to its `==end` marker. None (the
    failure already reported) when it did not."""
    output = run_front_door(elf, work, script, name, scenario, breakpoint, flavour, append)
    one_line_errors(output, name)
    if "==end" not in output:
        expect(False, f"{name}: the batch ran to the end")
        return None
    return output


def qemu_left(elf: Path) -> bool:
    """A QEMU still running our private copy of the kernel."""
    found = subprocess.run(["pgrep", "-f", f"qemu-system-riscv64 .*-kernel {elf}"],
                           stdout=subprocess.PIPE)
    return found.returncode == 0


def section(output: str, begin: str, end: str) -> str:
    start = output.index(begin) + len(begin)
    return output[start:output.index(end, start)]


# ---- inspect ------------------------------------------------------------

# A hart stopped inside an SBI call counts as inside every window of
# `neuron check` (its kernel frames are behind OpenSBI's), which would
# hide the counterfactuals below; without icount where the other harts
# stop is chance. Each such hart runs alone (the others held) to where
# the firmware returns into the kernel.
RUN_OUT_OF_FIRMWARE = """python
from neuron_gdb import target
gdb.execute("set scheduler-locking on")
for number in [h.hart for h in target.harts() if h.state == "in firmware"]:
    hart = next(h for h in target.harts() if h.hart == number)
    resume = hart.register("mepc")   # an interrupt returns there, an ecall 4 on
    stops = [gdb.Breakpoint(f"*{pc:#x} thread {hart.thread.num}", internal=True, temporary=True)
             for pc in (resume, resume + 4)]
    with target.selected_thread(hart.thread):
        gdb.execute("continue", to_string=True)
    for stop in stops:
        if stop.is_valid():
            stop.delete()
    hart = next(h for h in target.harts() if h.hart == number)
    if hart.priv == target.PRIV_MACHINE:
        raise gdb.GdbError(f"hart {number} did not leave firmware")
    print(f"hart {number} run alone out of firmware to {hart.register('pc'):#x}")
gdb.execute("set scheduler-locking off")
end
"""


def check_inspect(elf: Path, flavour: str, work: Path) -> None:
    tasks = TASKS_PER_HART * HARTS
    script = RUN_OUT_OF_FIRMWARE + """echo ==harts\\n
neuron harts
echo ==percpu\\n
neuron percpu sched_cpu
echo ==runq0\\n
neuron runq 0
echo ==runq\\n
neuron runq
echo ==ipi\\n
neuron ipi 1
echo ==function\\n
print $percpu("runqueues", 0).count
print $percpu("runqueues", 2).count
print $percpu("sched_cpu", 3).current
echo ==printer\\n
print $percpu("runqueues", 0)
echo ==clean\\n
neuron check
echo ==baduse\\n
""" + attempts([
        "neuron percpu no_such_var",
        "neuron percpu runqueues 99",
        "neuron percpu runqueues x",
        "neuron runq 99",
        "neuron ipi 1 2",
        "neuron ring -n 0",
        "neuron ring",
        "neuron dump-trace " + str(work / "inspect.trace"),
        "neuron check extra",
        'print $percpu("no_such_var", 0)',
        'print $percpu("runqueues", 42)',
    ]) + f"""echo ==count\\n
set var $percpu("runqueues", 0).count = {tasks - 1}
neuron check
set var $percpu("runqueues", 0).count = {tasks}
echo ==capacity\\n
set var $percpu("runqueues", 2).count = 65
neuron check
set var $percpu("runqueues", 2).count = 0
echo ==twice\\n
set $saved_slot = $percpu("runqueues", 0).slots[1]
set var $percpu("runqueues", 0).slots[1] = $percpu("runqueues", 0).slots[0]
neuron check
set var $percpu("runqueues", 0).slots[1] = (struct task *)((char *)$percpu("runqueues", 0).slots[2] + 8)
neuron check
set var $percpu("runqueues", 0).slots[1] = $saved_slot
echo ==midupdate\\n
set var $percpu("runqueues", 0).lock.locked = 1
set var $percpu("runqueues", 2).slots[0] = $percpu("runqueues", 0).slots[0]
set var $percpu("runqueues", 2).count = 1
neuron check
set var $percpu("runqueues", 2).count = 0
set var $percpu("runqueues", 0).lock.locked = 0
echo ==mailbox\\n
set var $percpu("ipi_mailboxes", 1).head = 9
neuron check
set var $percpu("ipi_mailboxes", 1).head = 0
"""
    if flavour == "audit":
        script += """echo ==stamp\\n
set var $percpu_slot("runqueues", 1).stamp.owner = 2
neuron percpu runqueues 1
neuron check
set var $percpu_slot("runqueues", 1).stamp.owner = 1
echo ==lock\\n
set var $percpu("runqueues", 3).lock.locked = 1
set var $percpu("runqueues", 3).lock.holder = 7
neuron check
set var $percpu("runqueues", 3).lock.locked = 0
set var $percpu("runqueues", 3).lock.holder = 0xffffffff
"""
    script += "echo ==end\\n"
    output = run_batch_to_end(elf, work, script, "inspect", "imbalance", "sched_run", flavour)
    if output is None:
        return

    harts_out = section(output, "==harts\n", "==percpu")
    lines = re.findall(r"^hart (\d+)  thread (\d+)  (?:running|in firmware)  pc=0x[0-9a-f]+ (\S+)  sie=(on|off)"
                       r"  current=(\S+)  runq=(\d+)", harts_out, re.M)
    expect([int(h) for h, *_ in lines] == list(range(HARTS)), "harts: one line per hart, ascending",
           harts_out)
    expect(all(int(t) == int(h) + 1 for h, t, *_ in lines), "harts: thread N is hart N-1")
    runq = {int(h): int(n) for h, _, _, _, _, n in lines}
    expect(runq == {0: tasks, **{h: 0 for h in range(1, HARTS)}},
           f"harts: runq lengths {tasks},0,0,0 (imbalance spawns everything on hart 0)")
    expect(sum(f == "sched_run" for _, _, f, *_ in lines) == 1, "harts: exactly one hart in sched_run")
    expect(all(c == "none" for *_, c, _ in lines), "harts: nothing running before the run")

    percpu_out = section(output, "==percpu\n", "==runq0")
    if flavour == "audit":
        stamps = re.findall(r"^hart (\d+): sched_cpu @ 0x[0-9a-f]+ stamp owner=(\d+) magic=0x5354414d ok$",
                            percpu_out, re.M)
        expect(len(stamps) == HARTS and all(h == o for h, o in stamps),
               "percpu: every instance stamped for its own hart")
    else:
        expect("release build: owner stamps do not exist here" in percpu_out,
               "percpu: release build says stamps do not exist")
        expect("stamp" not in percpu_out.replace("stamps do not exist", ""),
               "percpu: no stamp shown in release")
    addresses = [int(a, 16) for a in re.findall(r"^hart \d+: sched_cpu @ (0x[0-9a-f]+)", percpu_out, re.M)]
    expect(len(addresses) == HARTS and len(set(a2 - a1 for a1, a2 in zip(addresses, addresses[1:]))) == 1,
           "percpu: instances one area apart")

    runq0 = section(output, "==runq0\n", "==runq\n")
    ids = [int(i) for i in re.findall(r"^  \[\d+\] task (\d+) RUNNABLE pinned=any last=any steps=0 "
                                      r"fn=steps_task", runq0, re.M)]
    expect(ids == list(range(tasks)), f"runq 0: tasks 0..{tasks - 1} in spawn order, RUNNABLE, steps_task")
    expect(f"hart 0: runqueue count={tasks} head=0 capacity=64 enqueued={tasks}" in runq0,
           "runq 0: header counts")
    every = section(output, "==runq\n", "==ipi")
    expect(len(re.findall(r"^hart \d+: runqueue count=0 ", every, re.M)) == HARTS - 1,
           "runq: the other harts' queues are empty")

    ipi_out = section(output, "==ipi\n", "==function")
    expect(re.search(r"^hart 1: mailbox count=0 head=0 capacity=8 ", ipi_out, re.M) is not None,
           "ipi: hart 1's mailbox is empty")

    function_out = section(output, "==function\n", "==printer")
    values = re.findall(r"^\$\d+ = (.*)$", function_out, re.M)
    expect(values[:2] == [str(tasks), "0"], "$percpu: runqueue counts through the convenience function")
    expect(len(values) == 3 and values[2].endswith(" 0x0"), "$percpu: sched_cpu.current is NULL")
    printer = section(output, "==printer\n", "==clean")
    expect(f"runqueue count={tasks} head=0" in printer and printer.count("RUNNABLE") == tasks,
           "printer: runqueue printed as its queued tasks")

    expect(section(output, "==clean\n", "==baduse").strip().endswith("neuron check: ok"),
           "check: ok on the clean state")

    bad = section(output, "==baduse\n", "==count")
    expected_errors = {
        "neuron percpu no_such_var": r"^neuron percpu: no per-CPU variable 'no_such_var' in this build \(known: .*runqueues",
        "neuron percpu runqueues 99": r"^neuron percpu: hart 99 out of range \(harts present: 0, 1, 2, 3\)$",
        "neuron percpu runqueues x": r"^neuron percpu: 'x' is not a hart number$",
        "neuron runq 99": r"^neuron runq: hart 99 out of range",
        "neuron ipi 1 2": r"^neuron ipi: usage: neuron ipi \[HART\]$",
        "neuron ring -n 0": r"^neuron ring: -n must be at least 1$",
        "neuron check extra": r"^neuron check: usage",
        'print $percpu("no_such_var", 0)': r"^\$percpu: no per-CPU variable 'no_such_var'",
        'print $percpu("runqueues", 42)': r"^\$percpu: hart 42 out of range",
    }
    for command, pattern in expected_errors.items():
        message = error_for(bad, command)
        expect(message is not None and re.search(pattern, message) is not None,
               f"bad use: `{command}` -> one line: {message}")
    for command in ("neuron ring", f"neuron dump-trace {work / 'inspect.trace'}"):
        message = error_for(bad, command)
        if flavour == "audit":  # the trace ring exists in audit builds only
            expect(f"NOERROR {command}" in bad, f"`{command}` works on the audit kernel: {message}")
        else:
            expect((message or "").endswith("the trace ring is not available in this build"),
                   f"`{command}` says the ring is not available: {message}")
    if flavour == "audit":
        records = re.findall(r"^  #\d+ t=\d+ task_new b=0 h=0 w=(\d+)$", bad, re.M)
        expect(len(records) >= 8 and [int(w) for w in records] == sorted(int(w) for w in records),
               "ring: hart 0's last records include the task spawns, decoded, in order")
        expect(re.search(r"^trace dump .*inspect.trace: \d+ harts, \d+ records$", bad, re.M) is not None
               and (work / "inspect.trace").stat().st_size > 0, "dump-trace: the dump is written")

    problems = section(output, "==count\n", "==capacity")
    expect(re.search(rf"^neuron check: counts: {tasks} RUNNABLE tasks but {tasks - 1} queued "
                     rf"\(not in any runqueue: task {tasks - 1}\)$", problems, re.M) is not None
           and "neuron check: ok" not in problems,
           "counterfactual: a runqueue count one short is reported")
    problems = section(output, "==capacity\n", "==twice")
    expect("neuron check: runq: hart 2: count 65 > capacity 64" in problems,
           "counterfactual: a count beyond capacity is reported")
    problems = section(output, "==twice\n", "==midupdate")
    expect("neuron check: runq: hart 0 [1]: task 0 also queued at runq: hart 0 [0]" in problems
           and f"neuron check: counts: {tasks} RUNNABLE tasks but {tasks - 1} queued "
               "(not in any runqueue: task 1)" in problems,
           "counterfactual: a task queued twice is reported")
    expect(re.search(r"runq: hart 0 \[1\]: 0x[0-9a-f]+ is not a task of the pool", problems) is not None,
           "counterfactual: a pointer into the middle of a task is reported")
    # A queue under its lock may still show a slot it has just given up
    # (the task already pushed elsewhere): a stop inside a steal's rq_pop
    # made the check call that a task queued twice.
    problems = section(output, "==midupdate\n", "==mailbox")
    expect("neuron check:" in problems and "also queued" not in problems,
           "a task in a queue mid-update and in another queue is not called queued twice", problems)
    problems = section(output, "==mailbox\n", "==stamp" if flavour == "audit" else "==end")
    expect("neuron check: mailbox: hart 1: head 9 count 0 outside capacity 8" in problems,
           "counterfactual: a mailbox head outside its ring is reported")
    if flavour == "audit":
        problems = section(output, "==stamp\n", "==lock")
        expect("stamp owner=2 magic=0x5354414d  <-- WRONG: stamped for hart 2, found in hart 1's area"
               in problems, "percpu: a wrong stamp is flagged")
        expect(re.search(r"^neuron check: stamp: runqueues on hart 1: stamped for hart 2, "
                         r"found in hart 1's area$", problems, re.M) is not None
               and "neuron check: 1 problem(s)" in problems,
               "counterfactual: a wrong stamp is reported, and only it")
        problems = section(output, "==lock\n", "==end")
        expect("neuron check: lock: runqueues.lock of hart 3 is held by hart 7 (not a present hart)"
               in problems, "counterfactual: a lock held by no present hart is reported")


# ---- mailbox ------------------------------------------------------------

def check_mailbox(elf: Path, flavour: str, work: Path) -> None:
    # The rung pauses the highest hart other than the boot hart, and without
    # icount OpenSBI's lottery picks the boot hart: find the paused mailbox.
    script = f"""python
paused = [h for h in range({HARTS}) if int(gdb.parse_and_eval(f'$percpu("ipi_mailboxes", {{h}}).paused'))]
target = paused[0] if len(paused) == 1 else -1
print(f"==target {{target}}")
print("==ipi")
gdb.execute(f"neuron ipi {{target}}")
print("==check")
gdb.execute("neuron check")
print("==broken")
gdb.execute(f'set var $percpu("ipi_mailboxes", {{target}}).ring[($percpu("ipi_mailboxes", {{target}}).head + 3) % {MAILBOX_CAPACITY}].seq += 100')
gdb.execute("neuron check")
print("==end")
end
"""
    output = run_batch_to_end(elf, work, script, "mailbox", "ladder", "ipi_queued", flavour)
    if output is None:
        return
    found = re.search(r"^==target (-?\d+)$", output, re.M)
    last = int(found.group(1)) if found else -1
    expect(last >= 0, f"ipi: exactly one mailbox paused (hart {last})")
    ipi_out = section(output, "==ipi\n", "==check")
    expect(re.search(rf"^hart {last}: mailbox count={MAILBOX_CAPACITY} head=\d+ capacity={MAILBOX_CAPACITY} "
                     r"resched_pending=\d+ paused=1 ", ipi_out, re.M) is not None,
           f"ipi: hart {last}'s mailbox paused and full")
    messages = re.findall(r"^  \[(\d+)\] call seq=(\d+) from hart (\d+) object=0x[0-9a-f]+ "
                          r"fn=count_run done=0$", ipi_out, re.M)
    seqs = [int(s) for _, s, _ in messages]
    expect(len(messages) == MAILBOX_CAPACITY and seqs == list(range(seqs[0], seqs[0] + MAILBOX_CAPACITY)),
           "ipi: eight call messages to count_run, consecutive sequence numbers, not yet done")
    expect(len({f for *_, f in messages}) == 1 and all(int(f) != last for *_, f in messages),
           "ipi: all from one other hart")
    expect(section(output, "==check\n", "==broken").strip().endswith("neuron check: ok"),
           "check: ok with a full paused mailbox")
    third = seqs[3] if len(seqs) > 3 else -1
    expect(re.search(rf"^neuron check: mailbox: hart {last} \[3\]: seq {third + 100} after {third - 1}$",
                     section(output, "==broken\n", "==end"), re.M) is not None,
           "counterfactual: a message out of sequence is reported")


# ---- without a target, without debug info, auto-load ---------------------

def gdb_alone(elf: Path, commands: list[str], early: list[str] | None = None) -> str:
    command = [GDB, "-batch", "-nx"]
    for line in early or []:
        command += ["-iex", line]
    for line in commands:
        command += ["-ex", line]
    command.append(str(elf))
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    return result.stdout.decode(errors="replace")


def check_offline(elf: Path, flavour: str, work: Path) -> None:
    output = gdb_alone(elf, [f"source {LOADER}", "neuron harts", "neuron check", "neuron runq 0",
                             'print $percpu("runqueues", 0)', "neuron percpu"])
    (work / "offline.out").write_text(output)
    one_line_errors(output, "offline")
    for command in ("neuron harts", "neuron check", "neuron runq"):
        expect(re.search(rf"^{command}: not connected to a target", output, re.M) is not None,
               f"offline: `{command}` says not connected, in one line")
    expect(re.search(r"^\$percpu: not connected to a target", output, re.M) is not None,
           "offline: $percpu says not connected")
    listing = re.search(r"^per-CPU variables: (.*)$", output, re.M)
    names = set(listing.group(1).split()) if listing else set()
    expect({"runqueues", "ipi_mailboxes", "ipi_stats", "sched_cpu"} <= names,
           f"offline: the per-CPU variables are listed from the ELF: {sorted(names)}")


def check_nodebug(elf: Path, flavour: str, work: Path) -> None:
    stripped = work / "neuron-nodebug.elf"
    subprocess.run(["riscv64-unknown-elf-objcopy", "--strip-debug", str(elf), str(stripped)], check=True)
    script = attempts(["neuron harts", "neuron runq 0", "neuron percpu runqueues",
                       "neuron ipi", "neuron check", 'print $percpu("runqueues", 0)'])
    output = run_front_door(stripped, work, script, "nodebug", "imbalance", "sched_run", flavour)
    one_line_errors(output, "nodebug")
    for command in ("neuron runq 0", "neuron percpu runqueues", "neuron ipi",
                    'print $percpu("runqueues", 0)'):
        message = error_for(output, command) or ""
        expect("no per-CPU variable 'runqueues'" in message or "no per-CPU variable 'ipi_mailboxes'" in message
               or "has no symbol 'hart_area' (kernel ELF without debug info" in message,
               f"nodebug: `{command}` -> {message}")
    message = error_for(output, "neuron check") or ""
    expect(message.startswith("neuron check: this build has no type"), f"nodebug: `neuron check` -> {message}")
    expect(len(re.findall(r"^hart \d+  thread \d+  \S+(?: \S+)?  pc=", output, re.M)) == HARTS,
           "nodebug: `neuron harts` still lists every hart")


def check_autoload(elf: Path, flavour: str, work: Path) -> None:
    script = elf.parent / (elf.name + "-gdb.py")
    expect(script.is_file(), f"autoload: {script} exists")
    allowed = gdb_alone(elf, ["help neuron"], early=[f"add-auto-load-safe-path {elf.parent}"])
    expect("Inspect a neuron kernel" in allowed, "autoload: loaded after add-auto-load-safe-path")
    declined = gdb_alone(elf, ["help neuron"], early=["set auto-load safe-path /nonexistent"])
    expect("Inspect a neuron kernel" not in declined, "autoload: declined without the safe-path step")




# ---- commands -------------------------------------------------------------

def check_commands(elf: Path, flavour: str, work: Path) -> None:
    """The commands a kernel developer reaches for first, on the imbalance
    state at sched_run (every task queued on the lowest hart)."""
    tasks = HARTS * TASKS_PER_HART
    other = work / "other.elf"
    data = bytearray(elf.read_bytes())
    text = subprocess.run(["riscv64-unknown-elf-objdump", "-h", str(elf)], stdout=subprocess.PIPE,
                          text=True, check=True).stdout
    offset = int(re.search(r"^\s*\d+ \.text\s+\S+\s+\S+\s+\S+\s+(\S+)", text, re.M).group(1), 16)
    data[offset + 64] ^= 0xFF          # the same ELF but for one byte of .text
    other.write_bytes(bytes(data))
    script = """echo ==help\\n
neuron
echo ==ps\\n
neuron ps
echo ==bootargs\\n
neuron bootargs
echo ==version\\n
neuron version
echo ==dmesg\\n
neuron dmesg
echo ==current\\n
thread 1
print $current()
print (char *)&$percpu("hart_local") - hart_area[0]
thread 2
print (char *)&$percpu("hart_local") - hart_area[1]
print $current(1)
echo ==empty\\n
neuron runq 1
neuron ipi 1
echo ==impossible\\n
set var $percpu("runqueues", 2).count = 70
neuron runq 2
set var $percpu("runqueues", 2).count = 0
echo ==badpointer\\n
set $saved_slot = $percpu("runqueues", 0).slots[1]
set var $percpu("runqueues", 0).slots[1] = (struct task *)0xdead0000
set var $percpu("sched_cpu", 1).current = (struct task *)0xdead0040
set var pool[5].state = 9
set var $percpu("ipi_mailboxes", 1).count = 1
set var $percpu("ipi_mailboxes", 1).ring[0].kind = 77
""" + attempts(["neuron runq 0", "neuron harts", "neuron ps", "neuron ipi 1", "neuron check",
                'print $percpu("runqueues", 0)', 'print $percpu("runqueues", "x")']) + f"""set var $percpu("runqueues", 0).slots[1] = $saved_slot
set var $percpu("sched_cpu", 1).current = 0
set var pool[5].state = TASK_RUNNABLE
set var $percpu("ipi_mailboxes", 1).count = 0
set var $percpu("ipi_mailboxes", 1).ring[0].kind = 0
echo ==mismatch\\n
file {other}
""" + attempts(["neuron harts", "neuron check", "neuron version", "neuron percpu", "neuron ps",
                'print $percpu("runqueues")']) + f"""file {elf}
echo ==back\\n
neuron check
echo ==end\\n
"""
    # Boot arguments through --append that change nothing before sched_run.
    output = run_batch_to_end(elf, work, script, "commands", "imbalance", "sched_run", flavour,
                            append="steal_k=3 storm_ipis=7")
    if output is None:
        return
    expect("Commands: neuron harts, neuron ps" in section(output, "==help\n", "==ps"),
           "neuron alone: lists the commands")
    ps = section(output, "==ps\n", "==bootargs")
    rows = re.findall(r"^\s+(\d+)  imbalance/(\d+)\s+RUNNABLE  queued on 0\s+any\s+any\s+0  steps_task$",
                      ps, re.M)
    expect([int(r) for r, _ in rows] == list(range(tasks)) and all(r == n for r, n in rows)
           and f"{tasks} task(s) in use of 128" in ps and re.search(r"^\s+ID  NAME\s+STATE", ps, re.M),
           f"ps: tasks 0..{tasks - 1} named imbalance/ID, RUNNABLE queued on hart 0, steps_task", ps)
    boot = section(output, "==bootargs\n", "==version")
    expect('bootargs: "scenario=imbalance seed=1 steal_k=3 storm_ipis=7"' in boot
           and "parsed: scenario=imbalance seed=1 watchdog_ms=5000 selftest_fail=none" in boot
           and " steal_k=3 fault=none " in boot and " storm_ipis=7 " in boot and " stress_rounds=0" in boot,
           "bootargs: the command line with --append's arguments, and every parsed field", boot)
    version = section(output, "==version\n", "==dmesg")
    expect(f"neuron {flavour} build, NEURON_MAX_HARTS 32" in version
           and "equal this ELF's" in version, "version: flavour, NEURON_MAX_HARTS, image checked", version)
    dmesg = section(output, "==dmesg\n", "==current")
    expect(re.search(r"^neuron: boot hart \d+;", dmesg, re.M) is not None
           and "neuron: smp: 4 of 4 harts online" in dmesg,
           "dmesg: the console lines the kernel printed", dmesg)
    current = section(output, "==current\n", "==empty")
    values = re.findall(r"^\$\d+ = (.*)$", current, re.M)
    # The same offset into hart 0's area on thread 1 and hart 1's on thread 2.
    expect(len(values) == 4 and values[0].endswith("0x0") and values[1] == values[2]
           and values[1].isdigit() and int(values[1]) > 0 and values[3].endswith("0x0"),
           "$current() and $percpu(\"var\") follow the selected thread's hart", current)
    empty = section(output, "==empty\n", "==impossible")
    expect(empty.count("  empty") == 2, "runq and ipi of an idle hart say empty", empty)
    impossible = section(output, "==impossible\n", "==badpointer")
    expect("IMPOSSIBLE: count 70 > capacity 64" in impossible, "runq: a count over capacity is flagged",
           impossible)
    # Pointers and values no healthy kernel holds: every view shows them,
    # flagged, and goes on (none fails half-way on an unreadable pointer).
    bad = section(output, "==badpointer\n", "==mismatch")
    for command in ("neuron runq 0", "neuron harts", "neuron ps", "neuron ipi 1", "neuron check",
                    'print $percpu("runqueues", 0)'):
        expect(f"NOERROR {command}" in bad, f"bad pointers: `{command}` completes: {error_for(bad, command)}")
    expect("  [1] 0xdead0000 (IMPOSSIBLE: not a task of the pool)" in bad,
           "runq: a queued pointer outside the pool is flagged", bad)
    expect(re.search(r"^hart 1 .*current=0xdead0040 \(IMPOSSIBLE: not a task of the pool\)", bad, re.M)
           is not None, "harts: a current task outside the pool is flagged")
    expect(re.search(r"^\s+5  imbalance/5\s+9\(IMPOSSIBLE: no such state\)", bad, re.M) is not None,
           "ps: a task state enum task_state does not have is flagged")
    expect("[0] kind77 seq=" in bad and "(IMPOSSIBLE: no such kind)" in bad,
           "ipi: a message kind enum ipi_kind does not have is flagged")
    expect("neuron check: current: hart 1: sched_cpu.current 0xdead0040 is not a task of the pool" in bad
           and "neuron check: task: pool[5] (task 5) has state 9, which enum task_state does not have" in bad,
           "check: a current task outside the pool and an impossible task state are reported")
    expect(re.search(r"^\$\d+ = runqueue count=24 .*, 0xdead0000, task 2 ", bad, re.M) is not None,
           "printer: a runqueue holding a bad pointer prints whole, the pointer as a pointer")
    expect((error_for(bad, 'print $percpu("runqueues", "x")') or "").endswith("hart must be a number, not char [2]"),
           "$percpu: a hart that is not a number, in one line")
    mismatch = section(output, "==mismatch\n", "==back")
    expect(re.search(rf"^neuron: the running kernel is not {re.escape(str(other))}: its .text differs at",
                     mismatch, re.M) is not None, "mismatch: said in one line as soon as the ELF is loaded")
    for command in ("neuron harts", "neuron check", "neuron version", "neuron percpu", "neuron ps",
                    'print $percpu("runqueues")'):
        message = error_for(mismatch, command) or ""
        expect(f"the running kernel is not {other}: its .text differs at" in message,
               f"mismatch: `{command}` refuses in one line: {message}")
    expect("neuron release build" not in mismatch and "neuron audit build" not in mismatch
           and "per-CPU variables:" not in mismatch,
           "mismatch: nothing but the refusal is printed (version and the variable list included)", mismatch)
    expect(section(output, "==back\n", "==end").strip().endswith("neuron check: ok"),
           "mismatch: the right ELF again and every command works")


# ---- early --------------------------------------------------------------

def check_early(elf: Path, flavour: str, work: Path) -> None:
    """At the first instruction (every hart in firmware, no areas) and at
    sched_init (secondaries not started): every command says something."""
    first = run_front_door(elf, work, attempts(["neuron runq", "neuron ipi", "neuron percpu runqueues",
                                                "neuron ps", "neuron ring"])
                           + "neuron harts\nneuron check\necho ==end\\n\n", "early.first", "imbalance",
                           None, flavour)
    one_line_errors(first, "early.first")
    for command in ("neuron runq", "neuron ipi", "neuron percpu runqueues"):
        message = error_for(first, command) or ""
        expect("the per-hart areas do not exist yet" in message
               or "not set up yet (boot stage ENTRY" in message,
               f"first instruction: `{command}` -> {message}")
    expect(len(re.findall(r"^hart \d+  thread \d+  not started  pc=0x1000 \(firmware\)", first, re.M)) == HARTS,
           "first instruction: every hart not started, in firmware", first)
    expect("nothing to check" in first and "neuron check: ok" in first,
           "first instruction: check says there is nothing to check yet")
    init = run_front_door(elf, work, "neuron harts\nneuron check\n"
                          + attempts(["neuron runq 1", "neuron ring", "neuron percpu hart_local"])
                          + "echo ==end\\n\n", "early.init", "imbalance", "sched_init", flavour)
    one_line_errors(init, "early.init")
    # No icount: OpenSBI's lottery picks the boot hart; the console names it.
    console = (work / "early.init.console.log").read_text(errors="replace")
    boot = re.search(r"^neuron: boot hart (\d+);", console, re.M)
    boot_hart = boot.group(1) if boot else "?"
    states = re.findall(r"^hart (\d+)  thread \d+  (running|not started)  ", init, re.M)
    expect(states == [(str(h), "running" if str(h) == boot_hart else "not started")
                      for h in range(HARTS)],
           f"sched_init: the boot hart ({boot_hart}) running, the others not started, "
           "numbered by QEMU", init)
    expect("neuron check: ok" in init and "problem" not in init, "sched_init: check ok, no problem")
    # A per-hart view of a hart outside the kernel says so on its line.
    marked = {int(h): line.endswith("  [hart not started (waiting in firmware)]")
              for h, line in re.findall(r"^hart (\d+): (hart_local @ .*)$", init, re.M)}
    expect(len(marked) == HARTS and all(m == (str(h) != boot_hart) for h, m in marked.items()),
           "sched_init: neuron percpu marks each hart not started, and only those", init)
    message = error_for(init, "neuron runq 1") or ""
    expect("runqueues are not set up yet (boot stage AREAS" in message, f"sched_init: `neuron runq 1` -> {message}")
    if flavour == "audit":
        message = error_for(init, "neuron ring") or ""
        expect("the trace has not started yet" in message, f"sched_init: `neuron ring` -> {message}")
    unknown = subprocess.run([sys.executable, str(NEURON), "gdb", f"--{flavour}", "--elf", str(elf),
                              "--break", "no_such_function", "--batch", str(work / "early.init.gdb")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    text = unknown.stdout.decode(errors="replace")
    expect(unknown.returncode == 2 and "--break no_such_function: no function" in text
           and not qemu_left(elf), f"--break on an unknown symbol: exit 2 before booting ({text.strip()})")
    # A kernel that ends under gdb (here on a bad boot argument): gdb only
    # says the connection closed; the front door says why.
    ended = subprocess.run([sys.executable, str(NEURON), "gdb", f"--{flavour}", "--elf", str(elf),
                            "--append", "no_such_key=1", "--break", "sched_run",
                            "--batch", str(work / "early.init.gdb"),
                            "--log", str(work / "early.ended.console.log")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    text = ended.stdout.decode(errors="replace")
    expect(re.search(r"^neuron: gdb: the kernel ended while attached: exit status 2 \(bad boot arguments\); "
                     r"its last console line: neuron: bootargs: unknown argument 'no_such_key=1'", text, re.M)
           is not None and not qemu_left(elf), "a kernel that ends under gdb: the front door says why", text)
    # Every location gdb could not break at, not only an unknown function
    # name: a line past the end of a file, a file the ELF does not have, a
    # data symbol. Each would leave a pending breakpoint and run the kernel to its end.
    for location in ("kernel/sched/sched.c:99999", "no_such_file.c:10", "hart_area"):
        refused = subprocess.run([sys.executable, str(NEURON), "gdb", f"--{flavour}", "--elf", str(elf),
                                  "--break", location, "--batch", str(work / "early.init.gdb"),
                                  "--log", str(work / "early.refused.console.log")],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        text = refused.stdout.decode(errors="replace")
        expect(refused.returncode == 2 and f"--break {location}: no function or line to break at" in text
               and len(text.strip().splitlines()) == 1 and not qemu_left(elf),
               f"--break {location}: exit 2 before booting, one line ({text.strip()})")


# ---- unwind -------------------------------------------------------------

def check_unwind(elf: Path, flavour: str, work: Path) -> None:
    """A hart inside trap_entry with a trap frame that cannot be read: the
    backtrace and `neuron check` (which walks every stack) stay free of
    Python exceptions; the stack is called unknown."""
    script = """bt 3
set $saved_sp = $sp
set var $sp = 0xdead0000
echo ==corrupt\\n
bt 3
neuron check
set var $sp = $saved_sp
echo ==end\\n
"""
    output = run_batch_to_end(elf, work, script, "unwind", "ladder", "trap_entry_saved", flavour)
    if output is None:
        return
    corrupt = section(output, "==corrupt\n", "==end")
    expect("Python Exception" not in corrupt and "neuron check: ok" in corrupt
           and "kernel stack unknown" in corrupt,
           "unwind: an unreadable trap frame: no Python exception, the stack unknown, check ok", corrupt)


CHECKS = {"inspect": check_inspect, "mailbox": check_mailbox, "offline": check_offline,
          "nodebug": check_nodebug, "autoload": check_autoload, "commands": check_commands,
          "early": check_early, "unwind": check_unwind}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=sorted(CHECKS))
    parser.add_argument("--elf", type=Path, required=True)
    parser.add_argument("--flavour", choices=("audit", "release"), required=True)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    elf = args.elf
    if args.check not in ("autoload", "offline"):
        # A private copy, so "no QEMU left behind" can look for exactly ours.
        elf = args.work / f"neuron-{args.check}.elf"
        shutil.copyfile(args.elf, elf)
    CHECKS[args.check](elf, args.flavour, args.work)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
