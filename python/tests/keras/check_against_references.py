"""Checks glc.keras.export against references that are not glc: Keras runs each model,
the exported ONNX runs in ONNX Runtime (standard ops) or onnx.reference with the numpy
oracle of glc.ConvLSTM (tests/oracle/glc_oracle.py). Needs TensorFlow, onnx and
onnxruntime (build-venv-bench):  build-venv-bench/bin/python python/tests/keras/check_against_references.py
"""
import sys, numpy as np
import os
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
import keras, onnxruntime as ort
from onnx.reference import ReferenceEvaluator
import glc.keras as gk
L = keras.layers
rng = np.random.default_rng(0)
def run(name, model, shape, use_ref=False):
    for w in model.weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) if "variance" not in w.path else rng.uniform(0.5, 1.5, w.shape).astype(np.float32))
    x = rng.standard_normal((2,) + shape).astype(np.float32)
    want = np.asarray(model(x))
    m = gk.export(model, None, batch_size=2)
    feeds = {model.inputs[0].name: x}
    if use_ref:
        got = ReferenceEvaluator(m).run(None, feeds)[0]
    else:
        got = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-9)
    print(f"{name:30s} rel err {err:.2e}", "OK" if err < 1e-4 else "FAIL")
S = keras.Sequential
run("dense_mlp", S([keras.Input((7,)), L.Dense(5, activation="relu"), L.Dense(3, activation="softmax")]), (7,))
run("conv2d_pool_bn_flat_dense", S([keras.Input((9, 9, 3)), L.Conv2D(4, 3, padding="same", activation="relu"), L.BatchNormalization(), L.MaxPooling2D(2), L.Conv2D(5, 3, strides=2), L.AveragePooling2D(2, padding="same"), L.Flatten(), L.Dense(4)]), (9, 9, 3))
run("conv1d_causal_gap", S([keras.Input((11, 3)), L.Conv1D(4, 3, padding="causal", dilation_rate=2), L.GlobalAveragePooling1D()]), (11, 3))
run("conv3d", S([keras.Input((5, 6, 7, 2)), L.Conv3D(3, 2, activation="sigmoid"), L.MaxPooling3D(2)]), (5, 6, 7, 2))
run("lstm_seq_dense", S([keras.Input((6, 4)), L.LSTM(5, return_sequences=True), L.Dense(3)]), (6, 4), True)
run("lstm_last_backwards", S([keras.Input((6, 4)), L.LSTM(5, go_backwards=True)]), (6, 4), True)
run("gru_reset_after", S([keras.Input((6, 4)), L.GRU(5, return_sequences=True)]), (6, 4), True)
run("gru_reset_before", S([keras.Input((6, 4)), L.GRU(5, reset_after=False)]), (6, 4), True)
run("simple_rnn", S([keras.Input((6, 4)), L.SimpleRNN(5, return_sequences=True, go_backwards=True)]), (6, 4), True)
run("bidir_lstm", S([keras.Input((6, 4)), L.Bidirectional(L.LSTM(5, return_sequences=True))]), (6, 4), True)
run("timedistributed_conv", S([keras.Input((3, 8, 8, 2)), L.TimeDistributed(L.Conv2D(3, 3)), L.TimeDistributed(L.MaxPooling2D(2)), L.TimeDistributed(L.Flatten()), L.LSTM(4)]), (3, 8, 8, 2), True)
inp = keras.Input((5, 4)); a = L.Dense(6, activation="tanh")(inp); b = L.Dense(6)(inp)
c = L.Concatenate()([L.Add()([a, b]), L.Multiply()([a, b])])
run("functional_merge", keras.Model(inp, L.Dense(2)(c)), (5, 4))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
import glc_oracle
from onnx.reference.op_run import OpRun
class ConvLSTM(OpRun):
    op_domain = "ai.glc"
    def _run(self, X, W, R, B=None, sequence_lens=None, initial_h=None, initial_c=None, P=None, **kw):
        attrs = {k: getattr(self, k) for k in ("hidden_size","kernel_shape","strides","dilations","pads","auto_pad","direction","activations","activation_alpha","activation_beta","clip","layout") if getattr(self, k, None) is not None}
        return glc_oracle.conv_lstm(X, W, R, B, sequence_lens, initial_h, initial_c, P, **attrs)
def run2(name, model, shape):
    for w in model.weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape).astype(np.float32))
    x = rng.standard_normal((2,) + shape).astype(np.float32)
    want = np.asarray(model(x))
    m = gk.export(model, None, batch_size=2)
    got = ReferenceEvaluator(m, new_ops=[ConvLSTM]).run(None, {model.inputs[0].name: x})[0]
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-9)
    print(f"{name:30s} rel err {err:.2e}", "OK" if err < 1e-4 else "FAIL")
run2("convlstm2d_seq_same", S([keras.Input((4, 7, 6, 3)), L.ConvLSTM2D(5, 3, padding="same", return_sequences=True)]), (4, 7, 6, 3))
run2("convlstm2d_last_valid_strided", S([keras.Input((4, 9, 8, 2)), L.ConvLSTM2D(3, 3, strides=2, recurrent_activation="hard_sigmoid")]), (4, 9, 8, 2))
run2("convlstm1d_backwards", S([keras.Input((5, 9, 2)), L.ConvLSTM1D(3, 3, go_backwards=True, return_sequences=True)]), (5, 9, 2))
run2("convlstm3d_bn_flatten_dense", S([keras.Input((3, 4, 5, 6, 2)), L.ConvLSTM3D(2, 2, padding="same", return_sequences=True), L.BatchNormalization(), L.ConvLSTM3D(2, 2), L.Flatten(), L.Dense(3)]), (3, 4, 5, 6, 2))
