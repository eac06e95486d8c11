# VOXLINE_SANITIZE="address;undefined" or "thread". Applies to every target in the tree.
if(VOXLINE_SANITIZE)
  list(JOIN VOXLINE_SANITIZE "," _voxline_san)
  if(_voxline_san MATCHES "thread" AND _voxline_san MATCHES "address")
    message(FATAL_ERROR "VOXLINE_SANITIZE: thread cannot be combined with address")
  endif()
  # Recoverable UBSan so that checked-in suppressions (tests/sanitizers/ubsan.supp) apply;
  # UBSAN_OPTIONS=halt_on_error=1 still makes any unsuppressed report fatal.
  add_compile_options(-fsanitize=${_voxline_san} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${_voxline_san})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # gcc 12 with ASan instrumentation reports -Wmaybe-uninitialized inside libstdc++ (std::regex,
    # std::function) that plain builds do not; the plain build keeps the warning as an error.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  message(STATUS "voxline: sanitizers ${_voxline_san}")
endif()

# VOXLINE_BUILD_FUZZERS=ON: libFuzzer's coverage instrumentation on every target, so the fuzzers
# (tests/fuzz) are guided by the library code they call, not only by their own entry point.
if(VOXLINE_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "VOXLINE_BUILD_FUZZERS needs clang (CC=clang CXX=clang++)")
  endif()
  # The coverage hooks (__sancov_*) in every instrumented object are defined by the sanitizer
  # runtime; without one, tests and libvoxline.so fail to link.
  if(NOT VOXLINE_SANITIZE)
    message(FATAL_ERROR "VOXLINE_BUILD_FUZZERS needs VOXLINE_SANITIZE (e.g. \"address;undefined\"): "
                        "its runtime defines the coverage hooks every instrumented object calls")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  message(STATUS "voxline: libFuzzer coverage instrumentation")
endif()
