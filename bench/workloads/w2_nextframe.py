"""W2: the keras-io next-frame video prediction model: ConvLSTM2D(64, 5x5, relu) -> BN ->
ConvLSTM2D(64, 3x3, relu) -> BN -> ConvLSTM2D(64, 1x1, relu) -> Conv3D(1, 3x3x3, sigmoid),
same padding throughout, on T=19 frames of 1 channel, 64x64 (batch 1 and 4).

glc runs glc.ConvLSTM nodes (layout=1, activations Sigmoid/Relu/Relu) with
BatchNormalization on [N*T, F, H, W] views and a 3D Conv; ONNX Runtime runs the same
network unrolled over time in standard ONNX ops (common.unrolled_convlstm_onnx: better
than tf2onnx's Loop); TensorFlow the Keras model; PyTorch the hoisted ConvLSTM with
batch_norm and conv3d.
"""
import numpy as np
from onnx import helper

from harness import Workload, ort_factory
from workloads import common

ID = "W2"
TITLE = "keras-io next-frame model (3 ConvLSTM2D + BN + Conv3D); T=19, 1 ch, 64x64"
GLC_VARIANTS = ("glc-winograd", "glc-bf16")  # harness: also time glc --winograd and glc --bf16
PEERS = {
    "glc-bf16": "the same model compiled with `glc --bf16` (every product as avx512bf16 dot "
                "products: both operands rounded to bf16, f32 sums)",
    "glc-winograd": "the same model compiled with `glc --winograd` (Winograd F(2x2, 5x5) "
                    "and F(4x4, 3x3) for the 5x5 and 3x3 convolutions)",
    "onnxruntime": "the model unrolled over the 19 steps in standard ONNX ops (input convolution "
                   "of all steps as one Conv, one 4F-channel Conv of the state per step), CPU "
                   "execution provider, all graph optimisations, 2 intra-op threads",
    "tensorflow": "the keras-io Sequential model in tf.function; tensorflow-xla adds "
                  "jit_compile=True",
    "pytorch": "hand-written hoisted ConvLSTM (common.torch_convlstm_layer, relu), "
               "F.batch_norm, F.conv3d, under torch.inference_mode()",
}
T, S, F = 19, 64, 64
KS = (5, 3, 1)
EPS = 1e-3


def configs(quick):
    return [{"batch": 1}] if quick else [{"batch": 1}, {"batch": 4}]


def _params(rng):
    ws = [common.convlstm_weights(rng, 1 if k == 0 else F, F, KS[k]) for k in range(3)]
    bns = [common.bn_params(rng, F) for _ in range(2)]
    s = 1.0 / np.sqrt(F * 27)
    conv3d_w = rng.uniform(-s, s, (1, F, 3, 3, 3)).astype(np.float32)
    conv3d_b = rng.uniform(-s, s, (1,)).astype(np.float32)
    return ws, bns, conv3d_w, conv3d_b


def _bn_nodes(k, src, dst, bn, n, inits):
    N = helper.make_node
    inits.update({f"bn{k}_{key}": v for key, v in bn.items()})
    inits["s_flat"] = np.array([n * T, F, S, S], np.int64)
    inits["s_ntf"] = np.array([n, T, F, S, S], np.int64)
    return [N("Reshape", [src, "s_flat"], [f"bn{k}_in"]),
            N("BatchNormalization", [f"bn{k}_in"] + [f"bn{k}_{key}" for key in
                                                     ("scale", "bias", "mean", "var")],
              [f"bn{k}_out"], epsilon=EPS),
            N("Reshape", [f"bn{k}_out", "s_ntf"], [dst])]


def _head_nodes(src, inits, cw, cb):
    N = helper.make_node
    inits.update({"c3_W": cw, "c3_B": cb})
    return [N("Transpose", [src], ["c3_in"], perm=[0, 2, 1, 3, 4]),       # [N, F, T, H, W]
            N("Conv", ["c3_in", "c3_W", "c3_B"], ["c3_out"], pads=[1] * 6),
            N("Sigmoid", ["c3_out"], ["y"])]                               # [N, 1, T, H, W]


def _onnx_glc(params, n):
    ws, bns, cw, cb = params
    N = helper.make_node
    nodes, inits, prev = [], {}, "x"
    inits["s_ntf"] = np.array([n, T, F, S, S], np.int64)
    for k, w in enumerate(ws):
        inits.update(common.onnx_convlstm_inits(w, f"l{k}_"))
        nodes += [N("ConvLSTM", [prev, f"l{k}_W", f"l{k}_R", f"l{k}_B"], [f"Y{k}"],
                    domain="ai.glc", name=f"convlstm{k}", hidden_size=F, layout=1,
                    auto_pad="SAME_UPPER", activations=["Sigmoid", "Relu", "Relu"]),
                  N("Reshape", [f"Y{k}", "s_ntf"], [f"h{k}"])]
        prev = f"h{k}"
        if k < 2:
            nodes += _bn_nodes(k, prev, f"b{k}", bns[k], n, inits)
            prev = f"b{k}"
    nodes += _head_nodes(prev, inits, cw, cb)
    return common.make_model(nodes, [common.f32_info("x", (n, T, 1, S, S))],
                             [common.f32_info("y", (n, 1, T, S, S))], inits, "w2_nextframe",
                             domains=("ai.glc",))


def _onnx_unrolled(params, n):
    ws, bns, cw, cb = params
    nodes, inits, prev = [], {}, "x"
    for k, w in enumerate(ws):
        nd, it, prev = common.unrolled_convlstm_onnx(f"l{k}_", prev, w, n, T, F, S, act="Relu")
        nodes += nd
        inits.update(it)
        if k < 2:
            nodes += _bn_nodes(k, prev, f"b{k}", bns[k], n, inits)
            prev = f"b{k}"
    nodes += _head_nodes(prev, inits, cw, cb)
    return common.make_model(nodes, [common.f32_info("x", (n, T, 1, S, S))],
                             [common.f32_info("y", (n, 1, T, S, S))], inits, "w2_unrolled")


def _keras(params):
    import keras
    ws, bns, cw, cb = params
    L = keras.layers
    cl = [L.ConvLSTM2D(F, KS[k], padding="same", return_sequences=True, activation="relu")
          for k in range(3)]
    bn = [L.BatchNormalization(epsilon=EPS) for _ in range(2)]
    c3 = L.Conv3D(1, 3, padding="same", activation="sigmoid")
    m = keras.Sequential([keras.Input((T, S, S, 1)), cl[0], bn[0], cl[1], bn[1], cl[2], c3])
    for layer, w in zip(cl, ws):
        layer.set_weights(common.keras_convlstm_weights(w))
    for layer, p in zip(bn, bns):
        layer.set_weights([p["scale"], p["bias"], p["mean"], p["var"]])
    c3.set_weights([np.transpose(cw, (2, 3, 4, 1, 0)), cb])
    return m


def _torch_factory(params, x):
    ws, bns, cw, cb = params

    def factory(threads):
        import torch
        import torch.nn.functional as tF
        torch.set_num_threads(threads)
        xt = torch.from_numpy(x)
        bt = [{k: torch.from_numpy(v) for k, v in p.items()} for p in bns]
        cwt, cbt = torch.from_numpy(cw), torch.from_numpy(cb)

        def run():
            with torch.inference_mode():
                h = xt
                for k, w in enumerate(ws):
                    h = common.torch_convlstm_layer(w, h, act="relu")
                    if k < 2:
                        n = h.shape[0]
                        h = tF.batch_norm(h.reshape(n * T, F, S, S), bt[k]["mean"], bt[k]["var"],
                                          bt[k]["scale"], bt[k]["bias"], False, 0.0, EPS)
                        h = h.reshape(n, T, F, S, S)
                y = torch.sigmoid(tF.conv3d(h.permute(0, 2, 1, 3, 4), cwt, cbt, padding=1))
                return y.numpy()
        return run
    return factory


def build(cfg):
    n = cfg["batch"]
    rng = np.random.default_rng(2)
    params = _params(rng)
    x = rng.uniform(0, 1, (n, T, 1, S, S)).astype(np.float32)
    cins = (1, F, F)
    flops = sum(2.0 * n * T * S * S * 4 * F * KS[k] ** 2 * (cins[k] + F) for k in range(3))
    flops += 2.0 * n * T * S * S * 27 * F
    wl = Workload(feeds={"x": x}, flops=flops, systems={}, onnx_model=_onnx_glc(params, n))
    wl.systems["glc"] = None
    unrolled = Workload(feeds={"x": x}, flops=flops, systems={},
                        onnx_model=_onnx_unrolled(params, n))
    wl.systems["onnxruntime"] = ort_factory(unrolled)
    x_keras = np.ascontiguousarray(x.transpose(0, 1, 3, 4, 2))
    wl.systems.update(common.tf_variants(lambda: _keras(params), x_keras,
                                         post=lambda y: y.transpose(0, 4, 1, 2, 3)))
    wl.systems["pytorch"] = _torch_factory(params, x)
    return wl
