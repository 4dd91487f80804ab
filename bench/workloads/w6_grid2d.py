"""W6: the "GridLSTM2D" seed block: an LSTM down the columns, then one along the rows
(64 units each), on a 32x32x16 feature map (batch 1 and 16).

It is the seed's Keras layer (seeds/000: transposes and reshapes around two standard
LSTMs). glc and ONNX Runtime run one .onnx with the same transposes and reshapes and two
ONNX LSTM nodes; TensorFlow runs the seed's layer; PyTorch two nn.LSTM with permutes.
"""
import numpy as np
from onnx import helper

from harness import Workload, ort_factory
from workloads import common

ID = "W6"
TITLE = "GridLSTM2D seed block (column LSTM then row LSTM, 64 units), 32x32x16"
GLC_VARIANTS = ("glc-bf16",)  # harness: also time glc --bf16
PEERS = {
    "glc-bf16": "the same model compiled with `glc --bf16` (every product as avx512bf16 dot "
                "products: both operands rounded to bf16, f32 sums)",
    "onnxruntime": "the same .onnx, CPU execution provider, all graph optimisations, "
                   "intra-op threads = 2",
    "tensorflow": "the seed's GridLSTM2D Keras layer (two keras.layers.LSTM with transposes "
                  "and reshapes) inside tf.function; tensorflow-xla adds jit_compile=True",
    "pytorch": "two torch.nn.LSTM with permute/reshape, under torch.inference_mode()",
}
H = W = 32
C, U = 16, 64


def configs(quick):
    return [{"batch": 1}] if quick else [{"batch": 1}, {"batch": 16}]


def _onnx(wx, wy, n):
    Wx, Rx, Bx = common.onnx_lstm_tensors(wx)
    Wy, Ry, By = common.onnx_lstm_tensors(wy)
    shape = lambda name, dims: (name, np.array(dims, np.int64))
    inits = dict([("Wx", Wx), ("Rx", Rx), ("Bx", Bx), ("Wy", Wy), ("Ry", Ry), ("By", By),
                  shape("s_hnw_c", [H, n * W, C]), shape("s_hnwu", [H, n, W, U]),
                  shape("s_wnh_u", [W, n * H, U]), shape("s_wnhu", [W, n, H, U])])
    N = helper.make_node
    nodes = [
        N("Transpose", ["x"], ["x_hnwc"], perm=[1, 0, 2, 3]),            # [H, N, W, C]
        N("Reshape", ["x_hnwc", "s_hnw_c"], ["col_in"]),                  # [H, N*W, C]
        N("LSTM", ["col_in", "Wx", "Rx", "Bx"], ["col_y"], hidden_size=U, name="lstm_col"),
        N("Reshape", ["col_y", "s_hnwu"], ["col_out"]),                   # [H, N, W, U]
        N("Transpose", ["col_out"], ["row_t"], perm=[2, 1, 0, 3]),        # [W, N, H, U]
        N("Reshape", ["row_t", "s_wnh_u"], ["row_in"]),                   # [W, N*H, U]
        N("LSTM", ["row_in", "Wy", "Ry", "By"], ["row_y"], hidden_size=U, name="lstm_row"),
        N("Reshape", ["row_y", "s_wnhu"], ["row_out"]),                   # [W, N, H, U]
        N("Transpose", ["row_out"], ["y"], perm=[1, 2, 0, 3]),            # [N, H, W, U]
    ]
    return common.make_model(nodes, [common.f32_info("x", (n, H, W, C))],
                             [common.f32_info("y", (n, H, W, U))], inits, "w6_grid2d")


def _keras(wx, wy, n):
    import keras
    from keras import ops

    class GridLSTM2D(keras.layers.Layer):  # the seed's layer, with static shapes
        def __init__(self):
            super().__init__()
            self.lstm_x = keras.layers.LSTM(U, return_sequences=True)
            self.lstm_y = keras.layers.LSTM(U, return_sequences=True)

        def call(self, x):
            xi = ops.transpose(x, (0, 2, 1, 3))
            xo = self.lstm_x(ops.reshape(xi, (-1, H, C)))
            xo = ops.transpose(ops.reshape(xo, (n, W, H, U)), (0, 2, 1, 3))
            yo = self.lstm_y(ops.reshape(xo, (-1, W, U)))
            return ops.reshape(yo, (n, H, W, U))
    layer = GridLSTM2D()
    m = keras.Sequential([keras.Input((H, W, C), batch_size=n), layer])
    layer.lstm_x.set_weights(common.keras_lstm_weights(wx))
    layer.lstm_y.set_weights(common.keras_lstm_weights(wy))
    return m


def _torch_factory(wx, wy, x):
    def factory(threads):
        import torch
        torch.set_num_threads(threads)
        lx, ly = torch.nn.LSTM(C, U), torch.nn.LSTM(U, U)
        with torch.no_grad():
            for m, w in ((lx, wx), (ly, wy)):
                wi, wh, bi, bh = (torch.from_numpy(a) for a in common.torch_lstm_weights(w))
                m.weight_ih_l0.copy_(wi), m.weight_hh_l0.copy_(wh)
                m.bias_ih_l0.copy_(bi), m.bias_hh_l0.copy_(bh)
        xt, n = torch.from_numpy(x), x.shape[0]

        def run():
            with torch.inference_mode():
                col = lx(xt.permute(1, 0, 2, 3).reshape(H, n * W, C))[0]   # along H
                row_in = col.reshape(H, n, W, U).permute(2, 1, 0, 3).reshape(W, n * H, U)
                row = ly(row_in)[0]                                     # along W
                return row.reshape(W, n, H, U).permute(1, 2, 0, 3).contiguous().numpy()
        return run
    return factory


def build(cfg):
    n = cfg["batch"]
    rng = np.random.default_rng(6)
    wx, wy = common.lstm_weights(rng, C, U), common.lstm_weights(rng, U, U)
    x = rng.standard_normal((n, H, W, C)).astype(np.float32)
    flops = 2.0 * H * n * W * 4 * U * (C + U) + 2.0 * W * n * H * 4 * U * (U + U)
    wl = Workload(feeds={"x": x}, flops=flops, systems={}, onnx_model=_onnx(wx, wy, n))
    wl.systems["glc"] = None
    wl.systems["onnxruntime"] = ort_factory(wl)
    wl.systems.update(common.tf_variants(lambda: _keras(wx, wy, n), x))
    wl.systems["pytorch"] = _torch_factory(wx, wy, x)
    return wl
