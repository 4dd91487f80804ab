"""Tests of the glc Python package: compile, load, run, and the errors a user gets.

Run with the package on the path and the driver known:
    GLC_DRIVER=build/glc PYTHONPATH=python python3 -m unittest discover -s python/tests
(CTest does exactly that.) The models are the e2e fixtures, whose expected outputs numpy
computed (tests/fixtures/e2e/gen_fixtures.py).
"""
import os
import tempfile
import threading
import unittest

import numpy as np

import glc

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures",
                   "e2e")


def fix(name):
    return os.path.join(FIX, name)


def bf16_round(a):
    """a rounded to bf16 (nearest even) and back to float32."""
    u = a.view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)


def matmul_model(path, w, rows):
    """Saves the ONNX model y = x @ w (w a constant, x of `rows` rows) at path."""
    import onnx
    from onnx import helper, numpy_helper
    k, n = w.shape
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "mm",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [rows, k])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [rows, n])],
        [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.so = glc.compile(fix("mlp.onnx"), os.path.join(cls.tmp.name, "mlp.so"))
        cls.x = np.load(fix("mlp.x.npy"))
        cls.want = np.load(fix("mlp.expected_y.npy"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_compiled_mlp_matches_numpy(self):
        m = glc.load(self.so)
        y = m(x=self.x)["y"]
        np.testing.assert_allclose(y, self.want, rtol=1e-5, atol=1e-6)

    def test_specs_name_dtype_and_shape(self):
        m = glc.load(self.so)
        self.assertEqual(m.inputs, [glc.TensorSpec("x", np.dtype(np.float32), (2, 16))])
        self.assertEqual([s.name for s in m.outputs], ["y"])
        self.assertIn("x: float32[2,16]", repr(m))

    def test_unknown_cpu_raises_the_drivers_one_line_error(self):
        out = os.path.join(self.tmp.name, "znver99.so")
        with self.assertRaisesRegex(glc.GlcError, r"unknown CPU 'znver99' \(--cpu\).*"
                                                  r"glc --list-cpus"):
            glc.compile(fix("mlp.onnx"), out, cpu="znver99")
        self.assertFalse(os.path.exists(out))

    def test_wrong_shape_names_input_expected_and_given(self):
        m = glc.load(self.so)
        with self.assertRaisesRegex(glc.GlcError, r"input 'x': expected float32\[2,16\], "
                                                  r"got float32\[3,16\]"):
            m(x=np.zeros((3, 16), np.float32))

    def test_wrong_dtype_names_input_expected_and_given(self):
        m = glc.load(self.so)
        with self.assertRaisesRegex(glc.GlcError, r"input 'x': expected float32\[2,16\], "
                                                  r"got int64\[2,16\]"):
            m(x=np.zeros((2, 16), np.int64))

    def test_unknown_and_missing_inputs_are_named(self):
        m = glc.load(self.so)
        with self.assertRaisesRegex(glc.GlcError, r"unknown input 'z' \(inputs: 'x'\)"):
            m(x=self.x, z=self.x)
        with self.assertRaisesRegex(glc.GlcError, r"missing input 'x' \(expected float32"):
            m()

    def test_compile_error_carries_the_one_line_diagnostic(self):
        with self.assertRaisesRegex(glc.GlcError, "unknown_op.onnx.*unsupported"):
            glc.compile(fix("unknown_op.onnx"), os.path.join(self.tmp.name, "bad.so"))
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "bad.so")))

    def test_load_rejects_a_file_that_is_not_a_model(self):
        with self.assertRaisesRegex(glc.GlcError, "cannot load compiled model"):
            glc.load(fix("mlp.onnx"))
        with self.assertRaisesRegex(glc.GlcError, "no symbols other_describe"):
            glc.load(self.so, prefix="other")

    def test_concurrent_calls_give_identical_results(self):
        m = glc.load(self.so)
        rng = np.random.default_rng(0)
        xs = [rng.standard_normal((2, 16)).astype(np.float32) for _ in range(4)]
        want = [m(x=x)["y"] for x in xs]
        bad = []

        def worker(k):
            for _ in range(50):
                if not np.array_equal(m(x=xs[k])["y"], want[k]):
                    bad.append(k)
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(bad, [])

    def test_threads_option_gives_identical_results(self):
        rng = np.random.default_rng(7)
        w = rng.standard_normal((256, 320)).astype(np.float32)
        path = matmul_model(os.path.join(self.tmp.name, "mm.onnx"), w, 64)
        so = glc.compile(path, os.path.join(self.tmp.name, "mm.so"))
        x = rng.standard_normal((64, 256)).astype(np.float32)
        ys = [glc.load(so, threads=t)(x=x)["y"] for t in (None, 1, 3)]
        np.testing.assert_allclose(ys[0], x.astype(np.float64) @ w, rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(ys[0], ys[1])
        np.testing.assert_array_equal(ys[0], ys[2])
        with self.assertRaises(glc.GlcError):
            glc.load(so, threads=0)

    def test_winograd_option_matches_a_numpy_convolution(self):
        import onnx
        from onnx import helper, numpy_helper
        rng = np.random.default_rng(3)
        w = rng.standard_normal((24, 16, 5, 5)).astype(np.float32)
        g = helper.make_graph(
            [helper.make_node("Conv", ["x", "w"], ["y"], pads=[2, 2, 2, 2])], "conv",
            [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 16, 9, 10])],
            [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2, 24, 9, 10])],
            [numpy_helper.from_array(w, "w")])
        path = os.path.join(self.tmp.name, "conv.onnx")
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
        x = rng.standard_normal((2, 16, 9, 10)).astype(np.float32)
        xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (2, 2), (2, 2)))
        want = np.zeros((2, 24, 9, 10))
        for i in range(5):
            for j in range(5):
                want += np.einsum("mc,nchw->nmhw", w[:, :, i, j], xp[:, :, i:i + 9, j:j + 10])
        for wino in (False, True):
            so = glc.compile(path, os.path.join(self.tmp.name, f"conv{wino}.so"), winograd=wino)
            y = glc.load(so)(x=x)["y"]
            err = np.abs(y - want).max() / np.abs(want).max()
            self.assertLess(err, 1e-5, f"winograd={wino}")

    def test_float16_and_unsigned_tensors_round_trip(self):
        import onnx
        from onnx import helper
        T = onnx.TensorProto
        g = helper.make_graph(
            [helper.make_node("Mul", ["a", "a"], ["sq"]), helper.make_node("Add", ["u", "u"], ["u2"])],
            "dt", [helper.make_tensor_value_info("a", T.FLOAT16, [5]),
                   helper.make_tensor_value_info("u", T.UINT64, [3])],
            [helper.make_tensor_value_info("sq", T.FLOAT16, [5]),
             helper.make_tensor_value_info("u2", T.UINT64, [3])])
        path = os.path.join(self.tmp.name, "dt.onnx")
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
        m = glc.load(glc.compile(path, os.path.join(self.tmp.name, "dt.so")))
        a = np.array([0.5, -2, 3, 100, 1e-3], np.float16)
        u = np.array([1, 2**63, 7], np.uint64)
        out = m(a=a, u=u)
        np.testing.assert_array_equal(out["sq"], a * a)
        np.testing.assert_array_equal(out["u2"], u + u)

    def test_bf16_weights_option_rounds_the_constant_weights(self):
        rng = np.random.default_rng(5)
        w = rng.standard_normal((128, 96)).astype(np.float32)
        path = matmul_model(os.path.join(self.tmp.name, "mm16.onnx"), w, 32)
        so = glc.compile(path, os.path.join(self.tmp.name, "mm16.so"), bf16_weights=True)
        x = rng.standard_normal((32, 128)).astype(np.float32)
        y = glc.load(so)(x=x)["y"]
        np.testing.assert_allclose(y, x.astype(np.float64) @ bf16_round(w), rtol=1e-5, atol=1e-4)
        self.assertGreater(np.abs(y - x.astype(np.float64) @ w).max(), 1e-3)

    def test_bf16_option_rounds_both_operands(self):
        rng = np.random.default_rng(6)
        w = rng.standard_normal((129, 96)).astype(np.float32)  # odd K: a padded pair
        path = matmul_model(os.path.join(self.tmp.name, "mmdot.onnx"), w, 32)
        # Two questions: does glc emit vdpbf16ps for its target (the host, or
        # GLC_DEFAULT_CPU), and can this host run it.
        try:
            so = glc.compile(path, os.path.join(self.tmp.name, "mmdot.so"), bf16=True)
        except glc.GlcError as e:
            if "--bf16 needs avx512bf16" not in str(e):
                raise
            self.skipTest(f"glc's target has no avx512bf16: {e}")
        if " avx512_bf16" not in open("/proc/cpuinfo").read():
            self.skipTest("this host cannot run avx512bf16 code")
        x = rng.standard_normal((32, 129)).astype(np.float32)
        y = glc.load(so)(x=x)["y"]
        w16 = bf16_round(w)
        np.testing.assert_allclose(y, bf16_round(x).astype(np.float64) @ w16, rtol=1e-5, atol=1e-4)
        self.assertGreater(np.abs(y - x.astype(np.float64) @ w16).max(), 1e-3)

    def test_compile_shapes_dims_bind_a_symbolic_model_to_a_static_one(self):
        rng = np.random.default_rng(8)
        w = rng.standard_normal((16, 8)).astype(np.float32)
        path = matmul_model(os.path.join(self.tmp.name, "mmN.onnx"), w, "N")
        sym = glc.load(glc.compile(path, os.path.join(self.tmp.name, "mmN.so")))
        self.assertEqual(sym.inputs[0].shape, (None, 16))
        self.assertEqual(sym.inputs[0].dim_names, ("N", None))
        x = rng.standard_normal((4, 16)).astype(np.float32)
        for k, kw in enumerate(({"shapes": {"x": (4, 16)}}, {"shapes": {"x": [4, None]}},
                                {"dims": {"N": 4}})):
            # A path per model: dlopen returns the library already loaded from a path.
            so = glc.compile(path, os.path.join(self.tmp.name, f"mm4_{k}.so"), **kw)
            m = glc.load(so)
            self.assertEqual((m.inputs[0].shape, m.outputs[0].shape), ((4, 16), (4, 8)), kw)
            np.testing.assert_allclose(m(x=x)["y"], x.astype(np.float64) @ w, rtol=1e-5,
                                       atol=1e-5)
            with self.assertRaisesRegex(glc.GlcError, r"expected float32\[4,16\]"):
                m(x=x[:3])
        # --dim drops the symbol (--shape leaves N in describe()'s n_symbols, bound to 4).
        self.assertEqual(m.n_symbols, 0)

    def test_compile_shapes_names_make_a_static_model_run_at_any_batch(self):
        # mlp.onnx's x is f32[2,16]; a name on axis 0 makes it the symbol 'batch'.
        so = glc.compile(fix("mlp.onnx"), os.path.join(self.tmp.name, "mlpN.so"),
                         shapes={"x": ("batch", None)})
        m = glc.load(so)
        self.assertEqual(m.inputs[0].shape, (None, 16))
        self.assertEqual(m.inputs[0].dim_names, ("batch", None))
        np.testing.assert_allclose(m(x=self.x)["y"], self.want, rtol=1e-5, atol=1e-6)
        # The rows are independent: 5 rows (x's two, repeated) give the rows of want.
        y5 = m(x=self.x[[0, 1, 1, 0, 1]])["y"]
        self.assertEqual(y5.shape, (5, 10))
        np.testing.assert_allclose(y5, self.want[[0, 1, 1, 0, 1]], rtol=1e-5, atol=1e-6)

    def test_compile_shapes_takes_a_symbol_with_an_x_on_a_rank_1_input(self):
        import onnx
        from onnx import helper
        T = onnx.TensorProto
        g = helper.make_graph([helper.make_node("Relu", ["v"], ["r"])], "relu",
                              [helper.make_tensor_value_info("v", T.FLOAT, [6])],
                              [helper.make_tensor_value_info("r", T.FLOAT, [6])])
        path = os.path.join(self.tmp.name, "relu1.onnx")
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
        m = glc.load(glc.compile(path, os.path.join(self.tmp.name, "relu1.so"),
                                 shapes={"v": ["max_len"]}))
        self.assertEqual((m.inputs[0].shape, m.inputs[0].dim_names), ((None,), ("max_len",)))
        for n in (1, 9):
            v = np.linspace(-1, 1, n, dtype=np.float32)
            np.testing.assert_array_equal(m(v=v)["r"], np.maximum(v, 0))

    def test_compile_shapes_gives_an_input_without_a_declared_shape_its_dims(self):
        import onnx
        from onnx import helper
        T = onnx.TensorProto
        g = helper.make_graph([helper.make_node("Relu", ["v"], ["r"])], "relu",
                              [helper.make_tensor_value_info("v", T.FLOAT, None)],
                              [helper.make_tensor_value_info("r", T.FLOAT, None)])
        path = os.path.join(self.tmp.name, "noshape.onnx")
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
        with self.assertRaisesRegex(glc.GlcError, r"input 'v' has no shape \(not even a rank\); "
                                                  r"give it with --shape v=D0xD1x"):
            glc.compile(path, os.path.join(self.tmp.name, "noshape.so"))
        m = glc.load(glc.compile(path, os.path.join(self.tmp.name, "noshape.so"),
                                 shapes={"v": ("n", None, 3)}))
        self.assertEqual((m.inputs[0].shape, m.inputs[0].dim_names),
                         ((None, None, 3), ("n", "v.1", None)))
        v = np.linspace(-1, 1, 2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
        np.testing.assert_array_equal(m(v=v)["r"], np.maximum(v, 0))

    def test_compile_max_dims_refuses_a_larger_call(self):
        so = glc.compile(fix("mlp.onnx"), os.path.join(self.tmp.name, "mlpB.so"),
                         shapes={"x": ["B", 16]}, max_dims={"B": 3})
        m = glc.load(so)
        self.assertEqual(m(x=self.x[[0, 1, 0]])["y"].shape, (3, 10))
        with self.assertRaisesRegex(glc.GlcError, r"input shapes \[\(4, 16\)\]: input dims "
                                                  r"the model does not accept"):
            m(x=self.x[[0, 1, 0, 1]])

    def test_compile_shapes_the_model_refuses_raise_the_drivers_one_line_error(self):
        out = os.path.join(self.tmp.name, "refused.so")
        for kw, msg in [({"shapes": {"x": (3, 16)}}, r"--shape x: axis 0 is 2 in the model, not 3"),
                        ({"shapes": {"x": (2, 16, 1)}}, r"--shape x has 3 dims; the model's "
                                                       r"input has rank 2"),
                        ({"shapes": {"z": (2, 16)}}, r"--shape z: the model has no graph input"),
                        ({"shapes": {"x": (-1, 16)}}, r"--shape x: '-1' is not a dim"),
                        ({"dims": {"Q": 3}}, r"--dim Q: no input dim of the model is named so"),
                        ({"max_dims": {"Q": 3}}, r"--max-dim Q: the model has no symbolic dim")]:
            with self.assertRaisesRegex(glc.GlcError, msg) as cm:
                glc.compile(fix("mlp.onnx"), out, **kw)
            self.assertNotIn("\n", str(cm.exception), kw)
            self.assertFalse(os.path.exists(out), kw)

    def test_compile_rejects_malformed_shapes_dims_and_max_dims(self):
        out = os.path.join(self.tmp.name, "malformed.so")
        for kw in [{"shapes": "x=2x16"}, {"shapes": {"x": "2x16"}}, {"shapes": {"x": 2}},
                   {"shapes": {"x": (2.0, 16)}}, {"shapes": {"x": (True, 16)}},
                   {"shapes": {"x": ("a-b", 16)}}, {"shapes": {"x": ("N,M", 16)}},
                   {"shapes": {"x": ()}}, {"shapes": {"x=y": (2, 16)}},
                   {"dims": {"N": "4"}}, {"dims": {"N": 4.0}}, {"dims": [("N", 4)]},
                   {"max_dims": {"2N": 4}}, {"max_dims": {"N": None}}]:
            with self.assertRaises(ValueError, msg=kw):
                glc.compile(fix("mlp.onnx"), out, **kw)
            self.assertFalse(os.path.exists(out), kw)

    def test_bound_runner_reuses_outputs(self):
        run = glc.load(self.so).bind({"x": self.x})
        y1 = run()[0].copy()
        y2 = run()[0]
        np.testing.assert_array_equal(y1, y2)
        np.testing.assert_allclose(y2, self.want, rtol=1e-5, atol=1e-6)


def run_fresh(code):
    """Runs code in a new interpreter with this package on its path; returns its result."""
    import subprocess
    import sys
    pkg = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(pkg))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


class LazySubmoduleTest(unittest.TestCase):
    def test_glc_keras_loads_on_first_attribute_access(self):
        r = run_fresh("import sys, glc\n"
                      "assert 'glc.keras' not in sys.modules, 'imported eagerly'\n"
                      "k = glc.keras\n"
                      "assert k is sys.modules['glc.keras'] and callable(glc.keras.export)\n"
                      "print('ok')")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "ok"), r.stderr)

    def test_import_glc_does_not_import_the_exporters_frameworks(self):
        r = run_fresh("import sys, glc\n"
                      "print(sorted(m for m in ('glc.keras', 'glc.torch', 'torch', 'tensorflow')"
                      " if m in sys.modules))")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "[]"), r.stderr)

    def test_glc_torch_loads_on_access_or_names_the_missing_framework(self):
        r = run_fresh("import glc\n"
                      "try:\n    print(callable(glc.torch.export))\n"
                      "except ModuleNotFoundError as e:\n    print('missing', e.name)")
        self.assertIn(r.stdout.strip(), ("True", "missing torch"), r.stderr)

    def test_unknown_attribute_is_an_attribute_error_and_dir_lists_the_exporters(self):
        with self.assertRaises(AttributeError):
            glc.no_such_thing
        self.assertFalse(hasattr(glc, "no_such_thing"))
        self.assertTrue({"keras", "torch", "compile", "load"} <= set(dir(glc)))


class CompileBytesTest(unittest.TestCase):
    """glc.compile(bytes, ...): through the driver by default, and with in_process=True by
    glc_compile_bytes in this process (libglc_compiler.so found beside the build's driver)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_model_bytes_compile_in_process_and_run(self):
        with open(fix("mlp.onnx"), "rb") as f:
            data = f.read()
        for in_process in (False, True):
            so = glc.compile(data, os.path.join(self.tmp.name, f"mlp{in_process}.so"),
                             name="mlp_b", in_process=in_process)
            y = glc.load(so, prefix="mlp_b")(x=np.load(fix("mlp.x.npy")))["y"]
            np.testing.assert_allclose(y, np.load(fix("mlp.expected_y.npy")), rtol=1e-5,
                                       atol=1e-5)

    def test_corrupt_bytes_raise_glc_error_with_the_one_line_diagnostic(self):
        so = os.path.join(self.tmp.name, "bad.so")
        with self.assertRaises(glc.GlcError) as e:
            glc.compile(b"\x0a\xff\xff\xff\x7f", so, in_process=True)
        self.assertIn("<bytes>: parse error", str(e.exception))
        self.assertNotIn("\n", str(e.exception))
        self.assertFalse(os.path.exists(so))

    def test_in_process_from_a_path_and_a_missing_path(self):
        so = glc.compile(fix("mlp.onnx"), os.path.join(self.tmp.name, "p.so"), in_process=True)
        y = glc.load(so)(x=np.load(fix("mlp.x.npy")))["y"]
        np.testing.assert_allclose(y, np.load(fix("mlp.expected_y.npy")), rtol=1e-5, atol=1e-5)
        with self.assertRaises(glc.GlcError) as e:
            glc.compile(fix("nope.onnx"), os.path.join(self.tmp.name, "n.so"), in_process=True)
        self.assertIn("nope.onnx", str(e.exception))

    def test_shape_for_no_such_input_is_glc_error(self):
        with open(fix("mlp.onnx"), "rb") as f:
            data = f.read()
        with self.assertRaises(glc.GlcError) as e:
            glc.compile(data, os.path.join(self.tmp.name, "s.so"), shapes={"nope": (1, 4)},
                        in_process=True)
        self.assertIn("nope", str(e.exception))

    def test_without_the_library_the_error_says_where_it_looked(self):
        old = os.environ.get("GLC_COMPILER_LIB")
        os.environ["GLC_COMPILER_LIB"] = os.path.join(self.tmp.name, "none.so")
        try:
            with self.assertRaises(glc.GlcError) as e:
                glc.compile(b"", os.path.join(self.tmp.name, "x.so"), in_process=True)
            self.assertIn("none.so", str(e.exception))
        finally:
            if old is None:
                del os.environ["GLC_COMPILER_LIB"]
            else:
                os.environ["GLC_COMPILER_LIB"] = old


class BundledDriverTest(unittest.TestCase):
    """A copy of the package with the driver in glc/bin (as `pip install ./python` lays it
    out; tests/wheel checks the real install) compiles with no GLC_DRIVER and no glc on
    PATH."""

    def setUp(self):
        import shutil
        self.tmp = tempfile.TemporaryDirectory()
        src = os.path.dirname(os.path.abspath(glc.__file__))
        self.pkg = os.path.join(self.tmp.name, "site", "glc")
        shutil.copytree(src, self.pkg, ignore=shutil.ignore_patterns("__pycache__"))
        self.driver = os.environ.get("GLC_DRIVER") or shutil.which("glc")
        if not self.driver:
            self.skipTest("no glc driver to bundle")

    def tearDown(self):
        self.tmp.cleanup()

    def run_site(self, code):
        import subprocess
        import sys
        env = {k: v for k, v in os.environ.items() if k != "GLC_DRIVER"}
        env.update(PYTHONPATH=os.path.dirname(self.pkg), PATH="/usr/bin:/bin")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, cwd=self.tmp.name)

    def test_compile_uses_the_driver_bundled_next_to_the_package(self):
        os.mkdir(os.path.join(self.pkg, "bin"))
        os.symlink(os.path.abspath(self.driver), os.path.join(self.pkg, "bin", "glc"))
        so = os.path.join(self.tmp.name, "mlp.so")
        r = self.run_site(f"import glc, glc._compile as c\n"
                          f"print(c._driver())\n"
                          f"glc.compile({fix('mlp.onnx')!r}, {so!r})\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), os.path.join(self.pkg, "bin", "glc"))
        y = glc.load(so)(x=np.load(fix("mlp.x.npy")))["y"]
        np.testing.assert_allclose(y, np.load(fix("mlp.expected_y.npy")), rtol=1e-5, atol=1e-5)

    def test_without_a_bundled_driver_the_error_says_where_one_is_looked_for(self):
        r = self.run_site(f"import glc\ntry:\n    glc.compile({fix('mlp.onnx')!r}, 'x.so')\n"
                          f"except glc.GlcError as e:\n    print(e)\n")
        self.assertIn("cannot find the glc driver", r.stdout, r.stderr)
        self.assertIn("glc/bin/glc", r.stdout)


if __name__ == "__main__":
    unittest.main()
