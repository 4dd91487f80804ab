"""Where glc's time goes in one workload: callgrind over one call of the compiled model.

    build-venv-bench/bin/python bench/profile.py W5 [--batch 1] [--top 12] [--out FILE]

Builds the workload's ONNX model and inputs exactly as bench/run.py does, compiles it with
build/glc and runs one call of `glc bench` under valgrind's callgrind. Each node of the
model is its own kernel symbol, k.<node name> (node kernels are never inlined), so the
table is a per-node breakdown: instructions executed, their share of the model's total,
and the node's operator.

valgrind cannot decode AVX-512, so the profiled build targets znver3 (AVX2 + FMA, 256-bit
vectors). The shares show where the work is; they are instruction counts of that build,
not times of the AVX-512 build that bench/run.py measures.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

PROFILE_CPU = "znver3"


def workload_module(wid):
    for module in harness.WORKLOADS:
        if harness.load(module).ID == wid.upper():
            return harness.load(module)
    raise SystemExit(f"profile.py: no workload {wid} (have: "
                     f"{', '.join(harness.load(m).ID for m in harness.WORKLOADS)})")


def build_model(mod, batch, workdir):
    """Saves the workload's ONNX model and inputs; returns the .onnx path and --input args."""
    import onnx
    cfgs = [c for c in mod.configs(False) if c["batch"] == batch]
    if not cfgs:
        raise SystemExit(f"profile.py: {mod.ID} has no batch {batch}")
    wl = mod.build(cfgs[0])
    path = os.path.join(workdir, f"{mod.ID}_b{batch}.onnx")
    onnx.save(wl.onnx_model, path)
    args = []
    for name, arr in wl.feeds.items():
        npy = os.path.join(workdir, f"in_{len(args)}.npy")
        np.save(npy, arr)
        args += ["--input", f"{name}={npy}"]
    ops = {n.name: n.op_type for n in wl.onnx_model.graph.node}
    return path, args, ops


def callgrind(so, inputs, workdir):
    """Runs one call under callgrind; returns {symbol: Ir} for the model's own code."""
    out = os.path.join(workdir, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    harness.glc_driver(), "bench", so, "--iters", "1", "--warmup", "0"] + inputs,
                   check=True, capture_output=True)
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", out],
                          check=True, capture_output=True, text=True).stdout
    costs = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\?\?\?:(\S+) \[(.*)\]$", line)
        if m and m.group(3) == so:
            costs[m.group(2)] = int(m.group(1).replace(",", ""))
    return costs


def operator(sym, ops):
    """The ONNX operator of kernel k.<node>; unnamed nodes are named <op>_<index> by glc."""
    if sym.endswith("_invoke"):
        return "(entry point: calls the kernels)"
    if not sym.startswith("k."):
        return "(other code in the model)"
    node = sym[2:]
    if node in ops:
        return ops[node]
    m = re.match(r"(.+)_\d+$", node)
    return m.group(1) if m else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", help="W1 .. W6")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--out", help="also write the table to this file")
    a = ap.parse_args()
    mod = workload_module(a.workload)
    with tempfile.TemporaryDirectory() as d:
        onnx_path, inputs, ops = build_model(mod, a.batch, d)
        so = os.path.join(d, "model.so")
        subprocess.run([harness.glc_driver(), onnx_path, f"--cpu={PROFILE_CPU}", "-o", so],
                       check=True)
        costs = callgrind(so, inputs, d)
    total = sum(costs.values()) or 1
    lines = [f"{mod.ID} batch {a.batch}: callgrind, one call, --cpu={PROFILE_CPU}; "
             f"{total / 1e9:.2f} G instructions in the model's code",
             "", "| kernel | operator | M instr | share |", "|---|---|---|---|"]
    for sym, ir in sorted(costs.items(), key=lambda kv: -kv[1])[:a.top]:
        lines.append(f"| `{sym}` | {operator(sym, ops)} | {ir / 1e6:.1f} | "
                     f"{100.0 * ir / total:.1f} % |")
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
