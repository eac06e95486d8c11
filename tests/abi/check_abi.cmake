# The C ABI of libvoxline (types and functions of capi/voxline.h only: abidw --headers-dir capi
# --exported-interfaces-only, so the C++ internals behind the opaque handles never count) against
# the checked-in baseline capi/abi/libvoxline.abi, taken at the version in
# capi/abi/libvoxline.abi.version.
#
#   no change                               -> pass
#   only additions (functions, variables)  -> pass if VERSION > the baseline's version
#   anything else (removed or changed)     -> pass only if VERSION's major (the SONAME) is greater
#
# After an intentional ABI change: bump project(VERSION) in CMakeLists.txt as above, rebuild, then
#   cmake --build build --target voxline_abi_baseline
# (this script with MODE=regenerate) and commit capi/abi/. Enumerators appended to an enum are a
# harmless change for abidiff (voxline.h promises values never change; new ones are appended).
#
# -D ABIDW= -D ABIDIFF= -D LIB=<libvoxline.so> -D HEADERS=<capi dir> -D SOURCE_DIR=<project dir>
# -D BASELINE=<.abi> -D VERSION=<project version> -D WORK=<scratch dir>
# [-D MODE=check|regenerate] [-D ALTER=changed_struct|added_function]: ALTER checks against an
# edited copy of the baseline, to prove the check fails (tests/abi/CMakeLists.txt).
cmake_policy(VERSION 3.25)
if(NOT MODE)
  set(MODE check)
endif()
if(NOT ABIDW OR NOT ABIDIFF)
  message(FATAL_ERROR "abidw/abidiff not found: apt-get install abigail-tools (scripts/install-deps.sh)")
endif()
file(MAKE_DIRECTORY ${WORK})
set(current ${WORK}/current${ALTER}.abi)

# Paths inside the dump are made relative to the source tree, so any checkout writes the same file.
execute_process(COMMAND ${ABIDW} --no-corpus-path --no-comp-dir-path --no-show-locs --no-elf-needed
    --type-id-style hash --headers-dir ${HEADERS} --drop-private-types --exported-interfaces-only
    --out-file ${current} ${LIB}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "abidw failed (${rc}) on ${LIB}: ${err}")
endif()
file(READ ${current} dump)
string(REPLACE "path='${SOURCE_DIR}/" "path='" dump "${dump}")
if(NOT dump MATCHES "<function-decl name='voxline_version'")
  message(FATAL_ERROR "abidw found no voxline_version in ${LIB}: built without debug info (-g)?")
endif()
file(WRITE ${current} "${dump}")

if(MODE STREQUAL "regenerate")
  file(COPY_FILE ${current} ${BASELINE})
  file(WRITE ${BASELINE}.version "${VERSION}\n")
  message(STATUS "wrote ${BASELINE} for version ${VERSION}")
  return()
endif()

file(STRINGS ${BASELINE}.version base_version LIMIT_COUNT 1)
set(baseline ${BASELINE})
if(ALTER)
  file(READ ${BASELINE} base)
  if(ALTER STREQUAL "changed_struct")
    # The baseline without voxline_database_options.busy_timeout_ms: the library's struct changed.
    string(REGEX REPLACE "<data-member [^>]*>[ \n]*<var-decl name='busy_timeout_ms'[^>]*/>[ \n]*</data-member>"
      "" altered "${base}")
  elseif(ALTER STREQUAL "added_function")
    # The baseline without voxline_database_close: the library added a function.
    string(REGEX REPLACE "<elf-symbol name='voxline_database_close'[^>]*/>" "" altered "${base}")
    string(REGEX REPLACE "<function-decl name='voxline_database_close'[^>]*>[ \n]*(<parameter[^>]*/>[ \n]*)*<return[^>]*/>[ \n]*</function-decl>"
      "" altered "${altered}")
  else()
    message(FATAL_ERROR "unknown ALTER=${ALTER}")
  endif()
  if(altered STREQUAL base)
    message(FATAL_ERROR "ALTER=${ALTER} did not change the baseline: update this fixture")
  endif()
  set(baseline ${WORK}/baseline_${ALTER}.abi)
  file(WRITE ${baseline} "${altered}")
endif()

execute_process(COMMAND ${ABIDIFF} --no-show-locs ${baseline} ${current}
  RESULT_VARIABLE rc OUTPUT_VARIABLE report ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(STATUS "libvoxline ${VERSION}: the C ABI matches the baseline of ${base_version}")
  return()
endif()
math(EXPR tool_error "${rc} & 3")  # ABIDIFF_ERROR | ABIDIFF_USAGE_ERROR
if(NOT tool_error EQUAL 0)
  message(FATAL_ERROR "abidiff failed (${rc}): ${err}\n${report}")
endif()

string(REGEX MATCH "^([0-9]+)" base_major "${base_version}")
string(REGEX MATCH "^([0-9]+)" major "${VERSION}")
set(additive TRUE)
foreach(kind "Functions changes summary" "Variables changes summary" "Function symbols changes summary"
    "Variable symbols changes summary")
  if(report MATCHES "${kind}: ([0-9]+) Removed(, ([0-9]+) Changed)?")
    if(NOT CMAKE_MATCH_1 EQUAL 0 OR (CMAKE_MATCH_3 AND NOT CMAKE_MATCH_3 EQUAL 0))
      set(additive FALSE)
    endif()
  endif()
endforeach()
math(EXPR incompatible "${rc} & 8")  # ABIDIFF_ABI_INCOMPATIBLE_CHANGE
if(NOT incompatible EQUAL 0)
  set(additive FALSE)
endif()

# Verdicts are one unwrapped line each (message(STATUS)); the negative tests match them.
if(additive AND VERSION VERSION_GREATER base_version)
  message(STATUS "PASS: libvoxline ${VERSION}: additions to the C ABI of ${base_version} (version bumped)\n${report}")
elseif(NOT additive AND major GREATER base_major)
  message(STATUS "PASS: libvoxline ${VERSION}: C ABI break after ${base_version} with a new SONAME major\n${report}")
elseif(additive)
  message(STATUS "FAIL: libvoxline ${VERSION}: the C ABI gained functions since the baseline of ${base_version} without a version bump (bump the minor version, then regenerate: see tests/abi/check_abi.cmake)\n${report}")
  message(FATAL_ERROR "C ABI check failed")
else()
  message(STATUS "FAIL: libvoxline ${VERSION}: the C ABI changed incompatibly since the baseline of ${base_version} with the same major version (SONAME libvoxline.so.${major}); bump the major version, then regenerate: see tests/abi/check_abi.cmake\n${report}")
  message(FATAL_ERROR "C ABI check failed")
endif()
