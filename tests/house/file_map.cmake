# A directory's README names every source file in it (a file map that cannot
# drift). Run as:
#   cmake -DMAP=<README.md> -DROOT=<dir> -P file_map.cmake
# Every *.hpp and *.cpp under ROOT must appear in MAP as `name` (its file name
# in backticks, alone or at the end of a path). Names each file that is missing.
if(NOT MAP OR NOT ROOT)
  message(FATAL_ERROR "file_map.cmake: set MAP and ROOT")
endif()
get_filename_component(ROOT "${ROOT}" ABSOLUTE)
file(READ "${MAP}" map_text)
file(GLOB_RECURSE files RELATIVE "${ROOT}" "${ROOT}/*.hpp" "${ROOT}/*.cpp")
list(SORT files)
set(missing "")
foreach(file IN LISTS files)
  get_filename_component(name "${file}" NAME)
  string(REPLACE "." "\\." name_re "${name}")
  if(NOT map_text MATCHES "[`/]${name_re}`")
    list(APPEND missing "${file}")
  endif()
endforeach()
list(LENGTH files count)
if(count EQUAL 0)
  message(FATAL_ERROR "file_map.cmake: no .hpp or .cpp under ${ROOT}")
endif()
if(missing)
  list(JOIN missing "\n  " lines)
  message(FATAL_ERROR "${MAP} does not name these files under ${ROOT}:\n  ${lines}\n"
                      "Add each, with what it holds, to the file map.")
endif()
message(STATUS "${MAP}: all ${count} files under ${ROOT} named")
