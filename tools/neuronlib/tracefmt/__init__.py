"""The audit trace's dump: reading, writing, synthesis, and the two ways
out of a machine (gdb, console stream). Format: docs/trace-format.md."""
