/*
 * interp_gridlstm.c -- reference kernel of glc.GridLSTM (/work/shared/spec/ops.md), plain
 * loops written straight from the spec, layer by layer as the spec states it.
 *
 * Every batch row n is an independent grid, run on its own. Positions p are flat indices
 * into the grid S1..SK (row-major); the predecessor along scanned axis j is p - stride_j,
 * outside the grid when coordinate j of p is 0. Per row:
 *
 *   hd[p] = W_in x_p (or x_p), md[p] = 0                         h_depth(p, 0), m_depth(p, 0)
 *   for l = 1..L:
 *     for p in raster order:
 *       H = [hs_0[p - e_0]; ..; hs_{K-1}[p - e_{K-1}]; hd[p]]    zero outside the grid
 *       for j < K:  a = W[l,j] H + B[l,j];  ms_j[p] = f(af) ms_j[p - e_j] + f(ai) g(ac)
 *                   hs_j[p] = f(ao) h(ms_j[p])
 *       priority: H[jF..] = hs_j[p] for j < K
 *       a = W[l,K] H + B[l,K];  md[p] = f(af) md[p] + f(ai) g(ac);  hd[p] = f(ao) h(md[p])
 *   Y(n, :, p) = hd[p]
 *
 * hd/md are overwritten in place: block (p, l) is the only reader of (p, l-1). The scanned
 * states hs_j/ms_j are full grids (K, S, F), rebuilt for every layer. clip clamps the
 * arguments of f and g (not of h). Dot products accumulate in float, in column order, then
 * add the bias (the compiled kernel may reassociate the sum; see codegen/lower_gridlstm.c).
 */
#include "gridlstm.h"
#include "interp_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct gl_run {
    const glc_gridlstm_desc *r;
    const float *W, *B, *W_in; /* B, W_in may be NULL */
    float *hs, *ms;            /* (K, S, F) scanned-axis states of the current layer */
    float *hd, *md;            /* (S, F) depth states */
    float *H, *a, *xp;         /* ((K+1)F) (4F) (C) */
} gl_run;

static float clampf(const glc_gridlstm_desc *r, float x) {
    if (!r->has_clip) return x;
    return x < -r->clip ? -r->clip : x > r->clip ? r->clip : x;
}

/* a = W[l, j] H + B[l, j]. */
static void gates(const gl_run *s, int64_t l, int j) {
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, KF = (r->k + 1) * F;
    const float *w = s->W + glc_gridlstm_w_off(r, l, j);
    const float *b = s->B ? s->B + glc_gridlstm_b_off(r, l, j) : NULL;
    for (int64_t row = 0; row < 4 * F; row++) {
        float acc = 0.0f;
        for (int64_t k = 0; k < KF; k++)
            acc += w[row * KF + k] * s->H[k];
        s->a[row] = acc + (b ? b[row] : 0.0f);
    }
}

/* The LSTM cell on s->a: m = f(af) m_prev + f(ai) g(ac), h = f(ao) h(m); m_prev may be NULL. */
static void cell(const gl_run *s, const float *m_prev, float *m, float *h) {
    const glc_gridlstm_desc *r = s->r;
    const glc_act *act = r->acts;
    int64_t F = r->hidden;
    for (int64_t q = 0; q < F; q++) {
        float i = glc_act_apply(&act[0], clampf(r, s->a[q]));
        float o = glc_act_apply(&act[0], clampf(r, s->a[F + q]));
        float f = glc_act_apply(&act[0], clampf(r, s->a[2 * F + q]));
        float g = glc_act_apply(&act[1], clampf(r, s->a[3 * F + q]));
        float mv = f * (m_prev ? m_prev[q] : 0.0f) + i * g;
        m[q] = mv;
        h[q] = o * glc_act_apply(&act[2], mv);
    }
}

/* Flat offset of the predecessor of p along axis j, or -1 outside the grid. */
static int64_t pred(const glc_gridlstm_desc *r, int64_t p, int j) {
    int64_t cols = r->k == 2 ? r->grid[1] : r->grid[0];
    if (j == r->k - 1) return p % cols ? p - 1 : -1; /* the last (fastest) axis */
    return p >= cols ? p - cols : -1;                /* K = 2, axis 0: the row above */
}

/* Block (p, l). */
static void block(const gl_run *s, int64_t l, int64_t p) {
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, S = r->grid_size;
    for (int j = 0; j < r->k; j++) {
        int64_t q = pred(r, p, j);
        for (int64_t c = 0; c < F; c++)
            s->H[j * F + c] = q < 0 ? 0.0f : s->hs[(j * S + q) * F + c];
    }
    memcpy(s->H + r->k * F, s->hd + p * F, (size_t)F * sizeof(float));
    for (int j = 0; j < r->k; j++) {
        int64_t q = pred(r, p, j);
        gates(s, l, j);
        cell(s, q < 0 ? NULL : s->ms + (j * S + q) * F, s->ms + (j * S + p) * F,
             s->hs + (j * S + p) * F);
    }
    if (r->priority)
        for (int j = 0; j < r->k; j++)
            memcpy(s->H + j * F, s->hs + (j * S + p) * F, (size_t)F * sizeof(float));
    gates(s, l, r->k);
    cell(s, s->md + p * F, s->md + p * F, s->hd + p * F);
}

static void run_row(const gl_run *s, const float *x, float *y) {
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, C = r->channels, S = r->grid_size;
    for (int64_t p = 0; p < S; p++) { /* h_depth(p, 0), m_depth(p, 0) */
        for (int64_t c = 0; c < C; c++)
            s->xp[c] = x[c * S + p];
        for (int64_t q = 0; q < F; q++) {
            float acc = 0.0f;
            if (s->W_in)
                for (int64_t c = 0; c < C; c++)
                    acc += s->W_in[q * C + c] * s->xp[c];
            s->hd[p * F + q] = s->W_in ? acc : s->xp[q];
            s->md[p * F + q] = 0.0f;
        }
    }
    for (int64_t l = 1; l <= r->layers; l++)
        for (int64_t p = 0; p < S; p++)
            block(s, l, p);
    for (int64_t q = 0; q < F; q++)
        for (int64_t p = 0; p < S; p++)
            y[q * S + p] = s->hd[p * F + q];
}

glc_status interp_gridlstm(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    glc_gridlstm_desc r;
    GLC_TRY(glc_gridlstm_desc_read(g, n, &r, d));
    if (!out[0]) return GLC_OK;
    int64_t F = r.hidden, S = r.grid_size, KS = r.k * S * F;
    size_t floats = (size_t)(2 * KS + 2 * S * F + (r.k + 1) * F + 4 * F + r.channels);
    float *buf = calloc(floats ? floats : 1, sizeof(float));
    if (!buf) return glc_diag_set(d, GLC_E_NOMEM, n, "interpreter: out of memory");
    gl_run s = {.r = &r, .W = in[GLC_GL_W]}; /* in[] has n->n_in entries */
    if (n->n_in > GLC_GL_B) s.B = in[GLC_GL_B];
    if (n->n_in > GLC_GL_W_IN) s.W_in = in[GLC_GL_W_IN];
    s.hs = buf;
    s.ms = s.hs + KS;
    s.hd = s.ms + KS;
    s.md = s.hd + S * F;
    s.H = s.md + S * F;
    s.a = s.H + (r.k + 1) * F;
    s.xp = s.a + 4 * F;
    for (int64_t b = 0; b < r.batch; b++)
        run_row(&s, (const float *)in[GLC_GL_X] + b * r.channels * S, (float *)out[0] + b * F * S);
    free(buf);
    return GLC_OK;
}
