#!/usr/bin/env bash
# Builds and runs examples/embed: compiles two models to static archives + headers with
# different prefixes, links them into main.c with the system C compiler (no glc runtime),
# runs the program on the e2e fixtures' inputs and checks its outputs against numpy's
# expected outputs (rtol 1e-5). Args: GLC_DRIVER [CFLAGS]. Run by the test suite.
set -euo pipefail
glc="$1" cflags="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
fix="$here/../../tests/fixtures/e2e"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for m in mlp:mlp softmax11:sm; do
  model="${m%%:*}" prefix="${m##*:}"
  "$glc" "$fix/$model.onnx" --name="$prefix" --emit=static -o "$tmp/lib$prefix.a"
  "$glc" "$fix/$model.onnx" --name="$prefix" --emit=header -o "$tmp/$prefix.h"
done
cc -std=c11 -Wall -Wextra -Werror $cflags -I"$tmp" "$here/main.c" "$tmp/libmlp.a" "$tmp/libsm.a" \
  -lm -o "$tmp/embed"
/usr/bin/python3 - "$fix" "$tmp" <<'PY'
import sys, numpy as np
fix, tmp = sys.argv[1:]
np.load(f"{fix}/mlp.x.npy").astype("<f4").tofile(f"{tmp}/mlp_x.f32")
np.load(f"{fix}/softmax11.x.npy").astype("<f4").tofile(f"{tmp}/sm_x.f32")
PY
"$tmp/embed" "$tmp" "$tmp"
/usr/bin/python3 - "$fix" "$tmp" <<'PY'
import sys, numpy as np
fix, tmp = sys.argv[1:]
for name, exp in (("mlp_y", "mlp.expected_y"), ("sm_y", "softmax11.expected_y")):
    want = np.load(f"{fix}/{exp}.npy")
    got = np.fromfile(f"{tmp}/{name}.f32", "<f4").reshape(want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    print(f"embed: {name} matches numpy ({got.size} values)")
PY
