#!/bin/sh
# Creates build-venv-bench (git-ignored) with the pinned peers of bench/requirements.txt,
# and builds glc (build/glc) if it is not built yet. Idempotent.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -x build-venv-bench/bin/python ] || /usr/bin/python3 -m venv build-venv-bench
build-venv-bench/bin/pip install -q -r bench/requirements.txt
if [ ! -x build/glc ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
    cmake --build build -j"$(nproc)"
fi
echo "ready: build-venv-bench/bin/python bench/run.py [--quick]"
