# cmake -DEXE=<program> -DEXPECTED=<file> -DREGENERATE=<command> -P compare_output.cmake
# Fails, showing the difference, unless <program>'s standard output equals
# <file>: generated docs cannot drift from the code.
if(NOT DEFINED EXE OR NOT DEFINED EXPECTED)
  message(FATAL_ERROR "usage: cmake -DEXE=<program> -DEXPECTED=<file> [-DREGENERATE=<command>] -P compare_output.cmake")
endif()
get_filename_component(name "${EXPECTED}" NAME)
set(generated "${CMAKE_CURRENT_BINARY_DIR}/${name}.generated")
execute_process(COMMAND "${EXE}" OUTPUT_FILE "${generated}" COMMAND_ERROR_IS_FATAL ANY)
if(NOT EXISTS "${EXPECTED}")
  message(FATAL_ERROR "${EXPECTED} is missing. Generate it with: ${REGENERATE}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${EXPECTED}" "${generated}" RESULT_VARIABLE differs)
if(differs)
  execute_process(COMMAND diff -u "${EXPECTED}" "${generated}")
  message(FATAL_ERROR "${EXPECTED} is out of date with the code (diff above). Regenerate it with: ${REGENERATE}")
endif()
