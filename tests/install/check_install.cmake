# Installs BUILD_DIR into a fresh prefix under WORK, checks the installed files, then builds the
# C host in CONSUMER against that prefix three ways and runs each: find_package with
# voxline::voxline and voxline::static, and `pkg-config --cflags --libs voxline`.
# Nothing from the build or source tree is on the consumers' paths.
cmake_policy(VERSION 3.25)
set(prefix ${WORK}/prefix)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

foreach(f ${INCLUDEDIR}/voxline.h ${INCLUDEDIR}/voxline/core/status.hpp
    ${INCLUDEDIR}/voxline/tokenizer/encoding.hpp ${LIBDIR}/libvoxline.so.${VERSION}
    ${LIBDIR}/libvoxline.so.${SOVERSION} ${LIBDIR}/libvoxline.so ${LIBDIR}/libvoxline.a
    ${LIBDIR}/cmake/voxline/voxlineConfig.cmake ${LIBDIR}/cmake/voxline/voxlineConfigVersion.cmake
    ${LIBDIR}/cmake/voxline/voxlineTargets.cmake ${LIBDIR}/pkgconfig/voxline.pc bin/voxline-tokenize)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${prefix}/${f}")
  endif()
endforeach()
# The installed CLI runs from the prefix.
run("installed voxline-tokenize" ${prefix}/bin/voxline-tokenize --help)

set(flags "")
if(SANITIZE)
  # A sanitizer-built libvoxline needs its runtime in the program too.
  string(REPLACE ";" "," list "${SANITIZE}")
  set(flags "-fsanitize=${list}")
endif()

# 1+2. find_package through a small CMake project, with no package registry and only the prefix.
run("consumer configure" ${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/cmake-build -G ${GENERATOR}
  -D CMAKE_C_COMPILER=${CC} -D CMAKE_CXX_COMPILER=${CXX} -D CMAKE_PREFIX_PATH=${prefix}
  -D CMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -D CMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
  "-D CMAKE_C_FLAGS=${flags}" "-D CMAKE_EXE_LINKER_FLAGS=${flags}"
  -D VOXLINE_EXPECTED_VERSION=${VERSION} -D VOXLINE_EXPECTED_PREFIX=${prefix})
run("consumer build" ${CMAKE_COMMAND} --build ${WORK}/cmake-build -j1)
foreach(exe consumer_shared consumer_static)
  run("${exe}" ${WORK}/cmake-build/${exe} ${VERSION})
  message(STATUS "${exe}: ${last_output}")
endforeach()
# The shared consumer resolves libvoxline from the prefix (its RUNPATH), not the build tree.
run("ldd consumer_shared" ldd ${WORK}/cmake-build/consumer_shared)
if(NOT last_output MATCHES "libvoxline.so.${SOVERSION} => ${prefix}/${LIBDIR}/libvoxline.so.${SOVERSION}")
  message(FATAL_ERROR "consumer_shared does not load the installed libvoxline:\n${last_output}")
endif()

# 3. pkg-config, with the installed voxline.pc only.
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run("pkg-config" ${PKG_CONFIG} --cflags --libs voxline)
string(STRIP "${last_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
# The first -I and -L are voxline's own (relocatable: ${pcfiledir}/..), and lead into the prefix.
foreach(opt I L)
  set(dirs ${pc_flags})
  list(FILTER dirs INCLUDE REGEX "^-${opt}")
  list(GET dirs 0 dir)
  string(SUBSTRING "${dir}" 2 -1 dir)
  file(REAL_PATH "${dir}" dir)
  if(opt STREQUAL "I")
    set(want ${prefix}/${INCLUDEDIR})
  else()
    set(want ${prefix}/${LIBDIR})
  endif()
  if(NOT dir STREQUAL want)
    message(FATAL_ERROR "voxline.pc: -${opt} is ${dir}, not ${want}: ${pc_flags}")
  endif()
endforeach()
separate_arguments(flags UNIX_COMMAND "${flags}")
run("pkg-config consumer build" ${CC} -std=c99 -Wall -Wextra -pedantic -Werror ${flags}
  ${CONSUMER}/consumer.c -o ${WORK}/consumer_pkg_config ${pc_flags})
set(ENV{LD_LIBRARY_PATH} ${prefix}/${LIBDIR})
run("consumer_pkg_config" ${WORK}/consumer_pkg_config ${VERSION})
message(STATUS "consumer_pkg_config: ${last_output}")
