# The project's warning flags. The PerCpu static rules are enforced as
# errors through these (see docs/concurrency-model.md): naming per-CPU
# storage directly trips -Wdeprecated-declarations, mixing per-CPU handles
# with plain pointers trips -Wincompatible-pointer-types.
set(NEURON_C_FLAGS
  -std=gnu11
  -Wall -Wextra -Werror
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wundef
  -Werror=incompatible-pointer-types
  -Werror=deprecated-declarations
  -Werror=int-conversion
)
string(JOIN " " NEURON_C_FLAGS_STRING ${NEURON_C_FLAGS})
