# The violation suite (kernel/violations/): included by kernel/CMakeLists.txt.
target_sources(neuron-kernel PRIVATE ${CMAKE_CURRENT_LIST_DIR}/violations.c)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/list.h)
