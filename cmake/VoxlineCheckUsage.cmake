# The command-line contract of every voxline program (see voxline_add_usage_test):
#   EXE --help           exit 0, "usage:" on stdout, nothing on stderr
#   EXE --no-such-flag   exit 2, "usage:" on stderr, nothing on stdout
#   cmake -D EXE=path/to/program -P VoxlineCheckUsage.cmake
execute_process(COMMAND ${EXE} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)
if(NOT rc STREQUAL "0" OR NOT out MATCHES "usage:" OR NOT err STREQUAL "")
  message(FATAL_ERROR "${EXE} --help: want exit 0, usage on stdout, empty stderr; got exit ${rc}\n"
                      "stdout: ${out}\nstderr: ${err}")
endif()
execute_process(COMMAND ${EXE} --no-such-flag RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)
if(NOT rc STREQUAL "2" OR NOT err MATCHES "usage:" OR NOT out STREQUAL "")
  message(FATAL_ERROR "${EXE} --no-such-flag: want exit 2, usage on stderr, empty stdout; got exit ${rc}\n"
                      "stdout: ${out}\nstderr: ${err}")
endif()
message(STATUS "${EXE}: --help -> 0 on stdout, --no-such-flag -> 2 on stderr")
