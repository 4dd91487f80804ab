#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) in build-fuzz/ and runs
# each for SECONDS (default 60) from its committed seed corpus fuzz/corpus/<target>/.
#   scripts/fuzz.sh [SECONDS] [TARGET...]       e.g. scripts/fuzz.sh 1800 npy
# TARGET: import, npy, tensorproto, abi, abi_sym (default: all).
# New inputs go to build-fuzz/corpus/<target>/ (the committed seeds stay as they are);
# a crash, leak, hang (> 10 s per input) or allocation over 2 GiB stops that target,
# leaves the input under build-fuzz/artifacts/ and makes this script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(import npy tensorproto abi abi_sym)

CC=clang cmake -S . -B build-fuzz -DGLC_FUZZ=ON -DGLC_BUILD_TESTS=OFF -DGLC_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

# fuzz_abi and fuzz_abi_sym drive real compiled models, built by build/glc: the
# bidirectional LSTM fixture with every input fed, and an LSTM with sequence_lens whose
# T and N are symbols bounded by --max-dim (the fuzzer also feeds dims past the bounds).
if printf '%s\n' "${targets[@]}" | grep -qx 'abi\|abi_sym'; then
  [ -x build/glc ] || { cmake -S . -B build -DGLC_WERROR=ON >/dev/null && cmake --build build -j"$(nproc)" --target glc >/dev/null; }
  mkdir -p build-fuzz/models
  build/glc tests/fixtures/rnn/lstm_bidir_all_inputs_fed/model.onnx -o build-fuzz/models/lstm.so
  build/glc tests/fixtures/rnn/lstm_seqlens_bidir_fed/model.onnx --shape X=T,N,3 \
    --shape sequence_lens=N --shape initial_h=2,N,3 --max-dim T=16 --max-dim N=6 \
    -o build-fuzz/models/lstm_sym.so
fi

status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" build-fuzz/artifacts
  echo "fuzz_$t: ${secs} s" >&2
  model="$PWD/build-fuzz/models/lstm.so"
  [ "$t" != abi_sym ] || model="$PWD/build-fuzz/models/lstm_sym.so"
  if ! GLC_FUZZ_MODEL="$model" "build-fuzz/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/${t}-" \
      "build-fuzz/corpus/$t" "fuzz/corpus/$t" 2> "build-fuzz/fuzz_$t.log"; then
    echo "fuzz_$t: FAILED (see build-fuzz/fuzz_$t.log and build-fuzz/artifacts/)" >&2
    status=1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|cov: " "build-fuzz/fuzz_$t.log" | tail -3 >&2
done
exit $status
