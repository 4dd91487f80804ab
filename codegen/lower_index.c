/*
 * lower_index.c -- code generation for the index family (ir/infer_index.c): GatherElements,
 * ScatterElements (and Scatter, its opset-9 name).
 *
 * The loop nests are bcast.c's (cg_bcast_emit) with hand-made strides: the nest walks a
 * shape (the indices') and each "operand" of the plan is a tensor addressed through it
 * with its own strides, 0 along an axis it does not step through. So data is addressed
 * with its strides but a 0 along the indexed axis, and the index loaded inside the body
 * adds index * stride. Every size and stride is a dim (ir/dim.h) until the nest emits it,
 * so symbolic shapes take the same code.
 *
 * - GatherElements: y[i] = data[base(i) + v * st_axis], v = idx[i] (+ dim if negative); an
 *   index out of range reads offset 0 and stores zero (the interpreter reports it).
 * - ScatterElements: memcpy data to y, then in indices' row-major order (duplicates apply
 *   in order, as the interpreter's) y[base(i) + v * st_axis] = combine(it, updates[i]); an
 *   index out of range is skipped (a branch: no write lands outside y).
 * - Trilu, EyeLike: loops over (batch, i, j) selecting x (or 1) or zero by j - i against k
 *   (Trilu's k loaded from its input at run time).
 * - Expand: an elementwise copy through bcast.c's plan (cg_bcast_plan: x broadcast to y).
 *   Tile, DepthToSpace, SpaceToDepth: y[sum c * ost] = x[sum c * ist] over the loops of
 *   glc_restride, as a bcast.c nest.
 * - GatherND, ScatterND: loops over (batch, tuple) load the k indices of the tuple
 *   (unrolled: k is static) into an offset and an in-range flag, then copy (or combine)
 *   the slice; out-of-range tuples read offset 0 and store zeros (gather) or are skipped
 *   (scatter). OneHot: loops (outer, depth, inner) selecting values[1] or values[0].
 *   ReverseSequence: a bcast.c nest over x whose "operands" give the sequence length's
 *   index and the time coordinate; the source is t' = len - 1 - t for t < len.
 * - Compress: loops (outer, k, inner) reading position pos[k] from a constant table.
 * - NonZero and Unique (of constants) and the windows (Hann, Hamming, Blackman): constants,
 * computed at compile time.
 * - Range: y[i] = start + i * delta in the output's type, start and delta loaded from the
 *   inputs (the count is static: glc_range_count).
 */
#include "cg_impl.h"
#include "tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static LLVMValueRef param(LLVMValueRef fn, int i) {
    return LLVMGetParam(fn, (unsigned)i);
}

static LLVMValueRef load(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef base, LLVMValueRef i) {
    return LLVMBuildLoad2(c->b, ty, cg_gep(c, ty, base, i), "");
}

static void store(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i) {
    LLVMBuildStore(c->b, v, cg_gep(c, ty, base, i));
}

/* A nest over (rank, dims) for n_ops operands; operand k's strides are set by the caller
 * into p->st[k] (k = 0 included, which need not be a row-major walk). */
static void nest_plan(cg_bcast *p, int rank, const glc_dim *dims, int n_ops) {
    memset(p, 0, sizeof *p);
    p->rank = rank;
    p->n = n_ops - 1;
    memcpy(p->dims, dims, sizeof dims[0] * (size_t)rank);
    for (int k = 0; k < n_ops; k++)
        p->present[k] = true;
}

/* ---- GatherElements, ScatterElements ------------------------------------------------ */

typedef struct elements_cg {
    const glc_value *x, *ix;
    glc_scatter_reduction red;
    LLVMTypeRef ty;                 /* the element (an integer of its size unless combined) */
    LLVMValueRef y, data, idx, upd; /* upd: ScatterElements' updates */
    LLVMValueRef dim, st_axis;      /* the indexed axis of data: length, stride */
} elements_cg;

/* idx: [0] indices (and updates) element, [1] data offset without the axis. */
static void gather_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    const elements_cg *s = ctx;
    LLVMValueRef ok, v = cg_load_index(c, s->ix->dtype, s->idx, idx[0], s->dim, &ok);
    LLVMValueRef val = load(c, s->ty, s->data, cg_madd_v(c, v, s->st_axis, idx[1]));
    store(c, s->ty, LLVMBuildSelect(c->b, ok, val, LLVMConstNull(s->ty), ""), s->y, idx[0]);
}

/* combine(e, u) by the reduction, as the interpreter's scatter_combine. */
static LLVMValueRef combine(cg_ctx *c, const elements_cg *s, LLVMValueRef e, LLVMValueRef u) {
    LLVMBuilderRef b = c->b;
    glc_dtype dt = s->x->dtype;
    bool fl = glc_dtype_is_float(dt);
    bool uns = dt == GLC_DT_U8 || dt == GLC_DT_U16 || dt == GLC_DT_U32 || dt == GLC_DT_U64;
    LLVMValueRef take = NULL;
    switch (s->red) {
    case GLC_SCATTER_NONE:
        return u;
    case GLC_SCATTER_ADD:
        return fl ? LLVMBuildFAdd(b, e, u, "") : LLVMBuildAdd(b, e, u, "");
    case GLC_SCATTER_MUL:
        return fl ? LLVMBuildFMul(b, e, u, "") : LLVMBuildMul(b, e, u, "");
    case GLC_SCATTER_MAX:
    case GLC_SCATTER_MIN: {
        bool mx = s->red == GLC_SCATTER_MAX;
        if (fl)
            take = LLVMBuildOr(b, LLVMBuildFCmp(b, mx ? LLVMRealOGT : LLVMRealOLT, u, e, ""),
                               LLVMBuildFCmp(b, LLVMRealUNO, u, u, ""), "");
        else
            take = LLVMBuildICmp(
                b, mx ? (uns ? LLVMIntUGT : LLVMIntSGT) : (uns ? LLVMIntULT : LLVMIntSLT), u, e,
                "");
        return LLVMBuildSelect(b, take, u, e, "");
    }
    }
    return u;
}

static void scatter_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    const elements_cg *s = ctx;
    LLVMValueRef ok, v = cg_load_index(c, s->ix->dtype, s->idx, idx[0], s->dim, &ok);
    cg_if f;
    cg_if_begin(c, &f, ok);
    LLVMValueRef at = cg_madd_v(c, v, s->st_axis, idx[1]);
    LLVMValueRef u = load(c, s->ty, s->upd, idx[0]);
    if (s->red != GLC_SCATTER_NONE) u = combine(c, s, load(c, s->ty, s->y, at), u);
    store(c, s->ty, u, s->y, at);
    cg_if_else(c, &f);
    cg_if_end(c, &f);
}

static glc_status lower_elements(cg_ctx *c, const glc_node *n, LLVMValueRef *fn, bool scatter) {
    const glc_graph *g = c->g;
    const glc_value *x = glc_node_input(g, n, 0), *ix = glc_node_input(g, n, 1);
    glc_elements_geom e;
    GLC_TRY(glc_elements_geom_get(g, n, &e, c->d));
    glc_dim xs[GLC_MAX_RANK];
    cg_bcast p;
    nest_plan(&p, ix->rank, ix->dims, 2);
    glc_dim_strides(g, ix->rank, ix->dims, p.st[0]);
    glc_dim_strides(g, x->rank, x->dims, xs);
    memcpy(p.st[1], xs, sizeof xs);
    p.st[1][e.axis] = 0;
    elements_cg s = {.x = x, .ix = ix, .red = scatter ? e.reduction : GLC_SCATTER_NONE};
    s.ty = s.red == GLC_SCATTER_NONE ? cg_int_type_of_size(c, glc_dtype_size(x->dtype))
           : x->dtype == GLC_DT_F32  ? c->f32
           : x->dtype == GLC_DT_F64  ? LLVMDoubleTypeInContext(c->ctx)
                                     : cg_int_type_of_size(c, glc_dtype_size(x->dtype));
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    s.y = param(*fn, 0);
    s.data = param(*fn, 1);
    s.idx = param(*fn, 2);
    s.dim = cg_dim(c, x->dims[e.axis]);
    s.st_axis = cg_dim(c, xs[e.axis]);
    if (scatter) {
        s.upd = param(*fn, 3);
        glc_dim bytes =
            glc_dim_mul(g, glc_value_numel_dim(g, x), (glc_dim)glc_dtype_size(x->dtype));
        if (bytes) LLVMBuildMemCpy(c->b, s.y, 1, s.data, 1, cg_dim(c, bytes));
    }
    cg_bcast_emit(c, &p, scatter ? scatter_body : gather_body, &s);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_gatherelements(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    return lower_elements(c, n, fn, false);
}

glc_status lower_scatterelements(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    return lower_elements(c, n, fn, true);
}

/* ---- Trilu, EyeLike ------------------------------------------------------------------ */

/* 1 as an element of dtype t, in the integer type of its size (floats as their bits). */
static LLVMValueRef one_bits(cg_ctx *c, glc_dtype t) {
    LLVMTypeRef it = cg_int_type_of_size(c, glc_dtype_size(t));
    uint64_t v = t == GLC_DT_F16    ? 0x3c00
                 : t == GLC_DT_BF16 ? 0x3f80
                 : t == GLC_DT_F32  ? 0x3f800000
                 : t == GLC_DT_F64  ? 0x3ff0000000000000ull
                                    : 1;
    return LLVMConstInt(it, v, 0);
}

/* y[e] = keep(j - i) ? val(e) : 0 over (batch, rows, cols); val: x[e] or `one`. */
static void diagonal_nest(cg_ctx *c, const glc_diagonal *t, LLVMTypeRef ty, LLVMValueRef y,
                          LLVMValueRef x, LLVMValueRef one, LLVMIntPredicate p, LLVMValueRef k) {
    cg_loop lb, li, lj;
    LLVMValueRef rows = cg_dim(c, t->rows), cols = cg_dim(c, t->cols);
    LLVMValueRef bb = cg_loop_begin_v(c, &lb, cg_dim(c, t->batch));
    LLVMValueRef i = cg_loop_begin_v(c, &li, rows);
    LLVMValueRef row = cg_madd_v(c, cg_madd_v(c, bb, rows, i), cols, NULL);
    LLVMValueRef j = cg_loop_begin_v(c, &lj, cols), e = LLVMBuildNSWAdd(c->b, row, j, "");
    LLVMValueRef keep = LLVMBuildICmp(c->b, p, LLVMBuildNSWSub(c->b, j, i, ""), k, "");
    LLVMValueRef v = x ? load(c, ty, x, e) : one;
    store(c, ty, LLVMBuildSelect(c->b, keep, v, LLVMConstNull(ty), ""), y, e);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lb);
}

glc_status lower_trilu(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_diagonal t;
    GLC_TRY(glc_diagonal_get(c->g, n, &t, c->d));
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    LLVMValueRef k =
        n->n_in > 1 && n->in[1] ? load(c, c->i64, param(*fn, 2), cg_i64(c, 0)) : cg_i64(c, 0);
    diagonal_nest(c, &t, cg_int_type_of_size(c, glc_dtype_size(x->dtype)), param(*fn, 0),
                  param(*fn, 1), NULL, t.upper ? LLVMIntSGE : LLVMIntSLE, k);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_eyelike(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_diagonal t;
    GLC_TRY(glc_diagonal_get(c->g, n, &t, c->d));
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMValueRef one = one_bits(c, t.dtype);
    diagonal_nest(c, &t, LLVMTypeOf(one), param(*fn, 0), NULL, one, LLVMIntEQ, cg_i64(c, t.k));
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Range ------------------------------------------------------------------------- */

glc_status lower_range(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_dtype dt = glc_node_input(c->g, n, 0)->dtype;
    int64_t count;
    GLC_TRY(glc_range_count(c->g, n, &count, c->d));
    bool fl = glc_dtype_is_float(dt);
    LLVMTypeRef ty = dt == GLC_DT_F32   ? c->f32
                     : dt == GLC_DT_F64 ? LLVMDoubleTypeInContext(c->ctx)
                                        : cg_int_type_of_size(c, glc_dtype_size(dt));
    *fn = cg_kernel_begin(c, n->name, 4);
    LLVMBuilderRef b = c->b;
    LLVMValueRef start = load(c, ty, param(*fn, 1), cg_i64(c, 0));
    LLVMValueRef delta = load(c, ty, param(*fn, 3), cg_i64(c, 0));
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(c, &l, count);
    LLVMValueRef iv = fl ? LLVMBuildSIToFP(b, i, ty, "") : LLVMBuildTrunc(b, i, ty, "");
    if (!fl && ty == c->i64) iv = i;
    LLVMValueRef v = fl ? LLVMBuildFAdd(b, start, LLVMBuildFMul(b, iv, delta, ""), "")
                        : LLVMBuildAdd(b, start, LLVMBuildMul(b, iv, delta, ""), "");
    store(c, ty, v, param(*fn, 0), i);
    cg_loop_end(c, &l);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Expand, Tile, DepthToSpace, SpaceToDepth ----------------------------------------- */

typedef struct copy_cg {
    LLVMTypeRef ty;
    LLVMValueRef y, x;
} copy_cg;

static void copy_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    const copy_cg *s = ctx;
    store(c, s->ty, load(c, s->ty, s->x, idx[1]), s->y, idx[0]);
}

glc_status lower_expand(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0), *y = &c->g->values[n->out[0]];
    cg_bcast p;
    cg_bcast_plan(c, &p, y, &x, 1);
    *fn = cg_kernel_begin(c, n->name, 3);
    copy_cg s = {cg_int_type_of_size(c, glc_dtype_size(x->dtype)), param(*fn, 0), param(*fn, 1)};
    cg_bcast_emit(c, &p, copy_body, &s);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_restride(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_restride r;
    GLC_TRY(glc_restride_get(c->g, n, &r, c->d));
    cg_bcast p;
    nest_plan(&p, r.rank, r.dims, 2);
    memcpy(p.st[0], r.ost, sizeof r.ost);
    memcpy(p.st[1], r.ist, sizeof r.ist);
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    copy_cg s = {cg_int_type_of_size(c, glc_dtype_size(x->dtype)), param(*fn, 0), param(*fn, 1)};
    cg_bcast_emit(c, &p, copy_body, &s);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- GatherND, ScatterND ---------------------------------------------------------------- */

/* Tuple j of batch t: its data offset (indices clamped in range) and whether every index was
 * in range. */
static LLVMValueRef nd_offset(cg_ctx *c, const glc_nd_geom *m, LLVMValueRef idx, LLVMValueRef t,
                              LLVMValueRef j, LLVMValueRef nidx, LLVMValueRef *ok) {
    LLVMValueRef off = LLVMBuildNSWMul(c->b, t, cg_dim(c, m->batch_stride), "");
    LLVMValueRef at = LLVMBuildNSWMul(c->b, cg_madd_v(c, t, nidx, j), cg_i64(c, m->k), "");
    *ok = LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 1, 0);
    for (int q = 0; q < m->k; q++) {
        LLVMValueRef okq,
            v = cg_load_index(c, GLC_DT_I64, idx, cg_addk(c, at, q), cg_dim(c, m->dims[q]), &okq);
        off = cg_madd_v(c, v, cg_dim(c, m->st[q]), off);
        *ok = LLVMBuildAnd(c->b, *ok, okq, "");
    }
    return off;
}

glc_status lower_gathernd(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_nd_geom m;
    GLC_TRY(glc_nd_geom_get(c->g, n, &m, c->d));
    LLVMTypeRef ty = cg_int_type_of_size(c, glc_dtype_size(x->dtype));
    *fn = cg_kernel_begin(c, n->name, 3);
    LLVMValueRef y = param(*fn, 0), xp = param(*fn, 1), idx = param(*fn, 2);
    LLVMValueRef nidx = cg_dim(c, m.nidx), slice = cg_dim(c, m.slice), ok;
    cg_loop lt, lj, le;
    LLVMValueRef t = cg_loop_begin_v(c, &lt, cg_dim(c, m.batch));
    LLVMValueRef j = cg_loop_begin_v(c, &lj, nidx);
    LLVMValueRef off = nd_offset(c, &m, idx, t, j, nidx, &ok);
    LLVMValueRef ybase = LLVMBuildNSWMul(c->b, cg_madd_v(c, t, nidx, j), slice, "");
    LLVMValueRef e = cg_loop_begin_v(c, &le, slice);
    LLVMValueRef v = load(c, ty, xp, LLVMBuildNSWAdd(c->b, off, e, ""));
    store(c, ty, LLVMBuildSelect(c->b, ok, v, LLVMConstNull(ty), ""), y,
          LLVMBuildNSWAdd(c->b, ybase, e, ""));
    cg_loop_end(c, &le);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lt);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_scatternd(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *x = glc_node_input(g, n, 0);
    glc_nd_geom m;
    GLC_TRY(glc_nd_geom_get(g, n, &m, c->d));
    elements_cg s = {.x = x, .red = m.reduction};
    s.ty = s.red == GLC_SCATTER_NONE ? cg_int_type_of_size(c, glc_dtype_size(x->dtype))
           : x->dtype == GLC_DT_F32  ? c->f32
           : x->dtype == GLC_DT_F64  ? LLVMDoubleTypeInContext(c->ctx)
                                     : cg_int_type_of_size(c, glc_dtype_size(x->dtype));
    *fn = cg_kernel_begin(c, n->name, 4);
    LLVMValueRef y = param(*fn, 0), idx = param(*fn, 2), upd = param(*fn, 3), ok;
    glc_dim bytes = glc_dim_mul(g, glc_value_numel_dim(g, x), (glc_dim)glc_dtype_size(x->dtype));
    if (bytes) LLVMBuildMemCpy(c->b, y, 1, param(*fn, 1), 1, cg_dim(c, bytes));
    LLVMValueRef nidx = cg_dim(c, m.nidx), slice = cg_dim(c, m.slice);
    cg_loop lj, le;
    LLVMValueRef j = cg_loop_begin_v(c, &lj, nidx);
    LLVMValueRef off = nd_offset(c, &m, idx, cg_i64(c, 0), j, nidx, &ok);
    cg_if f;
    cg_if_begin(c, &f, ok);
    LLVMValueRef e = cg_loop_begin_v(c, &le, slice), at = LLVMBuildNSWAdd(c->b, off, e, "");
    LLVMValueRef u = load(c, s.ty, upd, cg_madd_v(c, j, slice, e));
    if (s.red != GLC_SCATTER_NONE) u = combine(c, &s, load(c, s.ty, y, at), u);
    store(c, s.ty, u, y, at);
    cg_loop_end(c, &le);
    cg_if_else(c, &f);
    cg_if_end(c, &f);
    cg_loop_end(c, &lj);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- OneHot, ReverseSequence ------------------------------------------------------------ */

/* Element k of p (a numeric dtype) as an i64: floats truncated, integers extended. */
static LLVMValueRef load_as_i64(cg_ctx *c, glc_dtype dt, LLVMValueRef p, LLVMValueRef k) {
    if (dt == GLC_DT_F32 || dt == GLC_DT_F64) {
        LLVMTypeRef ft = dt == GLC_DT_F32 ? c->f32 : LLVMDoubleTypeInContext(c->ctx);
        return LLVMBuildFPToSI(c->b, load(c, ft, p, k), c->i64, "");
    }
    LLVMTypeRef it = cg_int_type_of_size(c, glc_dtype_size(dt));
    LLVMValueRef v = load(c, it, p, k);
    if (it == c->i64) return v;
    bool sgn = dt == GLC_DT_I8 || dt == GLC_DT_I16 || dt == GLC_DT_I32;
    return sgn ? LLVMBuildSExt(c->b, v, c->i64, "") : LLVMBuildZExt(c->b, v, c->i64, "");
}

glc_status lower_onehot(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *ix = glc_node_input(c->g, n, 0), *vals = glc_node_input(c->g, n, 2);
    glc_onehot_geom o;
    GLC_TRY(glc_onehot_geom_get(c->g, n, &o, c->d));
    if (ix->dtype == GLC_DT_F16 || ix->dtype == GLC_DT_BF16)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "OneHot: %s indices",
                            glc_dtype_name(ix->dtype));
    LLVMTypeRef ty = cg_int_type_of_size(c, glc_dtype_size(vals->dtype));
    *fn = cg_kernel_begin(c, n->name, 4);
    LLVMBuilderRef b = c->b;
    LLVMValueRef y = param(*fn, 0), idx = param(*fn, 1), vp = param(*fn, 3);
    LLVMValueRef off = load(c, ty, vp, cg_i64(c, 0)), on = load(c, ty, vp, cg_i64(c, 1));
    LLVMValueRef inner = cg_dim(c, o.inner), depth = cg_i64(c, o.depth);
    cg_loop la, lj, li;
    LLVMValueRef a = cg_loop_begin_v(c, &la, cg_dim(c, o.outer));
    LLVMValueRef j = cg_loop_begin(c, &lj, o.depth);
    LLVMValueRef row = LLVMBuildNSWMul(b, cg_madd_v(c, a, depth, j), inner, "");
    LLVMValueRef i = cg_loop_begin_v(c, &li, inner);
    LLVMValueRef v = load_as_i64(c, ix->dtype, idx, cg_madd_v(c, a, inner, i));
    LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, v, cg_i64(c, 0), "");
    v = LLVMBuildSelect(b, neg, LLVMBuildAdd(b, v, depth, ""), v, "");
    LLVMValueRef hit = LLVMBuildICmp(b, LLVMIntEQ, v, j, "");
    store(c, ty, LLVMBuildSelect(b, hit, on, off, ""), y, LLVMBuildNSWAdd(b, row, i, ""));
    cg_loop_end(c, &li);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &la);
    cg_kernel_end(c);
    return GLC_OK;
}

typedef struct revseq_cg {
    LLVMTypeRef ty;
    LLVMValueRef y, x, len, tdim, tst;
} revseq_cg;

/* idx: [0] the element (x and y), [1] its batch's length, [2] its time coordinate. */
static void revseq_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    const revseq_cg *s = ctx;
    LLVMBuilderRef b = c->b;
    LLVMValueRef l = load(c, c->i64, s->len, idx[1]), zero = cg_i64(c, 0);
    l = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, l, zero, ""), zero, l, "");
    l = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, l, s->tdim, ""), s->tdim, l, "");
    LLVMValueRef t = idx[2], rev = LLVMBuildICmp(b, LLVMIntSLT, t, l, "");
    LLVMValueRef src = LLVMBuildSelect(
        b, rev, LLVMBuildSub(b, LLVMBuildSub(b, l, cg_i64(c, 1), ""), t, ""), t, "");
    LLVMValueRef xi = cg_madd_v(c, LLVMBuildSub(b, src, t, ""), s->tst, idx[0]);
    store(c, s->ty, load(c, s->ty, s->x, xi), s->y, idx[0]);
}

glc_status lower_reversesequence(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *x = glc_node_input(g, n, 0);
    int ta, ba;
    GLC_TRY(glc_revseq_axes(g, n, &ta, &ba, c->d));
    cg_bcast p;
    nest_plan(&p, x->rank, x->dims, 3);
    glc_dim_strides(g, x->rank, x->dims, p.st[0]);
    p.st[1][ba] = 1;
    p.st[2][ta] = 1;
    *fn = cg_kernel_begin(c, n->name, 3);
    revseq_cg s = {cg_int_type_of_size(c, glc_dtype_size(x->dtype)),
                   param(*fn, 0),
                   param(*fn, 1),
                   param(*fn, 2),
                   cg_dim(c, x->dims[ta]),
                   cg_dim(c, p.st[0][ta])};
    cg_bcast_emit(c, &p, revseq_body, &s);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- HannWindow, HammingWindow, BlackmanWindow ------------------------------------------- */

/* The window is a constant: computed here (as the interpreter does) and copied out. */
glc_status lower_window(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_window w;
    GLC_TRY(glc_window_get(c->g, n, &w, c->d));
    size_t es = glc_dtype_size(w.dtype), nb = (size_t)w.size * es;
    void *buf = calloc(1, nb ? nb : 1);
    if (!buf) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    for (int64_t i = 0; i < w.size; i++) {
        double t = 2 * 3.14159265358979323846 * (double)i / w.denom;
        double v = w.a0 - w.a1 * cos(t) + w.a2 * cos(2 * t);
        float f = (float)v;
        memcpy((char *)buf + (size_t)i * es, w.dtype == GLC_DT_F32 ? (void *)&f : (void *)&v, es);
    }
    LLVMValueRef tab = cg_const_bytes(c, buf, nb ? nb : 1, "window");
    free(buf);
    *fn = cg_kernel_begin(c, n->name, 2);
    if (nb) LLVMBuildMemCpy(c->b, param(*fn, 0), 1, tab, 1, cg_i64(c, (int64_t)nb));
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Compress ------------------------------------------------------------------------- */

glc_status lower_compress(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_compress_geom m;
    GLC_TRY(glc_compress_geom_get(c->g, n, &m, c->d));
    int64_t *pos = calloc((size_t)(m.count ? m.count : 1), sizeof *pos);
    if (!pos) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    for (int64_t j = 0, k = 0; j < m.len; j++)
        if (m.cond[j]) pos[k++] = j;
    LLVMValueRef tab = cg_const_bytes(c, pos, (size_t)(m.count ? m.count : 1) * 8, "compress");
    free(pos);
    LLVMTypeRef ty = cg_int_type_of_size(c, glc_dtype_size(x->dtype));
    *fn = cg_kernel_begin(c, n->name, 3);
    LLVMValueRef y = param(*fn, 0), xp = param(*fn, 1);
    LLVMValueRef dim = cg_dim(c, m.dim), inner = cg_dim(c, m.inner), cnt = cg_i64(c, m.count);
    cg_loop lo, lk, le;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, cg_dim(c, m.outer));
    LLVMValueRef k = cg_loop_begin(c, &lk, m.count);
    LLVMValueRef p = load(c, c->i64, tab, k);
    LLVMValueRef xb = LLVMBuildNSWMul(c->b, cg_madd_v(c, o, dim, p), inner, "");
    LLVMValueRef yb = LLVMBuildNSWMul(c->b, cg_madd_v(c, o, cnt, k), inner, "");
    LLVMValueRef e = cg_loop_begin_v(c, &le, inner);
    store(c, ty, load(c, ty, xp, LLVMBuildNSWAdd(c->b, xb, e, "")), y,
          LLVMBuildNSWAdd(c->b, yb, e, ""));
    cg_loop_end(c, &le);
    cg_loop_end(c, &lk);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- NonZero ----------------------------------------------------------------------------- */

glc_status lower_nonzero(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    int64_t count = glc_nonzero_coords(x, NULL);
    size_t nb = (size_t)(x->rank * count) * 8;
    int64_t *buf = calloc(1, nb ? nb : 1);
    if (!buf) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    glc_nonzero_coords(x, buf);
    LLVMValueRef tab = cg_const_bytes(c, buf, nb ? nb : 1, "nonzero");
    free(buf);
    *fn = cg_kernel_begin(c, n->name, 2);
    if (nb) LLVMBuildMemCpy(c->b, param(*fn, 0), 1, tab, 1, cg_i64(c, (int64_t)nb));
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Unique ------------------------------------------------------------------------------ */

/* Every requested output computed at compile time (the input is a constant) and copied. */
glc_status lower_unique(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *x = glc_node_input(g, n, 0);
    void *buf[4] = {NULL, NULL, NULL, NULL};
    LLVMValueRef tab[4] = {NULL, NULL, NULL, NULL};
    size_t nb[4] = {0, 0, 0, 0};
    bool ok = true;
    for (int k = 0; k < n->n_out && k < 4; k++) {
        nb[k] = n->out[k] ? glc_value_nbytes(&g->values[n->out[k]]) : 0;
        ok &= (buf[k] = calloc(1, nb[k] + 1)) != NULL;
    }
    if (ok && glc_unique_compute(g, n, x->data, buf[0], buf[1], buf[2], buf[3]) < 0) ok = false;
    for (int k = 0; ok && k < 4; k++)
        if (nb[k]) tab[k] = cg_const_bytes(c, buf[k], nb[k], "unique");
    for (int k = 0; k < 4; k++)
        free(buf[k]);
    if (!ok) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    *fn = cg_kernel_begin(c, n->name, n->n_out + 1);
    for (int k = 0; k < 4; k++)
        if (tab[k]) LLVMBuildMemCpy(c->b, param(*fn, k), 1, tab[k], 1, cg_i64(c, (int64_t)nb[k]));
    cg_kernel_end(c);
    return GLC_OK;
}
