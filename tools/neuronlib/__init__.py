"""neuronlib: the Python behind tools/neuron.

Standard library only at import time: `tools/neuron setup` must work on a
machine where none of Debian's python3-* packages are installed yet.
"""
