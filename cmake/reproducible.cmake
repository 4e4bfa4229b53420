# Reproducible builds: the same sources give the same bytes from any
# checkout path. __FILE__ (panic and violation messages, the PerCpu call
# site tables, hence the .pftrace), DWARF file names and the compilation
# directory name files relative to the source tree (`kernel/sched/sched.c`,
# comp_dir `build/audit`), not `/path/to/checkout/...`. GCC leaves these
# options out of DW_AT_producer. gdb finds the sources through the
# `directory` the scripts under tools/gdb/ add (docs/gdb.md).
# The build directory must be the same relative to the sources (the
# presets' build/<preset>) for byte-identical ELFs.
# -fdebug-prefix-map as well: gcc hands it (not -ffile-prefix-map) to the
# assembler for the .S files' debug info.
add_compile_options(
  -ffile-prefix-map=${PROJECT_SOURCE_DIR}/=
  -fmacro-prefix-map=${PROJECT_SOURCE_DIR}/=
  -fdebug-prefix-map=${PROJECT_SOURCE_DIR}/=
)
