"""The video model of seeds/002 ("How can ConvLSTM be implemented in TensorFlow?") in ONNX,
with glc.ConvLSTM as the recurrent layer and sequences of different lengths in one batch.

The article's Sequential model is

    TimeDistributed(Conv2D(relu, 'same')) -> TimeDistributed(MaxPooling2D(2x2))
    -> RNN(ConvLSTMCell, return_sequences=True) -> TimeDistributed(Flatten) -> Dense(10)

and its ConvLSTMCell is one 'same' convolution over the concatenation [x, h] with 4F output
channels split into the gates i, f, c, o. Cases written here:

    video_classifier  X [N, T, C, H, W] + sequence_lens [N] -> logits [N, T, 10] and the last
                      valid hidden state Y_h [N, 1, F, H/2, W/2]. TimeDistributed is
                      Reshape [N*T, ...] / Conv / Relu / MaxPool / Reshape back; the ConvLSTM
                      runs batch-first (layout 1) with SAME_UPPER padding. Steps past a
                      sample's length give zero hidden states, hence logits = Dense bias.
    convlstm_cell     one step of the article's cell in standard ops (Concat [x, h] -> Conv ->
                      Split -> Sigmoid/Tanh -> Mul/Add): x, h, c -> h', c'.

Checks (gen.py refuses to write a case that fails them):
* video_classifier: golden from onnx.reference with glc.ConvLSTM taken from the numpy oracle;
  recomputed without the oracle by stepping the article's cell (one convolution over [x, h],
  gates i, f, c, o) per sample over its own length, with the same weights as the node.
* convlstm_cell: golden from onnxruntime, cross-checked with onnx.reference; stepping this
  model T times in onnxruntime reproduces glc.ConvLSTM (oracle) on the same weights.

    build-venv-oracle/bin/python examples/convlstm_video/gen.py
"""

import os
import sys

import numpy as np
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from example_util import (GLC, agree, const, goldens_standard, make_model, node, rng_for, run_ort,  # noqa: E402
                          run_reference, u, write_case, glc_oracle)

N, T, C, H, W = 3, 4, 3, 8, 8  # 3 clips of up to 4 RGB frames of 8x8 pixels
C1 = 8                          # TimeDistributed Conv2D filters
F = 8                           # ConvLSTM filters
HP, WP = H // 2, W // 2         # after the 2x2 max pooling
CLASSES = 10
LENS = np.array([4, 2, 3], np.int32)
IFCO_TO_IOFC = [0, 3, 1, 2]
PRODUCER = "glc examples/convlstm_video/gen.py"


def to_iofc(a, axis=0):
    blocks = np.split(a, 4, axis=axis)
    return np.concatenate([blocks[j] for j in IFCO_TO_IOFC], axis=axis)


def cell_kernel(rng, c_in):
    """The article's cell: one 3x3 kernel over [x, h] with 4F outputs in gate order i, f, c, o."""
    return u(rng, (4 * F, c_in + F, 3, 3), -0.3, 0.3), u(rng, (4 * F,), -0.3, 0.3)


def glc_weights(K, bias, c_in):
    """The same cell as glc.ConvLSTM inputs W, R, B (gate order i, o, f, c; Rb = 0)."""
    W_ = to_iofc(K[:, :c_in])[None]
    R_ = to_iofc(K[:, c_in:])[None]
    B_ = np.concatenate([to_iofc(bias), np.zeros(4 * F, np.float32)])[None]
    return W_, R_, B_


def seed_cell_step(x, h, c, K, bias):
    """ConvLSTMCell.call of the article in float64: conv([x, h]) 'same', split i, f, c, o."""
    z = glc_oracle.conv_nd(np.concatenate([x, h], axis=1), K.astype(np.float64), [1, 1], [1, 1], [1, 1], [1, 1])
    z += bias.reshape(1, -1, 1, 1)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    zi, zf, zc, zo = np.split(z, 4, axis=1)
    c = sig(zf) * c + sig(zi) * np.tanh(zc)
    return sig(zo) * np.tanh(c), c


def video_classifier():
    name = "video_classifier"
    rng = rng_for(name)
    conv_W, conv_B = u(rng, (C1, C, 3, 3)), u(rng, (C1,), -0.1, 0.1)
    K, kb = cell_kernel(rng, C1)
    dense_W, dense_B = u(rng, (F * HP * WP, CLASSES), -0.1, 0.1), u(rng, (CLASSES,), -0.1, 0.1)
    W_, R_, B_ = glc_weights(K, kb, C1)
    inits = [const("conv_W", conv_W), const("conv_B", conv_B), const("lstm_W", W_), const("lstm_R", R_),
             const("lstm_B", B_), const("dense_W", dense_W), const("dense_B", dense_B),
             const("frames_shape", [N * T, C, H, W]), const("clips_shape", [N, T, C1, HP, WP]),
             const("flat_shape", [N, T, F * HP * WP])]
    nodes = [
        # TimeDistributed(Conv2D(relu, 'same')) and TimeDistributed(MaxPooling2D): fold T into N.
        node("Reshape", ["X", "frames_shape"], ["frames"]),                            # [N*T, C, H, W]
        node("Conv", ["frames", "conv_W", "conv_B"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        node("Relu", ["conv"], ["conv_relu"]),                                         # [N*T, C1, H, W]
        node("MaxPool", ["conv_relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),  # [N*T, C1, H/2, W/2]
        node("Reshape", ["pool", "clips_shape"], ["clips"]),                           # [N, T, C1, H/2, W/2]
        # RNN(ConvLSTMCell, return_sequences=True), batch-first, per-sample lengths.
        node("ConvLSTM", ["clips", "lstm_W", "lstm_R", "lstm_B", "sequence_lens"], ["lstm_y", "Y_h"],
             domain=GLC, hidden_size=F, auto_pad="SAME_UPPER", layout=1),              # [N, T, 1, F, H/2, W/2]
        # TimeDistributed(Flatten) -> Dense(10)
        node("Reshape", ["lstm_y", "flat_shape"], ["flat"]),                           # [N, T, F*H/2*W/2]
        node("MatMul", ["flat", "dense_W"], ["dense_mm"]),                             # [N, T, 10]
        node("Add", ["dense_mm", "dense_B"], ["logits"]),
    ]
    x = u(rng, (N, T, C, H, W), -1, 1)
    feeds = [("X", x), ("sequence_lens", LENS)]
    model = make_model(name, nodes, feeds, [("logits", (N, T, CLASSES), TensorProto.FLOAT),
                                            ("Y_h", (N, 1, F, HP, WP), TensorProto.FLOAT)], inits, PRODUCER)
    got = [np.asarray(a, np.float32) for a in run_reference(model, dict(feeds))]

    # Without the oracle's ConvLSTM: the convolutional front end from onnxruntime, then the
    # article's cell stepped per sample over its own length, then the Dense layer in numpy.
    front = make_model("front", nodes[:5], [("X", x)], [("clips", (N, T, C1, HP, WP), TensorProto.FLOAT)],
                       inits, PRODUCER)
    clips = run_ort(front, {"X": x})[0].astype(np.float64)
    seq = np.zeros((N, T, F, HP, WP))
    last = np.zeros((N, 1, F, HP, WP))
    for n in range(N):
        h = np.zeros((1, F, HP, WP))
        c = np.zeros_like(h)
        for t in range(LENS[n]):
            h, c = seed_cell_step(clips[n, t][None], h, c, K, kb)
            seq[n, t] = h[0]
        last[n] = h
    logits = seq.reshape(N, T, -1) @ dense_W.astype(np.float64) + dense_B
    diff = agree(name, "the article's single-conv cell", got, [logits, last], rtol=1e-4, atol=1e-6)
    write_case(HERE, name, model, feeds, got)
    return name, "onnx.reference + oracle; single-conv cell recomputation within %.1e" % diff


def convlstm_cell():
    name = "convlstm_cell"
    rng = rng_for(name)
    c_in, hh, ww = 2, 5, 6
    K, kb = cell_kernel(rng, c_in)
    inits = [const("cell_K", K), const("cell_b", kb), const("split", [F, F, F, F])]
    nodes = [node("Concat", ["x", "h"], ["xh"], axis=1),                                   # [N, C+F, H, W]
             node("Conv", ["xh", "cell_K", "cell_b"], ["z"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),  # [N, 4F, H, W]
             node("Split", ["z", "split"], ["zi", "zf", "zc", "zo"], axis=1),
             node("Sigmoid", ["zi"], ["i"]), node("Sigmoid", ["zf"], ["f"]), node("Tanh", ["zc"], ["g"]),
             node("Sigmoid", ["zo"], ["o"]),
             node("Mul", ["f", "c"], ["fc"]), node("Mul", ["i", "g"], ["ig"]), node("Add", ["fc", "ig"], ["c_next"]),
             node("Tanh", ["c_next"], ["c_tanh"]), node("Mul", ["o", "c_tanh"], ["h_next"])]
    n = 2
    x = u(rng, (n, c_in, hh, ww), -1, 1)
    h0 = u(rng, (n, F, hh, ww))
    c0 = u(rng, (n, F, hh, ww))
    feeds = [("x", x), ("h", h0), ("c", c0)]
    model = make_model(name, nodes, feeds, [("h_next", (n, F, hh, ww), TensorProto.FLOAT),
                                            ("c_next", (n, F, hh, ww), TensorProto.FLOAT)], inits, PRODUCER)
    got, how = goldens_standard(name, model, dict(feeds))

    # The cell stepped over a sequence in onnxruntime equals glc.ConvLSTM on the same weights.
    steps = 3
    xs = u(rng, (steps, n, c_in, hh, ww), -1, 1)
    h, c = np.zeros_like(h0), np.zeros_like(c0)
    ys = []
    for t in range(steps):
        h, c = run_ort(model, {"x": xs[t], "h": h, "c": c})
        ys.append(h)
    W_, R_, B_ = glc_weights(K, kb, c_in)
    Y, Y_h, Y_c = glc_oracle.conv_lstm(xs, W_, R_, B_, hidden_size=F, auto_pad="SAME_UPPER")
    diff = agree(name, "glc.ConvLSTM (oracle)", [Y[:, 0], Y_h[0], Y_c[0]], [np.stack(ys), h, c], rtol=1e-4, atol=1e-6)
    write_case(HERE, name, model, feeds, got)
    return name, how + "; stepped %d times = glc.ConvLSTM oracle within %.1e" % (steps, diff)


if __name__ == "__main__":
    for case, how in (video_classifier(), convlstm_cell()):
        print("%s: golden from %s" % (case, how))
