"""The seed experiment end to end: train glc.torch.MDLSTM on the random-diagonal task
(seeds/001, philipperemy/tensorflow-multi-dimensional-lstm), export it to ONNX with one
ai.glc::MDLSTM node, and save a test batch with PyTorch's predictions.

Task: an 8x8 matrix of small noise with two ones on a line parallel to the diagonal, at
(i, j) and (i+1, j+1). The model predicts, per cell, the probability of being one of the
two. The first one cannot be predicted (nothing before it says where it is); a 2D MD-LSTM
scanning from the top-left sees the first one right before the second, so it can predict
the second. Accuracy: the fraction of test matrices whose second one is the cell with the
highest predicted probability among the cells after the first one (in scan order).

    build-venv-bench/bin/python examples/mdlstm_train/train.py [--steps 400]
writes model.onnx, test_x.npy, torch_probs.npy and prints PyTorch's accuracy;
check.py then compiles model.onnx with glc and compares.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import glc.torch as gt  # noqa: E402

S = 8


def batch(rng, n):
    x = rng.uniform(0.0, 0.1, (n, 1, S, S)).astype(np.float32)
    y = np.zeros((n, 1, S, S), np.float32)
    i = rng.integers(0, S - 1, n)
    j = rng.integers(0, S - 1, n)
    for k in range(n):
        for d in (0, 1):
            x[k, 0, i[k] + d, j[k] + d] = 1.0
            y[k, 0, i[k] + d, j[k] + d] = 1.0
    return x, y, np.stack([i + 1, j + 1], 1)


class DiagonalNet(torch.nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.md = gt.MDLSTM(1, hidden, rank=2, directions=1, cell="graves")
        self.head = torch.nn.Conv2d(hidden, 1, 1)

    def forward(self, x):
        h = self.md(x)                                # [N, 1, F, S, S]
        return torch.sigmoid(self.head(h[:, 0]))     # [N, 1, S, S]


def accuracy(probs, second):
    """Among the cells after the first one (row-major scan order), is the second one the
    most probable?"""
    hits = 0
    for p, (i, j) in zip(probs[:, 0], second):
        first = (i - 1) * S + (j - 1)
        flat = p.reshape(-1).copy()
        flat[:first + 1] = -1.0
        hits += int(np.argmax(flat) == i * S + j)
    return hits / len(second)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    net = DiagonalNet()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    t0 = time.time()
    for step in range(a.steps):
        x, y, _ = batch(rng, a.batch)
        p = net(torch.from_numpy(x))
        loss = torch.nn.functional.binary_cross_entropy(p, torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print(f"step {step:5d} loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)
    tx, _, second = batch(np.random.default_rng(1), 64)
    with torch.no_grad():
        probs = net(torch.from_numpy(tx)).numpy()
    print(f"PyTorch accuracy on the second one: {accuracy(probs, second):.3f} "
          f"({len(second)} test matrices)")
    np.save(os.path.join(HERE, "test_x.npy"), tx)
    np.save(os.path.join(HERE, "test_second.npy"), second)
    np.save(os.path.join(HERE, "torch_probs.npy"), probs)
    gt.export(net, (torch.from_numpy(tx),), os.path.join(HERE, "model.onnx"),
              input_names=["x"], output_names=["p"])
    print("wrote model.onnx, test_x.npy, test_second.npy, torch_probs.npy")


if __name__ == "__main__":
    main()
