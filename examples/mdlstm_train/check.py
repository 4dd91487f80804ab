"""Compiles the trained random-diagonal model (train.py) with glc, runs it on the saved test
batch, and compares with PyTorch: the probabilities within 1e-4 relative, and the accuracy
on the second one from both. Needs only numpy and the glc package (Debian's python3 works):
    GLC_DRIVER=build/glc PYTHONPATH=python /usr/bin/python3 examples/mdlstm_train/check.py
Exits 1 if the compiled model disagrees with PyTorch.
"""
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import glc  # noqa: E402

S = 8


def accuracy(probs, second):  # the same rule as train.py
    hits = 0
    for p, (i, j) in zip(probs[:, 0], second):
        flat = p.reshape(-1).copy()
        flat[:(i - 1) * S + (j - 1) + 1] = -1.0
        hits += int(np.argmax(flat) == i * S + j)
    return hits / len(second)


def main():
    x = np.load(os.path.join(HERE, "test_x.npy"))
    second = np.load(os.path.join(HERE, "test_second.npy"))
    want = np.load(os.path.join(HERE, "torch_probs.npy"))
    with tempfile.TemporaryDirectory() as d:
        so = glc.compile(os.path.join(HERE, "model.onnx"), os.path.join(d, "model.so"))
        got = glc.load(so)(x=x)["p"]
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    print(f"accuracy on the second one: PyTorch {accuracy(want, second):.3f}, "
          f"glc {accuracy(got, second):.3f} ({len(second)} test matrices); "
          f"max relative difference {err:.2e}")
    return 0 if err <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
