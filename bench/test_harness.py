"""The harness records a model glc refuses as "refused: <glc's diagnostic>" and runs the other
systems, comparing them against the workload's REFERENCE (W8's case while glc lacks Loop);
its glc-c system (each call timed in C) computes what glc computes.

    GLC_DRIVER=build/glc python bench/test_harness.py     (numpy and onnx needed; CTest
                                                            runs it as bench_harness_refusal)
"""
import os
import sys
import types
import unittest

import numpy as np
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def _refused_model():
    """y = test.refusal.Nope(x): an operator glc does not know."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    node = helper.make_node("Nope", ["x"], ["y"], domain="test.refusal")
    return helper.make_model(helper.make_graph([node], "refused", [x], [y]),
                             opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("test.refusal", 1)])


def _module():
    mod = types.ModuleType("workloads.wtest_refusal")
    mod.ID, mod.REFERENCE = "WT", "twice"
    feeds = {"x": np.arange(6, dtype=np.float32).reshape(2, 3)}

    def build(cfg):
        wl = harness.Workload(feeds=feeds, flops=6.0, systems={}, onnx_model=_refused_model())
        wl.systems["glc"] = None
        wl.systems["twice"] = lambda threads: (lambda: feeds["x"] * 2)
        wl.systems["twice-again"] = lambda threads: (lambda: feeds["x"] * 2 + 1)
        return wl
    mod.build = build
    return mod


class RefusalTest(unittest.TestCase):
    def test_refused_glc_is_recorded_and_peers_run(self):
        sys.modules["workloads.wtest_refusal"] = _module()
        logged = []
        recs = harness.run_workload("wtest_refusal", {"batch": 1}, 1, 1, 3, 1.0, False,
                                    logged.append)
        by = {r["system"]: r for r in recs}
        self.assertEqual(set(by), {"glc", "twice", "twice-again"})
        self.assertTrue(by["glc"]["refused"].startswith("refused: "), by["glc"])
        self.assertIn("Nope", by["glc"]["refused"])
        self.assertNotIn("median_s", by["glc"])
        self.assertEqual(by["twice"]["timed_calls"], 3)
        self.assertEqual(by["twice-again"]["max_rel_err_ref"], "twice")
        self.assertAlmostEqual(by["twice-again"]["max_rel_err"], 1 / 10)
        self.assertTrue(any("refused" in line for line in logged), logged)


def _relu_module():
    """y = Relu(x): a model glc compiles, with the glc-c variant listed."""
    mod = types.ModuleType("workloads.wtest_glc_c")
    mod.ID, mod.GLC_VARIANTS = "WC", ("glc-c",)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])],
                                                "relu", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17)])
    feeds = {"x": np.arange(-3, 3, dtype=np.float32).reshape(2, 3)}

    def build(cfg):
        wl = harness.Workload(feeds=feeds, flops=6.0, systems={}, onnx_model=model)
        wl.systems["glc"] = None
        wl.systems["relu"] = lambda threads: (lambda: np.maximum(feeds["x"], 0))
        return wl
    mod.build = build
    return mod


class GlcCTest(unittest.TestCase):
    def test_glc_c_times_the_same_model_in_c(self):
        sys.modules["workloads.wtest_glc_c"] = _relu_module()
        recs = harness.run_workload("wtest_glc_c", {"batch": 1}, 1, 1, 3, 1.0, False, print)
        by = {r["system"]: r for r in recs}
        self.assertEqual(set(by), {"glc", "glc-c", "relu"})
        self.assertEqual(by["glc-c"]["max_rel_err"], 0.0)  # against glc
        self.assertEqual(by["relu"]["max_rel_err"], 0.0)
        self.assertEqual(by["glc-c"]["timed_calls"], 3)
        self.assertGreater(by["glc-c"]["min_s"], 0.0)


if __name__ == "__main__":
    unittest.main()
