# The scheduler (kernel/sched/): included by kernel/CMakeLists.txt.
target_sources(neuron-kernel PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/fault.c
  ${CMAKE_CURRENT_LIST_DIR}/ipi.c
  ${CMAKE_CURRENT_LIST_DIR}/runqueue.c
  ${CMAKE_CURRENT_LIST_DIR}/sched.c
  ${CMAKE_CURRENT_LIST_DIR}/switch.S
  ${CMAKE_CURRENT_LIST_DIR}/task.c
)
target_sources(neuron-kernel PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/inversion.c
  ${CMAKE_CURRENT_LIST_DIR}/ktap.c
  ${CMAKE_CURRENT_LIST_DIR}/ladder.c
  ${CMAKE_CURRENT_LIST_DIR}/scenarios.c
)
