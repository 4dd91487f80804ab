"""Shared helpers of the example generators (examples/<name>/gen.py).

Every example writes its models in the ONNX backend test layout that the conformance runner
reads (tests/conformance/conformance.c):

    examples/<name>/<case>/model.onnx
    examples/<name>/<case>/test_data_set_0/input_<i>.pb    graph inputs, in order
    examples/<name>/<case>/test_data_set_0/output_<i>.pb   golden outputs, in order

and computes its golden outputs with a reference that is not glc:
* standard ONNX operators only: onnxruntime, cross-checked with onnx.reference;
* with ai.glc operators: onnx.reference.ReferenceEvaluator, the ai.glc nodes supplied as
  custom OpRun classes (GLC_OPS below) that call the numpy oracle tests/oracle/glc_oracle.py.
For every model with an ai.glc operator (and for gridlstm2d) the gen.py adds a check that does
not go through the oracle, a second numpy formulation taken from the seed article, so those
goldens are checked twice as well.

Needs onnx >= 1.15 and onnxruntime: run the generators with build-venv-oracle/bin/python.
They are deterministic: every case draws from a generator seeded with crc32(case name).
"""

import os
import shutil
import sys
import zlib

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "oracle"))
import glc_oracle  # noqa: E402

GLC = "ai.glc"
OPSET = 17  # default domain; ai.glc is version 1
IR_VERSION = 8


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def u(rng, shape, lo=-0.5, hi=0.5):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def const(name, a):
    """An initializer from a numpy array (int lists become int64 shape tensors)."""
    if isinstance(a, (list, tuple)):
        a = np.array(a, dtype=np.int64)
    return numpy_helper.from_array(a, name)


def node(op, inputs, outputs, **attrs):
    domain = attrs.pop("domain", "")
    return helper.make_node(op, inputs, outputs, domain=domain, **attrs)


def make_model(name, nodes, inputs, outputs, inits, producer):
    """inputs: list of (name, array) fed at run time; outputs: list of (name, shape, dtype)."""
    g_in = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
            for n, a in inputs]
    g_out = [helper.make_tensor_value_info(n, dt, list(shape)) for n, shape, dt in outputs]
    graph = helper.make_graph(nodes, name, g_in, g_out, initializer=inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if any(n.domain == GLC for n in nodes):
        opsets.append(helper.make_opsetid(GLC, 1))
    model = helper.make_model(graph, producer_name=producer, opset_imports=opsets)
    model.ir_version = IR_VERSION
    return model


def write_case(root, name, model, inputs, outputs):
    """Writes <root>/<name>/model.onnx and test_data_set_0. inputs: list of (name, array) in
    graph-input order; outputs: list of arrays in graph-output order."""
    d = os.path.join(root, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    with open(os.path.join(d, "model.onnx"), "wb") as fh:
        fh.write(model.SerializeToString())
    for i, (n, a) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % i), "wb") as fh:
            fh.write(numpy_helper.from_array(a, n).SerializeToString())
    for i, (o, a) in enumerate(zip(model.graph.output, outputs)):
        want = tuple(d.dim_value for d in o.type.tensor_type.shape.dim)
        if a.shape != want or a.dtype != np.float32:
            raise SystemExit("%s: golden %s is %s %s, the graph says %s" % (name, o.name, a.dtype, a.shape, want))
        with open(os.path.join(d, "test_data_set_0", "output_%d.pb" % i), "wb") as fh:
            fh.write(numpy_helper.from_array(a, o.name).SerializeToString())


# ---------------------------------------------------------------------------------------
# The ai.glc operators for onnx.reference, wrapping the numpy oracle
# ---------------------------------------------------------------------------------------


def _attrs(kw):
    """OpRun hands string attributes over as str or bytes and absent ones as None."""
    out = {}
    for k, v in kw.items():
        if v is None:
            continue
        if isinstance(v, bytes):
            v = v.decode()
        if isinstance(v, (list, tuple)):
            v = [x.decode() if isinstance(x, bytes) else x for x in v]
        out[k] = v
    return out


class _GlcOp(OpRun):
    op_domain = GLC

    def _requested(self, results):
        """ReferenceEvaluator binds the returned tuple to the non-empty output names in order."""
        names = list(self.onnx_node.output)
        names += [""] * (len(results) - len(names))
        return tuple(r for r, n in zip(results, names) if n)


class ConvLSTM(_GlcOp):
    def _run(self, X, W, R, B=None, sequence_lens=None, initial_h=None, initial_c=None, P=None,
             hidden_size=None, kernel_shape=None, strides=None, dilations=None, pads=None, auto_pad=None,
             direction=None, activations=None, activation_alpha=None, activation_beta=None, clip=None,
             layout=None):
        kw = _attrs(dict(hidden_size=hidden_size, kernel_shape=kernel_shape, strides=strides, dilations=dilations,
                         pads=pads, auto_pad=auto_pad, direction=direction, activations=activations,
                         activation_alpha=activation_alpha, activation_beta=activation_beta, clip=clip,
                         layout=layout))
        return self._requested(glc_oracle.conv_lstm(X, W, R, B, sequence_lens, initial_h, initial_c, P, **kw))


class MDLSTM(_GlcOp):
    def _run(self, X, W, R, B=None, P=None, extents=None, hidden_size=None, directions=None, cell=None,
             activations=None, activation_alpha=None, activation_beta=None, clip=None):
        kw = _attrs(dict(hidden_size=hidden_size, directions=directions, cell=cell, activations=activations,
                         activation_alpha=activation_alpha, activation_beta=activation_beta, clip=clip))
        return (glc_oracle.md_lstm(X, W, R, B, P, extents, **kw),)


class GridLSTM(_GlcOp):
    def _run(self, X, W, B=None, W_in=None, hidden_size=None, num_layers=None, tied=None, priority=None,
             activations=None, activation_alpha=None, activation_beta=None, clip=None):
        kw = _attrs(dict(hidden_size=hidden_size, num_layers=num_layers, tied=tied, priority=priority,
                         activations=activations, activation_alpha=activation_alpha,
                         activation_beta=activation_beta, clip=clip))
        return (glc_oracle.grid_lstm(X, W, B, W_in, **kw),)


GLC_OPS = [ConvLSTM, MDLSTM, GridLSTM]


def run_reference(model, feeds):
    """onnx.reference with the ai.glc operators from the oracle. Returns the output list."""
    return ReferenceEvaluator(model, new_ops=GLC_OPS).run(None, dict(feeds))


def run_ort(model, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, dict(feeds))


def agree(name, what, want, have, rtol=1e-5, atol=1e-6):
    """Refuses a case whose two references disagree."""
    for k, (a, b) in enumerate(zip(want, have)):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
            raise SystemExit("%s: output %d disagrees with %s (shapes %s, %s; max diff %s)" % (
                name, k, what, a.shape, b.shape, np.abs(a - b).max() if a.shape == b.shape else "-"))
    return max(float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max())
               for a, b in zip(want, have))


def goldens_standard(name, model, feeds):
    """Goldens of a standard-ops model: onnxruntime, cross-checked with onnx.reference."""
    onnx.checker.check_model(model, full_check=True)
    got = [np.asarray(a, np.float32) for a in run_ort(model, feeds)]
    diff = agree(name, "onnx.reference", got, run_reference(model, feeds))
    return got, "onnxruntime; onnx.reference within %.1e" % diff


def np_lstm(X, W, R, B, F):
    """Plain ONNX LSTM, one direction, default activations, float64: X [T, N, I], W [4F, I],
    R [4F, F], B [8F] (gates i, o, f, c). Returns Y [T, N, F]."""
    T, N = X.shape[:2]
    h = np.zeros((N, F))
    c = np.zeros((N, F))
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    Y = np.zeros((T, N, F))
    for t in range(T):
        a = X[t].astype(np.float64) @ W.T + h @ R.T + B[:4 * F] + B[4 * F:]
        i, o, f, g = sig(a[:, :F]), sig(a[:, F:2 * F]), sig(a[:, 2 * F:3 * F]), np.tanh(a[:, 3 * F:])
        c = f * c + i * g
        h = o * np.tanh(c)
        Y[t] = h
    return Y
