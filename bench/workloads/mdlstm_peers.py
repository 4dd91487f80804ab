"""2D MD-LSTM (glc.MDLSTM semantics, `stable` or `graves` cell without peepholes, up to 4
scan directions) written the fastest way we know for TensorFlow and PyTorch: the
anti-diagonal wavefront.

Every scan direction is turned into the top-left one by flipping the input, and all
directions run batched (weights indexed by direction). The grid is skewed so that
anti-diagonal s = i + j becomes one step: row i of step s holds position (i, s - i). Then
the predecessor along axis 0 (up) of row i is row i-1 of step s-1, and the predecessor
along axis 1 (left) is row i of step s-1, so one step is two batched matmuls over all
rows, directions and samples, plus the cell. Positions outside the grid are masked to
zero state, as the spec says. The input projection of all positions is one einsum up front.
The scan is tf.scan (XLA-compiled with jit_compile=True) or a Python loop in PyTorch.
"""
import numpy as np


def skew_indices(h, w):
    """gather index [H, S] into a flattened [H*W + 1] axis (H*W = the zero row), the
    validity mask [S, H], and the unskew index [H, W] into a flattened [S*H] axis."""
    s_len = h + w - 1
    idx = np.full((h, s_len), h * w, np.int64)
    valid = np.zeros((s_len, h), np.float32)
    for i in range(h):
        for s in range(i, i + w):
            idx[i, s] = i * w + (s - i)
            valid[s, i] = 1.0
    unskew = np.array([[(i + j) * h + i for j in range(w)] for i in range(h)], np.int64)
    return idx, valid, unskew


def flips(k):
    """(flip rows, flip columns) of scan direction k (bit 0: columns, bit 1: rows)."""
    return bool(k & 2), bool(k & 1)


def cell_update(cell, a, c_up, c_left, f, nf, sig, tanh):
    if cell == "stable":
        ai, ao, af, al, ac = (a[..., j * f:(j + 1) * f] for j in range(5))
        lam = sig(al)
        c = sig(ai) * tanh(ac) + sig(af) * (lam * c_up + (1.0 - lam) * c_left)
        return sig(ao) * tanh(c), c
    ai, ao, af0, af1, ac = (a[..., j * f:(j + 1) * f] for j in range(5))  # graves, R=2
    c = sig(ai) * tanh(ac) + sig(af0) * c_up + sig(af1) * c_left
    return sig(ao) * tanh(c), c


def tf_mdlstm(x, W, R, B, cell="stable"):
    """x [N, H, W, C] (tf) -> [N, H, W, D*F]; W [D, G*F, C], R [D, 2, G*F, F], B [D, G*F]."""
    import tensorflow as tf
    n, h, w, _ = x.shape
    d, gf, _ = W.shape
    f = R.shape[-1]
    idx, valid, unskew = skew_indices(h, w)
    xs = []
    for k in range(d):
        fr, fc = flips(k)
        xk = x
        if fr:
            xk = tf.reverse(xk, [1])
        if fc:
            xk = tf.reverse(xk, [2])
        xs.append(xk)
    xd = tf.stack(xs)                                                  # [D, N, H, W, C]
    xw = tf.einsum("dnhwc,dgc->dnhwg", xd, W) + B[:, None, None, None, :]
    xw = tf.reshape(xw, (d, n, h * w, gf))
    xw = tf.concat([xw, tf.zeros((d, n, 1, gf))], axis=2)
    xsk = tf.gather(xw, idx, axis=2)                                   # [D, N, H, S, G*F]
    xsk = tf.transpose(xsk, (3, 0, 1, 2, 4))                           # [S, D, N, H, G*F]
    r_up, r_left = tf.constant(R[:, 0]), tf.constant(R[:, 1])
    mask = tf.constant(valid)[:, None, None, :, None]                  # [S, 1, 1, H, 1]

    def step(state, inp):
        h_prev, c_prev = state
        a_s, m = inp
        pad = tf.zeros_like(h_prev[:, :, :1])
        h_up = tf.concat([pad, h_prev[:, :, :-1]], axis=2)
        c_up = tf.concat([pad, c_prev[:, :, :-1]], axis=2)
        a = a_s + tf.einsum("dnhf,dgf->dnhg", h_up, r_up) + \
            tf.einsum("dnhf,dgf->dnhg", h_prev, r_left)
        hn, cn = cell_update(cell, a, c_up, c_prev, f, None, tf.sigmoid, tf.tanh)
        return hn * m, cn * m
    zero = tf.zeros((d, n, h, f))
    hs, _ = tf.scan(step, (xsk, mask), initializer=(zero, zero))       # [S, D, N, H, F]
    hs = tf.reshape(tf.transpose(hs, (1, 2, 0, 3, 4)), (d, n, -1, f))  # [D, N, S*H, F]
    y = tf.reshape(tf.gather(hs, unskew.reshape(-1), axis=2), (d, n, h, w, f))
    outs = []
    for k in range(d):
        fr, fc = flips(k)
        yk = y[k]
        if fr:
            yk = tf.reverse(yk, [1])
        if fc:
            yk = tf.reverse(yk, [2])
        outs.append(yk)
    return tf.concat(outs, axis=-1)                                    # [N, H, W, D*F]


def torch_mdlstm(x, W, R, B, cell="stable"):
    """x [N, C, H, W] (torch) -> [N, D*F, H, W]; weights as numpy arrays."""
    import torch
    n, _, h, w = x.shape
    d, gf, _ = W.shape
    f = R.shape[-1]
    idx, valid, unskew = skew_indices(h, w)
    Wt, Bt = torch.from_numpy(W), torch.from_numpy(B)
    r_up, r_left = torch.from_numpy(R[:, 0]), torch.from_numpy(R[:, 1])
    xs = []
    for k in range(d):
        fr, fc = flips(k)
        dims = [a for a, on in ((2, fr), (3, fc)) if on]
        xs.append(torch.flip(x, dims) if dims else x)
    xd = torch.stack(xs)                                               # [D, N, C, H, W]
    xw = torch.einsum("dnchw,dgc->dnhwg", xd, Wt) + Bt[:, None, None, None, :]
    xw = torch.cat([xw.reshape(d, n, h * w, gf), torch.zeros(d, n, 1, gf)], dim=2)
    xsk = xw[:, :, torch.from_numpy(idx)]                              # [D, N, H, S, G*F]
    mask = torch.from_numpy(valid)[:, None, None, :, None]
    h_prev = torch.zeros(d, n, h, f)
    c_prev = torch.zeros(d, n, h, f)
    hs = []
    for s in range(h + w - 1):
        h_up = torch.nn.functional.pad(h_prev[:, :, :-1], (0, 0, 1, 0))
        c_up = torch.nn.functional.pad(c_prev[:, :, :-1], (0, 0, 1, 0))
        a = xsk[:, :, :, s] + torch.matmul(h_up, r_up.transpose(1, 2)[:, None]) + \
            torch.matmul(h_prev, r_left.transpose(1, 2)[:, None])
        hn, cn = cell_update(cell, a, c_up, c_prev, f, None, torch.sigmoid, torch.tanh)
        h_prev, c_prev = hn * mask[s], cn * mask[s]
        hs.append(h_prev)
    hs = torch.stack(hs, dim=2).reshape(d, n, -1, f)                   # [D, N, S*H, F]
    y = hs[:, :, torch.from_numpy(unskew.reshape(-1))].reshape(d, n, h, w, f)
    outs = []
    for k in range(d):
        fr, fc = flips(k)
        dims = [a for a, on in ((1, fr), (2, fc)) if on]
        outs.append((torch.flip(y[k], dims) if dims else y[k]).permute(0, 3, 1, 2))
    return torch.cat(outs, dim=1)                                      # [N, D*F, H, W]
