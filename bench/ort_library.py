#!/usr/bin/env python3
"""W1, W3, W4 inside ONNX Runtime with libglc_ort.so against glc's own .so of the same model.

    GLC_DRIVER=build/glc GLC_ORT_LIB=build/ort/libglc_ort.so \\
        build-venv-bench/bin/python bench/ort_library.py [--runs 9] [--threads 2]

Per workload (batch 1): ONNX Runtime's session creation and first run (which compile the
ai.glc nodes, cache empty) are timed on their own; then glc's .so and the ONNX Runtime
session run alternately and the medians of --runs calls each are printed with their ratio.
Both use --threads threads (glc.load(threads=), intra_op_num_threads); GLC_ORT_THREADS picks
the library's threads (docs/embedding.md).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "python")]
import glc  # noqa: E402
import onnx  # noqa: E402
from workloads import w1_convlstm, w3_mdlstm, w4_gridlstm  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def measure(mod, runs, threads, tmp):
    wl = mod.build({"batch": 1})
    path = os.path.join(tmp, f"{mod.ID}.onnx")
    onnx.save(wl.onnx_model, path)
    t_glc_compile, _ = timed(lambda: glc.compile(path, path + ".so"))
    model = glc.load(path + ".so", threads=threads)
    t_session, sess = timed(lambda: glc.ort.session(path, intra_op_num_threads=threads))
    t_first, got = timed(lambda: sess.run(None, wl.feeds))
    want = list(model(**wl.feeds).values())
    err = max(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)) for a, b in zip(got, want))
    glc_t, ort_t = [], []
    for _ in range(runs):
        glc_t.append(timed(lambda: model(**wl.feeds))[0])
        ort_t.append(timed(lambda: sess.run(None, wl.feeds))[0])
    g, o = statistics.median(glc_t), statistics.median(ort_t)
    print(f"{mod.ID}: glc .so {g * 1e3:.2f} ms, ORT+libglc_ort {o * 1e3:.2f} ms, "
          f"speed ratio {g / o:.3f}x; session creation + first run (compiles, cache empty) "
          f"{t_session + t_first:.2f} s "
          f"(glc driver compile {t_glc_compile:.2f} s); max rel diff {err:.1e}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="W1,W3,W4")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GLC_ORT_CACHE"] = os.path.join(tmp, "cache")
        for mod in (w1_convlstm, w3_mdlstm, w4_gridlstm):
            if mod.ID in a.only.split(","):
                measure(mod, a.runs, a.threads, tmp)


if __name__ == "__main__":
    main()
