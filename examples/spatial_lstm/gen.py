"""The spatial LSTM of Theis & Bethge 2015 ("Generative image modeling using spatial LSTMs",
seeds/003) as glc.MDLSTM with cell=spatial, on a 2D image and on a 3D volume.

At position p, with p_d the predecessor along axis d (zero state outside the grid):

    (i, o, f_1..f_R, g) = (sigmoid, sigmoid, sigmoid.., tanh)(W x_p + sum_d R_d h_{p_d} + b)
    c_p = g * i + sum_d f_d * c_{p_d}
    h_p = tanh(c_p * o)

(the article's 2D form: c_ij = g_ij i_ij + c_i,j-1 f^c_ij + c_i-1,j f^r_ij, h_ij = tanh(c_ij o_ij)).
Cases:

    slstm_image   X [N, 1, 8, 8] grey patches -> two spatial LSTM layers of 16 units (RIDE
                  stacks two) -> Conv 1x1 -> one value per pixel [N, 1, 8, 8]
    slstm_volume  X [N, 2, 4, 5, 6] -> one 3D spatial LSTM layer of 8 units -> Conv 1x1x1
                  -> [N, 1, 4, 5, 6] (the article's "3D LSTM")

The readout is a plain linear layer; the paper's mixture-of-experts density (MCGSM) on top of
the hidden states is not part of the example. Goldens: onnx.reference with glc.MDLSTM taken
from the numpy oracle, cross-checked with the loop above written out directly in numpy.

    build-venv-oracle/bin/python examples/spatial_lstm/gen.py
"""

import itertools
import os
import sys

import numpy as np
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from example_util import (GLC, agree, const, make_model, node, rng_for, run_reference, u,  # noqa: E402
                          write_case)

PRODUCER = "glc examples/spatial_lstm/gen.py"


def slstm_weights(rng, prefix, c_in, F, rank):
    G = 3 + rank  # blocks i, o, f_1..f_R, c
    return {prefix + "_W": u(rng, (1, G * F, c_in)), prefix + "_R": u(rng, (1, rank, G * F, F), -0.3, 0.3),
            prefix + "_B": u(rng, (1, G * F))}


def numpy_slstm(x, W, R, B, F):
    """The spatial LSTM by a direct loop; x [N, C, S...] float64 -> h [N, F, S...]."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    n, spatial = x.shape[0], x.shape[2:]
    rank = len(spatial)
    pad = [(0, 0), (0, 0)] + [(1, 0)] * rank  # index 0 along each axis: outside of the grid
    h = np.pad(np.zeros((n, F) + spatial), pad)
    c = np.pad(np.zeros((n, F) + spatial), pad)
    for p in itertools.product(*[range(1, s + 1) for s in spatial]):
        at = (slice(None), slice(None)) + p
        prev = [(slice(None), slice(None)) + p[:d] + (p[d] - 1,) + p[d + 1:] for d in range(rank)]
        a = x[(slice(None), slice(None)) + tuple(q - 1 for q in p)] @ W.T + B
        for d in range(rank):
            a = a + h[prev[d]] @ R[d].T
        blk = [a[:, k * F:(k + 1) * F] for k in range(3 + rank)]
        c[at] = np.tanh(blk[-1]) * sig(blk[0]) + sum(sig(blk[2 + d]) * c[prev[d]] for d in range(rank))
        h[at] = np.tanh(c[at] * sig(blk[1]))
    return h[(slice(None), slice(None)) + (slice(1, None),) * rank]


def build(name, N, C, spatial, layers):
    """`layers`: hidden sizes of the stacked spatial LSTMs; a 1x..x1 Conv reads out one channel."""
    rng = rng_for(name)
    rank = len(spatial)
    x = u(rng, (N, C) + spatial, -1, 1)
    nodes, weights, c_in, cur = [], {}, C, "X"
    for k, F in enumerate(layers):
        p = "slstm%d" % (k + 1)
        weights.update(slstm_weights(rng, p, c_in, F, rank))
        weights[p + "_shape"] = np.array((N, F) + spatial, np.int64)
        nodes += [node("MDLSTM", [cur, p + "_W", p + "_R", p + "_B"], [p + "_y"], domain=GLC, hidden_size=F,
                       cell="spatial"),                                              # [N, 1, F, S...]
                  node("Reshape", [p + "_y", p + "_shape"], [p + "_h"])]             # [N, F, S...]
        c_in, cur = F, p + "_h"
    weights["readout_W"] = u(rng, (1, c_in) + (1,) * rank)
    weights["readout_B"] = u(rng, (1,), -0.1, 0.1)
    nodes.append(node("Conv", [cur, "readout_W", "readout_B"], ["Y"], kernel_shape=[1] * rank))
    model = make_model(name, nodes, [("X", x)], [("Y", (N, 1) + spatial, TensorProto.FLOAT)],
                       [const(k, v) for k, v in weights.items()], PRODUCER)
    got = [np.asarray(a, np.float32) for a in run_reference(model, {"X": x})]

    h = x.astype(np.float64)
    for k, F in enumerate(layers):
        p = "slstm%d" % (k + 1)
        h = numpy_slstm(h, weights[p + "_W"][0], weights[p + "_R"][0], weights[p + "_B"][0], F)
    want = np.einsum("nc...,c->n...", h, weights["readout_W"].reshape(-1)) + weights["readout_B"][0]
    diff = agree(name, "the direct numpy loop", got, [want[:, None]], rtol=1e-4, atol=1e-6)
    write_case(HERE, name, model, [("X", x)], got)
    return name, "onnx.reference + oracle; direct numpy loop within %.1e" % diff


if __name__ == "__main__":
    for case, how in (build("slstm_image", 2, 1, (8, 8), [16, 16]), build("slstm_volume", 2, 2, (4, 5, 6), [8])):
        print("%s: golden from %s" % (case, how))
