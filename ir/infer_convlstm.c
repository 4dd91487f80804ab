/*
 * infer_convlstm.c -- shape inference of glc.ConvLSTM and glc_convlstm_desc_read(), the one
 * place its attributes and input shapes are read and checked (convlstm.h).
 *
 * Order of the checks (the first failure is reported):
 *   1. attributes that need no shapes: hidden_size (required, > 0), direction, layout, clip;
 *   2. X: f32, rank 3 + R with R in 1..3; T, N, C and the grid S from it (layout-dependent);
 *   3. W: [D, 4F, C, k1..kR] (kernel from W; `kernel_shape`, if given, must equal it);
 *   4. strides, dilations (R values >= 1), pads (2R values >= 0), auto_pad (NOTSET, VALID,
 *      SAME_UPPER, SAME_LOWER; pads together with another auto_pad are rejected), then the
 *      output grid S' exactly as ONNX Conv computes it (each axis must come out >= 1);
 *   5. R: [D, 4F, F, r1..rR]; the recurrent convolution is SAME_UPPER, stride 1, dilation 1,
 *      so it keeps S' and puts the odd pad of an even kernel at the end;
 *   6. the optional inputs: B [D, 8F], sequence_lens [N] i32, initial_h/c [D, N, F, S'...]
 *      (layout 1: [N, D, F, S'...]), P [D, 3F, S'...];
 *   7. activations: 3 per direction (f, g, h; default Sigmoid, Tanh, Tanh) read with
 *      glc_acts_read; a bidirectional node given only 3 names uses them for both directions.
 * Every message is one line naming the op and the input or attribute, with the expected and
 * the given shapes or values (the node name is added by glc_diag_set).
 */
#include "convlstm.h"
#include "ir.h"
#include "ir_impl.h"

#include <stdio.h>
#include <string.h>

static const char *const in_names[] = {"X",         "W",         "R", "B", "sequence_lens",
                                       "initial_h", "initial_c", "P"};

#define OPN(n) glc_op_name((n)->op)

/* "[a,b,c]" of count int64 values. */
static void ints_str(const int64_t *v, int count, char *buf, size_t len) {
    size_t o = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < count && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "," : "", (long long)v[i]);
    if (o < len) snprintf(buf + o, len - o, "]");
}

/* Input i must be absent or have dtype dt and shape (rank, dims). */
static glc_status check_in(const glc_graph *g, const glc_node *n, int i, glc_dtype dt, int rank,
                           const int64_t *dims, glc_diag *d) {
    return infer_check_in(g, n, i, in_names[i], dt, rank, dims, NULL, d);
}

/* A kernel input (W or R): f32, rank 3 + R, leading dims lead[0..3), kernel dims >= 1. */
static glc_status check_kernel_in(const glc_graph *g, const glc_node *n, int i,
                                  const int64_t *lead, int R, glc_diag *d) {
    const glc_value *v = glc_node_input(g, n, i);
    char got[SHAPE_BUF];
    if (!v)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %s is required", OPN(n), in_names[i]);
    bool ok = v->dtype == GLC_DT_F32 && v->rank == 3 + R;
    for (int k = 0; ok && k < 3; k++)
        ok = v->dims[k] == lead[k];
    for (int k = 3; ok && k < 3 + R; k++)
        ok = v->dims[k] >= 1;
    if (ok) return GLC_OK;
    infer_shape_str(v, got);
    return glc_diag_set(d, GLC_E_SHAPE, n,
                        "%s: input %s has shape %s; expected f32[%lld,%lld,%lld] followed by %d "
                        "kernel dims >= 1",
                        OPN(n), in_names[i], got, (long long)lead[0], (long long)lead[1],
                        (long long)lead[2], R);
}

static glc_status read_attrs(const glc_node *n, glc_convlstm_desc *r, glc_diag *d) {
    if (!glc_node_attr(n, "hidden_size"))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute hidden_size is required", OPN(n));
    int64_t hs = glc_attr_int(n, "hidden_size", 0);
    if (hs <= 0)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: hidden_size %lld; expected a positive value",
                            OPN(n), (long long)hs);
    r->hidden = hs;
    const char *dir = glc_attr_string(n, "direction", "forward");
    if (!strcmp(dir, "forward"))
        r->direction = GLC_CL_FORWARD;
    else if (!strcmp(dir, "reverse"))
        r->direction = GLC_CL_REVERSE;
    else if (!strcmp(dir, "bidirectional"))
        r->direction = GLC_CL_BIDIR;
    else
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: direction '%s'; expected forward, reverse or bidirectional",
                            OPN(n), dir);
    r->dirs = r->direction == GLC_CL_BIDIR ? 2 : 1;
    int64_t layout = glc_attr_int(n, "layout", 0);
    if (layout != 0 && layout != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: layout %lld; expected 0 or 1", OPN(n),
                            (long long)layout);
    r->layout = (int)layout;
    r->has_clip = glc_node_attr(n, "clip") != NULL;
    r->clip = glc_attr_float(n, "clip", 0.0f);
    if (r->has_clip && !(r->clip > 0.0f))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: clip %g; expected a positive value", OPN(n),
                            (double)r->clip);
    return GLC_OK;
}

/* 3 activations per direction; one triple given to a bidirectional node serves both. */
static glc_status read_acts(const glc_node *n, glc_convlstm_desc *r, glc_diag *d) {
    static const glc_act_kind dflt[6] = {GLC_ACT_SIGMOID, GLC_ACT_TANH, GLC_ACT_TANH,
                                         GLC_ACT_SIGMOID, GLC_ACT_TANH, GLC_ACT_TANH};
    const glc_attr *names = glc_node_attr(n, "activations");
    if (r->dirs == 2 && names && names->kind == GLC_ATTR_STRINGS && names->n == 3) {
        GLC_TRY(glc_acts_read(n, 3, dflt, r->acts, d));
        memcpy(r->acts + 3, r->acts, 3 * sizeof r->acts[0]);
        return GLC_OK;
    }
    return glc_acts_read(n, 3 * r->dirs, dflt, r->acts, d);
}

/* T, N, C, R and the input grid from X. */
static glc_status read_x(const glc_graph *g, const glc_node *n, glc_convlstm_desc *r,
                         glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, GLC_CL_X);
    char s[SHAPE_BUF];
    if (!x)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input X is required", OPN(n));
    if (x->rank < 4 || x->rank > 6) {
        infer_shape_str(x, s);
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input X has shape %s; expected rank 4, 5 or 6 (%s, C and 1 to 3 "
                            "spatial axes)",
                            OPN(n), s, r->layout ? "N, T" : "T, N");
    }
    if (x->dtype != GLC_DT_F32)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: input X is %s; only f32 is supported",
                            OPN(n), glc_dtype_name(x->dtype));
    GLC_TRY(infer_static_dims(g, n, x, 2, x->rank, "channels and spatial dims", d));
    r->rank = x->rank - 3;
    r->seq = x->dims[r->layout ? 1 : 0];
    r->batch = x->dims[r->layout ? 0 : 1];
    r->channels = x->dims[2];
    for (int a = 0; a < 3; a++)
        r->in[a] = 1;
    for (int a = 0; a < r->rank; a++)
        r->in[3 - r->rank + a] = x->dims[3 + a];
    return GLC_OK;
}

/* W's shape, then kernel_shape against it. */
static glc_status read_w(const glc_graph *g, const glc_node *n, glc_convlstm_desc *r,
                         glc_diag *d) {
    int R = r->rank, off = 3 - R;
    int64_t lead[3] = {r->dirs, 4 * r->hidden, r->channels};
    GLC_TRY(check_kernel_in(g, n, GLC_CL_W, lead, R, d));
    const glc_value *w = glc_node_input(g, n, GLC_CL_W);
    for (int a = 0; a < 3; a++)
        r->k[a] = a < off ? 1 : w->dims[3 + a - off];
    uint32_t nk = 0;
    const int64_t *ks = glc_attr_ints(n, "kernel_shape", &nk);
    if (!ks) return GLC_OK;
    bool ok = (int)nk == R;
    for (int a = 0; ok && a < R; a++)
        ok = ks[a] == w->dims[3 + a];
    if (ok) return GLC_OK;
    char ksb[SHAPE_BUF], got[SHAPE_BUF];
    ints_str(ks, (int)nk, ksb, sizeof ksb);
    infer_shape_str(w, got);
    return glc_diag_set(d, GLC_E_SHAPE, n,
                        "%s: kernel_shape %s does not match input W of shape %s; expected %d "
                        "values equal to W's kernel dims",
                        OPN(n), ksb, got, R);
}

/* An ints attribute of exactly count values, each >= lo, into v[0..count) (dflt if absent). */
static glc_status read_ints(const glc_node *n, const char *name, int count, int64_t lo,
                            int64_t dflt, int64_t *v, glc_diag *d) {
    uint32_t m = 0;
    const int64_t *a = glc_attr_ints(n, name, &m);
    for (int i = 0; i < count; i++)
        v[i] = a && (int)m == count ? a[i] : dflt;
    bool ok = !a || (int)m == count;
    for (int i = 0; ok && i < count; i++)
        ok = v[i] >= lo;
    if (ok) return GLC_OK;
    char got[SHAPE_BUF];
    ints_str(a, (int)m, got, sizeof got);
    return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %s %s; expected %d values >= %lld", OPN(n), name,
                        got, count, (long long)lo);
}

/* ONNX Conv output grid and pads along axis a (three-axis slot s). */
static glc_status axis_geom(const glc_node *n, glc_convlstm_desc *r, int s, const char *ap,
                            glc_diag *d) {
    int64_t in = r->in[s], st = r->stride[s], span = (r->k[s] - 1) * r->dilation[s] + 1;
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        int64_t out = (in + st - 1) / st, total = (out - 1) * st + span - in;
        if (total < 0) total = 0;
        bool upper = !strcmp(ap, "SAME_UPPER");
        r->pad_begin[s] = upper ? total / 2 : total - total / 2;
        r->pad_end[s] = total - r->pad_begin[s];
    }
    int64_t padded = in + r->pad_begin[s] + r->pad_end[s];
    r->out[s] = padded >= span ? (padded - span) / st + 1 : 0;
    if (r->out[s] >= 1) return GLC_OK;
    return glc_diag_set(d, GLC_E_SHAPE, n,
                        "%s: input X spatial axis %d has size %lld (padded %lld) but the input "
                        "kernel spans %lld; expected an output size >= 1",
                        OPN(n), s - (3 - r->rank), (long long)in, (long long)padded,
                        (long long)span);
}

/* strides, dilations, pads, auto_pad, then the output grid S'. */
static glc_status read_geom(const glc_node *n, glc_convlstm_desc *r, glc_diag *d) {
    int R = r->rank, off = 3 - R;
    int64_t st[3], dl[3], pads[6];
    GLC_TRY(read_ints(n, "strides", R, 1, 1, st, d));
    GLC_TRY(read_ints(n, "dilations", R, 1, 1, dl, d));
    GLC_TRY(read_ints(n, "pads", 2 * R, 0, 0, pads, d));
    const char *ap = glc_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && strcmp(ap, "SAME_UPPER") &&
        strcmp(ap, "SAME_LOWER"))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: auto_pad '%s'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER",
                            OPN(n), ap);
    if (strcmp(ap, "NOTSET") && glc_node_attr(n, "pads"))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: pads given together with auto_pad '%s'; expected one of them",
                            OPN(n), ap);
    for (int s = 0; s < 3; s++) {
        int a = s - off;
        r->stride[s] = a < 0 ? 1 : st[a];
        r->dilation[s] = a < 0 ? 1 : dl[a];
        r->pad_begin[s] = a < 0 ? 0 : pads[a];
        r->pad_end[s] = a < 0 ? 0 : pads[R + a];
        GLC_TRY(axis_geom(n, r, s, ap, d));
    }
    return GLC_OK;
}

static glc_status read_r(const glc_graph *g, const glc_node *n, glc_convlstm_desc *r,
                         glc_diag *d) {
    int off = 3 - r->rank;
    int64_t lead[3] = {r->dirs, 4 * r->hidden, r->hidden};
    GLC_TRY(check_kernel_in(g, n, GLC_CL_R, lead, r->rank, d));
    const glc_value *rv = glc_node_input(g, n, GLC_CL_R);
    for (int a = 0; a < 3; a++) {
        r->rk[a] = a < off ? 1 : rv->dims[3 + a - off];
        r->rpad_begin[a] = (r->rk[a] - 1) / 2;
        r->rpad_end[a] = r->rk[a] - 1 - r->rpad_begin[a];
    }
    return GLC_OK;
}

static glc_status check_optional(const glc_graph *g, const glc_node *n,
                                 const glc_convlstm_desc *r, glc_diag *d) {
    int R = r->rank, off = 3 - R;
    int64_t D = r->dirs, N = r->batch, F = r->hidden;
    int64_t b[2] = {D, 8 * F}, sl[1] = {N}, st[6] = {D, N, F}, p[5] = {D, 3 * F};
    if (r->layout) st[0] = N, st[1] = D;
    for (int a = 0; a < R; a++)
        st[3 + a] = p[2 + a] = r->out[off + a];
    GLC_TRY(check_in(g, n, GLC_CL_B, GLC_DT_F32, 2, b, d));
    GLC_TRY(check_in(g, n, GLC_CL_SEQ_LENS, GLC_DT_I32, 1, sl, d));
    GLC_TRY(check_in(g, n, GLC_CL_INIT_H, GLC_DT_F32, 3 + R, st, d));
    GLC_TRY(check_in(g, n, GLC_CL_INIT_C, GLC_DT_F32, 3 + R, st, d));
    return check_in(g, n, GLC_CL_P, GLC_DT_F32, 2 + R, p, d);
}

glc_status glc_convlstm_desc_read(const glc_graph *g, const glc_node *n, glc_convlstm_desc *r,
                                  glc_diag *d) {
    memset(r, 0, sizeof *r);
    GLC_TRY(read_attrs(n, r, d));
    GLC_TRY(read_x(g, n, r, d));
    GLC_TRY(read_w(g, n, r, d));
    GLC_TRY(read_geom(n, r, d));
    GLC_TRY(read_r(g, n, r, d));
    GLC_TRY(check_optional(g, n, r, d));
    GLC_TRY(read_acts(n, r, d));
    r->in_size = r->in[0] * r->in[1] * r->in[2];
    r->out_size = r->out[0] * r->out[1] * r->out[2];
    r->k_size = r->k[0] * r->k[1] * r->k[2];
    r->rk_size = r->rk[0] * r->rk[1] * r->rk[2];
    return GLC_OK;
}

glc_status infer_convlstm(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_convlstm_desc r;
    GLC_TRY(glc_convlstm_desc_read(g, n, &r, d));
    int R = r.rank, off = 3 - R;
    int64_t y[8] = {r.seq, r.dirs, r.batch, r.hidden}, st[8] = {r.dirs, r.batch, r.hidden};
    if (r.layout) {
        y[0] = r.batch, y[1] = r.seq, y[2] = r.dirs;
        st[0] = r.batch, st[1] = r.dirs;
    }
    for (int a = 0; a < R; a++)
        y[4 + a] = st[3 + a] = r.out[off + a];
    GLC_TRY(infer_check_numel(n, 4 + R, y, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, 4 + R, y);
    infer_set_out_k(g, n, 1, GLC_DT_F32, 3 + R, st);
    infer_set_out_k(g, n, 2, GLC_DT_F32, 3 + R, st);
    return GLC_OK;
}
