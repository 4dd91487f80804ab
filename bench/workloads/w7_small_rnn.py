"""W7: small recurrences at batch 1 (the latency-bound models people embed: voice-activity
detectors, keyword spotters, streaming recognisers): ONNX LSTM and GRU
(linear_before_reset = 1, PyTorch's form), hidden 64, 128 and 256, input 64, 1 or 2
layers, T = 50 and T = 1 (one step per call: a T = 1 model from a zero state, the cost of
a streamed step without its state copies), batch 1 (issue 23).

glc and ONNX Runtime run the same .onnx (the layers with Squeeze between them); PyTorch
runs nn.LSTM / nn.GRU with the same weights. Each call is well under a millisecond, so
the harness's p50 (median) and p99 are the figures to read, over at least MIN_ITERS calls;
the per-call overhead of the Python bindings is part of the time of glc, onnxruntime and
pytorch, and at T = 1 it is most of it. ort-c is ONNX Runtime's C API called from C and
timed there (bench/ortc.py): no Python; ort-c-stream (T = 1) is the same on the model with
the state as inputs and outputs, fed back call after call.
"""
import numpy as np
from onnx import helper

import ortc
from harness import Workload, ort_factory
from workloads import common

ID = "W7"
TITLE = "small recurrences at batch 1: LSTM/GRU, hidden 64-256, 1-2 layers, T=50 and T=1"
PEERS = {
    "glc-c": "glc, the same compiled model, each call timed in C (bench/peers/glc_timer.c): "
             "no Python in the call, as ort-c",
    "onnxruntime": "the same .onnx, CPU execution provider, all graph optimisations, "
                   "intra-op threads = the run's",
    "ort-c": "ONNX Runtime's C API from C (bench/peers/ort_peer.c: the wheel's "
             "libonnxruntime.so, the same session options, inputs and preallocated outputs "
             "wrapped once, each Run timed in C): no Python in the call",
    "ort-c-stream": "T = 1 only: ort-c on the model with the state as inputs and outputs, "
                    "each call's final state fed back as the next call's initial state "
                    "(swapped buffers, no copy): a streaming service's step in C",
    "pytorch": "torch.nn.LSTM / torch.nn.GRU(64, H, num_layers) under torch.inference_mode()",
}
GLC_VARIANTS = ("glc-c",)  # harness: also glc with each call timed in C, as ort-c
I = 64
MIN_ITERS = 300  # timed calls per system at least (the harness's rounds): p99 needs them
GATES = {"LSTM": ("i", "o", "f", "c"), "GRU": ("z", "r", "h")}
TORCH_ORDER = {"LSTM": ("i", "f", "c", "o"), "GRU": ("r", "z", "h")}


def configs(quick):
    hs = (128,) if quick else (64, 128, 256)
    return [{"batch": 1, "op": op, "hidden": h, "layers": n, "T": t,
             # the report's batch column: batch-op-H-layers-T
             "label": f"1-{op.lower()}{h}x{n}-T{t}"}
            for op in ("LSTM", "GRU") for h in hs for n in (1, 2) for t in (50, 1)]


def _weights(rng, op, layers, h):
    s = 1.0 / np.sqrt(h)
    u = lambda *shape: rng.uniform(-s, s, shape).astype(np.float32)
    return [{k: {g: u(*shape) for g in GATES[op]}
             for k, shape in (("W", (h, I if n == 0 else h)), ("R", (h, h)), ("Wb", (h,)),
                              ("Rb", (h,)))} for n in range(layers)]


def _onnx(op, ws, h, batch, T, state=False):
    """The layers with Squeeze between them; state=True: each layer's initial state is an
    input (h0_k, and c0_k for LSTM) and its final state an output (hN_k, cN_k), the model a
    streaming service calls once per step with the state fed back."""
    nodes, inits, prev = [], {}, "x"
    ins, outs = [common.f32_info("x", (T, batch, I))], [common.f32_info("y", (T, batch, h))]
    names = ("h", "c") if op == "LSTM" else ("h",)
    for k, w in enumerate(ws):
        order = GATES[op]
        inits[f"W{k}"] = np.concatenate([w["W"][g] for g in order])[None]
        inits[f"R{k}"] = np.concatenate([w["R"][g] for g in order])[None]
        inits[f"B{k}"] = np.concatenate([w["Wb"][g] for g in order] +
                                        [w["Rb"][g] for g in order])[None]
        attrs = {"linear_before_reset": 1} if op == "GRU" else {}
        node_in, node_out = [prev, f"W{k}", f"R{k}", f"B{k}"], [f"Y{k}"]
        if state:
            node_in += [""] + [f"{s}0_{k}" for s in names]
            node_out += [f"{s}N_{k}" for s in names]
            ins += [common.f32_info(f"{s}0_{k}", (1, batch, h)) for s in names]
            outs += [common.f32_info(f"{s}N_{k}", (1, batch, h)) for s in names]
        nodes.append(helper.make_node(op, node_in, node_out, hidden_size=h, name=f"rnn{k}",
                                      **attrs))
        out = "y" if k == len(ws) - 1 else f"h{k}"
        nodes.append(helper.make_node("Squeeze", [f"Y{k}", "axis1"], [out], name=f"sq{k}"))
        prev = out
    inits["axis1"] = np.array([1], np.int64)
    return common.make_model(nodes, ins, outs, inits, "w7_small_rnn")


def stream_feed_back(op, layers):
    """The (output, input) pairs of the state model: each final state is the next call's
    initial state."""
    names = ("h", "c") if op == "LSTM" else ("h",)
    return [(f"{s}N_{k}", f"{s}0_{k}") for k in range(layers) for s in names]


def build(cfg):
    batch, op, h, layers, T = cfg["batch"], cfg["op"], cfg["hidden"], cfg["layers"], cfg["T"]
    rng = np.random.default_rng(7)
    ws = _weights(rng, op, layers, h)
    x = rng.standard_normal((T, batch, I)).astype(np.float32)
    g = len(GATES[op])
    flops = sum(2.0 * T * batch * g * h * ((I if n == 0 else h) + h) for n in range(layers))
    wl = Workload(feeds={"x": x}, flops=flops, systems={}, onnx_model=_onnx(op, ws, h, batch, T))
    wl.systems["glc"] = None  # filled by the harness
    wl.systems["onnxruntime"] = ort_factory(wl)
    wl.systems["ort-c"] = ortc.ort_factory_c(wl)
    if T == 1:  # the streamed step: the state model, its state fed back call after call
        wl.systems["ort-c-stream"] = ortc.ort_factory_c(
            wl, _onnx(op, ws, h, batch, T, state=True), stream_feed_back(op, layers))

    def torch_factory(threads):
        import torch
        torch.set_num_threads(threads)
        m = (torch.nn.LSTM if op == "LSTM" else torch.nn.GRU)(I, h, num_layers=layers)
        with torch.no_grad():
            for k, w in enumerate(ws):
                cat = lambda key: torch.from_numpy(np.concatenate(
                    [w[key][q] for q in TORCH_ORDER[op]]))
                getattr(m, f"weight_ih_l{k}").copy_(cat("W"))
                getattr(m, f"weight_hh_l{k}").copy_(cat("R"))
                getattr(m, f"bias_ih_l{k}").copy_(cat("Wb"))
                getattr(m, f"bias_hh_l{k}").copy_(cat("Rb"))
        m.eval()
        xt = torch.from_numpy(x)

        def run():
            with torch.inference_mode():
                return m(xt)[0].numpy()
        return run
    wl.systems["pytorch"] = torch_factory
    return wl
