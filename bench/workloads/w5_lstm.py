"""W5: ONNX LSTM, 4 stacked layers, hidden 512, input 512, T=100 (batch 1 and 64).

glc and ONNX Runtime run the same .onnx (four LSTM nodes with Squeeze between them);
TensorFlow runs a Keras Sequential of four LSTM(512, return_sequences=True) layers;
PyTorch runs nn.LSTM(512, 512, num_layers=4). All carry the same weights.
"""
import numpy as np
from onnx import helper

from harness import Workload, ort_factory
from workloads import common

ID = "W5"
TITLE = "ONNX LSTM, 4 layers, hidden 512, T=100, input 512"
GLC_VARIANTS = ("glc-bf16w", "glc-bf16")  # harness: also time glc --bf16-weights and glc --bf16
PEERS = {
    "glc-bf16": "the same model compiled with `glc --bf16` (every product as avx512bf16 dot "
                "products: both operands rounded to bf16, f32 sums)",
    "glc-bf16w": "the same model compiled with `glc --bf16-weights` (constant product "
                 "weights held as bf16, f32 arithmetic)",
    "onnxruntime": "the same .onnx, CPU execution provider, all graph optimisations, "
                   "intra-op threads = 2",
    "tensorflow": "Keras Sequential of 4 LSTM(512) (cuDNN-compatible defaults), called inside "
                  "tf.function; tensorflow-xla adds jit_compile=True",
    "pytorch": "torch.nn.LSTM(512, 512, num_layers=4) under torch.inference_mode()",
}
LAYERS, H, I, T = 4, 512, 512, 100


def configs(quick):
    return [{"batch": 1}] if quick else [{"batch": 1}, {"batch": 64}]


def _onnx(ws, batch, t=T):
    """The .onnx of four LSTMs on x (t, batch, I); t and batch may be dim_param names."""
    nodes, inits, prev = [], {}, "x"
    for k, w in enumerate(ws):
        W, R, B = common.onnx_lstm_tensors(w)
        inits.update({f"W{k}": W, f"R{k}": R, f"B{k}": B})
        nodes.append(helper.make_node("LSTM", [prev, f"W{k}", f"R{k}", f"B{k}"], [f"Y{k}"],
                                      hidden_size=H, name=f"lstm{k}"))
        out = "y" if k == LAYERS - 1 else f"h{k}"
        nodes.append(helper.make_node("Squeeze", [f"Y{k}", "axis1"], [out], name=f"sq{k}"))
        prev = out
    inits["axis1"] = np.array([1], np.int64)
    return common.make_model(nodes, [common.f32_info("x", (t, batch, I))],
                             [common.f32_info("y", (t, batch, H))], inits, "w5_lstm")


def build(cfg):
    batch = cfg["batch"]
    rng = np.random.default_rng(5)
    ws = [common.lstm_weights(rng, I if k == 0 else H, H) for k in range(LAYERS)]
    x = rng.standard_normal((T, batch, I)).astype(np.float32)
    flops = 2.0 * T * batch * 4 * H * (I + H) * LAYERS
    wl = Workload(feeds={"x": x}, flops=flops, systems={}, onnx_model=_onnx(ws, batch))
    wl.systems["glc"] = None  # filled by the harness
    wl.systems["onnxruntime"] = ort_factory(wl)

    def keras_model():
        import keras
        m = keras.Sequential([keras.Input((T, I))] +
                             [keras.layers.LSTM(H, return_sequences=True) for _ in range(LAYERS)])
        for layer, w in zip(m.layers, ws):
            layer.set_weights(common.keras_lstm_weights(w))
        return m
    wl.systems.update(common.tf_variants(keras_model, np.ascontiguousarray(x.transpose(1, 0, 2)),
                                         post=lambda y: y.transpose(1, 0, 2)))

    def torch_factory(threads):
        import torch
        torch.set_num_threads(threads)
        m = torch.nn.LSTM(I, H, num_layers=LAYERS)
        with torch.no_grad():
            for k, w in enumerate(ws):
                wi, wh, bi, bh = (torch.from_numpy(a) for a in common.torch_lstm_weights(w))
                getattr(m, f"weight_ih_l{k}").copy_(wi)
                getattr(m, f"weight_hh_l{k}").copy_(wh)
                getattr(m, f"bias_ih_l{k}").copy_(bi)
                getattr(m, f"bias_hh_l{k}").copy_(bh)
        m.eval()
        xt = torch.from_numpy(x)

        def run():
            with torch.inference_mode():
                return m(xt)[0].numpy()
        return run
    wl.systems["pytorch"] = torch_factory
    return wl
