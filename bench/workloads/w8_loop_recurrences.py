"""W8: loop-encoded recurrences (issue 22): Keras models as tf2onnx exports them, i.e. with the
recurrence left as an ONNX Loop over the cell: a masked GRU (Masking(0) -> GRU(128), 64
features, T = 100, rows post-padded) and a two-layer ConvLSTM2D (32 filters, 3x3, 'same',
32x32 frames of 1 channel, T = 20; the second layer returns its last state), batch 1 and 8.

Systems, all on the same weights and input:
- glc: tf2onnx's .onnx compiled by glc: raise-recurrence turns the ConvLSTM2D Loops into
  ai.glc.ConvLSTM nodes; the masked GRU stays a Loop (compiled natively).
- glc-winograd: the same with `glc --winograd` (the ConvLSTMs' 3x3 convolutions with 32 input
  channels as Winograd F(4x4, 3x3); the 1-channel input convolution stays im2col).
- onnxruntime: the same tf2onnx .onnx.
- glc-native: the same Keras model exported by glc.keras.export (one GRU node with
  sequence_lens from the Masking layer; two ai.glc.ConvLSTM nodes), compiled by glc: the
  reference the raised Loop must come within 1.1x of.
- tensorflow: the Keras model itself (tf.function, XLA off).

The tf2onnx export needs tf2onnx, which the benchmark venv does not have: it runs in the
oracle venv (build-venv-oracle, made as tests/fixtures/keras_tf2onnx/README.md says; or
$GLC_ORACLE_PYTHON), through bench/workloads/loop_models.py, and the .onnx is cached in
$GLC_BENCH_CACHE or ~/.cache/glc-bench/w8/, keyed by a hash of the weights and of that script,
so a run exports each (model, batch) once (~10-30 s each).
"""
import atexit
import hashlib
import io
import os
import shutil
import subprocess
import tempfile

import numpy as np

from harness import ROOT, Workload, glc_driver, ort_factory
from workloads import loop_models as lm

ID = "W8"
GLC_VARIANTS = ("glc-winograd",)  # harness: also time glc --winograd
REFERENCE = "tensorflow"  # what max_rel_err compares against
TITLE = ("loop-encoded recurrences: tf2onnx's Loops of a masked GRU (H 128, T 100) and a "
         "2-layer ConvLSTM2D (32 filters, 32x32, T 20)")
PEERS = {
    "glc": "tf2onnx's .onnx (opset 13, the recurrence a Loop), compiled by glc (the "
           "ConvLSTM2D Loops raised to ai.glc.ConvLSTM, the masked GRU's kept a Loop)",
    "glc-winograd": "the same tf2onnx .onnx compiled with `glc --winograd` (Winograd "
                    "F(4x4, 3x3) for the ConvLSTMs' 32-channel convolutions)",
    "onnxruntime": "the same tf2onnx .onnx, CPU execution provider, all graph optimisations, "
                   "intra-op threads = the run's",
    "glc-native": "the same Keras model exported by glc.keras.export (GRU node with "
                  "sequence_lens; ai.glc.ConvLSTM nodes), compiled by glc: the 1.1x reference",
    "tensorflow": "the Keras model, tf.function, XLA off",
}


def configs(quick):
    batches = (1,) if quick else (1, 8)
    return [{"batch": b, "model": m, "label": f"{b}-{m}"} for m in ("gru", "convlstm")
            for b in batches]


def _weights(model, rng):
    """Keras-like scales: U(-1/sqrt(fan), 1/sqrt(fan)) per tensor, fan = its last-but-one
    dims (units for biases)."""
    out = []
    for w in model.get_weights():
        fan = int(np.prod(w.shape[:-1])) if w.ndim > 1 else w.shape[0]
        s = 1.0 / np.sqrt(max(fan, 1))
        out.append(rng.uniform(-s, s, w.shape).astype(np.float32))
    return out


def _input(kind, batch, rng):
    if kind == "gru":
        x = rng.standard_normal((batch, lm.GRU_T, lm.GRU_C)).astype(np.float32)
        lengths = np.linspace(lm.GRU_T, lm.GRU_T // 2, batch).astype(int)  # 100 .. 50 steps
        for r, n in enumerate(lengths):
            x[r, n:] = 0
        return x
    return rng.uniform(0, 1, (batch, lm.CONV_T, lm.CONV_S, lm.CONV_S, lm.CONV_C)).astype(
        np.float32)


def _flops(kind, batch):
    if kind == "gru":
        return 2.0 * batch * lm.GRU_T * 3 * lm.GRU_H * (lm.GRU_C + lm.GRU_H)
    px = lm.CONV_S * lm.CONV_S * 9 * 4 * lm.CONV_F
    return 2.0 * batch * lm.CONV_T * px * ((lm.CONV_C + lm.CONV_F) + (2 * lm.CONV_F))


def _oracle_python():
    py = os.environ.get("GLC_ORACLE_PYTHON") or os.path.join(ROOT, "build-venv-oracle", "bin",
                                                             "python")
    if not os.path.exists(py):
        raise RuntimeError(f"W8 needs tf2onnx: {py} not found (make build-venv-oracle as "
                           f"tests/fixtures/keras_tf2onnx/README.md says, or set "
                           f"GLC_ORACLE_PYTHON)")
    return py


def tf2onnx_model(kind, batch, weights):
    """tf2onnx's export of the W8 model with these weights, from the cache or made now."""
    import onnx
    buf = io.BytesIO()
    np.savez(buf, **{f"w{k}": w for k, w in enumerate(weights)})
    with open(lm.__file__, "rb") as f:
        key = hashlib.sha256(buf.getvalue() + f.read()).hexdigest()[:16]
    cache = os.environ.get("GLC_BENCH_CACHE") or os.path.expanduser("~/.cache/glc-bench")
    os.makedirs(os.path.join(cache, "w8"), exist_ok=True)
    path = os.path.join(cache, "w8", f"{kind}_b{batch}_{key}.onnx")
    if not os.path.exists(path):
        with tempfile.NamedTemporaryFile(suffix=".npz") as w:
            w.write(buf.getvalue())
            w.flush()
            subprocess.run([_oracle_python(), lm.__file__, kind, str(batch), w.name, path],
                           check=True)
    return onnx.load(path)


def _glc_native_factory(model, feeds):
    """Compiles glc.keras.export's model and returns the harness factory for it."""
    import glc
    import glc.keras
    work = tempfile.mkdtemp(prefix="glc-w8-")
    atexit.register(shutil.rmtree, work, True)
    onnx_path = os.path.join(work, "native.onnx")
    glc.keras.export(model, onnx_path, batch_size=next(iter(feeds.values())).shape[0])
    so = os.path.join(work, "native.so")
    subprocess.run([glc_driver(), onnx_path, "-o", so], check=True)

    def factory(threads):
        run = glc.load(so, threads=threads).bind(feeds)
        return lambda: run()[0]
    return factory


def build(cfg):
    kind, batch = cfg["model"], cfg["batch"]
    import keras
    keras.backend.clear_session()
    rng = np.random.default_rng(8)
    model = lm.build(kind, batch)
    weights = _weights(model, rng)
    model.set_weights(weights)
    x = _input(kind, batch, rng)
    wl = Workload(feeds={"input": x}, flops=_flops(kind, batch), systems={},
                  onnx_model=tf2onnx_model(kind, batch, weights))
    wl.systems["glc"] = None  # the harness compiles wl.onnx_model (refused while no Loop)
    wl.systems["onnxruntime"] = ort_factory(wl)
    wl.systems["glc-native"] = _glc_native_factory(model, wl.feeds)

    def tf_factory(threads):
        import tensorflow as tf
        fn = tf.function(lambda t: model(t, training=False))
        xt = tf.constant(x)
        return lambda: fn(xt).numpy()
    wl.systems["tensorflow"] = tf_factory
    return wl
