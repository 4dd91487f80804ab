"""Exporter tests: Keras and PyTorch models exported by glc.keras / glc.torch, compiled by
glc, and run through the glc package must agree with the framework within 1e-4 relative.

Needs tensorflow-cpu, torch and onnx (scripts/test.sh makes the venv build-venv-py for
them); CTest runs this file with that venv's python as `python_exporters`. Nothing here
is skipped: a missing framework is an error.
"""
import os
import sys
import tempfile
import unittest

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import torch  # noqa: E402

import glc  # noqa: E402
import glc.keras  # noqa: E402
import glc.torch as gt  # noqa: E402

L = keras.layers
RTOL = 1e-4


def rel_err(got, want):
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-30))


class _Compiled:
    tmp = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def compile_run(self, onnx_path, feeds):
        so = glc.compile(onnx_path, onnx_path[:-5] + ".so")
        m = glc.load(so)
        return [v for v in m.run(feeds).values()]


def _keras_models():
    """(name, model, input shape without batch); >= 10 models over the supported layers."""
    S = keras.Sequential
    yield "dense_softmax", S([keras.Input((7,)), L.Dense(5, activation="relu"),
                               L.Dense(3, activation="softmax")]), (7,)
    yield "conv2d_bn_pool_dense", S([keras.Input((9, 9, 3)), L.Conv2D(4, 3, padding="same",
                                     activation="relu"), L.BatchNormalization(),
                                     L.MaxPooling2D(2), L.Flatten(), L.Dense(4)]), (9, 9, 3)
    yield "conv1d_causal_gap", S([keras.Input((11, 3)), L.Conv1D(4, 3, padding="causal",
                                  dilation_rate=2), L.GlobalAveragePooling1D()]), (11, 3)
    yield "conv3d_pool", S([keras.Input((5, 6, 7, 2)), L.Conv3D(3, 2, activation="sigmoid"),
                            L.AveragePooling3D(2)]), (5, 6, 7, 2)
    yield "lstm_seq_dense", S([keras.Input((6, 4)), L.LSTM(5, return_sequences=True),
                               L.Dense(3)]), (6, 4)
    yield "lstm_backwards_last", S([keras.Input((6, 4)), L.LSTM(5, go_backwards=True)]), (6, 4)
    yield "gru_reset_after", S([keras.Input((6, 4)), L.GRU(5, return_sequences=True)]), (6, 4)
    yield "gru_reset_before", S([keras.Input((6, 4)), L.GRU(5, reset_after=False)]), (6, 4)
    yield "simple_rnn_backwards", S([keras.Input((6, 4)), L.SimpleRNN(
        5, return_sequences=True, go_backwards=True)]), (6, 4)
    yield "bidirectional_lstm", S([keras.Input((6, 4)), L.Bidirectional(
        L.LSTM(5, return_sequences=True))]), (6, 4)
    yield "timedistributed_conv_lstm", S([keras.Input((3, 8, 8, 2)),
                                          L.TimeDistributed(L.Conv2D(3, 3)),
                                          L.TimeDistributed(L.MaxPooling2D(2)),
                                          L.TimeDistributed(L.Flatten()), L.LSTM(4)]), (3, 8, 8, 2)
    yield "convlstm2d_same_seq", S([keras.Input((4, 7, 6, 3)), L.ConvLSTM2D(
        5, 3, padding="same", return_sequences=True)]), (4, 7, 6, 3)
    yield "convlstm2d_strided_hard_sigmoid", S([keras.Input((4, 9, 8, 2)), L.ConvLSTM2D(
        3, 3, strides=2, recurrent_activation="hard_sigmoid")]), (4, 9, 8, 2)
    yield "convlstm1d_backwards", S([keras.Input((5, 9, 2)), L.ConvLSTM1D(
        3, 3, go_backwards=True, return_sequences=True)]), (5, 9, 2)
    yield "convlstm3d_bn_dense", S([keras.Input((3, 4, 5, 6, 2)), L.ConvLSTM3D(
        2, 2, padding="same", return_sequences=True), L.BatchNormalization(),
        L.ConvLSTM3D(2, 2), L.Flatten(), L.Dense(3)]), (3, 4, 5, 6, 2)
    inp = keras.Input((5, 4))
    a, b = L.Dense(6, activation="tanh")(inp), L.Dense(6)(inp)
    c = L.Concatenate()([L.Add()([a, b]), L.Multiply()([a, b])])
    yield "functional_merge", keras.Model(inp, L.Dense(2)(c)), (5, 4)


class KerasExportTest(_Compiled, unittest.TestCase):
    def test_keras_models_compile_and_match_keras(self):
        rng = np.random.default_rng(0)
        count = 0
        for name, model, shape in _keras_models():
            with self.subTest(model=name):
                for w in model.weights:
                    lo, hi = (0.5, 1.5) if "variance" in w.path else (-0.5, 0.5)
                    w.assign(rng.uniform(lo, hi, w.shape).astype(np.float32))
                x = rng.standard_normal((2,) + shape).astype(np.float32)
                want = np.asarray(model(x))
                path = os.path.join(self.tmp.name, f"keras_{name}.onnx")
                glc.keras.export(model, path, batch_size=2)
                got = self.compile_run(path, {model.inputs[0].name: x})[0]
                self.assertLessEqual(rel_err(got, want), RTOL, name)
                count += 1
        self.assertGreaterEqual(count, 10)

    def test_keras_masking_becomes_sequence_lens(self):
        """Masking -> LSTM/GRU/SimpleRNN on post-padded rows (6, 4 and 2 of 6 steps kept)
        matches Keras; a masked return_sequences layer is refused."""
        rng = np.random.default_rng(1)
        x = rng.standard_normal((3, 6, 4)).astype(np.float32)
        for r, n in enumerate((6, 4, 2)):
            x[r, n:] = 0
        S = keras.Sequential
        for name, rnn in (("gru", L.GRU(5)), ("lstm_backwards", L.LSTM(5, go_backwards=True)),
                          ("simple_rnn", L.SimpleRNN(5))):
            with self.subTest(model=name):
                model = S([keras.Input((6, 4)), L.Masking(0.0), rnn, L.Dense(2)])
                for w in model.weights:
                    w.assign(rng.uniform(-0.5, 0.5, w.shape).astype(np.float32))
                want = np.asarray(model(x))
                path = os.path.join(self.tmp.name, f"keras_masking_{name}.onnx")
                glc.keras.export(model, path, batch_size=3)
                got = self.compile_run(path, {model.inputs[0].name: x})[0]
                self.assertLessEqual(rel_err(got, want), RTOL, name)
        seq = S([keras.Input((6, 4)), L.Masking(0.0), L.GRU(5, return_sequences=True)])
        with self.assertRaisesRegex(glc.keras.ExportError, "return_sequences=False"):
            glc.keras.export(seq, os.path.join(self.tmp.name, "masked_seq.onnx"))

class _Seq(torch.nn.Module):
    def __init__(self, *mods):
        super().__init__()
        self.mods = torch.nn.ModuleList(mods)

    def forward(self, x):
        for m in self.mods:
            x = m(x)
            if isinstance(x, tuple):
                x = x[0]
        return x


class _MDHead(torch.nn.Module):  # MDLSTM [N, D, F, H, W] -> conv head
    def __init__(self, md, f, d):
        super().__init__()
        self.md, self.head = md, torch.nn.Conv2d(d * f, 2, 1)

    def forward(self, x):
        y = self.md(x)
        return self.head(y.reshape(y.shape[0], -1, y.shape[3], y.shape[4]))


class _GridHead(torch.nn.Module):
    def __init__(self, grid, f):
        super().__init__()
        self.grid, self.fc = grid, torch.nn.Linear(f, 3)

    def forward(self, x):
        return self.fc(self.grid(x).transpose(1, 2))


def _torch_models():
    """(name, module, input shape); >= 10 models with glc.torch modules."""
    yield "convlstm2d_fwd", _Seq(gt.ConvLSTM(2, 3, 3, auto_pad="SAME_UPPER")), (2, 4, 2, 5, 6)
    yield "convlstm2d_bidir_valid", _Seq(gt.ConvLSTM(2, 3, 3, direction="bidirectional")), \
        (2, 4, 2, 6, 5)
    yield "convlstm1d_reverse_acts", _Seq(gt.ConvLSTM(
        3, 4, 3, rank=1, direction="reverse", auto_pad="SAME_UPPER",
        activations=["HardSigmoid", "Tanh", "Tanh"])), (2, 5, 3, 9)
    yield "convlstm3d_layout0", _Seq(gt.ConvLSTM(2, 2, 2, rank=3, layout=0)), (3, 2, 2, 4, 4, 3)
    yield "convlstm2d_peepholes", _Seq(gt.ConvLSTM(2, 3, 3, auto_pad="SAME_UPPER", peepholes=True,
                                                   out_spatial=(5, 4))), (2, 3, 2, 5, 4)
    yield "mdlstm2d_graves_4dir", _MDHead(gt.MDLSTM(2, 4, directions=4), 4, 4), (2, 2, 5, 6)
    yield "mdlstm2d_stable_2dir", _MDHead(gt.MDLSTM(2, 3, directions=2, cell="stable"), 3, 2), \
        (2, 2, 4, 5)
    yield "mdlstm2d_spatial", _MDHead(gt.MDLSTM(1, 4, cell="spatial"), 4, 1), (2, 1, 6, 6)
    yield "mdlstm2d_peepholes", _MDHead(gt.MDLSTM(2, 3, directions=3, peepholes=True), 3, 3), \
        (1, 2, 4, 4)
    yield "gridlstm1d_tied", _GridHead(gt.GridLSTM(5, 5, num_layers=3, tied=True), 5), (2, 5, 7)
    yield "gridlstm1d_untied_projection", _GridHead(gt.GridLSTM(3, 6, num_layers=2), 6), (2, 3, 6)
    yield "gridlstm2d_prio0", _Seq(gt.GridLSTM(4, 4, num_layers=2, k=2, priority=False)), \
        (1, 4, 3, 4)


class TorchExportTest(_Compiled, unittest.TestCase):
    def test_torch_models_compile_and_match_pytorch(self):
        torch.manual_seed(0)
        count = 0
        for name, model, shape in _torch_models():
            with self.subTest(model=name):
                with torch.no_grad():
                    for p in model.parameters():
                        p.uniform_(-0.5, 0.5)
                x = torch.randn(*shape)
                with torch.no_grad():
                    want = model(x).numpy()
                path = os.path.join(self.tmp.name, f"torch_{name}.onnx")
                gt.export(model, (x,), path, input_names=["x"], output_names=["y"])
                got = self.compile_run(path, {"x": x.numpy()})[0]
                self.assertLessEqual(rel_err(got, want), RTOL, name)
                count += 1
        self.assertGreaterEqual(count, 10)


if __name__ == "__main__":
    unittest.main()
