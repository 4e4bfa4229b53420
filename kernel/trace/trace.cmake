# The kernel's trace glue (kernel/trace/) and the ring (trace/): included
# by kernel/CMakeLists.txt. Rings exist in audit builds only; release
# builds keep trace_scenario_done() and empty trace points.
target_sources(neuron-kernel PRIVATE
  ${NEURON_TRACE_SOURCES}
  ${CMAKE_CURRENT_LIST_DIR}/trace.c
  ${CMAKE_CURRENT_LIST_DIR}/trace_stream.c
  ${CMAKE_CURRENT_LIST_DIR}/test_trace_drain.c
)
target_include_directories(neuron-kernel PRIVATE ${NEURON_TRACE_INCLUDE})
target_compile_definitions(neuron-kernel PRIVATE
  NEURON_TRACE_RING_RECORDS=${NEURON_TRACE_RING_RECORDS})
