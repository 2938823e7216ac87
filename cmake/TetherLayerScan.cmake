# cmake -DMANIFEST=<build>/tether_layers_manifest.cmake -P TetherLayerScan.cmake
#
# The ctest `layers_include_scan`: reads every #include under model/, io/ and
# sim/ and checks the layering rules of docs/architecture.md ("The rules")
# that a link closure cannot see (a header-only dependency links nothing):
#   model-std-only  under model/, only standard C++ headers, <tether/model/...>,
#                   model's own quoted headers, and <range/v3/...> in model/src;
#   io_core-no-net  under io/, only tether::io's sources (io/CMakeLists.txt)
#                   and the private headers that only they include may include
#                   Boost, Asio or OpenSSL: not io_core's sources, not a public
#                   header, not io/tools;
#   sim-no-net      nothing under sim/ includes Boost, Asio or OpenSSL;
#   io-no-sim       nothing under io/ includes <tether/sim/...>;
#   nats-private    under io/, only tether::nats's sources (io/src/nats/) and
#                   the private headers that only they include may include
#                   nats.c (<nats.h>, <nats/...>): not a public header (its
#                   types stay out of <tether/nats/...>), not io_core, not
#                   tether::io; nothing under sim/ does.
# The manifest (written at configure time by cmake/TetherLayers.cmake) names
# the source directory and the sources of tether::io_core, tether::io and
# tether::nats.
# Exit 1 with one line per violation, each naming file, line and rule.

cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED MANIFEST OR NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "layers_include_scan: -DMANIFEST=<file> is required (got '${MANIFEST}')")
endif()
include("${MANIFEST}")
set(root "${TETHER_SOURCE_DIR}")

# The C++23 standard library headers, and the C headers C++ keeps (<stdint.h>).
set(std_headers
  algorithm any array atomic barrier bit bitset cassert cctype cerrno cfenv cfloat
  charconv chrono cinttypes climits clocale cmath codecvt compare complex concepts
  condition_variable coroutine csetjmp csignal cstdarg cstddef cstdint cstdio cstdlib
  cstring ctime cuchar cwchar cwctype deque exception execution expected filesystem
  flat_map flat_set format forward_list fstream functional future generator
  initializer_list iomanip ios iosfwd iostream istream iterator latch limits list
  locale map mdspan memory memory_resource mutex new numbers numeric optional ostream
  print queue random ranges ratio regex scoped_allocator semaphore set shared_mutex
  source_location span spanstream sstream stack stacktrace stdexcept stdfloat
  stop_token streambuf string string_view strstream syncstream system_error thread
  tuple type_traits typeindex typeinfo unordered_map unordered_set utility valarray
  variant vector version
  assert.h ctype.h errno.h fenv.h float.h inttypes.h limits.h locale.h math.h
  setjmp.h signal.h stdarg.h stddef.h stdint.h stdio.h stdlib.h string.h time.h
  uchar.h wchar.h wctype.h)

set(net_regex "^(boost/|openssl/|asio/|asio[.]hpp$)")
set(nats_regex "^nats([.]h$|/)")

# The repository file an #include names, or "" (a system header, a generated
# one). <tether/L/x> is L/include/tether/L/x (or L/asio/include/tether/L/x); "x" is next to the includer or
# in the includer's layer's src/ (tether::io's private include directory).
function(resolve includer kind name out)
  set(result "")
  if(kind STREQUAL "<")
    if(name MATCHES "^tether/(metrics|nats)/")
      # tether::metrics and tether::nats: io/'s optional libraries.
      if(EXISTS "${root}/io/include/${name}")
        set(result "${root}/io/include/${name}")
      endif()
    elseif(name MATCHES "^tether/(model|io|sim)/")
      # io/asio/include holds tether::io's one public header with Boost in it.
      foreach(candidate IN ITEMS "${root}/${CMAKE_MATCH_1}/include/${name}"
                                 "${root}/${CMAKE_MATCH_1}/asio/include/${name}")
        if(EXISTS "${candidate}")
          set(result "${candidate}")
          break()
        endif()
      endforeach()
    endif()
  else()
    cmake_path(GET includer PARENT_PATH dir)
    file(RELATIVE_PATH rel "${root}" "${includer}")
    string(REGEX REPLACE "/.*" "" layer "${rel}")
    foreach(candidate IN ITEMS "${dir}/${name}" "${root}/${layer}/src/${name}")
      cmake_path(NORMAL_PATH candidate)
      if(EXISTS "${candidate}" AND NOT IS_DIRECTORY "${candidate}")
        set(result "${candidate}")
        break()
      endif()
    endforeach()
  endif()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# Every include of every scanned file, once: parallel lists of the including
# file, its line, the bracket kind ('<' or '"') and the name.
set(inc_file "")
set(inc_line "")
set(inc_kind "")
set(inc_name "")
file(GLOB_RECURSE scanned LIST_DIRECTORIES false
  "${root}/model/*.hpp" "${root}/model/*.cpp" "${root}/model/*.in"
  "${root}/io/*.hpp" "${root}/io/*.cpp"
  "${root}/sim/*.hpp" "${root}/sim/*.cpp")
foreach(file IN LISTS scanned)
  file(STRINGS "${file}" lines)
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"]+)[>\"]")
      list(APPEND inc_file "${file}")
      list(APPEND inc_line ${number})
      list(APPEND inc_kind "${CMAKE_MATCH_1}")
      list(APPEND inc_name "${CMAKE_MATCH_2}")
    endif()
  endforeach()
endforeach()
list(LENGTH scanned scanned_count)
list(LENGTH inc_file include_count)

# closure(<out> <files...>): the files, and every repository header they
# include, transitively. <out>_via: for each, the file that first included
# it ("" for the files given).
function(closure out)
  set(result "${ARGN}")
  set(via "")
  foreach(file IN LISTS result)
    list(APPEND via "-")
  endforeach()
  set(queue "${ARGN}")
  while(queue)
    list(POP_FRONT queue file)
    foreach(f l k n IN ZIP_LISTS inc_file inc_line inc_kind inc_name)
      if(NOT f STREQUAL file)
        continue()
      endif()
      resolve("${f}" "${k}" "${n}" target)
      if(target AND NOT target IN_LIST result)
        list(APPEND result "${target}")
        file(RELATIVE_PATH shown "${root}" "${f}")
        list(APPEND via "${shown}:${l}")
        list(APPEND queue "${target}")
      endif()
    endforeach()
  endwhile()
  set(${out} "${result}" PARENT_SCOPE)
  set(${out}_via "${via}" PARENT_SCOPE)
endfunction()

# io/: the files that may include Boost, Asio or OpenSSL are tether::io's
# sources and what only they include.
file(GLOB_RECURSE io_public_headers "${root}/io/include/*.hpp")
closure(io_core_files ${tether_io_core_SOURCES} ${io_public_headers})
closure(io_net_files ${tether_io_SOURCES})
list(REMOVE_ITEM io_net_files ${io_core_files})
# tether::nats's sources and the private headers only they include.
closure(nats_files ${tether_nats_SOURCES})
if(nats_files)
  list(REMOVE_ITEM nats_files ${io_core_files})
endif()

set(violations "")
macro(violation rule text)
  file(RELATIVE_PATH shown "${root}" "${f}")
  if(k STREQUAL "<")
    set(shown_include "<${n}>")
  else()
    set(shown_include "\"${n}\"")
  endif()
  # Indented: CMake prints indented message lines as they are, unwrapped.
  list(APPEND violations "  ${shown}:${l}: #include ${shown_include}: rule ${rule} (${text})")
endmacro()

foreach(f l k n IN ZIP_LISTS inc_file inc_line inc_kind inc_name)
  file(RELATIVE_PATH rel "${root}" "${f}")
  if(rel MATCHES "^model/")
    if(k STREQUAL "<")
      if(n IN_LIST std_headers OR n MATCHES "^tether/model/")
        continue()
      endif()
      if(n MATCHES "^range/v3/" AND rel MATCHES "^model/src/")
        continue()
      endif()
    else()
      resolve("${f}" "${k}" "${n}" target)
      if(target MATCHES "^${root}/model/")
        continue()
      endif()
    endif()
    violation(model-std-only "model/ includes only the standard library, <tether/model/...> and, in model/src, range-v3")
  elseif(rel MATCHES "^io/")
    if(n MATCHES "^tether/sim/" OR n MATCHES "(^|/)sim/")
      violation(io-no-sim "nothing under io/ includes tether::sim")
    endif()
    if(n MATCHES "${net_regex}" AND NOT f IN_LIST io_net_files AND (TETHER_IO_NET OR f IN_LIST io_core_files))
      set(how "")
      list(FIND io_core_files "${f}" at)
      if(at GREATER_EQUAL 0)
        list(GET io_core_files_via ${at} from)
        if(NOT from STREQUAL "-")
          set(how ", and tether::io_core reaches this file from ${from}")
        endif()
      endif()
      violation(io_core-no-net "under io/, only tether::io's sources listed in io/CMakeLists.txt, and the private headers only they include, include Boost, Asio or OpenSSL${how}")
    endif()
    if(n MATCHES "${nats_regex}" AND NOT f IN_LIST nats_files AND (TETHER_NATS OR f IN_LIST io_core_files))
      violation(nats-private "under io/, only tether::nats's sources listed in io/CMakeLists.txt, and the private headers only they include, include nats.c")
    endif()
  elseif(rel MATCHES "^sim/")
    if(n MATCHES "${net_regex}")
      violation(sim-no-net "nothing under sim/ includes Boost, Asio or OpenSSL")
    endif()
    if(n MATCHES "${nats_regex}")
      violation(nats-private "nothing under sim/ includes nats.c")
    endif()
  endif()
endforeach()

list(LENGTH io_core_files io_core_count)
list(LENGTH io_net_files io_net_count)
list(LENGTH nats_files nats_count)
if(violations)
  list(JOIN violations "\n" lines)
  message(FATAL_ERROR "layers_include_scan:\n  a layering rule is broken (docs/architecture.md, \"The rules\"):\n${lines}")
endif()
message("layers_include_scan: ${include_count} #include lines in ${scanned_count} files under model/, io/, sim/; "
        "${io_core_count} files in tether::io_core's include closure, ${io_net_count} may include Boost/OpenSSL, "
        "${nats_count} nats.c; every rule holds")
