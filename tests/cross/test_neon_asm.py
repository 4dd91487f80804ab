#!/usr/bin/python3
"""An LSTM compiled for AArch64 runs its products on the NEON micro-kernel (CTest:
aarch64_neon_asm).

`glc MODEL --target=aarch64-linux-gnu --emit=asm` of two LSTMs (hidden 128, input 128):
batch 64, whose products all take the default panels, and batch 8, whose recurrent product
takes the fused-cell panels (fuse-cell marks LSTMs of batch <= 8: cg_gemm.panel_gates 4).
A micro-kernel k loop is a single-block loop of `fmla vD.4s` whose A operand is broadcast
(`ld1r` or a by-element `fmla ..., vA.s[i]`). The test requires, for each model, such loops
with at least 16 FMAs, and no stack access (spill) in any of them. The tiles come from the
tiling table's neon row (codegen/isa.c: VL 4, default panels 6 x 4 vectors, 4-gate panels
6 x 4: 24 q accumulators + 4 B vectors + A); the fused panels used to spill with VL 8 (3
rows x 4 <8 x float> = 24 q accumulators + 8 B vectors: 33 q registers). A model whose
loops spill for a known reason may be listed in KNOWN_SPILLS (none today): the test then
fails when it stops spilling, until the entry is removed, so the list stays true. Prints
each loop's counts (ctest -V).

Usage: test_neon_asm.py GLC_DRIVER
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# (label, batch): batch 64 -> default panels everywhere; batch 8 -> fused-cell panels.
MODELS = (("lstm_b64", 64), ("lstm_b8", 8))
KNOWN_SPILLS = set()  # labels of MODELS whose micro-kernel loops are known to spill


def make_lstm(path, batch, T=4, I=128, H=128):
    rng = np.random.default_rng(batch)
    init = [numpy_helper.from_array(rng.uniform(-0.1, 0.1, s).astype(np.float32), n)
            for n, s in (("W", (1, 4 * H, I)), ("R", (1, 4 * H, H)), ("B", (1, 8 * H)))]
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y"], hidden_size=H)
    graph = helper.make_graph(
        [node], path.stem, [helper.make_tensor_value_info("X", TensorProto.FLOAT, (T, batch, I))],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, (T, 1, batch, H))], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 7
    onnx.save(model, str(path))


def single_block_loops(asm):
    """(function, label, instructions) of each basic block that branches back to itself."""
    loops, fn, label, body = [], None, None, []
    for line in asm.splitlines():
        s = line.split("//")[0].strip()
        if not s:
            continue
        if s.endswith(":"):
            if not s.startswith("."):
                fn = s[:-1]
            label, body = (s[:-1], []) if s.startswith(".LBB") else (None, [])
            continue
        if label is None or s.startswith("."):
            continue
        body.append(s)
        m = re.match(r"(b\.\w+|b|cbn?z|tbn?z)\s.*?(\.LBB\w+)$", s)
        if m and m.group(2) == label:
            loops.append((fn, label, body))
            label = None
        elif s.split()[0] in ("b", "br", "ret"):
            label = None
    return loops


def kernel_stats(body):
    fmla = [i for i in body if re.match(r"fmla\s+v\d+\.4s", i)]
    return {
        "insns": len(body),
        "fmla": len(fmla),
        "bcast": sum(1 for i in body if i.startswith("ld1r")) +
                 sum(1 for i in fmla if re.search(r"\.s\[\d\]$", i)),
        "stack": sum(1 for i in body if "[sp" in i),
        "vmov": sum(1 for i in body if re.match(r"mov\s+v\d+\.16b", i)),
    }


def check(glc, label, batch, tmp):
    onnx_path, asm_path = tmp / f"{label}.onnx", tmp / f"{label}.s"
    make_lstm(onnx_path, batch)
    r = subprocess.run([glc, onnx_path, "--target=aarch64-linux-gnu", "--emit=asm", "-o",
                        asm_path], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"aarch64_neon_asm: {label}: glc failed: {r.stderr}")
    asm = asm_path.read_text()
    if not re.search(r"^\s*fmla\s+v\d+\.4s", asm, re.M):
        sys.exit(f"aarch64_neon_asm: {label}: no `fmla v<N>.4s` in the AArch64 assembly")
    kernels = [(fn, lab, kernel_stats(b)) for fn, lab, b in single_block_loops(asm)]
    kernels = [k for k in kernels if k[2]["fmla"] >= 16 and k[2]["bcast"]]
    if not kernels:
        sys.exit(f"aarch64_neon_asm: {label}: no micro-kernel loop (>= 16 fmla, A broadcast)")
    for fn, lab, st in kernels:
        print(f"aarch64_neon_asm: {label} {fn} {lab}: " +
              ", ".join(f"{k} {v}" for k, v in st.items()))
    spills = [f"{fn} {lab}" for fn, lab, st in kernels if st["stack"]]
    if spills and label not in KNOWN_SPILLS:
        sys.exit(f"aarch64_neon_asm: {label}: the micro-kernel spills in {', '.join(spills)}")
    if not spills and label in KNOWN_SPILLS:
        sys.exit(f"aarch64_neon_asm: {label} no longer spills: remove it from KNOWN_SPILLS")
    if spills:
        print(f"aarch64_neon_asm: {label}: known spills in {', '.join(spills)} (KNOWN_SPILLS)")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_neon_asm.py GLC_DRIVER")
    with tempfile.TemporaryDirectory(prefix="glc-neon-") as t:
        for label, batch in MODELS:
            check(sys.argv[1], label, batch, Path(t))
    print(f"aarch64_neon_asm: {len(MODELS)} passed, 0 failed")


if __name__ == "__main__":
    main()
