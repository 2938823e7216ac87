# cmake -DEXE=<program> -DARGS=<a|b|...> -DEXIT=<code> -DEXPECT=<regex> -P expect.cmake
# Runs <program> <args>; fails unless it exits with <code> and its standard error
# (or output) matches <regex>. For tests of a tool's error handling.
foreach(var EXE EXIT EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "expect.cmake: ${var} is not set")
  endif()
endforeach()
string(REPLACE "|" ";" ARGS "${ARGS}")
execute_process(COMMAND "${EXE}" ${ARGS}
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "exit ${code}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT code STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit ${EXIT}, got ${code}")
endif()
if(NOT "${err}${out}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match: ${EXPECT}")
endif()
