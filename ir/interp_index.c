/*
 * interp_index.c -- reference kernels of the index family (infer_index.c): plain loops over
 * row-major coordinates, elements moved as bytes of the element size.
 *
 * - GatherElements: out[i] = data[i with i[axis] = idx[i]] (idx + dim if negative).
 * - ScatterElements: out = data, then for each i of indices in row-major order
 *   out[i with i[axis] = idx[i]] = combine(that element, updates[i]).
 * An index outside [-dim, dim) is GLC_E_ARG.
 * - Trilu: y = x where j - i >= k (upper) or <= k (lower), else 0. EyeLike: 1 where
 *   j - i == k, else 0.
 * - Expand: y[i] = x[its numpy-broadcast offset]. Tile, DepthToSpace, SpaceToDepth: the
 *   strided walk of glc_restride.
 * - GatherND, ScatterND: per index tuple, a slice copied from (or combined into) data at
 *   the tuple's offset (glc_nd_geom). OneHot: values[1] where the index matches, else
 *   values[0]. ReverseSequence: the time coordinate t of batch b reads len[b] - 1 - t
 *   when t < len[b] (len clamped to [0, the time axis]).
 * - Range: y[i] = start + i * delta, computed in double (integers: in int64, wrapping).
 */
#include "interp_impl.h"
#include "tensor.h"

#include <math.h>
#include <string.h>

static void strides_of(int r, const int64_t *dims, int64_t *st) {
    int64_t s = 1;
    for (int i = r - 1; i >= 0; i--) {
        st[i] = s;
        s *= dims[i];
    }
}

/* Element k of an i32 or i64 index tensor. */
static int64_t index_at(const glc_value *ix, const void *p, int64_t k) {
    return ix->dtype == GLC_DT_I64 ? ((const int64_t *)p)[k] : ((const int32_t *)p)[k];
}

/* v made non-negative against dim; false if outside [-dim, dim). */
static bool norm_index(int64_t *v, int64_t dim) {
    if (*v < -dim || *v >= dim) return false;
    if (*v < 0) *v += dim;
    return true;
}

static glc_status bad_index(const glc_node *n, int64_t v, int64_t dim, glc_diag *d) {
    return glc_diag_set(d, GLC_E_ARG, n, "%s: index %lld out of range [-%lld, %lld)",
                        glc_op_name(n->op), (long long)v, (long long)dim, (long long)dim);
}

/* The data offset of indices element k: its coordinates with the axis replaced. */
static glc_status element_offset(const glc_node *n, const glc_value *x, const glc_value *ix,
                                 const void *idx, int axis, int64_t k, int64_t *off,
                                 glc_diag *d) {
    int64_t c[GLC_MAX_RANK], xs[GLC_MAX_RANK];
    interp_unravel(k, ix->rank, ix->dims, c);
    strides_of(x->rank, x->dims, xs);
    int64_t v = index_at(ix, idx, k);
    if (!norm_index(&v, x->dims[axis])) return bad_index(n, v, x->dims[axis], d);
    c[axis] = v;
    *off = 0;
    for (int a = 0; a < x->rank; a++)
        *off += c[a] * xs[a];
    return GLC_OK;
}

glc_status interp_gatherelements(const glc_graph *g, const glc_node *n, const void *const *in,
                                 void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0), *ix = IN_V(g, n, 1);
    glc_elements_geom e;
    GLC_TRY(glc_elements_geom_get(g, n, &e, d));
    size_t es = glc_dtype_size(x->dtype);
    for (int64_t k = 0, total = glc_value_numel(ix); k < total; k++) {
        int64_t off;
        GLC_TRY(element_offset(n, x, ix, in[1], e.axis, k, &off, d));
        memcpy((char *)out[0] + (size_t)k * es, (const char *)in[0] + (size_t)off * es, es);
    }
    return GLC_OK;
}

/* Element k of p (dtype dt, a number) as a double or, for an integer, in *iv. */
static double num_at(glc_dtype dt, const void *p, int64_t k, int64_t *iv) {
    if (dt == GLC_DT_F32) return ((const float *)p)[k];
    if (dt == GLC_DT_F64) return ((const double *)p)[k];
    size_t es = glc_dtype_size(dt);
    uint64_t u = 0;
    memcpy(&u, (const char *)p + (size_t)k * es, es);
    bool sgn = dt == GLC_DT_I8 || dt == GLC_DT_I16 || dt == GLC_DT_I32 || dt == GLC_DT_I64;
    if (sgn && es < 8 && (u >> (es * 8 - 1)) & 1) u |= ~(((uint64_t)1 << (es * 8)) - 1);
    *iv = (int64_t)u;
    return 0;
}

/* y[k] = combine(y[k], u[j]) by the reduction (integers wrap; unsigned compare as such). */
static void scatter_combine(glc_dtype dt, glc_scatter_reduction r, void *y, int64_t k,
                            const void *u, int64_t j) {
    size_t es = glc_dtype_size(dt);
    if (r == GLC_SCATTER_NONE) {
        memcpy((char *)y + (size_t)k * es, (const char *)u + (size_t)j * es, es);
        return;
    }
    int64_t a = 0, b = 0;
    double fa = num_at(dt, y, k, &a), fb = num_at(dt, u, j, &b);
    if (glc_dtype_is_float(dt)) {
        double v = r == GLC_SCATTER_ADD ? fa + fb : r == GLC_SCATTER_MUL ? fa * fb
                   : r == GLC_SCATTER_MAX ? (fb > fa || isnan(fb) ? fb : fa)
                                          : (fb < fa || isnan(fb) ? fb : fa);
        interp_store_f64(dt, y, k, v);
        return;
    }
    bool uns = dt == GLC_DT_U8 || dt == GLC_DT_U16 || dt == GLC_DT_U32 || dt == GLC_DT_U64;
    bool gt = uns ? (uint64_t)b > (uint64_t)a : b > a, lt = uns ? (uint64_t)b < (uint64_t)a : b < a;
    uint64_t v = r == GLC_SCATTER_ADD   ? (uint64_t)a + (uint64_t)b
                 : r == GLC_SCATTER_MUL ? (uint64_t)a * (uint64_t)b
                 : r == GLC_SCATTER_MAX ? (uint64_t)(gt ? b : a)
                                        : (uint64_t)(lt ? b : a);
    memcpy((char *)y + (size_t)k * es, &v, es); /* little-endian: the low bytes */
}

glc_status interp_scatterelements(const glc_graph *g, const glc_node *n, const void *const *in,
                                  void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0), *ix = IN_V(g, n, 1);
    glc_elements_geom e;
    GLC_TRY(glc_elements_geom_get(g, n, &e, d));
    memcpy(out[0], in[0], glc_value_nbytes(x));
    for (int64_t k = 0, total = glc_value_numel(ix); k < total; k++) {
        int64_t off;
        GLC_TRY(element_offset(n, x, ix, in[1], e.axis, k, &off, d));
        scatter_combine(x->dtype, e.reduction, out[0], off, in[2], k);
    }
    return GLC_OK;
}

/* ---- Trilu, EyeLike ------------------------------------------------------------------ */

glc_status interp_trilu(const glc_graph *g, const glc_node *n, const void *const *in,
                        void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_diagonal t;
    GLC_TRY(glc_diagonal_get(g, n, &t, d));
    int64_t k = n->n_in > 1 && in[1] ? ((const int64_t *)in[1])[0] : 0;
    size_t es = glc_dtype_size(x->dtype);
    for (int64_t e = 0, total = t.batch * t.rows * t.cols; e < total; e++) {
        int64_t j = e % t.cols, i = (e / t.cols) % t.rows;
        bool keep = t.upper ? j - i >= k : j - i <= k;
        if (keep)
            memcpy((char *)out[0] + (size_t)e * es, (const char *)in[0] + (size_t)e * es, es);
        else
            memset((char *)out[0] + (size_t)e * es, 0, es);
    }
    return GLC_OK;
}

glc_status interp_eyelike(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    glc_diagonal t;
    (void)in;
    GLC_TRY(glc_diagonal_get(g, n, &t, d));
    for (int64_t e = 0, total = t.rows * t.cols; e < total; e++)
        interp_store_f64(t.dtype, out[0], e, e % t.cols - e / t.cols == t.k);
    return GLC_OK;
}

/* ---- Range ------------------------------------------------------------------------- */

glc_status interp_range(const glc_graph *g, const glc_node *n, const void *const *in,
                        void *const *out, glc_diag *d) {
    glc_dtype dt = IN_V(g, n, 0)->dtype;
    int64_t count;
    GLC_TRY(glc_range_count(g, n, &count, d));
    int64_t is = 0, id = 0;
    double fs = num_at(dt, in[0], 0, &is), fd = num_at(dt, in[2], 0, &id);
    for (int64_t i = 0; i < count; i++) {
        if (glc_dtype_is_float(dt)) {
            interp_store_f64(dt, out[0], i, fs + (double)i * fd);
        } else {
            uint64_t v = (uint64_t)is + (uint64_t)i * (uint64_t)id;
            size_t es = glc_dtype_size(dt);
            memcpy((char *)out[0] + (size_t)i * es, &v, es);
        }
    }
    return GLC_OK;
}

/* ---- Expand, Tile, DepthToSpace, SpaceToDepth ----------------------------------------- */

glc_status interp_expand(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0), *y = OUT_V(g, n);
    (void)d;
    size_t es = glc_dtype_size(x->dtype);
    int64_t idx[GLC_MAX_RANK];
    for (int64_t i = 0, total = glc_value_numel(y); i < total; i++) {
        interp_unravel(i, y->rank, y->dims, idx);
        int64_t off = interp_bcast_offset(x->rank, x->dims, y->rank, idx);
        memcpy((char *)out[0] + (size_t)i * es, (const char *)in[0] + (size_t)off * es, es);
    }
    return GLC_OK;
}

glc_status interp_restride(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    glc_restride r;
    GLC_TRY(glc_restride_get(g, n, &r, d));
    size_t es = glc_dtype_size(IN_V(g, n, 0)->dtype);
    int64_t c[GLC_MAX_RANK], total = 1;
    for (int a = 0; a < r.rank; a++)
        total *= r.dims[a];
    for (int64_t i = 0; i < total; i++) {
        interp_unravel(i, r.rank, r.dims, c);
        int64_t yo = 0, xo = 0;
        for (int a = 0; a < r.rank; a++) {
            yo += c[a] * r.ost[a];
            xo += c[a] * r.ist[a];
        }
        memcpy((char *)out[0] + (size_t)yo * es, (const char *)in[0] + (size_t)xo * es, es);
    }
    return GLC_OK;
}

/* ---- GatherND, ScatterND ---------------------------------------------------------------- */

/* The data offset of tuple j of batch t (within data); false if an index is out of range. */
static bool nd_offset(const glc_nd_geom *m, const int64_t *idx, int64_t t, int64_t j,
                      int64_t *off, int64_t *bad) {
    *off = t * m->batch_stride;
    for (int q = 0; q < m->k; q++) {
        int64_t v = idx[(t * m->nidx + j) * m->k + q];
        bad[0] = v, bad[1] = m->dims[q];
        if (!norm_index(&v, m->dims[q])) return false;
        *off += v * m->st[q];
    }
    return true;
}

glc_status interp_gathernd(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    glc_nd_geom m;
    GLC_TRY(glc_nd_geom_get(g, n, &m, d));
    size_t es = glc_dtype_size(IN_V(g, n, 0)->dtype), nb = (size_t)m.slice * es;
    for (int64_t t = 0; t < m.batch; t++)
        for (int64_t j = 0; j < m.nidx; j++) {
            int64_t off, bad[2];
            if (!nd_offset(&m, in[1], t, j, &off, bad)) return bad_index(n, bad[0], bad[1], d);
            memcpy((char *)out[0] + (size_t)(t * m.nidx + j) * nb,
                   (const char *)in[0] + (size_t)off * es, nb);
        }
    return GLC_OK;
}

glc_status interp_scatternd(const glc_graph *g, const glc_node *n, const void *const *in,
                            void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_nd_geom m;
    GLC_TRY(glc_nd_geom_get(g, n, &m, d));
    memcpy(out[0], in[0], glc_value_nbytes(x));
    for (int64_t j = 0; j < m.nidx; j++) {
        int64_t off, bad[2];
        if (!nd_offset(&m, in[1], 0, j, &off, bad)) return bad_index(n, bad[0], bad[1], d);
        for (int64_t e = 0; e < m.slice; e++)
            scatter_combine(x->dtype, m.reduction, out[0], off + e, in[2], j * m.slice + e);
    }
    return GLC_OK;
}

/* ---- OneHot, ReverseSequence ------------------------------------------------------------ */

glc_status interp_onehot(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    const glc_value *ix = IN_V(g, n, 0), *v = IN_V(g, n, 2);
    glc_onehot_geom o;
    GLC_TRY(glc_onehot_geom_get(g, n, &o, d));
    size_t es = glc_dtype_size(v->dtype);
    for (int64_t a = 0; a < o.outer; a++)
        for (int64_t i = 0; i < o.inner; i++) {
            int64_t iv = 0;
            double f = num_at(ix->dtype, in[0], a * o.inner + i, &iv);
            if (glc_dtype_is_float(ix->dtype)) iv = (int64_t)f;
            if (iv < 0) iv += o.depth;
            for (int64_t j = 0; j < o.depth; j++)
                memcpy((char *)out[0] + (size_t)((a * o.depth + j) * o.inner + i) * es,
                       (const char *)in[2] + (j == iv ? es : 0), es);
        }
    return GLC_OK;
}

glc_status interp_reversesequence(const glc_graph *g, const glc_node *n, const void *const *in,
                                  void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    int ta, ba;
    GLC_TRY(glc_revseq_axes(g, n, &ta, &ba, d));
    const int64_t *len = in[1];
    int64_t c[GLC_MAX_RANK], xs[GLC_MAX_RANK];
    strides_of(x->rank, x->dims, xs);
    size_t es = glc_dtype_size(x->dtype);
    for (int64_t i = 0, total = glc_value_numel(x); i < total; i++) {
        interp_unravel(i, x->rank, x->dims, c);
        int64_t t = c[ta], l = len[c[ba]];
        l = l < 0 ? 0 : l > x->dims[ta] ? x->dims[ta] : l;
        int64_t src = i + ((t < l ? l - 1 - t : t) - t) * xs[ta];
        memcpy((char *)out[0] + (size_t)i * es, (const char *)in[0] + (size_t)src * es, es);
    }
    return GLC_OK;
}

/* ---- HannWindow, HammingWindow, BlackmanWindow ------------------------------------------- */

glc_status interp_window(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    glc_window w;
    (void)in;
    GLC_TRY(glc_window_get(g, n, &w, d));
    for (int64_t i = 0; i < w.size; i++) {
        double t = 2 * 3.14159265358979323846 * (double)i / w.denom;
        interp_store_f64(w.dtype, out[0], i, w.a0 - w.a1 * cos(t) + w.a2 * cos(2 * t));
    }
    return GLC_OK;
}

/* ---- Compress ------------------------------------------------------------------------- */

glc_status interp_compress(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    glc_compress_geom m;
    GLC_TRY(glc_compress_geom_get(g, n, &m, d));
    size_t blk = (size_t)m.inner * glc_dtype_size(IN_V(g, n, 0)->dtype);
    for (int64_t o = 0; o < m.outer; o++)
        for (int64_t j = 0, k = 0; j < m.len; j++)
            if (m.cond[j])
                memcpy((char *)out[0] + (size_t)(o * m.count + k++) * blk,
                       (const char *)in[0] + (size_t)(o * m.dim + j) * blk, blk);
    return GLC_OK;
}
