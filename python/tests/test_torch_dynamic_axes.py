"""PyTorch models exported with dynamic_axes (torch.onnx.export, the TorchScript exporter)
compile with no shape flag to one .so that takes any batch and sequence length, and agree
with PyTorch eager at several sizes, batch 1 and one time step among them.

Each model is exported once (fixed seed) with symbolic batch and time, compiled once by
glc.compile with no --shape/--dim, and the one compiled model runs at every size in SIZES
against the module's eager output within rtol 1e-4, atol 1e-5.

Needs torch and onnx: CTest runs this file with the exporter venv's python
(-DGLC_PY_VENV=DIR) as `python_torch_dynamic_axes`. A missing framework is an error.
"""
import os
import tempfile
import unittest
import warnings

import numpy as np
import torch
import torch.nn as nn

import glc

RTOL, ATOL = 1e-4, 1e-5
SIZES = [(1, 1), (3, 7), (1, 12), (5, 19), (2, 1)]  # (batch, T)


class Tagger(nn.Module):
    """Per-step tags: Linear + ReLU, 2-layer bidirectional LSTM, Linear, log_softmax."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Linear(16, 32)
        self.lstm = nn.LSTM(32, 64, num_layers=2, batch_first=True, bidirectional=True)
        self.out = nn.Linear(128, 10)

    def forward(self, x):  # x: (N, T, 16) -> (N, T, 10)
        y, _ = self.lstm(torch.relu(self.emb(x)))
        return torch.log_softmax(self.out(y), -1)


class ConvGRU(nn.Module):
    """Sequence classifier: Conv1d + ReLU over time, GRU, Linear on the last hidden state."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(8, 32, 5, padding=2)
        self.gru = nn.GRU(32, 48, batch_first=True)
        self.fc = nn.Linear(48, 5)

    def forward(self, x):  # x: (N, 8, T) -> (N, 5)
        h = torch.relu(self.conv(x)).transpose(1, 2)
        _, hn = self.gru(h)
        return self.fc(hn[-1])


class StatefulRNN(nn.Module):
    """Time-major tanh RNN with the initial state an input; returns the sequence and hn."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(12, 20)

    def forward(self, x, h0):  # x: (T, N, 12), h0: (1, N, 20)
        return self.rnn(x, h0)


def tagger_inputs(n, t, g):
    return {"x": g.standard_normal((n, t, 16)).astype(np.float32)}


def convgru_inputs(n, t, g):
    return {"x": g.standard_normal((n, 8, t)).astype(np.float32)}


def rnn_inputs(n, t, g):
    return {"x": g.standard_normal((t, n, 12)).astype(np.float32),
            "h0": g.standard_normal((1, n, 20)).astype(np.float32)}


# name, module class, feeds(batch, T, rng), output names, dynamic_axes
MODELS = [
    ("tagger", Tagger, tagger_inputs, ["y"], {"x": {0: "batch", 1: "T"}}),
    ("convgru", ConvGRU, convgru_inputs, ["y"], {"x": {0: "batch", 2: "T"}}),
    ("rnn_h0", StatefulRNN, rnn_inputs, ["y", "hn"],
     {"x": {0: "T", 1: "batch"}, "h0": {1: "batch"}}),
]


class TorchDynamicAxesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def export(self, name, module, feeds, out_names, axes):
        path = os.path.join(self.tmp.name, name + ".onnx")
        args = tuple(torch.from_numpy(v) for v in feeds.values())
        with warnings.catch_warnings():  # the legacy exporter's deprecation and tracer notes
            warnings.simplefilter("ignore")
            torch.onnx.export(module, args, path, input_names=list(feeds),
                              output_names=out_names, dynamic_axes=axes, opset_version=17,
                              dynamo=False)
        return path

    def check_model(self, name, cls, make_inputs, out_names, axes):
        torch.manual_seed(0)
        module = cls().eval()
        g = np.random.default_rng(0)
        path = self.export(name, module, make_inputs(2, 6, g), out_names, axes)
        m = glc.load(glc.compile(path, os.path.join(self.tmp.name, name + ".so")))
        # Compiled with no flag: every dynamic axis is still symbolic in the .so.
        for spec in m.inputs:
            for ax in axes[spec.name]:
                self.assertIsNone(spec.shape[ax], f"{name}: {spec.name} axis {ax} is static")
        for n, t in SIZES:
            feeds = make_inputs(n, t, g)
            with torch.no_grad():
                want = module(*(torch.from_numpy(v) for v in feeds.values()))
            want = [w.numpy() for w in (want if isinstance(want, tuple) else (want,))]
            got = m.run(feeds)
            self.assertEqual(list(got), out_names)
            for o, w in zip(out_names, want):
                np.testing.assert_allclose(got[o], w, rtol=RTOL, atol=ATOL,
                                           err_msg=f"{name} output {o} at batch {n}, T {t}")

    def test_lstm_tagger_matches_torch_at_every_batch_and_length(self):
        self.check_model(*MODELS[0])

    def test_conv1d_gru_classifier_matches_torch_at_every_batch_and_length(self):
        self.check_model(*MODELS[1])

    def test_rnn_with_initial_state_input_matches_torch_at_every_batch_and_length(self):
        self.check_model(*MODELS[2])


if __name__ == "__main__":
    unittest.main()
