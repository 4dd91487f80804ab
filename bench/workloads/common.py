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
