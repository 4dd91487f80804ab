#!/usr/bin/env python3
"""Measures what a zoo model's tolerance for ONNX Runtime's quantised LSTM rests on.

ORT's com.microsoft::DynamicQuantizeLSTM rounds its activations to uint8 as it runs (X once per
call, h at every step, each with the scale of its own range) and multiplies in integers; glc
imports it as a float LSTM on the dequantized weights (frontend/import_contrib.c). For each
size of a model in models.json and several input draws (seeds), this prints the largest
|difference| of every output between

    glc        and ORT on the published model (what check_zoo.py compares),
    glc        and ORT on the model with each DynamicQuantizeLSTM rewritten as that float LSTM
               (the same computation as glc's, up to rounding),
    ORT float  and ORT on the published model (the error of ORT's own integer arithmetic),

and the share of positions whose largest output (argmax over the last axis) glc and ORT agree
on. Models whose other ops quantise activations dynamically (DynamicQuantizeLinear before
ConvInteger/MatMulInteger) amplify a last-bit difference into a rounding step, which shows in
the second column too.

    VENV/bin/python tests/zoo/quantized_error.py [--glc build/glc] [--seeds N] NAME...
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))

import check_zoo  # noqa: E402
import fetch_models  # noqa: E402


def _qweight(init, name, scale_name, zp_name):
    from onnx import numpy_helper as nh
    w = nh.to_array(init[name]).astype(np.float64)
    s, z = nh.to_array(init[scale_name]), nh.to_array(init[zp_name]).astype(np.float64)
    s, z = (s[:, None, :], z[:, None, :]) if s.ndim == 2 else (s[:, None, None], z[:, None, None])
    return np.ascontiguousarray(((w - z) * s).astype(np.float32).transpose(0, 2, 1))


def dequantize_lstms(model):
    """model with every DynamicQuantizeLSTM replaced by ONNX LSTM on its dequantized weights."""
    from onnx import numpy_helper as nh
    init = {i.name: i for i in model.graph.initializer}
    for n in model.graph.node:
        if n.domain != "com.microsoft" or n.op_type != "DynamicQuantizeLSTM":
            continue
        ins = list(n.input)
        for k, zk in ((1, 8), (2, 10)):
            f = _qweight(init, ins[k], ins[zk], ins[zk + 1])
            ins[k] = ins[k] + "_dequantized"
            model.graph.initializer.append(nh.from_array(f, ins[k]))
        del n.input[:]
        n.input.extend(ins[:8])
        n.op_type, n.domain = "LSTM", ""
    return model


def measure(m, path, args, work):
    import onnx
    import onnxruntime as ort
    import glc
    fpath = os.path.join(work, m["name"] + ".float.onnx")
    onnx.save(dequantize_lstms(onnx.load(path)), fpath)
    so = os.path.join(work, m["name"] + ".so")
    flags, bound, _ = check_zoo.compile_flags(m, work)
    subprocess.run([args.glc] + flags + [path, "-o", so], check=True)
    lib = glc.load(so)
    opt = ort.SessionOptions()
    opt.log_severity_level = 3
    q = ort.InferenceSession(path, opt, providers=["CPUExecutionProvider"])
    f = ort.InferenceSession(fpath, opt, providers=["CPUExecutionProvider"])
    outs = [o.name for o in q.get_outputs()]
    for size in m["sizes"]:
        worst = {o: np.zeros(3) for o in outs}
        agree = {o: [0, 0] for o in outs}
        for seed in range(args.seeds):
            feeds = check_zoo.make_feeds(m, size, seed=seed)
            got = lib(**{k: v for k, v in feeds.items() if k not in bound})
            rq = dict(zip(outs, q.run(outs, feeds)))
            rf = dict(zip(outs, f.run(outs, feeds)))
            for o in outs:
                g = np.asarray(got[o], np.float64)
                d = [np.abs(g - rq[o]).max(), np.abs(g - rf[o]).max(),
                     np.abs(rf[o].astype(np.float64) - rq[o]).max()]
                worst[o] = np.maximum(worst[o], d)
                if g.ndim >= 1 and g.shape[-1] > 1:
                    agree[o][0] += int((g.argmax(-1) == rq[o].argmax(-1)).sum())
                    agree[o][1] += g[..., 0].size
        label = ",".join(f"{d}={v}" for d, v in size.items())
        for o in outs:
            a = f"{agree[o][0]}/{agree[o][1]}" if agree[o][1] else "-"
            print(f"| {m['name']} | {label} | {o} | {worst[o][0]:.3g} | {worst[o][1]:.3g} | "
                  f"{worst[o][2]:.3g} | {a} |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--glc", default=os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                                  "build", "glc"))
    ap.add_argument("--cache")
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    args.glc = os.path.abspath(args.glc)
    os.environ["GLC_DRIVER"] = args.glc
    man = fetch_models.load_manifest()
    paths, missing = fetch_models.fetch(args.names, args.cache, offline=True)
    print(f"max |difference| over {args.seeds} input draws per size\n\n"
          "| model | size | output | glc vs ORT | glc vs ORT float LSTM | ORT float vs ORT | "
          "argmax agrees |\n|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="glc-zoo-q-") as work:
        for m in man["models"]:
            if m["name"] in paths:
                measure(m, paths[m["name"]], args, work)
    for p in missing:
        print(f"not cached: {p}")


if __name__ == "__main__":
    sys.exit(main())
