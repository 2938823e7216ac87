# Tests mirror the source tree, checked. Run as:
#   cmake -DROOT=<repository> -DEXCEPTIONS=<tested_by.txt> -P test_map.cmake
# Every <layer>/src/<path>.cpp (layer: model, io, sim) has its test at
# tests/<layer>/<path>.cpp or tests/<layer>/<path>_<aspect>.cpp, or (a source
# that needs real servers) tests/<layer>/integration/<name>[_<aspect>].cpp, or
# is listed in EXCEPTIONS with the test that covers it. Fails naming each
# source with none, each listed test that does not exist, and each listed
# source the rule already covers or that no longer exists.
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST)
if(NOT ROOT OR NOT EXCEPTIONS)
  message(FATAL_ERROR "test_map.cmake: set ROOT and EXCEPTIONS")
endif()

function(rule_test root source out)
  string(REGEX REPLACE "^([a-z]+)/src/(.*)\\.cpp$" "\\1;\\2" parts "${source}")
  list(GET parts 0 layer)
  list(GET parts 1 path)
  get_filename_component(name "${path}" NAME)
  file(GLOB found "${root}/tests/${layer}/${path}.cpp" "${root}/tests/${layer}/${path}_*.cpp"
       "${root}/tests/${layer}/integration/${name}.cpp" "${root}/tests/${layer}/integration/${name}_*.cpp")
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

file(STRINGS "${EXCEPTIONS}" lines REGEX "^[^#]")
set(listed "")
set(problems "")
foreach(line IN LISTS lines)
  string(REGEX MATCH "^([^ ]+) +([^ ]+)" _ "${line}")
  set(source "${CMAKE_MATCH_1}")
  set(test "${CMAKE_MATCH_2}")
  list(APPEND listed "${source}")
  if(NOT EXISTS "${ROOT}/${source}")
    list(APPEND problems "${source}: listed in ${EXCEPTIONS} but no longer exists")
  elseif(NOT EXISTS "${ROOT}/${test}")
    list(APPEND problems "${source}: its listed test ${test} does not exist")
  else()
    rule_test("${ROOT}" "${source}" found)
    if(found)
      list(APPEND problems "${source}: listed in ${EXCEPTIONS}, but the rule finds ${found} (drop the line)")
    endif()
  endif()
endforeach()

file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/model/src/*.cpp" "${ROOT}/io/src/*.cpp"
     "${ROOT}/sim/src/*.cpp")
list(SORT sources)
foreach(source IN LISTS sources)
  if(NOT source IN_LIST listed)
    rule_test("${ROOT}" "${source}" found)
    if(NOT found)
      list(APPEND problems "${source}: no test at tests/<layer>/<path>[_<aspect>].cpp or tests/<layer>/integration/<name>[_<aspect>].cpp, and not listed in ${EXCEPTIONS}")
    endif()
  endif()
endforeach()
list(LENGTH sources count)
if(count EQUAL 0)
  message(FATAL_ERROR "test_map.cmake: no sources under ${ROOT}/{model,io,sim}/src")
endif()
if(problems)
  list(JOIN problems "\n  " text)
  message(FATAL_ERROR "tests do not mirror the source tree:\n  ${text}")
endif()
message(STATUS "all ${count} sources of model/, io/ and sim/ have their tests")
