"""The random-diagonal task of seeds/001 (philipperemy/tensorflow-multi-dimensional-lstm):
a 2D MD-LSTM and its two one-dimensional baselines, on 8x8 and 32x32 matrices.

Task: a matrix of small noise U(0, 0.1) holds two ones at (i, j) and (i+1, j+1); the model
outputs, per cell, the probability that the cell is one of the two. Models (input
X [N, 1, S, S], output P [N, 1, S, S]; each is followed, as in the repository, by a per-cell
linear layer to one unit and a sigmoid):

    md_lstm_<S>     glc.MDLSTM (graves cell, one direction, scanning from the top-left, 16
                    units) -> Conv 1x1 -> Sigmoid. Weights: the trained model of
                    ../mdlstm_train (400 Adam steps on 8x8 matrices), reused unchanged at 32x32.
    horizontal_<S>  HORIZONTAL_SD_LSTM: an ONNX LSTM along every row (the rows of all
                    matrices are one batch) -> MatMul/Add -> Sigmoid. Random weights.
    snake_<S>       SNAKE_SD_LSTM: the matrix flattened row by row into one sequence of S*S
                    steps, so the second one comes S+1 steps after the first -> ONNX LSTM ->
                    MatMul/Add -> Sigmoid. Random weights.

Goldens: md_lstm_* from onnx.reference with glc.MDLSTM supplied by the numpy oracle
(tests/oracle/glc_oracle.py), cross-checked against a direct numpy loop of the 2D graves cell
written from the seed's description; the baselines from onnxruntime, cross-checked with
onnx.reference.

    build-venv-oracle/bin/python examples/mdlstm_diagonal/gen.py
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from example_util import (GLC, agree, const, goldens_standard, make_model, node, rng_for, run_reference,  # noqa: E402
                          u, write_case)

BATCH = {8: 4, 32: 2}  # matrices per batch, by size (keeps the 32x32 runs short)
F = 16     # units (the trained model's hidden size)
F_SD = 16  # units of the baselines
PRODUCER = "glc examples/mdlstm_diagonal/gen.py"


def diagonal_batch(rng, n, s):
    """The task's inputs and the positions of the second one."""
    x = rng.uniform(0.0, 0.1, (n, 1, s, s)).astype(np.float32)
    i = rng.integers(0, s - 1, n)
    j = rng.integers(0, s - 1, n)
    for k in range(n):
        x[k, 0, i[k], j[k]] = 1.0
        x[k, 0, i[k] + 1, j[k] + 1] = 1.0
    return x, np.stack([i + 1, j + 1], 1)


def trained_weights():
    m = onnx.load(os.path.join(HERE, "..", "mdlstm_train", "model.onnx"))
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def numpy_md_lstm(x, W, R, B):
    """2D MD-LSTM (graves cell, no peepholes), one direction, by a plain loop over the grid:
    a = W x + R_up h_up + R_left h_left + B; gates i, o, f_up, f_left, c."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    n, _, s, _ = x.shape
    h = np.zeros((n, F, s + 1, s + 1))  # row/column 0 is the zero outside of the grid
    c = np.zeros((n, F, s + 1, s + 1))
    for r in range(1, s + 1):
        for q in range(1, s + 1):
            a = x[:, :, r - 1, q - 1] @ W.T + h[:, :, r - 1, q] @ R[0].T + h[:, :, r, q - 1] @ R[1].T + B
            i, o, fu, fl = (sig(a[:, k * F:(k + 1) * F]) for k in range(4))
            c[:, :, r, q] = i * np.tanh(a[:, 4 * F:]) + fu * c[:, :, r - 1, q] + fl * c[:, :, r, q - 1]
            h[:, :, r, q] = o * np.tanh(c[:, :, r, q])
    return h[:, :, 1:, 1:]


def md_lstm(s):
    name = "md_lstm_%d" % s
    N = BATCH[s]
    w = trained_weights()
    inits = [const("md_W", w["md.W"]), const("md_R", w["md.R"]), const("md_B", w["md.B"]),
             const("head_W", w["head.weight"]), const("head_B", w["head.bias"]), const("hidden_shape", [N, F, s, s])]
    nodes = [node("MDLSTM", ["X", "md_W", "md_R", "md_B"], ["md_y"], domain=GLC, hidden_size=F, directions=1,
                  cell="graves"),                                                 # [N, 1, F, S, S]
             node("Reshape", ["md_y", "hidden_shape"], ["md_h"]),                 # [N, F, S, S]
             node("Conv", ["md_h", "head_W", "head_B"], ["logit"], kernel_shape=[1, 1]),  # [N, 1, S, S]
             node("Sigmoid", ["logit"], ["P"])]
    x, second = diagonal_batch(rng_for(name), N, s)
    model = make_model(name, nodes, [("X", x)], [("P", (N, 1, s, s), TensorProto.FLOAT)], inits, PRODUCER)
    got = [np.asarray(a, np.float32) for a in run_reference(model, {"X": x})]
    hid = numpy_md_lstm(x.astype(np.float64), w["md.W"][0], w["md.R"][0], w["md.B"][0])
    logit = np.einsum("nfij,f->nij", hid, w["head.weight"][0, :, 0, 0].astype(np.float64)) + w["head.bias"][0]
    diff = agree(name, "the numpy MD-LSTM loop", got, [1.0 / (1.0 + np.exp(-logit[:, None]))], rtol=1e-4, atol=1e-6)
    write_case(HERE, name, model, [("X", x)], got)
    hits = sum(int(np.unravel_index(np.argmax(np.where(after_first(s, p), got[0][k, 0], -1)), (s, s)) == tuple(p))
               for k, p in enumerate(second))
    return name, "onnx.reference + oracle; numpy loop within %.1e; second one found in %d/%d" % (diff, hits, N)


def after_first(s, second):
    """Cells after the first one in scan order (where predicting the second one makes sense)."""
    idx = np.arange(s * s).reshape(s, s)
    return idx > (second[0] - 1) * s + (second[1] - 1)


def lstm_inits(rng, prefix):
    return [const(prefix + "_W", u(rng, (1, 4 * F_SD, 1))), const(prefix + "_R", u(rng, (1, 4 * F_SD, F_SD))),
            const(prefix + "_B", u(rng, (1, 8 * F_SD))), const("head_W", u(rng, (F_SD, 1))),
            const("head_B", u(rng, (1,)))]


def head(seq, out_seq_shape):
    """[T, 1, B, F] LSTM output -> per-step linear to one unit -> sigmoid -> [T, B, 1]."""
    return [node("Reshape", [seq, out_seq_shape], ["lstm_h"]),      # [T, B, F]
            node("MatMul", ["lstm_h", "head_W"], ["head_mm"]),      # [T, B, 1]
            node("Add", ["head_mm", "head_B"], ["logit"]),
            node("Sigmoid", ["logit"], ["p_seq"])]


def horizontal(s):
    name = "horizontal_%d" % s
    N = BATCH[s]
    rng = rng_for(name)
    inits = lstm_inits(rng, "lstm") + [const("rows_shape", [N * s, s, 1]), const("lstm_out_shape", [s, N * s, F_SD]),
                                       const("p_shape", [N, 1, s, s])]
    nodes = [node("Reshape", ["X", "rows_shape"], ["rows"]),                           # [N*S rows, S, 1]
             node("Transpose", ["rows"], ["rows_seq"], perm=[1, 0, 2]),                # [S, N*S, 1]
             node("LSTM", ["rows_seq", "lstm_W", "lstm_R", "lstm_B"], ["lstm_y"], hidden_size=F_SD)]
    nodes += head("lstm_y", "lstm_out_shape")                                           # [S, N*S, 1]
    nodes += [node("Transpose", ["p_seq"], ["p_rows"], perm=[1, 0, 2]),                # [N*S, S, 1]
              node("Reshape", ["p_rows", "p_shape"], ["P"])]
    return baseline(name, s, nodes, inits)


def snake(s):
    name = "snake_%d" % s
    N = BATCH[s]
    rng = rng_for(name)
    inits = lstm_inits(rng, "lstm") + [const("flat_shape", [N, s * s, 1]), const("lstm_out_shape", [s * s, N, F_SD]),
                                       const("p_shape", [N, 1, s, s])]
    nodes = [node("Reshape", ["X", "flat_shape"], ["flat"]),                           # [N, S*S, 1] row by row
             node("Transpose", ["flat"], ["flat_seq"], perm=[1, 0, 2]),                # [S*S, N, 1]
             node("LSTM", ["flat_seq", "lstm_W", "lstm_R", "lstm_B"], ["lstm_y"], hidden_size=F_SD)]
    nodes += head("lstm_y", "lstm_out_shape")                                           # [S*S, N, 1]
    nodes += [node("Transpose", ["p_seq"], ["p_flat"], perm=[1, 0, 2]),                # [N, S*S, 1]
              node("Reshape", ["p_flat", "p_shape"], ["P"])]
    return baseline(name, s, nodes, inits)


def baseline(name, s, nodes, inits):
    N = BATCH[s]
    x, _ = diagonal_batch(rng_for(name), N, s)
    model = make_model(name, nodes, [("X", x)], [("P", (N, 1, s, s), TensorProto.FLOAT)], inits, PRODUCER)
    got, how = goldens_standard(name, model, {"X": x})
    write_case(HERE, name, model, [("X", x)], got)
    return name, how


if __name__ == "__main__":
    for s in (8, 32):
        for build in (md_lstm, horizontal, snake):
            case, how = build(s)
            print("%s: golden from %s" % (case, how))
