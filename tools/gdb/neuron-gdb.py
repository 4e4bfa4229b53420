# The loader: makes the neuron_gdb package importable and registers every
# command, function and pretty-printer. Sourced by tools/neuron gdb, or by
# hand: `source tools/gdb/neuron-gdb.py`.
# (The auto-load script next to the kernel ELF, neuron.elf-gdb.py, does
# the same with a path CMake fixes.)
import os
import sys

# gdb sets __file__ to the sourced script.
_here = os.path.dirname(os.path.abspath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)

import neuron_gdb  # noqa: E402

neuron_gdb.register()
