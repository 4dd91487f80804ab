"""The ort-c peer computes what ONNX Runtime from Python computes (correctness, not timing).

    PYTHON bench/peers/check_ort_peer.py [--peer PATH/ort_peer]

PYTHON needs numpy, onnx and onnxruntime (build-venv-zoo or build-venv-bench). Without
--peer the runner is compiled with cc. Checks, on small W7 models:
  - a 2-layer LSTM, T = 5: ort_peer's output equals session.run's;
  - the streamed 2-layer LSTM and 1-layer GRU (T = 1, state fed back by --feed): after 3
    calls, y and every state output equal 3 session.run calls that feed the state back;
  - --iters prints the record's fields, ordered min <= median <= p99 <= max;
  - a missing input file is a one-line diagnostic and exit status 2.
Prints "N passed, N failed"; exit status 1 on a failure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import ortc  # noqa: E402
from workloads import w7_small_rnn as w7  # noqa: E402

RTOL = 1e-5
results = []


def report(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)


def close(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and float(np.max(np.abs(a - b))) <= RTOL * max(
        1.0, float(np.max(np.abs(b))))


def session(model):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])


def model(op, layers, T, state):
    rng = np.random.default_rng(3)
    ws = w7._weights(rng, op, layers, 64)
    x = rng.standard_normal((T, 1, w7.I)).astype(np.float32)
    return w7._onnx(op, ws, 64, 1, T, state=state), {"x": x}


def check_plain(exe):
    m, feeds = model("LSTM", 2, 5, False)
    peer = ortc.PeerProcess(m, feeds, 1, exe=exe)
    got = peer()
    peer.close()
    report("lstm64x2 T=5", close(got, session(m).run(None, feeds)[0]))


def check_stream(exe, op, layers, calls=3):
    m, feeds = model(op, layers, 1, True)
    pairs = w7.stream_feed_back(op, layers)
    peer = ortc.PeerProcess(m, feeds, 2, feed_back=pairs, exe=exe)
    for _ in range(calls):
        peer.timed()
    got = peer.outputs()
    peer.close()
    sess = session(m)
    state = {i.name: np.zeros([d.dim_value for d in i.type.tensor_type.shape.dim], np.float32)
             for i in m.graph.input if i.name != "x"}
    names = [o.name for o in m.graph.output]
    for _ in range(calls):
        want = dict(zip(names, sess.run(None, {**feeds, **state})))
        state = {i: want[o] for o, i in pairs}
    ok = all(close(g, want[n]) for g, n in zip(got, names))
    report(f"{op.lower()}64x{layers} streamed, {calls} calls", ok, f"({len(names)} outputs)")


def check_iters(exe):
    m, feeds = model("GRU", 1, 2, False)
    with tempfile.TemporaryDirectory() as d:
        path, xf = os.path.join(d, "m.onnx"), os.path.join(d, "x.bin")
        import onnx
        onnx.save(m, path)
        feeds["x"].tofile(xf)
        base = [exe, "--lib", ortc.ort_library(), "--model", path, "--output", "y:2x1x64"]
        out = subprocess.run(base + ["--input", f"x={xf}:2x1x64", "--iters", "20"],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        report("--iters record", r["timed_calls"] == 20 and
               0 < r["min_s"] <= r["median_s"] <= r["p99_s"] <= r["max_s"], out.strip())
        bad = subprocess.run(base + ["--input", f"x={d}/none.bin:2x1x64", "--iters", "1"],
                             capture_output=True, text=True)
        report("missing input file", bad.returncode == 2 and len(bad.stderr.splitlines()) == 1,
               bad.stderr.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", help="ort_peer executable (default: compile it with cc)")
    exe = ap.parse_args().peer or ortc.peer_binary()
    check_plain(exe)
    check_stream(exe, "LSTM", 2)
    check_stream(exe, "GRU", 1)
    check_iters(exe)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
