# Runs PROBE (lsan_openssl_leak_probe) with LeakSanitizer and the suppressions file SUPP and
# requires LSan to report the probe's leak: a non-zero exit and a direct leak allocated inside
# libcrypto in the report. Fails when a suppression in SUPP hides OpenSSL allocations wholesale.
#   cmake -D PROBE=<exe> -D SUPP=<lsan.supp> -P check_lsan_reports_probe.cmake
foreach(var PROBE SUPP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_lsan_reports_probe: -D ${var}=... is required")
  endif()
endforeach()
# Keep the caller's ASAN_OPTIONS (scripts/test.sh) but make sure leak detection is on.
set(asan "$ENV{ASAN_OPTIONS}")
if(asan)
  string(APPEND asan ":")
endif()
string(APPEND asan "detect_leaks=1")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env "ASAN_OPTIONS=${asan}" "LSAN_OPTIONS=suppressions=${SUPP}" ${PROBE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT out MATCHES "lsan probe: leaked an SSL_CTX and an SSL")
  message(FATAL_ERROR "the probe did not reach its leak (exit ${rc}):\n${out}\n${err}")
endif()
if(rc STREQUAL "0")
  message(FATAL_ERROR "LeakSanitizer did not report the probe's leaked SSL_CTX + SSL with ${SUPP} "
                      "(exit 0): a suppression there hides leaks that end in OpenSSL.\n${err}")
endif()
if(NOT err MATCHES "ERROR: LeakSanitizer: detected memory leaks"
   OR NOT err MATCHES "Direct leak of [0-9]+ byte\\(s\\) in [0-9]+ object\\(s\\) allocated from:\n[^\n]*malloc[^\n]*\n[^\n]*libcrypto")
  message(FATAL_ERROR "exit ${rc}, but no LeakSanitizer report of a direct leak allocated in libcrypto:\n${err}")
endif()
message(STATUS "LeakSanitizer reported the probe's leak (exit ${rc})")
