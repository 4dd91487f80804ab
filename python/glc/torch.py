"""glc.torch: PyTorch modules that compute the ai.glc operators exactly as the spec
(../shared/spec/ops.md, docs/ai_glc_operators.md) defines them, so that models can be
trained in PyTorch, and that export to single ai.glc nodes with torch.onnx.

    import glc.torch as gt
    m = gt.MDLSTM(in_channels=1, hidden_size=8, rank=2)
    y = m(x)                                    # [N, D, F, H, W], differentiable
    gt.export(model, (x,), "model.onnx")        # MDLSTM becomes one ai.glc::MDLSTM node

Parameters are stored in the layouts of the op's inputs (W, R, B, P, W_in), so export is
a plain copy. The forward passes are plain autograd code (loops over steps/positions):
correct and differentiable, not fast. During torch.onnx export each module emits its
node through an autograd.Function `symbolic` (the TorchScript-based exporter, dynamo=False).
"""
import itertools
import math

import torch
import torch.nn.functional as tF

_ACTS = {  # name: (takes alpha, takes beta, default alpha, default beta)
    "Sigmoid": (False, False, None, None), "Tanh": (False, False, None, None),
    "Relu": (False, False, None, None), "Softsign": (False, False, None, None),
    "Softplus": (False, False, None, None), "Affine": (True, True, 1.0, 0.0),
    "LeakyRelu": (True, False, 0.01, None), "ThresholdedRelu": (True, False, 1.0, None),
    "ScaledTanh": (True, True, 1.0, 1.0), "HardSigmoid": (True, True, 0.2, 0.5),
    "Elu": (True, False, 1.0, None)}


def _act_fn(name, a, b):
    return {"Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Relu": torch.relu,
            "Softsign": lambda x: x / (1 + x.abs()), "Softplus": tF.softplus,
            "Affine": lambda x: a * x + b, "LeakyRelu": lambda x: tF.leaky_relu(x, a),
            "ThresholdedRelu": lambda x: torch.where(x > a, x, torch.zeros_like(x)),
            "ScaledTanh": lambda x: a * torch.tanh(b * x),
            "HardSigmoid": lambda x: torch.clamp(a * x + b, 0.0, 1.0),
            "Elu": lambda x: tF.elu(x, a)}[name]


def _resolve_acts(names, alpha, beta, count):
    """The ONNX Runtime reading (see ir/activation.h): alpha/beta values go in order to the
    activations that take them; defaults after the list runs out."""
    names = list(names) if names else ["Sigmoid", "Tanh", "Tanh"] * (count // 3)
    if len(names) == 3 and count == 6:
        names = names * 2
    if len(names) != count:
        raise ValueError(f"expected {count} activations, got {len(names)}")
    alpha, beta, fns = list(alpha or []), list(beta or []), []
    for n in names:
        if n not in _ACTS:
            raise ValueError(f"unknown activation {n!r}")
        ta, tb, da, db = _ACTS[n]
        a = alpha.pop(0) if ta and alpha else da
        b = beta.pop(0) if tb and beta else db
        fns.append(_act_fn(n, a, b))
    return fns


def _clamp(clip):
    return (lambda x: x) if clip is None else (lambda x: torch.clamp(x, -clip, clip))


def _conv(x, w, strides, dilations, pb, pe):
    r = x.dim() - 2
    pad = []
    for d in reversed(range(r)):
        pad += [pb[d], pe[d]]
    return {1: tF.conv1d, 2: tF.conv2d, 3: tF.conv3d}[r](
        tF.pad(x, pad), w, stride=list(strides), dilation=list(dilations))


def _same_pads(spatial, kernel, strides, dilations, auto_pad, pads):
    r = len(spatial)
    if auto_pad in (None, "NOTSET"):
        p = list(pads) if pads is not None else [0] * (2 * r)
        return p[:r], p[r:]
    if auto_pad == "VALID":
        return [0] * r, [0] * r
    begin, end = [], []
    for s, k, st, d in zip(spatial, kernel, strides, dilations):
        out = -(-s // st)
        total = max(0, (out - 1) * st + (k - 1) * d + 1 - s)
        small, big = total // 2, total - total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else big)
        end.append(big if auto_pad == "SAME_UPPER" else small)
    return begin, end


def _unused(g):
    """An absent optional input ("") in a TorchScript-exporter symbolic."""
    n = g.op("prim::Constant")
    n.setType(torch._C.OptionalType.ofTensor())
    return n


def _attrs(kw):
    """Python attribute values -> g.op's name_<kind> keywords (_s, _i, _f; a list of them
    takes the same suffix)."""
    out = {}
    for k, v in kw.items():
        if v is None:
            continue
        first = v[0] if isinstance(v, (list, tuple)) and v else v
        if isinstance(first, str):
            out[k + "_s"] = list(v) if isinstance(v, (list, tuple)) else v
        elif isinstance(first, float):
            out[k + "_f"] = [float(a) for a in v] if isinstance(v, (list, tuple)) else v
        else:
            out[k + "_i"] = [int(a) for a in v] if isinstance(v, (list, tuple)) else int(v)
    return out


def _glc_node(op, n_out, inputs, attrs, eager):
    """eager(inputs) normally; during ONNX export, one ai.glc::op node instead. inputs is
    the op's input list with None for an absent optional input."""
    if not torch.onnx.is_in_onnx_export():
        return eager(inputs)
    mask = [a is not None for a in inputs]

    def full(args):
        it = iter(args)
        return [next(it) if m else None for m in mask]

    class _Op(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            out = eager(full(args))
            return tuple(out) if n_out > 1 else out[0]

        @staticmethod
        def symbolic(g, *args):
            ins = [a if a is not None else _unused(g) for a in full(args)]
            return g.op("ai.glc::" + op, *ins, outputs=n_out, **_attrs(attrs))

    out = _Op.apply(*[a for a in inputs if a is not None])
    return out if n_out > 1 else (out,)


# ---- ConvLSTM -------------------------------------------------------------------------

def conv_lstm(X, W, R, B=None, sequence_lens=None, initial_h=None, initial_c=None, P=None, *,
              hidden_size, strides=None, dilations=None, pads=None, auto_pad="NOTSET",
              direction="forward", activations=None, activation_alpha=None,
              activation_beta=None, clip=None, layout=0):
    """glc.ConvLSTM in PyTorch; returns (Y, Y_h, Y_c) with the spec's shapes."""
    if layout == 1:
        X = X.transpose(0, 1)
        initial_h = initial_h.transpose(0, 1) if initial_h is not None else None
        initial_c = initial_c.transpose(0, 1) if initial_c is not None else None
    T, N, C = X.shape[:3]
    spatial = tuple(X.shape[3:])
    r = len(spatial)
    D = 2 if direction == "bidirectional" else 1
    F = hidden_size
    kernel = tuple(W.shape[3:])
    strides = list(strides or [1] * r)
    dilations = list(dilations or [1] * r)
    pb, pe = _same_pads(spatial, kernel, strides, dilations, auto_pad, pads)
    rk = tuple(R.shape[3:])
    rpb, rpe = [(k - 1) // 2 for k in rk], [(k - 1) - (k - 1) // 2 for k in rk]
    lens = (torch.full((N,), T, dtype=torch.int64) if sequence_lens is None
            else sequence_lens.to(torch.int64))
    funcs = _resolve_acts(activations, activation_alpha, activation_beta, 3 * D)
    clamp = _clamp(clip)
    xs = X.reshape((T * N, C) + spatial)
    ys, yhs, ycs = [], [], []
    for d in range(D):
        f, g, h = funcs[3 * d:3 * d + 3]
        backward = direction == "reverse" or d == 1
        gx = _conv(xs, W[d], strides, dilations, pb, pe)
        out_sp = tuple(gx.shape[2:])
        gx = gx.reshape((T, N, 4 * F) + out_sp)
        bias = 0.0 if B is None else (B[d, :4 * F] + B[d, 4 * F:]).reshape((1, 4 * F) + (1,) * r)
        zeros = X.new_zeros((N, F) + out_sp)
        Hs = initial_h[d] if initial_h is not None else zeros
        Cs = initial_c[d] if initial_c is not None else zeros
        Pi, Po, Pf = (P[d, :F], P[d, F:2 * F], P[d, 2 * F:]) if P is not None else (0, 0, 0)
        Y = [zeros] * T
        for s in range(T):
            valid = s < lens
            t = torch.where(valid, (lens - 1 - s) if backward else torch.full_like(lens, s),
                            torch.zeros_like(lens))
            G = gx[t, torch.arange(N)] + _conv(Hs, R[d], [1] * r, [1] * r, rpb, rpe) + bias
            Gi, Go, Gf, Gc = G.split(F, dim=1)
            i = f(clamp(Gi + Pi * Cs))
            fg = f(clamp(Gf + Pf * Cs))
            Cn = fg * Cs + i * g(clamp(Gc))
            Hn = f(clamp(Go + Po * Cn)) * h(Cn)
            m = valid.reshape((N,) + (1,) * (r + 1))
            Hs, Cs = torch.where(m, Hn, Hs), torch.where(m, Cn, Cs)
            for n in torch.nonzero(valid).flatten().tolist():
                step = int(t[n])
                Y[step] = Y[step].index_put((torch.tensor([n]),), Hn[n:n + 1])
        ys.append(torch.stack(Y))
        yhs.append(Hs)
        ycs.append(Cs)
    Y, Y_h, Y_c = torch.stack(ys, 1), torch.stack(yhs), torch.stack(ycs)
    if layout == 1:
        Y, Y_h, Y_c = Y.permute((2, 0, 1) + tuple(range(3, Y.dim()))), Y_h.transpose(0, 1), \
            Y_c.transpose(0, 1)
    return Y, Y_h, Y_c


class ConvLSTM(torch.nn.Module):
    """glc.ConvLSTM (spatial rank 1-3). Parameters W [D, 4F, C, k..], R [D, 4F, F, r..],
    B [D, 8F], optional peepholes P [D, 3F, S'..] (needs out_spatial, the grid S' of the
    input convolution). forward(x, sequence_lens=None, initial_h=None, initial_c=None)
    -> (Y, Y_h, Y_c) in the spec's layout (layout=1: batch first, the Keras order)."""

    def __init__(self, in_channels, hidden_size, kernel_size, rank=2, recurrent_kernel_size=None,
                 strides=None, dilations=None, pads=None, auto_pad="NOTSET",
                 direction="forward", bias=True, peepholes=False, out_spatial=None,
                 activations=None, activation_alpha=None, activation_beta=None, clip=None,
                 layout=1):
        super().__init__()
        ks = [kernel_size] * rank if isinstance(kernel_size, int) else list(kernel_size)
        rks = recurrent_kernel_size or ks
        rks = [rks] * rank if isinstance(rks, int) else list(rks)
        D = 2 if direction == "bidirectional" else 1
        F = hidden_size
        s = 1.0 / math.sqrt(F * math.prod(ks))
        self.W = torch.nn.Parameter(torch.empty(D, 4 * F, in_channels, *ks).uniform_(-s, s))
        self.R = torch.nn.Parameter(torch.empty(D, 4 * F, F, *rks).uniform_(-s, s))
        self.B = torch.nn.Parameter(torch.zeros(D, 8 * F)) if bias else None
        self.P = (torch.nn.Parameter(torch.zeros(D, 3 * F, *out_spatial)) if peepholes
                  else None)
        self.attrs = dict(hidden_size=F, strides=strides, dilations=dilations, pads=pads,
                          auto_pad=auto_pad, direction=direction, activations=activations,
                          activation_alpha=activation_alpha, activation_beta=activation_beta,
                          clip=clip, layout=layout)

    def forward(self, x, sequence_lens=None, initial_h=None, initial_c=None):
        ins = [x, self.W, self.R, self.B, sequence_lens, initial_h, initial_c, self.P]
        return _glc_node("ConvLSTM", 3, ins, self.attrs,
                         lambda a: conv_lstm(*a, **self.attrs))


# ---- MDLSTM ---------------------------------------------------------------------------

def md_lstm(X, W, R, B=None, P=None, extents=None, *, hidden_size, directions=1,
            cell="graves", activations=None, activation_alpha=None, activation_beta=None,
            clip=None):
    """glc.MDLSTM in PyTorch (positions visited one by one); returns Y [N, D, F, S..]."""
    N = X.shape[0]
    spatial = tuple(X.shape[2:])
    rank = len(spatial)
    F, D = hidden_size, directions
    G = 5 if cell == "stable" else 3 + rank
    f, g, h = _resolve_acts(activations, activation_alpha, activation_beta, 3)
    clamp = _clamp(clip)
    ext = (torch.tensor(spatial).expand(N, rank) if extents is None else extents.to(torch.int64))
    zero = X.new_zeros((N, F))
    outs = []
    for k in range(D):
        rev = [bool((k >> (rank - 1 - ax)) & 1) for ax in range(rank)]
        xw = torch.einsum("gc,nc...->n...g", W[k], X)
        if B is not None:
            xw = xw + B[k]
        Hs, Cs = {}, {}
        order = [range(s - 1, -1, -1) if rv else range(s) for s, rv in zip(spatial, rev)]
        for pos in itertools.product(*order):
            hp, cp = [], []
            for ax in range(rank):
                q = list(pos)
                q[ax] += 1 if rev[ax] else -1
                q = tuple(q)
                hp.append(Hs.get(q, zero))
                cp.append(Cs.get(q, zero))
            a = xw[(slice(None),) + pos]
            for ax in range(rank):
                a = a + hp[ax] @ R[k, ax].T
            blk = a.split(F, dim=1)
            if cell == "graves":
                ai, ao, afs, ac = blk[0], blk[1], blk[2:2 + rank], blk[2 + rank]
                if P is not None:
                    Pi, Po = P[k, :F], P[k, F:2 * F]
                    Pfs = [P[k, (2 + ax) * F:(3 + ax) * F] for ax in range(rank)]
                else:
                    Pi, Po, Pfs = 0, 0, [0] * rank
                c = f(clamp(ai + Pi * sum(cp))) * g(clamp(ac))
                for ax in range(rank):
                    c = c + f(clamp(afs[ax] + Pfs[ax] * cp[ax])) * cp[ax]
                hn = f(clamp(ao + Po * c)) * h(c)
            elif cell == "stable":
                ai, ao, af, al, ac = blk
                lam = f(clamp(al))
                c = f(clamp(ai)) * g(clamp(ac)) + f(clamp(af)) * (lam * cp[0] + (1 - lam) * cp[1])
                hn = f(clamp(ao)) * h(c)
            else:
                ai, ao, afs, ac = blk[0], blk[1], blk[2:2 + rank], blk[2 + rank]
                c = f(clamp(ai)) * g(clamp(ac))
                for ax in range(rank):
                    c = c + f(clamp(afs[ax])) * cp[ax]
                hn = h(f(clamp(ao)) * c)
            inside = (torch.tensor(pos) < ext).all(dim=1)[:, None]
            Hs[pos] = torch.where(inside, hn, zero)
            Cs[pos] = torch.where(inside, c, zero)
        grid = torch.stack([Hs[p] for p in itertools.product(*[range(s) for s in spatial])], -1)
        outs.append(grid.reshape((N, F) + spatial))
    return torch.stack(outs, 1)


class MDLSTM(torch.nn.Module):
    """glc.MDLSTM (rank 1-3). Parameters W [D, G*F, C], R [D, rank, G*F, F], B [D, G*F],
    optional P [D, (2+rank)F] (graves cell). forward(x, extents=None) -> Y [N, D, F, S..]."""

    def __init__(self, in_channels, hidden_size, rank=2, directions=1, cell="graves",
                 bias=True, peepholes=False, activations=None, activation_alpha=None,
                 activation_beta=None, clip=None):
        super().__init__()
        G = 5 if cell == "stable" else 3 + rank
        F, D = hidden_size, directions
        s = 1.0 / math.sqrt(F)
        self.W = torch.nn.Parameter(torch.empty(D, G * F, in_channels).uniform_(-s, s))
        self.R = torch.nn.Parameter(torch.empty(D, rank, G * F, F).uniform_(-s, s))
        self.B = torch.nn.Parameter(torch.zeros(D, G * F)) if bias else None
        self.P = torch.nn.Parameter(torch.zeros(D, (2 + rank) * F)) if peepholes else None
        self.attrs = dict(hidden_size=F, directions=D, cell=cell, activations=activations,
                          activation_alpha=activation_alpha, activation_beta=activation_beta,
                          clip=clip)

    def forward(self, x, extents=None):
        ins = [x, self.W, self.R, self.B, self.P, extents]
        return _glc_node("MDLSTM", 1, ins, self.attrs,
                         lambda a: (md_lstm(*a, **self.attrs),))[0]


# ---- GridLSTM -------------------------------------------------------------------------

def grid_lstm(X, W, B=None, W_in=None, *, hidden_size, num_layers, tied=0, priority=1,
              activations=None, activation_alpha=None, activation_beta=None, clip=None):
    """glc.GridLSTM in PyTorch; returns Y [N, F, S..] = h_depth(p, L)."""
    N = X.shape[0]
    spatial = tuple(X.shape[2:])
    K, F, L = len(spatial), hidden_size, num_layers
    f, g, h = _resolve_acts(activations, activation_alpha, activation_beta, 3)
    clamp = _clamp(clip)
    x_in = torch.einsum("fc,nc...->nf...", W_in, X) if W_in is not None else X
    zero = X.new_zeros((N, F))
    positions = list(itertools.product(*[range(s) for s in spatial]))
    hd = {p: x_in[(slice(None), slice(None)) + p] for p in positions}
    md = {p: zero for p in positions}

    def cell(w, b, hin, m_prev):
        a = hin @ w.T + (b if b is not None else 0)
        ai, ao, af, ac = a.split(F, dim=1)
        m = f(clamp(af)) * m_prev + f(clamp(ai)) * g(clamp(ac))
        return f(clamp(ao)) * h(m), m
    for layer in range(L):
        wl = W[0 if tied else layer]
        bl = [None] * (K + 1) if B is None else B[0 if tied else layer]
        hax = [dict() for _ in range(K)]
        max_ = [dict() for _ in range(K)]
        new_h, new_m = {}, {}
        for p in positions:
            prev_h, prev_m = [], []
            for j in range(K):
                q = list(p)
                q[j] -= 1
                q = tuple(q)
                prev_h.append(hax[j].get(q, zero))
                prev_m.append(max_[j].get(q, zero))
            H = torch.cat(prev_h + [hd[p]], 1)
            for j in range(K):
                hax[j][p], max_[j][p] = cell(wl[j], bl[j], H, prev_m[j])
            H2 = torch.cat([hax[j][p] for j in range(K)] + [hd[p]], 1) if priority else H
            new_h[p], new_m[p] = cell(wl[K], bl[K], H2, md[p])
        hd, md = new_h, new_m
    return torch.stack([hd[p] for p in positions], -1).reshape((N, F) + spatial)


class GridLSTM(torch.nn.Module):
    """glc.GridLSTM (K = 1 or 2 scanned axes). Parameters W [Lw, K+1, 4F, (K+1)F],
    B [Lw, K+1, 4F], optional W_in [F, C] (when in_channels != hidden_size or asked for).
    forward(x) -> Y [N, F, S..]."""

    def __init__(self, in_channels, hidden_size, num_layers, k=1, tied=False, priority=True,
                 bias=True, input_projection=None, activations=None):
        super().__init__()
        F, Lw = hidden_size, 1 if tied else num_layers
        s = 1.0 / math.sqrt((k + 1) * F)
        self.W = torch.nn.Parameter(torch.empty(Lw, k + 1, 4 * F, (k + 1) * F).uniform_(-s, s))
        self.B = torch.nn.Parameter(torch.zeros(Lw, k + 1, 4 * F)) if bias else None
        proj = input_projection if input_projection is not None else in_channels != F
        self.W_in = (torch.nn.Parameter(torch.empty(F, in_channels).uniform_(-s, s)) if proj
                     else None)
        self.attrs = dict(hidden_size=F, num_layers=num_layers, tied=int(tied),
                          priority=int(priority), activations=activations)

    def forward(self, x):
        ins = [x, self.W, self.B, self.W_in]
        return _glc_node("GridLSTM", 1, ins, self.attrs,
                         lambda a: (grid_lstm(*a, **self.attrs),))[0]


def export(model, args, path, input_names=None, output_names=None, opset=17):
    """torch.onnx export (TorchScript-based, dynamo=False) with the ai.glc domain at
    version 1; glc modules become single ai.glc nodes."""
    model.eval()
    torch.onnx.export(model, args, path, dynamo=False, opset_version=opset,
                      custom_opsets={"ai.glc": 1}, input_names=input_names,
                      output_names=output_names, autograd_inlining=False)
    return path
