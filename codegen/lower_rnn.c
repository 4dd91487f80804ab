/*
 * lower_rnn.c -- code generation for the rnn family (ONNX LSTM, GRU, RNN), specialised to
 * the node's static shapes and attributes. Same algorithm and float operation order as the
 * reference kernel (ir/interp_rnn.c, which documents the equations and the ONNX Runtime
 * conventions followed), but time-major so that each step is one gate GEMM over the batch:
 *
 *   for each direction d (unrolled at compile time: its activations are constants)
 *     hs, cs = initial_h/c (or 0)                                hs, cs: (N, H) scratch
 *     for t in 0..S-1, for b in 0..N-1:
 *       len = clamp(sequence_lens[b], 0, S) (S if absent)
 *       t < len:  ti = reverse ? len-1-t : t
 *                 gx = x(ti, b) W_d^T + Wb_d                    gx: (G*H) scratch
 *                 gh = hs[b] R_d^T + Rb_d                        gh: (G*H) scratch
 *                 cell (elementwise over H, updates hs[b], cs[b]); Y(ti, d, b) = hs[b]
 *       else:     Y(t, d, b) = 0
 *     Y_h(d, b) = hs[b], Y_c(d, b) = cs[b]
 *
 * The GEMM rows are dot products over a contiguous k (W and R are (G*H, K) row-major, so
 * x W^T reads both operands contiguously); no calls remain in the loops once the
 * alwaysinline math functions are inlined. Scratch lives in entry-block allocas, sized
 * 2N*H + 2G*H + H floats (at most MAX_STACK_FLOATS; a workspace slot is a later step). Outputs not
 * requested (n->out[k] == 0) and absent inputs are known statically and generate no code. Speed is
 * a later issue (packed weights, hoisted input projection, register-blocked GEMM).
 */
#include "cg_impl.h"
#include "rnn.h"

/* Scratch is on the stack: refuse (GLC_E_UNSUPPORTED) beyond 1 MiB rather than overflow. */
enum { MAX_STACK_FLOATS = 1 << 18 };

typedef struct rg {
    cg_ctx *c;
    const glc_rnn_desc *r;
    LLVMValueRef y, yh, yc;                     /* outputs, NULL if not requested */
    LLVMValueRef x, w, rw, bias, sl, h0, c0, p; /* inputs, NULL if absent */
    LLVMValueRef hs, cs, gx, gh, rh, acc;       /* scratch */
    int d;                                      /* direction being emitted */
    const glc_act *act;                         /* its activations */
} rg;

static LLVMValueRef clip(rg *s, LLVMValueRef x) {
    cg_ctx *c = s->c;
    if (!s->r->has_clip) return x;
    LLVMValueRef lo = cg_f32(c, -s->r->clip), hi = cg_f32(c, s->r->clip);
    x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, hi, ""), hi, x, "");
}

/* act k of this direction applied to clip(x). */
static LLVMValueRef act(rg *s, int k, LLVMValueRef x) {
    return cg_act_emit(s->c, &s->act[k], clip(s, x));
}

/* out[j] = dot(v[voff..voff+K), M[moff + j*K ..]) + bias[boff + j] for j in [lo, hi). */
static void gemv(rg *s, LLVMValueRef out, LLVMValueRef v, LLVMValueRef voff, LLVMValueRef m,
                 int64_t moff, LLVMValueRef bias, int64_t boff, int64_t K, int64_t lo, int64_t hi) {
    cg_ctx *c = s->c;
    cg_loop lj, lk;
    LLVMValueRef j = cg_addk(c, cg_loop_begin(c, &lj, hi - lo), lo);
    LLVMBuildStore(c->b, cg_f32(c, 0.0), s->acc);
    LLVMValueRef row = cg_madd(c, j, K, cg_i64(c, moff));
    LLVMValueRef k = cg_loop_begin(c, &lk, K);
    LLVMValueRef pr = cg_fmul(c, cg_ldf(c, v, LLVMBuildNSWAdd(c->b, voff, k, "")),
                           cg_ldf(c, m, LLVMBuildNSWAdd(c->b, row, k, "")));
    LLVMBuildStore(c->b, cg_fadd(c, LLVMBuildLoad2(c->b, c->f32, s->acc, ""), pr), s->acc);
    cg_loop_end(c, &lk);
    LLVMValueRef a = LLVMBuildLoad2(c->b, c->f32, s->acc, "");
    if (bias) a = cg_fadd(c, a, cg_ldf(c, bias, cg_addk(c, j, boff)));
    cg_stf(c, a, out, j);
    cg_loop_end(c, &lj);
}

/* gx[g*H + j] + gh[g*H + j] */
static LLVMValueRef gsum(rg *s, int g, LLVMValueRef j) {
    LLVMValueRef i = cg_addk(s->c, j, g * s->r->hidden);
    return cg_fadd(s->c, cg_ldf(s->c, s->gx, i), cg_ldf(s->c, s->gh, i));
}

/* pre + P_d[g*H + j] * cv (peephole g of i,o,f), or pre without P. */
static LLVMValueRef peep(rg *s, int g, LLVMValueRef j, LLVMValueRef pre, LLVMValueRef cv) {
    if (!s->p) return pre;
    int64_t off = s->d * 3 * s->r->hidden + g * s->r->hidden;
    return cg_fadd(s->c, pre, cg_fmul(s->c, cg_ldf(s->c, s->p, cg_addk(s->c, j, off)), cv));
}

static void lstm_cell(rg *s, LLVMValueRef hb) {
    cg_ctx *c = s->c;
    cg_loop lj;
    LLVMValueRef j = cg_loop_begin(c, &lj, s->r->hidden);
    LLVMValueRef sj = LLVMBuildNSWAdd(c->b, hb, j, "");
    LLVMValueRef cv = cg_ldf(c, s->cs, sj);
    LLVMValueRef i = act(s, 0, peep(s, 0, j, gsum(s, 0, j), cv));
    LLVMValueRef f = s->r->input_forget ? LLVMBuildFSub(c->b, cg_f32(c, 1.0), i, "")
                                        : act(s, 0, peep(s, 2, j, gsum(s, 2, j), cv));
    LLVMValueRef g = act(s, 1, gsum(s, 3, j));
    LLVMValueRef cn = cg_fadd(c, cg_fmul(c, f, cv), cg_fmul(c, i, g));
    LLVMValueRef o = act(s, 0, peep(s, 1, j, gsum(s, 1, j), cn));
    cg_stf(c, cn, s->cs, sj);
    cg_stf(c, cg_fmul(c, o, cg_act_emit(c, &s->act[2], cn)), s->hs, sj);
    cg_loop_end(c, &lj);
}

static void gru_cell(rg *s, LLVMValueRef hb) {
    cg_ctx *c = s->c;
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden, GH = 3 * H;
    cg_loop l1, l2;
    LLVMValueRef j = cg_loop_begin(c, &l1, H);
    LLVMValueRef rg_ = act(s, 0, gsum(s, 1, j));
    if (r->linear_before_reset) {
        LLVMValueRef i = cg_addk(c, j, 2 * H);
        cg_stf(c, cg_fmul(c, cg_ldf(c, s->gh, i), rg_), s->gh, i);
    } else {
        cg_stf(c, cg_fmul(c, rg_, cg_ldf(c, s->hs, LLVMBuildNSWAdd(c->b, hb, j, ""))), s->rh, j);
    }
    cg_loop_end(c, &l1);
    if (!r->linear_before_reset) /* gh_h = (r h) R_h^T + Rb_h */
        gemv(s, s->gh, s->rh, cg_i64(c, 0), s->rw, s->d * GH * H, s->bias, s->d * 2 * GH + GH, H,
             2 * H, 3 * H);
    j = cg_loop_begin(c, &l2, H);
    LLVMValueRef sj = LLVMBuildNSWAdd(c->b, hb, j, "");
    LLVMValueRef z = act(s, 0, gsum(s, 0, j));
    LLVMValueRef ht = act(s, 1, gsum(s, 2, j));
    LLVMValueRef h = cg_fadd(c, cg_fmul(c, LLVMBuildFSub(c->b, cg_f32(c, 1.0), z, ""), ht),
                          cg_fmul(c, z, cg_ldf(c, s->hs, sj)));
    cg_stf(c, h, s->hs, sj);
    cg_loop_end(c, &l2);
}

static void rnn_cell(rg *s, LLVMValueRef hb) {
    cg_ctx *c = s->c;
    cg_loop lj;
    LLVMValueRef j = cg_loop_begin(c, &lj, s->r->hidden);
    cg_stf(c, act(s, 0, gsum(s, 0, j)), s->hs, LLVMBuildNSWAdd(c->b, hb, j, ""));
    cg_loop_end(c, &lj);
}

/* Element offset of Y(t, d, b, 0) / X(t, b, 0) / state(d, b, 0) for runtime t, b. */
static LLVMValueRef y_off(rg *s, LLVMValueRef t, LLVMValueRef b) {
    const glc_rnn_desc *r = s->r;
    int64_t D = r->dirs, N = r->batch, S = r->seq, H = r->hidden;
    if (r->layout)
        return cg_madd(s->c, b, S * D * H, cg_madd(s->c, t, D * H, cg_i64(s->c, s->d * H)));
    return cg_madd(s->c, t, D * N * H, cg_madd(s->c, b, H, cg_i64(s->c, s->d * N * H)));
}

static LLVMValueRef x_off(rg *s, LLVMValueRef t, LLVMValueRef b) {
    const glc_rnn_desc *r = s->r;
    if (r->layout)
        return cg_madd(s->c, b, r->seq * r->input, cg_madd(s->c, t, r->input, cg_i64(s->c, 0)));
    return cg_madd(s->c, t, r->batch * r->input, cg_madd(s->c, b, r->input, cg_i64(s->c, 0)));
}

static LLVMValueRef state_off(rg *s, LLVMValueRef b) {
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden;
    if (r->layout) return cg_madd(s->c, b, r->dirs * H, cg_i64(s->c, s->d * H));
    return cg_madd(s->c, b, H, cg_i64(s->c, s->d * r->batch * H));
}

/* dst[doff + j] = src ? src[soff + j] : 0 for j < H. */
static void copy_row(rg *s, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
                     LLVMValueRef soff) {
    cg_ctx *c = s->c;
    cg_loop lj;
    LLVMValueRef j = cg_loop_begin(c, &lj, s->r->hidden);
    LLVMValueRef v = src ? cg_ldf(c, src, LLVMBuildNSWAdd(c->b, soff, j, "")) : cg_f32(c, 0.0);
    cg_stf(c, v, dst, LLVMBuildNSWAdd(c->b, doff, j, ""));
    cg_loop_end(c, &lj);
}

/* min(max(sequence_lens[b], 0), S), or S without sequence_lens. */
static LLVMValueRef seq_len(rg *s, LLVMValueRef b) {
    cg_ctx *c = s->c;
    LLVMValueRef S = cg_i64(c, s->r->seq);
    if (!s->sl) return S;
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->i32, cg_gep(c, c->i32, s->sl, b), "");
    v = LLVMBuildSExt(c->b, v, c->i64, "");
    v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, cg_i64(c, 0), ""), cg_i64(c, 0), v,
                        "");
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, S, ""), S, v, "");
}

/* One valid step of row b at time index ti: gates, cell, Y(ti). */
static void emit_step(rg *s, LLVMValueRef ti, LLVMValueRef b) {
    cg_ctx *c = s->c;
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden, GH = r->gates * H;
    LLVMValueRef hb = cg_madd(c, b, H, cg_i64(c, 0));
    gemv(s, s->gx, s->x, x_off(s, ti, b), s->w, s->d * GH * r->input, s->bias, s->d * 2 * GH,
         r->input, 0, GH);
    bool lbr0 = r->op == GLC_OP_GRU && !r->linear_before_reset;
    gemv(s, s->gh, s->hs, hb, s->rw, s->d * GH * H, s->bias, s->d * 2 * GH + GH, H, 0,
         lbr0 ? 2 * H : GH);
    if (r->op == GLC_OP_LSTM)
        lstm_cell(s, hb);
    else if (r->op == GLC_OP_GRU)
        gru_cell(s, hb);
    else
        rnn_cell(s, hb);
    if (s->y) copy_row(s, s->y, y_off(s, ti, b), s->hs, hb);
}

static void emit_direction(rg *s) {
    cg_ctx *c = s->c;
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden;
    cg_loop lb, lt, lb2, lb3;
    LLVMValueRef b = cg_loop_begin(c, &lb, r->batch);
    LLVMValueRef so = state_off(s, b), hb = cg_madd(c, b, H, cg_i64(c, 0));
    copy_row(s, s->hs, hb, s->h0, so);
    if (r->op == GLC_OP_LSTM) copy_row(s, s->cs, hb, s->c0, so);
    cg_loop_end(c, &lb);
    LLVMValueRef t = cg_loop_begin(c, &lt, r->seq);
    b = cg_loop_begin(c, &lb2, r->batch);
    LLVMValueRef len = seq_len(s, b);
    cg_if f;
    cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLT, t, len, ""));
    LLVMValueRef ti = t;
    if (glc_rnn_is_reverse(r, s->d))
        ti = LLVMBuildNSWSub(c->b, LLVMBuildNSWSub(c->b, len, cg_i64(c, 1), ""), t, "");
    emit_step(s, ti, b);
    cg_if_else(c, &f);
    if (s->y) copy_row(s, s->y, y_off(s, t, b), NULL, NULL);
    cg_if_end(c, &f);
    cg_loop_end(c, &lb2);
    cg_loop_end(c, &lt);
    if (!s->yh && !s->yc) return;
    b = cg_loop_begin(c, &lb3, r->batch);
    so = state_off(s, b);
    hb = cg_madd(c, b, H, cg_i64(c, 0));
    if (s->yh) copy_row(s, s->yh, so, s->hs, hb);
    if (s->yc) copy_row(s, s->yc, so, s->cs, hb);
    cg_loop_end(c, &lb3);
}

static LLVMValueRef scratch(cg_ctx *c, int64_t n) {
    return cg_alloca_entry(c, LLVMArrayType2(c->f32, (uint64_t)(n > 0 ? n : 1)));
}

glc_status lower_rnn(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_rnn_desc r;
    GLC_TRY(glc_rnn_desc_read(c->g, n, &r, c->d));
    int64_t floats = 2 * r.batch * r.hidden + 2 * r.gates * r.hidden + r.hidden;
    if (floats > MAX_STACK_FLOATS)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n,
                            "%s: %lld floats of state/gate scratch exceed the %d-float stack "
                            "budget (batch %lld, hidden %lld)",
                            glc_op_name(n->op), (long long)floats, MAX_STACK_FLOATS,
                            (long long)r.batch, (long long)r.hidden);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    LLVMValueRef o[3] = {0}, in[8] = {0};
    for (int k = 0; k < n->n_out && k < 3; k++)
        if (n->out[k]) o[k] = LLVMGetParam(*fn, (unsigned)k);
    for (int i = 0; i < n->n_in && i < 8; i++)
        if (n->in[i]) in[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    int64_t NH = r.batch * r.hidden, GH = r.gates * r.hidden;
    rg s = {.c = c,
            .r = &r,
            .y = o[0],
            .yh = o[1],
            .yc = o[2],
            .x = in[GLC_RNN_X],
            .w = in[GLC_RNN_W],
            .rw = in[GLC_RNN_R],
            .bias = in[GLC_RNN_B],
            .sl = in[GLC_RNN_SEQ_LENS],
            .h0 = in[GLC_RNN_INIT_H],
            .c0 = in[GLC_RNN_INIT_C],
            .p = in[GLC_RNN_P]};
    s.hs = scratch(c, NH);                                /* (N, H) */
    s.cs = scratch(c, r.op == GLC_OP_LSTM ? NH : 1);      /* (N, H) */
    s.gx = scratch(c, GH);                                /* (G*H) */
    s.gh = scratch(c, GH);                                /* (G*H) */
    s.rh = scratch(c, r.op == GLC_OP_GRU ? r.hidden : 1); /* (H) */
    s.acc = cg_alloca_entry(c, c->f32);
    for (s.d = 0; s.d < r.dirs; s.d++) {
        s.act = &r.acts[s.d * r.acts_per_dir];
        emit_direction(&s);
    }
    cg_kernel_end(c);
    return GLC_OK;
}
