/*
 * interp_pool.c -- reference kernels of the pool family: MaxPool (with the optional
 * Indices output), AveragePool, GlobalAveragePool and GlobalMaxPool, f32.
 *
 * The geometry (pads after auto_pad, output sizes) comes from glc_pool_geom_get(); the
 * windows themselves are walked here the obvious way: for every (n, c) plane and every
 * output position, every tap of the kernel in row-major tap order, skipping taps outside
 * the input. Codegen computes its clamped bounds independently, so this file stays the
 * check on them.
 *
 * MaxPool: the first strictly greater value wins (x > best, so NaN never wins); an empty
 * window (possible only with dilation past a tiny input) gives -inf and index -1. Indices
 * are flat input offsets n*C*D + c*D + spatial, where spatial is the row-major offset, or
 * with storage_order = 1 the column-major one (first spatial axis fastest), as ONNX
 * Runtime and the ONNX node tests do.
 * AveragePool: an f32 sum in tap order divided by the count of taps in the input, or in
 * the padded extent [-pad_begin, in + pad_end) with count_include_pad (see infer_pool.c).
 * GlobalAveragePool: an f32 sum of the plane in memory order divided by its size;
 * GlobalMaxPool: the plane's largest element (NaNs skipped; -inf for an empty plane).
 */
#include "interp_impl.h"
#include "pool.h"

#include <math.h>

/* Per output position: the window's tap coordinates; per-axis results for one tap. */
typedef struct tap {
    bool in_input, in_padded;
    int64_t row_major, col_major; /* spatial offsets, valid when in_input */
} tap;

static tap tap_at(const glc_pool_geom *pg, const int64_t *o, const int64_t *j) {
    tap t = {true, true, 0, 0};
    int64_t col_stride = 1;
    for (int i = 0; i < pg->nsp; i++) {
        int64_t p = o[i] * pg->stride[i] - pg->pad_begin[i] + j[i] * pg->dilation[i];
        t.in_input = t.in_input && p >= 0 && p < pg->in[i];
        t.in_padded = t.in_padded && p >= -pg->pad_begin[i] && p < pg->in[i] + pg->pad_end[i];
        t.row_major = t.row_major * pg->in[i] + p;
        t.col_major += p * col_stride;
        col_stride *= pg->in[i];
    }
    return t;
}

static int64_t prod(const int64_t *v, int k) {
    int64_t p = 1;
    for (int i = 0; i < k; i++)
        p *= v[i];
    return p;
}

/* One output position o of plane xp: max (and its flat index) or average. */
static void window(const glc_node *n, const glc_pool_geom *pg, const float *xp, int64_t plane_off,
                   const int64_t *o, float *y, int64_t *ix) {
    int64_t ntaps = prod(pg->kernel, pg->nsp), j[GLC_MAX_RANK], cnt_in = 0, cnt_pad = 0;
    float best = -INFINITY, sum = 0.0f;
    int64_t arg = -1;
    for (int64_t t = 0; t < ntaps; t++) {
        interp_unravel(t, pg->nsp, pg->kernel, j);
        tap tp = tap_at(pg, o, j);
        cnt_pad += tp.in_padded;
        if (!tp.in_input) continue;
        float v = xp[tp.row_major];
        cnt_in++;
        sum += v;
        if (v > best) {
            best = v;
            arg = plane_off + (pg->col_major_indices ? tp.col_major : tp.row_major);
        }
    }
    if (n->op == GLC_OP_MAXPOOL) {
        *y = best;
        if (ix) *ix = arg;
    } else {
        *y = sum / (float)(pg->count_include_pad ? cnt_pad : cnt_in);
    }
}

glc_status interp_window_pool(const glc_graph *g, const glc_node *n, const void *const *in,
                              void *const *out, glc_diag *d) {
    glc_pool_geom pg;
    GLC_TRY(glc_pool_geom_get(g, n, &pg, d));
    const float *x = in[0];
    float *y = out[0], ydummy;
    int64_t *ix = n->op == GLC_OP_MAXPOOL && n->n_out > 1 ? out[1] : NULL;
    int64_t in_plane = prod(pg.in, pg.nsp), out_plane = prod(pg.out, pg.nsp);
    int64_t o[GLC_MAX_RANK];
    for (int64_t p = 0; p < pg.batch * pg.channels; p++) {
        for (int64_t k = 0; k < out_plane; k++) {
            interp_unravel(k, pg.nsp, pg.out, o);
            int64_t at = p * out_plane + k;
            window(n, &pg, x + p * in_plane, p * in_plane, o, y ? &y[at] : &ydummy,
                   ix ? &ix[at] : NULL);
        }
    }
    return GLC_OK;
}

glc_status interp_global_pool(const glc_graph *g, const glc_node *n, const void *const *in,
                              void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0);
    const float *xv = in[0];
    float *y = out[0];
    (void)d;
    if (!y) return GLC_OK;
    int64_t planes = x->dims[0] * x->dims[1], size = prod(x->dims + 2, x->rank - 2);
    for (int64_t p = 0; p < planes && n->op == GLC_OP_GLOBALMAXPOOL; p++) {
        float m = -INFINITY; /* a NaN never wins (as MaxPool) */
        for (int64_t i = 0; i < size; i++)
            m = xv[p * size + i] > m ? xv[p * size + i] : m;
        y[p] = m;
    }
    for (int64_t p = 0; p < planes && n->op == GLC_OP_GLOBALAVERAGEPOOL; p++) {
        float sum = 0.0f;
        for (int64_t i = 0; i < size; i++)
            sum += xv[p * size + i];
        y[p] = sum / (float)size;
    }
    return GLC_OK;
}
