"""Weights in one canonical form and their layouts in each framework.

An LSTM layer's weights are kept per gate g in ("i", "o", "f", "c"): W[g] (H x I),
R[g] (H x H), Wb[g], Rb[g] (H). ONNX stacks them i,o,f,c; Keras i,f,c,o (one bias,
Wb + Rb); PyTorch i,f,g,o (g = c) with separate input and hidden biases.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ONNX_ORDER = ("i", "o", "f", "c")
KERAS_ORDER = ("i", "f", "c", "o")
TORCH_ORDER = ("i", "f", "c", "o")


def lstm_weights(rng, input_size, hidden):
    s = 1.0 / np.sqrt(hidden)
    u = lambda *shape: rng.uniform(-s, s, shape).astype(np.float32)
    return {"W": {g: u(hidden, input_size) for g in ONNX_ORDER},
            "R": {g: u(hidden, hidden) for g in ONNX_ORDER},
            "Wb": {g: u(hidden) for g in ONNX_ORDER},
            "Rb": {g: u(hidden) for g in ONNX_ORDER}}


def onnx_lstm_tensors(w):
    W = np.concatenate([w["W"][g] for g in ONNX_ORDER])[None]
    R = np.concatenate([w["R"][g] for g in ONNX_ORDER])[None]
    B = np.concatenate([w["Wb"][g] for g in ONNX_ORDER] + [w["Rb"][g] for g in ONNX_ORDER])[None]
    return W, R, B


def keras_lstm_weights(w):
    kernel = np.concatenate([w["W"][g] for g in KERAS_ORDER]).T
    rec = np.concatenate([w["R"][g] for g in KERAS_ORDER]).T
    bias = np.concatenate([w["Wb"][g] + w["Rb"][g] for g in KERAS_ORDER])
    return [kernel, rec, bias]


def torch_lstm_weights(w):
    return (np.concatenate([w["W"][g] for g in TORCH_ORDER]),
            np.concatenate([w["R"][g] for g in TORCH_ORDER]),
            np.concatenate([w["Wb"][g] for g in TORCH_ORDER]),
            np.concatenate([w["Rb"][g] for g in TORCH_ORDER]))


def make_model(nodes, inputs, outputs, inits, name, opset=17, domains=()):
    g = helper.make_graph(nodes, name, inputs, outputs,
                          [numpy_helper.from_array(a, n) for n, a in inits.items()])
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(g, opset_imports=ops, producer_name="glc-bench")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def f32_info(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def tf_variants(make_fn, example, post=lambda y: y):
    """Factories {"tensorflow": ..., "tensorflow-xla": ...} running the Keras model made by
    make_fn() on `example` inside tf.function, without and with XLA; post() maps the
    output to the compared layout."""
    def factory(threads, jit):
        import tensorflow as tf
        model = make_fn()
        fn = tf.function(lambda x: model(x, training=False), jit_compile=jit)
        x = tf.constant(example)
        return lambda: post(fn(x).numpy())
    return {"tensorflow": lambda th: factory(th, False),
            "tensorflow-xla": lambda th: factory(th, True)}


IOFC_FROM_IFCO = [0, 3, 1, 2]  # glc/ONNX block j comes from Keras block IOFC_FROM_IFCO[j]
IFCO_FROM_IOFC = [0, 2, 3, 1]  # Keras block j comes from glc/ONNX block IFCO_FROM_IOFC[j]


def reorder_blocks(a, order, axis=0):
    blocks = np.split(a, 4, axis=axis)
    return np.concatenate([blocks[j] for j in order], axis=axis)


def convlstm_weights(rng, c_in, f, k, rank=2):
    """glc.ConvLSTM weights of one direction: W [4F, C, k..], R [4F, F, k..], Wb [4F]
    (gate blocks i, o, f, c); Rb is zero so that Keras (one bias) maps exactly."""
    s = 1.0 / np.sqrt(f * k ** rank)
    u = lambda *shape: rng.uniform(-s, s, shape).astype(np.float32)
    return {"W": u(4 * f, c_in, *([k] * rank)), "R": u(4 * f, f, *([k] * rank)),
            "Wb": u(4 * f)}


def keras_convlstm_weights(w):
    """[kernel (k.., C, 4F), recurrent_kernel (k.., F, 4F), bias (4F)], blocks i, f, c, o."""
    rank = w["W"].ndim - 2
    to_keras = tuple(range(2, 2 + rank)) + (1, 0)
    return [np.transpose(reorder_blocks(w["W"], IFCO_FROM_IOFC), to_keras),
            np.transpose(reorder_blocks(w["R"], IFCO_FROM_IOFC), to_keras),
            reorder_blocks(w["Wb"], IFCO_FROM_IOFC)]


def onnx_convlstm_inits(w, prefix):
    f4 = w["W"].shape[0]
    return {prefix + "W": w["W"][None], prefix + "R": w["R"][None],
            prefix + "B": np.concatenate([w["Wb"], np.zeros(f4, np.float32)])[None]}


def torch_convlstm_layer(w, x, act="tanh"):
    """The best plain-PyTorch ConvLSTM layer we know: the input convolution for all steps
    in one conv2d call, then per step one conv2d of the state (4F output channels, all
    gates at once) and the gate arithmetic. x: [N, T, C, H, W] torch tensor."""
    import torch
    import torch.nn.functional as F
    Wt, Rt, bt = (torch.from_numpy(a) for a in (w["W"], w["R"], w["Wb"]))
    n, t, c, h, wd = x.shape
    f = w["R"].shape[1]
    pad = w["W"].shape[-1] // 2
    g = torch.tanh if act == "tanh" else torch.relu
    gx = F.conv2d(x.reshape(n * t, c, h, wd), Wt, bt, padding=pad).reshape(n, t, 4 * f, h, wd)
    hs = torch.zeros(n, f, h, wd)
    cs = torch.zeros(n, f, h, wd)
    ys = []
    rpad = w["R"].shape[-1] // 2
    for s in range(t):
        gates = gx[:, s] + F.conv2d(hs, Rt, padding=rpad)
        gi, go, gf, gc = gates.chunk(4, dim=1)
        cs = torch.sigmoid(gf) * cs + torch.sigmoid(gi) * g(gc)
        hs = torch.sigmoid(go) * g(cs)
        ys.append(hs)
    return torch.stack(ys, dim=1)


def unrolled_convlstm_onnx(prefix, x, w, n, t, f, hw, act="Tanh"):
    """Standard-ONNX nodes and initialisers for one ConvLSTM layer unrolled over t steps,
    the best form ONNX Runtime can get (tf2onnx's Loop is slower): the input convolution
    of all steps as one Conv over [N*T, C, H, W], then per step a 4F-channel Conv of the
    state, Split into gates, the cell arithmetic, and a final Concat. x: [N, T, C, H, W]
    -> returns (nodes, inits, name of [N, T, F, H, W])."""
    from onnx import helper
    N = helper.make_node
    p = prefix
    c_in, k = w["W"].shape[1], w["W"].shape[-1]
    pads = [k // 2] * 4
    rpads = [w["R"].shape[-1] // 2] * 4
    inits = {p + "W": w["W"], p + "R": w["R"], p + "Wb": w["Wb"],
             p + "s_in": np.array([n * t, c_in, hw, hw], np.int64),
             p + "s_g": np.array([n, t, 4 * f, hw, hw], np.int64),
             p + "split": np.array([f] * 4, np.int64), p + "ax1": np.array([1], np.int64)}
    nodes = [N("Reshape", [x, p + "s_in"], [p + "xin"]),
             N("Conv", [p + "xin", p + "W", p + "Wb"], [p + "gx_flat"], pads=pads),
             N("Reshape", [p + "gx_flat", p + "s_g"], [p + "gx"])]
    h = c = None
    hs = []
    for s in range(t):
        q = f"{p}t{s}_"
        inits[q + "idx"] = np.array(s, np.int64)
        nodes.append(N("Gather", [p + "gx", q + "idx"], [q + "gx"], axis=1))
        gates = q + "gx"
        if h is not None:
            nodes += [N("Conv", [h, p + "R"], [q + "gh"], pads=rpads),
                      N("Add", [q + "gx", q + "gh"], [q + "g"])]
            gates = q + "g"
        nodes += [N("Split", [gates, p + "split"], [q + "i", q + "o", q + "f", q + "c"], axis=1),
                  N("Sigmoid", [q + "i"], [q + "si"]), N("Sigmoid", [q + "o"], [q + "so"]),
                  N(act, [q + "c"], [q + "ac"]), N("Mul", [q + "si", q + "ac"], [q + "ic"])]
        if c is None:
            nodes.append(N("Identity", [q + "ic"], [q + "cell"]))
        else:
            nodes += [N("Sigmoid", [q + "f"], [q + "sf"]), N("Mul", [q + "sf", c], [q + "fc"]),
                      N("Add", [q + "fc", q + "ic"], [q + "cell"])]
        c = q + "cell"
        nodes += [N(act, [c], [q + "act_c"]), N("Mul", [q + "so", q + "act_c"], [q + "h"]),
                  N("Unsqueeze", [q + "h", p + "ax1"], [q + "h1"])]
        h = q + "h"
        hs.append(q + "h1")
    nodes.append(N("Concat", hs, [p + "y"], axis=1))
    return nodes, inits, p + "y"


def bn_params(rng, c):
    return {"scale": rng.uniform(0.5, 1.5, c).astype(np.float32),
            "bias": rng.uniform(-0.5, 0.5, c).astype(np.float32),
            "mean": rng.uniform(-0.5, 0.5, c).astype(np.float32),
            "var": rng.uniform(0.5, 1.5, c).astype(np.float32)}
