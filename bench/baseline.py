"""The wrapper's release kernel against the measuring baseline, hot path by hot path.

The baseline is the same kernel built with NEURON_PERCPU_BASELINE=ON
(preset release-baseline): every PerCpu accessor is plain C, a __thread
field or an area base plus the object's tp offset, no asm and no
"memory" clobber (percpu/include/neuron/arch/riscv.h says why it is not
safe as a product). Both are compared function by function:

- static: instructions in the function (objdump of the linked ELF, TPREL
  relaxation done), and which opcodes one side has that the other lacks;
- dynamic: guest instructions executed in the function per entry, from
  one icount boot of `mixed` seed=1 on 4 harts under the insn-count plugin.

The scheduler loop (`participate`) holds pick-next, the dispatch
bookkeeping around the context switch and the steal inline; its address
range is split by the DWARF inline tree (run_phase, dispatch, try_steal,
reap_and_wake) so that each of them is counted on its own.
"""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile

import guest

OBJDUMP = "riscv64-unknown-elf-objdump"

# (hot path, function). "A/B": the part of out-of-line function A that
# DWARF says is inlined function B (and what B inlined in turn).
HOT_PATHS = [
    ("pick-next", "rq_pop"),
    ("pick-next", "participate/run_phase"),
    ("enqueue", "enqueue_on"),
    ("enqueue", "rq_push"),
    ("context switch", "participate/dispatch"),
    ("context switch", "sched_switch"),
    ("context switch", "record_decision"),
    ("context switch", "sched_preempt_from_trap"),
    ("context switch", "sched_tick"),
    ("IPI post", "ipi_post"),
    ("IPI post", "try_post"),
    ("IPI post", "kick"),
    ("IPI post", "hart_id"),
    ("IPI handle", "ipi_handle"),
    ("IPI handle", "handle_message"),
    ("IPI handle", "complete_message"),
    ("IPI handle", "sched_note_resched"),
    ("steal", "participate/try_steal"),
    ("steal", "rq_take_for"),
    ("scheduler loop, rest", "participate/reap_and_wake"),
    ("scheduler loop, rest", "participate"),
]
SPLIT = {"participate": ["run_phase", "dispatch", "try_steal", "reap_and_wake"]}


def disassemble(elf: Path) -> dict[int, tuple[str, str]]:
    """Address -> (function, normalised instruction)."""
    out = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    code, current = {}, None
    for line in out.splitlines():
        header = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if header:
            current = header.group(1)
            continue
        insn = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if insn and current:
            text = insn.group(2).split("#")[0].split("<")[0].strip()
            code[int(insn.group(1), 16)] = (current, re.sub(r"\s+", " ", text))
    return code


def _die_ranges(die, dwarf, cu) -> list[tuple[int, int]]:
    attrs = die.attributes
    if "DW_AT_low_pc" in attrs and "DW_AT_high_pc" in attrs:
        low = attrs["DW_AT_low_pc"].value
        high = attrs["DW_AT_high_pc"]
        end = high.value if high.form == "DW_FORM_addr" else low + high.value
        return [(low, end)]
    if "DW_AT_ranges" in attrs:
        ranges = dwarf.range_lists().get_range_list_at_offset(attrs["DW_AT_ranges"].value, cu=cu)
        base = cu.get_top_DIE().attributes.get("DW_AT_low_pc")
        base = base.value if base else 0
        out = []
        for r in ranges:
            if hasattr(r, "begin_offset"):
                shift = 0 if getattr(r, "is_absolute", False) else base
                out.append((shift + r.begin_offset, shift + r.end_offset))
            elif hasattr(r, "base_address"):
                base = r.base_address
        return out
    return []


def _name(die) -> str | None:
    seen = 0
    while die is not None and seen < 4:
        if "DW_AT_name" in die.attributes:
            return die.attributes["DW_AT_name"].value.decode()
        origin = die.attributes.get("DW_AT_abstract_origin") or die.attributes.get("DW_AT_specification")
        die = die.get_DIE_from_attribute(origin.name) if origin else None
        seen += 1
    return None


def inline_parts(elf: Path) -> dict[int, str]:
    """Address -> "function/inlined" for the SPLIT functions' inlined parts
    (the innermost listed inline that covers the address: dispatch, not
    the run_phase it is inlined into)."""
    parts: dict[int, str] = {}
    with open(elf, "rb") as stream:
        image = ELFFile(stream)
        dwarf = image.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            for die in cu.iter_DIEs():
                if die.tag != "DW_TAG_subprogram" or _name(die) not in SPLIT:
                    continue
                if not _die_ranges(die, dwarf, cu):
                    continue
                outer, wanted = _name(die), SPLIT[_name(die)]

                def walk(node, label):
                    for child in node.iter_children():
                        here = label
                        if child.tag == "DW_TAG_inlined_subroutine" and _name(child) in wanted:
                            here = f"{outer}/{_name(child)}"
                            for low, high in _die_ranges(child, dwarf, cu):
                                for a in range(low, high, 2):
                                    parts[a] = here
                        walk(child, here)
                walk(die, None)
    return parts


def split_symbols(elf: Path, symbols: Path) -> None:
    """Rewrites guest.write_symbols' table with the SPLIT functions cut into
    runs of addresses, each named FUNCTION/INLINE#N or FUNCTION#N."""
    parts = inline_parts(elf)
    lines = []
    for line in symbols.read_text().splitlines():
        start, end, name = line.split()
        start, end = int(start, 16), int(end, 16)
        if name not in SPLIT:
            lines.append(line)
            continue
        run_start, run_label, n = start, None, 0
        for a in range(start, end + 2, 2):
            label = parts.get(a, name) if a < end else None
            if run_label is None:
                run_label = label
            elif label != run_label:
                lines.append(f"{run_start:x} {a:x} {run_label}#{n}")
                n += 1
                run_start, run_label = a, label
    symbols.write_text("\n".join(lines) + "\n")


def static_counts(elf: Path) -> dict[str, list[str]]:
    """Name (with the SPLIT parts) -> its instructions, in address order."""
    code = disassemble(elf)
    parts = inline_parts(elf)
    out: dict[str, list[str]] = collections.defaultdict(list)
    for address in sorted(code):
        function, insn = code[address]
        out[parts.get(address, function)].append(insn)
    return out


def run(elf: Path, flavour: str, harts: int, plugin: Path, work: Path) -> guest.GuestRun:
    """One guest.run with the split table: counts summed over each part's runs."""
    original = guest.write_symbols

    def write(elf_: Path, out: Path) -> None:
        original(elf_, out)
        split_symbols(elf_, out)
    guest.write_symbols = write
    try:
        result = guest.run(elf, flavour, harts, plugin, work)
    finally:
        guest.write_symbols = original
    merged: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for name, (insns, entries) in result.symbols.items():
        base, _, run_no = name.partition("#")
        merged[base][0] += insns
        # Only the function's own first run starts where calls enter it.
        merged[base][1] += entries if run_no in ("", "0") else 0
    result.symbols = {k: (v[0], v[1]) for k, v in merged.items()}
    return result


def opcode_diff(a: list[str], b: list[str], names: tuple[str, str] = ("wrapper", "baseline")) -> str:
    ca = collections.Counter(i.split()[0] for i in a)
    cb = collections.Counter(i.split()[0] for i in b)
    more, fewer = ca - cb, cb - ca

    def fmt(c):
        return " ".join(f"{k}×{v}" if v > 1 else k for k, v in sorted(c.items()))
    if not more and not fewer:
        return "same opcodes" if a == b else "same opcodes, other operands or order"
    return "; ".join(x for x in (f"{names[0]} +{fmt(more)}" if more else "",
                                 f"{names[1]} +{fmt(fewer)}" if fewer else "") if x)


# Entries of a split part are not calls: its per-event divisor instead.
PART_DIVISOR = {
    "participate/run_phase": ("rq_pop", "entries of rq_pop"),
    "participate/dispatch": ("sched_switch", "entries of sched_switch / 2"),
    "participate/try_steal": ("kernel:attempts", "steal attempts"),
    "participate/reap_and_wake": (None, "whole run"),
    "participate": ("participate", "entries"),
}


def section(wrapper: Path, baseline: Path, plugin: Path, work: Path, harts: int = 4) -> list[str]:
    static_w, static_b = static_counts(wrapper), static_counts(baseline)
    run_w = run(wrapper, "release", harts, plugin, work)
    run_b = run(baseline, "baseline", harts, plugin, work)

    def calls(r: guest.GuestRun, name: str) -> tuple[float, str]:
        spec, label = PART_DIVISOR.get(name, (name, "entries"))
        if spec is None:
            return 1, label
        if spec.startswith("kernel:"):
            return r.kernel_counts.get(spec[7:], 0), label
        n = r.entries(spec)
        return (n / 2 if name == "participate/dispatch" else n), label

    out = ["### Release: the wrapper against plain per-hart C, hot path by hot path", "",
           "Release kernel (the wrapper) against the same kernel built with "
           "`NEURON_PERCPU_BASELINE=ON` (preset `release-baseline`: every accessor plain C, "
           "a `__thread` field or `percpu__area_bases[h]` plus the tp offset, no asm, no "
           "clobber; a measuring build, unsafe as a product). Static: instructions in the "
           "linked function (objdump, relaxation done). Dynamic: guest instructions executed "
           f"in it per event, `mixed` seed 1, {harts} harts, icount, insn-count plugin. "
           "`participate/X`: the part of `participate` that DWARF says is the inlined `X`. "
           "Δ = wrapper − baseline (negative: the wrapper is shorter).", "",
           "| hot path | function | static wrapper / baseline (Δ) | per event wrapper / "
           "baseline (Δ) | events | opcodes that differ |",
           "|---|---|---|---|---|---|"]
    for path, name in HOT_PATHS:
        sw, sb = len(static_w.get(name, [])), len(static_b.get(name, []))
        iw, ib = run_w.insns([name]), run_b.insns([name])
        nw, label = calls(run_w, name)
        nb, _ = calls(run_b, name)
        if nw and nb:
            pw, pb = iw / nw, ib / nb
            dyn = f"{pw:,.1f} / {pb:,.1f} ({pw - pb:+,.1f})"
        else:
            dyn = "not run"
        events = f"{nw:,.0f} ({label})" if label != "entries" else f"{nw:,.0f}"
        if nw != nb:
            events += f"; baseline {nb:,.0f}"
        out.append(f"| {path} | `{name}` | {sw} / {sb} ({sw - sb:+d}) | {dyn} | {events} | "
                   f"{opcode_diff(static_w.get(name, []), static_b.get(name, []))} |")
    kw = sum(v[0] for v in run_w.symbols.values()) - run_w.insns([guest.FIRMWARE])
    kb = sum(v[0] for v in run_b.symbols.values()) - run_b.insns([guest.FIRMWARE])
    out += ["", f"Kernel code, whole run ({harts} harts): wrapper {kw:,}, baseline {kb:,} "
            f"instructions ({kw - kb:+,}, {kw / kb - 1:+.2%}). Decisions digest equal: "
            f"{'yes' if run_w.kernel_counts == run_b.kernel_counts else 'NO'} "
            "(the `# mixed:` counts of both runs).", "",
            "Command:", "", "```",
            "cmake --preset release && cmake --build build/release",
            "cmake --preset release-baseline && cmake --build build/release-baseline",
            "/usr/bin/python3 bench/run.py --parts baseline --update docs/benchmarks.md",
            "```", ""]
    return out


def clobber_section(wrapper: Path, unclobbered: Path, plugin: Path, work: Path,
                    harts: int = 4) -> list[str]:
    """What the accessors' memory description costs: the release kernel
    (each access names the per-hart area) against the same build with none
    at all, -DPERCPU_ARCH_MEASURE_NO_CLOBBER=1 (preset release-noclobber),
    every function of the kernel, static and dynamic."""
    static_w, static_n = static_counts(wrapper), static_counts(unclobbered)
    run_w = run(wrapper, "release", harts, plugin, work)
    run_n = run(unclobbered, "noclobber", harts, plugin, work)
    # Functions whose opcode sequence differs: a function that only moved
    # (other call and branch targets, other PC-relative offsets) is equal.
    def ops(insns: list[str]) -> list[str]:
        return [i.split()[0] for i in insns]
    differ = sorted(n for n in set(static_w) | set(static_n)
                    if ops(static_w.get(n, [])) != ops(static_n.get(n, [])) and "/" not in n)
    out = ["### What the accessors' memory operand costs", "",
           "The release kernel (each access names the per-hart area it touches, "
           "arch/riscv.h) against the same build with no memory description at all, neither "
           "operand nor \"memory\" clobber (preset `release-noclobber`: "
           "`-DPERCPU_ARCH_MEASURE_NO_CLOBBER=1`, unsafe, measuring only). Every function of the "
           "kernel whose opcode sequence differs (one that only moved is not listed), static "
           f"and per entry (`mixed` seed 1, {harts} harts, icount).", "",
           "| function | static release / none (Δ) | per entry release / none (Δ) | "
           "entries | opcodes that differ |", "|---|---|---|---|---|"]
    for name in differ:
        sw, sn = len(static_w.get(name, [])), len(static_n.get(name, []))
        ew, en = run_w.entries(name), run_n.entries(name)
        dyn = (f"{run_w.insns([name]) / ew:,.1f} / {run_n.insns([name]) / en:,.1f} "
               f"({run_w.insns([name]) / ew - run_n.insns([name]) / en:+,.1f})"
               if ew and en else "not run")
        out.append(f"| `{name}` | {sw} / {sn} ({sw - sn:+d}) | {dyn} | {ew:,} | "
                   f"{opcode_diff(static_w.get(name, []), static_n.get(name, []), ('release', 'none'))} |")
    kw = sum(v[0] for v in run_w.symbols.values()) - run_w.insns([guest.FIRMWARE])
    kn = sum(v[0] for v in run_n.symbols.values()) - run_n.insns([guest.FIRMWARE])
    out += ["", f"{len(differ)} function(s) differ. Kernel code, whole run: release "
            f"{kw:,}, none {kn:,} ({kw - kn:+,}).", "",
            "Command (after `cmake --preset release-noclobber && cmake --build "
            "build/release-noclobber`): the same `bench/run.py --parts baseline` run.", ""]
    return out
