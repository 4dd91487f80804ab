"""The 2D Grid LSTM character model of seeds/004 (coreylynch/grid-lstm, after Kalchbrenner et
al. 2015 section 4.3) next to the stacked-LSTM baseline it was compared with.

Both read a batch of character ids and give, per step, the distribution of the next
character: tokens [N, T] int64 -> Gather (embedding [V, E]) -> recurrent core of width F ->
Gemm (F -> V) -> Softmax -> probs [N, T, V]. The cores:

    grid_lstm_<L>     one glc.GridLSTM node, K = 1 (the time axis) plus a depth axis of L
                      layers, weights tied along depth, depth prioritised (the depth LSTM sees
                      the new temporal hidden state), the embedding projected by W_in [F, E]
    stacked_lstm_<L>  L standard ONNX LSTMs of F units on top of each other (char-rnn)

for L = 3 and 6, the four models of the seed's experiment, scaled down to F = 16 units, a
vocabulary of 24 characters and sequences of 12 steps. The weights are random.

Goldens: grid_lstm_* from onnx.reference with glc.GridLSTM taken from the numpy oracle,
cross-checked with a direct numpy loop over (layer, time) written from the seed's
description; stacked_lstm_* from onnxruntime, cross-checked with onnx.reference.

    build-venv-oracle/bin/python examples/gridlstm_charmodel/gen.py
"""

import os
import sys

import numpy as np
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from example_util import (GLC, agree, const, goldens_standard, make_model, node, rng_for, run_reference,  # noqa: E402
                          u, write_case)

N, T = 2, 12   # 2 sequences of 12 characters
V, E, F = 24, 16, 16  # vocabulary, embedding width, units per layer
PRODUCER = "glc examples/gridlstm_charmodel/gen.py"


def embedding_and_head(rng):
    return {"embedding": u(rng, (V, E), -1, 1), "head_W": u(rng, (V, F)), "head_B": u(rng, (V,), -0.1, 0.1),
            "rows_shape": np.array([N * T, F], np.int64), "probs_shape": np.array([N, T, V], np.int64)}


def head(ntf):
    """[N, T, F] -> Gemm -> Softmax over the vocabulary -> probs [N, T, V]."""
    return [node("Reshape", [ntf, "rows_shape"], ["rows"]),                               # [N*T, F]
            node("Gemm", ["rows", "head_W", "head_B"], ["logits"], transB=1),             # [N*T, V]
            node("Softmax", ["logits"], ["probs_rows"], axis=1),
            node("Reshape", ["probs_rows", "probs_shape"], ["probs"])]                    # [N, T, V]


def tokens_for(rng):
    return rng.integers(0, V, size=(N, T)).astype(np.int64)


def numpy_grid(emb, W, B, W_in, L):
    """Grid LSTM over (time, depth), tied, depth prioritised, by a loop over layers and time.
    emb [N, T, E] -> top-layer depth hidden state [N, T, F]."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731

    def lstm(w, b, inp, mem):
        a = inp @ w.T + b
        i, o, f, g = sig(a[:, :F]), sig(a[:, F:2 * F]), sig(a[:, 2 * F:3 * F]), np.tanh(a[:, 3 * F:])
        mem = f * mem + i * g
        return o * np.tanh(mem), mem

    h_below = emb @ W_in.T  # depth input of layer 1: [N, T, F]
    m_below = np.zeros_like(h_below)
    for _ in range(L):
        h_time, m_time = np.zeros((N, F)), np.zeros((N, F))
        h_up, m_up = np.zeros_like(h_below), np.zeros_like(m_below)
        for t in range(T):
            h_time, m_time = lstm(W[0], B[0], np.concatenate([h_time, h_below[:, t]], 1), m_time)
            h_up[:, t], m_up[:, t] = lstm(W[1], B[1], np.concatenate([h_time, h_below[:, t]], 1), m_below[:, t])
        h_below, m_below = h_up, m_up
    return h_below


def grid_lstm(L):
    name = "grid_lstm_%d" % L
    rng = rng_for(name)
    w = embedding_and_head(rng)
    w.update({"grid_W": u(rng, (1, 2, 4 * F, 2 * F), -0.4, 0.4), "grid_B": u(rng, (1, 2, 4 * F)),
              "grid_W_in": u(rng, (F, E))})
    nodes = [node("Gather", ["embedding", "tokens"], ["emb"]),                               # [N, T, E]
             node("Transpose", ["emb"], ["emb_nct"], perm=[0, 2, 1]),                        # [N, E, T]
             node("GridLSTM", ["emb_nct", "grid_W", "grid_B", "grid_W_in"], ["grid_y"], domain=GLC, hidden_size=F,
                  num_layers=L, tied=1, priority=1),                                         # [N, F, T]
             node("Transpose", ["grid_y"], ["grid_ntf"], perm=[0, 2, 1])] + head("grid_ntf")  # [N, T, F]
    tokens = tokens_for(rng)
    model = make_model(name, nodes, [("tokens", tokens)], [("probs", (N, T, V), TensorProto.FLOAT)],
                       [const(k, v) for k, v in w.items()], PRODUCER)
    got = [np.asarray(a, np.float32) for a in run_reference(model, {"tokens": tokens})]

    top = numpy_grid(w["embedding"][tokens].astype(np.float64), w["grid_W"][0], w["grid_B"][0], w["grid_W_in"], L)
    logits = top @ w["head_W"].T.astype(np.float64) + w["head_B"]
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    diff = agree(name, "the direct numpy grid loop", got, [probs / probs.sum(-1, keepdims=True)], rtol=1e-4, atol=1e-6)
    write_case(HERE, name, model, [("tokens", tokens)], got)
    return name, "onnx.reference + oracle; direct numpy loop within %.1e" % diff


def stacked_lstm(L):
    name = "stacked_lstm_%d" % L
    rng = rng_for(name)
    w = embedding_and_head(rng)
    w["seq_shape"] = np.array([T, N, F], np.int64)
    nodes = [node("Gather", ["embedding", "tokens"], ["emb"]),                               # [N, T, E]
             node("Transpose", ["emb"], ["seq0"], perm=[1, 0, 2])]                           # [T, N, E]
    for k in range(1, L + 1):
        w["lstm%d_W" % k] = u(rng, (1, 4 * F, E if k == 1 else F))
        w["lstm%d_R" % k] = u(rng, (1, 4 * F, F))
        w["lstm%d_B" % k] = u(rng, (1, 8 * F))
        nodes += [node("LSTM", ["seq%d" % (k - 1), "lstm%d_W" % k, "lstm%d_R" % k, "lstm%d_B" % k],
                       ["lstm%d_y" % k], hidden_size=F),                                     # [T, 1, N, F]
                  node("Reshape", ["lstm%d_y" % k, "seq_shape"], ["seq%d" % k])]            # [T, N, F]
    nodes += [node("Transpose", ["seq%d" % L], ["top_ntf"], perm=[1, 0, 2])] + head("top_ntf")
    tokens = tokens_for(rng)
    model = make_model(name, nodes, [("tokens", tokens)], [("probs", (N, T, V), TensorProto.FLOAT)],
                       [const(k, v) for k, v in w.items()], PRODUCER)
    got, how = goldens_standard(name, model, {"tokens": tokens})
    write_case(HERE, name, model, [("tokens", tokens)], got)
    return name, how


if __name__ == "__main__":
    for L in (3, 6):
        for build in (grid_lstm, stacked_lstm):
            case, how = build(L)
            print("%s: golden from %s" % (case, how))
