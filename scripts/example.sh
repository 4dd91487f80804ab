#!/usr/bin/env bash
# Installs what is missing, builds glc, compiles the bundled example model
# (examples/mlp/mlp.onnx) to a shared object and runs it on the bundled input.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLC_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
mkdir -p build/example
./build/glc examples/mlp/mlp.onnx -o build/example/mlp.so
./build/glc run build/example/mlp.so --input x=examples/mlp/x.npy --output-dir build/example
/usr/bin/python3 - <<'PY'
import numpy as np
y = np.load("build/example/y.npy")
want = np.load("examples/mlp/expected_y.npy")
err = float(np.max(np.abs(y - want) / (np.abs(want) + 1e-6)))
print("glc output y", y.shape, "\n", np.array2string(y, precision=4))
print(f"max relative difference from numpy: {err:.2e}")
assert err < 1e-5, "compiled model disagrees with numpy"
PY
