"""W4: the 2D Grid LSTM character model (Kalchbrenner et al.; coreylynch/grid-lstm): time x
depth, tied weights, prioritised depth, 6 layers of 512 units, vocabulary 205, T=50
(batch 1 and 32).

    tokens [N, T] -> Gather(embedding 205x512) -> glc.GridLSTM(K=1, L=6, tied, priority)
    -> MatMul(512x205) + bias -> Softmax                 => [N, T, 205]

glc runs exactly that ONNX graph. TensorFlow and PyTorch compute the same grid layer by
layer, which the dependencies allow (block (t, l) needs (t-1, l) and (t, l-1)): per layer,
the time cell's input half for all steps as one matmul, the sequential recurrence over t,
then the depth cell for all steps as one matmul (priority: it sees the new time h).
"""
import numpy as np
from onnx import TensorProto, helper

from harness import Workload
from workloads import common

ID = "W4"
TITLE = "2D Grid LSTM char model, tied, prioritised depth, 6 layers x 512, vocab 205, T=50"
GLC_VARIANTS = ("glc-bf16w", "glc-bf16")  # harness: also time glc --bf16-weights and glc --bf16
PEERS = {
    "glc-bf16": "the same model compiled with `glc --bf16` (every product as avx512bf16 dot "
                "products: both operands rounded to bf16, f32 sums)",
    "glc-bf16w": "the same model compiled with `glc --bf16-weights` (constant product "
                 "weights held as bf16, f32 arithmetic)",
    "tensorflow": "layer-by-layer grid (time-cell input half and depth cell as one matmul over "
                  "all steps, tf.scan over time for the recurrence) in tf.function; "
                  "tensorflow-xla adds jit_compile=True",
    "pytorch": "the same layer-by-layer grid in eager PyTorch (Python loop over time), under "
               "torch.inference_mode()",
}
L, F, V, T = 6, 512, 205, 50


def configs(quick):
    return [{"batch": 1}] if quick else [{"batch": 1}, {"batch": 32}]


def _params(rng):
    s = 1.0 / np.sqrt(2 * F)
    return {"emb": rng.uniform(-1, 1, (V, F)).astype(np.float32),
            "W": rng.uniform(-s, s, (1, 2, 4 * F, 2 * F)).astype(np.float32),
            "B": rng.uniform(-s, s, (1, 2, 4 * F)).astype(np.float32),
            "Wo": rng.uniform(-1 / np.sqrt(F), 1 / np.sqrt(F), (F, V)).astype(np.float32),
            "bo": np.zeros(V, np.float32)}


def _onnx(p, n):
    N = helper.make_node
    nodes = [N("Gather", ["emb", "tokens"], ["e"], axis=0),                 # [N, T, F]
             N("Transpose", ["e"], ["x"], perm=[0, 2, 1]),                  # [N, F, T]
             N("GridLSTM", ["x", "W", "B"], ["g"], domain="ai.glc", name="grid",
               hidden_size=F, num_layers=L, tied=1, priority=1),            # [N, F, T]
             N("Transpose", ["g"], ["gt"], perm=[0, 2, 1]),                 # [N, T, F]
             N("MatMul", ["gt", "Wo"], ["logits0"]),
             N("Add", ["logits0", "bo"], ["logits"]),
             N("Softmax", ["logits"], ["y"], axis=-1)]
    tokens = helper.make_tensor_value_info("tokens", TensorProto.INT64, [n, T])
    return common.make_model(nodes, [tokens], [common.f32_info("y", (n, T, V))],
                             {k: p[k] for k in ("emb", "W", "B", "Wo", "bo")}, "w4_gridlstm",
                             domains=("ai.glc",))


def _gates(a, m_prev, sig, tanh):
    ai, ao, af, ac = (a[..., j * F:(j + 1) * F] for j in range(4))
    m = sig(af) * m_prev + sig(ai) * tanh(ac)
    return sig(ao) * tanh(m), m


def _tf_factory(p, tokens, jit):
    def factory(threads):
        import tensorflow as tf
        w_t, w_d = p["W"][0, 0], p["W"][0, 1]       # time cell, depth cell: [4F, 2F]
        b_t, b_d = p["B"][0, 0], p["B"][0, 1]

        @tf.function(jit_compile=jit)
        def model(tok):
            hd = tf.gather(p["emb"], tok)             # h_depth(t, 0): [N, T, F]
            md = tf.zeros_like(hd)
            n = tf.shape(hd)[0]
            for _ in range(L):
                xin = tf.einsum("ntf,gf->tng", hd, w_t[:, F:]) + b_t   # [T, N, 4F]

                def step(state, a_x):
                    h, m = state
                    return _gates(a_x + tf.matmul(h, w_t[:, :F], transpose_b=True), m,
                                  tf.sigmoid, tf.tanh)
                zero = tf.zeros((n, F))
                h0, _ = tf.scan(step, xin, initializer=(zero, zero))    # [T, N, F]
                h0 = tf.transpose(h0, (1, 0, 2))
                a = tf.einsum("ntk,gk->ntg", tf.concat([h0, hd], axis=-1), w_d) + b_d
                hd, md = _gates(a, md, tf.sigmoid, tf.tanh)
            logits = tf.einsum("ntf,fv->ntv", hd, p["Wo"]) + p["bo"]
            return tf.nn.softmax(logits, axis=-1)
        tok = tf.constant(tokens)
        return lambda: model(tok).numpy()
    return factory


def _torch_factory(p, tokens):
    def factory(threads):
        import torch
        torch.set_num_threads(threads)
        t = {k: torch.from_numpy(v) for k, v in p.items()}
        w_t, w_d, b_t, b_d = t["W"][0, 0], t["W"][0, 1], t["B"][0, 0], t["B"][0, 1]
        w_th, w_tx = w_t[:, :F].T.contiguous(), w_t[:, F:].T.contiguous()
        w_dT = w_d.T.contiguous()
        tok = torch.from_numpy(tokens)

        def run():
            with torch.inference_mode():
                hd = t["emb"][tok]                                   # [N, T, F]
                md = torch.zeros_like(hd)
                n = hd.shape[0]
                for _ in range(L):
                    xin = hd @ w_tx + b_t                            # [N, T, 4F]
                    h, m = torch.zeros(n, F), torch.zeros(n, F)
                    hs = []
                    for s in range(T):
                        h, m = _gates(xin[:, s] + h @ w_th, m, torch.sigmoid, torch.tanh)
                        hs.append(h)
                    h0 = torch.stack(hs, dim=1)
                    hd, md = _gates(torch.cat([h0, hd], -1) @ w_dT + b_d, md, torch.sigmoid,
                                    torch.tanh)
                return torch.softmax(hd @ t["Wo"] + t["bo"], dim=-1).numpy()
        return run
    return factory


def build(cfg):
    n = cfg["batch"]
    rng = np.random.default_rng(4)
    p = _params(rng)
    tokens = rng.integers(0, V, (n, T)).astype(np.int64)
    flops = 2.0 * n * T * L * 2 * (2 * F) * (4 * F) + 2.0 * n * T * F * V
    wl = Workload(feeds={"tokens": tokens}, flops=flops, systems={}, onnx_model=_onnx(p, n))
    wl.systems["glc"] = None
    wl.systems["tensorflow"] = _tf_factory(p, tokens, False)
    wl.systems["tensorflow-xla"] = _tf_factory(p, tokens, True)
    wl.systems["pytorch"] = _torch_factory(p, tokens)
    return wl
