"""neuronlib: the Python behind tools/neuron.

Standard library only at import time: `tools/neuron setup` must work on a
machine where none of Debian's python3-* packages are installed yet.

Layers, each importing only those below it:
  cli             parsing and dispatch; EXIT_STATUS maps error types to statuses
  trace_workflow  `tools/neuron trace`: boot, take the records, finish the trace
  report, tracediff, perfetto/ (pipeline, convert, check), ctest_boot
  tracefile       what convert, report, diff and trace share about input files
  tracefmt/, qemu, gdbsession, image, cmake, packages, ktap, selftests, contract, scratch
  errors, paths   the error types (one per module); the repository's places
"""
