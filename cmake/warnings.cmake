# The project's warning flags, as an INTERFACE target every C target links.
# The PerCpu static rules are enforced as errors through these (see
# docs/concurrency-model.md): naming per-CPU storage directly trips
# -Wdeprecated-declarations, mixing per-CPU handles with plain pointers
# trips -Wincompatible-pointer-types. Tests that run a compiler themselves
# (compile-fail, codegen) read the same list from the target.
add_library(neuron-warnings INTERFACE)
target_compile_options(neuron-warnings INTERFACE
  -std=gnu11
  -Wall -Wextra -Werror
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wundef
  -Werror=incompatible-pointer-types
  -Werror=deprecated-declarations
  -Werror=int-conversion
)
get_target_property(NEURON_WARNING_FLAGS neuron-warnings INTERFACE_COMPILE_OPTIONS)
