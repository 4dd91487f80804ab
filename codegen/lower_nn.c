/*
 * lower_nn.c -- code generation for the nn family (Conv, BatchNormalization, LeakyRelu,
 * HardSigmoid, LogSoftmax), f32, specialised to the static shapes; and cg_conv_emit(), the
 * convolution reused by ops that contain convolutions (ai.glc ConvLSTM).
 *
 * Convolution (geometry from ir/conv.h) takes one of two paths.
 *
 * As matrix products (at least GEMM_MIN_M output channels per group): per sample b and
 * group gi, with kc = C/group * prod(kernel) and P = prod(out),
 *   Y[b, gi] (M/group, P) = W[gi] (M/group, kc) * col (kc, P)        -- cg_gemm_emit
 * col[(c, taps j), o] = x[b, gi*C/group + c, o*stride - pad_begin + j*dilation] or 0 in the
 * padding (im2col). col is built in node scratch in blocks of nr rows of output axis 0
 * (nr * prod(out[1..]) columns, at most COL_BUDGET bytes, at least one row; nr a divisor of
 * out[0] when one is at least half the budget's rows, else full blocks then one remainder
 * block), so the scratch stays bounded and each block is hot when its product reads it;
 * a block of COL_PAR_MIN bytes or more is built by tasks, over its input channels. A
 * col row of one block is: for the outer output axes a runtime test that the tap's
 * coordinate is inside (else the row span is zeroed), then the last axis as zeros, a copy
 * of the valid output range of the tap (a constant or table from axis_bounds, clipped to
 * the block when the last axis is the blocked one, 1-D), zeros. A 1x1 kernel with stride 1
 * and no pads needs no col: B is x itself (b_rs = P). The bias initialises (or, when
 * accumulating, is added to) each Y block before its product accumulates; without a bias
 * the product stores (or accumulates). The weights go as a_const when they are constants,
 * with the group loop unrolled (up to GROUP_UNROLL groups) so each product's constant is a
 * compile-time slice; the products' own scratch follows col in the node scratch
 * (cg_conv_scratch_bytes). Sums run in the product's order, not the interpreter's.
 *
 * Direct (fewer output channels per group, e.g. depthwise): with L the last spatial axis,
 * per sample b, group gi and output channel m of that group (the (b, m, row of axis 0)
 * items split into tasks from DIRECT_PAR_MIN multiply-adds):
 *
 *   for each outer output position (o_0 .. o_{L-1}):              -- one output row
 *     row[:] = bias[m] or 0   (accumulate: row[:] += bias[m], or nothing)
 *     for c in [0, C/group):                                      -- input channels of gi
 *       for j_i in [jlo_i[o_i], jhi_i[o_i]) for each outer axis i: -- taps inside the input
 *         for j_L in [0, k_L):
 *           w = W[m, c, j_0 .. j_L]                                -- hoisted scalar
 *           for ow in [olo[j_L], ohi[j_L]):                        -- contiguous when stride 1
 *             row[ow] += w * x[b, gi*C/group + c, ..., ow*s_L - pad_L + j_L*d_L]
 *
 * Padding costs no test in the inner loop: the tap bounds of an outer axis are a
 * compile-time function of one output index, and the output range of a last-axis tap a
 * function of that tap, emitted as small constant i64 tables, or as plain constants when
 * an axis has no clipping at all (then LLVM sees constant trip counts). A window wholly in
 * the padding gets an empty range and so only the bias. The row accumulates in Y itself
 * and stays in L1.
 * When k_L <= MAX_TAP_UNROLL the j_L and ow loops are replaced by segments instead: the
 * last output axis splits at compile time into at most 2 k_L + 1 runs [lo, hi) of outputs
 * sharing one set of valid taps [jlo, jhi) (left border, interior, right border, ...);
 * each run is one ow loop that loads y once, adds w_j * x for its taps unrolled in order
 * (the k_L weights loaded once per row and channel) and stores once -- a third of the y
 * traffic and loop overhead of a 3-tap kernel.
 * Either way each output sums bias, then channel by channel the taps in row-major order,
 * exactly the interpreter's order, so the two agree bit for bit (the direct path only).
 *
 * BatchNormalization: per channel a = scale * (1 / sqrt(var + eps)), y = (x - mean) * a + B,
 * the inner loop over the contiguous (N-slice of the) channel plane. training_mode: the
 * channel's batch mean and population variance as double sums (two passes, like the
 * interpreter), rounded to f32, then the running statistics with momentum and Y.
 * spatial = 0 (opset < 9): the parameters are indexed per (channel, position).
 * LeakyRelu, HardSigmoid: one select-based loop, NaN passes through. LogSoftmax: Softmax's
 * (outer, D, inner) view; per row max, sum of exp(x - max), then y = (x - max) - log(sum).
 *
 * ConvInteger, QLinearConv: a plain nest in i32 in the interpreter's order (taps in the
 * padding skipped by a branch), then QLinearConv's requantization in f64 (llvm.roundeven).
 *
 * ConvTranspose: a plain gather nest in the interpreter's order: per (b, m, output
 * position) the bias, then per tap (unravelled at run time) the input position it meets
 * (when the stride divides, and in range: a branch) and the group's channels.
 *
 * Symbolic dims: BatchNormalization, LogSoftmax and ConvTranspose take every extent
 * at run time (cg_dim; constants fold, so static shapes give the code above). A convolution
 * whose geometry is static but for its batch (cg_conv_static) takes the paths above with the
 * batch a run-time trip count (the direct path's items split into tasks when a run's items
 * reach DIRECT_PAR_MIN multiply-adds); other symbolic sizes (spatial, kernel, channels)
 * take conv_rt.c's run-time paths.
 */
#include "cg_impl.h"
#include "conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static LLVMValueRef ld(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef p, LLVMValueRef i) {
    return LLVMBuildLoad2(c->b, ty, cg_gep(c, ty, p, i), "");
}

static void st(cg_ctx *c, LLVMValueRef v, LLVMValueRef p, LLVMValueRef i) {
    LLVMBuildStore(c->b, v, cg_gep(c, LLVMTypeOf(v), p, i));
}

static LLVMValueRef add(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildNSWAdd(c->b, a, b, "");
}

/* ---- convolution ------------------------------------------------------------------ */

/* A loop bound: a constant (tab NULL) or an entry of a constant i64 table. */
typedef struct bound {
    LLVMValueRef tab;
    int64_t k;
} bound;

#define MAX_TAP_UNROLL 8 /* last-axis kernels up to this size use output segments */
#define DIRECT_PAR_MIN (1 << 20) /* multiply-adds of a direct convolution worth tasks */

/* Outputs [lo, hi) of the last axis whose valid taps are exactly [jlo, jhi). */
typedef struct segment {
    int64_t lo, hi, jlo, jhi;
} segment;

typedef struct conv_cg {
    const glc_conv_geom *g;
    const cg_conv *a;
    int last;                                   /* L: the last spatial axis */
    bound jlo[GLC_MAX_RANK], jhi[GLC_MAX_RANK]; /* outer axes: tap range per output */
    bound olo, ohi;                             /* last axis: output range per tap */
    LLVMValueRef o[GLC_MAX_RANK];               /* current outer output indices */
    int64_t xs[GLC_MAX_RANK], ys[GLC_MAX_RANK], ks[GLC_MAX_RANK]; /* spatial strides */
    int64_t in_plane, out_plane, ntaps, cpg; /* cpg: input channels per group */
    LLVMValueRef yrow, wm, bias_m;           /* per row / per output channel */
    segment seg[2 * MAX_TAP_UNROLL + 1];     /* nseg > 0: the last axis in segments */
    int nseg;
} conv_cg;

static LLVMValueRef bound_at(cg_ctx *c, const bound *bd, LLVMValueRef i) {
    return bd->tab ? ld(c, c->i64, bd->tab, i) : cg_i64(c, bd->k);
}

/* v[0..n) as a bound: a constant when all entries equal, else a private table. */
static glc_status make_bound(cg_ctx *c, const int64_t *v, int64_t n, bound *bd) {
    bd->tab = NULL;
    bd->k = v[0];
    bool same = true;
    for (int64_t i = 1; i < n; i++)
        same = same && v[i] == v[0];
    if (same) return GLC_OK;
    LLVMValueRef *e = malloc((size_t)n * sizeof *e);
    if (!e) return GLC_E_NOMEM;
    for (int64_t i = 0; i < n; i++)
        e[i] = cg_i64(c, v[i]);
    LLVMValueRef init = LLVMConstArray2(c->i64, e, (uint64_t)n);
    free(e);
    bd->tab = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "conv.tab");
    LLVMSetInitializer(bd->tab, init);
    LLVMSetGlobalConstant(bd->tab, 1);
    LLVMSetLinkage(bd->tab, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(bd->tab, LLVMGlobalUnnamedAddr);
    return GLC_OK;
}

/* Input coordinate of output o, tap j along axis i. */
static int64_t coord(const glc_conv_geom *g, int i, int64_t o, int64_t j) {
    return o * g->stride[i] - g->pad_begin[i] + j * g->dilation[i];
}

/* [lo, hi) of the x (outer axes: taps of each output) or y (last axis: outputs of each
 * tap) indices whose coordinate lies inside the input; lo = hi = 0 when empty. */
static void valid_range(const glc_conv_geom *g, int i, bool per_output, int64_t fixed, int64_t *lo,
                        int64_t *hi) {
    int64_t n = per_output ? g->kernel[i] : g->out[i];
    *lo = *hi = 0;
    for (int64_t v = 0; v < n; v++) {
        int64_t p = per_output ? coord(g, i, fixed, v) : coord(g, i, v, fixed);
        if (p < 0 || p >= g->in[i]) continue;
        if (*hi == *lo) *lo = v;
        *hi = v + 1;
    }
}

static glc_status axis_bounds(cg_ctx *c, conv_cg *s, int i) {
    const glc_conv_geom *g = s->g;
    bool outer = i < s->last;
    int64_t n = outer ? g->out[i] : g->kernel[i];
    int64_t *lo = malloc(2 * (size_t)n * sizeof *lo);
    if (!lo) return GLC_E_NOMEM;
    for (int64_t v = 0; v < n; v++)
        valid_range(g, i, outer, v, &lo[v], &lo[n + v]);
    glc_status r = make_bound(c, lo, n, outer ? &s->jlo[i] : &s->olo);
    if (r == GLC_OK) r = make_bound(c, lo + n, n, outer ? &s->jhi[i] : &s->ohi);
    free(lo);
    return r;
}

/* Like cg_loop_begin, over [lo, hi) given as values; close with cg_loop_end. */
static LLVMValueRef range_begin(cg_ctx *c, cg_loop *l, LLVMValueRef lo, LLVMValueRef hi) {
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMValueRef fn = LLVMGetBasicBlockParent(pre);
    l->header = LLVMAppendBasicBlockInContext(c->ctx, fn, "rloop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "rbody");
    l->latch = LLVMAppendBasicBlockInContext(c->ctx, fn, "rlatch");
    l->exit = LLVMAppendBasicBlockInContext(c->ctx, fn, "rexit");
    LLVMBuildBr(c->b, l->header);
    LLVMPositionBuilderAtEnd(c->b, l->header);
    l->iv = LLVMBuildPhi(c->b, c->i64, "j");
    LLVMAddIncoming(l->iv, &lo, &pre, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, l->iv, hi, ""), body, l->exit);
    LLVMPositionBuilderAtEnd(c->b, body);
    return l->iv;
}

/* The ow loop of last-axis tap jl with weight wv; xoff is the row's x offset. */
static void conv_inner(cg_ctx *c, const conv_cg *s, LLVMValueRef jl, LLVMValueRef wv,
                       LLVMValueRef xoff) {
    const glc_conv_geom *g = s->g;
    int L = s->last;
    LLVMValueRef shift = cg_madd(c, jl, g->dilation[L], cg_i64(c, -g->pad_begin[L]));
    cg_loop l;
    LLVMValueRef ow = range_begin(c, &l, bound_at(c, &s->olo, jl), bound_at(c, &s->ohi, jl));
    LLVMValueRef xi = add(c, xoff, cg_madd(c, ow, g->stride[L], shift));
    LLVMValueRef yi = add(c, s->yrow, ow);
    LLVMValueRef prod = LLVMBuildFMul(c->b, wv, ld(c, c->f32, s->a->x, xi), "");
    st(c, LLVMBuildFAdd(c->b, ld(c, c->f32, s->a->y, yi), prod, ""), s->a->y, yi);
    cg_loop_end(c, &l);
}

/* The last axis by segments: per output, every valid tap in order, one load and store of
 * y; the k_L weights are loaded once. */
static void conv_segments(cg_ctx *c, const conv_cg *s, LLVMValueRef xoff, LLVMValueRef woff) {
    const glc_conv_geom *g = s->g;
    int L = s->last;
    LLVMValueRef wv[MAX_TAP_UNROLL];
    for (int64_t j = 0; j < g->kernel[L]; j++)
        wv[j] = ld(c, c->f32, s->a->w, add(c, woff, cg_i64(c, j)));
    for (int k = 0; k < s->nseg; k++) {
        const segment *sg = &s->seg[k];
        if (sg->jlo == sg->jhi) continue; /* windows wholly in the padding */
        cg_loop l;
        LLVMValueRef ow = range_begin(c, &l, cg_i64(c, sg->lo), cg_i64(c, sg->hi));
        LLVMValueRef yi = add(c, s->yrow, ow);
        LLVMValueRef acc = ld(c, c->f32, s->a->y, yi);
        LLVMValueRef x0 = add(c, xoff, cg_madd(c, ow, g->stride[L], cg_i64(c, -g->pad_begin[L])));
        for (int64_t j = sg->jlo; j < sg->jhi; j++) {
            LLVMValueRef xv = ld(c, c->f32, s->a->x, add(c, x0, cg_i64(c, j * g->dilation[L])));
            acc = LLVMBuildFAdd(c->b, acc, LLVMBuildFMul(c->b, wv[j], xv, ""), "");
        }
        st(c, acc, s->a->y, yi);
        cg_loop_end(c, &l);
    }
}

/* Tap loops of the outer axes from depth i, then the last axis's. */
static void conv_taps(cg_ctx *c, const conv_cg *s, int i, LLVMValueRef xoff, LLVMValueRef woff) {
    const glc_conv_geom *g = s->g;
    cg_loop l;
    if (i == s->last && s->nseg) {
        conv_segments(c, s, xoff, woff);
        return;
    }
    if (i == s->last) {
        LLVMValueRef jl = cg_loop_begin(c, &l, g->kernel[i]);
        conv_inner(c, s, jl, ld(c, c->f32, s->a->w, add(c, woff, jl)), xoff);
        cg_loop_end(c, &l);
        return;
    }
    LLVMValueRef lo = bound_at(c, &s->jlo[i], s->o[i]), hi = bound_at(c, &s->jhi[i], s->o[i]);
    LLVMValueRef j = range_begin(c, &l, lo, hi);
    LLVMValueRef start = cg_madd(c, s->o[i], g->stride[i], cg_i64(c, -g->pad_begin[i]));
    LLVMValueRef p = cg_madd(c, j, g->dilation[i], start); /* input coordinate, axis i */
    conv_taps(c, s, i + 1, cg_madd(c, p, s->xs[i], xoff), cg_madd(c, j, s->ks[i], woff));
    cg_loop_end(c, &l);
}

/* Sets (or, accumulating, adds the bias to) the output row at s->yrow. */
static void conv_row_init(cg_ctx *c, const conv_cg *s) {
    if (s->a->accumulate && !s->bias_m) return;
    cg_loop l;
    LLVMValueRef ow = cg_loop_begin(c, &l, s->g->out[s->last]);
    LLVMValueRef yi = add(c, s->yrow, ow);
    LLVMValueRef v = s->bias_m ? s->bias_m : cg_f32(c, 0.0);
    if (s->a->accumulate) v = LLVMBuildFAdd(c->b, ld(c, c->f32, s->a->y, yi), v, "");
    st(c, v, s->a->y, yi);
    cg_loop_end(c, &l);
}

/* Output loops of the outer axes from depth i up to the last axis, opened in order and
 * closed in reverse; yoff is the offset of the rows at depth i. A loop rather than a
 * recursion: gcc 12 at -O3 inlined the recursion past the end of s->o[]. */
static void conv_rows(cg_ctx *c, conv_cg *s, int i, LLVMValueRef yoff, LLVMValueRef xgroup) {
    cg_loop l[GLC_MAX_RANK];
    int depth = i;
    for (; depth < s->last; depth++) {
        s->o[depth] = cg_loop_begin(c, &l[depth], s->g->out[depth]);
        yoff = cg_madd(c, s->o[depth], s->ys[depth], yoff);
    }
    s->yrow = yoff;
    conv_row_init(c, s);
    cg_loop lc;
    LLVMValueRef ch = cg_loop_begin(c, &lc, s->cpg);
    conv_taps(c, s, 0, cg_madd(c, ch, s->in_plane, xgroup), cg_madd(c, ch, s->ntaps, s->wm));
    cg_loop_end(c, &lc);
    while (depth-- > i)
        cg_loop_end(c, &l[depth]);
}

static glc_status conv_setup(cg_ctx *c, conv_cg *s) {
    const glc_conv_geom *g = s->g;
    cg_strides(g->nsp, g->in, s->xs);
    cg_strides(g->nsp, g->out, s->ys);
    cg_strides(g->nsp, g->kernel, s->ks);
    s->in_plane = s->xs[0] * g->in[0];
    s->out_plane = s->ys[0] * g->out[0];
    s->ntaps = s->ks[0] * g->kernel[0];
    s->cpg = g->c_in / g->group;
    for (int i = 0; i < g->nsp; i++)
        GLC_TRY(axis_bounds(c, s, i));
    int L = s->last;
    for (int64_t o = 0; g->kernel[L] <= MAX_TAP_UNROLL && o < g->out[L]; o++) {
        segment t = {o, o + 1, 0, 0};
        valid_range(g, L, true, o, &t.jlo, &t.jhi);
        segment *p = s->nseg ? &s->seg[s->nseg - 1] : NULL;
        if (p && p->jlo == t.jlo && p->jhi == t.jhi) {
            p->hi = o + 1;
        } else if (s->nseg == 2 * MAX_TAP_UNROLL + 1) { /* cannot happen: 2 k_L breakpoints */
            s->nseg = 0;
            break;
        } else {
            s->seg[s->nseg++] = t;
        }
    }
    return GLC_OK;
}

/* The direct convolution (see the header comment), for few output channels per group:
 * one item per (sample, output channel, row of output axis 0), split into tasks when the
 * convolution has DIRECT_PAR_MIN multiply-adds or more. */
static glc_status conv_direct(cg_ctx *c, conv_cg *s_) {
    conv_cg s = *s_;
    cg_conv a = *s_->a;
    s.a = &a;
    const glc_conv_geom *g = s.g;
    int64_t mpg = g->c_out / g->group, rows = s.last > 0 ? g->out[0] : 1;
    int64_t xn = a.x_nstride ? a.x_nstride : g->c_in * s.in_plane;
    int64_t yn = a.y_nstride ? a.y_nstride : g->c_out * s.out_plane;
    double item_macs = (double)(s.out_plane / rows) * (double)s.cpg * (double)s.ntaps;
    LLVMValueRef *caps[] = {&a.x, &a.w, &a.y, &a.bias};
    cg_par par;
    if (glc_dim_is_const(g->batch)) {
        int64_t items = g->batch * g->c_out * rows;
        cg_par_begin(c, &par, items, item_macs * (double)items >= DIRECT_PAR_MIN, caps, 4,
                     "direct");
    } else { /* a symbolic batch: tasks when the run's items make DIRECT_PAR_MIN */
        LLVMValueRef items = cg_madd(c, cg_dim(c, g->batch), g->c_out * rows, NULL);
        cg_par_begin_v(c, &par, items, true, caps, 4, "direct");
        double least = ceil(DIRECT_PAR_MIN / item_macs);
        par.min_items = least > 1e9 ? 1000000000 : (int64_t)least;
    }
    cg_loop li;
    LLVMValueRef it = cg_loop_range(c, &li, par.lo, par.hi);
    LLVMValueRef o0 = LLVMBuildURem(c->b, it, cg_i64(c, rows), "");
    LLVMValueRef bm = LLVMBuildUDiv(c->b, it, cg_i64(c, rows), "");
    LLVMValueRef m = LLVMBuildURem(c->b, bm, cg_i64(c, g->c_out), "");
    LLVMValueRef b = LLVMBuildUDiv(c->b, bm, cg_i64(c, g->c_out), "");
    LLVMValueRef gi = LLVMBuildUDiv(c->b, m, cg_i64(c, mpg), "");
    LLVMValueRef xgroup = cg_madd(c, gi, s.cpg * s.in_plane, cg_madd(c, b, xn, cg_i64(c, 0)));
    s.wm = cg_madd(c, m, s.cpg * s.ntaps, cg_i64(c, 0));
    s.bias_m = a.bias ? ld(c, c->f32, a.bias, m) : NULL;
    LLVMValueRef yoff = cg_madd(c, m, s.out_plane, cg_madd(c, b, yn, cg_i64(c, 0)));
    if (s.last == 0) {
        conv_rows(c, &s, 0, yoff, xgroup);
    } else {
        s.o[0] = o0;
        conv_rows(c, &s, 1, cg_madd(c, o0, s.ys[0], yoff), xgroup);
    }
    cg_loop_end(c, &li);
    cg_par_end(c, &par);
    return GLC_OK;
}

/* ---- convolution as matrix products ----------------------------------------------------- */

#define GEMM_MIN_M 4         /* output channels per group from which the GEMM path is taken */
#define GROUP_UNROLL 8       /* groups emitted one product each (constant weights packable) */
#define COL_BUDGET (4 << 20) /* bytes of one im2col block */
#define COL_PAR_MIN (1 << 18) /* bytes of an im2col block from which tasks build it */

/* How one convolution maps onto products: per sample and group Y (mpg, P) = W (mpg, kc) *
 * col (kc, P), col in blocks of nr rows of output axis 0 (row outputs each): full blocks,
 * then one of rem rows. direct_b: 1x1, stride 1, no pads, so col is x itself. */
typedef struct conv_plan {
    bool gemm, direct_b;
    int64_t mpg, kc, P, row, nr, full, rem;
    uint64_t col_bytes, gemm_bytes;
} conv_plan;

static uint64_t round64(uint64_t n) {
    return (n + 63) / 64 * 64;
}

/* The product of one block of np outputs (B's operand pointers filled by the caller). */
static cg_gemm block_gemm(const cg_conv *cv, const conv_plan *pl, int64_t np) {
    cg_gemm g = {.M = pl->mpg,
                 .N = np,
                 .K = pl->kc,
                 .a_rs = pl->kc,
                 .a_cs = 1,
                 .b_rs = pl->direct_b ? pl->P : np,
                 .b_cs = 1,
                 .y_rs = pl->P,
                 .a_const = cv->geom->group <= GROUP_UNROLL ? cv->w_const : NULL};
    return g;
}

static void conv_plan_make(const cg_ctx *c, const cg_conv *cv, conv_plan *pl) {
    const glc_conv_geom *g = cv->geom;
    memset(pl, 0, sizeof *pl);
    pl->mpg = g->c_out / g->group;
    pl->gemm = pl->mpg >= GEMM_MIN_M;
    pl->direct_b = true;
    pl->P = pl->row = 1;
    pl->kc = g->c_in / g->group;
    for (int i = 0; i < g->nsp; i++) {
        pl->P *= g->out[i];
        if (i > 0) pl->row *= g->out[i];
        pl->kc *= g->kernel[i];
        pl->direct_b = pl->direct_b && g->kernel[i] == 1 && g->stride[i] == 1 &&
                       g->pad_begin[i] == 0 && g->pad_end[i] == 0;
    }
    if (!pl->gemm) return;
    if (pl->direct_b) {
        pl->nr = g->out[0], pl->full = 1;
        cg_gemm gm = block_gemm(cv, pl, pl->P);
        pl->gemm_bytes = cg_gemm_scratch_bytes(c, &gm);
        return;
    }
    int64_t per_row = pl->kc * pl->row * 4, fit = COL_BUDGET / (per_row ? per_row : 1);
    if (fit < 1) fit = 1;
    if (fit >= g->out[0]) {
        pl->nr = g->out[0];
    } else { /* a divisor of out[0] if one is nearly as large, else a remainder block */
        pl->nr = fit;
        for (int64_t d = fit; d * 2 > fit; d--)
            if (g->out[0] % d == 0) {
                pl->nr = d;
                break;
            }
    }
    pl->full = g->out[0] / pl->nr;
    pl->rem = g->out[0] % pl->nr;
    pl->col_bytes = round64((uint64_t)(pl->kc * pl->nr * pl->row) * 4);
    cg_gemm gm = block_gemm(cv, pl, pl->nr * pl->row);
    pl->gemm_bytes = cg_gemm_scratch_bytes(c, &gm);
    if (pl->rem) {
        gm = block_gemm(cv, pl, pl->rem * pl->row);
        uint64_t r = cg_gemm_scratch_bytes(c, &gm);
        if (r > pl->gemm_bytes) pl->gemm_bytes = r;
    }
}

uint64_t cg_conv_scratch_bytes(const cg_ctx *c, const cg_conv *cv) {
    if (!cg_conv_static(cv->geom)) return cg_conv_rt_scratch_bytes(c, cv);
    if (cg_wino_applies(c, cv)) return cg_wino_scratch_bytes(cv);
    conv_plan pl;
    conv_plan_make(c, cv, &pl);
    if (!pl.gemm) return 0;
    return pl.col_bytes + round64(pl.gemm_bytes);
}

/* One im2col block: the rows [r0, r0 + nr) of output axis 0, np = nr * row outputs. */
typedef struct col_cg {
    const conv_cg *s;
    LLVMValueRef col, xg, r0; /* col: (kc, np); xg: the group's first input channel */
    int64_t nr, np;
    LLVMValueRef j[GLC_MAX_RANK]; /* current taps */
} col_cg;

/* col[coff + q] = 0 for q in [lo, hi). */
static void zero_span(cg_ctx *c, LLVMValueRef col, LLVMValueRef coff, LLVMValueRef lo,
                      LLVMValueRef hi) {
    cg_loop l;
    LLVMValueRef q = range_begin(c, &l, lo, hi);
    cg_stf(c, cg_f32(c, 0.0), col, add(c, coff, q));
    cg_loop_end(c, &l);
}

static LLVMValueRef clamp_i64(cg_ctx *c, LLVMValueRef v, LLVMValueRef lo, LLVMValueRef hi) {
    v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, lo, ""), lo, v, "");
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, hi, ""), hi, v, "");
}

/* The last output axis of one col row: zeros, x at the tap's coordinates, zeros. */
static void col_last(cg_ctx *c, const col_cg *m, LLVMValueRef coff, LLVMValueRef xoff) {
    const conv_cg *s = m->s;
    const glc_conv_geom *g = s->g;
    int L = s->last;
    int64_t n = L == 0 ? m->nr : g->out[L];
    LLVMValueRef zero = cg_i64(c, 0), nv = cg_i64(c, n);
    LLVMValueRef lo = bound_at(c, &s->olo, m->j[L]), hi = bound_at(c, &s->ohi, m->j[L]);
    LLVMValueRef o0 = zero; /* global index of local output 0 */
    if (L == 0) {           /* the chunked axis itself: clip the tap's range to the block */
        o0 = m->r0;
        lo = clamp_i64(c, LLVMBuildNSWSub(c->b, lo, o0, ""), zero, nv);
        hi = clamp_i64(c, LLVMBuildNSWSub(c->b, hi, o0, ""), lo, nv);
    }
    zero_span(c, m->col, coff, zero, lo);
    LLVMValueRef shift = cg_madd(c, m->j[L], g->dilation[L], cg_i64(c, -g->pad_begin[L]));
    shift = cg_madd(c, o0, g->stride[L], shift);
    cg_loop l;
    LLVMValueRef q = range_begin(c, &l, lo, hi);
    LLVMValueRef xi = add(c, xoff, cg_madd(c, q, g->stride[L], shift));
    cg_stf(c, cg_ldf(c, s->a->x, xi), m->col, add(c, coff, q));
    cg_loop_end(c, &l);
    zero_span(c, m->col, coff, hi, nv);
}

/* Output axes from depth i of one col row; valid: every outer coordinate so far inside. */
static void col_outputs(cg_ctx *c, const col_cg *m, int i, LLVMValueRef coff, LLVMValueRef xoff,
                        LLVMValueRef valid) {
    const conv_cg *s = m->s;
    const glc_conv_geom *g = s->g;
    if (i == s->last) {
        if (!valid) {
            col_last(c, m, coff, xoff);
            return;
        }
        cg_if f;
        cg_if_begin(c, &f, valid);
        col_last(c, m, coff, xoff);
        cg_if_else(c, &f);
        zero_span(c, m->col, coff, cg_i64(c, 0), cg_i64(c, g->out[i]));
        cg_if_end(c, &f);
        return;
    }
    cg_loop l;
    LLVMValueRef o = cg_loop_begin(c, &l, i == 0 ? m->nr : g->out[i]);
    LLVMValueRef og = i == 0 ? add(c, o, m->r0) : o;
    LLVMValueRef p = cg_madd(c, og, g->stride[i],
                             cg_madd(c, m->j[i], g->dilation[i], cg_i64(c, -g->pad_begin[i])));
    LLVMValueRef in = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntSGE, p, cg_i64(c, 0), ""),
                                   LLVMBuildICmp(c->b, LLVMIntSLT, p, cg_i64(c, g->in[i]), ""), "");
    if (valid) in = LLVMBuildAnd(c->b, valid, in, "");
    col_outputs(c, m, i + 1, cg_madd(c, o, s->ys[i], coff), cg_madd(c, p, s->xs[i], xoff), in);
    cg_loop_end(c, &l);
}

/* Tap loops from axis i; tap is the flat tap index so far, xch the channel's x offset. */
static void col_taps(cg_ctx *c, col_cg *m, int i, LLVMValueRef row, LLVMValueRef xch) {
    const conv_cg *s = m->s;
    if (i == s->g->nsp) {
        col_outputs(c, m, 0, cg_madd(c, row, m->np, cg_i64(c, 0)), xch, NULL);
        return;
    }
    cg_loop l;
    m->j[i] = cg_loop_begin(c, &l, s->g->kernel[i]);
    col_taps(c, m, i + 1, cg_madd(c, m->j[i], s->ks[i], row), xch);
    cg_loop_end(c, &l);
}

/* col of one block, its input channels split into tasks when it has COL_PAR_MIN bytes or
 * more (the caller's product would otherwise wait for one thread to build it). The body
 * runs on copies of the geometry whose LLVM values the tasks capture. */
static void im2col(cg_ctx *c, col_cg *m) {
    cg_conv a = *m->s->a;
    conv_cg s = *m->s;
    col_cg t = *m;
    s.a = &a;
    t.s = &s;
    LLVMValueRef *caps[] = {&a.x, &t.col, &t.xg, &t.r0};
    cg_par par;
    bool split = (uint64_t)(s.cpg * s.ntaps * m->np) * 4 >= COL_PAR_MIN;
    cg_par_begin(c, &par, s.cpg, split, caps, 4, "col");
    cg_loop l;
    LLVMValueRef ch = cg_loop_range(c, &l, par.lo, par.hi);
    col_taps(c, &t, 0, cg_madd(c, ch, s.ntaps, cg_i64(c, 0)), cg_madd(c, ch, s.in_plane, t.xg));
    cg_loop_end(c, &l);
    cg_par_end(c, &par);
}

/* Y block rows (mpg, np) at yoff, y_rs = P: = bias, or += bias when accumulating. */
static void block_bias(cg_ctx *c, const conv_cg *s, const conv_plan *pl, LLVMValueRef yoff,
                       LLVMValueRef m0, int64_t np) {
    cg_loop lm, lq;
    LLVMValueRef m = cg_loop_begin(c, &lm, pl->mpg);
    LLVMValueRef bv = ld(c, c->f32, s->a->bias, add(c, m0, m));
    LLVMValueRef yr = cg_madd(c, m, pl->P, yoff);
    LLVMValueRef q = cg_loop_begin(c, &lq, np);
    LLVMValueRef yi = add(c, yr, q);
    if (s->a->accumulate) bv = LLVMBuildFAdd(c->b, ld(c, c->f32, s->a->y, yi), bv, "");
    st(c, bv, s->a->y, yi);
    cg_loop_end(c, &lq);
    cg_loop_end(c, &lm);
    /* loops that only store constants would be fully unrolled into thousands of stores,
     * which the machine scheduler handles in quadratic time */
    cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(lq.latch), false);
    cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(lm.latch), false);
}

/* One block: im2col of rows [r0, r0 + nr) (unless direct_b), bias, product. */
static glc_status conv_block(cg_ctx *c, const conv_cg *s, const conv_plan *pl, cg_gemm gm,
                             LLVMValueRef xg, LLVMValueRef yg, LLVMValueRef m0, LLVMValueRef r0,
                             int64_t nr) {
    int64_t np = nr * pl->row;
    LLVMValueRef p0 = cg_madd(c, r0, pl->row, cg_i64(c, 0));
    LLVMValueRef yoff = add(c, yg, p0);
    LLVMValueRef scr = s->a->scratch;
    if (pl->direct_b) {
        gm.b = cg_gep(c, c->f32, s->a->x, xg);
    } else {
        col_cg m = {.s = s, .col = scr, .xg = xg, .r0 = r0, .nr = nr, .np = np};
        im2col(c, &m);
        gm.b = scr;
    }
    gm.N = np;
    gm.b_rs = pl->direct_b ? pl->P : np;
    gm.y = cg_gep(c, c->f32, s->a->y, yoff);
    gm.scratch = pl->gemm_bytes ? cg_gep(c, c->i8, scr, cg_i64(c, (int64_t)pl->col_bytes)) : NULL;
    gm.accumulate = s->a->accumulate || s->a->bias;
    if (s->a->bias) block_bias(c, s, pl, yoff, m0, np);
    return cg_gemm_emit(c, &gm);
}

/* Every block of one sample and group. */
static glc_status conv_group(cg_ctx *c, const conv_cg *s, const conv_plan *pl, cg_gemm gm,
                             LLVMValueRef xg, LLVMValueRef yg, LLVMValueRef m0) {
    if (pl->direct_b) return conv_block(c, s, pl, gm, xg, yg, m0, cg_i64(c, 0), pl->nr);
    cg_loop l;
    LLVMValueRef ci = cg_loop_begin(c, &l, pl->full);
    glc_status r =
        conv_block(c, s, pl, gm, xg, yg, m0, cg_madd(c, ci, pl->nr, cg_i64(c, 0)), pl->nr);
    cg_loop_end(c, &l);
    if (r == GLC_OK && pl->rem)
        r = conv_block(c, s, pl, gm, xg, yg, m0, cg_i64(c, pl->full * pl->nr), pl->rem);
    return r;
}

static glc_status conv_gemm(cg_ctx *c, const conv_cg *s, const conv_plan *pl) {
    const glc_conv_geom *g = s->g;
    const cg_conv *cv = s->a;
    int64_t xn = cv->x_nstride ? cv->x_nstride : g->c_in * s->in_plane;
    int64_t yn = cv->y_nstride ? cv->y_nstride : g->c_out * s->out_plane;
    glc_status r = GLC_OK;
    cg_loop lb, lg;
    LLVMValueRef b = cg_loop_begin_v(c, &lb, cg_dim(c, g->batch)); /* the batch may be symbolic */
    LLVMValueRef xb = cg_madd(c, b, xn, cg_i64(c, 0)), yb = cg_madd(c, b, yn, cg_i64(c, 0));
    bool unroll = cv->w_const && g->group <= GROUP_UNROLL;
    int64_t ng = unroll ? g->group : 1;
    for (int64_t k = 0; k < ng && r == GLC_OK; k++) {
        LLVMValueRef gi = unroll ? cg_i64(c, k) : cg_loop_begin(c, &lg, g->group);
        cg_gemm gm = block_gemm(cv, pl, 0);
        LLVMValueRef woff = cg_madd(c, gi, pl->mpg * pl->kc, cg_i64(c, 0));
        gm.a = cg_gep(c, c->f32, cv->w, woff);
        gm.a_const = unroll ? cv->w_const + k * pl->mpg * pl->kc : NULL;
        LLVMValueRef m0 = cg_madd(c, gi, pl->mpg, cg_i64(c, 0));
        r = conv_group(c, s, pl, gm, cg_madd(c, gi, s->cpg * s->in_plane, xb),
                       cg_madd(c, m0, s->out_plane, yb), m0);
        if (!unroll) cg_loop_end(c, &lg);
    }
    cg_loop_end(c, &lb);
    return r;
}

bool cg_conv_static(const glc_conv_geom *g) {
    bool sym = glc_dim_is_sym(g->c_in) || glc_dim_is_sym(g->c_out);
    for (int i = 0; i < g->nsp; i++)
        sym = sym || glc_dim_is_sym(g->in[i]) || glc_dim_is_sym(g->out[i]) ||
              glc_dim_is_sym(g->kernel[i]) || glc_dim_is_sym(g->pad_begin[i]) ||
              glc_dim_is_sym(g->pad_end[i]);
    return !sym;
}

glc_status cg_conv_emit(cg_ctx *c, const cg_conv *cv) {
    const glc_conv_geom *g = cv->geom;
    if (!cg_conv_static(g)) return cg_conv_rt_emit(c, cv);
    if (cg_wino_applies(c, cv)) return cg_wino_emit(c, cv);
    conv_cg s = {.g = g, .a = cv, .last = g->nsp - 1};
    if (conv_setup(c, &s) != GLC_OK)
        return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "Conv: out of memory");
    conv_plan pl;
    conv_plan_make(c, cv, &pl);
    return pl.gemm ? conv_gemm(c, &s, &pl) : conv_direct(c, &s);
}

/* Conv's cg_conv for node n (LLVM values unset); false if its geometry does not resolve. */
static bool conv_of(const cg_ctx *c, const glc_node *n, glc_conv_geom *g, cg_conv *cv,
                    glc_diag *d) {
    if (glc_conv_geom_get(c->g, n, g, d) != GLC_OK) return false;
    const glc_value *w = glc_node_input(c->g, n, 1);
    *cv = (cg_conv){.geom = g, .w_const = w->data ? (const float *)w->data : NULL};
    return true;
}

uint64_t lower_nn_scratch(const cg_ctx *c, const glc_node *n) {
    glc_conv_geom g;
    cg_conv cv;
    glc_diag d;
    if (n->op != GLC_OP_CONV || !n->out[0] || !conv_of(c, n, &g, &cv, &d)) return 0;
    return cg_conv_scratch_bytes(c, &cv);
}

glc_status lower_conv(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_conv_geom g;
    cg_conv cv;
    if (!conv_of(c, n, &g, &cv, c->d)) return c->d->status;
    bool scratch = lower_nn_scratch(c, n) > 0;
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + scratch);
    bool has_b = n->n_in > 2 && n->in[2];
    cv.y = LLVMGetParam(*fn, 0);
    cv.x = LLVMGetParam(*fn, 1);
    cv.w = LLVMGetParam(*fn, 2);
    cv.bias = has_b ? LLVMGetParam(*fn, 3) : NULL;
    cv.scratch = scratch ? LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in)) : NULL;
    GLC_TRY(cg_conv_emit(c, &cv));
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- BatchNormalization -------------------------------------------------------------- */

typedef struct bn_cg {
    LLVMValueRef N, C, inner; /* i64 values: constants unless symbolic */
    bool spatial, training;
    float eps, mom;
    LLVMValueRef y, rmean, rvar;            /* outputs (NULL if not requested) */
    LLVMValueRef x, scale, bias, mean, var; /* inputs */
} bn_cg;

static LLVMValueRef sqrt_f32(cg_ctx *c, LLVMValueRef x) {
    unsigned id = LLVMLookupIntrinsicID("llvm.sqrt", 9);
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &c->f32, 1);
    return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(c->ctx, id, &c->f32, 1), f, &x, 1, "");
}

/* y[at] = (x[at] - mu) * (scale[p] * (1 / sqrt(var + eps))) + B[p]. */
static void bn_point(cg_ctx *c, const bn_cg *s, LLVMValueRef at, LLVMValueRef p, LLVMValueRef mu,
                     LLVMValueRef var) {
    LLVMValueRef den = sqrt_f32(c, LLVMBuildFAdd(c->b, var, cg_f32(c, s->eps), ""));
    LLVMValueRef a = LLVMBuildFDiv(c->b, cg_f32(c, 1.0), den, "");
    a = LLVMBuildFMul(c->b, ld(c, c->f32, s->scale, p), a, "");
    LLVMValueRef v = LLVMBuildFSub(c->b, ld(c, c->f32, s->x, at), mu, "");
    v = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, a, ""), ld(c, c->f32, s->bias, p), "");
    st(c, v, s->y, at);
}

/* sum over b < N, i < inner of f(x[(b*C + ch)*inner + i]) in double; f = x or (x - mu)^2. */
static LLVMValueRef bn_sum(cg_ctx *c, const bn_cg *s, LLVMValueRef ch, LLVMValueRef mu) {
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(c->ctx);
    LLVMValueRef acc = cg_alloca_entry(c, f64);
    LLVMBuildStore(c->b, LLVMConstReal(f64, 0.0), acc);
    cg_loop lb, li;
    LLVMValueRef b = cg_loop_begin_v(c, &lb, s->N);
    LLVMValueRef i = cg_loop_begin_v(c, &li, s->inner);
    LLVMValueRef at = cg_madd_v(c, cg_madd_v(c, b, s->C, ch), s->inner, i);
    LLVMValueRef v = LLVMBuildFPExt(c->b, ld(c, c->f32, s->x, at), f64, "");
    if (mu) {
        v = LLVMBuildFSub(c->b, v, mu, "");
        v = LLVMBuildFMul(c->b, v, v, "");
    }
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, f64, acc, ""), v, ""), acc);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lb);
    return LLVMBuildLoad2(c->b, f64, acc, "");
}

/* out[ch] = in[ch] * momentum + batch * (1 - momentum). */
static void bn_running(cg_ctx *c, const bn_cg *s, LLVMValueRef out, LLVMValueRef in,
                       LLVMValueRef ch, LLVMValueRef batch) {
    if (!out) return;
    LLVMValueRef r = LLVMBuildFMul(c->b, ld(c, c->f32, in, ch), cg_f32(c, s->mom), "");
    LLVMValueRef t = LLVMBuildFMul(c->b, batch, cg_f32(c, (double)(1.0f - s->mom)), "");
    st(c, LLVMBuildFAdd(c->b, r, t, ""), out, ch);
}

static void bn_channel(cg_ctx *c, const bn_cg *s, LLVMValueRef ch) {
    LLVMValueRef mu = NULL, var = NULL;
    if (s->training) {
        LLVMTypeRef f64 = LLVMDoubleTypeInContext(c->ctx);
        LLVMValueRef cnt = LLVMBuildSIToFP(c->b, LLVMBuildNSWMul(c->b, s->N, s->inner, ""), f64, "");
        LLVMValueRef mu_d = LLVMBuildFDiv(c->b, bn_sum(c, s, ch, NULL), cnt, "");
        LLVMValueRef var_d = LLVMBuildFDiv(c->b, bn_sum(c, s, ch, mu_d), cnt, "");
        mu = LLVMBuildFPTrunc(c->b, mu_d, c->f32, "");
        var = LLVMBuildFPTrunc(c->b, var_d, c->f32, "");
        bn_running(c, s, s->rmean, s->mean, ch, mu);
        bn_running(c, s, s->rvar, s->var, ch, var);
    } else if (s->spatial) {
        mu = ld(c, c->f32, s->mean, ch);
        var = ld(c, c->f32, s->var, ch);
    }
    if (!s->y) return;
    cg_loop lb, li;
    LLVMValueRef b = cg_loop_begin_v(c, &lb, s->N);
    LLVMValueRef i = cg_loop_begin_v(c, &li, s->inner);
    LLVMValueRef at = cg_madd_v(c, cg_madd_v(c, b, s->C, ch), s->inner, i);
    LLVMValueRef p = ch;
    if (!s->spatial) { /* parameters per (channel, position) */
        p = cg_madd_v(c, ch, s->inner, i);
        mu = ld(c, c->f32, s->mean, p);
        var = ld(c, c->f32, s->var, p);
    }
    bn_point(c, s, at, p, mu, var);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lb);
}

glc_status lower_batchnorm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *x = glc_node_input(g, n, 0);
    bn_cg s = {0};
    s.training = g->opset >= 14 && glc_attr_int(n, "training_mode", 0) == 1;
    s.spatial = g->opset >= 9 || glc_attr_int(n, "spatial", 1) != 0;
    s.eps = glc_attr_float(n, "epsilon", 1e-5f);
    s.mom = glc_attr_float(n, "momentum", 0.9f);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    LLVMValueRef *outs[3] = {&s.y, &s.rmean, &s.rvar};
    for (int k = 0; k < n->n_out; k++)
        *outs[k] = n->out[k] ? LLVMGetParam(*fn, (unsigned)k) : NULL;
    LLVMValueRef *ins[5] = {&s.x, &s.scale, &s.bias, &s.mean, &s.var};
    for (int i = 0; i < 5; i++)
        *ins[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    s.N = cg_dim(c, x->dims[0]);
    s.C = cg_dim(c, x->dims[1]);
    s.inner = cg_dim(c, glc_dim_prod(g, x->dims, 2, x->rank));
    cg_loop lc;
    LLVMValueRef ch = cg_loop_begin_v(c, &lc, s.C);
    bn_channel(c, &s, ch);
    cg_loop_end(c, &lc);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- LogSoftmax ------------------------------------------------ */

static LLVMValueRef sel(cg_ctx *c, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b,
                        LLVMValueRef t, LLVMValueRef f) {
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, p, a, b, ""), t, f, "");
}

/* (outer, D, inner) view of LogSoftmax's input (dims); see infer_nn.c for the axis rule. */
static void lsm_view(const glc_graph *g, const glc_node *n, glc_dim *outer, glc_dim *D,
                     glc_dim *inner) {
    const glc_value *v = glc_node_input(g, n, 0);
    bool legacy = g->opset < 13;
    int64_t ax = glc_attr_int(n, "axis", legacy ? 1 : -1);
    if (ax < 0) ax += v->rank;
    int k = (int)ax;
    *outer = glc_dim_prod(g, v->dims, 0, k);
    *D = glc_dim_prod(g, v->dims, k, legacy ? v->rank : k + 1);
    *inner = legacy ? 1 : glc_dim_prod(g, v->dims, k + 1, v->rank);
}

/* One row at base (elements inner apart): max, sum of exp(x - max), y = x - max - log sum.
 * D and inner are i64 values. */
static void lsm_row(cg_ctx *c, LLVMValueRef y, LLVMValueRef x, LLVMValueRef base, LLVMValueRef D,
                    LLVMValueRef inner, LLVMValueRef mx, LLVMValueRef sum) {
    cg_loop l1, l2, l3;
    LLVMBuildStore(c->b, cg_f32(c, -HUGE_VAL), mx);
    LLVMBuildStore(c->b, cg_f32(c, 0.0), sum);
    LLVMValueRef d = cg_loop_begin_v(c, &l1, D);
    LLVMValueRef xv = ld(c, c->f32, x, cg_madd_v(c, d, inner, base));
    LLVMValueRef m = LLVMBuildLoad2(c->b, c->f32, mx, "");
    LLVMBuildStore(c->b, sel(c, LLVMRealOGT, xv, m, xv, m), mx);
    cg_loop_end(c, &l1);
    LLVMValueRef m2 = LLVMBuildLoad2(c->b, c->f32, mx, "");
    d = cg_loop_begin_v(c, &l2, D);
    xv = ld(c, c->f32, x, cg_madd_v(c, d, inner, base));
    LLVMValueRef e = cg_math_exp(c, LLVMBuildFSub(c->b, xv, m2, ""));
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->f32, sum, ""), e, ""), sum);
    cg_loop_end(c, &l2);
    LLVMValueRef ls = cg_math_log(c, LLVMBuildLoad2(c->b, c->f32, sum, ""));
    d = cg_loop_begin_v(c, &l3, D);
    LLVMValueRef idx = cg_madd_v(c, d, inner, base);
    LLVMValueRef v = LLVMBuildFSub(c->b, ld(c, c->f32, x, idx), m2, "");
    st(c, LLVMBuildFSub(c->b, v, ls, ""), y, idx);
    cg_loop_end(c, &l3);
}

glc_status lower_logsoftmax(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_dim outer, D, inner;
    lsm_view(c->g, n, &outer, &D, &inner);
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMValueRef mx = cg_alloca_entry(c, c->f32), sum = cg_alloca_entry(c, c->f32);
    LLVMValueRef Dv = cg_dim(c, D), iv = cg_dim(c, inner);
    cg_loop lo, li;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, cg_dim(c, outer));
    LLVMValueRef in = cg_loop_begin_v(c, &li, iv);
    LLVMValueRef base = cg_madd_v(c, o, LLVMBuildNSWMul(c->b, Dv, iv, ""), in);
    lsm_row(c, LLVMGetParam(*fn, 0), LLVMGetParam(*fn, 1), base, Dv, iv, mx, sum);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- ConvTranspose ---------------------------------------------------------------------- */

typedef struct convt_cg {
    const glc_convt_geom *t;
    LLVMValueRef out[GLC_MAX_RANK], kern[GLC_MAX_RANK], in[GLC_MAX_RANK];
} convt_cg;

/* Coordinates of flat index p over dims (i64 values), row-major. */
static void unravel_v(cg_ctx *c, int r, const LLVMValueRef *dims, LLVMValueRef p,
                      LLVMValueRef *co) {
    for (int a = r - 1; a >= 0; a--) {
        co[a] = LLVMBuildSRem(c->b, p, dims[a], "");
        p = LLVMBuildSDiv(c->b, p, dims[a], "");
    }
}

/* The spatial input offset output position p and tap q meet, and whether they meet one. */
static LLVMValueRef convt_source(cg_ctx *c, const convt_cg *s, LLVMValueRef p, LLVMValueRef q,
                                 LLVMValueRef *ok) {
    LLVMBuilderRef b = c->b;
    const glc_convt_geom *t = s->t;
    LLVMValueRef o[GLC_MAX_RANK], j[GLC_MAX_RANK], off = cg_i64(c, 0), zero = cg_i64(c, 0);
    unravel_v(c, t->nsp, s->out, p, o);
    unravel_v(c, t->nsp, s->kern, q, j);
    *ok = LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 1, 0);
    for (int a = 0; a < t->nsp; a++) {
        LLVMValueRef v =
            LLVMBuildNSWSub(b, LLVMBuildNSWAdd(b, o[a], cg_dim(c, t->pad_begin[a]), ""),
                            LLVMBuildNSWMul(b, j[a], cg_i64(c, t->dilation[a]), ""), "");
        LLVMValueRef st = cg_i64(c, t->stride[a]);
        LLVMValueRef i = LLVMBuildSDiv(b, v, st, "");
        LLVMValueRef divides = LLVMBuildICmp(b, LLVMIntEQ, LLVMBuildSRem(b, v, st, ""), zero, "");
        LLVMValueRef good =
            LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntSGE, v, zero, ""), divides, "");
        good = LLVMBuildAnd(b, good, LLVMBuildICmp(b, LLVMIntSLT, i, s->in[a], ""), "");
        *ok = LLVMBuildAnd(b, *ok, good, "");
        off = cg_madd_v(c, off, s->in[a], i);
    }
    return off;
}

glc_status lower_convtranspose(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    glc_convt_geom t;
    GLC_TRY(glc_convt_geom_get(g, n, &t, c->d));
    convt_cg s = {.t = &t};
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    LLVMBuilderRef b = c->b;
    LLVMValueRef y = LLVMGetParam(*fn, 0), x = LLVMGetParam(*fn, 1), w = LLVMGetParam(*fn, 2);
    LLVMValueRef bias = n->n_in > 2 && n->in[2] ? LLVMGetParam(*fn, 3) : NULL;
    glc_dim osz = 1, isz = 1, ksz = 1;
    for (int a = 0; a < t.nsp; a++) {
        s.out[a] = cg_dim(c, t.out[a]);
        s.kern[a] = cg_dim(c, t.kernel[a]);
        s.in[a] = cg_dim(c, t.in[a]);
        osz = glc_dim_mul(g, osz, t.out[a]);
        isz = glc_dim_mul(g, isz, t.in[a]);
        ksz = glc_dim_mul(g, ksz, t.kernel[a]);
    }
    LLVMValueRef O = cg_dim(c, osz), I = cg_dim(c, isz), K = cg_dim(c, ksz);
    LLVMValueRef C = cg_dim(c, t.c_in), M = cg_dim(c, t.c_out), G = cg_i64(c, t.group);
    LLVMValueRef cgv = LLVMBuildSDiv(b, C, G, ""), mg = LLVMBuildSDiv(b, M, G, "");
    LLVMValueRef acc = cg_alloca_entry(c, c->f32);
    cg_loop lb, lm, lp, lq, lc;
    LLVMValueRef bn = cg_loop_begin_v(c, &lb, cg_dim(c, t.batch));
    LLVMValueRef m = cg_loop_begin_v(c, &lm, M);
    LLVMValueRef gi = LLVMBuildSDiv(b, m, mg, "");
    LLVMValueRef ml = LLVMBuildNSWSub(b, m, LLVMBuildNSWMul(b, gi, mg, ""), "");
    LLVMValueRef p = cg_loop_begin_v(c, &lp, O);
    LLVMBuildStore(b, bias ? cg_ldf(c, bias, m) : cg_f32(c, 0), acc);
    LLVMValueRef q = cg_loop_begin_v(c, &lq, K), ok;
    LLVMValueRef src = convt_source(c, &s, p, q, &ok);
    cg_if f;
    cg_if_begin(c, &f, ok);
    LLVMValueRef ci = cg_loop_begin_v(c, &lc, cgv);
    LLVMValueRef ch = cg_madd_v(c, gi, cgv, ci);
    LLVMValueRef xv = cg_ldf(c, x, cg_madd_v(c, cg_madd_v(c, bn, C, ch), I, src));
    LLVMValueRef wv = cg_ldf(c, w, cg_madd_v(c, cg_madd_v(c, ch, mg, ml), K, q));
    LLVMBuildStore(b, cg_fadd(c, LLVMBuildLoad2(b, c->f32, acc, ""), cg_fmul(c, xv, wv)), acc);
    cg_loop_end(c, &lc);
    cg_if_else(c, &f);
    cg_if_end(c, &f);
    cg_loop_end(c, &lq);
    cg_stf(c, LLVMBuildLoad2(b, c->f32, acc, ""), y, cg_madd_v(c, cg_madd_v(c, bn, M, m), O, p));
    cg_loop_end(c, &lp);
    cg_loop_end(c, &lm);
    cg_loop_end(c, &lb);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- ConvInteger, QLinearConv ----------------------------------------------------------- */

/* Element k of a u8 or i8 tensor as an i32. */
static LLVMValueRef q8_i32v(cg_ctx *c, glc_dtype dt, LLVMValueRef p, LLVMValueRef k) {
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->i8, cg_gep(c, c->i8, p, k), "");
    if (dt == GLC_DT_U8) return LLVMBuildZExt(c->b, v, c->i32, "");
    return LLVMBuildSExt(c->b, v, c->i32, "");
}

/* Whether v holds one value per output channel (not one value). */
static bool per_channel(const glc_value *v) {
    return v && v->rank == 1 && !(glc_dim_is_const(v->dims[0]) && v->dims[0] == 1);
}

/* The requantized output of acc for channel m (QLinearConv), stored at y[at]. */
static void qconv_store(cg_ctx *c, const glc_node *n, LLVMValueRef fn, LLVMValueRef acc,
                        LLVMValueRef m, LLVMValueRef at) {
    LLVMBuilderRef b = c->b;
    glc_dtype ty = c->g->values[n->out[0]].dtype;
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(c->ctx);
    LLVMValueRef zero = cg_i64(c, 0), y = LLVMGetParam(fn, 0);
    bool per = per_channel(glc_node_input(c->g, n, 4));
    LLVMValueRef ws = cg_ldf(c, LLVMGetParam(fn, 5), per ? m : zero);
    LLVMValueRef mul = LLVMBuildFMul(b, cg_ldf(c, LLVMGetParam(fn, 2), zero), ws, "");
    mul = LLVMBuildFDiv(b, mul, cg_ldf(c, LLVMGetParam(fn, 7), zero), "");
    LLVMValueRef v = LLVMBuildSIToFP(b, acc, f64, "");
    v = LLVMBuildFMul(b, v, LLVMBuildFPExt(b, mul, f64, ""), "");
    LLVMTypeRef ft = f64;
    unsigned id = LLVMLookupIntrinsicID("llvm.roundeven", 14);
    v = LLVMBuildCall2(b, LLVMIntrinsicGetType(c->ctx, id, &ft, 1),
                       LLVMGetIntrinsicDeclaration(c->mod, id, &ft, 1), &v, 1, "");
    LLVMValueRef yz = q8_i32v(c, ty, LLVMGetParam(fn, 8), zero);
    v = LLVMBuildFAdd(b, v, LLVMBuildSIToFP(b, yz, f64, ""), "");
    LLVMValueRef lo = LLVMConstReal(f64, ty == GLC_DT_U8 ? 0 : -128);
    LLVMValueRef hi = LLVMConstReal(f64, ty == GLC_DT_U8 ? 255 : 127);
    v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, lo, ""), lo, v, "");
    v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, hi, ""), hi, v, "");
    LLVMValueRef r = LLVMBuildTrunc(b, LLVMBuildFPToSI(b, v, c->i32, ""), c->i8, "");
    LLVMBuildStore(b, r, cg_gep(c, c->i8, y, at));
}

glc_status lower_qconv(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    glc_conv_geom cg;
    int64_t group;
    bool per;
    GLC_TRY(glc_qconv_geom_get(g, n, &cg, &group, &per, c->d));
    bool ql = n->op == GLC_OP_QLINEARCONV;
    int iw = ql ? 3 : 1, ixz = 2, iwz = ql ? 5 : 3;
    glc_dtype tx = glc_node_input(g, n, 0)->dtype, tw = glc_node_input(g, n, iw)->dtype;
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    LLVMBuilderRef b = c->b;
    LLVMValueRef zero = cg_i64(c, 0), y = LLVMGetParam(*fn, 0), x = LLVMGetParam(*fn, 1);
    LLVMValueRef w = LLVMGetParam(*fn, (unsigned)(1 + iw)), i32z = LLVMConstInt(c->i32, 0, 0);
    bool has_xz = n->n_in > ixz && n->in[ixz], has_wz = n->n_in > iwz && n->in[iwz];
    bool wz_per = has_wz && per_channel(glc_node_input(g, n, iwz));
    LLVMValueRef xz = has_xz ? q8_i32v(c, tx, LLVMGetParam(*fn, (unsigned)(1 + ixz)), zero) : i32z;
    LLVMValueRef bias = ql && n->n_in > 8 && n->in[8] ? LLVMGetParam(*fn, 9) : NULL;
    LLVMValueRef outd[GLC_MAX_RANK], kd[GLC_MAX_RANK], ind[GLC_MAX_RANK];
    glc_dim osz = 1, isz = 1, ksz = 1;
    for (int a = 0; a < cg.nsp; a++) {
        outd[a] = cg_dim(c, cg.out[a]);
        kd[a] = cg_dim(c, cg.kernel[a]);
        ind[a] = cg_dim(c, cg.in[a]);
        osz = glc_dim_mul(g, osz, cg.out[a]);
        isz = glc_dim_mul(g, isz, cg.in[a]);
        ksz = glc_dim_mul(g, ksz, cg.kernel[a]);
    }
    LLVMValueRef O = cg_dim(c, osz), I = cg_dim(c, isz), K = cg_dim(c, ksz);
    LLVMValueRef C = cg_dim(c, cg.c_in), M = cg_dim(c, cg.c_out), G = cg_i64(c, group);
    LLVMValueRef cpg = LLVMBuildSDiv(b, C, G, ""), mpg = LLVMBuildSDiv(b, M, G, "");
    LLVMValueRef acc = cg_alloca_entry(c, c->i32);
    cg_loop lb, lm, lp, lq, lc;
    LLVMValueRef bn = cg_loop_begin_v(c, &lb, cg_dim(c, cg.batch));
    LLVMValueRef m = cg_loop_begin_v(c, &lm, M);
    LLVMValueRef wz = i32z;
    if (has_wz) wz = q8_i32v(c, tw, LLVMGetParam(*fn, (unsigned)(1 + iwz)), wz_per ? m : zero);
    LLVMValueRef ch0 = LLVMBuildNSWMul(b, LLVMBuildSDiv(b, m, mpg, ""), cpg, "");
    LLVMValueRef p = cg_loop_begin_v(c, &lp, O);
    LLVMBuildStore(b, bias ? LLVMBuildLoad2(b, c->i32, cg_gep(c, c->i32, bias, m), "") : i32z, acc);
    LLVMValueRef q = cg_loop_begin_v(c, &lq, K);
    LLVMValueRef o[GLC_MAX_RANK], j[GLC_MAX_RANK], src = zero;
    LLVMValueRef ok = LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 1, 0);
    unravel_v(c, cg.nsp, outd, p, o);
    unravel_v(c, cg.nsp, kd, q, j);
    for (int a = 0; a < cg.nsp; a++) {
        LLVMValueRef v = LLVMBuildNSWMul(b, o[a], cg_i64(c, cg.stride[a]), "");
        v = LLVMBuildNSWSub(b, v, cg_dim(c, cg.pad_begin[a]), "");
        v = cg_madd_v(c, j[a], cg_i64(c, cg.dilation[a]), v);
        ok = LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntULT, v, ind[a], ""), "");
        src = cg_madd_v(c, src, ind[a], v);
    }
    cg_if f;
    cg_if_begin(c, &f, ok);
    LLVMValueRef ci = cg_loop_begin_v(c, &lc, cpg);
    LLVMValueRef ch = LLVMBuildNSWAdd(b, ch0, ci, "");
    LLVMValueRef xv = q8_i32v(c, tx, x, cg_madd_v(c, cg_madd_v(c, bn, C, ch), I, src));
    LLVMValueRef wv = q8_i32v(c, tw, w, cg_madd_v(c, cg_madd_v(c, m, cpg, ci), K, q));
    LLVMValueRef pr = LLVMBuildMul(b, LLVMBuildSub(b, xv, xz, ""), LLVMBuildSub(b, wv, wz, ""), "");
    LLVMBuildStore(b, LLVMBuildAdd(b, LLVMBuildLoad2(b, c->i32, acc, ""), pr, ""), acc);
    cg_loop_end(c, &lc);
    cg_if_else(c, &f);
    cg_if_end(c, &f);
    cg_loop_end(c, &lq);
    LLVMValueRef at = cg_madd_v(c, cg_madd_v(c, bn, M, m), O, p);
    LLVMValueRef sum = LLVMBuildLoad2(b, c->i32, acc, "");
    if (ql)
        qconv_store(c, n, *fn, sum, m, at);
    else
        LLVMBuildStore(b, sum, cg_gep(c, c->i32, y, at));
    cg_loop_end(c, &lp);
    cg_loop_end(c, &lm);
    cg_loop_end(c, &lb);
    cg_kernel_end(c);
    return GLC_OK;
}
