/*
 * interp_resize.c -- the reference kernel of Resize and Upsample, f32.
 *
 * Per axis, the taps of every output coordinate come from glc_resize_taps (resize.h);
 * every output element is then, in double, the sum over every combination of one tap
 * per axis of the product of their weights times the input element they address, or
 * extrapolation_value when any axis's coordinate is extrapolated (tf_crop_and_resize).
 * Plain loops: the oracle for the compiled kernel.
 */
#include "interp_impl.h"
#include "resize.h"

#include <stdlib.h>

typedef struct axis_tab {
    int64_t *idx; /* (out, taps) */
    double *w;    /* (out, taps) */
    bool *ext;    /* (out) */
} axis_tab;

static bool build_axis(const glc_resize_geom *rg, int a, int64_t in, int64_t out, axis_tab *t) {
    int k = rg->taps[a];
    t->idx = malloc((size_t)(out * k + 1) * sizeof *t->idx);
    t->w = malloc((size_t)(out * k + 1) * sizeof *t->w);
    t->ext = malloc((size_t)(out + 1) * sizeof *t->ext);
    if (!t->idx || !t->w || !t->ext) return false;
    for (int64_t o = 0; o < out; o++)
        t->ext[o] = glc_resize_taps(rg, a, in, out, o, t->idx + o * k, t->w + o * k);
    return true;
}

/* Output element at coordinates o: the tap products summed in row-major tap order. */
static double element(const glc_resize_geom *rg, const axis_tab *t, const int64_t *xdims,
                      const float *x, const int64_t *o) {
    int r = rg->rank;
    int64_t ntaps = 1, j[GLC_MAX_RANK];
    for (int a = 0; a < r; a++) {
        if (t[a].ext[o[a]]) return rg->extrapolation;
        ntaps *= rg->taps[a];
    }
    double sum = 0;
    for (int64_t c = 0; c < ntaps; c++) {
        int64_t rest = c, off = 0;
        double w = 1;
        for (int a = r - 1; a >= 0; a--) {
            j[a] = rest % rg->taps[a];
            rest /= rg->taps[a];
        }
        for (int a = 0; a < r; a++) {
            int64_t at = o[a] * rg->taps[a] + j[a];
            off = off * xdims[a] + t[a].idx[at];
            w *= t[a].w[at];
        }
        sum += w * (double)x[off];
    }
    return sum;
}

glc_status interp_resize(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    glc_resize_geom rg;
    GLC_TRY(glc_resize_geom_get(g, n, &rg, d));
    const glc_value *xv = IN_V(g, n, 0);
    float *y = out[0];
    if (!y) return GLC_OK;
    axis_tab t[GLC_MAX_RANK] = {{0}};
    bool ok = true;
    int64_t total = 1, o[GLC_MAX_RANK];
    for (int a = 0; a < rg.rank; a++) {
        ok = ok && build_axis(&rg, a, xv->dims[a], rg.out[a], &t[a]);
        total *= rg.out[a];
    }
    for (int64_t i = 0; ok && i < total; i++) {
        interp_unravel(i, rg.rank, rg.out, o);
        y[i] = (float)element(&rg, t, xv->dims, in[0], o);
    }
    for (int a = 0; a < rg.rank; a++) {
        free(t[a].idx);
        free(t[a].w);
        free(t[a].ext);
    }
    return ok ? GLC_OK : glc_diag_set(d, GLC_E_NOMEM, n, "%s: out of memory", glc_op_name(n->op));
}
