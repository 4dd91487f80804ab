#!/usr/bin/env python3
"""check_symbolic.py GLC [--ops OP,...] DIR... -- recurrent fixtures compiled once with
symbolic time and batch, run at three sizes, compared with the reference interpreter.

For each fixture (a directory with model.onnx and test_data_set_0/) whose recurrent node
(LSTM, GRU, RNN, ai.glc ConvLSTM, MDLSTM, GridLSTM) reads a graph input X:
  - X's time axis (where the op has one) and batch axis become the symbols T and N
    (glc --shape X=T,N,?...), and the batch axis of the node's other batch-sized graph
    inputs (initial_h/initial_c, sequence_lens; MDLSTM's extents) becomes N too;
  - the model is compiled once (glc MODEL --shape ... -o m.so);
  - it runs at the fixture's own sizes (compared with the fixture's expected outputs as
    well) and at two others: larger ones (N + 9 for ops without a time axis, whose grids
    are small: several whole row chunks of a wavefront product) and T = N = 1; each run
    is compared with
    `glc run --interp` of the same model at those sizes, within rtol 1e-5 (atol 1e-6).
A symbol that shape inference fixes (a constant initial state pins the batch, say) stays
at the fixture's size. Inputs at other sizes are random (normal; sequence_lens uniform in
[1, T]; extents uniform in [0, S_d]); graph inputs without a symbolic dim (weights fed at run
time) keep the fixture's data. --ops keeps the fixtures whose recurrent node is one of
those ops (ONNX op types, e.g. MDLSTM,GridLSTM). Prints one line per fixture and a summary;
exits 1 if any fixture fails.
"""
import multiprocessing
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

RECURRENT = {"LSTM", "GRU", "RNN", "ConvLSTM", "MDLSTM", "GridLSTM"}
HAS_TIME = {"LSTM", "GRU", "RNN", "ConvLSTM"}
RTOL, ATOL = 1e-5, 1e-6


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def batch_axes(node, graph_inputs):
    """{graph input name: {axis: symbol}} for the node's X, initial states, lengths."""
    layout = attr(node, "layout", 0)
    x = node.input[0]
    axes = {x: {}}
    if node.op_type in HAS_TIME:
        axes[x] = {(1 if layout else 0): "T", (0 if layout else 1): "N"}
        for i, ax in ((4, 0), (5, 0 if layout else 1), (6, 0 if layout else 1)):
            if i < len(node.input) and node.input[i] in graph_inputs:
                axes[node.input[i]] = {ax: "N"}
    else:
        axes[x] = {0: "N"}
        if node.op_type == "MDLSTM" and len(node.input) > 5 and node.input[5] in graph_inputs:
            axes[node.input[5]] = {0: "N"}
    return {k: v for k, v in axes.items() if k in graph_inputs}


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(" ".join(cmd[:2]) + ": " + (p.stderr.strip() or p.stdout.strip()))
    return p.stdout


def shape_flags(model_inputs, axes):
    flags = []
    for name, ax in axes.items():
        rank = len(model_inputs[name].type.tensor_type.shape.dim)
        dims = [ax.get(k, "?") for k in range(rank)]
        flags += ["--shape", f"{name}={','.join(dims)}"]
    return flags


def free_symbols(glc, path, flags):
    """The symbols left symbolic after import (a pinned one prints as a number)."""
    out = run([glc, "inspect", path] + flags)
    return {s for s in ("T", "N") if any(s in line for line in out.splitlines()
                                          if line.strip().startswith("input"))}


def make_inputs(model, feeds0, axes, sizes, rng, x):
    feeds = {}
    for vi in model.graph.input:
        if vi.name not in feeds0:
            continue
        a0 = feeds0[vi.name]
        if vi.name not in axes:
            feeds[vi.name] = a0
            continue
        shape = list(a0.shape)
        for ax, sym in axes[vi.name].items():
            shape[ax] = sizes[sym]
        if a0.dtype == np.int32:  # sequence_lens
            feeds[vi.name] = rng.integers(1, sizes["T"] + 1, size=shape).astype(np.int32)
        elif a0.dtype == np.int64:  # MDLSTM extents (N, R): up to the spatial dims
            grid = np.array(feeds0[x].shape[2:], np.int64)
            feeds[vi.name] = rng.integers(0, grid + 1, size=shape).astype(np.int64)
        else:
            feeds[vi.name] = rng.standard_normal(shape).astype(a0.dtype)
    return feeds


def run_model(glc, target, feeds, tmp, tag, extra):
    args = [glc, "run", target, "--output-dir", os.path.join(tmp, tag)] + extra
    os.makedirs(os.path.join(tmp, tag), exist_ok=True)
    for name, a in feeds.items():
        f = os.path.join(tmp, f"in_{abs(hash(name))}.npy")
        np.save(f, a)
        args += ["--input", f"{name}={f}"]
    run(args)
    outs = {}
    for f in os.listdir(os.path.join(tmp, tag)):
        outs[f[:-4]] = np.load(os.path.join(tmp, tag, f))
    return outs


def close(got, want):
    return got.shape == want.shape and np.all(np.abs(got - want) <= ATOL + RTOL * np.abs(want))


def check_fixture(glc, d, tmp, rng, ops):
    path = os.path.join(d, "model.onnx")
    model = onnx.load(path)
    inits = {t.name for t in model.graph.initializer}
    graph_inputs = {vi.name: vi for vi in model.graph.input if vi.name not in inits}
    nodes = [n for n in model.graph.node if n.op_type in RECURRENT]
    if ops and not (nodes and nodes[0].op_type in ops):
        return None
    if not nodes or nodes[0].input[0] not in graph_inputs:
        return "skip", "no recurrent node on a graph input"
    axes = batch_axes(nodes[0], graph_inputs)
    flags = shape_flags(graph_inputs, axes)
    free = free_symbols(glc, path, flags)
    so = os.path.join(tmp, "m.so")
    run([glc, path, "-o", so] + flags)
    ds = os.path.join(d, "test_data_set_0")
    feeds0 = {}
    for k, vi in enumerate(graph_inputs.values()):
        feeds0[vi.name] = numpy_helper.to_array(onnx.load_tensor(os.path.join(ds, f"input_{k}.pb")))
    x0 = feeds0[nodes[0].input[0]].shape
    own = {s: x0[ax] for ax, s in axes[nodes[0].input[0]].items()}
    grow = {s: v + (3 if s == "T" else 1 if "T" in own else 9) for s, v in own.items()}
    ones = {s: 1 for s in own}
    variants = [own] + [{s: (v[s] if s in free else own[s]) for s in own} for v in (grow, ones)]
    worst = 0.0
    for i, sizes in enumerate(variants):
        feeds = feeds0 if i == 0 else make_inputs(model, feeds0, axes, sizes, rng, nodes[0].input[0])
        got = run_model(glc, so, feeds, tmp, f"c{i}", [])
        want = run_model(glc, path, feeds, tmp, f"i{i}", ["--interp"] + flags)
        for name, w in want.items():
            if not close(got[name], w):
                return "FAIL", f"{name} at {sizes}: compiled differs from the interpreter"
            worst = max(worst, float(np.max(np.abs(got[name] - w), initial=0.0)))
        if i == 0:
            for k, o in enumerate(model.graph.output):
                f = os.path.join(ds, f"output_{k}.pb")
                if os.path.exists(f) and o.name in got:
                    exp = numpy_helper.to_array(onnx.load_tensor(f))
                    if not close(got[o.name], exp):
                        return "FAIL", f"{o.name}: differs from the fixture's expected output"
    sizes = " ".join(str(v) for v in variants)
    return "ok", f"symbols {sorted(free) or 'none (pinned)'}; sizes {sizes}; max |diff| {worst:.2g}"


def fixtures(dirs):
    for d in dirs:
        if os.path.exists(os.path.join(d, "model.onnx")):
            yield d
            continue
        for e in sorted(os.listdir(d)):
            if os.path.exists(os.path.join(d, e, "model.onnx")):
                yield os.path.join(d, e)


def check_one(job):
    glc, d, seed, ops = job
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            r = check_fixture(glc, d, tmp, rng, ops)
            return (d, None, None) if r is None else (d,) + r
        except RuntimeError as e:
            return d, "FAIL", str(e)


def main():
    glc, dirs, ops = sys.argv[1], sys.argv[2:], None
    if dirs[:1] == ["--ops"]:
        ops, dirs = set(dirs[1].split(",")), dirs[2:]
    counts = {"ok": 0, "FAIL": 0, "skip": 0}
    jobs = [(glc, d, 7 + k, ops) for k, d in enumerate(fixtures(dirs))]
    with multiprocessing.Pool(os.cpu_count() or 1) as pool:
        for d, status, why in pool.imap(check_one, jobs):
            if status is None:  # not one of --ops
                continue
            counts[status] += 1
            print(f"{status} {os.path.basename(d)}: {why}", flush=True)
    print(f"{counts['ok']} ok, {counts['FAIL']} failed, {counts['skip']} skipped")
    return 1 if counts["FAIL"] or not counts["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
