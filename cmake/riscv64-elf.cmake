# Toolchain file for the riscv64 kernel: Debian's gcc-riscv64-unknown-elf,
# no libc, no crt0.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
include(${CMAKE_CURRENT_LIST_DIR}/riscv64-flags.cmake)
set(CMAKE_C_COMPILER ${NEURON_RISCV64_CC})
set(CMAKE_ASM_COMPILER ${NEURON_RISCV64_CC})
set(CMAKE_OBJDUMP riscv64-unknown-elf-objdump)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

string(JOIN " " _flags ${NEURON_KERNEL_ARCH_FLAGS})
set(CMAKE_C_FLAGS_INIT "${_flags}")
set(CMAKE_ASM_FLAGS_INIT "${_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -static -Wl,--no-warn-rwx-segments")
