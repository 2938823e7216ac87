# find_package(tether_libnats [<version>] MODULE): nats.c, the NATS C client
# (Debian 12: libnats-dev, 3.4.1), as the imported target tether_libnats::nats
# (the shared library libnats.so and the directory holding <nats/nats.h>).
#
# Why a module of our own: Debian's package config (cnats-config.cmake) names
# libnats_static.a, which libnats-dev does not ship, so find_package(cnats)
# stops the configure with an error. tether::nats needs the shared library and
# the header only. Installed beside tetherConfig.cmake, which uses it to find
# nats.c for a client of the installed tether::nats.
#
# Sets tether_libnats_FOUND, tether_libnats_VERSION (from <nats/version.h>),
# tether_libnats_INCLUDE_DIR and tether_libnats_LIBRARY.

find_path(tether_libnats_INCLUDE_DIR NAMES nats/nats.h)
find_library(tether_libnats_LIBRARY NAMES nats)

set(tether_libnats_VERSION "")
if(tether_libnats_INCLUDE_DIR AND EXISTS "${tether_libnats_INCLUDE_DIR}/nats/version.h")
  file(STRINGS "${tether_libnats_INCLUDE_DIR}/nats/version.h" _tether_libnats_version_line
       REGEX "^#define[ \t]+NATS_VERSION_STRING[ \t]+\"[0-9.]+\"")
  if(_tether_libnats_version_line MATCHES "\"([0-9.]+)\"")
    set(tether_libnats_VERSION "${CMAKE_MATCH_1}")
  endif()
  unset(_tether_libnats_version_line)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(tether_libnats
  REQUIRED_VARS tether_libnats_LIBRARY tether_libnats_INCLUDE_DIR
  VERSION_VAR tether_libnats_VERSION)
mark_as_advanced(tether_libnats_INCLUDE_DIR tether_libnats_LIBRARY)

if(tether_libnats_FOUND AND NOT TARGET tether_libnats::nats)
  add_library(tether_libnats::nats UNKNOWN IMPORTED)
  set_target_properties(tether_libnats::nats PROPERTIES
    IMPORTED_LOCATION "${tether_libnats_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${tether_libnats_INCLUDE_DIR}")
endif()
