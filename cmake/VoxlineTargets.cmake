# Helpers that every layer, test and tool uses, so targets are declared one way.

# Warnings for project code only (third-party headers are included as SYSTEM).
function(voxline_project_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Checks VOXLINE_GUARDED_BY / VOXLINE_REQUIRES annotations (core/thread_annotations.hpp).
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
endfunction()

# voxline_add_layer(<layer> SOURCES ... [DEPS <public libs>] [PRIVATE_DEPS <private libs>])
# Creates static library voxline_<layer> (alias voxline::<layer>) and registers it for libvoxline.
function(voxline_add_layer layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target voxline_${layer})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(voxline::${layer} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(${target} PRIVATE VOXLINE_BUILDING_LIBRARY)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  voxline_project_warnings(${target})
  set_property(GLOBAL APPEND PROPERTY VOXLINE_LAYER_TARGETS ${target})
endfunction()

# libvoxline: the shared library (versioned SONAME) and the static archive, built from every layer.
function(voxline_add_combined_library)
  get_property(layers GLOBAL PROPERTY VOXLINE_LAYER_TARGETS)
  get_property(capi GLOBAL PROPERTY VOXLINE_CAPI_SOURCES)
  set(objects "")
  foreach(t IN LISTS layers)
    list(APPEND objects $<TARGET_OBJECTS:${t}>)
  endforeach()

  add_library(voxline SHARED ${capi} ${objects})
  set_target_properties(voxline PROPERTIES
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
    LINKER_LANGUAGE CXX)
  add_library(voxline_static STATIC ${capi} ${objects})
  set_target_properties(voxline_static PROPERTIES OUTPUT_NAME voxline LINKER_LANGUAGE CXX)

  foreach(t voxline voxline_static)
    target_include_directories(${t} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/capi>
      PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_compile_definitions(${t} PRIVATE VOXLINE_BUILDING_LIBRARY)
    voxline_project_warnings(${t})
    # Link the layers' own dependencies (objects are already in; archives add nothing twice).
    # Build tree only: the installed archive lists them itself (cmake/VoxlineInstall.cmake).
    foreach(l IN LISTS layers)
      target_link_libraries(${t} PRIVATE $<BUILD_INTERFACE:$<TARGET_PROPERTY:${l},INTERFACE_LINK_LIBRARIES>>)
    endforeach()
  endforeach()
  if(EXISTS ${PROJECT_SOURCE_DIR}/capi/voxline.map)
    target_link_options(voxline PRIVATE -Wl,--version-script=${PROJECT_SOURCE_DIR}/capi/voxline.map)
    # clang leaves sanitizer runtimes out of shared libraries, so --no-undefined only without them.
    if(NOT VOXLINE_SANITIZE)
      target_link_options(voxline PRIVATE -Wl,--no-undefined)
    endif()
    set_property(TARGET voxline APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/capi/voxline.map)
  endif()
  add_library(voxline::voxline ALIAS voxline)
  add_library(voxline::static ALIAS voxline_static)
endfunction()

# voxline_add_doctest(<name> SOURCES ... LIBS ... LABELS unit|integration [TIMEOUT s])
# Builds a doctest executable and registers each TEST_CASE as its own ctest test with LABELS.
function(voxline_add_doctest name)
  # FIXTURES: ctest fixtures every case requires (e.g. "postgres"); ENVIRONMENT: VAR=value;...
  cmake_parse_arguments(ARG "" "TIMEOUT;FIXTURES" "SOURCES;LIBS;LABELS;ENVIRONMENT" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE voxline_doctest_main ${ARG_LIBS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
  voxline_project_warnings(${name})
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_tests.cmake")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND}
      -D EXE=$<TARGET_FILE:${name}> -D OUT=${ctest_file} -D PREFIX=${name}.
      "-D LABELS=${ARG_LABELS}" -D TIMEOUT=${ARG_TIMEOUT}
      "-D FIXTURES=${ARG_FIXTURES}" "-D ENVIRONMENT=${ARG_ENVIRONMENT}"
      -D WORKDIR=${CMAKE_CURRENT_BINARY_DIR}
      -P ${PROJECT_SOURCE_DIR}/cmake/VoxlineDiscoverDoctest.cmake
    VERBATIM)
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${ctest_file})
endfunction()

# voxline_add_c99_executable(<target> <source>...)
# A strict C99 program (-std=c99 -Wall -Wextra -pedantic -Werror) linked against libvoxline.so
# alone, as a C host uses the C ABI: the C examples and the C programs under tests/capi.
function(voxline_add_c99_executable target)
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE voxline::voxline)
  set_target_properties(${target} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra -pedantic -Werror)
  if(VOXLINE_SANITIZE)
    # The UBSan C++ runtime (vptr checks inside libvoxline) is only linked by the C++ driver.
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
endfunction()

# voxline_add_usage_test(<program target>)
# Registers "usage.<target>": --help prints usage to stdout and exits 0; an unknown flag exits 2
# with the usage on stderr and nothing on stdout.
function(voxline_add_usage_test target)
  if(NOT VOXLINE_BUILD_TESTS)
    return()
  endif()
  add_test(NAME usage.${target}_help_exits_0_on_stdout_and_a_bad_flag_exits_2_on_stderr
    COMMAND ${CMAKE_COMMAND} -D EXE=$<TARGET_FILE:${target}> -P ${PROJECT_SOURCE_DIR}/cmake/VoxlineCheckUsage.cmake)
  set_tests_properties(usage.${target}_help_exits_0_on_stdout_and_a_bad_flag_exits_2_on_stderr
    PROPERTIES LABELS unit TIMEOUT 30)
endfunction()
