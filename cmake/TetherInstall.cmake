# Install rules and the `tether` CMake package, one package component per library.
#
# Each component has its own export file (tether-<component>-targets.cmake), so
# find_package(tether COMPONENTS model) loads tether::model and never looks for
# the other components' dependencies: a consumer that uses only the reducer needs
# neither nlohmann-json, Boost nor OpenSSL. (One export file for every target
# would not do: its targets name the imported targets of every dependency.)
#
# A component's dependencies are read from its target's link libraries, so they
# cannot drift from the build:
#   tether::<c> (or its target)  -> component <c>, loaded first
#   Boost::*, OpenSSL::*, ...    -> find_dependency(<package>) (the table below)
#   $<BUILD_INTERFACE:...>       -> build only, never in the package
# Anything else stops the configure, naming the component and the library.
#
#   tether_install_component(<component> <target> [INCLUDE_DIR <dir>] [OPTIONAL])
#       once per library, dependencies first. <dir> holds tether/<layer>/*.hpp.
#       OPTIONAL: a plain find_package(tether) loads it only if its packages are
#       found (sim_rapidcheck: RapidCheck).
#   tether_install_tools(<target>...)   the executables among them that exist -> bin/
#   tether_install_package()            once, after every component

include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TETHER_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/tether"
    CACHE STRING "Where tetherConfig.cmake is installed, relative to the prefix")

# Imported target (a "Name::" prefix, or an exact name) -> the package that
# defines it, and the find_package arguments for it (the versions io/ and sim/
# ask for).
set(_tether_package_prefixes "Boost::" "OpenSSL::" "Threads::" "nlohmann_json::" "rapidcheck"
    "prometheus-cpp::" "tether_libnats::")
set(_tether_package_names Boost OpenSSL Threads nlohmann_json rapidcheck prometheus-cpp
    tether_libnats)
set(_tether_find_args_Boost "Boost 1.74")
set(_tether_find_args_OpenSSL "OpenSSL")
set(_tether_find_args_Threads "Threads")
set(_tether_find_args_nlohmann_json "nlohmann_json 3")
set(_tether_find_args_rapidcheck "rapidcheck CONFIG")
set(_tether_find_args_prometheus-cpp "prometheus-cpp CONFIG")
set(_tether_find_args_tether_libnats "tether_libnats 3.4 MODULE")
# Packages found by a find module of tether's own (cmake/Find<name>.cmake):
# installed beside tetherConfig.cmake, which puts its directory on
# CMAKE_MODULE_PATH while it finds dependencies.
set(_tether_find_modules tether_libnats)

# Sets <out_components> and <out_packages> to what <target> links, as above.
function(_tether_link_dependencies component target out_components out_packages)
  get_target_property(direct ${target} LINK_LIBRARIES)
  get_target_property(interface ${target} INTERFACE_LINK_LIBRARIES)
  set(components "")
  set(packages "")
  foreach(lib IN LISTS direct interface)
    if(lib MATCHES "^\\$<LINK_ONLY:(.+)>$")  # a static library's private link
      set(lib "${CMAKE_MATCH_1}")
    endif()
    if(NOT lib OR lib MATCHES "^\\$<BUILD_INTERFACE:")
      continue()
    endif()
    if(TARGET "${lib}")
      get_target_property(aliased "${lib}" ALIASED_TARGET)
      if(aliased)
        set(lib "${aliased}")
      endif()
      get_property(dep_component GLOBAL PROPERTY TETHER_COMPONENT_OF_${lib})
      if(dep_component)
        list(APPEND components ${dep_component})
        continue()
      endif()
    endif()
    set(package "")
    foreach(prefix name IN ZIP_LISTS _tether_package_prefixes _tether_package_names)
      string(FIND "${lib}" "${prefix}" at)
      if(lib STREQUAL prefix OR (at EQUAL 0 AND prefix MATCHES "::$"))
        set(package ${name})
        break()
      endif()
    endforeach()
    if(NOT package)
      message(FATAL_ERROR "tether install: component '${component}' (${target}) links "
        "'${lib}', which is neither an installed tether component (install it first) "
        "nor a package listed in cmake/TetherInstall.cmake")
    endif()
    list(APPEND packages ${package})
  endforeach()
  list(REMOVE_DUPLICATES components)
  list(REMOVE_DUPLICATES packages)
  set(${out_components} "${components}" PARENT_SCOPE)
  set(${out_packages} "${packages}" PARENT_SCOPE)
endfunction()

function(tether_install_component component target)
  cmake_parse_arguments(PARSE_ARGV 2 arg "OPTIONAL" "INCLUDE_DIR" "")
  get_target_property(export_name ${target} EXPORT_NAME)
  if(NOT export_name STREQUAL component)
    message(FATAL_ERROR "tether install: ${target} exports as '${export_name}', not '${component}'")
  endif()
  _tether_link_dependencies(${component} ${target} components packages)

  install(TARGETS ${target}
    EXPORT tether-${component}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT tether-${component}-targets
    NAMESPACE tether::
    DESTINATION ${TETHER_INSTALL_CMAKEDIR})
  if(arg_INCLUDE_DIR)
    install(DIRECTORY "${arg_INCLUDE_DIR}/tether"
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
      FILES_MATCHING PATTERN "*.hpp")
  endif()

  set_property(GLOBAL PROPERTY TETHER_COMPONENT_OF_${target} ${component})
  set_property(GLOBAL APPEND PROPERTY TETHER_COMPONENTS ${component})
  set_property(GLOBAL PROPERTY TETHER_COMPONENT_${component}_COMPONENTS "${components}")
  set_property(GLOBAL PROPERTY TETHER_COMPONENT_${component}_PACKAGES "${packages}")
  if(arg_OPTIONAL)
    set_property(GLOBAL APPEND PROPERTY TETHER_OPTIONAL_COMPONENTS ${component})
  endif()
endfunction()

function(tether_install_tools)
  foreach(tool IN LISTS ARGN)
    if(TARGET ${tool})
      install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    endif()
  endforeach()
endfunction()

# The component table tetherConfig.cmake reads (TETHER_COMPONENT_TABLE), and
# the find modules of tether's own that its packages need.
function(_tether_component_table out out_modules)
  get_property(all GLOBAL PROPERTY TETHER_COMPONENTS)
  get_property(optional GLOBAL PROPERTY TETHER_OPTIONAL_COMPONENTS)
  list(JOIN all " " all_text)
  list(JOIN optional " " optional_text)
  set(table "set(_tether_components ${all_text})\nset(_tether_optional ${optional_text})\n")
  set(used "")
  foreach(component IN LISTS all)
    get_property(components GLOBAL PROPERTY TETHER_COMPONENT_${component}_COMPONENTS)
    get_property(packages GLOBAL PROPERTY TETHER_COMPONENT_${component}_PACKAGES)
    list(JOIN components " " components_text)
    list(JOIN packages " " packages_text)
    string(APPEND table "set(_tether_${component}_components ${components_text})\n"
                        "set(_tether_${component}_packages ${packages_text})\n")
    list(APPEND used ${packages})
  endforeach()
  list(REMOVE_DUPLICATES used)
  set(modules "")
  foreach(package IN LISTS used)
    string(APPEND table "set(_tether_find_${package} ${_tether_find_args_${package}})\n")
    if(package IN_LIST _tether_find_modules)
      list(APPEND modules "${PROJECT_SOURCE_DIR}/cmake/Find${package}.cmake")
    endif()
  endforeach()
  set(${out} "${table}" PARENT_SCOPE)
  set(${out_modules} "${modules}" PARENT_SCOPE)
endfunction()

function(tether_install_package)
  _tether_component_table(TETHER_COMPONENT_TABLE find_modules)
  if(find_modules)
    install(FILES ${find_modules} DESTINATION ${TETHER_INSTALL_CMAKEDIR})
  endif()
  configure_package_config_file(
    "${PROJECT_SOURCE_DIR}/cmake/tetherConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/tetherConfig.cmake"
    INSTALL_DESTINATION ${TETHER_INSTALL_CMAKEDIR})
  write_basic_package_version_file(
    "${PROJECT_BINARY_DIR}/tetherConfigVersion.cmake"
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMajorVersion)
  install(FILES
    "${PROJECT_BINARY_DIR}/tetherConfig.cmake"
    "${PROJECT_BINARY_DIR}/tetherConfigVersion.cmake"
    DESTINATION ${TETHER_INSTALL_CMAKEDIR})
endfunction()
