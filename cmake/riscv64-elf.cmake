# Toolchain file for the riscv64 kernel: Debian's gcc-riscv64-unknown-elf,
# no libc, no crt0.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_OBJDUMP riscv64-unknown-elf-objdump)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# medany: the kernel links at 0x80200000, outside medlow's +-2 GiB of 0.
# local-exec TLS: per-CPU variables are TLS objects addressed from tp.
set(NEURON_KERNEL_ARCH_FLAGS
  -march=rv64gc -mabi=lp64d -mcmodel=medany
  -ffreestanding -fno-builtin -nostdlib -fno-common
  -ftls-model=local-exec -fno-pic -fno-pie
)
string(JOIN " " _flags ${NEURON_KERNEL_ARCH_FLAGS})
set(CMAKE_C_FLAGS_INIT "${_flags}")
set(CMAKE_ASM_FLAGS_INIT "${_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -static -Wl,--no-warn-rwx-segments")
