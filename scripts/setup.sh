#!/usr/bin/env bash
# One-command set-up on a fresh Debian 12 machine: installs the packages, builds voxline and runs
# the main program. Until the demo call exists, the main program is voxline-version, which prints
# the library version and the core health report (exit status 0 when healthy).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
./build/examples/voxline-version
