# Driver for the package tests (see tests/consumer/CMakeLists.txt).
#
#   cmake -DACTION=install -DBUILD_DIR=<build> -DPREFIX=<dir> [-DCONFIG=<cfg>] -P run_consumer.cmake
#     Replaces <dir> with a fresh `cmake --install` of <build>.
#
#   cmake -DACTION=consume -DSOURCE_DIR=<client> -DBINARY_DIR=<dir> -DGENERATOR=<gen>
#         [-DMAKE_PROGRAM=..] [-DCXX_COMPILER=..] [-DCXX_FLAGS=..] [-DLAUNCHER=..]
#         [-DCONFIG=<cfg>] [-DCACHE_ARGS=<-Dvar=value;...>] -P run_consumer.cmake
#     Configures <client> in a fresh <dir>, builds it, runs its `consumer` program.
#
#   cmake -DACTION=refuse -DSOURCE_DIR=<client> -DBINARY_DIR=<dir> -DGENERATOR=<gen>
#         -DEXPECT=<regex> [...as for consume] -P run_consumer.cmake
#     Configures <client> in a fresh <dir>; succeeds only if that fails with a
#     message matching <regex>.
#
#   cmake -DACTION=tool -DEXE=<installed program> [-DARGS=<a|b|...>] -P run_consumer.cmake
#     Runs the installed program; fails if it is missing or exits non-zero.

cmake_minimum_required(VERSION 3.25)

function(run)
  string(JOIN " " shown ${ARGV})
  message(STATUS "+ ${shown}")
  execute_process(COMMAND ${ARGV} COMMAND_ERROR_IS_FATAL ANY)
endfunction()

if(ACTION STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  set(config_args "")
  if(CONFIG)
    set(config_args --config "${CONFIG}")
  endif()
  run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args})

elseif(ACTION STREQUAL "tool")
  if(NOT EXISTS "${EXE}" OR IS_DIRECTORY "${EXE}")
    message(FATAL_ERROR "${EXE} was not installed")
  endif()
  string(REPLACE "|" ";" args "${ARGS}")
  run("${EXE}" ${args})

elseif(ACTION STREQUAL "consume" OR ACTION STREQUAL "refuse")
  file(REMOVE_RECURSE "${BINARY_DIR}")
  set(configure_args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ${CACHE_ARGS})
  if(MAKE_PROGRAM)
    list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  if(CXX_COMPILER)
    list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
  endif()
  if(CXX_FLAGS)
    list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
  endif()
  if(LAUNCHER)
    list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
  endif()
  set(config_args "")
  if(CONFIG)
    list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
    set(config_args --config "${CONFIG}")
  endif()
  if(ACTION STREQUAL "refuse")
    execute_process(COMMAND "${CMAKE_COMMAND}" ${configure_args}
      RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
    message(STATUS "exit ${code}\n${out}${err}")
    if(code EQUAL 0)
      message(FATAL_ERROR "configuring ${SOURCE_DIR} succeeded; it should have failed")
    endif()
    if(NOT "${out}${err}" MATCHES "${EXPECT}")
      message(FATAL_ERROR "the configure error does not match: ${EXPECT}")
    endif()
    return()
  endif()
  run("${CMAKE_COMMAND}" ${configure_args})
  run("${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${config_args})

  # consumer_io exists when the package includes tether::io, consumer_nats
  # when it includes tether::nats.
  foreach(candidate "${BINARY_DIR}/consumer_io" "${BINARY_DIR}/${CONFIG}/consumer_io"
                    "${BINARY_DIR}/consumer_nats" "${BINARY_DIR}/${CONFIG}/consumer_nats")
    if(EXISTS "${candidate}" AND NOT IS_DIRECTORY "${candidate}")
      run("${candidate}")
    endif()
  endforeach()
  foreach(candidate "${BINARY_DIR}/consumer" "${BINARY_DIR}/${CONFIG}/consumer")
    if(EXISTS "${candidate}" AND NOT IS_DIRECTORY "${candidate}")
      run("${candidate}")
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "consumer program not found under ${BINARY_DIR}")

else()
  message(FATAL_ERROR "run_consumer.cmake: ACTION must be install, consume, refuse or tool, got '${ACTION}'")
endif()
