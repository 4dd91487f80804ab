/*
 * conv_rt.c -- convolutions whose sizes are known only at run time: the paths cg_conv_emit
 * (lower_nn.c) takes when a geometry has symbolic dims other than its batch (an image of
 * symbolic width, a kernel or channel count of weights fed at run time). Same contract as
 * cg_conv_emit; every symbolic size is evaluated at run time (cg_dim), stride, dilation and
 * group are static.
 *
 * Matrix products (static kernel and channel counts, at least RT_GEMM_MIN_M output channels
 * per group). The output positions P = prod(out) are the symbolic extent, so they become
 * the product's rows, the one extent cg_gemm takes at run time, and the weights stay its
 * static operand (packed at compile time when constant). Per sample b, group gi and block
 * of positions [q0, q0 + np), np = min(NB, P - q0):
 *   col (kc, NB)   im2col of the block: col[(c, taps j), i] = x at position q0 + i for tap j
 *                  or 0 in the padding (the first np columns; the row stride NB is static)
 *   Yt (np, mpg)   = col^T W[gi]^T                        cg_gemm: Mv = np, N = mpg, K = kc
 *   y[b, gi*mpg + m, q0 + i] (=, or +=) Yt[i, m] (+ bias)  in tiles of RT_TILE positions
 * NB is static (col and Yt within RT_COL_BUDGET), so the node's scratch is static too. A col
 * row is built by walking the block as runs along the last output axis (a line, or the
 * part of one the block holds): per run, a test that the outer coordinates are inside the
 * input (else zeros), then zeros, the copy of the tap's valid outputs (a range computed
 * once per row from the tap: no test per element), zeros. The im2col splits into tasks over
 * input channels, the product over column panels (cg_gemm), the transposition over output
 * channels. Sums run in the product's order.
 *
 * Direct (anything else: few output channels per group, a symbolic kernel or channel count,
 * or bf16 products, which take no run-time rows): lower_nn.c's direct loop nest with every
 * bound computed at run time. One item per (sample, output channel, row of output axis 0),
 * split into tasks:
 *   row[:] = bias[m] or 0 (accumulate: += bias[m], or nothing)
 *   for c < C/group, outer taps j_i in [ceil(-s_i / d_i), ceil((in_i - s_i) / d_i)) clipped
 *   to [0, k_i) (s_i = o_i*stride_i - pad_begin_i), j_L < k_L:
 *     for ow in [ceil(-t / stride_L), ceil((in_L - t) / stride_L)) clipped to [0, out_L)
 *     (t = j_L*dilation_L - pad_begin_L):  row[ow] += w * x[..., ow*stride_L + t]
 * so each output sums bias, then channel by channel its taps in row-major order: the
 * interpreter's order, bit for bit.
 */
#include "cg_impl.h"

#include <string.h>

#define RT_GEMM_MIN_M 4         /* output channels per group for products (lower_nn.c's) */
#define RT_GROUP_UNROLL 8       /* groups emitted one product each (lower_nn.c's) */
#define RT_COL_BUDGET (4 << 20) /* bytes of one block's col and Yt */
#define RT_PAR_MIN (1 << 18)    /* bytes of col or Yt from which tasks build or read it */
#define RT_TILE 64              /* positions per tile of Yt's transposition */

/* The sizes of a geometry as i64 values (constants stay constants). */
typedef struct rt_geom {
    LLVMValueRef batch, c_in, c_out, cpg, mpg, xn, yn, in_plane, out_plane, ntaps;
    LLVMValueRef in[GLC_MAX_RANK], out[GLC_MAX_RANK], k[GLC_MAX_RANK], pb[GLC_MAX_RANK];
    LLVMValueRef xs[GLC_MAX_RANK], ys[GLC_MAX_RANK], ks[GLC_MAX_RANK]; /* strides */
} rt_geom;

static LLVMValueRef add(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildNSWAdd(c->b, a, b, "");
}

static LLVMValueRef sub(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildNSWSub(c->b, a, b, "");
}

static LLVMValueRef mul(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildNSWMul(c->b, a, b, "");
}

static LLVMValueRef smin(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, a, b, ""), a, b, "");
}

static LLVMValueRef smax(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, a, b, ""), a, b, "");
}

/* floor(a / k) and ceil(a / k) for a static k >= 1 and any sign of a. */
static LLVMValueRef fdiv(cg_ctx *c, LLVMValueRef a, int64_t k) {
    if (k == 1) return a;
    LLVMValueRef kv = cg_i64(c, k);
    LLVMValueRef q = LLVMBuildSDiv(c->b, a, kv, ""), r = LLVMBuildSRem(c->b, a, kv, "");
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, r, cg_i64(c, 0), "");
    return LLVMBuildSub(c->b, q, LLVMBuildZExt(c->b, neg, c->i64, ""), "");
}

static LLVMValueRef cdiv(cg_ctx *c, LLVMValueRef a, int64_t k) {
    return fdiv(c, cg_addk(c, a, k - 1), k);
}

/* [lo, hi) of the v in [0, n) with 0 <= base + v*step < in (step >= 1); empty if hi <= lo. */
static void valid_range(cg_ctx *c, LLVMValueRef base, int64_t step, LLVMValueRef in, LLVMValueRef n,
                        LLVMValueRef *lo, LLVMValueRef *hi) {
    *lo = smax(c, cg_i64(c, 0), cdiv(c, LLVMBuildNeg(c->b, base, ""), step));
    *hi = smin(c, n, cdiv(c, sub(c, in, base), step));
}

/* The sizes of cv's geometry at the builder position (in a task: from its symbols). */
static void rt_load(cg_ctx *c, const cg_conv *cv, rt_geom *r) {
    const glc_conv_geom *g = cv->geom;
    int n = g->nsp;
    r->batch = cg_dim(c, g->batch);
    r->c_in = cg_dim(c, g->c_in);
    r->c_out = cg_dim(c, g->c_out);
    r->cpg = cg_dim(c, glc_dim_floordiv(c->g, g->c_in, g->group));
    r->mpg = cg_dim(c, glc_dim_floordiv(c->g, g->c_out, g->group));
    for (int i = 0; i < n; i++) {
        r->in[i] = cg_dim(c, g->in[i]);
        r->out[i] = cg_dim(c, g->out[i]);
        r->k[i] = cg_dim(c, g->kernel[i]);
        r->pb[i] = cg_dim(c, g->pad_begin[i]);
    }
    cg_strides_dim(c, n, g->in, r->xs);
    cg_strides_dim(c, n, g->out, r->ys);
    cg_strides_dim(c, n, g->kernel, r->ks);
    r->in_plane = mul(c, r->xs[0], r->in[0]);
    r->out_plane = mul(c, r->ys[0], r->out[0]);
    r->ntaps = mul(c, r->ks[0], r->k[0]);
    r->xn = cv->x_nstride ? cg_i64(c, cv->x_nstride) : mul(c, r->c_in, r->in_plane);
    r->yn = cv->y_nstride ? cg_i64(c, cv->y_nstride) : mul(c, r->c_out, r->out_plane);
}

/* p[off + q] = 0 for q in [lo, hi). */
static void zero_span(cg_ctx *c, LLVMValueRef p, LLVMValueRef off, LLVMValueRef lo,
                      LLVMValueRef hi) {
    cg_loop l;
    LLVMValueRef q = cg_loop_range(c, &l, lo, hi);
    cg_stf(c, cg_f32(c, 0.0), p, add(c, off, q));
    cg_loop_end(c, &l);
}

/* ---- direct ----------------------------------------------------------------------------- */

typedef struct rt_dir {
    const cg_conv *a;
    rt_geom r;
    LLVMValueRef o[GLC_MAX_RANK]; /* current outer output indices */
    LLVMValueRef yrow, bias_m;
} rt_dir;

/* The last axis's taps and, per tap, its valid outputs of the row. */
static void dir_last(cg_ctx *c, const rt_dir *s, LLVMValueRef xoff, LLVMValueRef woff) {
    const glc_conv_geom *g = s->a->geom;
    int L = g->nsp - 1;
    cg_loop lj, lo;
    LLVMValueRef j = cg_loop_begin_v(c, &lj, s->r.k[L]);
    LLVMValueRef w = cg_ldf(c, s->a->w, add(c, woff, j));
    LLVMValueRef t = sub(c, cg_madd(c, j, g->dilation[L], NULL), s->r.pb[L]);
    LLVMValueRef ob, oe;
    valid_range(c, t, g->stride[L], s->r.in[L], s->r.out[L], &ob, &oe);
    LLVMValueRef ow = cg_loop_range(c, &lo, ob, oe);
    LLVMValueRef xi = add(c, xoff, cg_madd(c, ow, g->stride[L], t));
    LLVMValueRef yi = add(c, s->yrow, ow);
    LLVMValueRef prod = LLVMBuildFMul(c->b, w, cg_ldf(c, s->a->x, xi), "");
    cg_stf(c, LLVMBuildFAdd(c->b, cg_ldf(c, s->a->y, yi), prod, ""), s->a->y, yi);
    cg_loop_end(c, &lo);
    cg_loop_end(c, &lj);
}

/* Tap loops of the outer axes from depth i (each over its taps inside the input). */
static void dir_taps(cg_ctx *c, const rt_dir *s, int i, LLVMValueRef xoff, LLVMValueRef woff) {
    const glc_conv_geom *g = s->a->geom;
    if (i == g->nsp - 1) {
        dir_last(c, s, xoff, woff);
        return;
    }
    LLVMValueRef start = sub(c, cg_madd(c, s->o[i], g->stride[i], NULL), s->r.pb[i]);
    LLVMValueRef lo, hi;
    valid_range(c, start, g->dilation[i], s->r.in[i], s->r.k[i], &lo, &hi);
    cg_loop l;
    LLVMValueRef j = cg_loop_range(c, &l, lo, hi);
    LLVMValueRef p = add(c, start, cg_madd(c, j, g->dilation[i], NULL));
    dir_taps(c, s, i + 1, add(c, xoff, mul(c, p, s->r.xs[i])), add(c, woff, mul(c, j, s->r.ks[i])));
    cg_loop_end(c, &l);
}

/* Output rows of the outer axes from depth i; at the last axis one row: init, channels. */
static void dir_rows(cg_ctx *c, rt_dir *s, int i, LLVMValueRef yoff, LLVMValueRef xgroup,
                     LLVMValueRef wm) {
    const glc_conv_geom *g = s->a->geom;
    int L = g->nsp - 1;
    cg_loop l;
    if (i < L) {
        s->o[i] = cg_loop_begin_v(c, &l, s->r.out[i]);
        dir_rows(c, s, i + 1, add(c, yoff, mul(c, s->o[i], s->r.ys[i])), xgroup, wm);
        cg_loop_end(c, &l);
        return;
    }
    s->yrow = yoff;
    if (!s->a->accumulate || s->bias_m) {
        LLVMValueRef ow = cg_loop_begin_v(c, &l, s->r.out[L]);
        LLVMValueRef yi = add(c, yoff, ow);
        LLVMValueRef v = s->bias_m ? s->bias_m : cg_f32(c, 0.0);
        if (s->a->accumulate) v = LLVMBuildFAdd(c->b, cg_ldf(c, s->a->y, yi), v, "");
        cg_stf(c, v, s->a->y, yi);
        cg_loop_end(c, &l);
    }
    LLVMValueRef ch = cg_loop_begin_v(c, &l, s->r.cpg);
    dir_taps(c, s, 0, add(c, xgroup, mul(c, ch, s->r.in_plane)),
             add(c, wm, mul(c, ch, s->r.ntaps)));
    cg_loop_end(c, &l);
}

static glc_status rt_direct(cg_ctx *c, const cg_conv *cv) {
    const glc_conv_geom *g = cv->geom;
    cg_conv a = *cv;
    rt_dir s = {.a = &a};
    rt_load(c, &a, &s.r);
    LLVMValueRef rows = g->nsp > 1 ? s.r.out[0] : cg_i64(c, 1);
    LLVMValueRef items = mul(c, mul(c, s.r.batch, s.r.c_out), rows);
    LLVMValueRef *caps[] = {&a.x, &a.w, &a.y, &a.bias};
    cg_par par;
    cg_par_begin_v(c, &par, items, true, caps, 4, "direct.rt");
    rt_load(c, &a, &s.r); /* the task's own values */
    rows = g->nsp > 1 ? s.r.out[0] : cg_i64(c, 1);
    cg_loop li;
    LLVMValueRef it = cg_loop_range(c, &li, par.lo, par.hi);
    LLVMValueRef o0 = LLVMBuildURem(c->b, it, rows, ""), bm = LLVMBuildUDiv(c->b, it, rows, "");
    LLVMValueRef m = LLVMBuildURem(c->b, bm, s.r.c_out, "");
    LLVMValueRef b = LLVMBuildUDiv(c->b, bm, s.r.c_out, "");
    LLVMValueRef gi = LLVMBuildUDiv(c->b, m, s.r.mpg, "");
    LLVMValueRef xgroup = add(c, mul(c, b, s.r.xn), mul(c, mul(c, gi, s.r.cpg), s.r.in_plane));
    LLVMValueRef wm = mul(c, mul(c, m, s.r.cpg), s.r.ntaps);
    s.bias_m = a.bias ? cg_ldf(c, a.bias, m) : NULL;
    LLVMValueRef yoff = add(c, mul(c, b, s.r.yn), mul(c, m, s.r.out_plane));
    if (g->nsp == 1) {
        dir_rows(c, &s, 0, yoff, xgroup, wm);
    } else {
        s.o[0] = o0;
        dir_rows(c, &s, 1, add(c, yoff, mul(c, o0, s.r.ys[0])), xgroup, wm);
    }
    cg_loop_end(c, &li);
    cg_par_end(c, &par);
    return GLC_OK;
}

/* ---- matrix products ---------------------------------------------------------------------- */

typedef struct rt_plan {
    bool gemm;
    int64_t mpg, cpg, ntaps, kc, nb; /* nb: positions per block (NB) */
    int64_t ks[GLC_MAX_RANK];        /* kernel strides */
    uint64_t col_bytes, yt_bytes, gemm_bytes;
} rt_plan;

static uint64_t round64(uint64_t n) {
    return (n + 63) / 64 * 64;
}

/* The product of group k's block (pointers and Mv set by the caller). */
static cg_gemm rt_product(const cg_conv *cv, const rt_plan *pl, int64_t k, bool unroll) {
    cg_gemm g = {.M = pl->nb,
                 .N = pl->mpg,
                 .K = pl->kc,
                 .a_rs = 1,
                 .a_cs = pl->nb,
                 .b_rs = 1,
                 .b_cs = pl->kc,
                 .y_rs = pl->mpg};
    if (unroll && cv->w_const) g.b_const = cv->w_const + k * pl->mpg * pl->kc;
    return g;
}

static void rt_plan_make(const cg_ctx *c, const cg_conv *cv, rt_plan *pl) {
    const glc_conv_geom *g = cv->geom;
    memset(pl, 0, sizeof *pl);
    bool d16 = c->o->bf16_dot && c->avx512bf16; /* cg_gemm takes no run-time rows then */
    if (d16 || glc_dim_is_sym(g->c_in) || glc_dim_is_sym(g->c_out) ||
        glc_dims_symbolic(g->nsp, g->kernel))
        return;
    pl->mpg = g->c_out / g->group;
    if (pl->mpg < RT_GEMM_MIN_M) return;
    pl->gemm = true;
    pl->cpg = g->c_in / g->group;
    cg_strides(g->nsp, g->kernel, pl->ks);
    pl->ntaps = pl->ks[0] * g->kernel[0];
    pl->kc = pl->cpg * pl->ntaps;
    int64_t nb = RT_COL_BUDGET / ((pl->kc + pl->mpg) * 4) / 16 * 16, most;
    if (nb < 16) nb = 16;
    glc_dim P = glc_dim_prod(c->g, g->out, 0, g->nsp);
    if (glc_dim_upper_bound(c->g, P, &most) && most < nb) nb = (most + 15) / 16 * 16;
    pl->nb = nb;
    pl->col_bytes = round64((uint64_t)(pl->kc * nb) * 4);
    pl->yt_bytes = round64((uint64_t)(nb * pl->mpg) * 4);
    cg_gemm gm = rt_product(cv, pl, 0, false);
    gm.M = -1; /* run-time rows, planning */
    pl->gemm_bytes = cg_gemm_scratch_bytes(c, &gm);
}

/* One im2col block: positions [q0, q0 + np) of group xg (x offset of its first channel). */
typedef struct rt_col {
    const rt_plan *pl;
    cg_conv a;
    rt_geom r;
    LLVMValueRef col, xg, q0, np;
    LLVMValueRef o0[GLC_MAX_RANK]; /* coordinates of position q0 */
    LLVMValueRef j[GLC_MAX_RANK];  /* current taps */
} rt_col;

/* One run: col[base + q] for q < len, the outputs [a, a + len) of one line whose x offset
 * (outer coordinates applied) is xoff; [olo, ohi) are the tap's valid outputs. */
static void col_run(cg_ctx *c, const rt_col *m, LLVMValueRef base, LLVMValueRef a, LLVMValueRef len,
                    LLVMValueRef xoff, LLVMValueRef olo, LLVMValueRef ohi, LLVMValueRef t) {
    const glc_conv_geom *g = m->a.geom;
    int L = g->nsp - 1;
    LLVMValueRef zero = cg_i64(c, 0);
    LLVMValueRef lo = smin(c, smax(c, sub(c, olo, a), zero), len);
    LLVMValueRef hi = smin(c, smax(c, sub(c, ohi, a), lo), len);
    zero_span(c, m->col, base, zero, lo);
    LLVMValueRef x0 = add(c, xoff, cg_madd(c, a, g->stride[L], t)); /* x of output a */
    cg_loop l;
    LLVMValueRef q = cg_loop_range(c, &l, lo, hi);
    cg_stf(c, cg_ldf(c, m->a.x, add(c, x0, cg_madd(c, q, g->stride[L], NULL))), m->col,
           add(c, base, q));
    cg_loop_end(c, &l);
    zero_span(c, m->col, base, hi, len);
}

/* Coordinates oc[0..L) += 1 with carry (the next line). */
static void next_line(cg_ctx *c, const rt_col *m, LLVMValueRef *oc) {
    int L = m->a.geom->nsp - 1;
    LLVMValueRef carry = cg_i64(c, 1);
    for (int i = L - 1; i >= 0; i--) {
        LLVMValueRef v = add(c, LLVMBuildLoad2(c->b, c->i64, oc[i], ""), carry);
        LLVMValueRef wrap = LLVMBuildICmp(c->b, LLVMIntEQ, v, m->r.out[i], "");
        LLVMBuildStore(c->b, LLVMBuildSelect(c->b, wrap, cg_i64(c, 0), v, ""), oc[i]);
        carry = LLVMBuildZExt(c->b, wrap, c->i64, "");
    }
}

/* col row `row` (taps m->j, channel at x offset xch): the block's runs in turn. */
static void col_row(cg_ctx *c, const rt_col *m, LLVMValueRef row, LLVMValueRef xch) {
    const glc_conv_geom *g = m->a.geom;
    int L = g->nsp - 1;
    LLVMValueRef coff = cg_madd(c, row, m->pl->nb, NULL);
    LLVMValueRef t = sub(c, cg_madd(c, m->j[L], g->dilation[L], NULL), m->r.pb[L]);
    LLVMValueRef olo, ohi;
    valid_range(c, t, g->stride[L], m->r.in[L], m->r.out[L], &olo, &ohi);
    LLVMValueRef pos = cg_alloca_entry(c, c->i64), oc[GLC_MAX_RANK];
    LLVMBuildStore(c->b, cg_i64(c, 0), pos);
    for (int i = 0; i <= L; i++) {
        oc[i] = cg_alloca_entry(c, c->i64);
        LLVMBuildStore(c->b, m->o0[i], oc[i]);
    }
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
    LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(c->ctx, fn, "run");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "run.body");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, fn, "run.done");
    LLVMBuildBr(c->b, head);
    LLVMPositionBuilderAtEnd(c->b, head);
    LLVMValueRef p = LLVMBuildLoad2(c->b, c->i64, pos, "");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, p, m->np, ""), body, done);
    LLVMPositionBuilderAtEnd(c->b, body);
    LLVMValueRef a = LLVMBuildLoad2(c->b, c->i64, oc[L], "");
    LLVMValueRef len = smin(c, sub(c, m->r.out[L], a), sub(c, m->np, p));
    LLVMValueRef inside = NULL, xoff = xch;
    for (int i = 0; i < L; i++) {
        LLVMValueRef o = LLVMBuildLoad2(c->b, c->i64, oc[i], "");
        LLVMValueRef pi = sub(
            c, cg_madd(c, o, g->stride[i], cg_madd(c, m->j[i], g->dilation[i], NULL)), m->r.pb[i]);
        LLVMValueRef ok = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntSGE, pi, cg_i64(c, 0), ""),
                                       LLVMBuildICmp(c->b, LLVMIntSLT, pi, m->r.in[i], ""), "");
        inside = inside ? LLVMBuildAnd(c->b, inside, ok, "") : ok;
        xoff = add(c, xoff, mul(c, pi, m->r.xs[i]));
    }
    LLVMValueRef base = add(c, coff, p);
    if (inside) {
        cg_if f;
        cg_if_begin(c, &f, inside);
        col_run(c, m, base, a, len, xoff, olo, ohi, t);
        cg_if_else(c, &f);
        zero_span(c, m->col, base, cg_i64(c, 0), len);
        cg_if_end(c, &f);
    } else {
        col_run(c, m, base, a, len, xoff, olo, ohi, t);
    }
    LLVMBuildStore(c->b, add(c, p, len), pos);
    LLVMBuildStore(c->b, cg_i64(c, 0), oc[L]);
    next_line(c, m, oc);
    LLVMBuildBr(c->b, head);
    LLVMPositionBuilderAtEnd(c->b, done);
}

/* Tap loops from axis i (static kernel); row: the col row so far. */
static void col_taps(cg_ctx *c, rt_col *m, int i, LLVMValueRef row, LLVMValueRef xch) {
    const glc_conv_geom *g = m->a.geom;
    if (i == g->nsp) {
        col_row(c, m, row, xch);
        return;
    }
    cg_loop l;
    m->j[i] = cg_loop_begin(c, &l, g->kernel[i]);
    col_taps(c, m, i + 1, cg_madd(c, m->j[i], m->pl->ks[i], row), xch);
    cg_loop_end(c, &l);
}

/* col of the block [q0, q0 + np), its input channels split into tasks when col is large. */
static void rt_im2col(cg_ctx *c, const cg_conv *cv, const rt_plan *pl, LLVMValueRef col,
                      LLVMValueRef xg, LLVMValueRef q0, LLVMValueRef np) {
    const glc_conv_geom *g = cv->geom;
    rt_col m = {.pl = pl, .a = *cv, .col = col, .xg = xg, .q0 = q0, .np = np};
    LLVMValueRef *caps[] = {&m.a.x, &m.col, &m.xg, &m.q0, &m.np};
    bool split = (uint64_t)(pl->kc * pl->nb) * 4 >= RT_PAR_MIN;
    cg_par par;
    cg_par_begin(c, &par, pl->cpg, split, caps, 5, "col.rt");
    rt_load(c, &m.a, &m.r);
    LLVMValueRef rest = m.q0;
    for (int i = g->nsp - 1; i > 0; i--) {
        m.o0[i] = LLVMBuildURem(c->b, rest, m.r.out[i], "");
        rest = LLVMBuildUDiv(c->b, rest, m.r.out[i], "");
    }
    m.o0[0] = rest;
    cg_loop l;
    LLVMValueRef ch = cg_loop_range(c, &l, par.lo, par.hi);
    col_taps(c, &m, 0, cg_madd(c, ch, pl->ntaps, NULL), add(c, m.xg, mul(c, ch, m.r.in_plane)));
    cg_loop_end(c, &l);
    cg_par_end(c, &par);
}

/* y[yg + m*P + q0 + i] (=, or +=) Yt[i*mpg + m] (+ bias[m0 + m]) for m < mpg, i < np: tiles
 * of RT_TILE positions, output channels split into tasks when Yt is large. */
static void rt_store(cg_ctx *c, const cg_conv *cv, const rt_plan *pl, LLVMValueRef yt,
                     LLVMValueRef yg, LLVMValueRef m0, LLVMValueRef q0, LLVMValueRef np) {
    cg_conv a = *cv;
    LLVMValueRef *caps[] = {&a.y, &a.bias, &yt, &yg, &m0, &q0, &np};
    bool split = (uint64_t)(pl->nb * pl->mpg) * 4 >= RT_PAR_MIN;
    cg_par par;
    cg_par_begin(c, &par, pl->mpg, split, caps, 7, "store.rt");
    LLVMValueRef P = cg_dim(c, glc_dim_prod(c->g, a.geom->out, 0, a.geom->nsp));
    cg_loop lt, lm, li;
    LLVMValueRef i0 = cg_madd(c, cg_loop_begin_v(c, &lt, cdiv(c, np, RT_TILE)), RT_TILE, NULL);
    LLVMValueRef i1 = smin(c, cg_addk(c, i0, RT_TILE), np);
    LLVMValueRef m = cg_loop_range(c, &lm, par.lo, par.hi);
    LLVMValueRef ym = add(c, add(c, yg, mul(c, m, P)), q0);
    LLVMValueRef bv = a.bias ? cg_ldf(c, a.bias, add(c, m0, m)) : NULL;
    LLVMValueRef i = cg_loop_range(c, &li, i0, i1);
    LLVMValueRef v = cg_ldf(c, yt, cg_madd(c, i, pl->mpg, m));
    if (bv) v = LLVMBuildFAdd(c->b, v, bv, "");
    LLVMValueRef yi = add(c, ym, i);
    if (a.accumulate) v = LLVMBuildFAdd(c->b, cg_ldf(c, a.y, yi), v, "");
    cg_stf(c, v, a.y, yi);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lm);
    cg_loop_end(c, &lt);
    cg_par_end(c, &par);
}

/* Every block of positions of one sample and group (gi; k its index when unrolled). */
static glc_status rt_group(cg_ctx *c, const cg_conv *cv, const rt_plan *pl, const rt_geom *r,
                           LLVMValueRef xb, LLVMValueRef yb, LLVMValueRef gi, int64_t k,
                           bool unroll) {
    LLVMValueRef col = cv->scratch;
    LLVMValueRef yt = cg_gep(c, c->i8, cv->scratch, cg_i64(c, (int64_t)pl->col_bytes));
    LLVMValueRef gs = pl->gemm_bytes ? cg_gep(c, c->i8, cv->scratch,
                                              cg_i64(c, (int64_t)(pl->col_bytes + pl->yt_bytes)))
                                     : NULL;
    LLVMValueRef m0 = cg_madd(c, gi, pl->mpg, NULL);
    LLVMValueRef xg = add(c, xb, mul(c, cg_madd(c, gi, pl->cpg, NULL), r->in_plane));
    LLVMValueRef yg = add(c, yb, mul(c, m0, r->out_plane));
    cg_loop lk;
    LLVMValueRef blk = cg_loop_begin_v(c, &lk, cdiv(c, r->out_plane, pl->nb));
    LLVMValueRef q0 = cg_madd(c, blk, pl->nb, NULL);
    LLVMValueRef np = smin(c, cg_i64(c, pl->nb), sub(c, r->out_plane, q0));
    rt_im2col(c, cv, pl, col, xg, q0, np);
    cg_gemm gm = rt_product(cv, pl, k, unroll);
    gm.Mv = np;
    gm.a = col;
    gm.b = cg_gep(c, c->f32, cv->w, cg_madd(c, gi, pl->mpg * pl->kc, NULL));
    gm.y = yt;
    gm.scratch = gs;
    glc_status st = cg_gemm_emit(c, &gm);
    rt_store(c, cv, pl, yt, yg, m0, q0, np);
    cg_loop_end(c, &lk);
    return st;
}

static glc_status rt_gemm(cg_ctx *c, const cg_conv *cv, const rt_plan *pl) {
    const glc_conv_geom *g = cv->geom;
    rt_geom r;
    rt_load(c, cv, &r);
    cg_loop lb, lg;
    LLVMValueRef b = cg_loop_begin_v(c, &lb, r.batch);
    LLVMValueRef xb = mul(c, b, r.xn), yb = mul(c, b, r.yn);
    bool unroll = cv->w_const && g->group <= RT_GROUP_UNROLL;
    glc_status st = GLC_OK;
    for (int64_t k = 0; k < (unroll ? g->group : 1) && st == GLC_OK; k++) {
        LLVMValueRef gi = unroll ? cg_i64(c, k) : cg_loop_begin(c, &lg, g->group);
        st = rt_group(c, cv, pl, &r, xb, yb, gi, k, unroll);
        if (!unroll) cg_loop_end(c, &lg);
    }
    cg_loop_end(c, &lb);
    return st;
}

uint64_t cg_conv_rt_scratch_bytes(const cg_ctx *c, const cg_conv *cv) {
    rt_plan pl;
    rt_plan_make(c, cv, &pl);
    return pl.gemm ? pl.col_bytes + pl.yt_bytes + round64(pl.gemm_bytes) : 0;
}

glc_status cg_conv_rt_emit(cg_ctx *c, const cg_conv *cv) {
    rt_plan pl;
    rt_plan_make(c, cv, &pl);
    return pl.gemm ? rt_gemm(c, cv, &pl) : rt_direct(c, cv);
}
