"""torch.nn.LSTM/GRU/RNN models exported by torch.onnx.export compile with glc and agree
with PyTorch (issue 21): the fixtures of make_rnn_fixtures.py, made at test time in a
temporary directory, each compiled once (two at a time) with no shape flag, and run on the
input of each of its sizes against the eager module's outputs.

Static fixtures must compile to a model with every dim fixed; dynamic ones (exported with
dynamic_axes) must keep batch and time symbolic and agree at every size from one compile.

Tolerance: rtol 1e-4 (the bar of the other exporter tests), atol 1e-5. Everything is f32;
glc's vectorised exp/tanh/sigmoid are within a few ulp of libm and its products sum in
another order than PyTorch's, so after at most 13 steps of 2 layers the relative error is
~1e-6; atol covers outputs near 0, where a sum of O(1) terms cancels to an absolute error of
~1e-6 that is no relative error of that output.

Needs torch and onnx: CTest runs it with the exporter venv's python (-DGLC_PY_VENV=DIR) as
`python_torch_rnn_fixtures`. A missing framework is an error, nothing is skipped.
"""
import concurrent.futures
import os
import sys
import tempfile
import time
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_rnn_fixtures as fx  # noqa: E402

import glc  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
JOBS = 2

_tmp = None
_manifest = {}
_compiled = {}  # name -> path of the .so, or the GlcError


def _compile(entry):
    onnx_path = os.path.join(_tmp.name, entry["name"] + ".onnx")
    try:
        return glc.compile(onnx_path, onnx_path[:-5] + ".so")
    except glc.GlcError as e:
        return e


def setUpModule():
    global _tmp
    _tmp = tempfile.TemporaryDirectory()
    t0 = time.monotonic()
    for entry in fx.make_all(_tmp.name):
        _manifest[entry["name"]] = entry
    t1 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        results = pool.map(_compile, _manifest.values())
        _compiled.update(zip(_manifest, results))
    t2 = time.monotonic()
    print(f"\n{len(_manifest)} fixtures: export {t1 - t0:.1f} s, compile {t2 - t1:.1f} s",
          file=sys.stderr)


def tearDownModule():
    _tmp.cleanup()


class TorchRnnFixtures(unittest.TestCase):
    def check_fixture(self, name):
        entry = _manifest[name]
        so = _compiled[name]
        if isinstance(so, Exception):
            self.fail(f"{name}: glc refused it: {so}")
        m = glc.load(so)
        self.check_dims(entry, m)
        goldens = np.load(os.path.join(_tmp.name, name + ".npz"))
        for size in entry["sizes"]:
            got = m.run({"x": goldens[size + "/x"]})
            self.assertEqual(list(got), entry["outputs"])
            for o in entry["outputs"]:
                np.testing.assert_allclose(got[o], goldens[f"{size}/{o}"], rtol=RTOL, atol=ATOL,
                                           err_msg=f"{name}: output {o} at batch x T {size}")

    def check_dims(self, entry, m):
        """Static: every dim fixed. Dynamic: exactly the exported axes are symbolic."""
        axes = entry["dynamic_axes"] or {}
        for spec in m.inputs + m.outputs:
            symbolic = {int(a) for a in axes.get(spec.name, {})}
            got = {k for k, d in enumerate(spec.shape) if d is None}
            self.assertEqual(got, symbolic, f"{entry['name']}: symbolic axes of {spec.name}")


def _add_tests():
    for spec in fx.fixture_specs():
        name = spec["name"]
        setattr(TorchRnnFixtures, f"test_{name}",
                lambda self, name=name: self.check_fixture(name))


_add_tests()

if __name__ == "__main__":
    unittest.main()
