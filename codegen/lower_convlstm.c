/*
 * lower_convlstm.c -- code generation for glc.ConvLSTM, specialised to the node's static
 * shapes and attributes. Same equations as the reference kernel (ir/interp_convlstm.c,
 * which documents them); geometry from glc_convlstm_desc_read (ir/convlstm.h), normalised
 * to three spatial axes so one loop nest serves ranks 1, 2 and 3 (size-1 loops fold away).
 *
 * The input convolution does not depend on the recurrence, so it is computed for a chunk of
 * Tc steps of every sample before those steps run (Tc = T unless the scratch budget
 * forces smaller chunks). Per direction d (unrolled at compile time):
 *
 *   hp = 0; hp interior = initial_h (or 0); cs = initial_c (or 0)
 *   for each chunk of steps [s0, s0 + Tc):
 *     for s in chunk, n in 0..N-1, s < len(n):                 t = reverse ? len-1-s : s
 *       xp interior = X(t, n)                                   zero border = input pads
 *       gx[s - s0, n] = Wb + Rb + W_d * xp
 *     for s in chunk, n in 0..N-1:
 *       s < len(n):  gx[s - s0, n] += R_d * hp[n]               SAME_UPPER via hp's border
 *                    cell over (F, S'): cs[n], hp[n] interior, Y(t, d, n) updated
 *       else:        Y(s, d, n) = 0
 *   Y_h(d, n) = hp[n] interior, Y_c(d, n) = cs[n]
 *
 * Scratch is workspace (lower_convlstm_scratch, passed after the inputs), each part
 * starting on a 64-byte boundary:
 *   xp (C, S + input pads)          the current input frame, zero-padded
 *   hp (N, F, S' + recurrent pads)  the hidden state, zero-padded, so neither convolution
 *                                   checks bounds: the borders stay zero forever
 *   cs (N, F, S')                   the cell state
 *   gx (Tc, N, 4F, S')              gate pre-activations
 * Tc is the largest chunk whose gx fits GX_BUDGET floats (at least one step), so the
 * workspace stays bounded for long sequences. A convolution is
 *   for m, ch, tap: w = W[m, ch, tap]; for o0, o1: for o2: out += w * x,
 * the innermost loop contiguous in the output (and in x when the stride is 1). Unrequested
 * outputs and absent inputs are known statically and generate no code.
 */
#include "cg_impl.h"
#include "convlstm.h"

/* Floats of hoisted gate pre-activations (gx) per chunk of steps: 2 MiB, one L2. */
enum { GX_BUDGET = 1 << 19 };

typedef struct cl {
    cg_ctx *c;
    const glc_convlstm_desc *r;
    LLVMValueRef y, yh, yc;                     /* outputs, NULL if not requested */
    LLVMValueRef x, w, rw, bias, sl, h0, c0, p; /* inputs, NULL if absent */
    LLVMValueRef xp, hp, cs, gx;                /* scratch */
    int64_t xpd[3], hpd[3];                     /* padded grids of xp and hp */
    int64_t xp_size, hp_size;                   /* prod(xpd), prod(hpd) */
    int64_t tc;                                 /* steps per chunk */
    int64_t off_hp, off_cs, off_gx, floats;     /* scratch layout (floats) */
    int d;                                      /* direction being emitted */
    const glc_act *act;                         /* its f, g, h */
} cl;

/* if (cond) { ... } [else { ... }]: if_begin leaves the builder in then, if_else moves it
 * to else, if_end to the join block. */
static LLVMValueRef clip(cl *s, LLVMValueRef x) {
    cg_ctx *c = s->c;
    if (!s->r->has_clip) return x;
    LLVMValueRef lo = cg_f32(c, -s->r->clip), hi = cg_f32(c, s->r->clip);
    x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, hi, ""), hi, x, "");
}

/* act k (f, g, h) of this direction applied to clip(x). */
static LLVMValueRef act(cl *s, int k, LLVMValueRef x) {
    return cg_act_emit(s->c, &s->act[k], clip(s, x));
}

/* A three-axis loop nest over dims; iv[a] are the induction variables. */
typedef struct nest3 {
    cg_loop l[3];
    LLVMValueRef iv[3];
} nest3;

static void nest_begin(cg_ctx *c, nest3 *ns, const int64_t *dims) {
    for (int a = 0; a < 3; a++)
        ns->iv[a] = cg_loop_begin(c, &ns->l[a], dims[a]);
}

static void nest_end(cg_ctx *c, nest3 *ns) {
    for (int a = 2; a >= 0; a--)
        cg_loop_end(c, &ns->l[a]);
}

/* Row-major flat index of (iv[a] + off[a]) in a grid of dims, plus base. */
static LLVMValueRef flat3(cg_ctx *c, const LLVMValueRef *iv, const int64_t *off,
                          const int64_t *dims, LLVMValueRef base) {
    LLVMValueRef i = cg_addk(c, iv[0], off ? off[0] : 0);
    i = cg_addk(c, cg_madd(c, i, dims[1], iv[1]), off ? off[1] : 0);
    i = cg_addk(c, cg_madd(c, i, dims[2], iv[2]), off ? off[2] : 0);
    return base ? cg_iadd(c, i, base) : i;
}

/* Element offsets of X(t, n, 0...), Y(t, d, n, 0...), state(d, n, 0...) for runtime t, n. */
static LLVMValueRef x_off(cl *s, LLVMValueRef t, LLVMValueRef n) {
    const glc_convlstm_desc *r = s->r;
    int64_t CI = r->channels * r->in_size;
    if (r->layout) return cg_madd(s->c, n, r->seq * CI, cg_madd(s->c, t, CI, NULL));
    return cg_madd(s->c, t, r->batch * CI, cg_madd(s->c, n, CI, NULL));
}

static LLVMValueRef y_off(cl *s, LLVMValueRef t, LLVMValueRef n) {
    const glc_convlstm_desc *r = s->r;
    int64_t D = r->dirs, FP = r->hidden * r->out_size;
    cg_ctx *c = s->c;
    if (r->layout)
        return cg_madd(c, n, r->seq * D * FP, cg_madd(c, t, D * FP, cg_i64(c, s->d * FP)));
    return cg_madd(c, t, D * r->batch * FP, cg_madd(c, n, FP, cg_i64(c, s->d * r->batch * FP)));
}

static LLVMValueRef state_off(cl *s, LLVMValueRef n) {
    const glc_convlstm_desc *r = s->r;
    int64_t FP = r->hidden * r->out_size;
    if (r->layout) return cg_madd(s->c, n, r->dirs * FP, cg_i64(s->c, s->d * FP));
    return cg_madd(s->c, n, FP, cg_i64(s->c, s->d * r->batch * FP));
}

/* min(max(sequence_lens[n], 0), T), or T without sequence_lens. */
static LLVMValueRef seq_len(cl *s, LLVMValueRef n) {
    cg_ctx *c = s->c;
    LLVMValueRef T = cg_i64(c, s->r->seq);
    if (!s->sl) return T;
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->i32, cg_gep(c, c->i32, s->sl, n), "");
    v = LLVMBuildSExt(c->b, v, c->i64, "");
    v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, cg_i64(c, 0), ""), cg_i64(c, 0), v,
                        "");
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, T, ""), T, v, "");
}

/* Time index of step st for a sample of length len in this direction. */
static LLVMValueRef time_of(cl *s, LLVMValueRef st_, LLVMValueRef len) {
    if (!glc_convlstm_is_reverse(s->r, s->d)) return st_;
    cg_ctx *c = s->c;
    return LLVMBuildNSWSub(c->b, LLVMBuildNSWSub(c->b, len, cg_i64(c, 1), ""), st_, "");
}

/* Geometry of one convolution over a zero-padded input (no bounds checks). */
typedef struct conv_g {
    int64_t M, CH;          /* output and input channels */
    const int64_t *xd;      /* padded input grid */
    const int64_t *k, *stride, *dil;
    const int64_t *od;      /* output grid */
} conv_g;

/* out[ooff + m*P + o] += sum_{ch,j} w[woff + (m*CH + ch)*K + j] *
 *                        x[xoff + ch*X + (o*stride + j*dil)]  over the padded grid xd. */
static void conv_emit(cl *s, const conv_g *g, LLVMValueRef out, LLVMValueRef ooff,
                      LLVMValueRef x, LLVMValueRef xoff, LLVMValueRef w, int64_t woff) {
    cg_ctx *c = s->c;
    int64_t K = g->k[0] * g->k[1] * g->k[2], X = g->xd[0] * g->xd[1] * g->xd[2];
    int64_t P = g->od[0] * g->od[1] * g->od[2];
    cg_loop lm, lch, lo0, lo1, lo2;
    nest3 kn;
    LLVMValueRef m = cg_loop_begin(c, &lm, g->M);
    LLVMValueRef ch = cg_loop_begin(c, &lch, g->CH);
    nest_begin(c, &kn, g->k);
    LLVMValueRef wi = flat3(c, kn.iv, NULL, g->k, cg_madd(c, cg_iadd(c, cg_madd(c, m, g->CH, NULL),
                                                                   ch), K, cg_i64(c, woff)));
    LLVMValueRef wv = cg_ldf(c, w, wi);
    LLVMValueRef xb = cg_madd(c, ch, X, xoff);
    LLVMValueRef ob = cg_madd(c, m, P, ooff);
    LLVMValueRef o0 = cg_loop_begin(c, &lo0, g->od[0]);
    LLVMValueRef o1 = cg_loop_begin(c, &lo1, g->od[1]);
    LLVMValueRef i0 = cg_iadd(c, cg_madd(c, o0, g->stride[0], NULL),
                           cg_madd(c, kn.iv[0], g->dil[0], NULL));
    LLVMValueRef i1 = cg_iadd(c, cg_madd(c, o1, g->stride[1], NULL),
                           cg_madd(c, kn.iv[1], g->dil[1], NULL));
    LLVMValueRef xrow = cg_madd(c, cg_madd(c, i0, g->xd[1], i1), g->xd[2],
                                cg_madd(c, kn.iv[2], g->dil[2], xb));
    LLVMValueRef orow = cg_madd(c, cg_madd(c, o0, g->od[1], o1), g->od[2], ob);
    LLVMValueRef o2 = cg_loop_begin(c, &lo2, g->od[2]);
    LLVMValueRef oi = cg_iadd(c, orow, o2);
    LLVMValueRef xv = cg_ldf(c, x, cg_madd(c, o2, g->stride[2], xrow));
    cg_stf(c, cg_fadd(c, cg_ldf(c, out, oi), cg_fmul(c, wv, xv)), out, oi);
    cg_loop_end(c, &lo2);
    cg_loop_end(c, &lo1);
    cg_loop_end(c, &lo0);
    nest_end(c, &kn);
    cg_loop_end(c, &lch);
    cg_loop_end(c, &lm);
}

/* Offset of gx[sl, n, 0, 0]. */
static LLVMValueRef gx_off(cl *s, LLVMValueRef sl, LLVMValueRef n) {
    int64_t G = 4 * s->r->hidden * s->r->out_size;
    return cg_madd(s->c, cg_madd(s->c, sl, s->r->batch, n), G, NULL);
}

/* gx[sl, n] = Wb + Rb + W_d * X(t, n). */
static void input_conv(cl *s, LLVMValueRef sl, LLVMValueRef t, LLVMValueRef n) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden, P = r->out_size;
    nest3 ns;
    cg_loop lch, lm, lp;
    LLVMValueRef xo = x_off(s, t, n);
    LLVMValueRef ch = cg_loop_begin(c, &lch, r->channels);
    LLVMValueRef xb = cg_madd(c, ch, r->in_size, xo), pb = cg_madd(c, ch, s->xp_size, NULL);
    nest_begin(c, &ns, r->in);
    LLVMValueRef v = cg_ldf(c, s->x, flat3(c, ns.iv, NULL, r->in, xb));
    cg_stf(c, v, s->xp, flat3(c, ns.iv, r->pad_begin, s->xpd, pb));
    nest_end(c, &ns);
    cg_loop_end(c, &lch);
    LLVMValueRef go = gx_off(s, sl, n);
    LLVMValueRef m = cg_loop_begin(c, &lm, 4 * F);
    LLVMValueRef bv = cg_f32(c, 0.0);
    if (s->bias) {
        LLVMValueRef bi = cg_addk(c, m, s->d * 8 * F);
        bv = cg_fadd(c, cg_ldf(c, s->bias, bi), cg_ldf(c, s->bias, cg_addk(c, bi, 4 * F)));
    }
    LLVMValueRef mb = cg_madd(c, m, P, go);
    LLVMValueRef p = cg_loop_begin(c, &lp, P);
    cg_stf(c, bv, s->gx, cg_iadd(c, mb, p));
    cg_loop_end(c, &lp);
    cg_loop_end(c, &lm);
    conv_g g = {4 * F, r->channels, s->xpd, r->k, r->stride, r->dilation, r->out};
    conv_emit(s, &g, s->gx, go, s->xp, cg_i64(c, 0), s->w, s->d * 4 * F * r->channels * r->k_size);
}

/* pre + P_d[blk, e] * cv (peephole block blk of i, o, f), or pre without P. */
static LLVMValueRef peep(cl *s, int blk, LLVMValueRef e, LLVMValueRef pre, LLVMValueRef cv) {
    if (!s->p) return pre;
    int64_t FP = s->r->hidden * s->r->out_size;
    LLVMValueRef pv = cg_ldf(s->c, s->p, cg_addk(s->c, e, (s->d * 3 + blk) * FP));
    return cg_fadd(s->c, pre, cg_fmul(s->c, pv, cv));
}

/* The elementwise cell of sample n over (F, S'); gates at gx[go...]; writes Y(t) if asked. */
static void cell(cl *s, LLVMValueRef go, LLVMValueRef n, LLVMValueRef t) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden, P = r->out_size, FP = F * P;
    cg_loop lf;
    nest3 ns;
    LLVMValueRef yb = s->y ? y_off(s, t, n) : NULL;
    LLVMValueRef cb = cg_madd(c, n, FP, NULL), hb = cg_madd(c, n, F * s->hp_size, NULL);
    LLVMValueRef f = cg_loop_begin(c, &lf, F);
    LLVMValueRef hf = cg_madd(c, f, s->hp_size, hb);
    LLVMValueRef ef = cg_madd(c, f, P, NULL);
    nest_begin(c, &ns, r->out);
    LLVMValueRef e = flat3(c, ns.iv, NULL, r->out, ef);
    LLVMValueRef ge = cg_iadd(c, go, e), ce = cg_iadd(c, cb, e);
    LLVMValueRef cv = cg_ldf(c, s->cs, ce);
    LLVMValueRef i = act(s, 0, peep(s, 0, e, cg_ldf(c, s->gx, ge), cv));
    LLVMValueRef fg = act(s, 0, peep(s, 2, e, cg_ldf(c, s->gx, cg_addk(c, ge, 2 * FP)), cv));
    LLVMValueRef g = act(s, 1, cg_ldf(c, s->gx, cg_addk(c, ge, 3 * FP)));
    LLVMValueRef cn = cg_fadd(c, cg_fmul(c, fg, cv), cg_fmul(c, i, g));
    LLVMValueRef o = act(s, 0, peep(s, 1, e, cg_ldf(c, s->gx, cg_addk(c, ge, FP)), cn));
    LLVMValueRef h = cg_fmul(c, o, cg_act_emit(c, &s->act[2], cn));
    cg_stf(c, cn, s->cs, ce);
    cg_stf(c, h, s->hp, flat3(c, ns.iv, r->rpad_begin, s->hpd, hf));
    if (yb) cg_stf(c, h, s->y, cg_iadd(c, yb, e));
    nest_end(c, &ns);
    cg_loop_end(c, &lf);
}

/* dst[doff + j] = 0 for j < count. */
static void zero_run(cl *s, LLVMValueRef dst, LLVMValueRef doff, int64_t count) {
    cg_loop l;
    LLVMValueRef j = cg_loop_begin(s->c, &l, count);
    cg_stf(s->c, cg_f32(s->c, 0.0), dst, cg_iadd(s->c, doff, j));
    cg_loop_end(s->c, &l);
}

/* Step st (= s0 + sl) for every sample: recurrent conv, cell, Y; or zeros past len. */
static void recur(cl *s, LLVMValueRef sl, LLVMValueRef st_) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden, FP = F * r->out_size;
    static const int64_t one[3] = {1, 1, 1};
    cg_loop ln;
    cg_if fi;
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    LLVMValueRef len = seq_len(s, n);
    cg_if_begin(c, &fi, LLVMBuildICmp(c->b, LLVMIntSLT, st_, len, ""));
    LLVMValueRef t = time_of(s, st_, len), go = gx_off(s, sl, n);
    conv_g g = {4 * F, F, s->hpd, r->rk, one, one, r->out};
    conv_emit(s, &g, s->gx, go, s->hp, cg_madd(c, n, F * s->hp_size, NULL), s->rw,
              s->d * 4 * F * F * r->rk_size);
    cell(s, go, n, t);
    cg_if_else(c, &fi);
    if (s->y) zero_run(s, s->y, y_off(s, st_, n), FP);
    cg_if_end(c, &fi);
    cg_loop_end(c, &ln);
}

/* Step st for every sample with st < len: the input convolution into gx[sl]. */
static void hoist(cl *s, LLVMValueRef sl, LLVMValueRef st_) {
    cg_ctx *c = s->c;
    cg_loop ln;
    cg_if fi;
    LLVMValueRef n = cg_loop_begin(c, &ln, s->r->batch);
    LLVMValueRef len = seq_len(s, n);
    cg_if_begin(c, &fi, LLVMBuildICmp(c->b, LLVMIntSLT, st_, len, ""));
    input_conv(s, sl, time_of(s, st_, len), n);
    cg_if_else(c, &fi);
    cg_if_end(c, &fi);
    cg_loop_end(c, &ln);
}

/* for sl < tc with st = s0 + sl < T: body(sl, st). */
static void chunk_steps(cl *s, LLVMValueRef s0, void (*body)(cl *, LLVMValueRef, LLVMValueRef)) {
    cg_ctx *c = s->c;
    cg_loop l;
    cg_if fi;
    LLVMValueRef sl = cg_loop_begin(c, &l, s->tc);
    LLVMValueRef st_ = cg_iadd(c, s0, sl);
    bool ragged = s->r->seq % s->tc != 0;
    if (ragged) cg_if_begin(c, &fi, LLVMBuildICmp(c->b, LLVMIntSLT, st_, cg_i64(c, s->r->seq), ""));
    body(s, sl, st_);
    if (ragged) {
        cg_if_else(c, &fi);
        cg_if_end(c, &fi);
    }
    cg_loop_end(c, &l);
}

/* hp interior = initial_h[d] (border already zero), cs = initial_c[d] or 0. */
static void init_state(cl *s) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden, P = r->out_size, FP = F * P;
    LLVMBuildMemSet(c->b, s->hp, LLVMConstInt(c->i8, 0, 0),
                    cg_i64(c, r->batch * F * s->hp_size * 4), 4);
    cg_loop ln, lf;
    nest3 ns;
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    LLVMValueRef so = state_off(s, n), cb = cg_madd(c, n, FP, NULL);
    LLVMValueRef f = cg_loop_begin(c, &lf, F);
    LLVMValueRef sf = cg_madd(c, f, P, so), cf = cg_madd(c, f, P, cb);
    LLVMValueRef hf = cg_madd(c, cg_iadd(c, cg_madd(c, n, F, NULL), f), s->hp_size, NULL);
    nest_begin(c, &ns, r->out);
    LLVMValueRef e = flat3(c, ns.iv, NULL, r->out, NULL);
    if (s->h0)
        cg_stf(c, cg_ldf(c, s->h0, cg_iadd(c, sf, e)), s->hp, flat3(c, ns.iv, r->rpad_begin, s->hpd, hf));
    cg_stf(c, s->c0 ? cg_ldf(c, s->c0, cg_iadd(c, sf, e)) : cg_f32(c, 0.0), s->cs, cg_iadd(c, cf, e));
    nest_end(c, &ns);
    cg_loop_end(c, &lf);
    cg_loop_end(c, &ln);
}

/* Y_h = hp interior, Y_c = cs. */
static void write_states(cl *s) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden, P = r->out_size, FP = F * P;
    if (!s->yh && !s->yc) return;
    cg_loop ln, lf;
    nest3 ns;
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    LLVMValueRef so = state_off(s, n), cb = cg_madd(c, n, FP, NULL);
    LLVMValueRef f = cg_loop_begin(c, &lf, F);
    LLVMValueRef sf = cg_madd(c, f, P, so), cf = cg_madd(c, f, P, cb);
    LLVMValueRef hf = cg_madd(c, cg_iadd(c, cg_madd(c, n, F, NULL), f), s->hp_size, NULL);
    nest_begin(c, &ns, r->out);
    LLVMValueRef e = flat3(c, ns.iv, NULL, r->out, NULL);
    if (s->yh)
        cg_stf(c, cg_ldf(c, s->hp, flat3(c, ns.iv, r->rpad_begin, s->hpd, hf)), s->yh, cg_iadd(c, sf, e));
    if (s->yc) cg_stf(c, cg_ldf(c, s->cs, cg_iadd(c, cf, e)), s->yc, cg_iadd(c, sf, e));
    nest_end(c, &ns);
    cg_loop_end(c, &lf);
    cg_loop_end(c, &ln);
}

static void emit_direction(cl *s) {
    cg_ctx *c = s->c;
    init_state(s);
    int64_t chunks = (s->r->seq + s->tc - 1) / s->tc;
    cg_loop lc;
    LLVMValueRef ci = cg_loop_begin(c, &lc, chunks);
    LLVMValueRef s0 = cg_madd(c, ci, s->tc, NULL);
    chunk_steps(s, s0, hoist);
    chunk_steps(s, s0, recur);
    cg_loop_end(c, &lc);
    write_states(s);
}

static int64_t round16(int64_t n) {
    return (n + 15) / 16 * 16;
}

/* Padded grids, the chunk length and the scratch layout. */
static void plan(cl *s) {
    const glc_convlstm_desc *r = s->r;
    s->xp_size = s->hp_size = 1;
    for (int a = 0; a < 3; a++) {
        s->xpd[a] = r->in[a] + r->pad_begin[a] + r->pad_end[a];
        s->hpd[a] = r->out[a] + r->rpad_begin[a] + r->rpad_end[a];
        s->xp_size *= s->xpd[a];
        s->hp_size *= s->hpd[a];
    }
    int64_t F = r->hidden, N = r->batch, per_step = N * 4 * F * r->out_size;
    s->tc = per_step > 0 ? GX_BUDGET / per_step : r->seq;
    if (s->tc > r->seq) s->tc = r->seq;
    if (s->tc < 1) s->tc = 1;
    s->off_hp = round16(r->channels * s->xp_size);
    s->off_cs = s->off_hp + round16(N * F * s->hp_size);
    s->off_gx = s->off_cs + round16(N * F * r->out_size);
    s->floats = s->off_gx + round16(s->tc * per_step);
}

uint64_t lower_convlstm_scratch(const cg_ctx *c, const glc_node *n) {
    glc_convlstm_desc r;
    glc_diag d;
    if (glc_convlstm_desc_read(c->g, n, &r, &d) != GLC_OK) return 0;
    cl s = {.r = &r};
    plan(&s);
    return (uint64_t)s.floats * sizeof(float);
}

glc_status lower_convlstm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_convlstm_desc r;
    GLC_TRY(glc_convlstm_desc_read(c->g, n, &r, c->d));
    cl s = {.c = c, .r = &r};
    plan(&s);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + 1);
    LLVMValueRef o[3] = {0}, in[8] = {0};
    for (int k = 0; k < n->n_out && k < 3; k++)
        if (n->out[k]) o[k] = LLVMGetParam(*fn, (unsigned)k);
    for (int i = 0; i < n->n_in && i < 8; i++)
        if (n->in[i]) in[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    s.y = o[0], s.yh = o[1], s.yc = o[2];
    s.x = in[GLC_CL_X], s.w = in[GLC_CL_W], s.rw = in[GLC_CL_R], s.bias = in[GLC_CL_B];
    s.sl = in[GLC_CL_SEQ_LENS], s.h0 = in[GLC_CL_INIT_H], s.c0 = in[GLC_CL_INIT_C];
    s.p = in[GLC_CL_P];
    LLVMValueRef scr = LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in));
    s.xp = scr;                                          /* (C, S + pads) */
    s.hp = cg_gep(c, c->f32, scr, cg_i64(c, s.off_hp));  /* (N, F, S' + pads) */
    s.cs = cg_gep(c, c->f32, scr, cg_i64(c, s.off_cs));  /* (N, F, S') */
    s.gx = cg_gep(c, c->f32, scr, cg_i64(c, s.off_gx));  /* (Tc, N, 4F, S') */
    LLVMBuildMemSet(c->b, s.xp, LLVMConstInt(c->i8, 0, 0),
                    cg_i64(c, r.channels * s.xp_size * 4), 4);
    for (s.d = 0; s.d < r.dirs; s.d++) {
        s.act = &r.acts[s.d * 3];
        emit_direction(&s);
    }
    cg_kernel_end(c);
    return GLC_OK;
}
