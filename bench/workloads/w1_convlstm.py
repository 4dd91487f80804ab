"""W1: four stacked ConvLSTM layers, F=128, 5x5 kernels, same padding (OpenSTL's
ConvLSTM-S shape) on T=10 frames of 16 channels, 16x16 (batch 1 and 8).

glc runs four glc.ConvLSTM nodes (layout=1, auto_pad SAME_UPPER) with Reshapes dropping
the direction axis; TensorFlow runs four keras.layers.ConvLSTM2D(128, 5, padding="same",
return_sequences=True); PyTorch runs the hoisted-input-convolution ConvLSTM of
common.torch_convlstm_layer. Same weights everywhere (Keras has one bias: Rb = 0).
"""
import numpy as np
from onnx import helper

from harness import Workload
from workloads import common

ID = "W1"
TITLE = "4 stacked ConvLSTM, F=128, k=5, same padding; T=10, 16 ch, 16x16"
GLC_VARIANTS = ("glc-winograd", "glc-bf16")  # harness: also time glc --winograd and glc --bf16
PEERS = {
    "glc-bf16": "the same model compiled with `glc --bf16` (every product as avx512bf16 dot "
                "products: both operands rounded to bf16, f32 sums)",
    "glc-winograd": "the same model compiled with `glc --winograd` (Winograd F(2x2, 5x5) "
                    "and F(4x4, 3x3) for the 5x5 and 3x3 convolutions)",
    "tensorflow": "keras Sequential of 4 ConvLSTM2D(128, 5, padding='same', "
                  "return_sequences=True) in tf.function; tensorflow-xla adds jit_compile=True",
    "pytorch": "hand-written ConvLSTM: input convolution for all steps in one conv2d, then one "
               "4F-channel conv2d of the state per step (the fastest plain-PyTorch form we "
               "know), under torch.inference_mode()",
}
LAYERS, F, K, T, C, S = 4, 128, 5, 10, 16, 16


def configs(quick):
    return [{"batch": 1}] if quick else [{"batch": 1}, {"batch": 8}]


def _onnx(ws, n, t=T):
    """The .onnx of four ConvLSTMs on x (n, t, C, S, S); n and t may be dim_param names
    (then the Reshapes copy them from their input: 0 in the shape)."""
    nodes, inits, prev = [], {}, "x"
    inits["shape_ntfhw"] = np.array([0 if isinstance(d, str) else d for d in (n, t)] + [F, S, S],
                                    np.int64)
    for k, w in enumerate(ws):
        inits.update(common.onnx_convlstm_inits(w, f"l{k}_"))
        nodes.append(helper.make_node(
            "ConvLSTM", [prev, f"l{k}_W", f"l{k}_R", f"l{k}_B"], [f"Y{k}"], domain="ai.glc",
            name=f"convlstm{k}", hidden_size=F, layout=1, auto_pad="SAME_UPPER"))
        out = "y" if k == LAYERS - 1 else f"h{k}"
        nodes.append(helper.make_node("Reshape", [f"Y{k}", "shape_ntfhw"], [out]))
        prev = out
    return common.make_model(nodes, [common.f32_info("x", (n, t, C, S, S))],
                             [common.f32_info("y", (n, t, F, S, S))], inits, "w1_convlstm",
                             domains=("ai.glc",))


def _keras(ws):
    import keras
    layers = [keras.layers.ConvLSTM2D(F, K, padding="same", return_sequences=True)
              for _ in range(LAYERS)]
    m = keras.Sequential([keras.Input((T, S, S, C))] + layers)
    for layer, w in zip(layers, ws):
        layer.set_weights(common.keras_convlstm_weights(w))
    return m


def _torch_factory(ws, x):
    def factory(threads):
        import torch
        torch.set_num_threads(threads)
        xt = torch.from_numpy(x)

        def run():
            with torch.inference_mode():
                h = xt
                for w in ws:
                    h = common.torch_convlstm_layer(w, h)
                return h.numpy()
        return run
    return factory


def build(cfg):
    n = cfg["batch"]
    rng = np.random.default_rng(1)
    ws = [common.convlstm_weights(rng, C if k == 0 else F, F, K) for k in range(LAYERS)]
    x = rng.standard_normal((n, T, C, S, S)).astype(np.float32)
    flops = sum(2.0 * n * T * S * S * 4 * F * K * K * ((C if k == 0 else F) + F)
                for k in range(LAYERS))
    wl = Workload(feeds={"x": x}, flops=flops, systems={}, onnx_model=_onnx(ws, n))
    wl.systems["glc"] = None
    x_keras = np.ascontiguousarray(x.transpose(0, 1, 3, 4, 2))
    wl.systems.update(common.tf_variants(lambda: _keras(ws), x_keras,
                                         post=lambda y: y.transpose(0, 1, 4, 2, 3)))
    wl.systems["pytorch"] = _torch_factory(ws, x)
    return wl
