/*
 * interp_tensor.c -- reference kernels of the tensor family: Split, Slice, Squeeze,
 * Unsqueeze, Gather, Shape, Dropout, Pad, ArgMax, ArgMin (the reductions:
 * interp_elemwise.c).
 *
 * Parameters come from tensor.h (the same readers shape inference uses), shapes from the
 * graph's values. Data-movement kernels (Split, Slice, Gather, Pad) move elements as
 * bytes of the element size, for any dtype; Squeeze and Unsqueeze (and Dropout's output)
 * keep the row-major order and are one copy.
 *
 * - Slice: output element o reads input coordinate start[a] + o[a] * step[a] per axis.
 * - Gather: out[outer, j, inner] = data[outer, idx[j] (+ dim if negative), inner]; an
 *   index outside [-dim, dim) is GLC_E_ARG (the compiled kernel writes zeros instead).
 * - Dropout (inference, or training with ratio 0): output = input, mask = all ones.
 * - Pad: per output coordinate and axis, glc_pad_source(mode, o - begin, len); a -1 on
 *   any axis means the constant.
 * - ArgMax/ArgMin: per (outer, inner), the index along the axis of the first extreme (the
 *   last with select_last_index); a NaN beats every number (numpy's argmax/argmin).
 */
#include "interp_impl.h"
#include "tensor.h"

#include <math.h>
#include <string.h>

static size_t esize(const glc_value *v) {
    return glc_dtype_size(v->dtype);
}

static void strides_of(int r, const int64_t *dims, int64_t *st) {
    int64_t s = 1;
    for (int i = r - 1; i >= 0; i--) {
        st[i] = s;
        s *= dims[i];
    }
}

static int64_t prod(const int64_t *dims, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++)
        p *= dims[i];
    return p;
}

glc_status interp_split(const glc_graph *g, const glc_node *n, const void *const *in,
                        void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    int64_t sizes[256];
    int ax;
    GLC_TRY(glc_split_get(g, n, &ax, sizes, d));
    int64_t outer = prod(x->dims, 0, ax), inner = prod(x->dims, ax + 1, x->rank);
    size_t es = esize(x);
    for (int64_t r = 0, off = 0; r < outer; r++)
        for (int k = 0; k < n->n_out; k++) {
            size_t nb = (size_t)(sizes[k] * inner) * es;
            if (out[k] && nb)
                memcpy((char *)out[k] + (size_t)r * nb, (const char *)in[0] + off, nb);
            off += (int64_t)nb;
        }
    return GLC_OK;
}

glc_status interp_slice(const glc_graph *g, const glc_node *n, const void *const *in,
                        void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_slice_geom s;
    GLC_TRY(glc_slice_geom_get(g, n, &s, d));
    for (int a = 0; a < s.rank; a++)
        if (glc_dim_is_sym(s.start[a]) || glc_dim_is_sym(s.out[a]))
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "interpreter: Slice with symbolic bounds");
    int64_t xs[GLC_MAX_RANK], idx[GLC_MAX_RANK], total = prod(s.out, 0, s.rank);
    strides_of(x->rank, x->dims, xs);
    size_t es = esize(x);
    for (int64_t i = 0; i < total; i++) {
        interp_unravel(i, s.rank, s.out, idx);
        int64_t off = 0;
        for (int a = 0; a < s.rank; a++)
            off += (s.start[a] + idx[a] * s.step[a]) * xs[a];
        memcpy((char *)out[0] + (size_t)i * es, (const char *)in[0] + (size_t)off * es, es);
    }
    return GLC_OK;
}

glc_status interp_gather(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0), *ix = IN_V(g, n, 1);
    int ax = (int)glc_attr_int(n, "axis", 0);
    if (ax < 0) ax += x->rank;
    int64_t outer = prod(x->dims, 0, ax), dim = x->dims[ax];
    int64_t inner = prod(x->dims, ax + 1, x->rank), nidx = glc_value_numel(ix);
    size_t blk = (size_t)inner * esize(x);
    for (int64_t j = 0; j < nidx; j++) {
        int64_t v =
            ix->dtype == GLC_DT_I64 ? ((const int64_t *)in[1])[j] : ((const int32_t *)in[1])[j];
        if (v < -dim || v >= dim)
            return glc_diag_set(d, GLC_E_ARG, n, "Gather: index %lld out of range [-%lld, %lld)",
                                (long long)v, (long long)dim, (long long)dim);
        if (v < 0) v += dim;
        for (int64_t o = 0; o < outer; o++)
            memcpy((char *)out[0] + (size_t)(o * nidx + j) * blk,
                   (const char *)in[0] + (size_t)(o * dim + v) * blk, blk);
    }
    return GLC_OK;
}

glc_status interp_shape_of(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    (void)in;
    (void)d;
    int lo, hi;
    glc_shape_range(n, x->rank, &lo, &hi);
    for (int a = lo; a < hi; a++)
        ((int64_t *)out[0])[a - lo] = x->dims[a];
    return GLC_OK;
}

glc_status interp_size_of(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    (void)in;
    (void)d;
    *(int64_t *)out[0] = glc_value_numel(IN_V(g, n, 0));
    return GLC_OK;
}

/* ---- Dropout, Pad ------------------------------------------------------------------- */

glc_status interp_dropout(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    int64_t total = glc_value_numel(x);
    (void)d;
    if (out[0] && total) memcpy(out[0], in[0], glc_value_nbytes(x));
    if (n->n_out < 2 || !out[1]) return GLC_OK;
    glc_dtype mt = g->values[n->out[1]].dtype;
    for (int64_t i = 0; i < total; i++)
        interp_store_f64(mt, out[1], i, 1.0);
    return GLC_OK;
}

glc_status interp_pad(const glc_graph *g, const glc_node *n, const void *const *in,
                      void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_pad_geom p;
    GLC_TRY(glc_pad_geom_get(g, n, &p, d));
    for (int a = 0; a < p.rank; a++)
        if (glc_dim_is_sym(p.begin[a]) || glc_dim_is_sym(p.end[a]))
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "interpreter: Pad with symbolic pads");
    int64_t xs[GLC_MAX_RANK], idx[GLC_MAX_RANK], total = prod(p.out, 0, p.rank);
    strides_of(x->rank, x->dims, xs);
    size_t es = esize(x);
    for (int64_t i = 0; i < total; i++) {
        interp_unravel(i, p.rank, p.out, idx);
        int64_t off = 0;
        bool inside = true;
        for (int a = 0; a < p.rank && inside; a++) {
            int64_t src = glc_pad_source(p.mode, idx[a] - p.begin[a], x->dims[a]);
            inside = src >= 0;
            off += src * xs[a];
        }
        const void *from = inside ? (const char *)in[0] + (size_t)off * es : (const void *)p.value;
        memcpy((char *)out[0] + (size_t)i * es, from, es);
    }
    return GLC_OK;
}

/* ---- ArgMax, ArgMin ------------------------------------------------------------------ */

static bool is_signed_int(glc_dtype t) {
    return t == GLC_DT_I8 || t == GLC_DT_I16 || t == GLC_DT_I32 || t == GLC_DT_I64;
}

/* Element k of p (dtype dt): a float as a double; an integer in *iv (unsigned: its bits). */
static double elem_at(glc_dtype dt, const void *p, int64_t k, int64_t *iv) {
    if (dt == GLC_DT_F32) return ((const float *)p)[k];
    if (dt == GLC_DT_F64) return ((const double *)p)[k];
    size_t es = glc_dtype_size(dt);
    int bits = (int)es * 8;
    uint64_t u = 0;
    memcpy(&u, (const char *)p + (size_t)k * es, es); /* little-endian: the low bytes */
    if (is_signed_int(dt) && bits < 64 && (u >> (bits - 1)) & 1) u |= ~(((uint64_t)1 << bits) - 1);
    *iv = (int64_t)u;
    return 0;
}

/* v beats best (numpy: the first extreme wins, a NaN beats every number); with `last` an
 * equal one wins too. Integers compare as integers (unsigned ones by their bits). */
static bool beats(bool max, bool last, bool uns, bool is_int, double v, int64_t vi, double best,
                  int64_t bi) {
    if (is_int) {
        int c = uns ? ((uint64_t)vi > (uint64_t)bi) - ((uint64_t)vi < (uint64_t)bi)
                    : (vi > bi) - (vi < bi);
        return (max ? c > 0 : c < 0) || (last && c == 0);
    }
    if (isnan(best)) return last && isnan(v);
    if (isnan(v)) return true;
    return (max ? v > best : v < best) || (last && v == best);
}

glc_status interp_argext(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_argext_geom r;
    GLC_TRY(glc_argext_geom_get(g, n, &r, d));
    bool max = n->op == GLC_OP_ARGMAX, is_int = !glc_dtype_is_float(x->dtype);
    bool uns = is_int && !is_signed_int(x->dtype);
    int64_t *y = out[0];
    for (int64_t o = 0; o < r.outer; o++)
        for (int64_t i = 0; i < r.inner; i++) {
            int64_t base = o * r.dim * r.inner + i, bi = 0, vi = 0, arg = 0;
            double best = elem_at(x->dtype, in[0], base, &bi);
            for (int64_t j = 1; j < r.dim; j++) {
                double v = elem_at(x->dtype, in[0], base + j * r.inner, &vi);
                if (beats(max, r.last, uns, is_int, v, vi, best, bi)) best = v, bi = vi, arg = j;
            }
            y[o * r.inner + i] = arg;
        }
    return GLC_OK;
}
