"""Checks glc.torch against the numpy oracle (tests/oracle/glc_oracle.py): the functional
forms on many variants, and export of a model holding all three modules, run by
onnx.reference with the oracle as the ai.glc ops. Needs torch and onnx (build-venv-bench):
    build-venv-bench/bin/python python/tests/torch/check_against_oracle.py
"""
import sys, os, numpy as np, torch
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python")); sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
import glc.torch as gt, glc_oracle as O
rng = np.random.default_rng(0)
def rnd(*s): return rng.uniform(-0.5, 0.5, s).astype(np.float32)
def chk(name, got, want):
    got = [g.detach().numpy() for g in (got if isinstance(got, (tuple, list)) else [got])]
    want = want if isinstance(want, (tuple, list)) else [want]
    e = max(np.abs(a - b).max() / max(np.abs(b).max(), 1e-9) for a, b in zip(got, want))
    print(f"{name:32s} {e:.1e}", "OK" if e < 1e-5 else "FAIL")
T = lambda a: torch.from_numpy(a)
# ConvLSTM cases
for name, kw, shp in [("clstm2d_fwd_same", dict(auto_pad="SAME_UPPER"), (3, 2, 2, 5, 6)),
                      ("clstm2d_bidir_valid_strided", dict(direction="bidirectional", strides=[2, 1]), (4, 2, 3, 7, 5)),
                      ("clstm1d_reverse_acts_clip", dict(direction="reverse", activations=["HardSigmoid", "Tanh", "Relu"], activation_alpha=[0.3], clip=1.5), (4, 2, 3, 9)),
                      ("clstm3d_lower", dict(auto_pad="SAME_LOWER", dilations=[1, 2, 1]), (2, 1, 2, 4, 5, 3))]:
    Tn, N, C = shp[:3]; sp = shp[3:]; r = len(sp); D = 2 if kw.get("direction") == "bidirectional" else 1; F = 3
    X = rnd(*shp); W = rnd(D, 4 * F, C, *([2] * r)); R = rnd(D, 4 * F, F, *([3] * r)); B = rnd(D, 8 * F)
    lens = np.array([Tn, max(Tn - 2, 0)][:N], np.int32)
    want = O.conv_lstm(X, W, R, B, sequence_lens=lens, hidden_size=F, **kw)
    got = gt.conv_lstm(T(X), T(W), T(R), T(B), T(lens), hidden_size=F, **kw)
    chk(name, got, want)
# peepholes + initial + layout 1
X = rnd(2, 3, 2, 5, 4); W = rnd(1, 8, 2, 3, 3); R = rnd(1, 8, 2, 3, 3); B = rnd(1, 16)
P = rnd(1, 6, 5, 4); h0 = rnd(2, 1, 2, 5, 4); c0 = rnd(2, 1, 2, 5, 4)
want = O.conv_lstm(X, W, R, B, None, h0, c0, P, hidden_size=2, auto_pad="SAME_UPPER", layout=1)
got = gt.conv_lstm(T(X), T(W), T(R), T(B), None, T(h0), T(c0), T(P), hidden_size=2, auto_pad="SAME_UPPER", layout=1)
chk("clstm2d_layout1_peep_init", got, want)
# MDLSTM
for name, kw, shp, rank in [("md2d_graves_d4_peep", dict(directions=4, cell="graves"), (2, 3, 4, 5), 2),
                            ("md2d_stable_d2_ext", dict(directions=2, cell="stable"), (2, 3, 4, 5), 2),
                            ("md3d_spatial_d3", dict(directions=3, cell="spatial"), (1, 2, 3, 2, 3), 3),
                            ("md1d_graves_acts", dict(directions=2, cell="graves", activations=["Sigmoid", "Softsign", "Tanh"], clip=0.8), (2, 3, 6), 1)]:
    F = 3; G = 5 if kw["cell"] == "stable" else 3 + rank; D = kw["directions"]
    X = rnd(*shp); W = rnd(D, G * F, shp[1]); R = rnd(D, rank, G * F, F); B = rnd(D, G * F)
    P = rnd(D, (2 + rank) * F) if "peep" in name else None
    ext = np.array([[s - 1 for s in shp[2:]], list(shp[2:])], np.int64)[:shp[0]] if "ext" in name else None
    want = O.md_lstm(X, W, R, B, P, ext, hidden_size=F, **kw)
    got = gt.md_lstm(T(X), T(W), T(R), T(B), None if P is None else T(P), None if ext is None else T(ext), hidden_size=F, **kw)
    chk(name, got, want)
# GridLSTM
for name, kw, shp, win in [("grid1d_l3_tied", dict(num_layers=3, tied=1, priority=1), (2, 4, 5), False),
                           ("grid2d_l2_prio0_win", dict(num_layers=2, tied=0, priority=0), (2, 3, 3, 4), True)]:
    F = 4; K = len(shp) - 2; Lw = 1 if kw["tied"] else kw["num_layers"]
    X = rnd(*shp); W = rnd(Lw, K + 1, 4 * F, (K + 1) * F); B = rnd(Lw, K + 1, 4 * F); Win = rnd(F, shp[1]) if win else None
    want = O.grid_lstm(X, W, B, Win, hidden_size=F, **kw)
    got = gt.grid_lstm(T(X), T(W), T(B), None if Win is None else T(Win), hidden_size=F, **kw)
    chk(name, got, want)
import onnx
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
def attrs_of(self, names):
    return {k: getattr(self, k) for k in names if getattr(self, k, None) is not None}
class ConvLSTM(OpRun):
    op_domain = "ai.glc"
    def _run(self, X, W, R, B=None, sl=None, h0=None, c0=None, P=None, **kw):
        return O.conv_lstm(X, W, R, B, sl, h0, c0, P, **attrs_of(self, ["hidden_size","kernel_shape","strides","dilations","pads","auto_pad","direction","activations","activation_alpha","activation_beta","clip","layout"]))
class MDLSTM(OpRun):
    op_domain = "ai.glc"
    def _run(self, X, W, R, B=None, P=None, ext=None, **kw):
        return (O.md_lstm(X, W, R, B, P, ext, **attrs_of(self, ["hidden_size","directions","cell","activations","activation_alpha","activation_beta","clip"])),)
class GridLSTM(OpRun):
    op_domain = "ai.glc"
    def _run(self, X, W, B=None, Win=None, **kw):
        return (O.grid_lstm(X, W, B, Win, **attrs_of(self, ["hidden_size","num_layers","tied","priority","activations"])),)
class Net(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.conv = torch.nn.Conv2d(1, 3, 3, padding=1)
        s.md = gt.MDLSTM(3, 4, rank=2, directions=2, cell="stable")
        s.clstm = gt.ConvLSTM(2, 3, 3, rank=2, auto_pad="SAME_UPPER", direction="bidirectional", layout=1)
        s.grid = gt.GridLSTM(5, 6, num_layers=2, k=1, tied=True)
        s.fc = torch.nn.Linear(6, 2)
    def forward(s, img, vid, seq):
        a = s.md(s.conv(img)).sum()
        y, yh, yc = s.clstm(vid)
        g = s.grid(seq)                      # [N, F, T]
        return s.fc(g.transpose(1, 2)) + a + yh.mean()
torch.manual_seed(0)
NET_ONNX = os.path.join(__import__("tempfile").mkdtemp(), "net.onnx")
net = Net()
with torch.no_grad():
    for p in net.parameters(): p.uniform_(-0.5, 0.5)
img, vid, seq = torch.randn(2, 1, 4, 5), torch.randn(2, 3, 2, 4, 4), torch.randn(2, 5, 6)
want = net(img, vid, seq).detach().numpy()
gt.export(net, (img, vid, seq), NET_ONNX, input_names=["img", "vid", "seq"], output_names=["y"])
m = onnx.load(NET_ONNX)
print(sorted(set((n.domain, n.op_type) for n in m.graph.node)))
got = ReferenceEvaluator(m, new_ops=[ConvLSTM, MDLSTM, GridLSTM]).run(None, {"img": img.numpy(), "vid": vid.numpy(), "seq": seq.numpy()})[0]
print("export vs torch", np.abs(got - want).max() / np.abs(want).max())
