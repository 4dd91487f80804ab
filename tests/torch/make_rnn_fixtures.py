"""The ordinary PyTorch recurrent models of issue 21, exported by torch.onnx.export, with
PyTorch's own outputs as goldens.

    python tests/torch/make_rnn_fixtures.py OUTDIR        # every fixture
    python tests/torch/make_rnn_fixtures.py OUTDIR --list # the names only

For each fixture NAME it writes OUTDIR/NAME.onnx and OUTDIR/NAME.npz: the input and the
eager module's outputs at each size it is checked at (keys "<size>/x", "<size>/<output>"),
plus OUTDIR/manifest.json listing them (name, output names, dynamic axes, sizes). Nothing
here is committed output: the check (check_rnn_fixtures.py) runs this at test time, so the
goldens are always this PyTorch's.

The models: every combination of cell {LSTM, GRU, RNN} x num_layers {1, 2} x {uni-,
bidirectional} x batch_first {True, False} x head {Linear, Conv1d, Linear + log_softmax}
(72). Two more axes vary over them by parity, so that each of their values meets every
value of every other axis: whether the model also returns its final states (h_n, and c_n
for an LSTM), and for RNN cells the nonlinearity (tanh or relu). The "conv1d" head is a
Conv1d front end over the input sequence (+ ReLU) and a Conv1d head over the recurrent
output, so both places a user puts one are exercised.

Static fixtures are exported with fixed shapes (the exporter then builds the zero initial
state from constants: Expand, ConstantOfShape, ...); DYNAMIC ones with dynamic_axes on
batch and time, checked at several sizes from one compile. Weights: PyTorch's default
initialisation under torch.manual_seed; inputs: standard normal from numpy's
default_rng, both seeded per fixture so that one fixture does not depend on another.
"""
import argparse
import itertools
import json
import os
import sys
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn

FEATURES, HIDDEN, CLASSES = 6, 12, 5
STATIC_SIZE = (3, 7)  # (batch, T)
DYNAMIC_SIZES = [(2, 5), (1, 1), (4, 11), (1, 13)]  # the first is the export size
OPSET = 17

CELLS = ("LSTM", "GRU", "RNN")
HEADS = ("linear", "conv1d", "log_softmax")

# name, cell, num_layers, bidirectional, batch_first, return_states, head, nonlinearity:
# the models also exported with dynamic_axes on batch and time.
DYNAMIC = [
    ("dyn_lstm_l2_bi_bf_logsoftmax", "LSTM", 2, True, True, True, "log_softmax", None),
    ("dyn_gru_l1_uni_tm_conv1d", "GRU", 1, False, False, True, "conv1d", None),
    ("dyn_rnn_l2_bi_tm_linear", "RNN", 2, True, False, False, "linear", "tanh"),
]


class RecurrentModel(nn.Module):
    """[Conv1d + ReLU] -> LSTM/GRU/RNN -> Linear | Conv1d | Linear + log_softmax.

    x is (batch, T, FEATURES) with batch_first, else (T, batch, FEATURES); the sequence
    output keeps that layout ("conv1d": (batch, CLASSES, T) as Conv1d gives it); with
    return_states also h_n (and c_n for an LSTM), PyTorch's (layers * dirs, batch, H)."""

    def __init__(self, cell, layers, bidir, batch_first, states, head, nonlinearity):
        super().__init__()
        self.batch_first, self.states, self.head_kind = batch_first, states, head
        width = FEATURES
        if head == "conv1d":
            self.front = nn.Conv1d(FEATURES, 8, 3, padding=1)
            width = 8
        kw = dict(num_layers=layers, bidirectional=bidir, batch_first=batch_first)
        if cell == "RNN":
            kw["nonlinearity"] = nonlinearity
        self.rnn = getattr(nn, cell)(width, HIDDEN, **kw)
        out = HIDDEN * (2 if bidir else 1)
        self.head = nn.Conv1d(out, CLASSES, 3, padding=1) if head == "conv1d" else \
            nn.Linear(out, CLASSES)

    def forward(self, x):
        if self.head_kind == "conv1d":
            x = self.to_ntc(torch.relu(self.front(self.to_nct(x))))
            if not self.batch_first:
                x = x.transpose(0, 1)
        y, state = self.rnn(x)
        if self.head_kind == "conv1d":
            y = self.head(self.to_nct(y))
        else:
            y = self.head(y)
        if self.head_kind == "log_softmax":
            y = torch.log_softmax(y, -1)
        if not self.states:
            return y
        return (y,) + (state if isinstance(state, tuple) else (state,))

    def to_nct(self, x):  # the recurrent layout -> (batch, channels, T)
        return x.permute(0, 2, 1) if self.batch_first else x.permute(1, 2, 0)

    @staticmethod
    def to_ntc(x):  # (batch, channels, T) -> (batch, T, channels)
        return x.transpose(1, 2)


def fixture_specs():
    """Every fixture: dict(name, cell, layers, bidir, batch_first, states, head,
    nonlinearity, dynamic)."""
    specs = []
    for cell, layers, bidir, bf, h in itertools.product(CELLS, (1, 2), (False, True),
                                                         (True, False), range(len(HEADS))):
        states = (layers - 1 + bf + h) % 2 == 0
        nl = None if cell != "RNN" else ("relu" if (bidir + bf + h) % 2 else "tanh")
        name = (f"{cell.lower()}{'_relu' if nl == 'relu' else ''}_l{layers}_"
                f"{'bi' if bidir else 'uni'}_{'bf' if bf else 'tm'}_"
                f"{HEADS[h].replace('_', '')}{'_states' if states else ''}")
        specs.append(dict(name=name, cell=cell, layers=layers, bidir=bidir, batch_first=bf,
                          states=states, head=HEADS[h], nonlinearity=nl, dynamic=False))
    for name, cell, layers, bidir, bf, states, head, nl in DYNAMIC:
        specs.append(dict(name=name, cell=cell, layers=layers, bidir=bidir, batch_first=bf,
                          states=states, head=head, nonlinearity=nl, dynamic=True))
    return specs


def output_names(spec):
    names = ["y"]
    if spec["states"]:
        names += ["h_n", "c_n"] if spec["cell"] == "LSTM" else ["h_n"]
    return names


def dynamic_axes(spec):
    """{tensor name: {axis: symbol}} for torch.onnx.export, inputs and outputs."""
    bf, head = spec["batch_first"], spec["head"]
    axes = {"x": {0: "batch", 1: "T"} if bf else {0: "T", 1: "batch"}}
    if head == "conv1d":
        axes["y"] = {0: "batch", 2: "T"}
    else:
        axes["y"] = dict(axes["x"])
    for s in output_names(spec)[1:]:
        axes[s] = {1: "batch"}
    return axes


def input_shape(spec, batch, t):
    return (batch, t, FEATURES) if spec["batch_first"] else (t, batch, FEATURES)


def seed_of(name):
    return zlib.crc32(name.encode())


def build(spec):
    torch.manual_seed(seed_of(spec["name"]))
    return RecurrentModel(spec["cell"], spec["layers"], spec["bidir"], spec["batch_first"],
                          spec["states"], spec["head"], spec["nonlinearity"]).eval()


def export(module, spec, x, path):
    kw = dict(input_names=["x"], output_names=output_names(spec), opset_version=OPSET,
              dynamo=False)
    if spec["dynamic"]:
        kw["dynamic_axes"] = dynamic_axes(spec)
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation/tracer notes
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.from_numpy(x),), path, **kw)


def make_fixture(spec, outdir):
    """Exports one fixture and writes its goldens; returns its manifest entry."""
    module = build(spec)
    rng = np.random.default_rng(seed_of(spec["name"]))
    sizes = DYNAMIC_SIZES if spec["dynamic"] else [STATIC_SIZE]
    arrays = {}
    for batch, t in sizes:
        x = rng.standard_normal(input_shape(spec, batch, t)).astype(np.float32)
        with torch.no_grad():
            want = module(torch.from_numpy(x))
        want = want if isinstance(want, tuple) else (want,)
        key = f"{batch}x{t}"
        arrays[key + "/x"] = x
        for o, w in zip(output_names(spec), want):
            arrays[f"{key}/{o}"] = w.numpy()
    path = os.path.join(outdir, spec["name"] + ".onnx")
    export(module, spec, arrays[f"{sizes[0][0]}x{sizes[0][1]}/x"], path)
    np.savez(os.path.join(outdir, spec["name"] + ".npz"), **arrays)
    entry = dict(spec, outputs=output_names(spec), sizes=[f"{b}x{t}" for b, t in sizes])
    entry["dynamic_axes"] = dynamic_axes(spec) if spec["dynamic"] else None
    return entry


def make_all(outdir, only=None):
    """Writes every fixture (or those named in `only`) and the manifest; returns it."""
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    manifest = [make_fixture(s, outdir) for s in fixture_specs()
                if only is None or s["name"] in only]
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--list", action="store_true", help="print the fixture names only")
    ap.add_argument("--only", nargs="+", help="make only these fixtures")
    args = ap.parse_args()
    if args.list:
        print("\n".join(s["name"] for s in fixture_specs()))
        return 0
    names = {s["name"] for s in fixture_specs()}
    unknown = sorted(set(args.only or ()) - names)
    if unknown:
        print(f"make_rnn_fixtures: unknown fixture {unknown[0]}", file=sys.stderr)
        return 2
    manifest = make_all(args.outdir, args.only)
    print(f"{len(manifest)} fixtures in {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
