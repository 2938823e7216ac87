# tether_check_layers()
#
# The layering rules of docs/architecture.md ("The rules"), enforced:
#   - at configure time, on the link closure of tether's libraries and tools
#     (target properties, followed transitively through every target they
#     link, PRIVATE and PUBLIC, imported or not): a broken rule fails the
#     configure with a message naming it;
#   - by the ctest `layers_include_scan` (cmake/TetherLayerScan.cmake, labels
#     model and io), which reads every #include under model/, io/ and sim/.
#
# Called once, at the end of the top-level CMakeLists.txt, after every target
# exists. Skipped when tether is a subproject: the parent's link_libraries()
# would be counted as ours.

include_guard(GLOBAL)

set(_tether_layers_dir "${CMAKE_CURRENT_LIST_DIR}")

# _tether_layers_unwrap(<item> <out-items> <out-build-only>)
# The link items inside one LINK_LIBRARIES entry: "$<BUILD_INTERFACE:x>" is x,
# build-only; "$<LINK_ONLY:x>", "$<INSTALL_INTERFACE:x>" and a conditional
# "$<$<cond>:x>" are x (the condition is assumed true: the check is
# conservative). An entry that is not a generator expression is itself.
function(_tether_layers_unwrap item out_items out_build_only)
  set(build_only FALSE)
  while(item MATCHES "^\\$<")
    # Split "$<head:body>" at the first ':' outside nested "$<...>".
    string(LENGTH "${item}" length)
    set(depth 0)
    set(colon -1)
    set(i 2)
    while(i LESS length)
      string(SUBSTRING "${item}" ${i} 2 two)
      string(SUBSTRING "${item}" ${i} 1 one)
      if(two STREQUAL "$<")
        math(EXPR depth "${depth} + 1")
        math(EXPR i "${i} + 2")
        continue()
      elseif(one STREQUAL ">" AND depth GREATER 0)
        math(EXPR depth "${depth} - 1")
      elseif(one STREQUAL ":" AND depth EQUAL 0)
        set(colon ${i})
        break()
      endif()
      math(EXPR i "${i} + 1")
    endwhile()
    if(colon LESS 0)
      # "$<TARGET_FILE...>"-like expressions without a body name no library.
      set(${out_items} "" PARENT_SCOPE)
      set(${out_build_only} ${build_only} PARENT_SCOPE)
      return()
    endif()
    math(EXPR head_length "${colon} - 2")
    string(SUBSTRING "${item}" 2 ${head_length} head)
    math(EXPR body_start "${colon} + 1")
    math(EXPR body_length "${length} - ${body_start} - 1")
    string(SUBSTRING "${item}" ${body_start} ${body_length} body)
    if(head MATCHES "^BUILD_(LOCAL_)?INTERFACE$")
      set(build_only TRUE)
    endif()
    set(item "${body}")
  endwhile()
  set(${out_items} "${item}" PARENT_SCOPE)
  set(${out_build_only} ${build_only} PARENT_SCOPE)
endfunction()

# _tether_layers_closure(<target> <out-prefix>)
# Everything <target> links, transitively. Sets <out-prefix>_names (as
# written in the LINK_LIBRARIES entry), <out-prefix>_real (after resolving
# aliases), <out-prefix>_build_only (TRUE if reached only through
# $<BUILD_INTERFACE:...>), <out-prefix>_chains ("a -> b -> c", for messages).
function(_tether_layers_closure root prefix)
  set(queue_names "${root}")
  set(queue_build_only FALSE)
  set(queue_chains "${root}")
  set(seen "")
  set(names "")
  set(reals "")
  set(build_onlys "")
  set(chains "")
  while(queue_names)
    list(POP_FRONT queue_names name)
    list(POP_FRONT queue_build_only build_only)
    list(POP_FRONT queue_chains chain)
    set(real "${name}")
    if(TARGET "${name}")
      get_target_property(aliased "${name}" ALIASED_TARGET)
      if(aliased)
        set(real "${aliased}")
      endif()
    endif()
    if("${real}|${build_only}" IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${real}|${build_only}")
    if(NOT name STREQUAL root)
      list(APPEND names "${name}")
      list(APPEND reals "${real}")
      list(APPEND build_onlys ${build_only})
      list(APPEND chains "${chain}")
    endif()
    if(NOT TARGET "${real}")
      continue()  # a file, a -l flag or a plain library name: a leaf
    endif()
    get_target_property(imported "${real}" IMPORTED)
    set(entries "")
    if(NOT imported)
      get_target_property(direct "${real}" LINK_LIBRARIES)
      if(direct)
        list(APPEND entries ${direct})
      endif()
    endif()
    get_target_property(interface "${real}" INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND entries ${interface})
    endif()
    foreach(entry IN LISTS entries)
      if(entry MATCHES "^::@")
        continue()  # directory markers of cross-directory target_link_libraries
      endif()
      _tether_layers_unwrap("${entry}" item item_build_only)
      if(item STREQUAL "")
        continue()
      endif()
      set(next_build_only ${build_only})
      if(item_build_only)
        set(next_build_only TRUE)
      endif()
      list(APPEND queue_names "${item}")
      list(APPEND queue_build_only ${next_build_only})
      list(APPEND queue_chains "${chain} -> ${item}")
    endforeach()
  endwhile()
  set(${prefix}_names "${names}" PARENT_SCOPE)
  set(${prefix}_real "${reals}" PARENT_SCOPE)
  set(${prefix}_build_only "${build_onlys}" PARENT_SCOPE)
  set(${prefix}_chains "${chains}" PARENT_SCOPE)
endfunction()

# True if a link item is Asio, Boost or OpenSSL: an imported target of theirs,
# or a library file or -l flag named like theirs.
function(_tether_layers_is_net item out)
  set(result FALSE)
  if(item MATCHES "^(Boost|boost|OpenSSL)::" OR item MATCHES "^(Boost|boost)_"
     OR item MATCHES "(^|[/\\\\]|^-l)(lib)?(ssl|crypto|boost_[A-Za-z0-9_]+|asio)([.][A-Za-z0-9.]+)?$")
    set(result TRUE)
  endif()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# True if a link item is nats.c: tether's imported target for it (or Debian's
# cnats::), or a library file or -l flag named libnats.
function(_tether_layers_is_nats item out)
  set(result FALSE)
  if(item MATCHES "^(tether_libnats|cnats)::"
     OR item MATCHES "(^|[/\\\\]|^-l)(lib)?nats(_static)?([.][A-Za-z0-9.]+)?$")
    set(result TRUE)
  endif()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# _tether_layers_forbid(<target> <rule> <text> FORBID_NET FORBID_NATS FORBID <names...>)
# Appends to `violations` (in the caller's scope) one line per item of
# <target>'s link closure that the rule forbids.
function(_tether_layers_forbid target rule text)
  cmake_parse_arguments(PARSE_ARGV 3 arg "FORBID_NET;FORBID_NATS" "" "FORBID")
  if(NOT TARGET "${target}")
    return()
  endif()
  _tether_layers_closure("${target}" c)
  set(found "")
  foreach(name real chain IN ZIP_LISTS c_names c_real c_chains)
    set(bad FALSE)
    if(arg_FORBID_NET)
      _tether_layers_is_net("${name}" bad)
    endif()
    if(arg_FORBID_NATS AND NOT bad)
      _tether_layers_is_nats("${name}" bad)
    endif()
    if(real IN_LIST arg_FORBID OR name IN_LIST arg_FORBID)
      set(bad TRUE)
    endif()
    if(bad)
      list(APPEND found "  rule ${rule} (${text}): ${chain}")
    endif()
  endforeach()
  set(violations ${violations} ${found} PARENT_SCOPE)
endfunction()

# The model rule is an allow-list: nothing is linked, except tether_warnings
# and range-v3, and those only through $<BUILD_INTERFACE:...>.
function(_tether_layers_model_only_std)
  set(rule "model-std-only")
  set(text "tether::model links only the standard library, range-v3 and tether_warnings only build-only")
  _tether_layers_closure(tether_model c)
  set(found "")
  foreach(name build_only chain IN ZIP_LISTS c_names c_build_only c_chains)
    if(build_only AND (name STREQUAL "tether_warnings" OR name MATCHES "^range-v3"))
      continue()
    endif()
    set(how "")
    if(build_only)
      set(how " (build-only, but not range-v3)")
    endif()
    list(APPEND found "  rule ${rule} (${text}): ${chain}${how}")
  endforeach()
  set(violations ${violations} ${found} PARENT_SCOPE)
endfunction()

function(tether_check_layers)
  if(NOT PROJECT_IS_TOP_LEVEL)
    return()
  endif()
  set(violations "")
  _tether_layers_model_only_std()
  _tether_layers_forbid(tether_io_core "io_core-no-net"
    "tether::io_core links tether::model and nothing with Asio, Boost or OpenSSL, never tether::io or tether::sim"
    FORBID_NET FORBID tether_io tether_sim tether_sim_rapidcheck)
  foreach(target IN ITEMS tether_sim_reference tether_sim tether_sim_rapidcheck tether-sim)
    _tether_layers_forbid(${target} "sim-no-net"
      "tether::sim and its tools never link Boost, OpenSSL or tether::io"
      FORBID_NET FORBID tether_io)
  endforeach()
  _tether_layers_forbid(tether_sim_reference "reference-model-only"
    "tether::sim_reference links tether::model only: the model's property tests and the fuzz targets use it"
    FORBID tether_io_core tether_io tether_sim)
  _tether_layers_forbid(tether_metrics "metrics-no-net"
    "tether::metrics links tether::io_core and prometheus-cpp's core, never Asio, Boost, OpenSSL, tether::io or tether::sim"
    FORBID_NET FORBID tether_io tether_sim tether_sim_rapidcheck)
  foreach(target IN ITEMS tether_io tether-watch tether_nats)
    _tether_layers_forbid(${target} "io-no-sim"
      "tether::io, tether::nats and tether-watch never link tether::sim"
      FORBID tether_sim tether_sim_rapidcheck)
  endforeach()
  foreach(target IN ITEMS tether_io_core tether_io tether-watch tether_metrics tether_sim_reference
                          tether_sim tether_sim_rapidcheck tether-sim)
    _tether_layers_forbid(${target} "nats-private"
      "only tether::nats links nats.c"
      FORBID_NATS FORBID tether_nats)
  endforeach()
  if(violations)
    list(JOIN violations "\n" lines)
    message(FATAL_ERROR "tether: a layering rule is broken (docs/architecture.md, \"The rules\"):\n${lines}\n")
  endif()
  message(STATUS "tether: layering rules hold (model-std-only, io_core-no-net, sim-no-net, reference-model-only, metrics-no-net, io-no-sim, nats-private)")

  # The include scan needs each library's own source list: write it down for
  # the ctest, which runs without CMake's target model.
  if(TETHER_BUILD_TESTS)
    set(manifest "${PROJECT_BINARY_DIR}/tether_layers_manifest.cmake")
    set(content "# Generated by cmake/TetherLayers.cmake: the sources of each library.\n")
    string(APPEND content "set(TETHER_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")\n")
    foreach(target IN ITEMS tether_io_core tether_io tether_nats)
      set(absolute "")
      if(TARGET ${target})
        get_target_property(sources ${target} SOURCES)
        get_target_property(source_dir ${target} SOURCE_DIR)
        foreach(source IN LISTS sources)
          cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY "${source_dir}" NORMALIZE)
          list(APPEND absolute "${source}")
        endforeach()
      endif()
      string(APPEND content "set(${target}_SOURCES \"${absolute}\")\n")
    endforeach()
    if(TARGET tether_io)
      string(APPEND content "set(TETHER_IO_NET ON)\n")
    else()
      string(APPEND content "set(TETHER_IO_NET OFF)\n")
    endif()
    if(TARGET tether_nats)
      string(APPEND content "set(TETHER_NATS ON)\n")
    else()
      string(APPEND content "set(TETHER_NATS OFF)\n")
    endif()
    file(CONFIGURE OUTPUT "${manifest}" CONTENT "${content}" @ONLY)
    add_test(NAME layers_include_scan
      COMMAND "${CMAKE_COMMAND}" "-DMANIFEST=${manifest}" -P "${_tether_layers_dir}/TetherLayerScan.cmake")
    set_tests_properties(layers_include_scan PROPERTIES LABELS "model;io")
  endif()
endfunction()
