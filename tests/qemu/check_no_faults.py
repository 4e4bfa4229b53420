"""A kernel built without the fault switches (-DNEURON_FAULTS=OFF).

FAULT_INJECTED(name) is then the constant false, so the mechanism must
build and behave exactly as with the switches present and none selected:
the same schedule digest for the same seed. And a fault asked for is
refused as a bad boot argument (exit 2, one `neuron: bootargs:` line),
never silently ignored.

check_no_faults.py SOURCE_DIR BUILD_DIR REFERENCE_ELF NEURON
"""

import re
import subprocess
import sys
from pathlib import Path

SOURCE, WORK, REFERENCE, NEURON = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
DIGEST = re.compile(rb"^# schedule digest: (0x[0-9a-f]+)", re.M)


def fail(message: str) -> None:
    print(f"no_faults: {message}")
    sys.exit(1)


def boot(elf: Path, args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, NEURON, "run", "--elf", str(elf), "--harts", "4", "--icount",
                           "--timeout", "120", "--append", args],
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=180)


def main() -> None:
    configure = ["cmake", "-S", str(SOURCE), "-B", str(WORK), "-G", "Ninja",
                 f"-DCMAKE_TOOLCHAIN_FILE={SOURCE / 'cmake' / 'riscv64-elf.cmake'}",
                 "-DNEURON_TARGET=kernel", "-DNEURON_AUDIT=OFF", "-DNEURON_FAULTS=OFF",
                 "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]
    for step in (configure, ["cmake", "--build", str(WORK), "--target", "neuron-kernel"]):
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode:
            fail(f"{' '.join(step[:3])}... failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    elf = WORK / "kernel" / "neuron.elf"

    args = "scenario=mixed seed=3"
    ours, theirs = boot(elf, args), boot(REFERENCE, args)
    if ours.returncode or theirs.returncode:
        fail(f"{args}: exit {ours.returncode} without switches, {theirs.returncode} with")
    a, b = DIGEST.findall(ours.stdout), DIGEST.findall(theirs.stdout)
    if not a or a != b:
        fail(f"{args}: digests {a} without switches, {b} with: the hooks changed the mechanism")

    refused = boot(elf, "scenario=imbalance fault=no_steal")
    line = b"neuron: bootargs: fault=no_steal: this kernel is built without fault switches"
    if refused.returncode != 2 or line not in refused.stdout:
        fail(f"fault=no_steal: exit {refused.returncode}, expected 2 and '{line.decode()}'")
    print(f"no_faults: digest {a[-1].decode()} as with the switches; fault=no_steal refused (exit 2)")


main()
