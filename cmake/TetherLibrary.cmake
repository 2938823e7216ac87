# tether_add_library(<component> <sources>...)
#
# The static library tether_<component> of one layer, the same way for each:
# aliased and exported as tether::<component>, its public headers in the
# include/ directory beside the calling CMakeLists.txt (installed as include/),
# C++23 for its users. Sources are required: an empty glob is a configure error.

include_guard(GLOBAL)

function(tether_add_library component)
  set(target tether_${component})
  if(NOT ARGN)
    message(FATAL_ERROR "tether: no sources for ${target} in ${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  add_library(${target} STATIC ${ARGN})
  add_library(tether::${component} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${component})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_compile_features(${target} PUBLIC cxx_std_23)
endfunction()
