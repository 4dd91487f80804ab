/*
 * interp_norm.c -- reference kernels of the normalisations (norm.h), f32 data computed in
 * double: per row (a position of the kept axes, row-major), the mean and the variance
 * about it over the reduced axes, then each element (x - mean) * inv * scale + bias.
 * Hardmax and CumSum walk each (outer, inner) line of their axis view; CumSum adds floats
 * in their own type (as the compiled kernel does) and integers wrapping. TopK carries each
 * element of a line through the best k so far, front to back, swapping where it comes
 * first (as compiled, so NaNs, which compare with nothing, land alike). The losses compute
 * each log-probability and loss in f32 (as compiled) and their sums in f64.
 */
#include "interp_impl.h"
#include "norm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Offsets of each row's first element (kept axes, row-major) and of each element of a
 * row from it (reduced axes, row-major), by x's strides; scale/bias offsets alongside. */
typedef struct norm_walk {
    int64_t xst[GLC_MAX_RANK];
    int kept[GLC_MAX_RANK], red[GLC_MAX_RANK], nk, nr;
    int64_t kd[GLC_MAX_RANK], rd[GLC_MAX_RANK];
} norm_walk;

static void walk_init(const glc_norm_geom *m, norm_walk *w) {
    int64_t s = 1;
    for (int a = m->rank - 1; a >= 0; a--) {
        w->xst[a] = s;
        s *= m->dims[a];
    }
    w->nk = w->nr = 0;
    for (int a = 0; a < m->rank; a++) {
        if (m->reduce[a]) {
            w->rd[w->nr] = m->dims[a];
            w->red[w->nr++] = a;
        } else {
            w->kd[w->nk] = m->dims[a];
            w->kept[w->nk++] = a;
        }
    }
}

/* The x, scale and bias offsets of flat position i over the axes ax[0..k) of dims d. */
static void offsets(const glc_norm_geom *m, const norm_walk *w, const int *ax, int k,
                    const int64_t *d, int64_t i, int64_t *o) {
    int64_t c[GLC_MAX_RANK];
    interp_unravel(i, k, d, c);
    o[0] = o[1] = o[2] = 0;
    for (int j = 0; j < k; j++) {
        o[0] += c[j] * w->xst[ax[j]];
        o[1] += c[j] * m->scale_st[ax[j]];
        o[2] += c[j] * m->bias_st[ax[j]];
    }
}

glc_status interp_norm(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    glc_norm_geom m;
    GLC_TRY(glc_norm_geom_get(g, n, &m, d));
    norm_walk w;
    walk_init(&m, &w);
    const float *x = in[0], *sc = m.has_scale ? in[1] : NULL, *bi = m.has_bias ? in[2] : NULL;
    float *y = out[0], *mean_out = n->n_out > 1 ? out[1] : NULL;
    float *inv_out = n->n_out > 2 ? out[2] : NULL;
    for (int64_t r = 0; r < m.rows; r++) {
        int64_t ro[3], eo[3];
        offsets(&m, &w, w.kept, w.nk, w.kd, r, ro);
        double sum = 0, sq = 0;
        for (int64_t e = 0; e < m.count; e++) {
            offsets(&m, &w, w.red, w.nr, w.rd, e, eo);
            sum += x[ro[0] + eo[0]];
        }
        double mean = m.count ? sum / (double)m.count : 0;
        for (int64_t e = 0; e < m.count; e++) {
            offsets(&m, &w, w.red, w.nr, w.rd, e, eo);
            double dv = x[ro[0] + eo[0]] - mean;
            sq += dv * dv;
        }
        double var = m.count ? sq / (double)m.count : 0;
        double inv = m.mvn ? 1 / (sqrt(var) + m.epsilon) : 1 / sqrt(var + m.epsilon);
        for (int64_t e = 0; e < m.count; e++) {
            offsets(&m, &w, w.red, w.nr, w.rd, e, eo);
            double v = (x[ro[0] + eo[0]] - mean) * inv;
            if (sc) v *= sc[ro[1] + eo[1]];
            if (bi) v += bi[ro[2] + eo[2]];
            y[ro[0] + eo[0]] = (float)v;
        }
        if (mean_out) mean_out[r] = (float)mean;
        if (inv_out) inv_out[r] = (float)inv;
    }
    return GLC_OK;
}

/* ---- Hardmax, CumSum ------------------------------------------------------------------ */

glc_status interp_hardmax(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(g, n, &v, d));
    const float *x = in[0];
    float *y = out[0];
    for (int64_t o = 0; o < v.outer; o++)
        for (int64_t i = 0; i < v.inner; i++) {
            int64_t base = o * v.dim * v.inner + i, arg = 0;
            for (int64_t j = 1; j < v.dim; j++)
                if (x[base + j * v.inner] > x[base + arg * v.inner]) arg = j;
            for (int64_t j = 0; j < v.dim; j++)
                y[base + j * v.inner] = j == arg ? 1.0f : 0.0f;
        }
    return GLC_OK;
}

/* y[k] = a[ka] + b[kb] in dtype dt (a or b NULL: 0); f32 adds in f32, integers wrap. */
static void add_elems(glc_dtype dt, void *y, int64_t k, const void *a, int64_t ka, const void *b,
                      int64_t kb) {
    if (dt == GLC_DT_F32) {
        ((float *)y)[k] = (a ? ((const float *)a)[ka] : 0.0f) + (b ? ((const float *)b)[kb] : 0.0f);
        return;
    }
    if (dt == GLC_DT_F64) {
        ((double *)y)[k] = (a ? ((const double *)a)[ka] : 0.0) + (b ? ((const double *)b)[kb] : 0.0);
        return;
    }
    size_t es = glc_dtype_size(dt);
    uint64_t u = 0, w = 0;
    if (a) memcpy(&u, (const char *)a + (size_t)ka * es, es);
    if (b) memcpy(&w, (const char *)b + (size_t)kb * es, es);
    u += w; /* the low bytes wrap alike for every width and signedness */
    memcpy((char *)y + (size_t)k * es, &u, es);
}

glc_status interp_cumsum(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(g, n, &v, d));
    glc_dtype dt = IN_V(g, n, 0)->dtype;
    for (int64_t o = 0; o < v.outer; o++)
        for (int64_t s = 0; s < v.dim; s++) {
            int64_t j = v.reverse ? v.dim - 1 - s : s, p = v.reverse ? j + 1 : j - 1;
            int64_t at = (o * v.dim + j) * v.inner, prev = (o * v.dim + p) * v.inner;
            for (int64_t i = 0; i < v.inner; i++) {
                const void *x = v.exclusive ? (s ? in[0] : NULL) : in[0];
                add_elems(dt, out[0], at + i, s ? out[0] : NULL, prev + i, x,
                          (v.exclusive ? prev : at) + i);
            }
        }
    return GLC_OK;
}

/* TopK: element a (index ia) comes before b (ib): larger (smaller), or equal and earlier. */
typedef struct topk_key {
    double f;
    int64_t i, at;
} topk_key;

static bool topk_before(bool largest, bool is_int, bool uns, const topk_key *a,
                        const topk_key *b) {
    bool gt, eq; /* a NaN is neither before nor after anything (as compiled: ordered compares) */
    if (is_int) {
        gt = uns ? (largest ? (uint64_t)a->i > (uint64_t)b->i : (uint64_t)a->i < (uint64_t)b->i)
                 : (largest ? a->i > b->i : a->i < b->i);
        eq = a->i == b->i;
    } else {
        gt = largest ? a->f > b->f : a->f < b->f;
        eq = a->f == b->f;
    }
    return gt || (eq && a->at < b->at);
}

glc_status interp_topk(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    const glc_value *xv = IN_V(g, n, 0);
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(g, n, &v, d));
    glc_dtype dt = xv->dtype;
    bool is_int = !glc_dtype_is_float(dt);
    bool uns = dt == GLC_DT_U8 || dt == GLC_DT_U16 || dt == GLC_DT_U32 || dt == GLC_DT_U64;
    size_t es = glc_dtype_size(dt);
    topk_key *best = malloc((size_t)(v.k ? v.k : 1) * sizeof *best);
    if (!best) return glc_diag_set(d, GLC_E_NOMEM, n, "out of memory");
    for (int64_t o = 0; o < v.outer; o++)
        for (int64_t i = 0; i < v.inner; i++) {
            for (int64_t j = 0; j < v.dim; j++) { /* carried through best[0..min(j + 1, k)) */
                int64_t at = (o * v.dim + j) * v.inner + i;
                topk_key key = {0, 0, j};
                uint64_t u = 0;
                if (dt == GLC_DT_F32) key.f = ((const float *)in[0])[at];
                else if (dt == GLC_DT_F64) key.f = ((const double *)in[0])[at];
                else {
                    memcpy(&u, (const char *)in[0] + (size_t)at * es, es);
                    if (!uns && es < 8 && (u >> (es * 8 - 1)) & 1) u |= ~(((uint64_t)1 << (es * 8)) - 1);
                    key.i = (int64_t)u;
                }
                for (int64_t q = 0; q < v.k && q <= j; q++)
                    if (q == j) /* the first empty slot */
                        best[q] = key;
                    else if (topk_before(v.largest, is_int, uns, &key, &best[q])) {
                        topk_key t = best[q];
                        best[q] = key;
                        key = t;
                    }
            }
            for (int64_t r = 0; r < v.k; r++) {
                int64_t src = (o * v.dim + best[r].at) * v.inner + i, dst = (o * v.k + r) * v.inner + i;
                if (out[0])
                    memcpy((char *)out[0] + (size_t)dst * es, (const char *)in[0] + (size_t)src * es, es);
                if (out[1]) ((int64_t *)out[1])[dst] = best[r].at;
            }
        }
    free(best);
    return GLC_OK;
}

/* ---- NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss -------------------------------- */

glc_status interp_loss(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    glc_loss_geom l;
    GLC_TRY(glc_loss_geom_get(g, n, &l, d));
    const glc_value *tv = IN_V(g, n, 1);
    const float *x = in[0], *w = l.has_weight ? in[2] : NULL;
    float *y = out[0], *lp = n->n_out > 1 ? out[1] : NULL;
    double sum = 0, wsum = 0;
    for (int64_t b = 0; b < l.N; b++)
        for (int64_t i = 0; i < l.inner; i++) {
            int64_t k = b * l.inner + i, base = b * l.C * l.inner + i;
            int64_t t = tv->dtype == GLC_DT_I64 ? ((const int64_t *)in[1])[k]
                                                : ((const int32_t *)in[1])[k];
            bool ignored = l.has_ignore && t == l.ignore_index;
            if (!ignored && (t < 0 || t >= l.C))
                return glc_diag_set(d, GLC_E_ARG, n, "%s: target %lld out of range [0, %lld)",
                                    glc_op_name(n->op), (long long)t, (long long)l.C);
            float m = -INFINITY, s = 0.0f, lse = 0.0f;
            for (int64_t c = 0; l.softmax && c < l.C; c++)
                m = x[base + c * l.inner] > m ? x[base + c * l.inner] : m;
            for (int64_t c = 0; l.softmax && c < l.C; c++)
                s += expf(x[base + c * l.inner] - m);
            if (l.softmax) lse = m + logf(s);
            for (int64_t c = 0; lp && c < l.C; c++)
                lp[base + c * l.inner] = x[base + c * l.inner] - lse;
            float wt = ignored ? 0.0f : w ? w[t] : 1.0f;
            float loss = ignored ? 0.0f : -(x[base + t * l.inner] - lse) * wt;
            if (l.reduction == GLC_LOSS_NONE) y[k] = loss;
            sum += loss;
            wsum += wt;
        }
    if (l.reduction == GLC_LOSS_SUM) y[0] = (float)sum;
    if (l.reduction == GLC_LOSS_MEAN) y[0] = (float)(sum / wsum);
    return GLC_OK;
}

/* ---- LRN ------------------------------------------------------------------------------ */

glc_status interp_lrn(const glc_graph *g, const glc_node *n, const void *const *in,
                      void *const *out, glc_diag *d) {
    glc_lrn_geom l;
    GLC_TRY(glc_lrn_geom_get(g, n, &l, d));
    const float *x = in[0];
    float *y = out[0];
    int64_t lo = (l.size - 1) / 2, hi = l.size / 2;
    for (int64_t b = 0; b < l.N; b++)
        for (int64_t ch = 0; ch < l.C; ch++)
            for (int64_t i = 0; i < l.inner; i++) {
                double sq = 0;
                for (int64_t k = ch - lo; k <= ch + hi; k++)
                    if (k >= 0 && k < l.C) {
                        double v = x[(b * l.C + k) * l.inner + i];
                        sq += v * v;
                    }
                int64_t at = (b * l.C + ch) * l.inner + i;
                y[at] = (float)(x[at] / pow(l.bias + l.alpha / (double)l.size * sq, l.beta));
            }
    return GLC_OK;
}
