/*
 * lower_pool.c -- code generation for MaxPool (with optional Indices), AveragePool,
 * GlobalAveragePool and GlobalMaxPool, f32, specialised to the static geometry (ir/pool.h).
 *
 * Window pools. With L the last spatial axis, the kernel is, per (n, c) plane:
 *
 *   for each outer output position (o_0 .. o_{L-1}):            -- one output row
 *     row[:] = -inf (max) or 0 (average); idx[:] = -1
 *     for j_i in [jlo_i[o_i], jhi_i[o_i]) for each outer axis i:  -- taps inside the input
 *       for j_L in [0, k_L):
 *         for ow in [olo[j_L], ohi[j_L]):                         -- contiguous when stride 1
 *           row[ow] = max(row[ow], x[..., ow*s_L - pad_L + j_L*d_L])   (or +=)
 *     average: row[ow] /= cnt_0[o_0] * ... * cnt_L[ow]
 *
 * so padding costs no test in the inner loop: every bound is a compile-time function of
 * one output index (outer axes) or one tap (last axis), emitted as small constant i64
 * tables (jlo/jhi/cnt per outer axis, olo/ohi per last-axis tap, cnt per last-axis output).
 * The window of one output is still visited in row-major tap order, so the result (first
 * strictly greater max, f32 sum order) is bit-identical to the interpreter's. The divisor
 * is separable: the count of taps inside the input (or inside the padded extent with
 * count_include_pad) is a product of per-axis counts. The row accumulates in Y itself;
 * when only Indices is requested it accumulates in a one-row stack buffer.
 * Indices: the flat input offset, row-major or (storage_order 1) column-major over the
 * spatial axes, both linear in ow.
 *
 * Symbolic dims: batch, channels and any spatial size may be symbolic, and so may the pads
 * (SAME with a stride > 1); kernel, strides and dilations are attributes. An axis whose
 * input size, output size or pads are symbolic has no tables: the same bounds are computed
 * where they are read, from the closed forms (start = o*s - pb; taps inside the input
 * j in [ceil((pb - o*s)/d), ceil((in + pb - o*s)/d)) clamped to [0, k); outputs of tap j
 * ow in [ceil((pb - j*d)/s), ceil((in + pb - j*d)/s)) clamped to [0, out); with
 * count_include_pad the taps below in + pb + pe), so the visiting order, and the result,
 * stay the interpreter's. A static axis keeps its tables, a static graph its exact code.
 * A MaxPool with Indices only and a symbolic row length keeps its row in the node scratch
 * (lower_pool_scratch) instead of on the stack.
 *
 * GlobalAveragePool: per plane, an f32 sum in memory order divided by the plane size;
 * GlobalMaxPool: per plane, the largest element (a NaN never wins, as in the interpreter).
 */
#include "cg_impl.h"
#include "pool.h"

#include <math.h>
#include <stdlib.h>

#define MAX_ROW_SCRATCH (1 << 16) /* Y-less MaxPool: largest stack row, in floats */

typedef struct pool_cg {
    const glc_pool_geom *pg;
    int last;              /* L: the last spatial axis */
    bool is_max, y_is_row; /* y_is_row: y is a one-row scratch (Y not requested) */
    LLVMValueRef x, y, ix; /* ix NULL when Indices is not requested */
    /* tables of the static axes; NULL on a symbolic one (computed: tap_lo ...) */
    LLVMValueRef jlo[GLC_MAX_RANK], jhi[GLC_MAX_RANK], cnt[GLC_MAX_RANK]; /* outer axes */
    LLVMValueRef olo, ohi;        /* (k_L) valid ow range per last-axis tap */
    LLVMValueRef o[GLC_MAX_RANK]; /* current outer output indices */
    LLVMValueRef in[GLC_MAX_RANK], out[GLC_MAX_RANK];                  /* spatial sizes */
    LLVMValueRef pb[GLC_MAX_RANK], pe[GLC_MAX_RANK];                   /* pads */
    LLVMValueRef xs[GLC_MAX_RANK], cs[GLC_MAX_RANK], ys[GLC_MAX_RANK]; /* spatial strides */
    LLVMValueRef xplane, yplane; /* i64 offsets of the current (n, c) plane */
} pool_cg;

/* A private constant i64 table. */
static LLVMValueRef i64_table(cg_ctx *c, const int64_t *v, int64_t n) {
    LLVMValueRef *e = malloc((size_t)n * sizeof *e);
    if (!e) return NULL;
    for (int64_t i = 0; i < n; i++)
        e[i] = cg_i64(c, v[i]);
    LLVMValueRef init = LLVMConstArray2(c->i64, e, (uint64_t)n);
    free(e);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "pool.tab");
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    return gv;
}

static LLVMValueRef ld_i64(cg_ctx *c, LLVMValueRef tab, LLVMValueRef i) {
    return LLVMBuildLoad2(c->b, c->i64, cg_gep(c, c->i64, tab, i), "");
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

/* ---- static axes: constant tables ------------------------------------------------------ */

/* Whether axis i has a static window geometry (its tables can be built). */
static bool axis_static(const glc_pool_geom *pg, int i) {
    return glc_dim_is_const(pg->in[i]) && glc_dim_is_const(pg->out[i]) &&
           glc_dim_is_const(pg->pad_begin[i]) && glc_dim_is_const(pg->pad_end[i]);
}

/* Input coordinate of output o, tap j along axis i. */
static int64_t coord(const glc_pool_geom *pg, int i, int64_t o, int64_t j) {
    return o * pg->stride[i] - pg->pad_begin[i] + j * pg->dilation[i];
}

/* Taps of output o along axis i: [lo, hi) inside the input, and the divisor count. */
static void axis_taps(const glc_pool_geom *pg, int i, int64_t o, int64_t *lo, int64_t *hi,
                      int64_t *cnt) {
    *lo = *hi = 0;
    int64_t npad = 0;
    for (int64_t j = 0; j < pg->kernel[i]; j++) {
        int64_t p = coord(pg, i, o, j);
        if (p >= 0 && p < pg->in[i]) {
            if (*hi == *lo) *lo = j;
            *hi = j + 1;
        }
        npad += p >= -pg->pad_begin[i] && p < pg->in[i] + pg->pad_end[i];
    }
    *cnt = pg->count_include_pad ? npad : *hi - *lo;
}

/* Tables of axis i: per output (jlo, jhi, cnt) and, for the last axis, per tap (olo, ohi).
 * t holds 5 * max(out, kernel) scratch values. */
static glc_status axis_tables(cg_ctx *c, pool_cg *s, int i, int64_t *t) {
    const glc_pool_geom *pg = s->pg;
    int64_t n = pg->out[i], k = pg->kernel[i];
    int64_t *lo = t, *hi = t + n, *cnt = t + 2 * n, *olo = t + 3 * n, *ohi = olo + k;
    for (int64_t o = 0; o < n; o++)
        axis_taps(pg, i, o, &lo[o], &hi[o], &cnt[o]);
    s->cnt[i] = i64_table(c, cnt, n);
    if (i < s->last) {
        s->jlo[i] = i64_table(c, lo, n);
        s->jhi[i] = i64_table(c, hi, n);
        return s->cnt[i] && s->jlo[i] && s->jhi[i] ? GLC_OK : GLC_E_NOMEM;
    }
    for (int64_t j = 0; j < k; j++) {
        olo[j] = ohi[j] = 0;
        for (int64_t o = 0; o < n; o++) {
            int64_t p = coord(pg, i, o, j);
            if (p < 0 || p >= pg->in[i]) continue;
            if (ohi[j] == olo[j]) olo[j] = o;
            ohi[j] = o + 1;
        }
    }
    s->olo = i64_table(c, olo, k);
    s->ohi = i64_table(c, ohi, k);
    return s->cnt[i] && s->olo && s->ohi ? GLC_OK : GLC_E_NOMEM;
}

static glc_status build_tables(cg_ctx *c, pool_cg *s) {
    const glc_pool_geom *pg = s->pg;
    int64_t m = 1;
    for (int i = 0; i < pg->nsp; i++) {
        if (!axis_static(pg, i)) continue;
        m = pg->out[i] > m ? pg->out[i] : m;
        m = pg->kernel[i] > m ? pg->kernel[i] : m;
    }
    int64_t *t = malloc((size_t)(5 * m) * sizeof *t);
    if (!t) return GLC_E_NOMEM;
    glc_status st = GLC_OK;
    for (int i = 0; i < pg->nsp && st == GLC_OK; i++)
        if (axis_static(pg, i)) st = axis_tables(c, s, i, t);
    free(t);
    return st;
}

/* ---- symbolic axes: the same bounds computed at run time ------------------------------- */

/* ceil(a / k) for a constant k >= 1 (a of any sign). */
static LLVMValueRef ceil_div(cg_ctx *c, LLVMValueRef a, int64_t k) {
    if (k == 1) return a;
    LLVMValueRef q = LLVMBuildSDiv(c->b, a, cg_i64(c, k), "");
    LLVMValueRef r = LLVMBuildSRem(c->b, a, cg_i64(c, k), "");
    LLVMValueRef up = LLVMBuildICmp(c->b, LLVMIntSGT, r, cg_i64(c, 0), "");
    return LLVMBuildNSWAdd(c->b, q, LLVMBuildZExt(c->b, up, c->i64, ""), "");
}

/* v clamped to [0, hi]. */
static LLVMValueRef clamp0(cg_ctx *c, LLVMValueRef v, LLVMValueRef hi) {
    LLVMValueRef z = cg_i64(c, 0);
    v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, z, ""), z, v, "");
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, hi, ""), hi, v, "");
}

/* The taps j of output o along axis i whose input coordinate o*s - pb + j*d is below
 * lim - pb: clamp(ceil((lim - o*s) / d), 0, k) -- with lim = pb the first tap inside the
 * input, with lim = in + pb the end of those inside, with lim = in + pb + pe the end of
 * those inside the padded extent. */
static LLVMValueRef taps_below(cg_ctx *c, const pool_cg *s, int i, LLVMValueRef o,
                               LLVMValueRef lim) {
    const glc_pool_geom *pg = s->pg;
    LLVMValueRef a = LLVMBuildNSWSub(c->b, lim, cg_madd(c, o, pg->stride[i], NULL), "");
    return clamp0(c, ceil_div(c, a, pg->dilation[i]), cg_i64(c, pg->kernel[i]));
}

/* First tap inside the input of output o along axis i (the table jlo). */
static LLVMValueRef tap_lo(cg_ctx *c, const pool_cg *s, int i, LLVMValueRef o) {
    if (s->jlo[i]) return ld_i64(c, s->jlo[i], o);
    return taps_below(c, s, i, o, s->pb[i]);
}

/* End of the taps inside the input (jhi); at most tap_lo when there are none. */
static LLVMValueRef tap_hi(cg_ctx *c, const pool_cg *s, int i, LLVMValueRef o) {
    if (s->jhi[i]) return ld_i64(c, s->jhi[i], o);
    return taps_below(c, s, i, o, LLVMBuildNSWAdd(c->b, s->in[i], s->pb[i], ""));
}

/* The divisor count of output o along axis i (cnt). */
static LLVMValueRef tap_cnt(cg_ctx *c, const pool_cg *s, int i, LLVMValueRef o) {
    if (s->cnt[i]) return ld_i64(c, s->cnt[i], o);
    LLVMValueRef end = LLVMBuildNSWAdd(c->b, s->in[i], s->pb[i], "");
    if (s->pg->count_include_pad)
        return taps_below(c, s, i, o, LLVMBuildNSWAdd(c->b, end, s->pe[i], ""));
    LLVMValueRef n =
        LLVMBuildNSWSub(c->b, taps_below(c, s, i, o, end), taps_below(c, s, i, o, s->pb[i]), "");
    return clamp0(c, n, cg_i64(c, s->pg->kernel[i]));
}

/* The outputs ow of the last axis whose tap jl lies inside the input: [ow_lo, ow_hi) (an
 * empty range may have ow_lo > ow_hi). p = ow*s - pb + jl*d >= 0 and < in. */
static void ow_range(cg_ctx *c, const pool_cg *s, LLVMValueRef jl, LLVMValueRef *lo,
                     LLVMValueRef *hi) {
    int L = s->last;
    const glc_pool_geom *pg = s->pg;
    if (s->olo) {
        *lo = ld_i64(c, s->olo, jl);
        *hi = ld_i64(c, s->ohi, jl);
        return;
    }
    LLVMValueRef a = LLVMBuildNSWSub(c->b, s->pb[L], cg_madd(c, jl, pg->dilation[L], NULL), "");
    *lo = clamp0(c, ceil_div(c, a, pg->stride[L]), s->out[L]);
    *hi = clamp0(c, ceil_div(c, LLVMBuildNSWAdd(c->b, a, s->in[L], ""), pg->stride[L]), s->out[L]);
}

/* ---- the kernel ------------------------------------------------------------------------ */

/* The ow loop of one last-axis tap jl: x offset xoff (row-major), coff (column-major). */
static void emit_inner(cg_ctx *c, const pool_cg *s, LLVMValueRef jl, LLVMValueRef xoff,
                       LLVMValueRef coff, LLVMValueRef yrow, LLVMValueRef irow) {
    const glc_pool_geom *pg = s->pg;
    int L = s->last;
    LLVMValueRef shift = cg_madd(c, jl, pg->dilation[L], LLVMBuildNeg(c->b, s->pb[L], ""));
    LLVMValueRef lo, hi;
    ow_range(c, s, jl, &lo, &hi);
    cg_loop l;
    LLVMValueRef ow = range_begin(c, &l, lo, hi);
    LLVMValueRef pos = cg_madd(c, ow, pg->stride[L], shift); /* input coordinate, axis L */
    LLVMValueRef xi = LLVMBuildNSWAdd(c->b, xoff, pos, "");
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->f32, cg_gep(c, c->f32, s->x, xi), "");
    LLVMValueRef yp = cg_gep(c, c->f32, s->y, LLVMBuildNSWAdd(c->b, yrow, ow, ""));
    LLVMValueRef cur = LLVMBuildLoad2(c->b, c->f32, yp, "");
    if (!s->is_max) {
        LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, cur, v, ""), yp);
    } else {
        LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, v, cur, "");
        LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, v, cur, ""), yp);
        if (s->ix) {
            LLVMValueRef flat = pg->col_major_indices ? cg_madd_v(c, pos, s->cs[L], coff) : xi;
            LLVMValueRef ip = cg_gep(c, c->i64, s->ix, LLVMBuildNSWAdd(c->b, irow, ow, ""));
            LLVMValueRef old = LLVMBuildLoad2(c->b, c->i64, ip, "");
            LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, flat, old, ""), ip);
        }
    }
    cg_loop_end(c, &l);
}

/* Tap loops of the outer axes from depth i, then the last axis's. */
static void emit_taps(cg_ctx *c, const pool_cg *s, int i, LLVMValueRef xoff, LLVMValueRef coff,
                      LLVMValueRef yrow, LLVMValueRef irow) {
    const glc_pool_geom *pg = s->pg;
    cg_loop l;
    if (i == s->last) {
        LLVMValueRef jl = cg_loop_begin(c, &l, pg->kernel[i]);
        emit_inner(c, s, jl, xoff, coff, yrow, irow);
        cg_loop_end(c, &l);
        return;
    }
    LLVMValueRef lo = tap_lo(c, s, i, s->o[i]), hi = tap_hi(c, s, i, s->o[i]);
    LLVMValueRef j = range_begin(c, &l, lo, hi);
    LLVMValueRef start = cg_madd(c, s->o[i], pg->stride[i], LLVMBuildNeg(c->b, s->pb[i], ""));
    LLVMValueRef p = cg_madd(c, j, pg->dilation[i], start); /* input coordinate, axis i */
    emit_taps(c, s, i + 1, cg_madd_v(c, p, s->xs[i], xoff), cg_madd_v(c, p, s->cs[i], coff), yrow,
              irow);
    cg_loop_end(c, &l);
}

/* Fills one output row with the start value (and -1 indices). */
static void emit_row_init(cg_ctx *c, const pool_cg *s, LLVMValueRef yrow, LLVMValueRef irow) {
    cg_loop l;
    LLVMValueRef ow = cg_loop_begin_v(c, &l, s->out[s->last]);
    LLVMValueRef init = cg_f32(c, s->is_max ? -INFINITY : 0.0);
    LLVMBuildStore(c->b, init, cg_gep(c, c->f32, s->y, LLVMBuildNSWAdd(c->b, yrow, ow, "")));
    if (s->ix)
        LLVMBuildStore(c->b, cg_i64(c, -1),
                       cg_gep(c, c->i64, s->ix, LLVMBuildNSWAdd(c->b, irow, ow, "")));
    cg_loop_end(c, &l);
}

/* AveragePool: divides one output row by its window counts. */
static void emit_row_divide(cg_ctx *c, const pool_cg *s, LLVMValueRef yrow) {
    LLVMValueRef den = cg_i64(c, 1);
    for (int i = 0; i < s->last; i++)
        den = LLVMBuildNSWMul(c->b, den, tap_cnt(c, s, i, s->o[i]), "");
    cg_loop l;
    LLVMValueRef ow = cg_loop_begin_v(c, &l, s->out[s->last]);
    LLVMValueRef k = LLVMBuildNSWMul(c->b, den, tap_cnt(c, s, s->last, ow), "");
    LLVMValueRef yp = cg_gep(c, c->f32, s->y, LLVMBuildNSWAdd(c->b, yrow, ow, ""));
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->f32, yp, "");
    LLVMBuildStore(c->b, LLVMBuildFDiv(c->b, v, LLVMBuildSIToFP(c->b, k, c->f32, ""), ""), yp);
    cg_loop_end(c, &l);
}

/* Output loops of the outer axes from depth i; yoff is the row's offset in the plane. */
static void emit_rows(cg_ctx *c, pool_cg *s, int i, LLVMValueRef yoff) {
    if (i == s->last) {
        LLVMValueRef irow = LLVMBuildNSWAdd(c->b, s->yplane, yoff, "");
        LLVMValueRef yrow = s->y_is_row ? cg_i64(c, 0) : irow;
        emit_row_init(c, s, yrow, irow);
        emit_taps(c, s, 0, s->xplane, s->xplane, yrow, irow);
        if (!s->is_max) emit_row_divide(c, s, yrow);
        return;
    }
    cg_loop l;
    s->o[i] = cg_loop_begin_v(c, &l, s->out[i]);
    emit_rows(c, s, i + 1, cg_madd_v(c, s->o[i], s->ys[i], yoff));
    cg_loop_end(c, &l);
}

/* Whether the Y-less row of a MaxPool with Indices only lives in the node scratch: its
 * length is symbolic (a static one is a stack array). */
static bool row_in_scratch(const glc_node *n, const glc_pool_geom *pg) {
    bool want_y = n->out[0] != 0, want_ix = n->n_out > 1 && n->out[1] != 0;
    return n->op == GLC_OP_MAXPOOL && want_ix && !want_y && glc_dim_is_sym(pg->out[pg->nsp - 1]);
}

glc_dim lower_pool_scratch(const cg_ctx *c, const glc_node *n) {
    glc_pool_geom pg;
    glc_diag d = {0};
    if (n->op == GLC_OP_GLOBALAVERAGEPOOL || n->op == GLC_OP_GLOBALMAXPOOL ||
        glc_pool_geom_get(c->g, n, &pg, &d) != GLC_OK ||
        !row_in_scratch(n, &pg))
        return 0;
    return glc_dim_mul(c->g, pg.out[pg.nsp - 1], 4);
}

/* The sizes, pads and strides of pg as values at the builder position. */
static void pool_dims(cg_ctx *c, pool_cg *s) {
    const glc_pool_geom *pg = s->pg;
    const glc_graph *g = c->g;
    glc_dim cs = 1;
    for (int i = 0; i < pg->nsp; i++) {
        s->in[i] = cg_dim(c, pg->in[i]);
        s->out[i] = cg_dim(c, pg->out[i]);
        s->pb[i] = cg_dim(c, pg->pad_begin[i]);
        s->pe[i] = cg_dim(c, pg->pad_end[i]);
        s->cs[i] = cg_dim(c, cs);
        cs = glc_dim_mul(g, cs, pg->in[i]);
    }
    cg_strides_dim(c, pg->nsp, pg->in, s->xs);
    cg_strides_dim(c, pg->nsp, pg->out, s->ys);
}

glc_status lower_window_pool(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    glc_pool_geom pg;
    GLC_TRY(glc_pool_geom_get(g, n, &pg, c->d));
    pool_cg s = {.pg = &pg, .last = pg.nsp - 1, .is_max = n->op == GLC_OP_MAXPOOL};
    bool want_y = n->out[0] != 0, want_ix = s.is_max && n->n_out > 1 && n->out[1] != 0;
    bool scratch = row_in_scratch(n, &pg);
    if (!want_ix && !want_y) { /* nothing requested */
        *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
        cg_kernel_end(c);
        return GLC_OK;
    }
    if (!want_y && !scratch && pg.out[s.last] > MAX_ROW_SCRATCH)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n,
                            "MaxPool: Indices without Y needs an output row <= %d",
                            MAX_ROW_SCRATCH);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + (scratch ? 1 : 0));
    if (build_tables(c, &s) != GLC_OK)
        return glc_diag_set(c->d, GLC_E_NOMEM, n, "%s: out of memory", glc_op_name(n->op));
    pool_dims(c, &s);
    s.y = want_y    ? LLVMGetParam(*fn, 0)
          : scratch ? LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in))
                    : cg_alloca_entry(c, LLVMArrayType2(c->f32, (uint64_t)pg.out[s.last]));
    s.y_is_row = !want_y;
    s.ix = want_ix ? LLVMGetParam(*fn, 1) : NULL;
    s.x = LLVMGetParam(*fn, (unsigned)n->n_out);
    glc_dim planes = glc_dim_mul(g, pg.batch, pg.channels);
    LLVMValueRef in_plane = cg_dim(c, glc_dim_prod(g, pg.in, 0, pg.nsp));
    LLVMValueRef out_plane = cg_dim(c, glc_dim_prod(g, pg.out, 0, pg.nsp));
    cg_loop lp;
    LLVMValueRef p = cg_loop_begin_v(c, &lp, cg_dim(c, planes));
    s.xplane = cg_madd_v(c, p, in_plane, cg_i64(c, 0));
    s.yplane = cg_madd_v(c, p, out_plane, cg_i64(c, 0));
    emit_rows(c, &s, 0, cg_i64(c, 0));
    cg_loop_end(c, &lp);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_global_pool(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *x = glc_node_input(g, n, 0);
    glc_dim planes = glc_dim_mul(g, x->dims[0], x->dims[1]);
    glc_dim size = glc_dim_prod(g, x->dims, 2, x->rank);
    *fn = cg_kernel_begin(c, n->name, 2);
    if (!n->out[0]) {
        cg_kernel_end(c);
        return GLC_OK;
    }
    LLVMValueRef y = LLVMGetParam(*fn, 0), xp = LLVMGetParam(*fn, 1);
    LLVMValueRef acc = cg_alloca_entry(c, c->f32), sz = cg_dim(c, size);
    LLVMValueRef den =
        glc_dim_is_const(size) ? cg_f32(c, (double)size) : LLVMBuildSIToFP(c->b, sz, c->f32, "");
    cg_loop lp, li;
    LLVMValueRef p = cg_loop_begin_v(c, &lp, cg_dim(c, planes));
    bool mx = n->op == GLC_OP_GLOBALMAXPOOL;
    LLVMBuildStore(c->b, cg_f32(c, mx ? -HUGE_VAL : 0.0), acc);
    LLVMValueRef i = cg_loop_begin_v(c, &li, sz);
    LLVMValueRef xi = cg_madd_v(c, p, sz, i);
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->f32, cg_gep(c, c->f32, xp, xi), "");
    LLVMValueRef a = LLVMBuildLoad2(c->b, c->f32, acc, "");
    LLVMValueRef gt = mx ? LLVMBuildFCmp(c->b, LLVMRealOGT, v, a, "") : NULL;
    LLVMBuildStore(c->b, mx ? LLVMBuildSelect(c->b, gt, v, a, "") : LLVMBuildFAdd(c->b, a, v, ""),
                   acc);
    cg_loop_end(c, &li);
    LLVMValueRef sum = LLVMBuildLoad2(c->b, c->f32, acc, "");
    LLVMBuildStore(c->b, mx ? sum : LLVMBuildFDiv(c->b, sum, den, ""), cg_gep(c, c->f32, y, p));
    cg_loop_end(c, &lp);
    cg_kernel_end(c);
    return GLC_OK;
}
