"""Check the committed ai.glc fixtures against the oracle, reading only the files.

For every tests/fixtures/glc_ops/<case>/ this loads model.onnx the way a consumer would
(node inputs by position, "" = absent, initializers + test_data_set_0 inputs), maps the
node attributes onto the oracle's keyword arguments, and recomputes the outputs.  It catches
a generator that writes something other than what it fed the oracle (attribute dropped,
input in the wrong slot, output order) and stale fixtures after an oracle change.  The
Keras fixtures (tests/fixtures/keras_convlstm, goldens computed by Keras) are checked the same
way within a float32 tolerance: an external check of the ConvLSTM oracle that needs no
TensorFlow at test time.
Needs onnx (Debian python3); skipped otherwise.
"""

import glob
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glc_oracle as go  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "glc_ops")
KERAS_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_convlstm")

try:
    import onnx
    from onnx import numpy_helper
except ImportError:  # pragma: no cover
    onnx = None

INPUTS = {
    "ConvLSTM": ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"],
    "MDLSTM": ["X", "W", "R", "B", "P", "extents"],
    "GridLSTM": ["X", "W", "B", "W_in"],
}
FUNCS = {"ConvLSTM": go.conv_lstm, "MDLSTM": go.md_lstm, "GridLSTM": go.grid_lstm}


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as fh:
        t.ParseFromString(fh.read())
    return t.name, numpy_helper.to_array(t)


def run_case(case_dir, rtol=0.0, atol=0.0):
    model = onnx.load(os.path.join(case_dir, "model.onnx"))
    assert len(model.graph.node) == 1
    node = model.graph.node[0]
    assert node.domain == "ai.glc", node.domain
    assert {(o.domain, o.version) for o in model.opset_import} == {("", 13), ("ai.glc", 1)}
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    ds = os.path.join(case_dir, "test_data_set_0")
    for i, gi in enumerate(model.graph.input):
        name, arr = read_pb(os.path.join(ds, "input_%d.pb" % i))
        assert name == gi.name, (name, gi.name)
        assert list(arr.shape) == [d.dim_value for d in gi.type.tensor_type.shape.dim]
        values[name] = arr
    kwargs = {}
    for slot, name in zip(INPUTS[node.op_type], node.input):
        if name:
            kwargs[slot] = values[name]
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        kwargs[a.name] = v
    got = FUNCS[node.op_type](**kwargs)
    got = got if isinstance(got, tuple) else (got,)
    got_by_name = {n: g for n, g in zip(node.output, got) if n}
    for i, go_ in enumerate(model.graph.output):
        name, want = read_pb(os.path.join(ds, "output_%d.pb" % i))
        assert name == go_.name, (name, go_.name)
        assert want.dtype == np.float32
        np.testing.assert_allclose(got_by_name[name], want, rtol=rtol, atol=atol,
                                   err_msg=os.path.basename(case_dir) + " " + name)
    assert not os.path.exists(os.path.join(ds, "output_%d.pb" % len(model.graph.output)))
    return node.op_type


@unittest.skipIf(onnx is None, "onnx not importable (use Debian's /usr/bin/python3)")
class TestFixtures(unittest.TestCase):
    def test_every_fixture_reproduces_from_its_files(self):
        cases = sorted(d for d in glob.glob(os.path.join(FIXTURES, "*")) if os.path.isdir(d))
        self.assertGreater(len(cases), 100)
        seen = set()
        for d in cases:
            with self.subTest(case=os.path.basename(d)):
                seen.add(run_case(d))
        self.assertEqual(seen, set(FUNCS))

    def test_oracle_agrees_with_keras_goldens(self):
        # Goldens computed by Keras (gen_keras.py): an implementation we did not write.
        cases = sorted(d for d in glob.glob(os.path.join(KERAS_FIXTURES, "*")) if os.path.isdir(d))
        if not cases:
            self.skipTest("no Keras fixtures")
        for d in cases:
            with self.subTest(case=os.path.basename(d)):
                self.assertEqual(run_case(d, rtol=1e-4, atol=2e-5), "ConvLSTM")


if __name__ == "__main__":
    unittest.main()
