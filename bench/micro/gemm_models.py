"""gemm_models.py -- MatMul models for the cg_gemm_emit micro-benchmark (run_gemm.sh).

Writes <out>/<name>.onnx plus <name>.in.<input>.npy for: sq512 (512^3, both operands
runtime: the pack path), sq512c (512^3, B an initializer: compile-time panels), m1 and m8
(M = 1 / 8 x N 2048 x K 512, B an initializer: the batch-1/8 recurrence shape).
Usage: python gemm_models.py OUTDIR   (needs onnx and numpy)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SHAPES = [("sq512", 512, 512, 512, False), ("sq512c", 512, 512, 512, True),
          ("m1", 1, 2048, 512, True), ("m8", 8, 2048, 512, True)]


def make(out, name, M, N, K, const_b, rng):
    inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [M, K])]
    inits = []
    b = rng.standard_normal((K, N)).astype(np.float32)
    if const_b:
        inits.append(numpy_helper.from_array(b, "b"))
    else:
        inputs.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, [K, N]))
        np.save(f"{out}/{name}.in.b.npy", b)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [M, N])
    g = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], name, inputs, [y], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), f"{out}/{name}.onnx")
    np.save(f"{out}/{name}.in.a.npy", rng.standard_normal((M, K)).astype(np.float32))


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    for s in SHAPES:
        make(sys.argv[1], *s, rng)
