#!/usr/bin/env bash
# Installs what is missing, builds glc and runs the whole test suite twice:
# a normal build (build/) and one under AddressSanitizer + UBSan (build-asan/), then a
# 60-second smoke run of each libFuzzer target (scripts/fuzz.sh, clang, build-fuzz/).
# The first run also makes build-venv-py (TensorFlow, PyTorch, onnx from PyPI, about 5 GB)
# for the exporter tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

# The exporter tests need TensorFlow and PyTorch from PyPI: a venv, made once and reused.
if [ ! -x build-venv-py/bin/python ] || ! cmp -s python/requirements-test.txt build-venv-py/.requirements; then
  /usr/bin/python3 -m venv build-venv-py
  build-venv-py/bin/pip install -q -r python/requirements-test.txt
  cp python/requirements-test.txt build-venv-py/.requirements
fi
venv="-DGLC_PY_VENV=$PWD/build-venv-py"

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLC_WERROR=ON "$venv" >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGLC_SANITIZE=ON -DGLC_WERROR=ON "$venv" >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

# Fuzz smoke: each target 60 s from its committed seeds; a crash, leak, hang or OOM fails.
scripts/fuzz.sh 60
