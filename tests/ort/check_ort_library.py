#!/usr/bin/env python3
"""libglc_ort.so inside ONNX Runtime, against glc's own compiled .so.

    check_ort_library.py --glc build/glc --lib build/ort/libglc_ort.so CASE_DIR...

Each CASE_DIR holds */model.onnx with test_data_set_0/input_<i>.pb (the ai.glc fixtures,
the seed examples). Checks: every model run by ONNX Runtime with the library matches the
same model compiled by glc and run through glc.load within 1e-6 relative; two sessions
running on two threads at once give those results, as do runs on ONNX Runtime's intra-op
threads and on the calling thread alone; a model whose batch is symbolic compiles
once per batch, at its first run, and matches glc's symbolic .so; a node with a bad
attribute fails session creation with glc's one-line diagnostic (in a child process: no
crash); a corrupted cache entry is rebuilt. Exits 77 (skip) without onnxruntime >= 1.30.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import threading

import numpy as np

try:
    import onnx
    import onnxruntime
    from onnx import numpy_helper
except ImportError as e:
    print(f"SKIP: {e} (libglc_ort needs onnx and onnxruntime in this python)")
    sys.exit(77)
if tuple(int(v) for v in onnxruntime.__version__.split(".")[:2]) < (1, 30):
    print(f"SKIP: onnxruntime {onnxruntime.__version__} < 1.30 (libglc_ort needs C API 30)")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import glc  # noqa: E402


def inputs_of(case, sess):
    feeds = {}
    for i, inp in enumerate(sess.get_inputs()):
        t = onnx.TensorProto()
        with open(os.path.join(case, "test_data_set_0", f"input_{i}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        feeds[inp.name] = numpy_helper.to_array(t)
    return feeds


def glc_outputs(case, feeds, names, tmp):
    so = os.path.join(tmp, os.path.basename(case) + ".so")
    glc.compile(os.path.join(case, "model.onnx"), so)
    out = glc.load(so)(**feeds)
    return [out[n] for n in names]


def close(a, b):
    scale = max(float(np.abs(b).max()) if b.size else 0.0, 1e-30)
    return a.shape == b.shape and float(np.abs(a - b).max() if a.size else 0) <= 1e-6 * scale


def check_case(case, tmp):
    sess = glc.ort.session(os.path.join(case, "model.onnx"))
    feeds = inputs_of(case, sess)
    names = [o.name for o in sess.get_outputs()]
    got = sess.run(None, feeds)
    want = glc_outputs(case, feeds, names, tmp)
    bad = [n for n, a, b in zip(names, got, want) if not close(a, b)]
    if bad:
        print(f"FAIL {case}: outputs {bad} differ from glc's .so")
    return not bad, (sess, feeds, want)


def check_threads(case, sess, feeds, want):
    """Two sessions of one model, each run on its own thread, at the same time."""
    second = glc.ort.session(os.path.join(case, "model.onnx"))
    results, errors = {}, []

    def work(key, s):
        try:
            results[key] = [s.run(None, feeds) for _ in range(5)]
        except Exception as e:  # reported below
            errors.append(f"{key}: {e}")

    threads = [threading.Thread(target=work, args=(k, s)) for k, s in (("a", sess), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = not errors and all(close(a, b) for runs in results.values() for got in runs
                            for a, b in zip(got, want))
    print(f"{'ok' if ok else 'FAIL'} two sessions on two threads ({case}) {errors}")
    return ok


def check_symbolic_batch(case, tmp):
    """A batch left symbolic: compiled at the first run for each batch (one cache entry each)."""
    m = onnx.load(os.path.join(case, "model.onnx"))
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    for out in m.graph.output:
        out.type.tensor_type.shape.dim[0].dim_param = "N"
    path = os.path.join(tmp, "symbolic_batch.onnx")
    onnx.save(m, path)
    glc.compile(path, path + ".so")
    model, sess = glc.load(path + ".so"), glc.ort.session(path)
    dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    cache = os.environ["GLC_ORT_CACHE"] = os.path.join(tmp, "symbolic-cache")  # read per compile
    ok = True
    for n in (1, 3, 1):
        x = np.random.default_rng(n).uniform(-1, 1, [n] + dims[1:]).astype(np.float32)
        want = list(model(**{m.graph.input[0].name: x}).values())
        ok &= all(close(a, b) for a, b in zip(sess.run(None, {m.graph.input[0].name: x}), want))
    entries = len(glob.glob(os.path.join(cache, "*.so")))
    ok &= entries == 2
    print(f"{'ok' if ok else 'FAIL'} symbolic batch 1, 3, 1 ({case}): {entries} cache entries")
    return ok


def check_thread_modes(case, sess, feeds, want):
    """GLC_ORT_THREADS (read at each run): ONNX Runtime's intra-op threads, the caller alone."""
    ok = True
    for mode in ("ort", "1"):
        os.environ["GLC_ORT_THREADS"] = mode
        ok &= all(close(a, b) for a, b in zip(sess.run(None, feeds), want))
    del os.environ["GLC_ORT_THREADS"]
    print(f"{'ok' if ok else 'FAIL'} GLC_ORT_THREADS=ort and =1 ({case})")
    return ok


def multi_direction_mdlstm(case):
    """A model whose directions glc runs as parallel tasks (the small fixtures have no other
    region large enough to split)."""
    nodes = onnx.load(os.path.join(case, "model.onnx")).graph.node
    return any(n.op_type == "MDLSTM" and any(a.name == "directions" and a.i >= 4
                                             for a in n.attribute) for n in nodes)


def has_glc_node(case):
    return any(n.domain == "ai.glc" for n in onnx.load(os.path.join(case, "model.onnx")).graph.node)


def single_input_mdlstm(case):
    m = onnx.load(os.path.join(case, "model.onnx"))
    return len(m.graph.input) == 1 and [n.op_type for n in m.graph.node] == ["MDLSTM"]


def bad_attribute_model(case, tmp):
    m = onnx.load(os.path.join(case, "model.onnx"))
    node = next(n for n in m.graph.node if n.domain == "ai.glc")
    attr = next(a for a in node.attribute if a.name == "hidden_size")
    attr.i += 1  # no longer fits the weights
    path = os.path.join(tmp, "bad_attribute.onnx")
    onnx.save(m, path)
    return path, node.name or node.op_type


CHILD = """
import sys; sys.path.insert(0, sys.argv[1]); import glc, numpy as np
try:
    s = glc.ort.session(sys.argv[2])
    s.run(None, {i.name: np.zeros([d if isinstance(d, int) else 1 for d in i.shape],
                                  np.float32) for i in s.get_inputs()})
except Exception as e:
    print(str(e).splitlines()[-1]); sys.exit(3)
"""


def check_bad_attribute(case, tmp):
    path, node = bad_attribute_model(case, tmp)
    py = os.path.join(os.path.dirname(__file__), "..", "..", "python")
    r = subprocess.run([sys.executable, "-c", CHILD, py, path], capture_output=True, text=True)
    ok = r.returncode == 3 and f"libglc_ort: node '{node}'" in r.stdout
    print(f"{'ok' if ok else 'FAIL'} bad attribute -> rc {r.returncode}: {r.stdout.strip()}"
          f"{r.stderr[-400:] if not ok else ''}")
    return ok


RUN = """
import sys; sys.path.insert(0, sys.argv[1]); import glc, numpy as np, onnx
from onnx import numpy_helper
s = glc.ort.session(sys.argv[2] + "/model.onnx")
feeds = {}
for i, inp in enumerate(s.get_inputs()):
    t = onnx.TensorProto()
    t.ParseFromString(open(f"{sys.argv[2]}/test_data_set_0/input_{i}.pb", "rb").read())
    feeds[inp.name] = numpy_helper.to_array(t)
np.save(sys.argv[3], s.run(None, feeds)[0])
"""


def check_corrupt_cache(case, tmp):
    """Each run in its own process: a process keeps a model it opened mapped."""
    env = dict(os.environ, GLC_ORT_CACHE=os.path.join(tmp, "cache"))
    py = os.path.join(os.path.dirname(__file__), "..", "..", "python")
    run = lambda out: subprocess.run([sys.executable, "-c", RUN, py, case, out], env=env,
                                     capture_output=True, text=True)
    first = run(os.path.join(tmp, "first.npy"))
    entries = glob.glob(os.path.join(env["GLC_ORT_CACHE"], "*.so"))
    if first.returncode or len(entries) != 1:
        print(f"FAIL corrupt cache: first run rc {first.returncode}, entries {entries}"
              f" {first.stderr[-400:]}")
        return False
    with open(entries[0], "wb") as f:
        f.write(b"not a shared object")
    second = run(os.path.join(tmp, "second.npy"))
    ok = (second.returncode == 0 and open(entries[0], "rb").read(4) == b"\x7fELF" and
          np.array_equal(np.load(os.path.join(tmp, "first.npy")),
                         np.load(os.path.join(tmp, "second.npy"))))
    print(f"{'ok' if ok else 'FAIL'} corrupted cache entry rebuilt {second.stderr[-400:]}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glc", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    os.environ["GLC_DRIVER"], os.environ["GLC_ORT_LIB"] = a.glc, a.lib
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GLC_ORT_CACHE"] = os.path.join(tmp, "ort-cache")
        cases = sorted(os.path.dirname(p) for d in a.dirs for p in
                       glob.glob(os.path.join(d, "*", "model.onnx")))
        results = [check_case(c, tmp) for c in cases]
        passed = sum(ok for ok, _ in results)
        print(f"{passed}/{len(cases)} models match glc's .so inside ONNX Runtime")
        ok = passed == len(cases) and len(cases) > 0
        first = next(c for c in cases if has_glc_node(c))
        split = next((c for c in cases if multi_direction_mdlstm(c)), first)
        ok &= check_threads(split, *results[cases.index(split)][1])
        ok &= check_thread_modes(split, *results[cases.index(split)][1])
        ok &= check_bad_attribute(first, tmp)
        ok &= check_symbolic_batch(next(c for c in cases if single_input_mdlstm(c)), tmp)
        ok &= check_corrupt_cache(first, tmp)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
