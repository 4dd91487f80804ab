/*
 * interp_rnn.c -- reference kernels of the rnn family (ONNX LSTM, GRU, RNN), plain loops.
 *
 * Every (direction, batch row) is an independent recurrence, run on its own:
 *   len = sequence_lens[b] clamped to [0, S] (S if absent)
 *   h, c = initial_h/c (or 0)
 *   for t in 0..S-1:
 *     t >= len: Y(t) = 0
 *     else:     ti = reverse ? len-1-t : t
 *               gx = x(ti) W^T + Wb, gh = h R^T + Rb    (per gate, order iofc / zrh)
 *               cell (below), Y(ti) = h
 *   Y_h = h, Y_c = c  (the state after the last valid step; the initial state if len = 0)
 * clip bounds every activation input to [-clip, clip]. Matching ONNX Runtime (see
 * tests/fixtures/rnn/README.md): peepholes are added before clipping; C_t itself is never
 * clipped before h(C_t); input_forget sets f = 1 - i.
 *   LSTM: i = f(gx_i + gh_i + P_i c), f = f(gx_f + gh_f + P_f c), c~ = g(gx_c + gh_c),
 *         c = f c + i c~, o = f(gx_o + gh_o + P_o c), h = o h(c)
 *   GRU:  z = f(gx_z + gh_z), r = f(gx_r + gh_r),
 *         h~ = g(gx_h + (r h) R_h^T + Rb_h)          (linear_before_reset = 0)
 *         h~ = g(gx_h + r (h R_h^T + Rb_h))          (linear_before_reset = 1)
 *         h = (1 - z) h~ + z h
 *   RNN:  h = f(gx + gh)
 */
#include "interp_impl.h"
#include "rnn.h"

#include <stdlib.h>
#include <string.h>

typedef struct rnn_run {
    const glc_rnn_desc *r;
    const glc_act *act;               /* this direction's activations */
    const float *W, *R, *Wb, *Rb, *P; /* this direction's slices; Wb/Rb/P may be NULL */
    float *h, *c, *gx, *gh, *rh;      /* (H) (H) (G*H) (G*H) (H) */
} rnn_run;

static float dot(const float *a, const float *b, int64_t n) {
    float acc = 0.0f;
    for (int64_t k = 0; k < n; k++)
        acc += a[k] * b[k];
    return acc;
}

static float clip(const glc_rnn_desc *r, float x) {
    if (!r->has_clip) return x;
    return x < -r->clip ? -r->clip : x > r->clip ? r->clip : x;
}

/* out[j] = bias[j] + v . M[j, :] for j in [lo, hi); M rows of length k. */
static void gemv(float *out, const float *bias, const float *v, const float *M, int64_t k,
                 int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; j++)
        out[j] = (bias ? bias[j] : 0.0f) + dot(v, M + j * k, k);
}

static void lstm_cell(const rnn_run *s) {
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden;
    for (int64_t j = 0; j < H; j++) {
        float c = s->c[j];
        float pi = s->gx[j] + s->gh[j] + (s->P ? s->P[j] * c : 0.0f);
        float i = glc_act_apply(&s->act[0], clip(r, pi));
        float pf = s->gx[2 * H + j] + s->gh[2 * H + j] + (s->P ? s->P[2 * H + j] * c : 0.0f);
        float f = r->input_forget ? 1.0f - i : glc_act_apply(&s->act[0], clip(r, pf));
        float g = glc_act_apply(&s->act[1], clip(r, s->gx[3 * H + j] + s->gh[3 * H + j]));
        c = f * c + i * g;
        float po = s->gx[H + j] + s->gh[H + j] + (s->P ? s->P[H + j] * c : 0.0f);
        float o = glc_act_apply(&s->act[0], clip(r, po));
        s->c[j] = c;
        s->h[j] = o * glc_act_apply(&s->act[2], c);
    }
}

static void gru_cell(const rnn_run *s) {
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden;
    for (int64_t j = 0; j < H; j++) {
        float rg = glc_act_apply(&s->act[0], clip(r, s->gx[H + j] + s->gh[H + j]));
        s->rh[j] = rg * s->h[j];
        if (r->linear_before_reset) s->gh[2 * H + j] *= rg;
    }
    if (!r->linear_before_reset) /* gh_h = (r h) R_h^T + Rb_h */
        gemv(s->gh, s->Rb, s->rh, s->R, H, 2 * H, 3 * H);
    for (int64_t j = 0; j < H; j++) {
        float z = glc_act_apply(&s->act[0], clip(r, s->gx[j] + s->gh[j]));
        float ht = glc_act_apply(&s->act[1], clip(r, s->gx[2 * H + j] + s->gh[2 * H + j]));
        s->h[j] = (1.0f - z) * ht + z * s->h[j];
    }
}

static void rnn_cell(const rnn_run *s) {
    for (int64_t j = 0; j < s->r->hidden; j++)
        s->h[j] = glc_act_apply(&s->act[0], clip(s->r, s->gx[j] + s->gh[j]));
}

/* One step at time index ti: gates, then the cell. */
static void step(const rnn_run *s, const float *x) {
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden, GH = r->gates * H;
    gemv(s->gx, s->Wb, x, s->W, r->input, 0, GH);
    gemv(s->gh, s->Rb, s->h, s->R, H, 0, GH);
    if (r->op == GLC_OP_LSTM)
        lstm_cell(s);
    else if (r->op == GLC_OP_GRU)
        gru_cell(s);
    else
        rnn_cell(s);
}

static void run_row(const rnn_run *s, int dir, int64_t b, const void *const *in, void *const *out) {
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden, S = r->seq, len = S;
    const int32_t *sl = in[GLC_RNN_SEQ_LENS];
    if (sl) len = sl[b] < 0 ? 0 : sl[b] > S ? S : sl[b];
    const float *h0 = in[GLC_RNN_INIT_H], *c0 = in[GLC_RNN_INIT_C];
    int64_t so = glc_rnn_state_off(r, dir, b);
    for (int64_t j = 0; j < H; j++) {
        s->h[j] = h0 ? h0[so + j] : 0.0f;
        s->c[j] = c0 ? c0[so + j] : 0.0f;
    }
    float *Y = out[0];
    for (int64_t t = 0; t < S; t++) {
        if (t >= len) {
            if (Y) memset(Y + glc_rnn_y_off(r, t, dir, b), 0, (size_t)H * sizeof *Y);
            continue;
        }
        int64_t ti = glc_rnn_is_reverse(r, dir) ? len - 1 - t : t;
        step(s, (const float *)in[GLC_RNN_X] + glc_rnn_x_off(r, ti, b));
        if (Y) memcpy(Y + glc_rnn_y_off(r, ti, dir, b), s->h, (size_t)H * sizeof *Y);
    }
    if (out[1]) memcpy((float *)out[1] + so, s->h, (size_t)H * sizeof(float));
    if (out[2]) memcpy((float *)out[2] + so, s->c, (size_t)H * sizeof(float));
}

glc_status interp_rnn(const glc_graph *g, const glc_node *n, const void *const *in,
                      void *const *out, glc_diag *d) {
    glc_rnn_desc r;
    GLC_TRY(glc_rnn_desc_read(g, n, &r, d));
    const void *ins[8] = {0};
    void *outs[3] = {0};
    for (int i = 0; i < n->n_in && i < 8; i++)
        ins[i] = n->in[i] ? in[i] : NULL;
    for (int k = 0; k < n->n_out && k < 3; k++)
        outs[k] = n->out[k] ? out[k] : NULL;
    int64_t H = r.hidden, GH = r.gates * H;
    float *buf = malloc((size_t)(3 * H + 2 * GH) * sizeof *buf);
    if (!buf) return glc_diag_set(d, GLC_E_NOMEM, n, "interpreter: out of memory");
    for (int dir = 0; dir < r.dirs; dir++) {
        const float *B = ins[GLC_RNN_B], *P = ins[GLC_RNN_P];
        rnn_run s = {
            .r = &r,
            .act = &r.acts[dir * r.acts_per_dir],
            .W = (const float *)ins[GLC_RNN_W] + dir * GH * r.input,
            .R = (const float *)ins[GLC_RNN_R] + dir * GH * H,
            .Wb = B ? B + dir * 2 * GH : NULL,
            .Rb = B ? B + dir * 2 * GH + GH : NULL,
            .P = P ? P + dir * 3 * H : NULL,
            .h = buf,
            .c = buf + H,
            .rh = buf + 2 * H,
            .gx = buf + 3 * H,
            .gh = buf + 3 * H + GH,
        };
        for (int64_t b = 0; b < r.batch; b++)
            run_row(&s, dir, b, ins, outs);
    }
    free(buf);
    return GLC_OK;
}
