"""Self-checks of the ai.glc numpy oracle (run: cd tests/oracle && python3 -m unittest).

The oracle has no other judge, so these tests check it against independent formulations of
the same computation, each taken from a consistency claim of the spec:
* ONNX Conv (the input convolution) against the ONNX backend node tests' own data;
* a small ONNX LSTM written here from the ONNX LSTM definition, itself checked against the
  ONNX backend LSTM node tests; then MDLSTM (R=1, graves) and ConvLSTM (1x1 kernels, 1x1
  grid) must equal it;
* ConvLSTM bidirectional = forward and reverse run separately; layout 1 = layout 0
  transposed;
* MDLSTM direction k = direction 0 on the input flipped along k's reversed axes;
* GridLSTM K=1, L=1 = a time LSTM followed by a depth LSTM cell, stacked by hand.
Uses only numpy (plus onnx, when installed, to read the backend test data).
"""

import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glc_oracle as go  # noqa: E402

ONNX_NODE_DATA = "/usr/share/libonnx-testdata/data/node"


def rnd(rng, *shape):
    return rng.uniform(-0.5, 0.5, size=shape)


# ---------------------------------------------------------------------------------------
# Reference ONNX LSTM, written per sample and per step from the ONNX LSTM equations:
#   it = f(Xt Wi^T + Ht-1 Ri^T + Pi . Ct-1 + Wbi + Rbi)
#   ft = f(Xt Wf^T + Ht-1 Rf^T + Pf . Ct-1 + Wbf + Rbf)
#   ct = g(Xt Wc^T + Ht-1 Rc^T + Wbc + Rbc)
#   Ct = ft . Ct-1 + it . ct
#   ot = f(Xt Wo^T + Ht-1 Ro^T + Po . Ct + Wbo + Rbo)
#   Ht = ot . h(Ct)
# ---------------------------------------------------------------------------------------

def _act(name, alpha=None, beta=None):
    table = {
        "Sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
        "Tanh": np.tanh,
        "Relu": lambda v: np.maximum(v, 0),
        "HardSigmoid": lambda v: np.minimum(np.maximum((0.2 if alpha is None else alpha) * v
                                                       + (0.5 if beta is None else beta), 0), 1),
        "LeakyRelu": lambda v: np.where(v >= 0, v, (0.01 if alpha is None else alpha) * v),
        "Softsign": lambda v: v / (1 + np.abs(v)),
    }
    return table[name]


def ref_lstm(X, W, R, B=None, seq_lens=None, h0=None, c0=None, P=None, direction="forward",
             acts=("Sigmoid", "Tanh", "Tanh"), alphas=None, betas=None, clip=None, layout=0):
    """ONNX LSTM.  X [T, N, I] (layout 1: [N, T, I]) -> Y [T, D, N, H], Y_h, Y_c [D, N, H]."""
    X = np.asarray(X, np.float64)
    if layout == 1:
        X = X.transpose(1, 0, 2)
        h0 = None if h0 is None else np.asarray(h0).transpose(1, 0, 2)
        c0 = None if c0 is None else np.asarray(c0).transpose(1, 0, 2)
    T, N, _ = X.shape
    D = W.shape[0]
    H = R.shape[-1]
    Y = np.zeros((T, D, N, H))
    Yh = np.zeros((D, N, H))
    Yc = np.zeros((D, N, H))
    for d in range(D):
        names = acts[3 * d: 3 * d + 3] if len(acts) == 3 * D else acts[:3]
        al = (alphas or [None] * 3 * D)[3 * d: 3 * d + 3] if alphas and len(alphas) == 3 * D else [None] * 3
        be = (betas or [None] * 3 * D)[3 * d: 3 * d + 3] if betas and len(betas) == 3 * D else [None] * 3
        f, g, h = (_act(n, a, b) for n, a, b in zip(names, al, be))
        cl = (lambda v: np.clip(v, -clip, clip)) if clip is not None else (lambda v: v)
        Wi, Wo, Wf, Wc = np.split(np.asarray(W[d], np.float64), 4)
        Ri, Ro, Rf, Rc = np.split(np.asarray(R[d], np.float64), 4)
        bias = np.zeros(8 * H) if B is None else np.asarray(B[d], np.float64)
        bi, bo, bf, bc = np.split(bias[:4 * H] + bias[4 * H:], 4)
        pi, po, pf = np.split(np.zeros(3 * H) if P is None else np.asarray(P[d], np.float64), 3)
        rev = direction == "reverse" or (direction == "bidirectional" and d == 1)
        for n in range(N):
            length = T if seq_lens is None else int(seq_lens[n])
            Ht = np.zeros(H) if h0 is None else np.asarray(h0[d, n], np.float64)
            Ct = np.zeros(H) if c0 is None else np.asarray(c0[d, n], np.float64)
            steps = range(length - 1, -1, -1) if rev else range(length)
            for t in steps:
                x = X[t, n]
                it = f(cl(Wi @ x + Ri @ Ht + pi * Ct + bi))
                ft = f(cl(Wf @ x + Rf @ Ht + pf * Ct + bf))
                ct = g(cl(Wc @ x + Rc @ Ht + bc))
                Ct = ft * Ct + it * ct
                ot = f(cl(Wo @ x + Ro @ Ht + po * Ct + bo))
                Ht = ot * h(Ct)
                Y[t, d, n] = Ht
            Yh[d, n] = Ht
            Yc[d, n] = Ct
    if layout == 1:
        return Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    return Y, Yh, Yc


def load_node_test(name):
    """(attrs, inputs, outputs) of an ONNX backend node test, or None when unavailable."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        return None
    path = os.path.join(ONNX_NODE_DATA, name)
    if not os.path.isdir(path):
        return None
    model = onnx.load(os.path.join(path, "model.onnx"))
    node = model.graph.node[0]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    ds = os.path.join(path, "test_data_set_0")

    def read(prefix):
        out = []
        i = 0
        while os.path.exists(os.path.join(ds, "%s_%d.pb" % (prefix, i))):
            t = onnx.TensorProto()
            with open(os.path.join(ds, "%s_%d.pb" % (prefix, i)), "rb") as fh:
                t.ParseFromString(fh.read())
            out.append(numpy_helper.to_array(t))
            i += 1
        return out

    return attrs, list(node.input), read("input"), read("output")


class TestConvAgainstOnnxNodeTests(unittest.TestCase):
    """The input convolution of ConvLSTM is ONNX Conv: check conv_pads + conv_nd."""

    def run_case(self, name):
        data = load_node_test(name)
        if data is None:
            self.skipTest("ONNX backend test data (onnx + libonnx-testdata) not available")
        attrs, _, (x, w), (y,) = data
        r = x.ndim - 2
        strides = attrs.get("strides", [1] * r)
        dil = attrs.get("dilations", [1] * r)
        pb, pe = go.conv_pads(x.shape[2:], w.shape[2:], strides, dil, attrs.get("pads"),
                              attrs.get("auto_pad", "NOTSET"))
        got = go.conv_nd(x.astype(np.float64), w.astype(np.float64), strides, dil, pb, pe)
        self.assertEqual(got.shape, y.shape)
        np.testing.assert_allclose(got, y, rtol=1e-5, atol=1e-5)

    def test_conv_strides_padding(self):
        self.run_case("test_conv_with_strides_padding")

    def test_conv_strides_no_padding(self):
        self.run_case("test_conv_with_strides_no_padding")

    def test_conv_strides_asymmetric_padding(self):
        self.run_case("test_conv_with_strides_and_asymmetric_padding")

    def test_conv_autopad_same_lower(self):
        self.run_case("test_conv_with_autopad_same")

    def test_same_upper_puts_odd_pad_at_end_and_same_lower_at_begin(self):
        # S=6, k=4, stride 1: total pad 3.
        self.assertEqual(go.conv_pads([6], [4], [1], [1], None, "SAME_UPPER"), ([1], [2]))
        self.assertEqual(go.conv_pads([6], [4], [1], [1], None, "SAME_LOWER"), ([2], [1]))
        # S=7, k=3, stride 2, dilation 2: out 4, span 5, total = 3*2+5-7 = 4.
        self.assertEqual(go.conv_pads([7], [3], [2], [2], None, "SAME_UPPER"), ([2], [2]))
        self.assertEqual(go.conv_pads([7], [3], [1], [1], None, "VALID"), ([0], [0]))

    def test_conv_nd_matches_direct_loop_with_dilation_and_stride(self):
        rng = np.random.default_rng(1)
        x = rnd(rng, 2, 3, 9, 8)
        w = rnd(rng, 4, 3, 3, 2)
        st, dl, pb, pe = [2, 1], [2, 3], [1, 0], [2, 1]
        got = go.conv_nd(x, w, st, dl, pb, pe)
        xp = np.pad(x, [(0, 0), (0, 0), (1, 2), (0, 1)])
        oh = (xp.shape[2] - (2 * 2 + 1)) // 2 + 1
        ow = (xp.shape[3] - (1 * 3 + 1)) // 1 + 1
        want = np.zeros((2, 4, oh, ow))
        for a in range(oh):
            for b in range(ow):
                for ky in range(3):
                    for kx in range(2):
                        want[:, :, a, b] += xp[:, :, a * 2 + ky * 2, b + kx * 3] @ w[:, :, ky, kx].T
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


class TestReferenceLstmAgainstOnnxNodeTests(unittest.TestCase):
    """ref_lstm (used below as the judge) must reproduce ONNX's own LSTM test data."""

    def run_case(self, name):
        data = load_node_test(name)
        if data is None:
            self.skipTest("ONNX backend test data (onnx + libonnx-testdata) not available")
        attrs, names, inputs, outputs = data
        named = dict(zip(names, inputs))
        layout = attrs.get("layout", 0)
        Y, Yh, _ = ref_lstm(named["X"], named["W"], named["R"], B=named.get("B"), P=named.get("P"),
                            layout=layout)
        if len(outputs) == 2:
            np.testing.assert_allclose(Y, outputs[0], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(Yh, outputs[1], rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_allclose(Yh, outputs[0], rtol=1e-5, atol=1e-6)

    def test_lstm_defaults(self):
        self.run_case("test_lstm_defaults")

    def test_lstm_with_initial_bias(self):
        self.run_case("test_lstm_with_initial_bias")

    def test_lstm_with_peepholes(self):
        self.run_case("test_lstm_with_peepholes")

    def test_lstm_batchwise(self):
        self.run_case("test_lstm_batchwise")


class TestActivations(unittest.TestCase):
    def test_values_and_defaults(self):
        x = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
        np.testing.assert_allclose(go.activation("HardSigmoid")(x), np.clip(0.2 * x + 0.5, 0, 1))
        np.testing.assert_allclose(go.activation("HardSigmoid", 1 / 6, 0.5)(x), np.clip(x / 6 + 0.5, 0, 1))
        np.testing.assert_allclose(go.activation("LeakyRelu")(x), np.where(x >= 0, x, 0.01 * x))
        np.testing.assert_allclose(go.activation("Affine")(x), x)
        np.testing.assert_allclose(go.activation("ScaledTanh")(x), np.tanh(x))
        np.testing.assert_allclose(go.activation("ScaledTanh", 2.0, 0.5)(x), 2 * np.tanh(0.5 * x))
        np.testing.assert_allclose(go.activation("ThresholdedRelu")(x), np.where(x > 1.0, x, 0))
        np.testing.assert_allclose(go.activation("Elu")(x), np.where(x >= 0, x, np.exp(x) - 1))
        np.testing.assert_allclose(go.activation("Softplus")(x), np.log1p(np.exp(x)))
        np.testing.assert_allclose(go.activation("Softsign")(x), x / (1 + abs(x)))
        np.testing.assert_allclose(go.activation("Sigmoid")(np.array([-800.0, 0.0, 800.0])), [0, 0.5, 1])

    def test_alpha_consumed_only_by_functions_taking_one(self):
        f, g, h = go.resolve_activations(["Sigmoid", "LeakyRelu", "HardSigmoid"], [0.1, 0.3], [0.4], 3)
        x = np.array([-1.0, 1.0])
        np.testing.assert_allclose(g(x), [-0.1, 1.0])
        np.testing.assert_allclose(h(x), np.clip(0.3 * x + 0.4, 0, 1))


class TestConvLstm(unittest.TestCase):
    def test_1x1_kernels_on_1x1_grid_equal_onnx_lstm(self):
        rng = np.random.default_rng(2)
        T, N, C, F = 5, 3, 4, 3
        for rank in (1, 2, 3):
            for direction, D in (("forward", 1), ("reverse", 1), ("bidirectional", 2)):
                one = (1,) * rank
                X = rnd(rng, T, N, C)
                W = rnd(rng, D, 4 * F, C)
                R = rnd(rng, D, 4 * F, F)
                B = rnd(rng, D, 8 * F)
                P = rnd(rng, D, 3 * F)
                h0, c0 = rnd(rng, D, N, F), rnd(rng, D, N, F)
                lens = np.array([5, 2, 0])
                acts = ["HardSigmoid", "Tanh", "Softsign"] * D
                Y, Yh, Yc = go.conv_lstm(
                    X.reshape((T, N, C) + one), W.reshape(W.shape + one), R.reshape(R.shape + one), B, lens,
                    h0.reshape(h0.shape + one), c0.reshape(c0.shape + one), P.reshape(P.shape + one),
                    hidden_size=F, direction=direction, activations=acts, clip=0.4)
                rY, rYh, rYc = ref_lstm(X, W, R, B, lens, h0, c0, P, direction, acts, clip=0.4)
                np.testing.assert_allclose(Y.reshape(rY.shape), rY, rtol=1e-5, atol=1e-6)
                np.testing.assert_allclose(Yh.reshape(rYh.shape), rYh, rtol=1e-5, atol=1e-6)
                np.testing.assert_allclose(Yc.reshape(rYc.shape), rYc, rtol=1e-5, atol=1e-6)

    def test_1x1_kernels_on_1x1_grid_equal_onnx_lstm_layout1(self):
        rng = np.random.default_rng(3)
        T, N, C, F = 4, 2, 3, 2
        X = rnd(rng, N, T, C)
        W, R, B = rnd(rng, 1, 4 * F, C), rnd(rng, 1, 4 * F, F), rnd(rng, 1, 8 * F)
        h0 = rnd(rng, N, 1, F)
        Y, Yh, Yc = go.conv_lstm(X[..., None, None], W[..., None, None], R[..., None, None], B,
                                 initial_h=h0[..., None, None], hidden_size=F, layout=1)
        rY, rYh, rYc = ref_lstm(X, W, R, B, h0=h0, layout=1)
        np.testing.assert_allclose(Y[..., 0, 0], rY, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(Yh[..., 0, 0], rYh, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(Yc[..., 0, 0], rYc, rtol=1e-5, atol=1e-6)

    def test_bidirectional_equals_forward_and_reverse_run_separately(self):
        rng = np.random.default_rng(4)
        T, N, C, F = 4, 3, 2, 3
        X = rnd(rng, T, N, C, 7, 5)
        W, R = rnd(rng, 2, 4 * F, C, 3, 2), rnd(rng, 2, 4 * F, F, 2, 3)
        B, P = rnd(rng, 2, 8 * F), rnd(rng, 2, 3 * F, 3, 4)
        h0, c0 = rnd(rng, 2, N, F, 3, 4), rnd(rng, 2, N, F, 3, 4)
        lens = np.array([4, 1, 3], dtype=np.int32)
        acts = ["Sigmoid", "Tanh", "Tanh", "HardSigmoid", "Softsign", "Relu"]
        common = dict(hidden_size=F, strides=[2, 1], dilations=[1, 2], pads=[1, 0, 0, 1], clip=0.6)
        Y, Yh, Yc = go.conv_lstm(X, W, R, B, lens, h0, c0, P, direction="bidirectional", activations=acts,
                                 activation_alpha=[0.3], activation_beta=[0.4], **common)
        for d, direction in ((0, "forward"), (1, "reverse")):
            s = slice(d, d + 1)
            y, yh, yc = go.conv_lstm(X, W[s], R[s], B[s], lens, h0[s], c0[s], P[s], direction=direction,
                                     activations=acts[3 * d: 3 * d + 3],
                                     activation_alpha=[0.3] if d else None,
                                     activation_beta=[0.4] if d else None, **common)
            np.testing.assert_array_equal(Y[:, s], y)
            np.testing.assert_array_equal(Yh[s], yh)
            np.testing.assert_array_equal(Yc[s], yc)
        # Steps past a sample's length are zero in Y, for both directions.
        self.assertTrue((Y[1:, :, 1] == 0).all())
        self.assertTrue((Y[3:, :, 2] == 0).all())

    def test_reverse_equals_forward_on_time_reversed_valid_prefix(self):
        rng = np.random.default_rng(5)
        T, N, C, F = 5, 2, 2, 2
        X = rnd(rng, T, N, C, 6)
        W, R, B = rnd(rng, 1, 4 * F, C, 3), rnd(rng, 1, 4 * F, F, 4), rnd(rng, 1, 8 * F)
        lens = np.array([5, 3])
        kw = dict(hidden_size=F, auto_pad="SAME_LOWER")
        Y, Yh, _ = go.conv_lstm(X, W, R, B, lens, direction="reverse", **kw)
        for n in range(N):
            L = lens[n]
            xr = X[:L, n:n + 1][::-1]
            y, yh, _ = go.conv_lstm(xr, W, R, B, direction="forward", **kw)
            np.testing.assert_allclose(Y[:L, :, n:n + 1], y[::-1], rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(Yh[:, n:n + 1], yh, rtol=1e-6, atol=1e-7)

    def test_layout1_is_layout0_transposed(self):
        rng = np.random.default_rng(6)
        T, N, C, F = 3, 2, 2, 2
        X = rnd(rng, T, N, C, 3, 3, 3)
        W, R = rnd(rng, 2, 4 * F, C, 2, 1, 3), rnd(rng, 2, 4 * F, F, 3, 3, 2)
        h0 = rnd(rng, 2, N, F, 3, 3, 3)
        kw = dict(hidden_size=F, direction="bidirectional", auto_pad="SAME_UPPER")
        Y0, Yh0, Yc0 = go.conv_lstm(X, W, R, initial_h=h0, **kw)
        Y1, Yh1, Yc1 = go.conv_lstm(np.swapaxes(X, 0, 1), W, R, initial_h=np.swapaxes(h0, 0, 1), layout=1, **kw)
        np.testing.assert_array_equal(Y1, np.moveaxis(Y0, 2, 0))
        np.testing.assert_array_equal(Yh1, np.swapaxes(Yh0, 0, 1))
        np.testing.assert_array_equal(Yc1, np.swapaxes(Yc0, 0, 1))

    def test_even_recurrent_kernel_pads_at_end(self):
        # One step from a non-zero initial_h: the recurrent term at position s reads h at
        # s-0..s+1 for a width-2 kernel (SAME_UPPER: pad 0 before, 1 after).
        F = 1
        h0 = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3)
        R = np.zeros((1, 4, 1, 2))
        R[0, 3, 0] = [10.0, 100.0]  # cell-candidate block: 10*h[s] + 100*h[s+1]
        W = np.zeros((1, 4, 1, 1))
        X = np.zeros((1, 1, 1, 3))
        _, _, Yc = go.conv_lstm(X, W, R, initial_h=h0, hidden_size=F,
                                activations=["Affine", "Affine", "Affine"], activation_alpha=[0.0, 1.0, 1.0],
                                activation_beta=[1.0, 0.0, 0.0])
        # f = 1 (Affine 0*x+1), g = identity: C = 0*1 + 1*(10 h[s] + 100 h[s+1]).
        np.testing.assert_allclose(Yc.ravel(), [210.0, 320.0, 30.0])


class TestMdLstm(unittest.TestCase):
    def test_rank1_graves_equals_onnx_lstm(self):
        rng = np.random.default_rng(7)
        N, C, F, S = 3, 4, 3, 7
        X = rnd(rng, N, C, S)
        W, R, B = rnd(rng, 1, 4 * F, C), rnd(rng, 1, 1, 4 * F, F), rnd(rng, 1, 4 * F)
        Y = go.md_lstm(X, W, R, B, hidden_size=F, activations=["Sigmoid", "Softsign", "Tanh"], clip=0.7)
        rY, _, _ = ref_lstm(X.transpose(2, 0, 1), W, R[:, 0], np.concatenate([B, np.zeros_like(B)], 1),
                            acts=("Sigmoid", "Softsign", "Tanh"), clip=0.7)
        np.testing.assert_allclose(Y[:, 0], rY[:, 0].transpose(1, 2, 0), rtol=1e-5, atol=1e-6)
        # Direction 1 of rank 1 is the reverse LSTM.
        Y1 = go.md_lstm(X, np.concatenate([W, W]), np.concatenate([R, R]), np.concatenate([B, B]),
                        hidden_size=F, directions=2, activations=["Sigmoid", "Softsign", "Tanh"], clip=0.7)
        rY1, _, _ = ref_lstm(X.transpose(2, 0, 1), W, R[:, 0], np.concatenate([B, np.zeros_like(B)], 1),
                             direction="reverse", acts=("Sigmoid", "Softsign", "Tanh"), clip=0.7)
        np.testing.assert_allclose(Y1[:, 1], rY1[:, 0].transpose(1, 2, 0), rtol=1e-5, atol=1e-6)

    def test_rank1_extents_equal_onnx_lstm_sequence_lens(self):
        rng = np.random.default_rng(8)
        N, C, F, S = 3, 2, 2, 6
        X = rnd(rng, N, C, S)
        W, R = rnd(rng, 2, 4 * F, C), rnd(rng, 2, 1, 4 * F, F)
        ext = np.array([[6], [2], [0]])
        Y = go.md_lstm(X, W, R, extents=ext, hidden_size=F, directions=2)
        rY, _, _ = ref_lstm(X.transpose(2, 0, 1), W, R[:, 0], seq_lens=ext[:, 0], direction="bidirectional")
        np.testing.assert_allclose(Y, rY.transpose(2, 1, 3, 0), rtol=1e-5, atol=1e-6)

    def check_flip(self, cell, rank, spatial, with_p, with_ext):
        rng = np.random.default_rng(9 + rank)
        N, C, F = 2, 3, 2
        G = 5 if cell == "stable" else 3 + rank
        D = 2 ** rank
        X = rnd(rng, N, C, *spatial)
        W, R, B = rnd(rng, D, G * F, C), rnd(rng, D, rank, G * F, F), rnd(rng, D, G * F)
        P = rnd(rng, D, (2 + rank) * F) if with_p else None
        ext = np.array([[max(1, s - 1 - n) for s in spatial] for n in range(N)]) if with_ext else None
        kw = dict(hidden_size=F, cell=cell, activations=["HardSigmoid", "Tanh", "Softsign"], clip=0.8)
        Y = go.md_lstm(X, W, R, B, P, ext, directions=D, **kw)
        for k in range(D):
            rev = go.md_scan_reversed(k, rank)
            axes = [2 + ax for ax in range(rank) if rev[ax]]
            s = slice(k, k + 1)
            for n in range(N):
                # Flip only the valid box of sample n; outside it Y must be zero.
                box = tuple(slice(0, e) for e in (ext[n] if with_ext else spatial))
                xn = X[(slice(n, n + 1), slice(None)) + box]
                y0 = go.md_lstm(np.flip(xn, axes), W[s], R[s], B[s], None if P is None else P[s], None, **kw)
                want = np.flip(y0[:, 0], axes)
                np.testing.assert_allclose(Y[(slice(n, n + 1), k, slice(None)) + box], want,
                                           rtol=1e-6, atol=1e-7, err_msg="k=%d n=%d" % (k, n))
                if with_ext:
                    mask = np.ones(spatial, bool)
                    mask[box] = False
                    self.assertTrue((Y[n, k][:, mask] == 0).all())

    def test_direction_k_equals_direction_0_on_flipped_input(self):
        self.check_flip("graves", 1, (5,), True, False)
        self.check_flip("graves", 2, (4, 3), True, False)
        self.check_flip("graves", 3, (3, 2, 3), False, False)
        self.check_flip("spatial", 2, (3, 4), False, False)
        self.check_flip("stable", 2, (4, 3), False, False)

    def test_direction_k_with_extents_equals_direction_0_on_flipped_valid_box(self):
        self.check_flip("graves", 2, (5, 4), True, True)
        self.check_flip("stable", 2, (4, 5), False, True)
        self.check_flip("spatial", 3, (3, 3, 4), False, True)

    def test_direction_bits_name_axes_from_the_last(self):
        self.assertEqual(go.md_scan_reversed(1, 2), [False, True])  # columns right-to-left
        self.assertEqual(go.md_scan_reversed(2, 2), [True, False])  # rows bottom-up
        self.assertEqual(go.md_scan_reversed(3, 2), [True, True])
        self.assertEqual(go.md_scan_reversed(4, 3), [True, False, False])

    def test_cells_on_a_2x2_grid_by_hand(self):
        # Bottom-right position of direction 0 from explicit formulas, all three cells.
        rng = np.random.default_rng(10)
        N, C, F = 1, 2, 2
        X = rnd(rng, N, C, 2, 2)
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        for cell, G in (("graves", 5), ("spatial", 5), ("stable", 5)):
            W, R, B = rnd(rng, 1, G * F, C), rnd(rng, 1, 2, G * F, F), rnd(rng, 1, G * F)
            P = rnd(rng, 1, 4 * F) if cell == "graves" else None
            Y = go.md_lstm(X, W, R, B, P, hidden_size=F, cell=cell)
            hs, cs = {}, {}
            for p in ((0, 0), (0, 1), (1, 0), (1, 1)):
                up, left = (p[0] - 1, p[1]), (p[0], p[1] - 1)
                hu, cu = (hs[up], cs[up]) if up in hs else (np.zeros(F), np.zeros(F))
                hl, cl = (hs[left], cs[left]) if left in hs else (np.zeros(F), np.zeros(F))
                a = W[0] @ X[0, :, p[0], p[1]] + R[0, 0] @ hu + R[0, 1] @ hl + B[0]
                b = [a[j * F:(j + 1) * F] for j in range(G)]
                if cell == "graves":
                    i = sig(b[0] + P[0, :F] * (cu + cl))
                    c = i * np.tanh(b[4]) + sig(b[2] + P[0, 2 * F:3 * F] * cu) * cu \
                        + sig(b[3] + P[0, 3 * F:] * cl) * cl
                    hh = sig(b[1] + P[0, F:2 * F] * c) * np.tanh(c)
                elif cell == "spatial":
                    c = sig(b[0]) * np.tanh(b[4]) + sig(b[2]) * cu + sig(b[3]) * cl
                    hh = np.tanh(sig(b[1]) * c)
                else:
                    lam = sig(b[3])
                    c = sig(b[0]) * np.tanh(b[4]) + sig(b[2]) * (lam * cu + (1 - lam) * cl)
                    hh = sig(b[1]) * np.tanh(c)
                hs[p], cs[p] = hh, c
            for p in hs:
                np.testing.assert_allclose(Y[0, 0, :, p[0], p[1]], hs[p], rtol=1e-5, atol=1e-6, err_msg=cell)


class TestGridLstm(unittest.TestCase):
    def hand_stacked(self, X, W, B, W_in, priority, L=1, tied=0):
        """K=1: per layer, a time LSTM over the layer's input h_depth(., l-1), then a depth
        LSTM cell per position whose memory is m_depth(p, l-1) (zero for l=1)."""
        N, C, S = X.shape
        F = W.shape[2] // 4
        h_depth = np.einsum("fc,ncs->snf", W_in, X) if W_in is not None else X.transpose(2, 0, 1)
        m_depth = np.zeros((S, N, F))
        for layer in range(L):
            Wl, Bl = W[0 if tied else layer], B[0 if tied else layer]
            Wt = Wl[0]  # acts on [h_time(p-1); h_depth(p, l-1)]
            Yt, _, _ = ref_lstm(h_depth, Wt[None, :, F:], Wt[None, :, :F], np.concatenate([Bl[0], np.zeros(4 * F)])[None])
            h_time = Yt[:, 0]  # [S, N, F]
            h_prev = h_time if priority else np.concatenate([np.zeros((1, N, F)), h_time[:-1]])
            depth_in = np.concatenate([h_prev, h_depth], axis=2).reshape(1, S * N, 2 * F)
            _, Yh, Yc = ref_lstm(depth_in, Wl[1][None], np.zeros((1, 4 * F, F)),
                                 np.concatenate([Bl[1], np.zeros(4 * F)])[None], c0=m_depth.reshape(1, S * N, F))
            h_depth, m_depth = Yh[0].reshape(S, N, F), Yc[0].reshape(S, N, F)
        return h_depth.transpose(1, 2, 0)

    def test_k1_l1_equals_hand_stacked_lstms(self):
        rng = np.random.default_rng(11)
        N, C, F, S = 2, 3, 4, 7
        X = rnd(rng, N, C, S)
        W, B, W_in = rnd(rng, 1, 2, 4 * F, 2 * F), rnd(rng, 1, 2, 4 * F), rnd(rng, F, C)
        for priority in (1, 0):
            for tied in (0, 1):
                Y = go.grid_lstm(X, W, B, W_in, hidden_size=F, num_layers=1, tied=tied, priority=priority)
                np.testing.assert_allclose(Y, self.hand_stacked(X, W, B, W_in, priority), rtol=1e-5, atol=1e-6)

    def test_k1_deeper_equals_hand_stacked_lstms(self):
        rng = np.random.default_rng(14)
        N, F, S = 3, 3, 5
        X = rnd(rng, N, F, S)
        W, B = rnd(rng, 3, 2, 4 * F, 2 * F), rnd(rng, 3, 2, 4 * F)
        for priority in (1, 0):
            for L in (2, 3):
                Y = go.grid_lstm(X, W[:L], B[:L], hidden_size=F, num_layers=L, priority=priority)
                np.testing.assert_allclose(Y, self.hand_stacked(X, W, B, None, priority, L), rtol=1e-5, atol=1e-6)
            Y = go.grid_lstm(X, W[:1], B[:1], hidden_size=F, num_layers=3, tied=1, priority=priority)
            np.testing.assert_allclose(Y, self.hand_stacked(X, W, B, None, priority, 3, tied=1), rtol=1e-5, atol=1e-6)

    def test_tied_equals_untied_with_identical_layers_k2(self):
        rng = np.random.default_rng(12)
        N, F = 2, 3
        X = rnd(rng, N, F, 3, 4)
        W, B = rnd(rng, 1, 3, 4 * F, 3 * F), rnd(rng, 1, 3, 4 * F)
        Wt, Bt = np.repeat(W, 3, axis=0), np.repeat(B, 3, axis=0)
        for priority in (0, 1):
            np.testing.assert_array_equal(
                go.grid_lstm(X, Wt, Bt, hidden_size=F, num_layers=3, priority=priority),
                go.grid_lstm(X, W, B, hidden_size=F, num_layers=3, tied=1, priority=priority))

    def test_k2_position_by_hand(self):
        # Position (1, 1) of a 2x2 grid, L=1, priority 1, from the spec's equations.
        rng = np.random.default_rng(13)
        N, F = 1, 2
        X = rnd(rng, N, F, 2, 2)
        W, B = rnd(rng, 1, 3, 4 * F, 3 * F), rnd(rng, 1, 3, 4 * F)
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731

        def cell(j, Hin, m):
            a = W[0, j] @ Hin + B[0, j]
            m2 = sig(a[2 * F:3 * F]) * m + sig(a[:F]) * np.tanh(a[3 * F:])
            return sig(a[F:2 * F]) * np.tanh(m2), m2

        h = {}
        m = {}
        Y = np.zeros((F, 2, 2))
        for p in ((0, 0), (0, 1), (1, 0), (1, 1)):
            q0, q1 = (p[0] - 1, p[1]), (p[0], p[1] - 1)
            h0p, m0p = (h[0, q0], m[0, q0]) if (0, q0) in h else (np.zeros(F), np.zeros(F))
            h1p, m1p = (h[1, q1], m[1, q1]) if (1, q1) in h else (np.zeros(F), np.zeros(F))
            x = X[0, :, p[0], p[1]]
            H = np.concatenate([h0p, h1p, x])
            h[0, p], m[0, p] = cell(0, H, m0p)
            h[1, p], m[1, p] = cell(1, H, m1p)
            Y[:, p[0], p[1]], _ = cell(2, np.concatenate([h[0, p], h[1, p], x]), np.zeros(F))
        np.testing.assert_allclose(go.grid_lstm(X, W, B, hidden_size=F, num_layers=1)[0], Y, rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
    unittest.main()
