#!/usr/bin/env bash
# Builds and runs examples/embed: compiles two models (the e2e MLP and a Keras ConvLSTM2D
# fixture) to static archives + headers with different prefixes, links them into main.c
# with the system C compiler (no glc runtime), runs the program on the fixtures' inputs
# and checks its outputs against their goldens (numpy's for the MLP, Keras's for the
# ConvLSTM). Args: GLC_DRIVER [CFLAGS]. Run by the test suite.
set -euo pipefail
glc="$1" cflags="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
fix="$here/../../tests/fixtures/e2e"
clstm="$here/../../tests/fixtures/keras_convlstm/keras_convlstm2d_go_backwards"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for m in "$fix/mlp.onnx:mlp" "$clstm/model.onnx:clstm"; do
  model="${m%:*}" prefix="${m##*:}"
  "$glc" "$model" --name="$prefix" --emit=static -o "$tmp/lib$prefix.a"
  "$glc" "$model" --name="$prefix" --emit=header -o "$tmp/$prefix.h"
done
cc -std=c11 -Wall -Wextra -Werror $cflags -I"$tmp" "$here/main.c" "$tmp/libmlp.a" "$tmp/libclstm.a" \
  -lm -o "$tmp/embed"
/usr/bin/python3 - "$fix" "$clstm" "$tmp" <<'PY'
import sys, numpy as np, onnx
from onnx import numpy_helper
fix, clstm, tmp = sys.argv[1:]
np.load(f"{fix}/mlp.x.npy").astype("<f4").tofile(f"{tmp}/mlp_x.f32")
t = onnx.load_tensor(f"{clstm}/test_data_set_0/input_0.pb")
numpy_helper.to_array(t).astype("<f4").tofile(f"{tmp}/clstm_x.f32")
PY
"$tmp/embed" "$tmp" "$tmp"
/usr/bin/python3 - "$fix" "$clstm" "$tmp" <<'PY'
import sys, numpy as np, onnx
from onnx import numpy_helper
fix, clstm, tmp = sys.argv[1:]
gold = lambda k: numpy_helper.to_array(onnx.load_tensor(f"{clstm}/test_data_set_0/output_{k}.pb"))
cases = (("mlp_y", np.load(f"{fix}/mlp.expected_y.npy"), 1e-5), ("clstm_y", gold(0), 1e-4),
         ("clstm_yh", gold(1), 1e-4), ("clstm_yc", gold(2), 1e-4))
for name, want, rtol in cases:
    got = np.fromfile(f"{tmp}/{name}.f32", "<f4").reshape(want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-5)
    print(f"embed: {name} matches its golden ({got.size} values)")
PY
