# Fails when a public header (include/**) declares or uses a `detail` namespace: what a public header
# declares is API, so internals live in private headers under src/ (or become named public API).
# Catches "namespace detail {", "namespace voxline::detail {" and nested forms, and any use of a
# `detail::` name (a public header may not lean on internals declared elsewhere either).
#   cmake -D ROOT=<repo> -P check_no_detail_in_public_headers.cmake
cmake_minimum_required(VERSION 3.25)
file(GLOB_RECURSE headers RELATIVE ${ROOT} ${ROOT}/include/*.h ${ROOT}/include/*.hpp)
if(NOT headers)
  message(FATAL_ERROR "no public headers under ${ROOT}/include")
endif()
set(bad "")
foreach(f IN LISTS headers)
  file(STRINGS ${ROOT}/${f} lines
       REGEX "namespace[ \t]+([A-Za-z0-9_]+::)*detail([^A-Za-z0-9_]|$)|(^|[^A-Za-z0-9_])detail::")
  foreach(line IN LISTS lines)
    list(APPEND bad "${f}: ${line}")
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "public headers that declare or use a detail namespace (move it to src/):\n  ${text}")
endif()
list(LENGTH headers n)
message(STATUS "${n} public headers declare and use no detail namespace")
