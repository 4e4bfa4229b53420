"""What the front door checks of a kernel image before it boots one.

A neuron kernel is a 64-bit RISC-V ELF whose symbol table defines
NEURON_MAX_HARTS (the linker's --defsym, kernel/CMakeLists.txt) and whose
scenario_names[] lists the scenarios it knows (kernel/proof/scenarios/scenario.c).
Anything else is refused as bad usage (exit 2) before QEMU starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import NeuronError

# QEMU 7.2's riscv `virt` board: VIRT_CPUS_MAX (hw/riscv/virt.h); QEMU itself
# answers "The max CPUs supported by machine 'virt' is 512" above it.
QEMU_VIRT_MAX_HARTS = 512


@dataclass(frozen=True)
class Image:
    path: Path
    max_harts: int
    scenarios: tuple[str, ...]


def inspect(path: Path) -> Image:
    """The image's limits; NeuronError (status 2) when it is not a neuron kernel."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    from .tracefmt import elftables

    path = Path(path)
    if not path.is_file():
        raise NeuronError(f"no kernel image at {path}", status=2)
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"\x7fELF":
                raise NeuronError(f"{path}: not an ELF file (not a neuron kernel)", status=2)
            handle.seek(0)
            elf = ELFFile(handle)
            if elf["e_machine"] != "EM_RISCV" or elf.elfclass != 64:
                raise NeuronError(f"{path}: a {elf.elfclass}-bit {elf['e_machine']} ELF, "
                                  "not a riscv64 neuron kernel", status=2)
            symtab = elf.get_section_by_name(".symtab")
            symbols = symtab.get_symbol_by_name("NEURON_MAX_HARTS") if symtab is not None else None
            if not symbols:
                raise NeuronError(f"{path}: a riscv64 ELF without the NEURON_MAX_HARTS symbol "
                                  "(not a neuron kernel, or stripped)", status=2)
            max_harts = int(symbols[0]["st_value"])
            scenarios = tuple(elftables._scenario_names(elf, symtab, elftables._Memory(elf)))
    except OSError as error:
        raise NeuronError(f"{path}: {error.strerror}", status=2) from None
    except (ELFError, ValueError, KeyError, IndexError) as error:
        raise NeuronError(f"{path}: not a readable ELF file ({error})", status=2) from None
    return Image(path, max_harts, scenarios)


def check_boot(image: Image, harts: int, scenario: str | None) -> None:
    """Refuse (status 2) a hart count or scenario this image cannot boot."""
    if harts > image.max_harts:
        raise NeuronError(f"--harts {harts}: this kernel is built for at most "
                          f"NEURON_MAX_HARTS {image.max_harts} harts ({image.path})", status=2)
    if harts > QEMU_VIRT_MAX_HARTS:
        raise NeuronError(f"--harts {harts}: QEMU's virt board has at most "
                          f"{QEMU_VIRT_MAX_HARTS} harts", status=2)
    if scenario is not None and image.scenarios and scenario not in image.scenarios:
        raise NeuronError(f"--scenario {scenario}: this kernel has no such scenario "
                          f"(it has: {', '.join(image.scenarios)})", status=2)
