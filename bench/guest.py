"""Guest instruction counts: the kernel under QEMU with the insn-count plugin.

Every figure here is an exact count of riscv64 instructions executed
under `-icount shift=0,align=off,sleep=off` (identical across runs), taken
by bench/insn-count (a TCG plugin) from one boot of `scenario=mixed seed=1`.

Per-event cost = instructions executed inside a fixed group of kernel
functions (exclusive: each function's own address range, from the ELF
symbol table) divided by an event count (entries into a function, or a
count the kernel prints). Functions the compiler inlined are part of their
caller's range, so a group names the out-of-line functions that carry the
path; M-mode firmware (OpenSBI) work behind an SBI call is not attributed
to any kernel function and is left out of the per-event figures.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile

ICOUNT = "shift=0,align=off,sleep=off"
SCENARIO = "scenario=mixed seed=1"

# name: (functions counted, divisor). A divisor is "entries:FN" (times FN
# was entered) or "kernel:KEY" (a count from the kernel's `# mixed:` line).
EVENTS = {
    "context switch": (["sched_switch"], "entries:sched_switch"),
    "IPI send (post + SBI call)": (
        ["ipi_post", "try_post", "kick", "smp_send_ipi", "sbi_send_ipi_to", "sbi_ecall"],
        "entries:ipi_post"),
    "IPI receive (handler)": (
        ["ipi_handle", "handle_message", "wake_sender", "sched_note_resched"],
        "entries:ipi_handle"),
    "one steal (take + push)": (["rq_take_for", "rq_push"], "kernel:steals"),
}
FIRMWARE = "opensbi_firmware"
FIRMWARE_START, KERNEL_LOAD = 0x80000000, 0x80200000
AUDIT_LOCAL = ["percpu__audit_local", "percpu__audit_local_ptr"]
AUDIT_GUARD = ["percpu__audit_guard_acquire", "percpu__audit_guard_release"]
# Remote accesses' out-of-line checks: the explicit lock and atomic forms
# (percpu__audit_remote and its slow path) and the scoped borrows' fallbacks
# (percpu__audit_borrow, _borrow_end: their fast paths are inline in the
# callers), with the checks they call (slot_of, remote_slow). Every remote
# access is recorded once, so the record functions' entries count them all.
AUDIT_REMOTE = ["percpu__audit_remote", "percpu__audit_borrow", "percpu__audit_borrow_end",
                "slot_of", "remote_slow"]
AUDIT_REMOTE_ENTRIES = ["percpu_record_remote_allowed", "percpu_record_remote"]


class BenchError(Exception):
    pass


def build_plugin(out_dir: Path) -> Path:
    """Compiles bench/insn-count into a host shared library."""
    source = Path(__file__).resolve().parent / "insn-count" / "insn_count.c"
    out_dir.mkdir(parents=True, exist_ok=True)
    library = out_dir / "libneuron-insn-count.so"
    command = ["gcc", "-std=gnu11", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror",
               "-o", str(library), str(source)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"building the insn-count plugin failed: {done.stderr.strip()}")
    return library


def write_symbols(elf: Path, out: Path) -> None:
    """The ELF's functions as sorted, non-overlapping 'START END NAME' lines.

    Assembly entry points without a .size (switch.S) extend to the next
    symbol in the same section.
    """
    with open(elf, "rb") as stream:
        image = ELFFile(stream)
        table = image.get_section_by_name(".symtab")
        if table is None:
            raise BenchError(f"{elf}: no symbol table")
        code = {i for i, section in enumerate(image.iter_sections())
                if section["sh_flags"] & 0x4}  # SHF_EXECINSTR
        found = {}
        for s in table.iter_symbols():
            kind, binding = s["st_info"]["type"], s["st_info"]["bind"]
            if s["st_shndx"] not in code or not s.name or s.name.startswith("."):
                continue
            if kind == "STT_FUNC" or (kind == "STT_NOTYPE" and binding == "STB_GLOBAL"):
                start = s["st_value"]
                if start not in found or s["st_size"] > found[start][0]:
                    found[start] = (s["st_size"], s.name)
    # OpenSBI (M-mode firmware) sits below the kernel's load address.
    found.setdefault(FIRMWARE_START, (KERNEL_LOAD - FIRMWARE_START, FIRMWARE))
    starts = sorted(found)
    lines, end = [], 0
    for i, start in enumerate(starts):
        size, name = found[start]
        stop = start + size if size else (starts[i + 1] if i + 1 < len(starts) else start + 4)
        if start >= end:
            lines.append(f"{start:x} {stop:x} {name}")
            end = stop
    out.write_text("\n".join(lines) + "\n")


@dataclass
class GuestRun:
    flavour: str
    harts: int
    command: str
    status: int
    vcpu_insns: list[int] = field(default_factory=list)
    total: int = 0
    symbols: dict[str, tuple[int, int]] = field(default_factory=dict)  # insns, entries
    kernel_counts: dict[str, int] = field(default_factory=dict)

    def insns(self, names: list[str]) -> int:
        return sum(self.symbols.get(n, (0, 0))[0] for n in names)

    def entries(self, name: str) -> int:
        return self.symbols.get(name, (0, 0))[1]

    def divisor(self, spec: str) -> int:
        kind, _, key = spec.partition(":")
        return self.entries(key) if kind == "entries" else self.kernel_counts.get(key, 0)


def run(elf: Path, flavour: str, harts: int, plugin: Path, work: Path,
        timeout: float = 120.0, bootargs: str = SCENARIO, drain: bool = False) -> GuestRun:
    """One boot under the plugin. drain=True adds trace_drain=1 and
    semihosting; the drain's bytes go to a file, the console to another."""
    work.mkdir(parents=True, exist_ok=True)
    symbols = work / f"{flavour}.symbols"
    write_symbols(elf, symbols)
    tag = f"{flavour}-h{harts}" + ("-drain" if drain else "")
    log = work / f"{tag}.plugin.log"
    log.unlink(missing_ok=True)
    console_file = work / f"{tag}.console"
    serial = f"file:{console_file}" if drain else "stdio"
    command = ["qemu-system-riscv64", "-machine", "virt", "-smp", str(harts), "-m", "128M",
               "-bios", "default", "-kernel", str(elf), "-display", "none",
               "-serial", serial, "-monitor", "none", "-no-reboot",
               "-append", bootargs + (" trace_drain=1" if drain else ""), "-icount", ICOUNT,
               "-plugin", f"{plugin},symbols={symbols}", "-d", "plugin", "-D", str(log)]
    if drain:
        command += ["-semihosting-config", "enable=on,target=native"]
    # The drain's bytes go to a file; otherwise stdout is the console.
    sink = open(work / f"{tag}.drain", "wb") if drain else None
    try:
        done = subprocess.run(command, stdout=sink or subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{flavour} kernel, {harts} harts: QEMU timed out after {timeout:g} s")
    finally:
        if sink:
            sink.close()
    console = (console_file.read_text(errors="replace") if drain
               else done.stdout.decode("utf-8", "replace"))
    result = GuestRun(flavour, harts, " ".join(command), done.returncode)
    if done.returncode != 0:
        raise BenchError(f"{flavour} kernel, {harts} harts: exit status {done.returncode}; "
                         f"last console line: {console.strip().splitlines()[-1:]}")
    scenario = re.search(r"scenario=(\w+)", bootargs).group(1)
    match = re.search(rf"^# {scenario}: (.*rounds=.*)$", console, re.M)
    if not match:
        raise BenchError(f"{flavour} kernel, {harts} harts: no '# {scenario}:' summary on the console")
    result.kernel_counts = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}
    trace_lines = re.findall(r"^neuron: trace: hart \d+ produced=(\d+) kept=(\d+) dropped=(\d+)",
                             console, re.M)
    result.kernel_counts["trace_produced"] = sum(int(p) for p, _, _ in trace_lines)
    result.kernel_counts["trace_kept"] = sum(int(k) for _, k, _ in trace_lines)
    result.kernel_counts["trace_dropped"] = sum(int(d) for _, _, d in trace_lines)
    if not log.exists():
        raise BenchError(f"plugin wrote no log at {log}")
    for line in log.read_text().splitlines():
        words = line.split()
        if words[:1] == ["vcpu"]:
            result.vcpu_insns.append(int(words[3]))
        elif words[:2] == ["total", "insns"]:
            result.total = int(words[2])
        elif words[:1] == ["sym"]:
            result.symbols[words[1]] = (int(words[3]), int(words[5]))
    if len(result.vcpu_insns) != harts or result.total == 0:
        raise BenchError(f"{log}: expected {harts} vcpu lines and a total")
    return result


def audit_functions() -> list[str]:
    """Names of the functions defined in percpu/percpu_audit.c."""
    source = (Path(__file__).resolve().parents[1] / "percpu" / "percpu_audit.c").read_text()
    return sorted(set(re.findall(r"^(?:static\s+)?[\w ]+?[\s*](\w+)\([^;]*?\)\s*\{", source, re.M)))
