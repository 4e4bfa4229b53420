"""What the front door checks of a kernel image before it boots one.

A neuron kernel is a 64-bit RISC-V ELF whose symbol table defines
NEURON_MAX_HARTS (the linker's --defsym, kernel/CMakeLists.txt) and whose
scenario_names[] lists the scenarios it knows (kernel/proof/scenarios/scenario.c);
an audit kernel also defines trace_rings (kernel/trace/trace.c), which `trace`
needs: a release kernel booted for a trace ran to its end and only then
failed, for want of records.
Anything else is refused as bad usage (exit 2) before QEMU starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import cmake
from .errors import ImageError
from .paths import kernel_elf

# QEMU 7.2's riscv `virt` board: VIRT_CPUS_MAX (hw/riscv/virt.h); QEMU itself
# answers "The max CPUs supported by machine 'virt' is 512" above it.
QEMU_VIRT_MAX_HARTS = 512


@dataclass(frozen=True)
class Image:
    path: Path
    max_harts: int
    scenarios: tuple[str, ...]
    traced: bool = True       # an audit kernel: trace rings, hence records


def inspect(path: Path) -> Image:
    """The image's limits; ImageError (bad usage, exit 2) when it is not a neuron kernel."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    from .tracefmt import elftables

    path = Path(path)
    if not path.is_file():
        raise ImageError(f"no kernel image at {path}")
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"\x7fELF":
                raise ImageError(f"{path}: not an ELF file (not a neuron kernel)")
            handle.seek(0)
            elf = ELFFile(handle)
            if elf["e_machine"] != "EM_RISCV" or elf.elfclass != 64:
                raise ImageError(f"{path}: a {elf.elfclass}-bit {elf['e_machine']} ELF, "
                                  "not a riscv64 neuron kernel")
            symtab = elf.get_section_by_name(".symtab")
            symbols = symtab.get_symbol_by_name("NEURON_MAX_HARTS") if symtab is not None else None
            if not symbols:
                raise ImageError(f"{path}: a riscv64 ELF without the NEURON_MAX_HARTS symbol "
                                  "(not a neuron kernel, or stripped)")
            max_harts = int(symbols[0]["st_value"])
            traced = bool(symtab.get_symbol_by_name("trace_rings"))
            scenarios = tuple(elftables._scenario_names(elf, symtab, elftables._Memory(elf)))
    except OSError as error:
        raise ImageError(f"{path}: {error.strerror}") from None
    except (ELFError, ValueError, KeyError, IndexError) as error:
        raise ImageError(f"{path}: not a readable ELF file ({error})") from None
    return Image(path, max_harts, scenarios, traced)


def check_boot(image: Image, harts: int, scenario: str | None, traced: bool = False) -> None:
    """Refuse (status 2) a hart count or scenario this image cannot boot,
    and, when `traced`, a kernel without trace rings."""
    if traced and not image.traced:
        raise ImageError(f"{image.path}: a release kernel (no trace_rings): a trace needs an "
                         "audit kernel (cmake --preset audit; build/audit/kernel/neuron.elf)")
    if harts > image.max_harts:
        raise ImageError(f"--harts {harts}: this kernel is built for at most "
                          f"NEURON_MAX_HARTS {image.max_harts} harts ({image.path})")
    if harts > QEMU_VIRT_MAX_HARTS:
        raise ImageError(f"--harts {harts}: QEMU's virt board has at most "
                          f"{QEMU_VIRT_MAX_HARTS} harts")
    if scenario is not None and image.scenarios and scenario not in image.scenarios:
        raise ImageError(f"--scenario {scenario}: this kernel has no such scenario "
                          f"(it has: {', '.join(image.scenarios)})")


def kernel(given: str | Path | None, preset: str, harts: int, scenario: str | None,
           traced: bool = False) -> Path:
    """The ELF to boot: `given` as it is, else the preset's freshly built
    kernel. Checked before anything boots: a riscv64 neuron kernel
    (ImageError otherwise) that can boot `harts` harts and knows `scenario`."""
    if given:
        elf = Path(given)
        if not elf.is_file():
            raise ImageError(f"no kernel image at {elf}")
    else:
        if harts > QEMU_VIRT_MAX_HARTS:     # no build can boot it: say so before building
            raise ImageError(f"--harts {harts}: QEMU's virt board has at most "
                             f"{QEMU_VIRT_MAX_HARTS} harts")
        cmake.build(preset)
        elf = kernel_elf(preset)
    check_boot(inspect(elf), harts, scenario, traced)
    return elf
