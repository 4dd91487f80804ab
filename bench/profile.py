"""Where glc's time goes in one workload: a sampling profile of its compiled model.

    build-venv-bench/bin/python bench/profile.py W5 [--batch 1] [--iters 5] [--top 12] [--out F]

Builds the workload's ONNX model and inputs exactly as bench/run.py does, compiles it with
build/glc for this machine and runs `glc bench` under `perf record -e cpu-clock` (a
software timer: this machine's hardware counters are not available to perf). Each node of
the model is its own kernel symbol, k.<node name> (node kernels are never inlined), so the
table is a per-node breakdown of time. For each kernel it also gives the share of its
samples that land on FMA instructions (vfmadd..., or vdpbf16ps with --bf16), from the
sampled addresses and objdump: a high share means the time goes to the matrix-product micro-kernel, a low one to
everything around it (packing, gathers, cell activations, copies). Sampling skid can move
a sample to a neighbouring instruction, so that share is approximate.

--callgrind profiles with valgrind instead (deterministic instruction counts, but valgrind
cannot decode AVX-512, so the model is then built for znver3, and it is ~100x slower).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def workload_module(wid):
    for module in harness.WORKLOADS:
        if harness.load(module).ID == wid.upper():
            return harness.load(module)
    raise SystemExit(f"profile.py: no workload {wid} (have: "
                     f"{', '.join(harness.load(m).ID for m in harness.WORKLOADS)})")


def build_model(mod, batch, workdir):
    """Saves the workload's ONNX model and inputs; returns the .onnx path, --input args
    and {node name: op_type}."""
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
    return path, args, {n.name: n.op_type for n in wl.onnx_model.graph.node}


POOL_SYMBOLS = {"pool_run", "worker_main", "await_job", "claim_tasks", "cpu_relax",
                "publish", "now_ns"}


def operator(sym, ops):
    """The ONNX operator of kernel k.<node>; unnamed nodes are named <op>_<index> by glc."""
    if sym.endswith("_invoke"):
        return "(entry point: calls the kernels)"
    if sym in POOL_SYMBOLS:
        return "(thread pool: dispatch, waiting for work)"
    if not sym.startswith("k."):
        return "(other code in the model)"
    node = sym[2:]
    m = re.match(r"(.+?)((\.(gemm|par|cell|task|wino|in|out|pad)(\.\d+)?)+)$", node)
    if m:  # tasks of a node's kernel: <kernel>.gemm (products), .par[.task] (loops), .cell,
        node = m.group(1)  # .wino.{pad,in,gemm,out}.task (Winograd phases)
        op = ops.get(node) or (re.match(r"(.+)_\d+$", node) or [None, ""])[1]
        what = {"gemm": "matrix-product tasks", "par": "loop tasks", "cell": "cell helper",
                "pad": "padding tasks", "in": "input transform tasks",
                "out": "output transform tasks"}
        kinds = re.findall(r"(gemm|par|cell|pad|in|out)", m.group(2))
        kind = what[kinds[-1]] if kinds else "tasks"  # e.g. k.<node>.task.3
        return f"{op} (Winograd {kind})" if ".wino" in m.group(2) else f"{op} ({kind})"
    if node in ops:
        return ops[node]
    m = re.match(r"(.+)_\d+$", node)
    return m.group(1) if m else ""


def mnemonics(so):
    """{(symbol, offset): mnemonic} of every instruction of the shared object."""
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", so], check=True,
                          capture_output=True, text=True).stdout
    out, sym, base = {}, None, 0
    for line in text.splitlines():
        m = re.match(r"([0-9a-f]+) <(.+)>:$", line)
        if m:
            sym, base = m.group(2), int(m.group(1), 16)
            continue
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)", line)
        if m and sym:
            out[(sym, int(m.group(1), 16) - base)] = m.group(2)
    return out


def perf_profile(so, inputs, iters, threads, workdir):
    """{symbol: [samples, fma samples]} in the model's code, and all samples taken."""
    data = os.path.join(workdir, "perf.data")
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-o", data, "--",
                    harness.glc_driver(), "bench", so, "--iters", str(iters), "--warmup", "1",
                    "--threads", str(threads)]
                   + inputs, check=True, capture_output=True)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,symoff,dso"], check=True,
                            capture_output=True, text=True).stdout
    ins = mnemonics(so)
    costs, total = collections.defaultdict(lambda: [0, 0]), 0
    for line in script.splitlines():
        total += 1
        m = re.match(r"\s*[0-9a-f]+ (\S+)\+0x([0-9a-f]+) \((.*)\)$", line)
        if not m or os.path.realpath(m.group(3)) != os.path.realpath(so):
            continue
        c = costs[m.group(1)]
        c[0] += 1
        c[1] += ins.get((m.group(1), int(m.group(2), 16)), "").startswith(("vfmadd", "vfnmadd", "vdpbf16ps"))
    return costs, total


def callgrind_profile(so, inputs, workdir):
    """{symbol: [Ir, 0]} in the model's code under callgrind, and the model's total."""
    out = os.path.join(workdir, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    harness.glc_driver(), "bench", so, "--iters", "1", "--warmup", "0",
                    "--threads", "1"] + inputs,
                   check=True, capture_output=True)
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", out],
                          check=True, capture_output=True, text=True).stdout
    costs = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\?\?\?:(\S+) \[(.*)\]$", line)
        if m and m.group(3) == so:
            costs[m.group(2)] = [int(m.group(1).replace(",", "")), 0]
    return costs, sum(c[0] for c in costs.values())


def table(mod, a, costs, total, ops):
    model = sum(c[0] for c in costs.values()) or 1
    if a.callgrind:
        head = [f"{mod.ID} batch {a.batch}: callgrind, one call, --cpu=znver3; "
                f"{model / 1e9:.2f} G instructions in the model's code", "",
                "| kernel | operator | M instr | share |", "|---|---|---|---|"]
        row = lambda s, c: f"| `{s}` | {operator(s, ops)} | {c[0] / 1e6:.1f} | " \
                           f"{100.0 * c[0] / model:.1f} % |"
    else:
        flags = f" (glc {' '.join(a.glc_flag)})" if a.glc_flag else ""
        head = [f"{mod.ID} batch {a.batch}{flags}, {a.threads} thread(s): perf cpu-clock samples over "
                f"{a.iters} timed calls (+1 warm-up), all threads; {model} of {total} samples in "
                f"the model's code", "",
                "| kernel | operator | share of the model's time | samples on FMAs |",
                "|---|---|---|---|"]
        row = lambda s, c: f"| `{s}` | {operator(s, ops)} | {100.0 * c[0] / model:.1f} % | " \
                           f"{100.0 * c[1] / max(c[0], 1):.0f} % |"
    ranked = sorted(costs.items(), key=lambda kv: -kv[1][0])[:a.top]
    return "\n".join(head + [row(s, c) for s, c in ranked])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", help="W1 .. W6")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--iters", type=int, default=5, help="timed calls under perf")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2, help="glc's threads (perf: all of them)")
    ap.add_argument("--callgrind", action="store_true", help="valgrind instead of perf")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--glc-flag", action="append", default=[],
                    help="extra glc compile flag, e.g. --glc-flag=--winograd (repeatable)")
    a = ap.parse_args()
    mod = workload_module(a.workload)
    with tempfile.TemporaryDirectory() as d:
        onnx_path, inputs, ops = build_model(mod, a.batch, d)
        so = os.path.join(d, "model.so")
        cpu = ["--cpu=znver3"] if a.callgrind else []
        subprocess.run([harness.glc_driver(), onnx_path, "-o", so] + cpu + a.glc_flag, check=True)
        costs, total = (callgrind_profile(so, inputs, d) if a.callgrind
                        else perf_profile(so, inputs, a.iters, a.threads, d))
    text = table(mod, a, costs, total, ops)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
