# The kernel's trace glue (kernel/trace/) and the ring (trace/): included
# by kernel/CMakeLists.txt. Rings exist in audit builds only; release
# builds keep trace_scenario_done() and empty trace points.
target_sources(neuron-kernel PRIVATE
  ${NEURON_TRACE_SOURCES}
  ${CMAKE_CURRENT_LIST_DIR}/trace.c
  ${CMAKE_CURRENT_LIST_DIR}/trace_stream.c
  ${CMAKE_CURRENT_LIST_DIR}/trace_drain.c
  ${CMAKE_CURRENT_LIST_DIR}/test_trace_drain.c
)
target_include_directories(neuron-kernel PRIVATE ${NEURON_TRACE_INCLUDE})
target_compile_definitions(neuron-kernel PRIVATE
  NEURON_TRACE_RING_RECORDS=${NEURON_TRACE_RING_RECORDS})

# Audit builds: dumps (gdb and console stream) agree with the kernel's counters.
if(NEURON_AUDIT)
  foreach(scenario mixed imbalance)
    add_test(NAME trace.counts.${scenario}
      COMMAND ${NEURON_PYTHON} ${CMAKE_SOURCE_DIR}/tests/trace/check_counts.py
              ${CMAKE_BINARY_DIR}/kernel/neuron.elf ${scenario})
    set_tests_properties(trace.counts.${scenario} PROPERTIES LABELS "trace" TIMEOUT 300)
  endforeach()
  # Ring -> dump -> .pftrace: decodes, checks, nothing lost, byte-identical
  # over two icount runs (selftest is the scenario with violations).
  foreach(scenario imbalance pingpong storm mixed selftest)
    add_test(NAME trace.pftrace.${scenario}
      COMMAND ${NEURON_PYTHON} ${CMAKE_SOURCE_DIR}/tests/trace/check_pftrace.py
              ${CMAKE_BINARY_DIR}/kernel/neuron.elf ${scenario})
    set_tests_properties(trace.pftrace.${scenario} PROPERTIES LABELS "trace" TIMEOUT 300)
  endforeach()
  # trace_drain=1: every record of an 8-hart stress run reaches the host, the
  # same bytes twice, and a refused host write is counted, exactly.
  add_test(NAME trace.drain
    COMMAND ${NEURON_PYTHON} ${CMAKE_SOURCE_DIR}/tests/trace/check_drain.py
            ${CMAKE_BINARY_DIR}/kernel/neuron.elf)
  set_tests_properties(trace.drain PROPERTIES LABELS "trace" TIMEOUT 300)
  add_test(NAME trace.bad_input
    COMMAND ${NEURON_PYTHON} ${CMAKE_SOURCE_DIR}/tests/trace/check_bad_input.py
            ${CMAKE_BINARY_DIR}/kernel/neuron.elf)
  set_tests_properties(trace.bad_input PROPERTIES LABELS "trace" TIMEOUT 300)
endif()
