/*
 * interp_nn.c -- reference kernels of the nn family: Conv, BatchNormalization (inference
 * and training_mode), Softmax, LogSoftmax; f32. Softmax subtracts the max before expf.
 *
 * Conv: the geometry comes from glc_conv_geom_get() (conv.h). For every (n, m) and every
 * output position: acc = B[m] (or 0), then for each input channel c of m's group and each
 * tap of the kernel in row-major tap order, acc += W[m, c, tap] * X[n, g*C/group + c, pos],
 * skipping taps that fall in the padding. Codegen accumulates in the same order, so the
 * two agree to the last bit (no FMA contraction on either side).
 *
 * BatchNormalization, per channel c (or per (c, position) with the old spatial = 0):
 *   y = (x - mean) * (scale * (1 / sqrt(var + epsilon))) + B.
 * With training_mode = 1 mean and var are the batch statistics over N and the spatial
 * axes: a double sum divided by the count, then the population variance as a second
 * double pass over (x - mean)^2, both rounded to f32; the optional outputs are
 *   running_mean = input_mean * momentum + mean * (1 - momentum)   (likewise var),
 * as in the ONNX spec and its reference implementation.
 *
 * Softmax and LogSoftmax view X as (outer, len, inner): legacy opsets (< 13) coerce it to
 * 2-D [prod(d[:axis]), prod(d[axis:])]. LogSoftmax computes
 * (x - max) - log(sum(exp(x - max))), which cannot overflow.
 */
#include "conv.h"
#include "interp_impl.h"

#include <math.h>

static int64_t prod(const int64_t *v, int k) {
    int64_t p = 1;
    for (int i = 0; i < k; i++)
        p *= v[i];
    return p;
}

/* Row-major offset of input position o + tap j along every axis; -1 if in the padding. */
static int64_t conv_tap(const glc_conv_geom *cg, const int64_t *o, const int64_t *j) {
    int64_t off = 0;
    for (int i = 0; i < cg->nsp; i++) {
        int64_t p = o[i] * cg->stride[i] - cg->pad_begin[i] + j[i] * cg->dilation[i];
        if (p < 0 || p >= cg->in[i]) return -1;
        off = off * cg->in[i] + p;
    }
    return off;
}

/* One output value: output channel m of sample b at position o. */
static float conv_point(const glc_conv_geom *cg, const float *x, const float *w, const float *bias,
                        int64_t b, int64_t m, const int64_t *o) {
    int64_t cpg = cg->c_in / cg->group, gi = m / (cg->c_out / cg->group);
    int64_t ntaps = prod(cg->kernel, cg->nsp), in_plane = prod(cg->in, cg->nsp);
    int64_t j[GLC_MAX_RANK];
    float acc = bias ? bias[m] : 0.0f;
    for (int64_t c = 0; c < cpg; c++) {
        const float *xp = x + (b * cg->c_in + gi * cpg + c) * in_plane;
        const float *wp = w + (m * cpg + c) * ntaps;
        for (int64_t t = 0; t < ntaps; t++) {
            interp_unravel(t, cg->nsp, cg->kernel, j);
            int64_t off = conv_tap(cg, o, j);
            if (off >= 0) acc += wp[t] * xp[off];
        }
    }
    return acc;
}

glc_status interp_conv(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    float *y = out[0];
    glc_conv_geom cg;
    GLC_TRY(glc_conv_geom_get(g, n, &cg, d));
    int64_t out_plane = prod(cg.out, cg.nsp), o[GLC_MAX_RANK];
    const float *bias = n->n_in > 2 ? in[2] : NULL;
    for (int64_t b = 0; b < cg.batch; b++)
        for (int64_t m = 0; m < cg.c_out; m++)
            for (int64_t k = 0; k < out_plane; k++) {
                interp_unravel(k, cg.nsp, cg.out, o);
                y[(b * cg.c_out + m) * out_plane + k] =
                    conv_point(&cg, in[0], in[1], bias, b, m, o);
            }
    return GLC_OK;
}

/* Batch statistics of channel c of x (N, C, inner): mean and population variance. */
static void batch_stats(const float *x, int64_t N, int64_t C, int64_t inner, int64_t c, float *mean,
                        float *var) {
    double sum = 0.0, ss = 0.0, cnt = (double)(N * inner);
    for (int64_t b = 0; b < N; b++)
        for (int64_t i = 0; i < inner; i++)
            sum += x[(b * C + c) * inner + i];
    double mu = sum / cnt;
    for (int64_t b = 0; b < N; b++)
        for (int64_t i = 0; i < inner; i++) {
            double dv = (double)x[(b * C + c) * inner + i] - mu;
            ss += dv * dv;
        }
    *mean = (float)mu;
    *var = (float)(ss / cnt);
}

glc_status interp_batchnorm(const glc_graph *g, const glc_node *n, const void *const *in,
                            void *const *out, glc_diag *d) {
    (void)d;
    const glc_value *xv = IN_V(g, n, 0);
    const float *x = in[0], *scale = in[1], *bias = in[2], *mean = in[3], *var = in[4];
    int64_t N = xv->dims[0], C = xv->dims[1], inner = prod(xv->dims + 2, xv->rank - 2);
    bool training = g->opset >= 14 && glc_attr_int(n, "training_mode", 0) == 1;
    bool spatial = g->opset >= 9 || glc_attr_int(n, "spatial", 1) != 0;
    float eps = glc_attr_float(n, "epsilon", 1e-5f), mom = glc_attr_float(n, "momentum", 0.9f);
    float *y = out[0];
    for (int64_t c = 0; c < C; c++) {
        float bm = 0.0f, bv = 0.0f;
        if (training) {
            batch_stats(x, N, C, inner, c, &bm, &bv);
            if (n->n_out > 1 && out[1]) ((float *)out[1])[c] = mean[c] * mom + bm * (1.0f - mom);
            if (n->n_out > 2 && out[2]) ((float *)out[2])[c] = var[c] * mom + bv * (1.0f - mom);
        }
        for (int64_t b = 0; y && b < N; b++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t p = spatial ? c : c * inner + i, at = (b * C + c) * inner + i;
                float mu = training ? bm : mean[p], s2 = training ? bv : var[p];
                float a = scale[p] * (1.0f / sqrtf(s2 + eps));
                y[at] = (x[at] - mu) * a + bias[p];
            }
    }
    return GLC_OK;
}

/* Element k of p, an f32 or f64 tensor, as a double. */
static double load_float(glc_dtype dt, const void *p, int64_t k) {
    return dt == GLC_DT_F64 ? ((const double *)p)[k] : ((const float *)p)[k];
}

/* Softmax over `len` elements spaced `inner` apart from element `at` of x / y (f32 or f64):
 * computed in double (libm's exp), each result rounded once to dt on store. */
static void softmax_row(glc_dtype dt, const void *x, void *y, int64_t at, int64_t len,
                        int64_t inner) {
    double mx = -INFINITY, sum = 0.0;
    for (int64_t k = 0; k < len; k++) {
        double v = load_float(dt, x, at + k * inner);
        mx = v > mx ? v : mx;
    }
    for (int64_t k = 0; k < len; k++) sum += exp(load_float(dt, x, at + k * inner) - mx);
    for (int64_t k = 0; k < len; k++) {
        int64_t e = at + k * inner;
        interp_store_f64(dt, y, e, exp(load_float(dt, x, e) - mx) / sum);
    }
}

glc_status interp_softmax(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    if (x->dtype != GLC_DT_F32 && x->dtype != GLC_DT_F64)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "interpreter: Softmax on %s",
                            glc_dtype_name(x->dtype));
    bool legacy = g->opset < 13;
    int64_t axis = glc_attr_int(n, "axis", legacy ? 1 : -1);
    int ax = (int)(axis < 0 ? axis + x->rank : axis);
    /* (outer, len, inner): legacy coerces to 2-D [prod(d[:ax]), prod(d[ax:])]. */
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) outer *= x->dims[i];
        else if (i == ax || legacy) len *= x->dims[i];
        else inner *= x->dims[i];
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++)
            softmax_row(x->dtype, in[0], out[0], o * len * inner + j, len, inner);
    return GLC_OK;
}

/* LogSoftmax over `len` elements spaced `inner` apart starting at x / y. */
static void logsoftmax_row(const float *x, float *y, int64_t len, int64_t inner) {
    float mx = -INFINITY, sum = 0.0f;
    for (int64_t k = 0; k < len; k++)
        mx = x[k * inner] > mx ? x[k * inner] : mx;
    for (int64_t k = 0; k < len; k++)
        sum += expf(x[k * inner] - mx);
    float ls = logf(sum);
    for (int64_t k = 0; k < len; k++)
        y[k * inner] = (x[k * inner] - mx) - ls;
}

glc_status interp_logsoftmax(const glc_graph *g, const glc_node *n, const void *const *in,
                             void *const *out, glc_diag *d) {
    const glc_value *xv = IN_V(g, n, 0);
    const float *x = in[0];
    float *y = out[0];
    (void)d;
    bool legacy = g->opset < 13;
    int64_t axis = glc_attr_int(n, "axis", legacy ? 1 : -1);
    int ax = (int)(axis < 0 ? axis + xv->rank : axis);
    /* (outer, len, inner): legacy coerces to 2-D [prod(d[:ax]), prod(d[ax:])]. */
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < xv->rank; i++) {
        if (i < ax)
            outer *= xv->dims[i];
        else if (i == ax || legacy)
            len *= xv->dims[i];
        else
            inner *= xv->dims[i];
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++)
            logsoftmax_row(x + o * len * inner + j, y + o * len * inner + j, len, inner);
    return GLC_OK;
}

/* ---- ConvTranspose ---------------------------------------------------------------------- */

/* The input offset (spatial, row-major) that output position o and tap j meet; -1 if none. */
static int64_t convt_source(const glc_convt_geom *t, const int64_t *o, const int64_t *j) {
    int64_t off = 0;
    for (int a = 0; a < t->nsp; a++) {
        int64_t v = o[a] + t->pad_begin[a] - j[a] * t->dilation[a];
        if (v < 0 || v % t->stride[a]) return -1;
        v /= t->stride[a];
        if (v >= t->in[a]) return -1;
        off = off * t->in[a] + v;
    }
    return off;
}

glc_status interp_convtranspose(const glc_graph *g, const glc_node *n, const void *const *in,
                                void *const *out, glc_diag *d) {
    glc_convt_geom t;
    GLC_TRY(glc_convt_geom_get(g, n, &t, d));
    const float *x = in[0], *w = in[1], *bias = n->n_in > 2 ? in[2] : NULL;
    float *y = out[0];
    int64_t osz = 1, isz = 1, ksz = 1, o[GLC_MAX_RANK], j[GLC_MAX_RANK];
    for (int a = 0; a < t.nsp; a++)
        osz *= t.out[a], isz *= t.in[a], ksz *= t.kernel[a];
    int64_t cg = t.c_in / t.group, mg = t.c_out / t.group;
    for (int64_t b = 0; b < t.batch; b++)
        for (int64_t m = 0; m < t.c_out; m++)
            for (int64_t p = 0; p < osz; p++) {
                interp_unravel(p, t.nsp, t.out, o);
                int64_t gi = m / mg;
                float acc = bias ? bias[m] : 0.0f;
                for (int64_t q = 0; q < ksz; q++) {
                    interp_unravel(q, t.nsp, t.kernel, j);
                    int64_t src = convt_source(&t, o, j);
                    for (int64_t c = 0; src >= 0 && c < cg; c++) {
                        int64_t ch = gi * cg + c;
                        float xv = x[(b * t.c_in + ch) * isz + src];
                        acc += xv * w[(ch * mg + m - gi * mg) * ksz + q];
                    }
                }
                y[(b * t.c_out + m) * osz + p] = acc;
            }
    return GLC_OK;
}

/* ---- ConvInteger, QLinearConv ----------------------------------------------------------- */

/* Element k of a u8 or i8 tensor (NULL: 0). */
static int32_t q8_at(glc_dtype dt, const void *p, int64_t k) {
    if (!p) return 0;
    return dt == GLC_DT_U8 ? ((const uint8_t *)p)[k] : ((const int8_t *)p)[k];
}

glc_status interp_qconv(const glc_graph *g, const glc_node *n, const void *const *in,
                        void *const *out, glc_diag *d) {
    glc_conv_geom cg;
    int64_t group;
    bool per;
    GLC_TRY(glc_qconv_geom_get(g, n, &cg, &group, &per, d));
    bool ql = n->op == GLC_OP_QLINEARCONV;
    int iw = ql ? 3 : 1, ixz = 2, iwz = ql ? 5 : 3;
    glc_dtype tx = IN_V(g, n, 0)->dtype, tw = IN_V(g, n, iw)->dtype, ty = OUT_V(g, n)->dtype;
    const void *xzp = n->n_in > ixz ? in[ixz] : NULL, *wzp = n->n_in > iwz ? in[iwz] : NULL;
    const int32_t *bias = ql && n->n_in > 8 ? in[8] : NULL;
    int32_t xz = q8_at(tx, xzp, 0);
    int64_t osz = 1, isz = 1, ksz = 1, o[GLC_MAX_RANK], j[GLC_MAX_RANK];
    for (int a = 0; a < cg.nsp; a++)
        osz *= cg.out[a], isz *= cg.in[a], ksz *= cg.kernel[a];
    int64_t cpg = cg.c_in / group, mpg = cg.c_out / group;
    for (int64_t b = 0; b < cg.batch; b++)
        for (int64_t m = 0; m < cg.c_out; m++) {
            int32_t wz = q8_at(tw, wzp, wzp && glc_value_numel(IN_V(g, n, iwz)) > 1 ? m : 0);
            for (int64_t p = 0; p < osz; p++) {
                interp_unravel(p, cg.nsp, cg.out, o);
                int32_t acc = bias ? bias[m] : 0;
                for (int64_t q = 0; q < ksz; q++) {
                    interp_unravel(q, cg.nsp, cg.kernel, j);
                    int64_t src = 0;
                    bool inside = true;
                    for (int a = 0; a < cg.nsp && inside; a++) {
                        int64_t v = o[a] * cg.stride[a] - cg.pad_begin[a] + j[a] * cg.dilation[a];
                        inside = v >= 0 && v < cg.in[a];
                        src = src * cg.in[a] + v;
                    }
                    for (int64_t c = 0; inside && c < cpg; c++) {
                        int64_t ch = m / mpg * cpg + c;
                        acc += (q8_at(tx, in[0], (b * cg.c_in + ch) * isz + src) - xz) *
                               (q8_at(tw, in[iw], (m * cpg + c) * ksz + q) - wz);
                    }
                }
                int64_t at = (b * cg.c_out + m) * osz + p;
                if (!ql) {
                    ((int32_t *)out[0])[at] = acc;
                    continue;
                }
                const float *ws = in[4];
                float wsv = ws[glc_value_numel(IN_V(g, n, 4)) > 1 ? m : 0];
                float mul = ((const float *)in[1])[0] * wsv / ((const float *)in[6])[0];
                double v = nearbyint((double)acc * (double)mul) + q8_at(ty, in[7], 0);
                double lo = ty == GLC_DT_U8 ? 0 : -128, hi = ty == GLC_DT_U8 ? 255 : 127;
                v = v < lo ? lo : v > hi ? hi : v;
                if (ty == GLC_DT_U8)
                    ((uint8_t *)out[0])[at] = (uint8_t)v;
                else
                    ((int8_t *)out[0])[at] = (int8_t)v;
            }
        }
    return GLC_OK;
}
