# Install rules and the `tether` CMake package.
#
# Every installable library joins the one export set `tetherTargets`, exported
# with NAMESPACE tether::, so find_package(tether) yields tether::model (and
# later tether::sim, tether::io). Each library sets EXPORT_NAME on its target.
#
#   tether_install_library(<target> <include-dir>)  # once per library
#   tether_install_package()                         # once, after all libraries

include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TETHER_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/tether"
    CACHE STRING "Where tetherConfig.cmake is installed, relative to the prefix")

# Installs <target> into the export set and the headers under <include-dir>
# (which holds tether/<layer>/...) into <prefix>/include.
function(tether_install_library target include_dir)
  install(TARGETS ${target}
    EXPORT tetherTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY "${include_dir}/tether"
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.hpp")
endfunction()

function(tether_install_package)
  if(TARGET tether_io)
    set(TETHER_INSTALLS_IO TRUE)
  else()
    set(TETHER_INSTALLS_IO FALSE)
  endif()
  install(EXPORT tetherTargets
    NAMESPACE tether::
    FILE tetherTargets.cmake
    DESTINATION ${TETHER_INSTALL_CMAKEDIR})

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
