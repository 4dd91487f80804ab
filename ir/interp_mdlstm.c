/*
 * interp_mdlstm.c -- reference kernel of glc.MDLSTM, plain loops in scan order.
 *
 * For each direction k and sample n, the positions p of the grid are visited in the
 * direction's scan order (a row-major odometer over the three slots of mdlstm.h, slot s
 * running from its end when reversed), so every predecessor p_d (the neighbour already
 * visited along spatial axis d) is done before p:
 *   p outside the sample's extents (p_d >= extents[n, d] on some axis):
 *       h_p = c_p = 0, Y = 0 (so p acts as the outside of the grid for its successors)
 *   else
 *       a = W_k x_p + B_k + sum_d R_k,d h_{p_d}      (h, c of a predecessor outside the
 *                                                    grid are 0; the sum is skipped)
 *       cell (graves / stable / spatial, equations in /work/shared/spec/ops.md), clip
 *       applied to every gate pre-activation right before f or g, never to h's argument
 *       Y(n, k, :, p) = h_p
 * States of direction k live in hs/cs (N, npos, F), position-major so the recurrent dot
 * products read a predecessor's h contiguously. An extents value outside [0, S_d] is a
 * GLC_E_ARG error (the reading in docs/ai_glc_operators.md: rejected, not clamped).
 */
#include "interp_impl.h"
#include "mdlstm.h"

#include <stdlib.h>
#include <string.h>

typedef struct md_run {
    const glc_mdlstm_desc *r;
    const float *X;             /* (N, C, npos) */
    const float *W, *R, *B, *P; /* direction k's slices; B, P may be NULL */
    const int64_t *ext;         /* (N, R) or NULL */
    float *Y;                   /* (N, D, F, npos) or NULL */
    float *hs, *cs;             /* (N, npos, F) */
    float *a;                   /* (G*F) */
    int k;
} md_run;

static float dot(const float *a, const float *b, int64_t n) {
    float acc = 0.0f;
    for (int64_t i = 0; i < n; i++)
        acc += a[i] * b[i];
    return acc;
}

static float clip(const glc_mdlstm_desc *r, float x) {
    if (!r->has_clip) return x;
    return x < -r->clip ? -r->clip : x > r->clip ? r->clip : x;
}

/* f (k = 0), g (1) or h (2) of clip(x); h is never clipped. */
static float act(const glc_mdlstm_desc *r, int k, float x) {
    return glc_act_apply(&r->acts[k], k == 2 ? x : clip(r, x));
}

/* The cell at one position: a (G*F) pre-activations, cp[d] the predecessors' c (or
 * NULL = 0); writes h[F], c[F]. */
static void cell(const md_run *s, const float *const *cp, float *h, float *c) {
    const glc_mdlstm_desc *r = s->r;
    int64_t F = r->hidden;
    const float *a = s->a, *P = s->P;
    int R = r->rank, bc = glc_mdlstm_block_c(r);
    for (int64_t j = 0; j < F; j++) {
        float cd[3], csum = 0.0f;
        for (int d = 0; d < R; d++) {
            cd[d] = cp[d] ? cp[d][j] : 0.0f;
            csum += cd[d];
        }
        float cn, hn;
        if (r->cell == GLC_MD_STABLE) {
            float lam = act(r, 0, a[3 * F + j]);
            float blend = lam * cd[0] + (1.0f - lam) * cd[1];
            cn = act(r, 0, a[j]) * act(r, 1, a[4 * F + j]) + act(r, 0, a[2 * F + j]) * blend;
            hn = act(r, 0, a[F + j]) * act(r, 2, cn);
        } else {
            float pi = P ? P[j] * csum : 0.0f;
            cn = act(r, 0, a[j] + pi) * act(r, 1, a[bc * F + j]);
            for (int d = 0; d < R; d++) {
                float pf = P ? P[(2 + d) * F + j] * cd[d] : 0.0f;
                cn += act(r, 0, a[(2 + d) * F + j] + pf) * cd[d];
            }
            if (r->cell == GLC_MD_GRAVES) {
                float po = P ? P[F + j] * cn : 0.0f;
                hn = act(r, 0, a[F + j] + po) * act(r, 2, cn);
            } else {
                hn = act(r, 2, act(r, 0, a[F + j]) * cn);
            }
        }
        h[j] = hn;
        c[j] = cn;
    }
}

static bool inside(const md_run *s, int64_t n, const int64_t *p) {
    const glc_mdlstm_desc *r = s->r;
    for (int d = 0; s->ext && d < r->rank; d++)
        if (p[3 - r->rank + d] >= s->ext[n * r->rank + d]) return false;
    return true;
}

/* Position p (slot coordinates, i its scan step counts) of sample n. */
static void position(const md_run *s, int64_t n, const int64_t *p, const int64_t *i) {
    const glc_mdlstm_desc *r = s->r;
    int64_t F = r->hidden, GF = r->gates * F, C = r->channels, np = r->npos;
    int64_t pos = p[0] * r->stride[0] + p[1] * r->stride[1] + p[2];
    float *h = s->hs + (n * np + pos) * F, *c = s->cs + (n * np + pos) * F;
    float *y = s->Y ? s->Y + ((n * r->dirs + s->k) * F) * np + pos : NULL;
    if (!inside(s, n, p)) {
        memset(h, 0, (size_t)F * sizeof *h);
        memset(c, 0, (size_t)F * sizeof *c);
        for (int64_t j = 0; y && j < F; j++)
            y[j * np] = 0.0f;
        return;
    }
    const float *hp[3] = {0}, *cp[3] = {0};
    for (int d = 0; d < r->rank; d++) {
        int sl = 3 - r->rank + d;
        if (i[sl] == 0) continue; /* first along this axis: predecessor outside the grid */
        int64_t q = pos + (glc_mdlstm_slot_reversed(s->k, sl) ? r->stride[sl] : -r->stride[sl]);
        hp[d] = s->hs + (n * np + q) * F;
        cp[d] = s->cs + (n * np + q) * F;
    }
    for (int64_t g = 0; g < GF; g++) {
        float acc = 0.0f;
        for (int64_t ch = 0; ch < C; ch++)
            acc += s->W[g * C + ch] * s->X[(n * C + ch) * np + pos];
        s->a[g] = acc + (s->B ? s->B[g] : 0.0f);
        for (int d = 0; d < r->rank; d++)
            if (hp[d]) s->a[g] += dot(s->R + (d * GF + g) * F, hp[d], F);
    }
    cell(s, cp, h, c);
    for (int64_t j = 0; y && j < F; j++)
        y[j * np] = h[j];
}

/* Every position of sample n in direction k's scan order. */
static void scan(const md_run *s, int64_t n) {
    const glc_mdlstm_desc *r = s->r;
    int64_t i[3], p[3];
    for (i[0] = 0; i[0] < r->size[0]; i[0]++)
        for (i[1] = 0; i[1] < r->size[1]; i[1]++)
            for (i[2] = 0; i[2] < r->size[2]; i[2]++) {
                for (int sl = 0; sl < 3; sl++)
                    p[sl] = glc_mdlstm_slot_reversed(s->k, sl) ? r->size[sl] - 1 - i[sl] : i[sl];
                position(s, n, p, i);
            }
}

static glc_status check_extents(const glc_node *n, const glc_mdlstm_desc *r, const int64_t *ext,
                                glc_diag *d) {
    for (int64_t b = 0; ext && b < r->batch; b++)
        for (int ax = 0; ax < r->rank; ax++) {
            int64_t v = ext[b * r->rank + ax], S = r->size[3 - r->rank + ax];
            if (v < 0 || v > S)
                return glc_diag_set(
                    d, GLC_E_ARG, n, "%s: extents[%lld, %d] = %lld is outside [0, %lld]",
                    glc_op_name(n->op), (long long)b, ax, (long long)v, (long long)S);
        }
    return GLC_OK;
}

glc_status interp_mdlstm(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    glc_mdlstm_desc r;
    GLC_TRY(glc_mdlstm_desc_read(g, n, &r, d));
    const void *ins[6] = {0};
    for (int i = 0; i < n->n_in && i < 6; i++)
        ins[i] = n->in[i] ? in[i] : NULL;
    GLC_TRY(check_extents(n, &r, ins[GLC_MD_EXTENTS], d));
    int64_t F = r.hidden, GF = r.gates * F, NS = r.batch * r.npos * F;
    float *buf = malloc((size_t)(2 * NS + GF) * sizeof *buf);
    if (!buf) return glc_diag_set(d, GLC_E_NOMEM, n, "interpreter: out of memory");
    const float *B = ins[GLC_MD_B], *P = ins[GLC_MD_P];
    for (int k = 0; k < r.dirs; k++) {
        md_run s = {
            .r = &r,
            .X = ins[GLC_MD_X],
            .W = (const float *)ins[GLC_MD_W] + k * GF * r.channels,
            .R = (const float *)ins[GLC_MD_R] + k * r.rank * GF * F,
            .B = B ? B + k * GF : NULL,
            .P = P ? P + k * (2 + r.rank) * F : NULL,
            .ext = ins[GLC_MD_EXTENTS],
            .Y = n->n_out > 0 && n->out[0] ? out[0] : NULL,
            .hs = buf,
            .cs = buf + NS,
            .a = buf + 2 * NS,
            .k = k,
        };
        for (int64_t b = 0; b < r.batch; b++)
            scan(&s, b);
    }
    free(buf);
    return GLC_OK;
}
