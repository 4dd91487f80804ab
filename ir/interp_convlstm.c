/*
 * interp_convlstm.c -- reference kernel of glc.ConvLSTM, plain loops (the oracle).
 *
 * Geometry comes from glc_convlstm_desc_read (convlstm.h), normalised to three spatial
 * axes. Every (direction, sample) is an independent recurrence, run on its own:
 *   len = sequence_lens[b] clamped to [0, T] (T if absent)
 *   h, c = initial_h/c (or 0)                                       h, c: (F, S')
 *   for s in 0..T-1:
 *     s >= len: Y(s) = 0
 *     else:     t = reverse ? len-1-s : s
 *               G = (W_d * X(t, b) + Wb) + (R_d * h + Rb)            G: (4F, S'), blocks i,o,f,c
 *               i  = f(clip(Gi + Pi c)),  fg = f(clip(Gf + Pf c))
 *               c  = fg c + i g(clip(Gc)),  o = f(clip(Go + Po c)),  h = o h(c)
 *               Y(t) = h
 *   Y_h = h, Y_c = c  (the state after the last valid step; the initial state if len = 0)
 * `*` is an ONNX Conv (group 1) read with explicit bounds checks: taps that fall in the
 * padding read zero. The input convolution uses the node's strides, dilations and pads;
 * the recurrent one stride 1, dilation 1 and SAME_UPPER pads (rpad_begin).
 */
#include "convlstm.h"
#include "interp_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct cl_run {
    const glc_convlstm_desc *r;
    const glc_act *act;            /* this direction's f, g, h */
    const float *W, *R, *B, *P;    /* this direction's slices; B and P may be NULL */
    float *h, *c, *G;              /* (F, S') (F, S') (4F, S') */
} cl_run;

typedef struct conv_geom {
    const int64_t *in, *k, *stride, *dilation, *pad;
} conv_geom;

/* out[m, o] += sum_{ch, j} w[m, ch, j] x[ch, o*stride - pad + j*dilation], for m < M, over
 * the three-axis grid out (S') and input grid cg->in; taps outside x read zero. */
static void conv_acc(float *out, const float *x, const float *w, int64_t M, int64_t CH,
                     const int64_t *osz, const conv_geom *cg) {
    int64_t ksz = cg->k[0] * cg->k[1] * cg->k[2], isz = cg->in[0] * cg->in[1] * cg->in[2];
    int64_t osz_n = osz[0] * osz[1] * osz[2];
    for (int64_t m = 0; m < M; m++)
        for (int64_t o = 0; o < osz_n; o++) {
            int64_t oc[3] = {o / (osz[1] * osz[2]), o / osz[2] % osz[1], o % osz[2]};
            float acc = 0.0f;
            for (int64_t ch = 0; ch < CH; ch++)
                for (int64_t j = 0; j < ksz; j++) {
                    int64_t kc[3] = {j / (cg->k[1] * cg->k[2]), j / cg->k[2] % cg->k[1],
                                     j % cg->k[2]};
                    int64_t xi = 0;
                    bool inside = true;
                    for (int a = 0; a < 3; a++) {
                        int64_t p = oc[a] * cg->stride[a] - cg->pad[a] + kc[a] * cg->dilation[a];
                        inside = inside && p >= 0 && p < cg->in[a];
                        xi = xi * cg->in[a] + p;
                    }
                    if (inside) acc += w[(m * CH + ch) * ksz + j] * x[ch * isz + xi];
                }
            out[m * osz_n + o] += acc;
        }
}

static float clip(const glc_convlstm_desc *r, float x) {
    if (!r->has_clip) return x;
    return x < -r->clip ? -r->clip : x > r->clip ? r->clip : x;
}

/* One step of sample b at time index t: G, then the cell over (F, S'). */
static void step(const cl_run *s, const float *x) {
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden, P = r->out_size, FP = F * P;
    static const int64_t one[3] = {1, 1, 1};
    conv_geom cx = {r->in, r->k, r->stride, r->dilation, r->pad_begin};
    conv_geom ch = {r->out, r->rk, one, one, r->rpad_begin};
    for (int64_t m = 0; m < 4 * F; m++)
        for (int64_t p = 0; p < P; p++)
            s->G[m * P + p] = s->B ? s->B[m] + s->B[4 * F + m] : 0.0f;
    conv_acc(s->G, x, s->W, 4 * F, r->channels, r->out, &cx);
    conv_acc(s->G, s->h, s->R, 4 * F, F, r->out, &ch);
    for (int64_t e = 0; e < FP; e++) {
        float c = s->c[e];
        int64_t f = e / P, p = e % P;
        float pi = s->P ? s->P[f * P + p] : 0.0f, po = s->P ? s->P[FP + f * P + p] : 0.0f;
        float pf = s->P ? s->P[2 * FP + f * P + p] : 0.0f;
        float i = glc_act_apply(&s->act[0], clip(r, s->G[e] + pi * c));
        float fg = glc_act_apply(&s->act[0], clip(r, s->G[2 * FP + e] + pf * c));
        float g = glc_act_apply(&s->act[1], clip(r, s->G[3 * FP + e]));
        c = fg * c + i * g;
        float o = glc_act_apply(&s->act[0], clip(r, s->G[FP + e] + po * c));
        s->c[e] = c;
        s->h[e] = o * glc_act_apply(&s->act[2], c);
    }
}

static void run_sample(const cl_run *s, int dir, int64_t b, const void *const *in,
                       void *const *out) {
    const glc_convlstm_desc *r = s->r;
    int64_t FP = r->hidden * r->out_size, T = r->seq, len = T;
    const int32_t *sl = in[GLC_CL_SEQ_LENS];
    if (sl) len = sl[b] < 0 ? 0 : sl[b] > T ? T : sl[b];
    const float *h0 = in[GLC_CL_INIT_H], *c0 = in[GLC_CL_INIT_C];
    int64_t so = glc_convlstm_state_off(r, dir, b);
    for (int64_t e = 0; e < FP; e++) {
        s->h[e] = h0 ? h0[so + e] : 0.0f;
        s->c[e] = c0 ? c0[so + e] : 0.0f;
    }
    float *Y = out[0];
    for (int64_t st = 0; st < T; st++) {
        if (st >= len) {
            if (Y) memset(Y + glc_convlstm_y_off(r, st, dir, b), 0, (size_t)FP * sizeof *Y);
            continue;
        }
        int64_t t = glc_convlstm_is_reverse(r, dir) ? len - 1 - st : st;
        step(s, (const float *)in[GLC_CL_X] + glc_convlstm_x_off(r, t, b));
        if (Y) memcpy(Y + glc_convlstm_y_off(r, t, dir, b), s->h, (size_t)FP * sizeof *Y);
    }
    if (out[1]) memcpy((float *)out[1] + so, s->h, (size_t)FP * sizeof(float));
    if (out[2]) memcpy((float *)out[2] + so, s->c, (size_t)FP * sizeof(float));
}

glc_status interp_convlstm(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    glc_convlstm_desc r;
    GLC_TRY(glc_convlstm_desc_read(g, n, &r, d));
    const void *ins[8] = {0};
    void *outs[3] = {0};
    for (int i = 0; i < n->n_in && i < 8; i++)
        ins[i] = n->in[i] ? in[i] : NULL;
    for (int k = 0; k < n->n_out && k < 3; k++)
        outs[k] = n->out[k] ? out[k] : NULL;
    int64_t F = r.hidden, FP = F * r.out_size;
    float *buf = malloc((size_t)(6 * FP) * sizeof *buf);
    if (!buf) return glc_diag_set(d, GLC_E_NOMEM, n, "interpreter: out of memory");
    for (int dir = 0; dir < r.dirs; dir++) {
        const float *B = ins[GLC_CL_B], *P = ins[GLC_CL_P];
        cl_run s = {
            .r = &r,
            .act = &r.acts[dir * 3],
            .W = (const float *)ins[GLC_CL_W] + dir * 4 * F * r.channels * r.k_size,
            .R = (const float *)ins[GLC_CL_R] + dir * 4 * F * F * r.rk_size,
            .B = B ? B + dir * 8 * F : NULL,
            .P = P ? P + dir * 3 * FP : NULL,
            .h = buf,
            .c = buf + FP,
            .G = buf + 2 * FP,
        };
        for (int64_t b = 0; b < r.batch; b++)
            run_sample(&s, dir, b, ins, outs);
    }
    free(buf);
    return GLC_OK;
}
