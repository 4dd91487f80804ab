"""W3: a 2D MD-LSTM text-line model in the shape of RETURNN's IAM setups: convolutions and
2x2 max-pooling between five 4-direction MD-LSTM layers of widths 30, 60, 90, 120, 120
(`stable` cell), on a 1x64x512 line image (batch 1 and 4).

    conv 3x3 15, pool -> MDLSTM 30 -> conv 45, pool -> MDLSTM 60 -> conv 75, pool ->
    MDLSTM 90 -> conv 105 -> MDLSTM 120 -> conv 105 -> MDLSTM 120   => [N, 480, 8, 64]

glc runs Conv, MaxPool and glc.MDLSTM(directions=4, cell="stable") nodes, a Reshape after
each MD-LSTM giving [N, 4F, H, W]; TensorFlow and PyTorch run the diagonal-wavefront
MD-LSTM of mdlstm_peers.py between the same convolutions.
"""
import numpy as np
from onnx import helper

from harness import Workload
from workloads import common, mdlstm_peers

ID = "W3"
TITLE = "2D MD-LSTM text-line model (5 x 4-direction MDLSTM, widths 30-120); 1x64x512"
GLC_VARIANTS = ("glc-bf16",)  # harness: also time glc --bf16
PEERS = {
    "glc-bf16": "the same model compiled with `glc --bf16` (every product as avx512bf16 dot "
                "products: both operands rounded to bf16, f32 sums)",
    "tensorflow": "convolutions in NHWC and the anti-diagonal wavefront MD-LSTM of "
                  "bench/workloads/mdlstm_peers.py (skewed grid, all 4 directions batched, "
                  "tf.scan over diagonals) in tf.function; tensorflow-xla adds "
                  "jit_compile=True, which is the form the issue asks for",
    "pytorch": "the same wavefront MD-LSTM (Python loop over diagonals, batched matmuls), "
               "F.conv2d and F.max_pool2d, under torch.inference_mode()",
}
H0, W0, D, CELL, G = 64, 512, 4, "stable", 5
# (conv out channels, pool after conv, MD-LSTM width)
STAGES = ((15, True, 30), (45, True, 60), (75, True, 90), (105, False, 120), (105, False, 120))


def configs(quick):
    return [{"batch": 1}] if quick else [{"batch": 1}, {"batch": 4}]


def _params(rng):
    ps, c = [], 1
    for co, _, f in STAGES:
        s = 1.0 / np.sqrt(9 * c)
        conv_w = rng.uniform(-s, s, (co, c, 3, 3)).astype(np.float32)
        conv_b = rng.uniform(-s, s, co).astype(np.float32)
        sx, sh = 1.0 / np.sqrt(co), 1.0 / np.sqrt(f)
        md = {"W": rng.uniform(-sx, sx, (D, G * f, co)).astype(np.float32),
              "R": rng.uniform(-sh, sh, (D, 2, G * f, f)).astype(np.float32),
              "B": rng.uniform(-sx, sx, (D, G * f)).astype(np.float32)}
        ps.append((conv_w, conv_b, md))
        c = D * f
    return ps


def _flops(n):
    total, h, w, c = 0.0, H0, W0, 1
    for co, pool, f in STAGES:
        total += 2.0 * n * h * w * co * c * 9
        if pool:
            h, w = h // 2, w // 2
        total += n * D * h * w * (2.0 * G * f * co + 4.0 * G * f * f)
        c = D * f
    return total


def _onnx(ps, n):
    N = helper.make_node
    nodes, inits, prev, h, w = [], {}, "x", H0, W0
    for k, ((co, pool, f), (cw, cb, md)) in enumerate(zip(STAGES, ps)):
        inits.update({f"c{k}_W": cw, f"c{k}_B": cb, f"m{k}_W": md["W"], f"m{k}_R": md["R"],
                      f"m{k}_B": md["B"]})
        nodes.append(N("Conv", [prev, f"c{k}_W", f"c{k}_B"], [f"c{k}"], pads=[1, 1, 1, 1]))
        prev = f"c{k}"
        if pool:
            nodes.append(N("MaxPool", [prev], [f"p{k}"], kernel_shape=[2, 2], strides=[2, 2]))
            prev, h, w = f"p{k}", h // 2, w // 2
        inits[f"s{k}"] = np.array([n, D * f, h, w], np.int64)
        out = "y" if k == len(STAGES) - 1 else f"r{k}"
        nodes += [N("MDLSTM", [prev, f"m{k}_W", f"m{k}_R", f"m{k}_B"], [f"m{k}"],
                    domain="ai.glc", name=f"mdlstm{k}", hidden_size=f, directions=D, cell=CELL),
                  N("Reshape", [f"m{k}", f"s{k}"], [out])]
        prev = out
    f_last = STAGES[-1][2]
    return common.make_model(nodes, [common.f32_info("x", (n, 1, H0, W0))],
                             [common.f32_info("y", (n, D * f_last, h, w))], inits, "w3_mdlstm",
                             domains=("ai.glc",))


def _tf_factory(ps, x, jit):
    def factory(threads):
        import tensorflow as tf

        @tf.function(jit_compile=jit)
        def model(inp):
            h = inp
            for (co, pool, f), (cw, cb, md) in zip(STAGES, ps):
                h = tf.nn.conv2d(h, np.transpose(cw, (2, 3, 1, 0)), 1, "SAME") + cb
                if pool:
                    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
                h = mdlstm_peers.tf_mdlstm(h, md["W"], md["R"], md["B"], CELL)
            return h
        xt = tf.constant(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
        return lambda: model(xt).numpy().transpose(0, 3, 1, 2)
    return factory


def _torch_factory(ps, x):
    def factory(threads):
        import torch
        import torch.nn.functional as tF
        torch.set_num_threads(threads)
        xt = torch.from_numpy(x)
        tps = [(torch.from_numpy(cw), torch.from_numpy(cb), md) for cw, cb, md in ps]

        def run():
            with torch.inference_mode():
                h = xt
                for (co, pool, f), (cw, cb, md) in zip(STAGES, tps):
                    h = tF.conv2d(h, cw, cb, padding=1)
                    if pool:
                        h = tF.max_pool2d(h, 2, 2)
                    h = mdlstm_peers.torch_mdlstm(h, md["W"], md["R"], md["B"], CELL)
                return h.numpy()
        return run
    return factory


def build(cfg):
    n = cfg["batch"]
    rng = np.random.default_rng(3)
    ps = _params(rng)
    x = rng.uniform(0, 1, (n, 1, H0, W0)).astype(np.float32)
    wl = Workload(feeds={"x": x}, flops=_flops(n), systems={}, onnx_model=_onnx(ps, n))
    wl.systems["glc"] = None
    wl.systems["tensorflow"] = _tf_factory(ps, x, False)
    wl.systems["tensorflow-xla"] = _tf_factory(ps, x, True)
    wl.systems["pytorch"] = _torch_factory(ps, x)
    return wl
