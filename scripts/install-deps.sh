#!/usr/bin/env bash
# Installs every Debian 12 package voxline needs to build, test and benchmark.
# Runs as root, or through sudo when not root. Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config g++ clang libclang-rt-14-dev clang-format
  libcurl4-openssl-dev libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libsqlite3-dev libhiredis-dev libpq-dev rapidjson-dev
  libspeexdsp-dev
  libfmt-dev doctest-dev libssl-dev openssl abigail-tools
  redis-server redis-tools nghttp2-proxy postgresql sox
  python3 python3-pytest python3-websockets
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
# Never autoremove here: on the Debian 12 base image it removes packages the image needs
# (libc++1-14, libc++abi1-14, libunwind-14).
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
