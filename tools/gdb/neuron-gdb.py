# The loader: makes the neuron_gdb package importable and registers every
# command, function and pretty-printer. Sourced by the auto-load script
# next to the kernel ELF (neuron.elf-gdb.py, written by CMake), by
# tools/neuron gdb, or by hand: `source tools/gdb/neuron-gdb.py`.
import os
import sys

import gdb

_here = os.path.dirname(os.path.abspath(
    __file__ if "__file__" in globals() else gdb.current_objfile().filename))
if _here not in sys.path:
    sys.path.insert(0, _here)

import neuron_gdb  # noqa: E402

neuron_gdb.register()
