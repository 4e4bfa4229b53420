# Scheduler scenarios and the proof ladder (kernel/sched/), label qemu.
# Included at the end of tests/qemu/CMakeLists.txt, and also run as a
# script (cmake -P this file) for the checks that need more than one boot:
#   MODE=expect_fail     the run exits 1 and prints "not ok N RUNG"
#   MODE=determinism     RUNS runs with one seed print the same bytes,
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
    boot(${WORK}/run1.log rc_a ${ELF} ${HARTS} "${ARGS} seed=${SEED}")
    if(NOT rc_a EQUAL 0)
      message(FATAL_ERROR "run 1: exit status ${rc_a}, expected 0")
    endif()
    file(READ ${WORK}/run1.log a)
    foreach(run RANGE 2 ${RUNS})
      boot(${WORK}/run${run}.log rc_b ${ELF} ${HARTS} "${ARGS} seed=${SEED}")
      file(READ ${WORK}/run${run}.log b)
      if(NOT rc_b EQUAL 0 OR NOT a STREQUAL b)
        message(FATAL_ERROR "run ${run} of ${RUNS}: exit ${rc_b}, console differs from run 1: "
                            "diff ${WORK}/run1.log ${WORK}/run${run}.log")
      endif()
    endforeach()
    boot(${WORK}/c.log rc_c ${ELF} ${HARTS} "${ARGS} seed=${OTHER_SEED}")
    if(NOT rc_c EQUAL 0)
      message(FATAL_ERROR "seed ${OTHER_SEED}: exit status ${rc_c}, expected 0")
    endif()
    digest_of(${WORK}/run1.log da)
    digest_of(${WORK}/c.log dc)
    if(da STREQUAL "" OR da STREQUAL dc)
      message(FATAL_ERROR "seeds ${SEED} and ${OTHER_SEED} give the same digest '${da}'")
    endif()
    message(STATUS "${RUNS} of ${RUNS} consoles identical; ${da} (seed ${SEED}) vs ${dc} (seed ${OTHER_SEED})")
  elseif(MODE STREQUAL "cross_build")
    # Up to date in a second when tools/neuron test already built it.
    execute_process(COMMAND ${NEURON} build --preset ${OTHER_PRESET} RESULT_VARIABLE rc_build)
    if(NOT rc_build EQUAL 0 OR NOT EXISTS ${OTHER_ELF})
      message(FATAL_ERROR "could not build ${OTHER_ELF} (tools/neuron build --preset ${OTHER_PRESET})")
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
    COMMAND ${CMAKE_COMMAND} -DMODE=determinism "-DNEURON=${neuron_cli}" -DHARNESS=90 -DRUNS=10
            -DELF=${kernel} -DHARTS=${harts} "-DARGS=scenario=mixed" -DSEED=7 -DOTHER_SEED=8
            -DWORK=${work} -P ${scenario_script})
  set_tests_properties(qemu.${flavour}.scenario_determinism.h${harts} PROPERTIES LABELS "qemu" TIMEOUT 300)
endforeach()

# Release and audit make the same decisions (the audit changes nothing it
# observes). Checked from the audit preset, which builds the release
# kernel if it is not built yet.
if(flavour STREQUAL "audit")
  set(work ${scenario_work}/cross_build)
  file(MAKE_DIRECTORY ${work})
  add_test(NAME qemu.audit.digest_matches_release
    COMMAND ${CMAKE_COMMAND} -DMODE=cross_build "-DNEURON=${neuron_cli}" -DHARNESS=90
            -DELF=${kernel} -DOTHER_ELF=${PROJECT_SOURCE_DIR}/build/release/kernel/neuron.elf
            -DOTHER_PRESET=release -DHARTS=4 "-DARGS=scenario=ladder seed=5" -DWORK=${work}
            -P ${scenario_script})
  set_tests_properties(qemu.audit.digest_matches_release PROPERTIES LABELS "qemu" TIMEOUT 300)
endif()
