# Scheduler scenarios and the proof ladder (kernel/sched/), label qemu.
# Included at the end of tests/qemu/CMakeLists.txt, and also run as a
# script (cmake -P this file) for the checks that need more than one boot:
#   MODE=expect_fail     the run exits 1 and prints "not ok N RUNG"
#   MODE=determinism     two runs with one seed print the same bytes,
#                        another seed gives another schedule digest
#   MODE=cross_build     release and audit print the same digest
# Every boot runs under -icount shift=0,align=off,sleep=off (tools/neuron --icount).

if(CMAKE_SCRIPT_MODE_FILE)
  function(boot out_log out_rc elf harts args)
    execute_process(
      COMMAND ${NEURON} run --elf ${elf} --harts ${harts} --icount --timeout ${HARNESS}
              --append "${args}" --log ${out_log}
      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    set(${out_rc} ${rc} PARENT_SCOPE)
  endfunction()
  function(digest_of log out)
    file(STRINGS ${log} lines REGEX "^# schedule digest: 0x[0-9a-f]+")
    list(GET lines -1 last)
    set(${out} "${last}" PARENT_SCOPE)
  endfunction()
  separate_arguments(NEURON)

  if(MODE STREQUAL "expect_fail")
    boot(${WORK}/fault.log rc ${ELF} ${HARTS} "${ARGS}")
    file(READ ${WORK}/fault.log text)
    if(NOT rc EQUAL 1)
      message(FATAL_ERROR "${ARGS}: exit status ${rc}, expected 1 (a rung fails, nothing hangs or panics)")
    endif()
    if(NOT text MATCHES "\nnot ok [0-9]+ ${RUNG}\r?\n")
      message(FATAL_ERROR "${ARGS}: the rung ${RUNG} did not fail; log ${WORK}/fault.log")
    endif()
    message(STATUS "${ARGS}: ${RUNG} failed as it must")
  elseif(MODE STREQUAL "determinism")
    boot(${WORK}/a.log rc_a ${ELF} ${HARTS} "${ARGS} seed=${SEED}")
    boot(${WORK}/b.log rc_b ${ELF} ${HARTS} "${ARGS} seed=${SEED}")
    boot(${WORK}/c.log rc_c ${ELF} ${HARTS} "${ARGS} seed=${OTHER_SEED}")
    if(NOT rc_a EQUAL 0 OR NOT rc_b EQUAL 0 OR NOT rc_c EQUAL 0)
      message(FATAL_ERROR "exit statuses ${rc_a} ${rc_b} ${rc_c}, expected 0 0 0")
    endif()
    file(READ ${WORK}/a.log a)
    file(READ ${WORK}/b.log b)
    if(NOT a STREQUAL b)
      message(FATAL_ERROR "same seed, different consoles: diff ${WORK}/a.log ${WORK}/b.log")
    endif()
    digest_of(${WORK}/a.log da)
    digest_of(${WORK}/c.log dc)
    if(da STREQUAL "" OR da STREQUAL dc)
      message(FATAL_ERROR "seeds ${SEED} and ${OTHER_SEED} give the same digest '${da}'")
    endif()
    message(STATUS "identical consoles; ${da} (seed ${SEED}) vs ${dc} (seed ${OTHER_SEED})")
  elseif(MODE STREQUAL "cross_build")
    if(NOT EXISTS ${OTHER_ELF})
      message(STATUS "SKIP: ${OTHER_ELF} not built (cmake --workflow --preset <other>)")
      execute_process(COMMAND ${CMAKE_COMMAND} -E echo "skip")
      # CTest reads SKIP_REGULAR_EXPRESSION below.
      return()
    endif()
    boot(${WORK}/this.log rc_a ${ELF} ${HARTS} "${ARGS}")
    boot(${WORK}/other.log rc_b ${OTHER_ELF} ${HARTS} "${ARGS}")
    digest_of(${WORK}/this.log da)
    digest_of(${WORK}/other.log db)
    if(NOT rc_a EQUAL 0 OR NOT rc_b EQUAL 0 OR da STREQUAL "" OR NOT da STREQUAL db)
      message(FATAL_ERROR "release/audit: exit ${rc_a}/${rc_b}, digests '${da}' / '${db}'")
    endif()
    message(STATUS "both builds: ${da}")
  else()
    message(FATAL_ERROR "scenarios.cmake: unknown MODE '${MODE}'")
  endif()
  return()
endif()

set(scenario_script "${CMAKE_CURRENT_LIST_FILE}")
set(scenario_work "${CMAKE_CURRENT_BINARY_DIR}/scenarios")
file(MAKE_DIRECTORY ${scenario_work})
set(neuron_cli "${NEURON_PYTHON} ${PROJECT_SOURCE_DIR}/tools/neuron")

# One boot per scenario and hart count; the exit status is the verdict.
foreach(scenario imbalance pingpong storm mixed stress ladder)
  foreach(harts 1 2 4 8)
    set(name qemu.${flavour}.scenario.${scenario}.h${harts})
    add_test(NAME ${name}
      COMMAND ${NEURON_PYTHON} ${PROJECT_SOURCE_DIR}/tools/neuron run --elf ${kernel}
              --harts ${harts} --icount --timeout 90 --scenario ${scenario}
              --log ${scenario_work}/${scenario}.h${harts}.log)
    set_tests_properties(${name} PROPERTIES LABELS "qemu" TIMEOUT 120)
  endforeach()
endforeach()

# Each fault switch must make its rung of the ladder fail (and only exit 1).
set(fault_rungs
  hart_not_registered harts_online
  ipi_send_suppressed resched_chain
  call_dropped call_every_hart
  broadcast_ack_lost broadcast_ack
  no_steal steal_imbalance
  full_queue_accepts full_runqueue_rejects
  pinned_migrates pinned_never_migrate
  digest_drop schedule_digest
  no_preempt preemption)
while(fault_rungs)
  list(POP_FRONT fault_rungs fault rung)
  set(work ${scenario_work}/fault.${fault})
  file(MAKE_DIRECTORY ${work})
  add_test(NAME qemu.${flavour}.fault.${fault}
    COMMAND ${CMAKE_COMMAND} -DMODE=expect_fail "-DNEURON=${neuron_cli}" -DHARNESS=90
            -DELF=${kernel} -DHARTS=4 "-DARGS=scenario=ladder fault=${fault}" -DRUNG=${rung}
            -DWORK=${work} -P ${scenario_script})
  set_tests_properties(qemu.${flavour}.fault.${fault} PROPERTIES LABELS "qemu" TIMEOUT 120)
endwhile()

# Same scenario, seed and hart count: byte-identical consoles; another seed: another digest.
foreach(harts 2 4)
  set(work ${scenario_work}/determinism.h${harts})
  file(MAKE_DIRECTORY ${work})
  add_test(NAME qemu.${flavour}.scenario_determinism.h${harts}
    COMMAND ${CMAKE_COMMAND} -DMODE=determinism "-DNEURON=${neuron_cli}" -DHARNESS=90
            -DELF=${kernel} -DHARTS=${harts} "-DARGS=scenario=mixed" -DSEED=7 -DOTHER_SEED=8
            -DWORK=${work} -P ${scenario_script})
  set_tests_properties(qemu.${flavour}.scenario_determinism.h${harts} PROPERTIES LABELS "qemu" TIMEOUT 300)
endforeach()

# Release and audit make the same decisions: needs the other preset's ELF.
if(flavour STREQUAL "release")
  set(other_flavour audit)
else()
  set(other_flavour release)
endif()
set(work ${scenario_work}/cross_build)
file(MAKE_DIRECTORY ${work})
add_test(NAME qemu.${flavour}.digest_matches_${other_flavour}
  COMMAND ${CMAKE_COMMAND} -DMODE=cross_build "-DNEURON=${neuron_cli}" -DHARNESS=90
          -DELF=${kernel} -DOTHER_ELF=${PROJECT_SOURCE_DIR}/build/${other_flavour}/kernel/neuron.elf
          -DHARTS=4 "-DARGS=scenario=ladder seed=5" -DWORK=${work} -P ${scenario_script})
set_tests_properties(qemu.${flavour}.digest_matches_${other_flavour} PROPERTIES
  LABELS "qemu" TIMEOUT 300 SKIP_REGULAR_EXPRESSION "SKIP: ")
