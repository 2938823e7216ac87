# cmake -DEXE=<program> -DOUT=<file> -P run_to_file.cmake
# Runs <program> and writes its standard output to <file>; fails if it fails.
if(NOT DEFINED EXE OR NOT DEFINED OUT)
  message(FATAL_ERROR "usage: cmake -DEXE=<program> -DOUT=<file> -P run_to_file.cmake")
endif()
execute_process(COMMAND "${EXE}" OUTPUT_FILE "${OUT}" COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "wrote ${OUT}")
