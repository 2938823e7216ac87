# tether_add_header_checks(<target> <include-dir> <subdir> LINK <libs...>)
#
# Every public header must compile on its own (Beast's *_fwd.cpp idea). For each
# <include-dir>/<subdir>/*.hpp this generates a .cpp that includes only that
# header, and compiles them all into the OBJECT library <target>. The target is
# part of ALL, so a header missing one of its own #includes breaks the build.

include_guard(GLOBAL)

function(tether_add_header_checks target include_dir subdir)
  cmake_parse_arguments(PARSE_ARGV 3 arg "" "" "LINK")
  file(GLOB headers CONFIGURE_DEPENDS RELATIVE "${include_dir}" "${include_dir}/${subdir}/*.hpp")
  if(NOT headers)
    message(STATUS "tether: no headers under ${include_dir}/${subdir}; ${target} skipped")
    return()
  endif()
  set(sources "")
  foreach(header IN LISTS headers)
    string(REGEX REPLACE "[^A-Za-z0-9_]" "_" stem "${header}")
    set(source "${CMAKE_CURRENT_BINARY_DIR}/${target}/${stem}.cpp")
    # file(CONFIGURE) rewrites only on change, so no needless rebuilds.
    file(CONFIGURE OUTPUT "${source}" CONTENT "#include <${header}>\n" @ONLY)
    list(APPEND sources "${source}")
  endforeach()
  add_library(${target} OBJECT ${sources})
  target_link_libraries(${target} PRIVATE ${arg_LINK} $<BUILD_INTERFACE:tether_warnings>)
endfunction()
