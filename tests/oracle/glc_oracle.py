"""Independent numpy oracle for the ai.glc operators (ConvLSTM, MDLSTM, GridLSTM).

Written straight from /work/shared/spec/ops.md ("the spec"), deliberately apart from the C
reference interpreter, so that the two can check each other.  Each operator is one plain
function taking numpy arrays plus the ONNX attributes under the names the spec uses, and
returning the outputs the spec defines.

Design:
* Everything is computed in float64 and returned as float32: the oracle is more accurate
  than the fp32 code it judges, so a tolerance only has to absorb the checked code's error.
* No cleverness.  Convolutions are a sum over kernel offsets of strided slices of the
  padded input; recurrences are Python loops over time steps or grid positions, vectorised
  over the batch only.  Speed is irrelevant; fixtures are small.
* Where the spec leaves a choice open, the choice is marked `# spec reading: ...` and listed
  in tests/fixtures/glc_ops/README.md.

Only Debian's python3 + numpy are needed (no onnx import here).
"""

import itertools

import numpy as np

# --------------------------------------------------------------------------------------
# Activation functions (the ONNX LSTM list) and clip
# --------------------------------------------------------------------------------------

# name -> (uses_alpha, uses_beta, default_alpha, default_beta); defaults as the ONNX
# operators of the same name (Affine 1,0; ScaledTanh 1,1; ThresholdedRelu 1.0; ...).
ACTIVATION_PARAMS = {
    "Sigmoid": (False, False, None, None),
    "Tanh": (False, False, None, None),
    "Relu": (False, False, None, None),
    "Softsign": (False, False, None, None),
    "Softplus": (False, False, None, None),
    "Affine": (True, True, 1.0, 0.0),
    "LeakyRelu": (True, False, 0.01, None),
    "ThresholdedRelu": (True, False, 1.0, None),
    "ScaledTanh": (True, True, 1.0, 1.0),
    "HardSigmoid": (True, True, 0.2, 0.5),
    "Elu": (True, False, 1.0, None),
}


def _sigmoid(x):
    # Split by sign so exp never overflows.
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def activation(name, alpha=None, beta=None):
    """Return the float64 elementwise function `name` with its alpha/beta bound."""
    if name not in ACTIVATION_PARAMS:
        raise ValueError("unknown activation %r" % (name,))
    _, _, da, db = ACTIVATION_PARAMS[name]
    a = da if alpha is None else float(alpha)
    b = db if beta is None else float(beta)
    if name == "Sigmoid":
        return _sigmoid
    if name == "Tanh":
        return np.tanh
    if name == "Relu":
        return lambda x: np.maximum(x, 0.0)
    if name == "Softsign":
        return lambda x: x / (1.0 + np.abs(x))
    if name == "Softplus":
        return lambda x: np.logaddexp(0.0, x)  # log(1 + e^x) without overflow
    if name == "Affine":
        return lambda x: a * x + b
    if name == "LeakyRelu":
        return lambda x: np.where(x >= 0, x, a * x)
    if name == "ThresholdedRelu":
        # spec reading: strict `>` as the ONNX ThresholdedRelu operator (the LSTM doc text
        # says `>=`; the two differ only at x == alpha).
        return lambda x: np.where(x > a, x, 0.0)
    if name == "ScaledTanh":
        return lambda x: a * np.tanh(b * x)
    if name == "HardSigmoid":
        return lambda x: np.clip(a * x + b, 0.0, 1.0)
    if name == "Elu":
        return lambda x: np.where(x >= 0, x, a * (np.exp(np.minimum(x, 0.0)) - 1.0))
    raise AssertionError(name)


def resolve_activations(activations, activation_alpha, activation_beta, count):
    """Turn the ONNX attribute triple into `count` callables.

    spec reading: "as in ONNX LSTM" -- alpha (beta) values are consumed in order only by
    the activations that take an alpha (beta), the way onnxruntime reads them
    (rnn_helpers.cc); when the list runs out the ONNX default applies.  So for
    activations [Sigmoid, LeakyRelu, Tanh] and activation_alpha [0.1], LeakyRelu gets 0.1.
    """
    defaults = ["Sigmoid", "Tanh", "Tanh"]
    names = list(activations) if activations is not None else defaults * (count // 3)
    if len(names) == 3 and count == 6:
        # spec reading: a bidirectional ConvLSTM given one triple uses it (with the same
        # alpha/beta) for both directions.
        return resolve_activations(names, activation_alpha, activation_beta, 3) * 2
    if len(names) != count:
        raise ValueError("expected %d activations, got %d" % (count, len(names)))
    alphas = list(activation_alpha) if activation_alpha is not None else []
    betas = list(activation_beta) if activation_beta is not None else []
    funcs = []
    for name in names:
        if isinstance(name, bytes):
            name = name.decode()
        if name not in ACTIVATION_PARAMS:
            raise ValueError("unknown activation %r" % (name,))
        uses_a, uses_b, _, _ = ACTIVATION_PARAMS[name]
        a = alphas.pop(0) if uses_a and alphas else None
        b = betas.pop(0) if uses_b and betas else None
        funcs.append(activation(name, a, b))
    return funcs


def clipper(clip):
    """Gate pre-activation clamp to [-clip, clip]; identity when clip is absent."""
    if clip is None:
        return lambda x: x
    c = float(clip)
    if not c > 0:
        raise ValueError("clip must be positive, got %r" % (clip,))
    return lambda x: np.clip(x, -c, c)


# --------------------------------------------------------------------------------------
# ONNX Conv (group 1, no bias) on float64 arrays, spatial rank 1..3
# --------------------------------------------------------------------------------------


def conv_pads(spatial, kernel, strides, dilations, pads, auto_pad):
    """Begin and end pads of an ONNX Conv.  Returns (begin[], end[])."""
    r = len(spatial)
    if auto_pad in ("NOTSET", b"NOTSET", None):
        p = list(pads) if pads is not None else [0] * (2 * r)
        if len(p) != 2 * r:
            raise ValueError("pads needs %d values, got %d" % (2 * r, len(p)))
        return p[:r], p[r:]
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    if pads is not None:
        # spec reading: ONNX Conv ignores pads unless auto_pad is NOTSET; giving both is
        # treated as an invalid attribute combination (an import error).
        raise ValueError("pads given together with auto_pad=%s" % auto_pad)
    if auto_pad == "VALID":
        return [0] * r, [0] * r
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise ValueError("unknown auto_pad %r" % (auto_pad,))
    begin, end = [], []
    for s, k, st, d in zip(spatial, kernel, strides, dilations):
        out = -(-s // st)  # ceil(s / st)
        total = max(0, (out - 1) * st + (k - 1) * d + 1 - s)
        small, big = total // 2, total - total // 2
        if auto_pad == "SAME_UPPER":  # the odd pad goes at the end
            begin.append(small)
            end.append(big)
        else:  # SAME_LOWER: the odd pad goes at the beginning
            begin.append(big)
            end.append(small)
    return begin, end


def conv_nd(x, w, strides, dilations, pads_begin, pads_end):
    """ONNX Conv, group 1, no bias.  x [N, C, S...], w [M, C, k...] -> [N, M, O...]."""
    r = x.ndim - 2
    kernel = w.shape[2:]
    if w.shape[1] != x.shape[1]:
        raise ValueError("conv: x has %d channels, w expects %d" % (x.shape[1], w.shape[1]))
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads_begin[d], pads_end[d]) for d in range(r)])
    out_shape = []
    for d in range(r):
        span = (kernel[d] - 1) * dilations[d] + 1
        o = (xp.shape[2 + d] - span) // strides[d] + 1
        if o < 1:
            raise ValueError("conv: empty output along spatial axis %d" % d)
        out_shape.append(o)
    y = np.zeros((x.shape[0], w.shape[0]) + tuple(out_shape))
    for kidx in itertools.product(*[range(k) for k in kernel]):
        sl = tuple(
            slice(kidx[d] * dilations[d], kidx[d] * dilations[d] + (out_shape[d] - 1) * strides[d] + 1, strides[d])
            for d in range(r)
        )
        patch = xp[(slice(None), slice(None)) + sl]  # [N, C, O...]
        wk = w[(slice(None), slice(None)) + kidx]  # [M, C]
        y += np.einsum("nc...,mc->nm...", patch, wk)
    return y


def _f64(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


# --------------------------------------------------------------------------------------
# glc.ConvLSTM
# --------------------------------------------------------------------------------------


def conv_lstm(X, W, R, B=None, sequence_lens=None, initial_h=None, initial_c=None, P=None,
              hidden_size=None, kernel_shape=None, strides=None, dilations=None, pads=None,
              auto_pad="NOTSET", direction="forward", activations=None, activation_alpha=None,
              activation_beta=None, clip=None, layout=0):
    """glc.ConvLSTM.  Returns (Y, Y_h, Y_c) as float32, shapes per `layout`."""
    X, W, R, B, P = _f64(X), _f64(W), _f64(R), _f64(B), _f64(P)
    initial_h, initial_c = _f64(initial_h), _f64(initial_c)
    if isinstance(direction, bytes):
        direction = direction.decode()
    if layout not in (0, 1):
        raise ValueError("layout must be 0 or 1")
    if layout == 1:  # [N, T, C, S...] -> [T, N, C, S...]
        X = np.swapaxes(X, 0, 1)
        if initial_h is not None:
            initial_h = np.swapaxes(initial_h, 0, 1)
        if initial_c is not None:
            initial_c = np.swapaxes(initial_c, 0, 1)
    T, N, C = X.shape[:3]
    spatial = X.shape[3:]
    r = len(spatial)
    if r not in (1, 2, 3):
        raise ValueError("ConvLSTM spatial rank must be 1..3, got %d" % r)
    D = {"forward": 1, "reverse": 1, "bidirectional": 2}[direction]
    F = int(hidden_size) if hidden_size is not None else R.shape[2]
    kernel = tuple(W.shape[3:])
    if W.shape[:3] != (D, 4 * F, C) or len(kernel) != r:
        raise ValueError("W shape %s does not match [%d, %d, %d, k x%d]" % (W.shape, D, 4 * F, C, r))
    if kernel_shape is not None and tuple(kernel_shape) != kernel:
        raise ValueError("kernel_shape %s != W kernel %s" % (tuple(kernel_shape), kernel))
    rkernel = tuple(R.shape[3:])
    if R.shape[:3] != (D, 4 * F, F) or len(rkernel) != r:
        raise ValueError("R shape %s does not match [%d, %d, %d, r x%d]" % (R.shape, D, 4 * F, F, r))
    strides = list(strides) if strides is not None else [1] * r
    dilations = list(dilations) if dilations is not None else [1] * r
    pb, pe = conv_pads(spatial, kernel, strides, dilations, pads, auto_pad)

    # The recurrent convolution: stride 1, dilation 1, SAME_UPPER (odd pad at the end).
    rpb = [(k - 1) // 2 for k in rkernel]
    rpe = [(k - 1) - (k - 1) // 2 for k in rkernel]

    if B is None:
        B = np.zeros((D, 8 * F))
    lens = np.full(N, T, dtype=np.int64) if sequence_lens is None else np.asarray(sequence_lens, dtype=np.int64)
    if lens.shape != (N,) or (lens < 0).any() or (lens > T).any():
        raise ValueError("sequence_lens must be [N] with values in [0, T]")
    funcs = resolve_activations(activations, activation_alpha, activation_beta, 3 * D)
    clamp = clipper(clip)

    # Input convolution of every step at once: [T*N, C, S] -> [T, N, 4F, S'].
    gx_all = [conv_nd(X.reshape((T * N, C) + spatial), W[d], strides, dilations, pb, pe) for d in range(D)]
    out_sp = gx_all[0].shape[2:]
    gx_all = [g.reshape((T, N, 4 * F) + out_sp) for g in gx_all]
    state_shape = (D, N, F) + out_sp
    for name, a in (("initial_h", initial_h), ("initial_c", initial_c)):
        if a is not None and a.shape != state_shape:
            raise ValueError("%s shape %s, expected %s" % (name, a.shape, state_shape))
    if P is not None and P.shape != (D, 3 * F) + out_sp:
        raise ValueError("P shape %s, expected %s" % (P.shape, (D, 3 * F) + out_sp))

    Y = np.zeros((T, D, N, F) + out_sp)
    Y_h = np.zeros(state_shape)
    Y_c = np.zeros(state_shape)
    bshape = (1, 4 * F) + (1,) * r
    for d in range(D):
        f, g, h = funcs[3 * d: 3 * d + 3]
        backward = direction == "reverse" or d == 1
        bias = (B[d, :4 * F] + B[d, 4 * F:]).reshape(bshape)
        Hs = initial_h[d].copy() if initial_h is not None else np.zeros((N, F) + out_sp)
        Cs = initial_c[d].copy() if initial_c is not None else np.zeros((N, F) + out_sp)
        Pi, Po, Pf = (P[d, :F], P[d, F:2 * F], P[d, 2 * F:]) if P is not None else (0.0, 0.0, 0.0)
        for s in range(T):
            valid = s < lens  # [N]; samples whose sequence is already over keep their state
            # Each sample walks its own valid steps: forward t = s, reverse t = len - 1 - s.
            # spec reading: with len 0 a sample never steps: Y stays 0, Y_h/Y_c = initial.
            t = np.where(valid, (lens - 1 - s) if backward else s, 0)
            G = gx_all[d][t, np.arange(N)] + conv_nd(Hs, R[d], [1] * r, [1] * r, rpb, rpe) + bias
            Gi, Go, Gf, Gc = G[:, :F], G[:, F:2 * F], G[:, 2 * F:3 * F], G[:, 3 * F:]
            # spec reading: clip clamps the whole argument of f (peephole term included)
            # and of g, right before the activation, as onnxruntime does for LSTM; the
            # argument of h (the cell state) is not clipped.
            i = f(clamp(Gi + Pi * Cs))
            fg = f(clamp(Gf + Pf * Cs))
            Cn = fg * Cs + i * g(clamp(Gc))
            o = f(clamp(Go + Po * Cn))
            Hn = o * h(Cn)
            m = valid.reshape((N,) + (1,) * (r + 1))
            Hs = np.where(m, Hn, Hs)
            Cs = np.where(m, Cn, Cs)
            for n in np.nonzero(valid)[0]:
                Y[t[n], d, n] = Hn[n]
        Y_h[d] = Hs
        Y_c[d] = Cs
    if layout == 1:
        Y = np.moveaxis(Y, 2, 0)  # [T, D, N, ...] -> [N, T, D, ...]
        Y_h = np.swapaxes(Y_h, 0, 1)
        Y_c = np.swapaxes(Y_c, 0, 1)
    return Y.astype(np.float32), Y_h.astype(np.float32), Y_c.astype(np.float32)


# --------------------------------------------------------------------------------------
# glc.MDLSTM
# --------------------------------------------------------------------------------------


def md_scan_reversed(k, rank):
    """Per spatial axis, True when direction k scans it from end to start.

    Bit j of k set means axis rank-1-j is reversed (so for rank 2, k=1 reverses columns,
    k=2 rows)."""
    return [bool((k >> (rank - 1 - ax)) & 1) for ax in range(rank)]


def md_lstm(X, W, R, B=None, P=None, extents=None, hidden_size=None, directions=1, cell="graves",
            activations=None, activation_alpha=None, activation_beta=None, clip=None):
    """glc.MDLSTM.  Returns Y [N, D, F, S...] float32."""
    X, W, R, B, P = _f64(X), _f64(W), _f64(R), _f64(B), _f64(P)
    if isinstance(cell, bytes):
        cell = cell.decode()
    N, C = X.shape[:2]
    spatial = X.shape[2:]
    rank = len(spatial)
    if rank not in (1, 2, 3):
        raise ValueError("MDLSTM spatial rank must be 1..3, got %d" % rank)
    D = int(directions)
    if not 1 <= D <= 2 ** rank:
        raise ValueError("directions must be in [1, %d], got %d" % (2 ** rank, D))
    if cell == "stable" and rank != 2:
        raise ValueError("cell 'stable' needs spatial rank 2")
    if cell not in ("graves", "stable", "spatial"):
        raise ValueError("unknown cell %r" % (cell,))
    if P is not None and cell != "graves":
        raise ValueError("peepholes P are only defined for cell 'graves'")
    F = int(hidden_size) if hidden_size is not None else R.shape[3]
    G = 5 if cell == "stable" else 3 + rank
    if W.shape != (D, G * F, C):
        raise ValueError("W shape %s, expected %s" % (W.shape, (D, G * F, C)))
    if R.shape != (D, rank, G * F, F):
        raise ValueError("R shape %s, expected %s" % (R.shape, (D, rank, G * F, F)))
    if B is None:
        B = np.zeros((D, G * F))
    if B.shape != (D, G * F):
        raise ValueError("B shape %s, expected %s" % (B.shape, (D, G * F)))
    if P is not None and P.shape != (D, (2 + rank) * F):
        raise ValueError("P shape %s, expected %s" % (P.shape, (D, (2 + rank) * F)))
    if extents is None:
        ext = np.tile(np.array(spatial, dtype=np.int64), (N, 1))
    else:
        ext = np.asarray(extents, dtype=np.int64)
        # spec reading: an extent outside [0, S_d] is an error (not clamped).
        if ext.shape != (N, rank) or (ext < 0).any() or (ext > np.array(spatial)).any():
            raise ValueError("extents must be [N, %d] with values in [0, S_d]" % rank)
    f, g, h = resolve_activations(activations, activation_alpha, activation_beta, 3)
    clamp = clipper(clip)

    Y = np.zeros((N, D, F) + spatial)
    for k in range(D):
        rev = md_scan_reversed(k, rank)
        xw = np.einsum("gc,nc...->ng...", W[k], X) + B[k].reshape((1, G * F) + (1,) * rank)
        Hs = np.zeros((N, F) + spatial)  # hidden state of every position; 0 = never computed
        Cs = np.zeros((N, F) + spatial)
        order = [range(s - 1, -1, -1) if rv else range(s) for s, rv in zip(spatial, rev)]
        for pos in itertools.product(*order):
            # Predecessor along axis d: the neighbour already visited (pos -/+ 1).
            hp, cp = [], []
            for ax in range(rank):
                q = list(pos)
                q[ax] += 1 if rev[ax] else -1
                if 0 <= q[ax] < spatial[ax]:
                    # Positions outside a sample's extents were never computed and still
                    # hold zeros, so they act as the outside of the grid.
                    # spec reading: hence a reversed scan starts at the sample's last valid
                    # position with zero state, like a reverse LSTM with sequence_lens.
                    hp.append(Hs[(slice(None), slice(None)) + tuple(q)])
                    cp.append(Cs[(slice(None), slice(None)) + tuple(q)])
                else:
                    hp.append(np.zeros((N, F)))
                    cp.append(np.zeros((N, F)))
            a = xw[(slice(None), slice(None)) + pos].copy()  # [N, G*F]
            for ax in range(rank):
                a += hp[ax] @ R[k, ax].T
            blk = [a[:, j * F:(j + 1) * F] for j in range(G)]
            if cell == "graves":
                ai, ao, afs, ac = blk[0], blk[1], blk[2:2 + rank], blk[2 + rank]
                if P is not None:
                    Pi, Po = P[k, :F], P[k, F:2 * F]
                    Pfs = [P[k, (2 + ax) * F:(3 + ax) * F] for ax in range(rank)]
                else:
                    Pi, Po, Pfs = 0.0, 0.0, [0.0] * rank
                i = f(clamp(ai + Pi * sum(cp)))
                c = i * g(clamp(ac))
                for ax in range(rank):
                    c = c + f(clamp(afs[ax] + Pfs[ax] * cp[ax])) * cp[ax]
                o = f(clamp(ao + Po * c))
                hn = o * h(c)
            elif cell == "stable":
                ai, ao, af, al, ac = blk
                lam = f(clamp(al))
                # c_up: predecessor along axis 0, c_left: along axis 1 (in scan direction).
                c = f(clamp(ai)) * g(clamp(ac)) + f(clamp(af)) * (lam * cp[0] + (1.0 - lam) * cp[1])
                hn = f(clamp(ao)) * h(c)
            else:  # spatial
                ai, ao, afs, ac = blk[0], blk[1], blk[2:2 + rank], blk[2 + rank]
                c = f(clamp(ai)) * g(clamp(ac))
                for ax in range(rank):
                    c = c + f(clamp(afs[ax])) * cp[ax]
                # spec reading: clip applies to gate pre-activations only, not to o*c.
                hn = h(f(clamp(ao)) * c)
            inside = (np.array(pos) < ext).all(axis=1)[:, None]  # [N, 1]
            Hs[(slice(None), slice(None)) + pos] = np.where(inside, hn, 0.0)
            Cs[(slice(None), slice(None)) + pos] = np.where(inside, c, 0.0)
        Y[:, k] = Hs
    return Y.astype(np.float32)


# --------------------------------------------------------------------------------------
# glc.GridLSTM
# --------------------------------------------------------------------------------------


def grid_lstm(X, W, B=None, W_in=None, hidden_size=None, num_layers=None, tied=0, priority=1,
              activations=None, activation_alpha=None, activation_beta=None, clip=None):
    """glc.GridLSTM.  Returns Y [N, F, S1..SK] float32 = h_depth(p, L).

    spec reading: the GridLSTM attribute list names only `activations`, but the shared
    conventions give every op activation_alpha/activation_beta and clip; they are accepted
    here with the same meaning (and are absent in the fixtures)."""
    X, W, B, W_in = _f64(X), _f64(W), _f64(B), _f64(W_in)
    N, C = X.shape[:2]
    spatial = X.shape[2:]
    K = len(spatial)
    if K not in (1, 2):
        raise ValueError("GridLSTM needs K = 1 or 2 scanned axes, got %d" % K)
    L = int(num_layers)
    if L < 1:
        raise ValueError("num_layers must be >= 1")
    F = int(hidden_size)
    Lw = 1 if tied else L
    if W.shape != (Lw, K + 1, 4 * F, (K + 1) * F):
        raise ValueError("W shape %s, expected %s" % (W.shape, (Lw, K + 1, 4 * F, (K + 1) * F)))
    if B is None:
        B = np.zeros((Lw, K + 1, 4 * F))
    if B.shape != (Lw, K + 1, 4 * F):
        raise ValueError("B shape %s, expected %s" % (B.shape, (Lw, K + 1, 4 * F)))
    if W_in is not None:
        if W_in.shape != (F, C):
            raise ValueError("W_in shape %s, expected %s" % (W_in.shape, (F, C)))
        x_in = np.einsum("fc,nc...->nf...", W_in, X)
    else:
        if C != F:
            raise ValueError("without W_in, C (%d) must equal hidden_size (%d)" % (C, F))
        x_in = X
    f, g, h = resolve_activations(activations, activation_alpha, activation_beta, 3)
    clamp = clipper(clip)

    def lstm_cell(Wlj, Blj, Hin, m_prev):
        a = Hin @ Wlj.T + Blj  # [N, 4F]
        ai, ao, af, ac = a[:, :F], a[:, F:2 * F], a[:, 2 * F:3 * F], a[:, 3 * F:]
        m = f(clamp(af)) * m_prev + f(clamp(ai)) * g(clamp(ac))
        return f(clamp(ao)) * h(m), m

    at = lambda arr, p: arr[(slice(None), slice(None)) + tuple(p)]  # noqa: E731  [N, F]
    h_depth = x_in.copy()  # h_depth(p, 0)
    m_depth = np.zeros_like(h_depth)  # m_depth(p, 0)
    zero = np.zeros((N, F))
    for layer in range(1, L + 1):
        wl = W[0 if tied else layer - 1]
        bl = B[0 if tied else layer - 1]
        h_ax = [np.zeros((N, F) + spatial) for _ in range(K)]  # h_j(p, layer)
        m_ax = [np.zeros((N, F) + spatial) for _ in range(K)]
        new_h = np.zeros_like(h_depth)
        new_m = np.zeros_like(m_depth)
        for pos in itertools.product(*[range(s) for s in spatial]):
            prev_h, prev_m = [], []
            for j in range(K):
                q = list(pos)
                q[j] -= 1
                inside = q[j] >= 0
                prev_h.append(at(h_ax[j], q) if inside else zero)
                prev_m.append(at(m_ax[j], q) if inside else zero)
            H = np.concatenate(prev_h + [at(h_depth, pos)], axis=1)  # [N, (K+1)F]
            for j in range(K):
                hj, mj = lstm_cell(wl[j], bl[j], H, prev_m[j])
                h_ax[j][(slice(None), slice(None)) + pos] = hj
                m_ax[j][(slice(None), slice(None)) + pos] = mj
            if priority:
                H2 = np.concatenate([at(h_ax[j], pos) for j in range(K)] + [at(h_depth, pos)], axis=1)
            else:
                H2 = H
            hd, md = lstm_cell(wl[K], bl[K], H2, at(m_depth, pos))
            new_h[(slice(None), slice(None)) + pos] = hd
            new_m[(slice(None), slice(None)) + pos] = md
        h_depth, m_depth = new_h, new_m
    return h_depth.astype(np.float32)
