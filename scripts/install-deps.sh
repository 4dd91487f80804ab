#!/usr/bin/env bash
# Installs whatever glc needs that this Debian 12 machine lacks (apt-get only).
# Safe to run again: it installs nothing when everything is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  llvm-19-dev                        # LLVM-C 19 (find_package(LLVM 19.1 CONFIG))
  protobuf-c-compiler libprotobuf-c-dev
  libcmocka-dev
  python3 python3-numpy python3-onnx # fixture generators (tooling only)
  libonnx-testdata                   # the ONNX backend node tests (conformance)
  python3-venv                       # bench/setup.sh's venv of benchmark peers
  clang libclang-rt-dev              # libFuzzer targets (scripts/fuzz.sh, the CI smoke run)
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross  # the aarch64_cross test: link -static for AArch64
  qemu-user                          # ... and run it (qemu-aarch64)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
