#!/bin/sh
# Creates build-venv-bench (git-ignored) with the pinned peers of bench/requirements.txt and
# build-venv-oracle with tf2onnx (W8), and builds glc (build/glc) if it is not built yet.
# Idempotent.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -x build-venv-bench/bin/python ] || /usr/bin/python3 -m venv build-venv-bench
build-venv-bench/bin/pip install -q -r bench/requirements.txt
# W8 exports its models with tf2onnx, which lives in the fixtures' oracle venv
# (tests/fixtures/keras_tf2onnx/README.md); its .onnx files are cached in ~/.cache/glc-bench/w8
[ -x build-venv-oracle/bin/python ] || /usr/bin/python3 -m venv build-venv-oracle
build-venv-oracle/bin/pip install -q -r tests/fixtures/keras_tf2onnx/requirements.txt
if [ ! -x build/glc ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
    cmake --build build -j"$(nproc)"
fi
echo "ready: build-venv-bench/bin/python bench/run.py [--quick]"
