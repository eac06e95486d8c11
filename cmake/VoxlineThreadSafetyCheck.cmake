# With clang, proves at configure time that -Wthread-safety bites: the annotated control must
# compile and a deliberately unguarded access must fail with a thread-safety diagnostic.
# Otherwise the annotations (VOXLINE_GUARDED_BY / VOXLINE_REQUIRES) would be silently unchecked.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  return()
endif()

set(_tsa_dir ${CMAKE_CURRENT_LIST_DIR}/thread_safety_check)
set(_tsa_flags -Wthread-safety -Werror)
# Compile only: the fixtures have no main().
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
foreach(_case guarded unguarded)
  try_compile(_tsa_${_case}_ok ${CMAKE_BINARY_DIR}/thread_safety_check/${_case}
    SOURCES ${_tsa_dir}/${_case}.cpp
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${PROJECT_SOURCE_DIR}/include"
    COMPILE_DEFINITIONS ${_tsa_flags}
    CXX_STANDARD 17
    OUTPUT_VARIABLE _tsa_${_case}_out)
endforeach()
if(NOT _tsa_guarded_ok)
  message(FATAL_ERROR "thread-safety check: the correctly locked control failed to compile:\n${_tsa_guarded_out}")
endif()
if(_tsa_unguarded_ok)
  message(FATAL_ERROR "thread-safety check: an unguarded access compiled; -Wthread-safety does not bite")
endif()
if(NOT _tsa_unguarded_out MATCHES "requires holding mutex")
  message(FATAL_ERROR "thread-safety check: the unguarded case failed for another reason:\n${_tsa_unguarded_out}")
endif()
message(STATUS "voxline: -Wthread-safety verified (an unguarded access fails to compile)")
