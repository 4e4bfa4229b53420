#!/usr/bin/python3
"""PerCpu code generation check for riscv64.

Builds the reference functions twice, through the wrapper (wrapper.c) and
hand-written (hand.c), LINKS each (TPREL relaxation happens at link time)
with codegen.ld, and compares the disassembly function by function.

  codegen.py check   release: every pair must be identical, and a local
                     read/write under an irqs-off token must be 1 instruction
  codegen.py report  audit: print the instruction counts (no identity) and
                     what the audit adds when every check passes (fast paths)
  codegen.py table --update FILE
                     rebuild both flavours and rewrite the table between
                     the codegen-table markers in FILE (docs/benchmarks.md)

Exit status 0 on success, 1 on a mismatch, 2 on a build error.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

DEFAULT_CFLAGS = (
    "-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes "
    "-Wundef -Werror=incompatible-pointer-types -Werror=deprecated-declarations "
    "-Werror=int-conversion -march=rv64gc -mabi=lp64d -mcmodel=medany -ffreestanding "
    "-fno-builtin -nostdlib -fno-common -ftls-model=local-exec -fno-pic -fno-pie -O2"
)
FUNCTIONS = [
    "read_irqs_off", "write_irqs_off", "read_guarded", "write_guarded",
    "read_u32_irqs_off", "read_u8_irqs_off", "write_u8_irqs_off",
    "read_ptr_irqs_off", "local_address",
    "read_far_irqs_off", "write_far_irqs_off", "read_farther_irqs_off", "write_farther_irqs_off",
    "reload_around_read", "read_across_call",
]
# The tp caveat (docs/concurrency-model.md): across a call (a context
# switch) no register may keep tp or an address formed from it; every
# per-CPU access names tp itself as its base.
TP_FRESH_AFTER_CALL = ["read_across_call"]
# Accessors against plain accesses to the same instance through a
# percpu_local() pointer (wrapper only): the instructions that must be
# there, in this order. A plain access is one not based on tp.
ORDERED = {
    "order_store_then_read": [r"^sd a0,8\((?!tp)\w+\)$", r"^ld a0,8\(tp\)$"],
    "order_write_then_load": [r"^sd a0,8\(tp\)$", r"^ld a0,8\((?!tp)\w+\)$"],
    "order_load_write_load": [r"^ld \w+,8\((?!tp)\w+\)$", r"^sd a0,8\(tp\)$",
                              r"^ld \w+,8\((?!tp)\w+\)$"],
}
# Hand-written only, for the table: Linux riscv's offset-table form.
LINUX_STYLE = ["linux_read_irqs_off", "linux_local_address", "plain_read_across_call"]
# Release promise: one instruction (plus ret) for word-sized reads, every
# write and the local address. A sub-word value leaving an asm statement is
# re-extended by GCC (it does not trust asm outputs' upper bits), one
# instruction more, exactly as in the hand-written asm; plain C __thread
# code costs the same two (mv a5,tp; lw a0,off(a5)).
ONE_INSTRUCTION = ["read_irqs_off", "write_irqs_off", "write_u8_irqs_off",
                   "read_ptr_irqs_off", "local_address"]
TWO_INSTRUCTIONS = ["read_u32_irqs_off", "read_u8_irqs_off"]
# A field 2 KiB or more into the variable (beyond a 12-bit immediate from
# tp) costs lui + add + the access, as hand-written code does.
THREE_INSTRUCTIONS = ["read_far_irqs_off", "write_far_irqs_off",
                      "read_farther_irqs_off", "write_farther_irqs_off"]


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write("codegen: command failed: %s\n%s%s" % (
            " ".join(shlex.quote(c) for c in cmd), proc.stdout, proc.stderr))
        sys.exit(2)
    return proc.stdout


def build(args, workdir, side, audit):
    """Compile and link one side; returns the ELF path."""
    cflags = shlex.split(args.cflags) + [
        "-DNEURON_AUDIT=%d" % audit, "-DNEURON_MAX_HARTS=%d" % args.max_harts,
        "-I" + os.path.join(ROOT, "percpu", "include"), "-I" + HERE]
    sources = [os.path.join(HERE, side + ".c")]
    if side == "wrapper" and audit:
        # percpu.c first: its self block leads the per-hart area, within a
        # 12-bit offset of tp as in the kernel, so its loads are one
        # instruction here too.
        sources = [os.path.join(ROOT, "percpu", "percpu.c"),
                   os.path.join(ROOT, "percpu", "percpu_audit.c")] + sources + [
                   os.path.join(HERE, "runtime.c")]
    elf = os.path.join(workdir, "%s-%s.elf" % (side, "audit" if audit else "release"))
    run([args.cc] + cflags + sources + [
        "-nostdlib", "-static", "-T", os.path.join(HERE, "codegen.ld"),
        "-Wl,--no-warn-rwx-segments", "-o", elf])
    return elf


def disassemble(args, elf):
    """{function: [normalised instruction text]} for the listed functions."""
    out = run([args.objdump, "-d", "--no-show-raw-insn", elf])
    functions, current = {}, None
    for line in out.splitlines():
        header = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if header:
            current = header.group(1)
            functions[current] = []
            continue
        insn = re.match(r"^\s+[0-9a-f]+:\s+(.*)$", line)
        if insn and current:
            # A call's target by name: the two builds place it differently.
            text = re.sub(r"^(jal)\s+[0-9a-f]+ <([^>+]+)>.*", r"\1 \2", insn.group(1))
            text = text.split("#")[0].split("<")[0].strip()
            functions[current].append(re.sub(r"\s+", " ", text))
    return {name: functions.get(name, []) for name in FUNCTIONS + LINUX_STYLE + list(ORDERED)}


HOT_PATH_FUNCTIONS = ["read_irqs_off", "write_irqs_off", "read_twice_irqs_off",
                      "write_twice_irqs_off", "guard_only_irqs_off", "guard_only"]
BRANCHES = ("beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez", "bltz",
            "bgtz", "bgt", "ble", "bgtu", "bleu")


def hot_paths(args, elf):
    """{function: instructions executed when no check fails}: from the
    entry, falling through every conditional branch (the audit's checks
    branch away to their out-of-line reports), following jumps, up to the
    ret; a call counts as one instruction (its callee is not expanded)."""
    out = run([args.objdump, "-d", "--no-show-raw-insn", elf])
    code, starts, current = {}, {}, None
    for line in out.splitlines():
        header = re.match(r"^([0-9a-f]+) <([^>]+)>:$", line)
        if header:
            current = header.group(2)
            starts[current] = int(header.group(1), 16)
            continue
        insn = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(\S*)", line)
        if insn and current:
            code[int(insn.group(1), 16)] = (insn.group(2), insn.group(3))
    addresses = sorted(code)
    following = {a: b for a, b in zip(addresses, addresses[1:])}
    result = {}
    for name in HOT_PATH_FUNCTIONS:
        pc, n = starts.get(name), 0
        while pc in code and n < 1000:
            op, operands = code[pc]
            if op == "ret":
                break
            n += 1
            if op == "j":
                pc = int(operands.split(",")[-1], 16)
            else:
                pc = following.get(pc)
        result[name] = n
    return result


def tp_copies(insns):
    """Instructions that put tp, or an address formed from it, in a
    register (anything naming tp other than as a load/store base)."""
    return [i for i in insns if re.search(r"\btp\b", i) and not i.endswith("(tp)")]


def counts(insns):
    """Instructions in a function, not counting its final ret."""
    body = insns[:-1] if insns and insns[-1] == "ret" else insns
    return len(body)


def check(args):
    with tempfile.TemporaryDirectory() as work:
        wrapped = disassemble(args, build(args, work, "wrapper", 0))
        hand = disassemble(args, build(args, work, "hand", 0))
    failures = 0
    for name in FUNCTIONS:
        if not wrapped[name]:
            print("FAIL %s: not found in the wrapper build" % name)
            failures += 1
        elif wrapped[name] != hand[name]:
            failures += 1
            print("FAIL %s: wrapper and hand-written code differ" % name)
            print("  wrapper:      %s" % " ; ".join(wrapped[name]))
            print("  hand-written: %s" % " ; ".join(hand[name]))
        else:
            print("ok   %-20s %s" % (name, " ; ".join(wrapped[name])))
    for name in ONE_INSTRUCTION:
        n = counts(wrapped[name])
        if n != 1:
            failures += 1
            print("FAIL %s: %d instructions before ret, release promises 1" % (name, n))
    for name in TWO_INSTRUCTIONS:
        n = counts(wrapped[name])
        if n > 2:
            failures += 1
            print("FAIL %s: %d instructions before ret, release promises at most 2" % (name, n))
    for name in THREE_INSTRUCTIONS:
        n = counts(wrapped[name])
        if n != 3:
            failures += 1
            print("FAIL %s: %d instructions before ret, a field past 2 KiB takes 3" % (name, n))
    for name in TP_FRESH_AFTER_CALL:
        bad = tp_copies(wrapped[name])
        calls = [i for i in wrapped[name] if i.startswith(("call ", "jal "))]
        based = [i for i in wrapped[name] if i.endswith("(tp)")]
        if bad or not calls or len(based) != 2:
            failures += 1
            print("FAIL %s: the access after the call must form its address from tp again "
                  "(copies of tp: %s; tp-based accesses: %d)" % (name, bad or "none", len(based)))
        else:
            print("ok   %-20s no register keeps tp across the call" % name)
    for name, pattern in ORDERED.items():
        at = 0
        for insn in wrapped[name]:
            if at < len(pattern) and re.match(pattern[at], insn):
                at += 1
        if at != len(pattern):
            failures += 1
            print("FAIL %s: expected, in order: %s; got: %s" % (
                name, " ; ".join(pattern), " ; ".join(wrapped[name])))
        else:
            print("ok   %-20s %s" % (name, " ; ".join(wrapped[name])))
    print("info plain C __thread, same function: %s" % " ; ".join(hand["plain_read_across_call"]))
    print("%d functions compared, %d failures" % (len(FUNCTIONS), failures))
    return 1 if failures else 0


def measure(args, audit, side="wrapper"):
    with tempfile.TemporaryDirectory() as work:
        return disassemble(args, build(args, work, side, audit))


def report(args):
    funcs = measure(args, 1)
    print("audit flavour, instructions per function (calls to the checks not expanded):")
    for name in FUNCTIONS:
        calls = sum(1 for i in funcs[name] if i.startswith(("call", "jal ", "jalr", "tail")))
        print("  %-20s %3d instructions, %d calls" % (name, counts(funcs[name]), calls))
    print("audit minus release, instructions executed when every check passes:")
    for name, n in fast_path_costs(args).items():
        print("  %-34s %3d" % (name, n))
    return 0


def fast_path_costs(args):
    """What the audit adds when every check passes, in instructions executed
    (calls to out-of-line checks count one, their bodies are not expanded)."""
    with tempfile.TemporaryDirectory() as work:
        audit = hot_paths(args, build(args, work, "wrapper", 1))
        release = hot_paths(args, build(args, work, "wrapper", 0))
    added = {name: audit[name] - release[name] for name in HOT_PATH_FUNCTIONS}
    # One more access under the same guard costs one check: the marginal
    # cost, free of the frame and register moves around the guard's calls.
    return {
        "local read check": added["read_twice_irqs_off"] - added["read_irqs_off"],
        "local write check": added["write_twice_irqs_off"] - added["write_irqs_off"],
        "guard pair, irqs-off token": added["guard_only_irqs_off"],
        "guard pair, PERCPU_GUARD": added["guard_only"],
    }


def table(args):
    release, audit, hand = measure(args, 0), measure(args, 1), measure(args, 0, "hand")
    rows = [
        ("local read (irqs-off token)", "read_irqs_off"),
        ("local write (irqs-off token)", "write_irqs_off"),
        ("local read (PERCPU_GUARD)", "read_guarded"),
        ("local write (PERCPU_GUARD)", "write_guarded"),
        ("local address (percpu_local)", "local_address"),
        ("local read, field at 2 KiB (irqs-off token)", "read_far_irqs_off"),
        ("local write, field at 2 KiB (irqs-off token)", "write_far_irqs_off"),
        ("local read, field past 4 KiB (irqs-off token)", "read_farther_irqs_off"),
        ("local write, field past 4 KiB (irqs-off token)", "write_farther_irqs_off"),
    ]
    lines = [
        "| access | function | release | audit |",
        "|---|---|---|---|",
    ]
    for label, name in rows:
        lines.append("| %s | `%s` | %d | %d |" % (label, name, counts(release[name]),
                                              counts(audit[name])))
    lines.append("| load `*p`, local read, `*p` again (no reload: the area operand, not a clobber) | "
                 "`reload_around_read` | %d | %d |" % (counts(release["reload_around_read"]),
                                                     counts(audit["reload_around_read"])))
    for label, name in (("Linux riscv style: local read through `__per_cpu_offset[cpu]` "
                         "(hand.c, no wrapper)", "linux_read_irqs_off"),
                        ("Linux riscv style: local address through `__per_cpu_offset[cpu]` "
                         "(hand.c, no wrapper)", "linux_local_address")):
        lines.append("| %s | `%s` | %d | - |" % (label, name, counts(hand[name])))
    lines.append("")
    lines.append("Release `read_irqs_off` is `%s`; release `write_irqs_off` is `%s`." % (
        " ; ".join(release["read_irqs_off"][:-1]), " ; ".join(release["write_irqs_off"][:-1])))
    # Its two PC-relative address pairs, with the symbols instead of the
    # offsets (which move whenever hand.c does).
    linux = " ; ".join(hand["linux_read_irqs_off"][:-1])
    for sym in ("linux_per_cpu_offset", "linux_rq"):
        linux = re.sub(r"auipc (\w+),0x[0-9a-f]+ ; add \1,\1,-?\d+",
                       r"auipc \1,%%pcrel_hi(%s) ; addi \1,\1,%%pcrel_lo" % sym, linux, count=1)
    lines.append("Linux style `linux_read_irqs_off` is `%s`." % linux)
    text = "\n".join(lines) + "\n"
    if not args.update:
        sys.stdout.write(text)
        return 0
    with open(args.update) as f:
        doc = f.read()
    begin, end = "<!-- codegen-table:begin -->\n", "<!-- codegen-table:end -->"
    if begin not in doc or end not in doc:
        sys.stderr.write("codegen: %s: no codegen-table markers\n" % args.update)
        return 2
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(args.update, "w") as f:
        f.write(head + begin + text + end + tail)
    print("codegen: updated %s" % args.update)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["check", "report", "table"])
    parser.add_argument("--cc", default="riscv64-unknown-elf-gcc")
    parser.add_argument("--objdump", default="riscv64-unknown-elf-objdump")
    parser.add_argument("--cflags", default=DEFAULT_CFLAGS)
    parser.add_argument("--max-harts", type=int, default=32)
    parser.add_argument("--update", help="file whose codegen table to rewrite")
    args = parser.parse_args()
    return {"check": check, "report": report, "table": table}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
