# Runs one compile-fail case: cmake -DCOMPILER=.. -DFLAGS=a|b|c -DSOURCE=..
#   -DMODE=fail|pass -P check_compile.cmake
# fail: compilation must fail, the diagnostics must match the regex in the
#   case's first line, and the first error must be the wrapper's own
#   message, starting with "percpu:":
#     /* expect: percpu: REGEX */
#   The exceptions are refusals GCC words itself (C cannot attach a message
#   to them); what they name must still say percpu:
#     /* expect-type-error: REGEX naming percpu_handle__ */  a type mismatch
#     /* expect-rule-note: REGEX naming percpu_rule_ */      a misuse GCC refuses
#       naming the declaration or tag that states the rule (a goto into a
#       guard's scope: a note; a static guard: the rule's declaration
#       "isn't constant"; a reason given as a string: the preprocessor's
#       refusal to paste it)
#     /* expect-read-only: REGEX naming read-only */      a write through
#       the const pointer a reason that only reads (stats, debug) hands out
# pass: must compile to an object (asm operands printed and assembled).
string(REPLACE "|" ";" flag_list "${FLAGS}")
if(MODE STREQUAL "pass")
  execute_process(
    COMMAND ${COMPILER} ${flag_list} -c ${SOURCE} -o /dev/null
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "positive case ${SOURCE} did not compile:\n${err}")
  endif()
  message(STATUS "compiles: ${SOURCE}")
  return()
endif()
execute_process(
  COMMAND ${COMPILER} ${flag_list} -fsyntax-only ${SOURCE}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(STRINGS ${SOURCE} first_line LIMIT_COUNT 1)
if(first_line MATCHES "expect: (.*) \\*/")
  set(expected "${CMAKE_MATCH_1}")
  set(own_message TRUE)
  if(NOT expected MATCHES "^percpu: ")
    message(FATAL_ERROR "${SOURCE}:1: the expected refusal must start with 'percpu: ', not '${expected}'")
  endif()
elseif(first_line MATCHES "expect-type-error: (.*) \\*/")
  set(expected "${CMAKE_MATCH_1}")
  set(own_message FALSE)
  if(NOT expected MATCHES "percpu_handle__")
    message(FATAL_ERROR "${SOURCE}:1: a type-error case must name the percpu_handle__ type")
  endif()
elseif(first_line MATCHES "expect-rule-note: (.*) \\*/")
  set(expected "${CMAKE_MATCH_1}")
  set(own_message FALSE)
  if(NOT expected MATCHES "percpu_rule_")
    message(FATAL_ERROR "${SOURCE}:1: a rule-note case must name the percpu_rule_ declaration")
  endif()
elseif(first_line MATCHES "expect-read-only: (.*) \\*/")
  set(expected "${CMAKE_MATCH_1}")
  set(own_message FALSE)
  if(NOT expected MATCHES "read-only")
    message(FATAL_ERROR "${SOURCE}:1: a read-only case must name GCC's read-only refusal")
  endif()
else()
  message(FATAL_ERROR "${SOURCE}:1: no '/* expect: percpu: REGEX */' line")
endif()
if(status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must fail with: ${expected}")
endif()
if(NOT err MATCHES "${expected}")
  message(FATAL_ERROR "${SOURCE} failed, but without '${expected}':\n${err}")
endif()
if(own_message)
  # The first error GCC prints is the refusal: a static assertion's text or
  # a deprecation message, starting with "percpu: ".
  if(NOT err MATCHES "error: ([^\n]*)")
    message(FATAL_ERROR "${SOURCE}: no 'error:' line in:\n${err}")
  endif()
  set(first_error "${CMAKE_MATCH_1}")
  if(NOT first_error MATCHES "^(static assertion failed: \"|[^ ]+ is deprecated: )percpu: ")
    message(FATAL_ERROR "${SOURCE}: the first error is not a 'percpu:' message: ${first_error}")
  endif()
endif()
message(STATUS "rejected as expected (${expected}): ${SOURCE}")
