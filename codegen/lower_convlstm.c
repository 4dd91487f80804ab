/*
 * lower_convlstm.c -- code generation for glc.ConvLSTM, specialised to the node's static
 * shapes and attributes. Same equations as the reference kernel (ir/interp_convlstm.c,
 * which documents them); geometry from glc_convlstm_desc_read (ir/convlstm.h), normalised
 * to three spatial axes so one loop nest serves ranks 1, 2 and 3 (size-1 loops fold away).
 *
 * The input convolution does not depend on the recurrence, so it is computed for a chunk of
 * Tc steps of every sample before those steps run (Tc: the node's glc_hoist_steps, chosen by
 * the hoist-projections pass; absent, as at -O0: 1). Per direction d (unrolled at compile
 * time):
 *
 *   bs = Wb + Rb (when B is given); h = initial_h (or 0); cs = initial_c (or 0)
 *   for each chunk of steps [s0, s0 + Tc):
 *     for s in chunk, n in 0..N-1, s < len(n):                 t = reverse ? len-1-s : s
 *       gx[s - s0, n] = bs + W_d * X(t, n)                      the node's window
 *     for s in chunk, n in 0..N-1:
 *       s < len(n):  gx[s - s0, n] += R_d * h[n]                stride 1, SAME_UPPER
 *                    cell over (F, S'): cs[n], h[n], Y(t, d, n) updated
 *       else:        Y(s, d, n) = 0
 *   Y_h(d, n) = h[n], Y_c(d, n) = cs[n]
 * With Tc = 1 (nothing hoisted: one step's gates of all samples pass the budget, or -O0)
 * the steps run sample by sample instead: for each step, for each sample, its input
 * convolution, its recurrent convolution and its cell, through one sample's gx, which
 * stays in cache from the first product to the cell.
 *
 * Both convolutions are cg_conv_emit calls (codegen/lower_nn.c), so they run as im2col
 * matrix products through cg_gemm_emit, all four gates one 4F-row product, the weights
 * packed at compile time when they are constants. Scratch is workspace
 * (lower_convlstm_scratch, passed after the inputs), each part on a 64-byte boundary:
 *   bs (4F)               the summed biases of the direction being emitted
 *   h  (N, F, S')         the hidden state
 *   cs (N, F, S')         the cell state
 *   gx (Tc, N, 4F, S')    gate pre-activations (Tc = 1: (4F, S'), one sample's)
 *   cv                    the convolutions' scratch (im2col blocks, packing), shared
 * hoist-projections picks Tc so that gx fits its cache budget, so the workspace stays
 * bounded for long sequences. Unrequested outputs and absent inputs are
 * known statically and generate no code.
 *
 * Symbolic T and N (channels and the grids are static: infer_convlstm.c): the step and
 * sample loops, the offsets of X, Y and the states and the scratch layout are dims (cg_dim;
 * constants fold, so static shapes give exactly the code above). When either is symbolic
 * the pass leaves glc_hoist_steps -1 and Tc is min(T, max(1, budget / (N 4F S'))) at run
 * time, like the LSTM family's; a chunk past T (not a multiple, statically) is tested at
 * run time, and so is Tc = 1, which takes the sample-by-sample steps as a static Tc = 1
 * does (W1 at batch 8 otherwise ran each step's input convolutions of all samples first,
 * their gates making a round trip through memory). The convolutions and the cells do not
 * depend on T or N.
 */
#include "cg_impl.h"
#include "convlstm.h"

/* A sample's cell elements from which the cell runs as tasks, in runs of this many. */
enum { CELL_PAR_MIN = 8192, CELL_PAR_RUN = 256 };

typedef struct cl {
    cg_ctx *c;
    const glc_convlstm_desc *r;
    LLVMValueRef y, yh, yc;                     /* outputs, NULL if not requested */
    LLVMValueRef x, w, rw, bias, sl, h0, c0, p; /* inputs, NULL if absent */
    LLVMValueRef bs, h, cs, gx, cvs;            /* scratch */
    const float *w_host, *r_host;               /* constant W and R, or NULL */
    glc_conv_geom gin, grec;                    /* input and recurrent convolutions */
    glc_dim tc;                                 /* steps per chunk (glc_hoist_steps) */
    glc_dim off_h, off_cs, off_gx, off_cv;      /* scratch layout (floats) */
    glc_dim bytes;                              /* scratch size */
    int d;                                      /* direction being emitted */
    const glc_act *act;                         /* its f, g, h */
} cl;

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

/* A dim of the node (T, N and what depends on them may be symbolic) as an i64 value. */
static LLVMValueRef dimv(cl *s, glc_dim d) {
    return cg_dim(s->c, d);
}

static glc_dim dmul(cl *s, glc_dim a, int64_t k) {
    return glc_dim_mul(s->c->g, a, k);
}

/* Element offsets of X(t, n, 0...), Y(t, d, n, 0...), state(d, n, 0...) for runtime t, n. */
static LLVMValueRef x_off(cl *s, LLVMValueRef t, LLVMValueRef n) {
    const glc_convlstm_desc *r = s->r;
    int64_t CI = r->channels * r->in_size;
    if (r->layout)
        return cg_madd_v(s->c, n, dimv(s, dmul(s, r->seq, CI)), cg_madd(s->c, t, CI, NULL));
    return cg_madd_v(s->c, t, dimv(s, dmul(s, r->batch, CI)), cg_madd(s->c, n, CI, NULL));
}

static LLVMValueRef y_off(cl *s, LLVMValueRef t, LLVMValueRef n) {
    const glc_convlstm_desc *r = s->r;
    int64_t D = r->dirs, FP = r->hidden * r->out_size;
    cg_ctx *c = s->c;
    if (r->layout)
        return cg_madd_v(c, n, dimv(s, dmul(s, r->seq, D * FP)),
                         cg_madd(c, t, D * FP, cg_i64(c, s->d * FP)));
    return cg_madd_v(c, t, dimv(s, dmul(s, r->batch, D * FP)),
                     cg_madd(c, n, FP, dimv(s, dmul(s, r->batch, s->d * FP))));
}

static LLVMValueRef state_off(cl *s, LLVMValueRef n) {
    const glc_convlstm_desc *r = s->r;
    int64_t FP = r->hidden * r->out_size;
    if (r->layout) return cg_madd(s->c, n, r->dirs * FP, cg_i64(s->c, s->d * FP));
    return cg_madd(s->c, n, FP, dimv(s, dmul(s, r->batch, s->d * FP)));
}

/* min(max(sequence_lens[n], 0), T), or T without sequence_lens. */
static LLVMValueRef seq_len(cl *s, LLVMValueRef n) {
    cg_ctx *c = s->c;
    LLVMValueRef T = dimv(s, s->r->seq);
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

/* The two convolutions as Conv geometries of one sample: the node's spatial axes are the
 * last `rank` of the three normalised ones. */
static void conv_geoms(cl *s) {
    const glc_convlstm_desc *r = s->r;
    int R = r->rank, o = 3 - R;
    glc_conv_geom *gi = &s->gin, *gr = &s->grec;
    *gi = (glc_conv_geom){
        .nsp = R, .batch = 1, .c_in = r->channels, .c_out = 4 * r->hidden, .group = 1};
    *gr = (glc_conv_geom){
        .nsp = R, .batch = 1, .c_in = r->hidden, .c_out = 4 * r->hidden, .group = 1};
    for (int a = 0; a < R; a++) {
        gi->in[a] = r->in[o + a], gi->out[a] = r->out[o + a], gi->kernel[a] = r->k[o + a];
        gi->stride[a] = r->stride[o + a], gi->dilation[a] = r->dilation[o + a];
        gi->pad_begin[a] = r->pad_begin[o + a], gi->pad_end[a] = r->pad_end[o + a];
        gr->in[a] = gr->out[a] = r->out[o + a], gr->kernel[a] = r->rk[o + a];
        gr->stride[a] = gr->dilation[a] = 1;
        gr->pad_begin[a] = r->rpad_begin[o + a], gr->pad_end[a] = r->rpad_end[o + a];
    }
}

/* The input (rec false) or recurrent convolution of direction s->d, pointers unset. */
static cg_conv conv_of(const cl *s, bool rec) {
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden;
    const float *host = rec ? s->r_host : s->w_host;
    int64_t dw = s->d * 4 * F * (rec ? F * r->rk_size : r->channels * r->k_size);
    return (cg_conv){.geom = rec ? &s->grec : &s->gin, .w_const = host ? host + dw : NULL};
}

/* Offset of gx[sl, n, 0, 0]. */
static LLVMValueRef gx_off(cl *s, LLVMValueRef sl, LLVMValueRef n) {
    int64_t G = 4 * s->r->hidden * s->r->out_size;
    return cg_madd(s->c, cg_madd_v(s->c, sl, dimv(s, s->r->batch), n), G, NULL);
}

/* One convolution of this direction into gx at go: x at xoff of xbase, weights wbase. */
static glc_status conv_into_gx(cl *s, bool rec, LLVMValueRef go, LLVMValueRef xbase,
                               LLVMValueRef xoff, LLVMValueRef wbase) {
    cg_ctx *c = s->c;
    cg_conv cv = conv_of(s, rec);
    int64_t F = s->r->hidden;
    int64_t dw = s->d * 4 * F * (rec ? F * s->r->rk_size : s->r->channels * s->r->k_size);
    cv.y = cg_gep(c, c->f32, s->gx, go);
    cv.x = cg_gep(c, c->f32, xbase, xoff);
    cv.w = cg_gep(c, c->f32, wbase, cg_i64(c, dw));
    cv.bias = rec || !s->bias ? NULL : s->bs;
    cv.scratch = s->cvs;
    cv.accumulate = rec;
    return cg_conv_emit(c, &cv);
}

/* pre + P_d[blk, e] * cv (peephole block blk of i, o, f), or pre without P. */
static LLVMValueRef peep(cl *s, int blk, LLVMValueRef e, LLVMValueRef pre, LLVMValueRef cv) {
    if (!s->p) return pre;
    int64_t FP = s->r->hidden * s->r->out_size;
    LLVMValueRef pv = cg_ldf(s->c, s->p, cg_addk(s->c, e, (s->d * 3 + blk) * FP));
    return cg_fadd(s->c, pre, cg_fmul(s->c, pv, cv));
}

/* The elementwise cell of sample n over (F, S') as one flat loop; gates at gx[go...];
 * writes Y(t) if asked. From CELL_PAR_MIN elements the loop runs as tasks on the thread
 * pool, over runs of CELL_PAR_RUN elements (whole vectors, so every element takes the same
 * vector path whatever the split). */
static void cell(cl *s, LLVMValueRef go, LLVMValueRef n, LLVMValueRef t) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t FP = r->hidden * r->out_size, runs = (FP + CELL_PAR_RUN - 1) / CELL_PAR_RUN;
    LLVMValueRef *caps[] = {&s->y, &s->p, &s->cs, &s->gx, &s->h, &go, &n, &t};
    cg_par par;
    cg_par_begin(c, &par, runs, FP >= CELL_PAR_MIN, caps, (int)(sizeof caps / sizeof caps[0]),
                 "par");
    LLVMValueRef e0 = cg_madd(c, par.lo, CELL_PAR_RUN, NULL);
    LLVMValueRef e1 = cg_madd(c, par.hi, CELL_PAR_RUN, NULL);
    LLVMValueRef fpv = cg_i64(c, FP);
    e1 = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, e1, fpv, ""), e1, fpv, "");
    cg_loop le;
    LLVMValueRef yb = s->y ? y_off(s, t, n) : NULL;
    LLVMValueRef sb = cg_madd(c, n, FP, NULL);
    LLVMValueRef e = cg_loop_range(c, &le, e0, e1);
    LLVMValueRef ge = cg_iadd(c, go, e), se = cg_iadd(c, sb, e);
    LLVMValueRef cv = cg_ldf(c, s->cs, se);
    LLVMValueRef i = act(s, 0, peep(s, 0, e, cg_ldf(c, s->gx, ge), cv));
    LLVMValueRef fg = act(s, 0, peep(s, 2, e, cg_ldf(c, s->gx, cg_addk(c, ge, 2 * FP)), cv));
    LLVMValueRef g = act(s, 1, cg_ldf(c, s->gx, cg_addk(c, ge, 3 * FP)));
    LLVMValueRef cn = cg_fadd(c, cg_fmul(c, fg, cv), cg_fmul(c, i, g));
    LLVMValueRef o = act(s, 0, peep(s, 1, e, cg_ldf(c, s->gx, cg_addk(c, ge, FP)), cn));
    LLVMValueRef h = cg_fmul(c, o, cg_act_emit(c, &s->act[2], cn));
    cg_stf(c, cn, s->cs, se);
    cg_stf(c, h, s->h, se);
    if (yb) cg_stf(c, h, s->y, cg_iadd(c, yb, e));
    cg_cell_loop_end(c, &le, FP);
    cg_par_end(c, &par);
}

/* dst[doff + j] = 0 for j < count. */
static void zero_run(cl *s, LLVMValueRef dst, LLVMValueRef doff, int64_t count) {
    cg_loop l;
    LLVMValueRef j = cg_loop_begin(s->c, &l, count);
    cg_stf(s->c, cg_f32(s->c, 0.0), dst, cg_iadd(s->c, doff, j));
    cg_loop_end(s->c, &l);
}

/* Step st for every sample: (with_input: the input conv into the one sample's gx at 0,
 * else the hoisted gx of chunk row sl) recurrent conv, cell, Y; or zeros past len. */
static glc_status step_samples(cl *s, LLVMValueRef sl, LLVMValueRef st_, bool with_input) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t FP = r->hidden * r->out_size;
    cg_loop ln;
    cg_if fi;
    LLVMValueRef n = cg_loop_begin_v(c, &ln, dimv(s, r->batch));
    LLVMValueRef len = seq_len(s, n);
    cg_if_begin(c, &fi, LLVMBuildICmp(c->b, LLVMIntSLT, st_, len, ""));
    LLVMValueRef t = time_of(s, st_, len), go = with_input ? cg_i64(c, 0) : gx_off(s, sl, n);
    glc_status st = GLC_OK;
    if (with_input) st = conv_into_gx(s, false, go, s->x, x_off(s, t, n), s->w);
    if (st == GLC_OK) st = conv_into_gx(s, true, go, s->h, cg_madd(c, n, FP, NULL), s->rw);
    cell(s, go, n, t);
    cg_if_else(c, &fi);
    if (s->y) zero_run(s, s->y, y_off(s, st_, n), FP);
    cg_if_end(c, &fi);
    cg_loop_end(c, &ln);
    return st;
}

/* Step st (= s0 + sl) of a hoisted chunk for every sample. */
static glc_status recur(cl *s, LLVMValueRef sl, LLVMValueRef st_) {
    return step_samples(s, sl, st_, false);
}

/* Step st for every sample with st < len: the input convolution into gx[sl]. */
static glc_status hoist(cl *s, LLVMValueRef sl, LLVMValueRef st_) {
    cg_ctx *c = s->c;
    cg_loop ln;
    cg_if fi;
    LLVMValueRef n = cg_loop_begin_v(c, &ln, dimv(s, s->r->batch));
    LLVMValueRef len = seq_len(s, n);
    cg_if_begin(c, &fi, LLVMBuildICmp(c->b, LLVMIntSLT, st_, len, ""));
    glc_status st =
        conv_into_gx(s, false, gx_off(s, sl, n), s->x, x_off(s, time_of(s, st_, len), n), s->w);
    cg_if_else(c, &fi);
    cg_if_end(c, &fi);
    cg_loop_end(c, &ln);
    return st;
}

/* for sl < tc with st = s0 + sl < T: body(sl, st). */
static glc_status chunk_steps(cl *s, LLVMValueRef s0,
                              glc_status (*body)(cl *, LLVMValueRef, LLVMValueRef)) {
    cg_ctx *c = s->c;
    cg_loop l;
    cg_if fi;
    LLVMValueRef sl = cg_loop_begin_v(c, &l, dimv(s, s->tc));
    LLVMValueRef st_ = cg_iadd(c, s0, sl);
    bool ragged = glc_dim_mod(c->g, s->r->seq, s->tc) != 0; /* 0: a multiple, statically */
    if (ragged) cg_if_begin(c, &fi, LLVMBuildICmp(c->b, LLVMIntSLT, st_, dimv(s, s->r->seq), ""));
    glc_status st = body(s, sl, st_);
    if (ragged) {
        cg_if_else(c, &fi);
        cg_if_end(c, &fi);
    }
    cg_loop_end(c, &l);
    return st;
}

/* bs = Wb + Rb of this direction; h = initial_h[d] or 0, cs = initial_c[d] or 0. */
static void init_state(cl *s) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t F = r->hidden, FP = F * r->out_size;
    cg_loop lm, ln, le;
    if (s->bias) {
        LLVMValueRef m = cg_loop_begin(c, &lm, 4 * F);
        LLVMValueRef bi = cg_addk(c, m, s->d * 8 * F);
        cg_stf(c, cg_fadd(c, cg_ldf(c, s->bias, bi), cg_ldf(c, s->bias, cg_addk(c, bi, 4 * F))),
               s->bs, m);
        cg_loop_end(c, &lm);
    }
    LLVMValueRef n = cg_loop_begin_v(c, &ln, dimv(s, r->batch));
    LLVMValueRef so = state_off(s, n), sb = cg_madd(c, n, FP, NULL);
    LLVMValueRef e = cg_loop_begin(c, &le, FP);
    LLVMValueRef se = cg_iadd(c, sb, e), ie = cg_iadd(c, so, e);
    cg_stf(c, s->h0 ? cg_ldf(c, s->h0, ie) : cg_f32(c, 0.0), s->h, se);
    cg_stf(c, s->c0 ? cg_ldf(c, s->c0, ie) : cg_f32(c, 0.0), s->cs, se);
    cg_loop_end(c, &le);
    cg_loop_end(c, &ln);
}

/* Y_h = h, Y_c = cs. */
static void write_states(cl *s) {
    cg_ctx *c = s->c;
    const glc_convlstm_desc *r = s->r;
    int64_t FP = r->hidden * r->out_size;
    if (!s->yh && !s->yc) return;
    cg_loop ln, le;
    LLVMValueRef n = cg_loop_begin_v(c, &ln, dimv(s, r->batch));
    LLVMValueRef so = state_off(s, n), sb = cg_madd(c, n, FP, NULL);
    LLVMValueRef e = cg_loop_begin(c, &le, FP);
    LLVMValueRef se = cg_iadd(c, sb, e), oe = cg_iadd(c, so, e);
    if (s->yh) cg_stf(c, cg_ldf(c, s->h, se), s->yh, oe);
    if (s->yc) cg_stf(c, cg_ldf(c, s->cs, se), s->yc, oe);
    cg_loop_end(c, &le);
    cg_loop_end(c, &ln);
}

/* Unhoisted (Tc = 1): per step, each sample in turn runs its input convolution, its
 * recurrent convolution and its cell, so one sample's gates (gx at 0) stay in cache from
 * the first product to the cell instead of every sample's passing through memory. */
static glc_status emit_steps_by_sample(cl *s) {
    cg_loop lt;
    LLVMValueRef st_ = cg_loop_begin_v(s->c, &lt, dimv(s, s->r->seq));
    glc_status st = step_samples(s, NULL, st_, true);
    cg_loop_end(s->c, &lt);
    return st;
}

/* Hoisted: per chunk of Tc steps, the input convolutions of its steps, then the steps. */
static glc_status emit_chunks(cl *s) {
    cg_ctx *c = s->c;
    cg_loop lc;
    LLVMValueRef ci = cg_loop_begin_v(c, &lc, dimv(s, glc_dim_ceildiv(c->g, s->r->seq, s->tc)));
    LLVMValueRef s0 = cg_madd_v(c, ci, dimv(s, s->tc), NULL);
    glc_status st = chunk_steps(s, s0, hoist);
    if (st == GLC_OK) st = chunk_steps(s, s0, recur);
    cg_loop_end(c, &lc);
    return st;
}

static glc_status emit_direction(cl *s) {
    cg_ctx *c = s->c;
    init_state(s);
    glc_status st;
    if (s->tc == 1) {
        st = emit_steps_by_sample(s);
    } else if (glc_dim_is_sym(s->tc)) { /* Tc = 1 at run time: as a static Tc = 1 */
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntEQ, dimv(s, s->tc), cg_i64(c, 1), ""));
        st = emit_steps_by_sample(s);
        cg_if_else(c, &f);
        if (st == GLC_OK) st = emit_chunks(s);
        cg_if_end(c, &f);
    } else {
        st = emit_chunks(s);
    }
    write_states(s);
    return st;
}

static glc_dim round16(const glc_graph *g, glc_dim n) {
    return glc_dim_mul(g, glc_dim_ceildiv(g, n, 16), 16);
}

/* Steps per hoisted chunk: glc_hoist_steps (passes/hoist_projections.c; -1: the budget
 * over the run-time batch; absent, as at -O0: 1), within [1, T] (1 when T = 0). */
static glc_dim steps_per_chunk(const glc_graph *g, const glc_node *n, const glc_convlstm_desc *r) {
    glc_dim tc = cg_hoist_chunk_max(g, n, glc_dim_mul(g, r->batch, 4 * r->hidden * r->out_size));
    return glc_dim_max(g, glc_dim_min(g, tc, r->seq), 1);
}

/* Geometries, the chunk length and the scratch layout (dims: T and N may be symbolic). */
static void plan(cl *s, const cg_ctx *c, const glc_node *n) {
    const glc_convlstm_desc *r = s->r;
    const glc_graph *g = c->g;
    conv_geoms(s);
    int64_t F = r->hidden, G = 4 * F * r->out_size;
    glc_dim NFP = glc_dim_mul(g, r->batch, F * r->out_size);
    s->tc = steps_per_chunk(g, n, r);
    s->off_h = round16(g, 4 * F);
    s->off_cs = glc_dim_add(g, s->off_h, round16(g, NFP));
    s->off_gx = glc_dim_add(g, s->off_cs, round16(g, NFP));
    /* unhoisted (one step a chunk): one sample's gates at a time */
    glc_dim gx = s->tc == 1 ? G : glc_dim_mul(g, s->tc, glc_dim_mul(g, r->batch, G));
    s->off_cv = glc_dim_add(g, s->off_gx, round16(g, gx));
    uint64_t cv = 0;
    for (s->d = 0; s->d < r->dirs; s->d++)
        for (int rec = 0; rec < 2; rec++) {
            cg_conv k = conv_of(s, rec);
            uint64_t b = cg_conv_scratch_bytes(c, &k);
            if (b > cv) cv = b;
        }
    s->d = 0;
    s->bytes = glc_dim_add(g, glc_dim_mul(g, s->off_cv, (glc_dim)sizeof(float)), (glc_dim)cv);
}

static const float *const_f32(const cg_ctx *c, const glc_node *n, int i) {
    const glc_value *v = n->n_in > i && n->in[i] ? glc_node_input(c->g, n, i) : NULL;
    return v && v->data ? (const float *)v->data : NULL;
}

glc_dim lower_convlstm_scratch(const cg_ctx *c, const glc_node *n) {
    glc_convlstm_desc r;
    glc_diag d;
    if (glc_convlstm_desc_read(c->g, n, &r, &d) != GLC_OK) return 0;
    cl s = {.r = &r, .w_host = const_f32(c, n, GLC_CL_W), .r_host = const_f32(c, n, GLC_CL_R)};
    plan(&s, c, n);
    return s.bytes;
}

glc_status lower_convlstm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_convlstm_desc r;
    GLC_TRY(glc_convlstm_desc_read(c->g, n, &r, c->d));
    cl s = {
        .c = c, .r = &r, .w_host = const_f32(c, n, GLC_CL_W), .r_host = const_f32(c, n, GLC_CL_R)};
    plan(&s, c, n);
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
    s.bs = scr;                                         /* (4F) */
    s.h = cg_gep(c, c->f32, scr, cg_dim(c, s.off_h));   /* (N, F, S') */
    s.cs = cg_gep(c, c->f32, scr, cg_dim(c, s.off_cs)); /* (N, F, S') */
    s.gx = cg_gep(c, c->f32, scr, cg_dim(c, s.off_gx)); /* (Tc, N, 4F, S') */
    s.cvs = s.bytes != glc_dim_mul(c->g, s.off_cv, (glc_dim)sizeof(float))
                ? cg_gep(c, c->f32, scr, cg_dim(c, s.off_cv))
                : NULL; /* convolution scratch */
    for (s.d = 0; s.d < r.dirs; s.d++) {
        s.act = &r.acts[s.d * 3];
        GLC_TRY(emit_direction(&s));
    }
    cg_kernel_end(c);
    return GLC_OK;
}
