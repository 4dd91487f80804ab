"""GridLSTM2D of seeds/000 ("How does TensorFlow implement a GridLSTM?") in standard ONNX.

The article's GridLSTM2D layer is two ordinary LSTMs glued together with reshapes and
transposes: the first runs down every column of the image (a sequence of `height` pixels per
column, all columns of all images as one batch), the second along every row of the result.
ConvGridLSTM puts that block between two 'same' convolutions. Both are written here with
standard operators only (`LSTM`, `Transpose`, `Reshape`, `Conv`):

    gridlstm2d        X [N, H, W, C] (channels last, as in the article) -> Y [N, H, W, F]
    conv_gridlstm2d   X [N, C, H, W] -> Conv 3x3 -> block -> Conv 3x3 -> Y [N, C, H, W]

Goldens: onnxruntime, cross-checked with onnx.reference and with a numpy loop that runs the
LSTM column by column and row by row without any reshape (so a wrong perm would show).

    build-venv-oracle/bin/python examples/gridlstm2d_block/gen.py
"""

import os
import sys

import numpy as np
from onnx import TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from example_util import (const, goldens_standard, make_model, node, np_lstm, rng_for, u,  # noqa: E402
                          write_case)

N, H, W, C, F = 2, 6, 5, 3, 8  # 2 images of 6x5 pixels, 3 channels, 8 units per LSTM
C_CONV = 4  # channels after the first convolution


def lstm_weights(rng, prefix, inp):
    return [const(prefix + "_W", u(rng, (1, 4 * F, inp))), const(prefix + "_R", u(rng, (1, 4 * F, F))),
            const(prefix + "_B", u(rng, (1, 8 * F)))]


def block(x, c_in, rng, nodes, inits):
    """The GridLSTM2D block on x [N, H, W, c_in]; returns the name of y [N, H, W, F]."""
    inits += lstm_weights(rng, "col", c_in) + lstm_weights(rng, "row", F)
    inits += [const("col_seq_shape", [H, N * W, c_in]), const("col_out_shape", [H, N, W, F]),
              const("row_seq_shape", [W, N * H, F]), const("row_out_shape", [W, N, H, F])]
    nodes += [
        # Column LSTM: one sequence of H pixels per (image, column).
        node("Transpose", [x], ["col_x_hnwc"], perm=[1, 0, 2, 3]),                 # [H, N, W, C]
        node("Reshape", ["col_x_hnwc", "col_seq_shape"], ["col_seq"]),              # [H, N*W, C]
        node("LSTM", ["col_seq", "col_W", "col_R", "col_B"], ["col_y"], hidden_size=F),  # [H, 1, N*W, F]
        node("Reshape", ["col_y", "col_out_shape"], ["col_hnwf"]),                  # [H, N, W, F]
        # Row LSTM: one sequence of W positions per (image, row).
        node("Transpose", ["col_hnwf"], ["row_x_wnhf"], perm=[2, 1, 0, 3]),         # [W, N, H, F]
        node("Reshape", ["row_x_wnhf", "row_seq_shape"], ["row_seq"]),              # [W, N*H, F]
        node("LSTM", ["row_seq", "row_W", "row_R", "row_B"], ["row_y"], hidden_size=F),  # [W, 1, N*H, F]
        node("Reshape", ["row_y", "row_out_shape"], ["row_wnhf"]),                  # [W, N, H, F]
        node("Transpose", ["row_wnhf"], ["grid_y"], perm=[1, 2, 0, 3]),             # [N, H, W, F]
    ]
    return "grid_y"


def numpy_block(x, inits):
    """The same block with the LSTM run per column, then per row, by explicit loops."""
    w = {t.name: numpy_helper.to_array(t) for t in inits}
    col = np.zeros(x.shape[:3] + (F,))
    for n in range(N):
        for j in range(W):
            col[n, :, j] = np_lstm(x[n, :, j][:, None], w["col_W"][0], w["col_R"][0], w["col_B"][0], F)[:, 0]
    out = np.zeros_like(col)
    for n in range(N):
        for i in range(H):
            out[n, i] = np_lstm(col[n, i][:, None], w["row_W"][0], w["row_R"][0], w["row_B"][0], F)[:, 0]
    return out


def gridlstm2d():
    name = "gridlstm2d"
    rng = rng_for(name)
    nodes, inits = [], []
    y = block("X", C, rng, nodes, inits)
    nodes.append(node("Identity", [y], ["Y"]))
    x = u(rng, (N, H, W, C), -1, 1)
    model = make_model(name, nodes, [("X", x)], [("Y", (N, H, W, F), TensorProto.FLOAT)], inits,
                       "glc examples/gridlstm2d_block/gen.py")
    got, how = goldens_standard(name, model, {"X": x})
    check_numpy(name, got[0], numpy_block(x, inits))
    write_case(HERE, name, model, [("X", x)], got)
    return name, how


def conv_gridlstm2d():
    name = "conv_gridlstm2d"
    rng = rng_for(name)
    inits = [const("conv_in_W", u(rng, (C_CONV, C, 3, 3))), const("conv_in_B", u(rng, (C_CONV,))),
             const("conv_out_W", u(rng, (C, F, 3, 3), -0.3, 0.3)), const("conv_out_B", u(rng, (C,)))]
    nodes = [node("Conv", ["X", "conv_in_W", "conv_in_B"], ["conv_in"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             node("Transpose", ["conv_in"], ["conv_in_nhwc"], perm=[0, 2, 3, 1])]      # [N, H, W, C_CONV]
    y = block("conv_in_nhwc", C_CONV, rng, nodes, inits)
    nodes += [node("Transpose", [y], ["grid_nchw"], perm=[0, 3, 1, 2]),                 # [N, F, H, W]
              node("Conv", ["grid_nchw", "conv_out_W", "conv_out_B"], ["Y"], kernel_shape=[3, 3],
                   pads=[1, 1, 1, 1])]
    x = u(rng, (N, C, H, W), -1, 1)
    model = make_model(name, nodes, [("X", x)], [("Y", (N, C, H, W), TensorProto.FLOAT)], inits,
                       "glc examples/gridlstm2d_block/gen.py")
    got, how = goldens_standard(name, model, {"X": x})
    write_case(HERE, name, model, [("X", x)], got)
    return name, how


def check_numpy(name, got, want):
    if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        raise SystemExit("%s: the numpy row/column loop disagrees (max diff %g)" % (name, np.abs(got - want).max()))


if __name__ == "__main__":
    for case, how in (gridlstm2d(), conv_gridlstm2d()):
        print("%s: golden from %s" % (case, how))
