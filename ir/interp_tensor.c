/*
 * interp_tensor.c -- reference kernels of the tensor family: Split, Slice, Squeeze,
 * Unsqueeze, Gather, Shape, Cast, Dropout, Pad, ReduceMean.
 *
 * Parameters come from tensor.h (the same readers shape inference uses), shapes from the
 * graph's values. Data-movement kernels (Split, Slice, Gather, Pad) move elements as
 * bytes of the element size, for any dtype; Squeeze and Unsqueeze (and Dropout's output)
 * keep the row-major order and are one copy.
 *
 * - Slice: output element o reads input coordinate start[a] + o[a] * step[a] per axis.
 * - Gather: out[outer, j, inner] = data[outer, idx[j] (+ dim if negative), inner]; an
 *   index outside [-dim, dim) is GLC_E_ARG (the compiled kernel writes zeros instead).
 * - Cast: float -> integer truncates toward zero and saturates (NaN -> 0), like LLVM's
 *   fptosi.sat/fptoui.sat; integer -> narrower integer keeps the low bits (numpy's
 *   astype); anything -> bool is `!= 0` (NaN is true); bool -> anything is 0 or 1.
 * - Dropout (inference, or training with ratio 0): output = input, mask = all ones.
 * - Pad: per output coordinate and axis, glc_pad_source(mode, o - begin, len); a -1 on
 *   any axis means the constant.
 * - ReduceMean: f32 sums in input (row-major) order into the output, then a division
 *   by the number of reduced elements, the order the compiled kernel uses.
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
            if (out[k] && nb) memcpy((char *)out[k] + (size_t)r * nb, (const char *)in[0] + off, nb);
            off += (int64_t)nb;
        }
    return GLC_OK;
}

glc_status interp_slice(const glc_graph *g, const glc_node *n, const void *const *in,
                        void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_slice_geom s;
    GLC_TRY(glc_slice_geom_get(g, n, &s, d));
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

/* ---- Cast ---------------------------------------------------------------------------- */

typedef struct num {
    enum { NUM_F, NUM_S, NUM_U } kind;
    double f;
    int64_t s;
    uint64_t u;
} num;

/* IEEE binary16 <-> double. A double rounds once, to nearest even (so f64 -> f16 does not
 * round twice through f32); NaN becomes the quiet NaN 0x7e00 with its sign. */
static double half_to_double(uint16_t h) {
    int e = (h >> 10) & 0x1f, f = h & 0x3ff;
    double s = h & 0x8000 ? -1.0 : 1.0;
    if (e == 0) return s * ldexp(f, -24);
    if (e == 31) return f ? copysign(NAN, s) : s * INFINITY;
    return s * ldexp(1024 + f, e - 25);
}

static uint16_t double_to_half(double v) {
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    double a = fabs(v);
    if (isnan(v)) return sign | 0x7e00;
    if (a >= 65520.0) return sign | 0x7c00; /* rounds past 65504: infinity (also inf) */
    if (a < ldexp(1.0, -14)) /* subnormal: a multiple of 2^-24 (1024 rounds up to normal) */
        return sign | (uint16_t)nearbyint(a * ldexp(1.0, 24));
    int e;
    double f = nearbyint((2 * frexp(a, &e) - 1) * 1024); /* a = (1 + f/1024) * 2^(e-1) */
    int be = e - 1 + 15;
    if (f == 1024) {
        f = 0;
        be++;
    }
    if (be >= 31) return sign | 0x7c00; /* infinity */
    return sign | (uint16_t)(be << 10) | (uint16_t)f;
}

static num load_num(glc_dtype t, const void *p, int64_t k) {
    num v = {NUM_S, 0, 0, 0};
    switch (t) {
    case GLC_DT_F32:
        v.kind = NUM_F;
        v.f = ((const float *)p)[k];
        break;
    case GLC_DT_F64:
        v.kind = NUM_F;
        v.f = ((const double *)p)[k];
        break;
    case GLC_DT_I8:
        v.s = ((const int8_t *)p)[k];
        break;
    case GLC_DT_I16:
        v.s = ((const int16_t *)p)[k];
        break;
    case GLC_DT_I32:
        v.s = ((const int32_t *)p)[k];
        break;
    case GLC_DT_I64:
        v.s = ((const int64_t *)p)[k];
        break;
    case GLC_DT_BOOL:
        v.kind = NUM_U;
        v.u = ((const uint8_t *)p)[k] != 0;
        break;
    case GLC_DT_U8:
        v.kind = NUM_U;
        v.u = ((const uint8_t *)p)[k];
        break;
    case GLC_DT_U16:
        v.kind = NUM_U;
        v.u = ((const uint16_t *)p)[k];
        break;
    case GLC_DT_U32:
        v.kind = NUM_U;
        v.u = ((const uint32_t *)p)[k];
        break;
    case GLC_DT_U64:
        v.kind = NUM_U;
        v.u = ((const uint64_t *)p)[k];
        break;
    case GLC_DT_F16:
        v.kind = NUM_F;
        v.f = half_to_double(((const uint16_t *)p)[k]);
        break;
    case GLC_DT_UNDEF:
    case GLC_DT_STRING:
    case GLC_DT_BF16:
        break;
    }
    return v;
}

/* Float -> integer of `bits` bits: truncate, saturate, NaN -> 0 (as bit pattern). */
static uint64_t float_to_int(double f, int bits, bool is_signed) {
    if (isnan(f)) return 0;
    double t = trunc(f), lim = ldexp(1.0, is_signed ? bits - 1 : bits);
    if (is_signed) {
        if (t >= lim) return (uint64_t)(bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1);
        if (t < -lim) return (uint64_t)(bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1)));
        return (uint64_t)(int64_t)t;
    }
    if (t <= 0) return 0;
    if (t >= lim) return bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    return (uint64_t)t;
}

static void store_num(glc_dtype t, void *p, int64_t k, num v) {
    size_t es = glc_dtype_size(t);
    uint64_t bits = v.kind == NUM_S ? (uint64_t)v.s : v.u;
    bool is_signed = t == GLC_DT_I8 || t == GLC_DT_I16 || t == GLC_DT_I32 || t == GLC_DT_I64;
    if (t == GLC_DT_F32) {
        ((float *)p)[k] = v.kind == NUM_F ? (float)v.f : v.kind == NUM_S ? (float)v.s : (float)v.u;
        return;
    }
    if (t == GLC_DT_F64) {
        ((double *)p)[k] = v.kind == NUM_F ? v.f : v.kind == NUM_S ? (double)v.s : (double)v.u;
        return;
    }
    if (t == GLC_DT_F16) {
        ((uint16_t *)p)[k] = double_to_half(v.kind == NUM_F   ? v.f
                                            : v.kind == NUM_S ? (double)v.s
                                                              : (double)v.u);
        return;
    }
    if (t == GLC_DT_BOOL) {
        ((uint8_t *)p)[k] = v.kind == NUM_F ? v.f != 0 : bits != 0;
        return;
    }
    if (v.kind == NUM_F) bits = float_to_int(v.f, (int)es * 8, is_signed);
    memcpy((char *)p + (size_t)k * es, &bits, es); /* little-endian: the low bytes */
}

glc_status interp_cast(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0), *y = OUT_V(g, n);
    int64_t total = glc_value_numel(x);
    (void)d;
    for (int64_t i = 0; i < total; i++)
        store_num(y->dtype, out[0], i, load_num(x->dtype, in[0], i));
    return GLC_OK;
}

/* ---- Dropout, Pad, ReduceMean ------------------------------------------------------- */

glc_status interp_dropout(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    int64_t total = glc_value_numel(x);
    (void)d;
    if (out[0] && total) memcpy(out[0], in[0], glc_value_nbytes(x));
    if (n->n_out < 2 || !out[1]) return GLC_OK;
    glc_dtype mt = g->values[n->out[1]].dtype;
    num one = {NUM_U, 0, 0, 1};
    for (int64_t i = 0; i < total; i++)
        store_num(mt, out[1], i, one);
    return GLC_OK;
}

glc_status interp_pad(const glc_graph *g, const glc_node *n, const void *const *in,
                      void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_pad_geom p;
    GLC_TRY(glc_pad_geom_get(g, n, &p, d));
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

glc_status interp_reducemean(const glc_graph *g, const glc_node *n, const void *const *in,
                             void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    glc_reduce_geom r;
    GLC_TRY(glc_reduce_geom_get(g, n, &r, d));
    if (r.noop) return interp_copy(g, n, in, out, d);
    int64_t kdims[GLC_MAX_RANK], ks[GLC_MAX_RANK], idx[GLC_MAX_RANK];
    for (int a = 0; a < x->rank; a++)
        kdims[a] = r.reduce[a] ? 1 : x->dims[a];
    strides_of(x->rank, kdims, ks); /* output strides in the keepdims layout */
    const float *xf = in[0];
    float *yf = out[0];
    int64_t total = glc_value_numel(x), nout = prod(kdims, 0, x->rank);
    for (int64_t o = 0; o < nout; o++)
        yf[o] = 0;
    for (int64_t i = 0; i < total; i++) {
        interp_unravel(i, x->rank, x->dims, idx);
        int64_t o = 0;
        for (int a = 0; a < x->rank; a++)
            o += r.reduce[a] ? 0 : idx[a] * ks[a];
        yf[o] += xf[i];
    }
    for (int64_t o = 0; o < nout; o++)
        yf[o] /= (float)r.count;
    return GLC_OK;
}
