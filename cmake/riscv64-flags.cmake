# Code-generation flags of the riscv64 kernel, shared by the toolchain file
# (release and audit presets) and the host preset's riscv64 compile-fail
# runs (tests/compile-fail), so both compile PerCpu code the same way.
#
# medany: the kernel links at 0x80200000, outside medlow's +-2 GiB of 0.
# local-exec TLS: per-CPU variables are TLS objects addressed from tp.
set(NEURON_KERNEL_ARCH_FLAGS
  -march=rv64gc -mabi=lp64d -mcmodel=medany
  -ffreestanding -fno-builtin -nostdlib -fno-common
  -ftls-model=local-exec -fno-pic -fno-pie
)
set(NEURON_RISCV64_CC riscv64-unknown-elf-gcc)
