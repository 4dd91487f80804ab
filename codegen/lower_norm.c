/*
 * lower_norm.c -- code generation for the norm family (ir/norm.h): the normalisations
 * LayerNormalization, InstanceNormalization, MeanVarianceNormalization on f32 (below), and
 * the ops along one axis or per channel (Hardmax, CumSum, TopK, LRN, the losses,
 * QuantizeLinear, DequantizeLinear) further down.
 *
 * Two loop nests from bcast.c with hand-made strides (cg_bcast_emit): the outer one walks
 * the rows (the kept axes) with the row index, x's, scale's and bias's offsets; inside it
 * the inner one walks a row (the reduced axes), three times: the sum (mean), the sum of
 * squared deviations (variance), then y = (x - mean) * inv * scale + bias. The statistics
 * are accumulated in f64, as the interpreter's, so the two agree within f32 rounding.
 * Every extent and stride is a dim (ir/dim.h), so symbolic shapes take the same code.
 *
 * Hardmax: per (outer, inner) line a scan for the first largest element, then 1 there and
 * 0 elsewhere. CumSum: for o, then s along the axis (backwards when reversed), then i:
 * y[o, j, i] = y[o, p, i] + x[o, j or p, i] (p the previous position; at s = 0 the first
 * term, and for exclusive the second, is 0), so the innermost loop is contiguous.
 */
#include "cg_impl.h"
#include "norm.h"

#include <math.h>
#include <string.h>

static LLVMValueRef param(LLVMValueRef fn, int i) {
    return LLVMGetParam(fn, (unsigned)i);
}

static LLVMValueRef sqrt_f64(cg_ctx *c, LLVMValueRef x) {
    LLVMTypeRef t = LLVMTypeOf(x);
    unsigned id = LLVMLookupIntrinsicID("llvm.sqrt", 9);
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1);
    return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(c->ctx, id, &t, 1), f, &x, 1, "");
}

typedef struct norm_cg {
    const glc_norm_geom *m;
    cg_bcast row; /* over the reduced axes: [0] x, [1] scale, [2] bias */
    LLVMTypeRef f64;
    LLVMValueRef y, x, scale, bias, mean_out, inv_out; /* optional ones NULL */
    LLVMValueRef acc, mean, inv, count;                /* acc: an f64 alloca */
    LLVMValueRef base[3];                              /* the row's x, scale, bias offsets */
    int pass;                                          /* 0 sum, 1 squares, 2 write */
} norm_cg;

static LLVMValueRef ld64(cg_ctx *c, norm_cg *s, LLVMValueRef p, LLVMValueRef i) {
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->f32, cg_gep(c, c->f32, p, i), "");
    return LLVMBuildFPExt(c->b, v, s->f64, "");
}

/* One element of the row; idx: [0] x, [1] scale, [2] bias offsets within the row. */
static void elem_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    norm_cg *s = ctx;
    LLVMBuilderRef b = c->b;
    LLVMValueRef xi = LLVMBuildNSWAdd(b, s->base[0], idx[0], "");
    LLVMValueRef v = ld64(c, s, s->x, xi);
    if (s->pass < 2) {
        if (s->pass == 1) {
            v = LLVMBuildFSub(b, v, s->mean, "");
            v = LLVMBuildFMul(b, v, v, "");
        }
        LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, s->f64, s->acc, ""), v, ""), s->acc);
        return;
    }
    v = LLVMBuildFMul(b, LLVMBuildFSub(b, v, s->mean, ""), s->inv, "");
    if (s->scale)
        v = LLVMBuildFMul(b, v, ld64(c, s, s->scale, LLVMBuildNSWAdd(b, s->base[1], idx[1], "")),
                          "");
    if (s->bias)
        v = LLVMBuildFAdd(b, v, ld64(c, s, s->bias, LLVMBuildNSWAdd(b, s->base[2], idx[2], "")),
                          "");
    LLVMBuildStore(b, LLVMBuildFPTrunc(b, v, c->f32, ""), cg_gep(c, c->f32, s->y, xi));
}

/* acc summed over the row, divided by the count (NaN for an empty row, as 0/0). */
static LLVMValueRef row_mean(cg_ctx *c, norm_cg *s, int pass) {
    LLVMBuildStore(c->b, LLVMConstReal(s->f64, 0), s->acc);
    s->pass = pass;
    cg_bcast_emit(c, &s->row, elem_body, s);
    return LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, s->f64, s->acc, ""), s->count, "");
}

/* One row; idx: [0] the row's index, [1] x, [2] scale, [3] bias offsets. */
static void row_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    norm_cg *s = ctx;
    LLVMBuilderRef b = c->b;
    memcpy(s->base, idx + 1, sizeof s->base);
    s->mean = row_mean(c, s, 0);
    LLVMValueRef var = row_mean(c, s, 1), one = LLVMConstReal(s->f64, 1);
    LLVMValueRef eps = LLVMConstReal(s->f64, s->m->epsilon);
    s->inv = s->m->mvn ? LLVMBuildFDiv(b, one, LLVMBuildFAdd(b, sqrt_f64(c, var), eps, ""), "")
                       : LLVMBuildFDiv(b, one, sqrt_f64(c, LLVMBuildFAdd(b, var, eps, "")), "");
    s->pass = 2;
    if (s->y) cg_bcast_emit(c, &s->row, elem_body, s); /* not requested: statistics only */
    if (s->mean_out)
        LLVMBuildStore(b, LLVMBuildFPTrunc(b, s->mean, c->f32, ""),
                       cg_gep(c, c->f32, s->mean_out, idx[0]));
    if (s->inv_out)
        LLVMBuildStore(b, LLVMBuildFPTrunc(b, s->inv, c->f32, ""),
                       cg_gep(c, c->f32, s->inv_out, idx[0]));
}

/* The two nests' plans: rows over the kept axes, elements over the reduced ones. */
static void norm_plans(const glc_graph *g, const glc_norm_geom *m, cg_bcast *rows, cg_bcast *row) {
    glc_dim xst[GLC_MAX_RANK];
    glc_dim_strides(g, m->rank, m->dims, xst);
    memset(rows, 0, sizeof *rows);
    memset(row, 0, sizeof *row);
    rows->n = 3;
    row->n = 2;
    for (int k = 0; k < 4; k++)
        rows->present[k] = row->present[k < 3 ? k : 0] = true;
    for (int a = 0; a < m->rank; a++) {
        cg_bcast *p = m->reduce[a] ? row : rows;
        int off = m->reduce[a] ? 0 : 1, d = p->rank++;
        p->dims[d] = m->dims[a];
        p->st[off][d] = xst[a];
        p->st[off + 1][d] = m->scale_st[a];
        p->st[off + 2][d] = m->bias_st[a];
    }
    glc_dim_strides(g, rows->rank, rows->dims, rows->st[0]); /* the row index */
}

glc_status lower_norm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_norm_geom m;
    GLC_TRY(glc_norm_geom_get(c->g, n, &m, c->d));
    if (glc_node_input(c->g, n, 0)->dtype != GLC_DT_F32)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "%s: only f32 is supported",
                            glc_op_name(n->op));
    norm_cg s = {.m = &m, .f64 = LLVMDoubleTypeInContext(c->ctx)};
    cg_bcast rows;
    norm_plans(c->g, &m, &rows, &s.row);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    int o = n->n_out;
    s.y = n->out[0] ? param(*fn, 0) : NULL;
    s.mean_out = n->n_out > 1 && n->out[1] ? param(*fn, 1) : NULL;
    s.inv_out = n->n_out > 2 && n->out[2] ? param(*fn, 2) : NULL;
    s.x = param(*fn, o);
    s.scale = m.has_scale ? param(*fn, o + 1) : NULL;
    s.bias = m.has_bias ? param(*fn, o + 2) : NULL;
    s.acc = cg_alloca_entry(c, s.f64);
    s.count = LLVMBuildSIToFP(c->b, cg_dim(c, m.count), s.f64, "");
    cg_bcast_emit(c, &rows, row_body, &s);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Hardmax, CumSum ------------------------------------------------------------------ */

glc_status lower_hardmax(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(c->g, n, &v, c->d));
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMBuilderRef b = c->b;
    LLVMValueRef y = param(*fn, 0), x = param(*fn, 1);
    LLVMValueRef best = cg_alloca_entry(c, c->f32), arg = cg_alloca_entry(c, c->i64);
    LLVMValueRef dim = cg_dim(c, v.dim), inner = cg_dim(c, v.inner);
    cg_loop lo, li, lj, lw;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, cg_dim(c, v.outer));
    LLVMValueRef i = cg_loop_begin_v(c, &li, inner);
    LLVMValueRef base = cg_madd_v(c, LLVMBuildNSWMul(b, o, dim, ""), inner, i);
    LLVMBuildStore(b, cg_ldf(c, x, base), best);
    LLVMBuildStore(b, cg_i64(c, 0), arg);
    LLVMValueRef j = cg_loop_range(c, &lj, cg_i64(c, 1), dim);
    LLVMValueRef xv = cg_ldf(c, x, cg_madd_v(c, j, inner, base));
    LLVMValueRef bv = LLVMBuildLoad2(b, c->f32, best, "");
    LLVMValueRef win = LLVMBuildFCmp(b, LLVMRealOGT, xv, bv, "");
    LLVMBuildStore(b, LLVMBuildSelect(b, win, xv, bv, ""), best);
    LLVMBuildStore(b, LLVMBuildSelect(b, win, j, LLVMBuildLoad2(b, c->i64, arg, ""), ""), arg);
    cg_loop_end(c, &lj);
    LLVMValueRef a = LLVMBuildLoad2(b, c->i64, arg, "");
    j = cg_loop_begin_v(c, &lw, dim);
    LLVMValueRef hit = LLVMBuildICmp(b, LLVMIntEQ, j, a, "");
    cg_stf(c, LLVMBuildSelect(b, hit, cg_f32(c, 1), cg_f32(c, 0), ""), y,
           cg_madd_v(c, j, inner, base));
    cg_loop_end(c, &lw);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_cumsum(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(c->g, n, &v, c->d));
    glc_dtype dt = glc_node_input(c->g, n, 0)->dtype;
    bool fl = glc_dtype_is_float(dt);
    LLVMTypeRef ty = dt == GLC_DT_F32   ? c->f32
                     : dt == GLC_DT_F64 ? LLVMDoubleTypeInContext(c->ctx)
                                        : cg_int_type_of_size(c, glc_dtype_size(dt));
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    LLVMBuilderRef b = c->b;
    LLVMValueRef y = param(*fn, 0), x = param(*fn, 1), zero = LLVMConstNull(ty);
    LLVMValueRef dim = cg_dim(c, v.dim), inner = cg_dim(c, v.inner);
    cg_loop lo, ls, li;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, cg_dim(c, v.outer));
    LLVMValueRef s = cg_loop_begin_v(c, &ls, dim);
    LLVMValueRef first = LLVMBuildICmp(b, LLVMIntEQ, s, cg_i64(c, 0), "");
    LLVMValueRef j =
        v.reverse ? LLVMBuildNSWSub(b, LLVMBuildNSWSub(b, dim, cg_i64(c, 1), ""), s, "") : s;
    LLVMValueRef p = LLVMBuildSelect(b, first, j, cg_addk(c, j, v.reverse ? 1 : -1), "");
    LLVMValueRef row = LLVMBuildNSWMul(b, o, dim, "");
    LLVMValueRef at = LLVMBuildNSWMul(b, LLVMBuildNSWAdd(b, row, j, ""), inner, "");
    LLVMValueRef prev = LLVMBuildNSWMul(b, LLVMBuildNSWAdd(b, row, p, ""), inner, "");
    LLVMValueRef i = cg_loop_begin_v(c, &li, inner);
    LLVMValueRef ip = LLVMBuildNSWAdd(b, prev, i, ""), ia = LLVMBuildNSWAdd(b, at, i, "");
    LLVMValueRef acc =
        LLVMBuildSelect(b, first, zero, LLVMBuildLoad2(b, ty, cg_gep(c, ty, y, ip), ""), "");
    LLVMValueRef xv = LLVMBuildLoad2(b, ty, cg_gep(c, ty, x, v.exclusive ? ip : ia), "");
    if (v.exclusive) xv = LLVMBuildSelect(b, first, zero, xv, "");
    LLVMValueRef sum = fl ? LLVMBuildFAdd(b, acc, xv, "") : LLVMBuildAdd(b, acc, xv, "");
    LLVMBuildStore(b, sum, cg_gep(c, ty, y, ia));
    cg_loop_end(c, &li);
    cg_loop_end(c, &ls);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}

/* a comes before b (values av, bv; indices ai < bi is the tie-break), as the interpreter. */
static LLVMValueRef topk_before(cg_ctx *c, glc_dtype dt, bool largest, LLVMValueRef av,
                                LLVMValueRef ai, LLVMValueRef bv, LLVMValueRef bi) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef gt, eq;
    if (glc_dtype_is_float(dt)) {
        gt = LLVMBuildFCmp(b, largest ? LLVMRealOGT : LLVMRealOLT, av, bv, "");
        eq = LLVMBuildFCmp(b, LLVMRealOEQ, av, bv, "");
    } else {
        bool uns = dt == GLC_DT_U8 || dt == GLC_DT_U16 || dt == GLC_DT_U32 || dt == GLC_DT_U64;
        LLVMIntPredicate p =
            largest ? (uns ? LLVMIntUGT : LLVMIntSGT) : (uns ? LLVMIntULT : LLVMIntSLT);
        gt = LLVMBuildICmp(b, p, av, bv, "");
        eq = LLVMBuildICmp(b, LLVMIntEQ, av, bv, "");
    }
    LLVMValueRef earlier = LLVMBuildICmp(b, LLVMIntSLT, ai, bi, "");
    return LLVMBuildOr(b, gt, LLVMBuildAnd(b, eq, earlier, ""), "");
}

glc_status lower_topk(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_dtype dt = glc_node_input(c->g, n, 0)->dtype;
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(c->g, n, &v, c->d));
    LLVMTypeRef ty = dt == GLC_DT_F32   ? c->f32
                     : dt == GLC_DT_F64 ? LLVMDoubleTypeInContext(c->ctx)
                                        : cg_int_type_of_size(c, glc_dtype_size(dt));
    bool own_v = !n->out[0], own_i = !n->out[1]; /* not requested: a stack line of k */
    if ((own_v || own_i) && v.k > 4096)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n,
                            "TopK: k %lld > 4096 with one output "
                            "not requested",
                            (long long)v.k);
    *fn = cg_kernel_begin(c, n->name, 4);
    LLVMBuilderRef b = c->b;
    LLVMValueRef yv = param(*fn, 0), yi = param(*fn, 1), x = param(*fn, 2);
    if (own_v) yv = LLVMBuildArrayAlloca(b, ty, cg_i64(c, v.k ? v.k : 1), "");
    if (own_i) yi = LLVMBuildArrayAlloca(b, c->i64, cg_i64(c, v.k ? v.k : 1), "");
    LLVMValueRef cv = cg_alloca_entry(c, ty), ci = cg_alloca_entry(c, c->i64);
    LLVMValueRef dim = cg_dim(c, v.dim), inner = cg_dim(c, v.inner), k = cg_i64(c, v.k);
    cg_loop lo, li, lj, lq;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, cg_dim(c, v.outer));
    LLVMValueRef i = cg_loop_begin_v(c, &li, inner);
    LLVMValueRef xbase = cg_madd_v(c, LLVMBuildNSWMul(b, o, dim, ""), inner, i);
    LLVMValueRef ybase = cg_madd_v(c, LLVMBuildNSWMul(b, o, k, ""), inner, i);
    LLVMValueRef j = cg_loop_begin_v(c, &lj, dim);
    LLVMBuildStore(b, LLVMBuildLoad2(b, ty, cg_gep(c, ty, x, cg_madd_v(c, j, inner, xbase)), ""),
                   cv);
    LLVMBuildStore(b, j, ci);
    LLVMValueRef j1 = cg_addk(c, j, 1);
    LLVMValueRef nq = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, j1, k, ""), j1, k, "");
    LLVMValueRef q = cg_loop_begin_v(c, &lq, nq);
    LLVMValueRef at = cg_madd_v(c, q, inner, ybase);
    LLVMValueRef atv = own_v ? q : at, ati = own_i ? q : at;
    LLVMValueRef empty = LLVMBuildICmp(b, LLVMIntEQ, q, j, ""); /* the first empty slot */
    LLVMValueRef sv = LLVMBuildLoad2(b, ty, cg_gep(c, ty, yv, atv), "");
    LLVMValueRef si = LLVMBuildLoad2(b, c->i64, cg_gep(c, c->i64, yi, ati), "");
    LLVMValueRef av = LLVMBuildLoad2(b, ty, cv, ""), ai = LLVMBuildLoad2(b, c->i64, ci, "");
    LLVMValueRef take = LLVMBuildOr(b, empty, topk_before(c, dt, v.largest, av, ai, sv, si), "");
    LLVMBuildStore(b, LLVMBuildSelect(b, take, av, sv, ""), cg_gep(c, ty, yv, atv));
    LLVMBuildStore(b, LLVMBuildSelect(b, take, ai, si, ""), cg_gep(c, c->i64, yi, ati));
    LLVMBuildStore(b, LLVMBuildSelect(b, take, sv, av, ""), cv);
    LLVMBuildStore(b, LLVMBuildSelect(b, take, si, ai, ""), ci);
    cg_loop_end(c, &lq);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss -------------------------------- */

typedef struct loss_cg {
    const glc_loss_geom *l;
    glc_dtype tdt;
    LLVMTypeRef f64;
    LLVMValueRef y, lp, x, t, w;      /* lp, w: NULL if absent */
    LLVMValueRef C, inner, sum, wsum; /* sum, wsum: f64 allocas */
    LLVMValueRef mx, es;              /* f32 allocas (softmax) */
} loss_cg;

/* lse over the C scores from base (stride inner); writes log_prob when requested. */
static LLVMValueRef loss_lse(cg_ctx *c, const loss_cg *s, LLVMValueRef base) {
    LLVMBuilderRef b = c->b;
    cg_loop l1, l2, l3;
    LLVMBuildStore(b, cg_f32(c, -HUGE_VAL), s->mx);
    LLVMBuildStore(b, cg_f32(c, 0), s->es);
    LLVMValueRef k = cg_loop_begin_v(c, &l1, s->C);
    LLVMValueRef v = cg_ldf(c, s->x, cg_madd_v(c, k, s->inner, base));
    LLVMValueRef m = LLVMBuildLoad2(b, c->f32, s->mx, "");
    LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, m, ""), v, m, ""), s->mx);
    cg_loop_end(c, &l1);
    LLVMValueRef m2 = LLVMBuildLoad2(b, c->f32, s->mx, "");
    k = cg_loop_begin_v(c, &l2, s->C);
    v = cg_ldf(c, s->x, cg_madd_v(c, k, s->inner, base));
    LLVMValueRef e = cg_math_exp(c, LLVMBuildFSub(b, v, m2, ""));
    LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, c->f32, s->es, ""), e, ""), s->es);
    cg_loop_end(c, &l2);
    LLVMValueRef lse =
        LLVMBuildFAdd(b, m2, cg_math_log(c, LLVMBuildLoad2(b, c->f32, s->es, "")), "");
    if (s->lp) {
        k = cg_loop_begin_v(c, &l3, s->C);
        LLVMValueRef at = cg_madd_v(c, k, s->inner, base);
        cg_stf(c, LLVMBuildFSub(b, cg_ldf(c, s->x, at), lse, ""), s->lp, at);
        cg_loop_end(c, &l3);
    }
    return lse;
}

static void loss_point(cg_ctx *c, const loss_cg *s, LLVMValueRef bn, LLVMValueRef i) {
    LLVMBuilderRef b = c->b;
    const glc_loss_geom *l = s->l;
    LLVMValueRef k = cg_madd_v(c, bn, s->inner, i);
    LLVMValueRef base = cg_madd_v(c, LLVMBuildNSWMul(b, bn, s->C, ""), s->inner, i);
    LLVMTypeRef it = s->tdt == GLC_DT_I64 ? c->i64 : c->i32;
    LLVMValueRef t = LLVMBuildLoad2(b, it, cg_gep(c, it, s->t, k), "");
    if (it != c->i64) t = LLVMBuildSExt(b, t, c->i64, "");
    LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntULT, t, s->C, "");
    if (l->has_ignore)
        ok =
            LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntNE, t, cg_i64(c, l->ignore_index), ""), "");
    t = LLVMBuildSelect(b, ok, t, cg_i64(c, 0), "");
    LLVMValueRef lse = l->softmax ? loss_lse(c, s, base) : cg_f32(c, 0);
    LLVMValueRef w = s->w ? cg_ldf(c, s->w, t) : cg_f32(c, 1);
    w = LLVMBuildSelect(b, ok, w, cg_f32(c, 0), "");
    LLVMValueRef v = LLVMBuildFSub(b, cg_ldf(c, s->x, cg_madd_v(c, t, s->inner, base)), lse, "");
    LLVMValueRef loss = LLVMBuildFMul(b, LLVMBuildFNeg(b, v, ""), w, "");
    loss = LLVMBuildSelect(b, ok, loss, cg_f32(c, 0), "");
    if (l->reduction == GLC_LOSS_NONE) {
        cg_stf(c, loss, s->y, k);
        return;
    }
    LLVMValueRef s0 = LLVMBuildLoad2(b, s->f64, s->sum, ""),
                 w0 = LLVMBuildLoad2(b, s->f64, s->wsum, "");
    LLVMBuildStore(b, LLVMBuildFAdd(b, s0, LLVMBuildFPExt(b, loss, s->f64, ""), ""), s->sum);
    LLVMBuildStore(b, LLVMBuildFAdd(b, w0, LLVMBuildFPExt(b, w, s->f64, ""), ""), s->wsum);
}

glc_status lower_loss(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_loss_geom l;
    GLC_TRY(glc_loss_geom_get(c->g, n, &l, c->d));
    loss_cg s = {
        .l = &l, .tdt = glc_node_input(c->g, n, 1)->dtype, .f64 = LLVMDoubleTypeInContext(c->ctx)};
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    int o = n->n_out;
    s.y = param(*fn, 0);
    s.lp = n->n_out > 1 && n->out[1] ? param(*fn, 1) : NULL;
    s.x = param(*fn, o);
    s.t = param(*fn, o + 1);
    s.w = l.has_weight ? param(*fn, o + 2) : NULL;
    s.C = cg_dim(c, l.C);
    s.inner = cg_dim(c, l.inner);
    s.sum = cg_alloca_entry(c, s.f64);
    s.wsum = cg_alloca_entry(c, s.f64);
    s.mx = cg_alloca_entry(c, c->f32);
    s.es = cg_alloca_entry(c, c->f32);
    LLVMBuildStore(c->b, LLVMConstReal(s.f64, 0), s.sum);
    LLVMBuildStore(c->b, LLVMConstReal(s.f64, 0), s.wsum);
    cg_loop ln, li;
    LLVMValueRef bn = cg_loop_begin_v(c, &ln, cg_dim(c, l.N));
    LLVMValueRef i = cg_loop_begin_v(c, &li, s.inner);
    loss_point(c, &s, bn, i);
    cg_loop_end(c, &li);
    cg_loop_end(c, &ln);
    if (l.reduction != GLC_LOSS_NONE) {
        LLVMValueRef v = LLVMBuildLoad2(c->b, s.f64, s.sum, "");
        if (l.reduction == GLC_LOSS_MEAN)
            v = LLVMBuildFDiv(c->b, v, LLVMBuildLoad2(c->b, s.f64, s.wsum, ""), "");
        cg_stf(c, LLVMBuildFPTrunc(c->b, v, c->f32, ""), s.y, cg_i64(c, 0));
    }
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- LRN ------------------------------------------------------------------------------ */

glc_status lower_lrn(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_lrn_geom l;
    GLC_TRY(glc_lrn_geom_get(c->g, n, &l, c->d));
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(c->ctx);
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMBuilderRef b = c->b;
    LLVMValueRef y = param(*fn, 0), x = param(*fn, 1), acc = cg_alloca_entry(c, f64);
    LLVMValueRef C = cg_dim(c, l.C), inner = cg_dim(c, l.inner), zero = cg_i64(c, 0);
    cg_loop lb, lc, li, lk;
    LLVMValueRef bn = cg_loop_begin_v(c, &lb, cg_dim(c, l.N));
    LLVMValueRef ch = cg_loop_begin_v(c, &lc, C);
    LLVMValueRef i = cg_loop_begin_v(c, &li, inner);
    LLVMValueRef lo = cg_addk(c, ch, -((l.size - 1) / 2)), hi = cg_addk(c, ch, l.size / 2 + 1);
    lo = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, lo, zero, ""), zero, lo, "");
    hi = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, hi, C, ""), C, hi, "");
    LLVMValueRef row = LLVMBuildNSWMul(b, bn, C, "");
    LLVMBuildStore(b, LLVMConstReal(f64, 0), acc);
    LLVMValueRef k = cg_loop_range(c, &lk, lo, hi);
    LLVMValueRef v = LLVMBuildFPExt(
        b, cg_ldf(c, x, cg_madd_v(c, LLVMBuildNSWAdd(b, row, k, ""), inner, i)), f64, "");
    LLVMBuildStore(
        b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, f64, acc, ""), LLVMBuildFMul(b, v, v, ""), ""), acc);
    cg_loop_end(c, &lk);
    LLVMValueRef at = cg_madd_v(c, LLVMBuildNSWAdd(b, row, ch, ""), inner, i);
    LLVMValueRef base = LLVMBuildFAdd(b, LLVMConstReal(f64, l.bias),
                                      LLVMBuildFMul(b, LLVMConstReal(f64, l.alpha / (double)l.size),
                                                    LLVMBuildLoad2(b, f64, acc, ""), ""),
                                      "");
    LLVMTypeRef t = f64;
    unsigned id = LLVMLookupIntrinsicID("llvm.pow", 8);
    LLVMValueRef args[2] = {base, LLVMConstReal(f64, l.beta)};
    LLVMValueRef pw = LLVMBuildCall2(b, LLVMIntrinsicGetType(c->ctx, id, &t, 1),
                                     LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1), args, 2, "");
    LLVMValueRef xv = LLVMBuildFPExt(b, cg_ldf(c, x, at), f64, "");
    cg_stf(c, LLVMBuildFPTrunc(b, LLVMBuildFDiv(b, xv, pw, ""), c->f32, ""), y, at);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lc);
    cg_loop_end(c, &lb);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- QuantizeLinear, DequantizeLinear --------------------------------------------------- */

static LLVMValueRef f32_intr(cg_ctx *c, const char *name, LLVMValueRef x) {
    LLVMTypeRef t = c->f32;
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(c->ctx, id, &t, 1),
                          LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1), &x, 1, "");
}

/* Element k of an i8, u8 or i32 tensor as an i64. */
static LLVMValueRef qint_i64(cg_ctx *c, glc_dtype dt, LLVMValueRef p, LLVMValueRef k) {
    LLVMTypeRef it = dt == GLC_DT_I32 ? c->i32 : c->i8;
    LLVMValueRef v = LLVMBuildLoad2(c->b, it, cg_gep(c, it, p, k), "");
    v = dt == GLC_DT_U8 ? LLVMBuildZExt(c->b, v, c->i64, "") : LLVMBuildSExt(c->b, v, c->i64, "");
    return v;
}

glc_status lower_quantize(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_quant_geom q;
    GLC_TRY(glc_quant_geom_get(c->g, n, &q, c->d));
    bool quant = n->op == GLC_OP_QUANTIZELINEAR;
    glc_dtype xdt = glc_node_input(c->g, n, 0)->dtype;
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    LLVMBuilderRef b = c->b;
    LLVMValueRef y = param(*fn, 0), x = param(*fn, 1), sc = param(*fn, 2);
    LLVMValueRef zp = q.has_zp ? param(*fn, 3) : NULL;
    LLVMValueRef C = cg_dim(c, q.C), inner = cg_dim(c, q.inner);
    double lo = q.q == GLC_DT_U8 ? 0 : -128, hi = q.q == GLC_DT_U8 ? 255 : 127;
    cg_loop lo_, lc, li;
    LLVMValueRef o = cg_loop_begin_v(c, &lo_, cg_dim(c, q.outer));
    LLVMValueRef ch = cg_loop_begin_v(c, &lc, C);
    LLVMValueRef s = cg_ldf(c, sc, ch);
    LLVMValueRef z = zp ? qint_i64(c, q.q, zp, ch) : cg_i64(c, 0);
    LLVMValueRef row = LLVMBuildNSWMul(b, cg_madd_v(c, o, C, ch), inner, "");
    LLVMValueRef i = cg_loop_begin_v(c, &li, inner), at = LLVMBuildNSWAdd(b, row, i, "");
    if (quant) {
        LLVMValueRef v = f32_intr(c, "llvm.roundeven", LLVMBuildFDiv(b, cg_ldf(c, x, at), s, ""));
        v = LLVMBuildFAdd(b, v, LLVMBuildSIToFP(b, z, c->f32, ""), "");
        LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
        v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, cg_f32(c, lo), ""), cg_f32(c, lo),
                            v, "");
        v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, cg_f32(c, hi), ""), cg_f32(c, hi),
                            v, "");
        v = LLVMBuildSelect(b, nan, cg_f32(c, 0), v, "");
        LLVMValueRef r = LLVMBuildFPToSI(b, v, c->i32, "");
        LLVMBuildStore(b, LLVMBuildTrunc(b, r, c->i8, ""), cg_gep(c, c->i8, y, at));
    } else {
        LLVMValueRef v = LLVMBuildSub(b, qint_i64(c, xdt, x, at), z, "");
        cg_stf(c, LLVMBuildFMul(b, LLVMBuildSIToFP(b, v, c->f32, ""), s, ""), y, at);
    }
    cg_loop_end(c, &li);
    cg_loop_end(c, &lc);
    cg_loop_end(c, &lo_);
    cg_kernel_end(c);
    return GLC_OK;
}

/* roundeven(v) + z saturated to [0, 255] (NaN: 0), as an f32. */
static LLVMValueRef sat_u8(cg_ctx *c, LLVMValueRef v, LLVMValueRef z) {
    LLVMBuilderRef b = c->b;
    v = LLVMBuildFAdd(b, f32_intr(c, "llvm.roundeven", v), z, "");
    LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
    v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, cg_f32(c, 0), ""), cg_f32(c, 0), v, "");
    v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, cg_f32(c, 255), ""), cg_f32(c, 255), v,
                        "");
    return LLVMBuildSelect(b, nan, cg_f32(c, 0), v, "");
}

glc_status lower_dynquant(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *xv = glc_node_input(c->g, n, 0);
    *fn = cg_kernel_begin(c, n->name, n->n_out + 1);
    LLVMBuilderRef b = c->b;
    LLVMValueRef x = param(*fn, n->n_out), total = cg_dim(c, glc_value_numel_dim(c->g, xv));
    LLVMValueRef lo = cg_alloca_entry(c, c->f32), hi = cg_alloca_entry(c, c->f32);
    LLVMBuildStore(b, cg_f32(c, 0), lo);
    LLVMBuildStore(b, cg_f32(c, 0), hi);
    cg_loop l1, l2;
    LLVMValueRef i = cg_loop_begin_v(c, &l1, total), v = cg_ldf(c, x, i);
    LLVMValueRef a = LLVMBuildLoad2(b, c->f32, lo, ""), h = LLVMBuildLoad2(b, c->f32, hi, "");
    LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, a, ""), v, a, ""), lo);
    LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, h, ""), v, h, ""), hi);
    cg_loop_end(c, &l1);
    a = LLVMBuildLoad2(b, c->f32, lo, "");
    h = LLVMBuildLoad2(b, c->f32, hi, "");
    LLVMValueRef scale = LLVMBuildFDiv(b, LLVMBuildFSub(b, h, a, ""), cg_f32(c, 255), "");
    LLVMValueRef zp =
        sat_u8(c, LLVMBuildFDiv(b, LLVMBuildFSub(b, cg_f32(c, 0), a, ""), scale, ""), cg_f32(c, 0));
    if (n->out[0]) {
        i = cg_loop_begin_v(c, &l2, total);
        LLVMValueRef q = sat_u8(c, LLVMBuildFDiv(b, cg_ldf(c, x, i), scale, ""), zp);
        LLVMBuildStore(b, LLVMBuildFPToUI(b, q, c->i8, ""), cg_gep(c, c->i8, param(*fn, 0), i));
        cg_loop_end(c, &l2);
    }
    if (n->n_out > 1 && n->out[1]) cg_stf(c, scale, param(*fn, 1), cg_i64(c, 0));
    if (n->n_out > 2 && n->out[2])
        LLVMBuildStore(b, LLVMBuildFPToUI(b, zp, c->i8, ""), param(*fn, 2));
    cg_kernel_end(c);
    return GLC_OK;
}
