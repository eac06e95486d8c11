#!/usr/bin/env bash
# Builds voxline from scratch and runs the whole test suite with ctest.
#   scripts/test.sh                          plain RelWithDebInfo build in build/
#   scripts/test.sh --sanitize address,undefined   ASan+UBSan build in build-asan/
#   scripts/test.sh --sanitize thread        TSan build in build-tsan/
#   scripts/test.sh --clang -- -L fuzz-replay  clang build in build-clang/: -Wthread-safety -Werror
#                                            on every target, then ctest
# Extra arguments after -- go to ctest (e.g. -- -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

sanitize=""
clang=0
ctest_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --sanitize) sanitize=$2; shift 2 ;;
    --clang) clang=1; shift ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "usage: $0 [--sanitize address,undefined|thread] [--clang] [-- ctest args]" >&2; exit 2 ;;
  esac
done

"$root/scripts/install-deps.sh"

jobs=$(nproc)
case $sanitize in
  "") build=build; cmake_san=() ;;
  address,undefined|address\;undefined)
    build=build-asan; cmake_san=(-DVOXLINE_SANITIZE=address\;undefined -DVOXLINE_BUILD_BENCH=OFF)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
    export LSAN_OPTIONS=suppressions=$root/tests/sanitizers/lsan.supp
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/sanitizers/ubsan.supp ;;
  thread)
    build=build-tsan; cmake_san=(-DVOXLINE_SANITIZE=thread -DVOXLINE_BUILD_BENCH=OFF)
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp ;;
  *) echo "unknown sanitizer set '$sanitize'" >&2; exit 2 ;;
esac

compiler=()
if [ "$clang" -eq 1 ]; then
  [ -z "$sanitize" ] || { echo "--clang builds without sanitizers" >&2; exit 2; }
  build=build-clang
  compiler=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
fi

rm -rf "$build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_san[@]}" "${compiler[@]}"
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" "${ctest_args[@]}"
