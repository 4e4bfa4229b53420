# Runs one compile-fail case: cmake -DCOMPILER=.. -DFLAGS=a|b|c -DSOURCE=..
#   -DMODE=fail|pass -P check_compile.cmake
# fail: compilation must fail AND the diagnostics must match the regex in
# the case's first line ("/* expect: REGEX */"). pass: must compile.
string(REPLACE "|" ";" flag_list "${FLAGS}")
execute_process(
  COMMAND ${COMPILER} ${flag_list} -fsyntax-only ${SOURCE}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(MODE STREQUAL "pass")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "positive control ${SOURCE} did not compile:\n${err}")
  endif()
  message(STATUS "compiles: ${SOURCE}")
  return()
endif()
file(STRINGS ${SOURCE} first_line LIMIT_COUNT 1)
if(NOT first_line MATCHES "expect: (.*) \\*/")
  message(FATAL_ERROR "${SOURCE}:1: no '/* expect: REGEX */' line")
endif()
set(expected "${CMAKE_MATCH_1}")
if(status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must fail with: ${expected}")
endif()
if(NOT err MATCHES "${expected}")
  message(FATAL_ERROR "${SOURCE} failed, but without '${expected}':\n${err}")
endif()
message(STATUS "rejected as expected (${expected}): ${SOURCE}")
