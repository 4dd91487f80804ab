/*
 * infer_resize.c -- Resize and Upsample: the geometry (resize.h), the per-coordinate taps
 * and the shape rule.
 *
 * Inputs by opset: Upsample-7 takes the attribute scales; Upsample-9 and Resize-10 take
 * (X, scales); Resize-11 and later (X, roi, scales, sizes), exactly one of scales and
 * sizes given (an empty tensor counts as absent), and from opset 18 `axes` names the axes
 * they list (the others keep scale 1). Upsample and Resize-10 interpolate with asymmetric
 * coordinates and round nearest neighbours the way ONNX Runtime does for them (floor when
 * upscaling, ceil when downscaling).
 *
 * Output sizes: from scales, out = floor(in * scale) in double, as the ONNX reference
 * does. A symbolic input size stays an expression: the f32 scale is m / 2^k exactly, so
 * out = floordiv(in * m, 2^k) (in * 2 for a scale of 2, floordiv(in, 2) for 0.5). From
 * sizes (constants, or dims computed from shapes: Shape(z) makes y z's size), out = sizes
 * and the scale is out / in where both are known (else at run time), or with
 * keep_aspect_ratio_policy not_larger (not_smaller) one scale for every listed axis, the
 * smallest (largest) of sizes / in, and out = round_half_up(scale * in); that needs static
 * sizes.
 *
 * Source coordinate of output coordinate y along an axis of input size in, output size
 * out and scale s (out / in when sizes are given), with W = s * in (a real, as in the
 * reference):
 *   half_pixel            (y + 0.5) / s - 0.5
 *   half_pixel_symmetric  in / 2 * (1 - out / W) + (y + 0.5) / s - 0.5
 *   pytorch_half_pixel    W == 1 ? -0.5 : (y + 0.5) / s - 0.5
 *   align_corners         W == 1 ? 0 : y * (in - 1) / (W - 1)
 *   asymmetric            y / s
 *   tf_half_pixel_for_nn  (y + 0.5) / s
 *   tf_crop_and_resize    (W == 1 ? (hi - lo) * (in - 1) / 2 : y * (hi - lo) * (in - 1) /
 *                         (W - 1)) + lo * (in - 1); outside [0, in - 1]: extrapolated
 * Nearest takes one tap, x rounded by nearest_mode (an integer x is itself). Linear and
 * cubic take the taps t of the even-sized window around x (2R taps, R = 1 linear, 2 cubic;
 * with antialias and s < 1, 2 - 2 * (floor(-R / s) + 1) taps) starting at
 * floor(x) + 1 - taps/2, one lower when x is an integer, weighted by the kernel at
 * s' * (t - x) (s' = min(s, 1) with antialias, else 1): linear max(0, 1 - |u|), cubic
 * Keys' kernel with a = cubic_coeff_a. With antialias the weights are divided by their
 * sum; with exclude_outside the taps outside the input get 0 first (and a zero sum is
 * taken as 1). Every index is then clamped into [0, in).
 */
#include "ir.h"
#include "ir_impl.h"
#include "resize.h"
#include "tensor.h"

#include <math.h>
#include <string.h>

/* The index of attribute `name`'s value in the '|'-separated choices (the first is the
 * default); -1 with a diagnostic when it is none of them. */
static int choice(const glc_node *n, const char *name, const char *choices, glc_diag *d) {
    const char *v = glc_attr_string(n, name, NULL);
    if (!v) return 0;
    size_t len = strlen(v);
    int k = 0;
    for (const char *p = choices; *p; k++) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == len && !strncmp(p, v, l)) return k;
        if (!e) break;
        p = e + 1;
    }
    glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute '%s' is '%s'; expected one of %s",
                 glc_op_name(n->op), name, v, choices);
    return -1;
}

/* Reads float input i (f16, f32 or f64, at most max entries) into v; *count = -1 when
 * absent or empty. */
static glc_status static_floats(const glc_graph *g, const glc_node *n, int i, const char *what,
                                double *v, int max, int *count, glc_diag *d) {
    *count = -1;
    if (i >= n->n_in || !n->in[i]) return GLC_OK;
    const glc_value *x = &g->values[n->in[i]];
    int64_t k = glc_value_numel(x);
    if (k == 0) return GLC_OK;
    if (!glc_dtype_is_float(x->dtype) || x->rank != 1 || k > max)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input %d '%s' must be a 1-D float tensor of at most %d values",
                            glc_op_name(n->op), i, what, max);
    if (!x->data) return glc_static_not_const(g, n, i, what, d);
    for (int64_t j = 0; j < k; j++) {
        switch (x->dtype) {
        case GLC_DT_F32: v[j] = ((const float *)x->data)[j]; break;
        case GLC_DT_F64: v[j] = ((const double *)x->data)[j]; break;
        case GLC_DT_F16: v[j] = glc_f16_to_f32(((const uint16_t *)x->data)[j]); break;
        case GLC_DT_BF16: v[j] = glc_bf16_to_f32(((const uint16_t *)x->data)[j]); break;
        default: return glc_diag_set(d, GLC_E_SHAPE, n, "%s: bad dtype", glc_op_name(n->op));
        }
    }
    *count = (int)k;
    return GLC_OK;
}

/* Upsample and Resize-10: asymmetric coordinates, ONNX Runtime's nearest rounding. */
static bool legacy(const glc_graph *g, const glc_node *n) {
    return n->op == GLC_OP_UPSAMPLE || g->opset < 11;
}

static glc_status read_modes(const glc_graph *g, const glc_node *n, glc_resize_geom *rg,
                             glc_diag *d) {
    int mode = choice(n, "mode", legacy(g, n) ? "nearest|linear" : "nearest|linear|cubic", d);
    if (mode < 0) return d->status;
    rg->mode = (glc_resize_mode)mode;
    rg->ctm = GLC_CTM_ASYMMETRIC;
    rg->nearest = GLC_NEAREST_SIMPLE;
    rg->cubic_a = -0.75;
    if (legacy(g, n)) return GLC_OK;
    int ctm = choice(n, "coordinate_transformation_mode",
                     "half_pixel|pytorch_half_pixel|align_corners|asymmetric|tf_crop_and_resize|"
                     "half_pixel_symmetric|tf_half_pixel_for_nn", d);
    int nm = choice(n, "nearest_mode", "round_prefer_floor|round_prefer_ceil|floor|ceil", d);
    if (ctm < 0 || nm < 0) return d->status;
    rg->ctm = (glc_resize_ctm)ctm;
    rg->nearest = (glc_resize_nearest)nm;
    rg->cubic_a = glc_attr_float(n, "cubic_coeff_a", -0.75f);
    rg->extrapolation = glc_attr_float(n, "extrapolation_value", 0.0f);
    int64_t ex = glc_attr_int(n, "exclude_outside", 0), aa = glc_attr_int(n, "antialias", 0);
    if ((ex != 0 && ex != 1) || (aa != 0 && aa != 1))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Resize: exclude_outside %lld and antialias %lld must be 0 or 1",
                            (long long)ex, (long long)aa);
    rg->exclude_outside = ex == 1;
    rg->antialias = aa == 1;
    if (rg->antialias && rg->mode == GLC_RESIZE_NEAREST)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Resize: antialias needs mode linear or cubic");
    return GLC_OK;
}

/* The axes scales/sizes/roi list (attribute axes, else all): ax[0..*k). */
static glc_status read_axes(const glc_node *n, int rank, int *ax, int *k, glc_diag *d) {
    uint32_t cnt = 0;
    const int64_t *a = glc_attr_ints(n, "axes", &cnt);
    bool seen[GLC_MAX_RANK] = {false};
    *k = a ? (int)cnt : rank;
    for (int j = 0; j < *k; j++) {
        int v = j;
        if (a && (!infer_norm_axis(a[j], rank, false, &v) || seen[v]))
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "Resize: axis %lld is out of range or repeated for rank %d",
                                (long long)a[j], rank);
        seen[v] = true;
        ax[j] = v;
    }
    return GLC_OK;
}

/* floor(in * s) for a symbolic in: s = m / 2^k exactly (an f32 scale). */
static glc_dim scaled_dim(const glc_graph *g, glc_dim in, double s) {
    if (glc_dim_is_const(in)) return (glc_dim)floor((double)in * s);
    double m = s;
    int64_t den = 1;
    while (m != floor(m) && den < ((int64_t)1 << 40)) {
        m *= 2;
        den *= 2;
    }
    return glc_dim_floordiv(g, glc_dim_mul(g, in, (glc_dim)m), den);
}

/* Output sizes from scales (cnt values for the axes ax). */
static glc_status sizes_from_scales(const glc_graph *g, const glc_node *n, glc_resize_geom *rg,
                                    const int *ax, const double *sc, int cnt, glc_diag *d) {
    for (int j = 0; j < cnt; j++) {
        int a = ax[j];
        if (!(sc[j] > 0) || sc[j] > 1e6)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: scale %g of axis %d must be positive",
                                glc_op_name(n->op), sc[j], a);
        rg->scale[a] = sc[j];
        rg->out[a] = scaled_dim(g, rg->in[a], sc[j]);
    }
    return GLC_OK;
}

/* The sizes input (3): constants, or dims computed from the input's shape (a shape tensor
 * of symbolic dims, as exporters write sizes = Concat(Shape(x)[:2], ...)). */
static glc_status read_size_list(const glc_graph *g, const glc_node *n, glc_dim *sz, int *cnt,
                                 glc_diag *d) {
    const glc_value *v = n->n_in > 3 && n->in[3] ? &g->values[n->in[3]] : NULL;
    int64_t k;
    if (!v || !v->sdata) return glc_static_ints(g, n, 3, "sizes", sz, GLC_MAX_RANK, cnt, d);
    if (v->dtype != GLC_DT_I64 || v->rank != 1 || !infer_int_elems(v, sz, GLC_MAX_RANK, &k))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Resize: input 3 'sizes' must be a 1-D i64 tensor "
                            "of at most %d values", GLC_MAX_RANK);
    *cnt = (int)k;
    return GLC_OK;
}

/* Output sizes from sizes, with keep_aspect_ratio_policy. */
static glc_status sizes_from_sizes(const glc_node *n, glc_resize_geom *rg, const int *ax,
                                   const glc_dim *sz, int cnt, glc_diag *d) {
    int pol = choice(n, "keep_aspect_ratio_policy", "stretch|not_larger|not_smaller", d);
    if (pol < 0) return d->status;
    double keep = pol == 1 ? INFINITY : 0;
    for (int j = 0; j < cnt; j++) {
        int a = ax[j];
        if (glc_dim_is_const(sz[j]) && sz[j] < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Resize: size %lld of axis %d is negative",
                                (long long)sz[j], a);
        rg->out[a] = sz[j];
        if (pol == 0) continue;
        if (glc_dim_is_sym(rg->in[a]) || glc_dim_is_sym(sz[j]))
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                                "Resize: keep_aspect_ratio_policy needs static sizes of axis %d",
                                a);
        double s = (double)sz[j] / (double)rg->in[a];
        keep = pol == 1 ? fmin(keep, s) : fmax(keep, s);
    }
    for (int j = 0; j < cnt && pol != 0; j++)
        rg->out[ax[j]] = (glc_dim)(keep * (double)rg->in[ax[j]] + 0.5);
    for (int j = 0; j < cnt; j++) {
        int a = ax[j];
        bool known = glc_dim_is_const(rg->in[a]) && glc_dim_is_const(rg->out[a]);
        rg->scale[a] = pol ? keep : known ? (double)rg->out[a] / (double)rg->in[a] : 0;
    }
    return GLC_OK;
}

/* roi (tf_crop_and_resize only): lo for the listed axes, then hi. */
static glc_status read_roi(const glc_graph *g, const glc_node *n, glc_resize_geom *rg,
                           const int *ax, int k, glc_diag *d) {
    double roi[2 * GLC_MAX_RANK];
    int cnt;
    for (int a = 0; a < rg->rank; a++) {
        rg->roi_lo[a] = 0;
        rg->roi_hi[a] = 1;
    }
    if (rg->ctm != GLC_CTM_TF_CROP_AND_RESIZE) return GLC_OK;
    GLC_TRY(static_floats(g, n, 1, "roi", roi, 2 * GLC_MAX_RANK, &cnt, d));
    if (cnt != 2 * k)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Resize: tf_crop_and_resize needs roi of %d values, got %d", 2 * k,
                            cnt < 0 ? 0 : cnt);
    for (int j = 0; j < k; j++) {
        rg->roi_lo[ax[j]] = roi[j];
        rg->roi_hi[ax[j]] = roi[k + j];
    }
    return GLC_OK;
}

/* The output sizes and scales from the scales (attribute or input) or sizes input. */
static glc_status read_sizes(const glc_graph *g, const glc_node *n, glc_resize_geom *rg,
                             glc_diag *d) {
    int ax[GLC_MAX_RANK], k, cs = -1, cz = -1;
    double sc[GLC_MAX_RANK];
    glc_dim sz[GLC_MAX_RANK];
    GLC_TRY(read_axes(n, rg->rank, ax, &k, d));
    if (n->op == GLC_OP_UPSAMPLE && g->opset < 9) {
        uint32_t c = 0;
        const float *a = glc_attr_floats(n, "scales", &c);
        for (uint32_t j = 0; a && j < c && j < GLC_MAX_RANK; j++)
            sc[j] = a[j];
        cs = a ? (int)c : -1;
    } else {
        GLC_TRY(static_floats(g, n, legacy(g, n) ? 1 : 2, "scales", sc, GLC_MAX_RANK, &cs, d));
        if (!legacy(g, n)) GLC_TRY(read_size_list(g, n, sz, &cz, d));
    }
    if (cz == 0) cz = -1;
    if ((cs < 0) == (cz < 0))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: exactly one of scales and sizes is needed",
                            glc_op_name(n->op));
    if ((cs >= 0 ? cs : cz) != k)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %s lists %d values for %d axes",
                            glc_op_name(n->op), cs >= 0 ? "scales" : "sizes",
                            cs >= 0 ? cs : cz, k);
    if (!legacy(g, n)) GLC_TRY(read_roi(g, n, rg, ax, k, d));
    rg->from_sizes = cz >= 0;
    if (cs >= 0) return sizes_from_scales(g, n, rg, ax, sc, k, d);
    return sizes_from_sizes(n, rg, ax, sz, k, d);
}

/* Taps of axis a (1 if it is copied). */
static int axis_taps(const glc_resize_geom *rg, int a) {
    if (!rg->resized[a] || rg->mode == GLC_RESIZE_NEAREST) return 1;
    int r = rg->mode == GLC_RESIZE_LINEAR ? 1 : 2;
    double s = rg->antialias ? fmin(rg->scale[a], 1.0) : 1.0;
    int start = (int)floor(-r / s) + 1;
    return 2 - 2 * start;
}

/* An axis is copied when its scale is 1, its size kept and its roi the whole axis. */
static bool is_identity(const glc_resize_geom *rg, int a) {
    bool same = rg->in[a] == rg->out[a];
    double s = rg->from_sizes ? (same ? 1.0 : 0.0) : rg->scale[a];
    return same && fabs(s - 1.0) <= 1e-9 && fabs(rg->roi_lo[a]) <= 1e-9 &&
           fabs(rg->roi_hi[a] - 1.0) <= 1e-9;
}

glc_status glc_resize_geom_get(const glc_graph *g, const glc_node *n, glc_resize_geom *rg,
                               glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    memset(rg, 0, sizeof *rg);
    rg->rank = x->rank;
    for (int a = 0; a < x->rank; a++) {
        rg->in[a] = rg->out[a] = x->dims[a];
        rg->scale[a] = 1;
    }
    GLC_TRY(read_modes(g, n, rg, d));
    GLC_TRY(read_sizes(g, n, rg, d));
    for (int a = 0; a < rg->rank; a++) {
        rg->resized[a] = !is_identity(rg, a);
        if (rg->resized[a] && rg->antialias && rg->scale[a] == 0)
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                                "Resize: antialias with sizes needs a static size of axis %d", a);
        rg->taps[a] = axis_taps(rg, a);
        if (rg->taps[a] > GLC_RESIZE_MAX_TAPS)
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                                "Resize: antialias scale %g of axis %d needs more than %d taps",
                                rg->scale[a], a, GLC_RESIZE_MAX_TAPS);
    }
    return GLC_OK;
}

double glc_resize_scale(const glc_resize_geom *rg, int a, int64_t in, int64_t out) {
    return rg->scale[a] != 0 ? rg->scale[a] : (double)out / (double)in;
}

/* The source coordinate of output coordinate y (see the file comment). */
static double source(const glc_resize_geom *rg, int a, double y, int64_t in, int64_t out,
                     double s, bool *extrapolated) {
    double inw = (double)in, w = s * inw, lo = rg->roi_lo[a], hi = rg->roi_hi[a], x;
    *extrapolated = false;
    switch (rg->ctm) {
    case GLC_CTM_HALF_PIXEL: return (y + 0.5) / s - 0.5;
    case GLC_CTM_HALF_PIXEL_SYMMETRIC:
        return inw / 2 * (1 - (double)out / w) + (y + 0.5) / s - 0.5;
    case GLC_CTM_PYTORCH_HALF_PIXEL: return w == 1 ? -0.5 : (y + 0.5) / s - 0.5;
    case GLC_CTM_ALIGN_CORNERS: return w == 1 ? 0 : y * (inw - 1) / (w - 1);
    case GLC_CTM_ASYMMETRIC: return y / s;
    case GLC_CTM_TF_HALF_PIXEL_FOR_NN: return (y + 0.5) / s;
    case GLC_CTM_TF_CROP_AND_RESIZE:
        x = w == 1 ? (hi - lo) * (inw - 1) / 2 : y * (hi - lo) * (inw - 1) / (w - 1);
        x += lo * (inw - 1);
        *extrapolated = x < 0 || x > inw - 1;
        return x;
    }
    return 0;
}

/* x rounded by the nearest mode (s: the scale, for SIMPLE). */
static double nearest(glc_resize_nearest m, double x, double s) {
    double f = floor(x), r = x - f;
    if (r == 0) return x;
    switch (m) {
    case GLC_NEAREST_ROUND_PREFER_FLOOR: return r <= 0.5 ? f : f + 1;
    case GLC_NEAREST_ROUND_PREFER_CEIL: return r < 0.5 ? f : f + 1;
    case GLC_NEAREST_FLOOR: return f;
    case GLC_NEAREST_CEIL: return f + 1;
    case GLC_NEAREST_SIMPLE: return s < 1 ? ceil(x) : trunc(x);
    }
    return f;
}

/* The interpolation kernel at u (linear or cubic). */
static double kernel(const glc_resize_geom *rg, double u) {
    u = fabs(u);
    if (rg->mode == GLC_RESIZE_LINEAR) return u < 1 ? 1 - u : 0;
    double A = rg->cubic_a;
    if (u <= 1) return ((A + 2) * u - (A + 3)) * u * u + 1;
    if (u < 2) return ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
    return 0;
}

bool glc_resize_taps(const glc_resize_geom *rg, int a, int64_t in, int64_t out, int64_t o,
                     int64_t *idx, double *w) {
    int k = rg->taps[a];
    if (!rg->resized[a]) {
        idx[0] = o;
        w[0] = 1;
        return false;
    }
    double s = glc_resize_scale(rg, a, in, out), sum = 0;
    bool ext;
    double x = source(rg, a, (double)o, in, out, s, &ext);
    if (rg->mode == GLC_RESIZE_NEAREST) {
        idx[0] = (int64_t)nearest(rg->nearest, x, s);
        w[0] = 1;
    } else {
        double f = floor(x), sa = rg->antialias ? fmin(s, 1.0) : 1.0;
        int64_t start = (int64_t)f + 1 - k / 2 - (x == f ? 1 : 0);
        for (int t = 0; t < k; t++) {
            idx[t] = start + t;
            w[t] = kernel(rg, sa * ((double)idx[t] - x));
        }
    }
    for (int t = 0; t < k; t++) {
        if (rg->exclude_outside && (idx[t] < 0 || idx[t] >= in)) w[t] = 0;
        sum += w[t];
    }
    for (int t = 0; t < k && (rg->antialias || rg->exclude_outside); t++)
        w[t] /= sum == 0 ? 1 : sum;
    for (int t = 0; t < k; t++)
        idx[t] = idx[t] < 0 ? 0 : idx[t] >= in ? in - 1 : idx[t];
    return ext;
}

glc_status infer_resize(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    if (x->dtype != GLC_DT_F32) {
        char sx[SHAPE_BUF];
        infer_shape_str(x, sx);
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: input 0 %s: only f32 is supported",
                            glc_op_name(n->op), sx);
    }
    glc_resize_geom rg;
    GLC_TRY(glc_resize_geom_get(g, n, &rg, d));
    GLC_TRY(infer_check_numel(n, rg.rank, rg.out, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, rg.rank, rg.out);
    return GLC_OK;
}
