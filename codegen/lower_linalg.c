/*
 * lower_linalg.c -- Softmax (f32, f64), Gemm and MatMul (f32), naive loop nests ordered
 * i-k-j so the innermost j loop is contiguous in B and the output and vectorizes (a later
 * issue replaces Gemm/MatMul with a packed, register-blocked micro-kernel).
 *
 * Softmax views the input as (outer, D, inner): opset >= 13 reduces over one axis
 * (default -1); opset < 13 flattens d[axis:] into D (default axis 1) with inner = 1.
 * Each row: max, then exp(x - max) stored and summed, then scaled by 1/sum.
 * Gemm: Y = A' B' through cg_gemm_emit (gemm.c), then Y = alpha * Y + beta * C with C
 * broadcast to (M, N). MatMul: numpy semantics, 1-D operands promoted, batch dims broadcast
 * with stride 0, one cg_gemm_emit per batch element.
 * Einsum: two bcast.c nests with the equation's strides: the output labels (the output
 * and each operand's offset), and inside, the summed labels accumulating the operands'
 * product in the output's type.
 * MatMulInteger, QLinearMatMul: a plain (batch, i, j, k) nest in i32, then QLinearMatMul's
 * requantization in f64 (llvm.roundeven) as the interpreter's.
 * Det: per matrix, copied to f64 node scratch (M * M doubles), Gaussian elimination with
 * partial pivoting as the interpreter's, step for step.
 */
#include "cg_impl.h"
#include "tensor.h"

#include <string.h>

#include <math.h>

static void st(cg_ctx *c, LLVMValueRef v, LLVMValueRef p, LLVMValueRef i) {
    LLVMBuildStore(c->b, v, cg_gep(c, c->f32, p, i));
}

static glc_status need_f32(cg_ctx *c, const glc_node *n) {
    if (c->g->values[n->out[0]].dtype == GLC_DT_F32) return GLC_OK;
    return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "only f32 is supported");
}

/* exp(x) in ty: the vectorizable IR function for f32, libm's exp for f64. */
static LLVMValueRef softmax_exp(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef x) {
    if (ty == c->f32) return cg_math_exp(c, x);
    LLVMTypeRef ft = LLVMFunctionType(ty, &ty, 1, 0);
    LLVMValueRef f = LLVMGetNamedFunction(c->mod, "exp");
    if (!f) f = LLVMAddFunction(c->mod, "exp", ft);
    return LLVMBuildCall2(c->b, ft, f, &x, 1, "");
}

/* Softmax in f32 or f64 (the output's dtype). */
glc_status lower_softmax(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *v = &c->g->values[n->out[0]];
    if (v->dtype != GLC_DT_F64) GLC_TRY(need_f32(c, n));
    LLVMTypeRef ty = v->dtype == GLC_DT_F64 ? LLVMDoubleTypeInContext(c->ctx) : c->f32;
    bool legacy = c->g->opset > 0 && c->g->opset < 13;
    int64_t ax = glc_attr_int(n, "axis", legacy ? 1 : -1);
    if (ax < 0) ax += v->rank;
    glc_dim outer = 1, Dd = 1, innerd = 1;
    for (int i = 0; i < v->rank; i++) {
        if (i < ax)
            outer = glc_dim_mul(c->g, outer, v->dims[i]);
        else if (i == ax || legacy)
            Dd = glc_dim_mul(c->g, Dd, v->dims[i]);
        else
            innerd = glc_dim_mul(c->g, innerd, v->dims[i]);
    }
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMBuilderRef b = c->b;
    LLVMValueRef D = cg_dim(c, Dd), inner = cg_dim(c, innerd);
    LLVMValueRef y = LLVMGetParam(*fn, 0), x = LLVMGetParam(*fn, 1);
    LLVMValueRef mx = cg_alloca_entry(c, ty), sum = cg_alloca_entry(c, ty);
#define LD(p, i) LLVMBuildLoad2(b, ty, cg_gep(c, ty, p, i), "")
#define ST(v, p, i) LLVMBuildStore(b, v, cg_gep(c, ty, p, i))
    cg_loop lo, li, ld1, ld2, ld3;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, cg_dim(c, outer));
    LLVMValueRef in = cg_loop_begin_v(c, &li, inner);
    LLVMValueRef base = cg_madd_v(c, o, LLVMBuildNSWMul(b, D, inner, ""), in);
    LLVMBuildStore(b, LLVMConstReal(ty, -HUGE_VAL), mx);
    LLVMBuildStore(b, LLVMConstReal(ty, 0.0), sum);
    LLVMValueRef d = cg_loop_begin_v(c, &ld1, D);
    LLVMValueRef xv = LD(x, cg_madd_v(c, d, inner, base));
    LLVMValueRef m = LLVMBuildLoad2(b, ty, mx, "");
    LLVMValueRef gt = LLVMBuildFCmp(b, LLVMRealOGT, xv, m, "");
    LLVMBuildStore(b, LLVMBuildSelect(b, gt, xv, m, ""), mx);
    cg_loop_end(c, &ld1);
    LLVMValueRef m2 = LLVMBuildLoad2(b, ty, mx, "");
    d = cg_loop_begin_v(c, &ld2, D);
    LLVMValueRef idx = cg_madd_v(c, d, inner, base);
    LLVMValueRef e = softmax_exp(c, ty, LLVMBuildFSub(b, LD(x, idx), m2, ""));
    ST(e, y, idx);
    LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, ty, sum, ""), e, ""), sum);
    cg_loop_end(c, &ld2);
    LLVMValueRef r = LLVMBuildFDiv(b, LLVMConstReal(ty, 1.0), LLVMBuildLoad2(b, ty, sum, ""), "");
    d = cg_loop_begin_v(c, &ld3, D);
    idx = cg_madd_v(c, d, inner, base);
    ST(LLVMBuildFMul(b, LD(y, idx), r, ""), y, idx);
#undef LD
#undef ST
    cg_loop_end(c, &ld3);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}

/* The host data of input i when it is a constant (a weight), else NULL. */
static const float *const_f32(const cg_ctx *c, const glc_node *n, int i) {
    const glc_value *v = glc_node_input(c->g, n, i);
    return v ? v->data : NULL;
}

/* Y = alpha * Y + beta * C(broadcast) over (M, N), after Y = A' B'. */
static void gemm_epilogue(cg_ctx *c, const glc_node *n, LLVMValueRef fn, glc_dim M, glc_dim Nd) {
    const glc_value *C = glc_node_input(c->g, n, 2);
    double alpha = glc_attr_float(n, "alpha", 1.0f), beta = glc_attr_float(n, "beta", 1.0f);
    if (!C) beta = 0.0;
    if (alpha == 1.0 && beta == 0.0) return;
    LLVMValueRef s[2] = {cg_i64(c, 0), cg_i64(c, 0)};
    if (C) {
        LLVMValueRef cs[GLC_MAX_RANK];
        glc_dim want[2] = {M, Nd};
        cg_strides_dim(c, C->rank, C->dims, cs);
        for (int i = 0; i < C->rank; i++)
            s[2 - C->rank + i] = cg_bcast_stride(c, C->dims[i], want[2 - C->rank + i], cs[i]);
    }
    LLVMValueRef y = LLVMGetParam(fn, 0);
    cg_loop li, lj;
    LLVMValueRef N = cg_dim(c, Nd);
    LLVMValueRef i = cg_loop_begin_v(c, &li, cg_dim(c, M));
    LLVMValueRef j = cg_loop_begin_v(c, &lj, N);
    LLVMValueRef yi = cg_madd_v(c, i, N, j);
    LLVMValueRef v = cg_ldf(c, y, yi);
    if (alpha != 1.0) v = cg_fmul(c, v, cg_f32(c, alpha));
    if (beta != 0.0) {
        LLVMValueRef ci = cg_madd_v(c, j, s[1], cg_madd_v(c, i, s[0], cg_i64(c, 0)));
        LLVMValueRef cv = cg_ldf(c, LLVMGetParam(fn, 3), ci);
        v = cg_fadd(c, v, beta == 1.0 ? cv : cg_fmul(c, cv, cg_f32(c, beta)));
    }
    cg_stf(c, v, y, yi);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
}

/* M as the product wants it: static, or run time (Mv) with its bound (0: none) as hint. */
static void set_rows(cg_ctx *c, cg_gemm *g, glc_dim M) {
    if (glc_dim_is_const(M)) {
        g->M = M;
        return;
    }
    int64_t hint = 0;
    g->M = glc_dim_upper_bound(c->g, M, &hint) ? hint : -1;
    g->Mv = cg_dim(c, M);
}

/* A product with a symbolic N or K: the plain loop nest (cg_gemm_emit_rt). */
static void emit_rt(cg_ctx *c, glc_dim M, glc_dim N, glc_dim K, LLVMValueRef y, LLVMValueRef a,
                    LLVMValueRef b, bool ta, bool tb) {
    LLVMValueRef m = cg_dim(c, M), nv = cg_dim(c, N), k = cg_dim(c, K), one = cg_i64(c, 1);
    cg_gemm_rt g = {.M = m, .N = nv, .K = k, .a = a, .b = b, .y = y,
                    .a_rs = ta ? one : k, .a_cs = ta ? m : one,
                    .b_rs = tb ? one : nv, .b_cs = tb ? k : one, .y_rs = nv};
    cg_gemm_emit_rt(c, &g);
}

glc_status lower_gemm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    GLC_TRY(need_f32(c, n));
    const glc_value *A = glc_node_input(c->g, n, 0), *Y = &c->g->values[n->out[0]];
    bool ta = glc_attr_int(n, "transA", 0), tb = glc_attr_int(n, "transB", 0);
    glc_dim M = Y->dims[0], N = Y->dims[1], K = ta ? A->dims[0] : A->dims[1];
    *fn = cg_kernel_begin(c, n->name, 4);
    if (glc_dim_is_sym(N) || glc_dim_is_sym(K) || (ta && glc_dim_is_sym(M))) {
        emit_rt(c, M, N, K, LLVMGetParam(*fn, 0), LLVMGetParam(*fn, 1), LLVMGetParam(*fn, 2), ta,
                tb);
        gemm_epilogue(c, n, *fn, M, N);
        cg_kernel_end(c);
        return GLC_OK;
    }
    cg_gemm g = {.N = N, .K = K,
                 .a = LLVMGetParam(*fn, 1), .b = LLVMGetParam(*fn, 2), .y = LLVMGetParam(*fn, 0),
                 .a_rs = ta ? 1 : K, .a_cs = ta ? M : 1,
                 .b_rs = tb ? 1 : N, .b_cs = tb ? K : 1, .y_rs = N,
                 .a_const = const_f32(c, n, 0), .b_const = const_f32(c, n, 1)};
    set_rows(c, &g, M);
    GLC_TRY(cg_gemm_emit(c, &g));
    gemm_epilogue(c, n, *fn, M, N);
    cg_kernel_end(c);
    return GLC_OK;
}

typedef struct bm_state {
    cg_gemm m;
    glc_dim M, N, K; /* with a symbolic N or K: the plain loop nest */
    int rb; /* batch rank */
    glc_dim bd[GLC_MAX_RANK];
    LLVMValueRef sa[GLC_MAX_RANK], sb[GLC_MAX_RANK], sy[GLC_MAX_RANK];
} bm_state;

static bool is_zero(LLVMValueRef v) {
    return LLVMIsAConstantInt(v) && LLVMConstIntGetSExtValue(v) == 0;
}

static glc_status bm_nest(cg_ctx *c, const bm_state *s, LLVMValueRef fn, int d, LLVMValueRef yo,
                          LLVMValueRef ao, LLVMValueRef bo) {
    if (d == s->rb) {
        cg_gemm g = s->m;
        g.y = cg_gep(c, c->f32, LLVMGetParam(fn, 0), yo);
        g.a = cg_gep(c, c->f32, LLVMGetParam(fn, 1), ao);
        g.b = cg_gep(c, c->f32, LLVMGetParam(fn, 2), bo);
        if (glc_dim_is_sym(s->N) || glc_dim_is_sym(s->K)) {
            emit_rt(c, s->M, s->N, s->K, g.y, g.a, g.b, false, false);
            return GLC_OK;
        }
        for (int i = 0; i < s->rb; i++) { /* constant data is addressed from element 0 */
            if (!is_zero(s->sa[i])) g.a_const = NULL;
            if (!is_zero(s->sb[i])) g.b_const = NULL;
        }
        set_rows(c, &g, s->M);
        return cg_gemm_emit(c, &g);
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, cg_dim(c, s->bd[d]));
    glc_status status = bm_nest(c, s, fn, d + 1, cg_madd_v(c, i, s->sy[d], yo),
                                cg_madd_v(c, i, s->sa[d], ao), cg_madd_v(c, i, s->sb[d], bo));
    cg_loop_end(c, &l);
    return status;
}

/* Batch strides of operand v (matrix rank 2 at its end) aligned to the batch dims bd of
 * rank rb (a symbolic dim of v may broadcast at run time). */
static void batch_strides(cg_ctx *c, const glc_value *v, int rb, const glc_dim *bd,
                          LLVMValueRef *s) {
    int vb = v->rank > 2 ? v->rank - 2 : 0;
    LLVMValueRef st[GLC_MAX_RANK];
    cg_strides_dim(c, v->rank, v->dims, st);
    for (int i = 0; i < rb; i++) {
        int j = i - (rb - vb);
        s[i] = j < 0 ? cg_i64(c, 0) : cg_bcast_stride(c, v->dims[j], bd[i], st[j]);
    }
}

/* B is one matrix (rank <= 2): A's leading dims fold into the product's rows. */
static bool folds(const glc_value *A, const glc_value *B) {
    return A->rank >= 2 && B->rank <= 2;
}

glc_status lower_matmul(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    GLC_TRY(need_f32(c, n));
    const glc_graph *g = c->g;
    const glc_value *A = glc_node_input(g, n, 0), *B = glc_node_input(g, n, 1);
    const glc_value *Y = &g->values[n->out[0]];
    bm_state s = {.m = {.a_const = const_f32(c, n, 0), .b_const = const_f32(c, n, 1)}};
    glc_dim K = A->dims[A->rank - 1], N = B->rank >= 2 ? B->dims[B->rank - 1] : 1;
    s.N = N;
    s.K = K;
    s.m.K = K;
    s.m.N = N;
    s.M = A->rank >= 2 ? A->dims[A->rank - 2] : 1;
    s.m.a_rs = K;
    s.m.a_cs = 1;
    s.m.b_rs = N;
    s.m.b_cs = 1;
    s.m.y_rs = N;
    s.rb = Y->rank - (A->rank >= 2) - (B->rank >= 2);
    if (folds(A, B)) { /* one product of prod(A's leading dims) rows */
        s.M = glc_dim_prod(g, A->dims, 0, A->rank - 1);
        s.rb = 0;
    }
    *fn = cg_kernel_begin(c, n->name, 3);
    for (int i = 0; i < s.rb; i++)
        s.bd[i] = Y->dims[i];
    batch_strides(c, A, s.rb, s.bd, s.sa);
    batch_strides(c, B, s.rb, s.bd, s.sb);
    LLVMValueRef ys = cg_dim(c, glc_dim_mul(g, s.M, N));
    for (int i = s.rb - 1; i >= 0; i--) {
        s.sy[i] = ys;
        ys = LLVMBuildNSWMul(c->b, ys, cg_dim(c, s.bd[i]), "");
    }
    LLVMValueRef y = LLVMGetParam(*fn, 0);
    glc_dim total = glc_value_numel_dim(g, Y);
    if (total && K == 0)
        LLVMBuildMemSet(c->b, y, LLVMConstInt(c->i8, 0, 0), cg_dim(c, glc_dim_mul(g, total, 4)), 4);
    LLVMValueRef z = cg_i64(c, 0);
    glc_status status = total ? bm_nest(c, &s, *fn, 0, z, z, z) : GLC_OK;
    cg_kernel_end(c);
    return status;
}

/* ---- Det ----------------------------------------------------------------------------- */

glc_dim lower_linalg_scratch(const cg_ctx *c, const glc_node *n) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_dim m = x->dims[x->rank - 1];
    return glc_dim_mul(c->g, glc_dim_mul(c->g, m, m), 8);
}

static LLVMValueRef fabs64(cg_ctx *c, LLVMValueRef v) {
    LLVMTypeRef t = LLVMTypeOf(v);
    unsigned id = LLVMLookupIntrinsicID("llvm.fabs", 9);
    return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(c->ctx, id, &t, 1),
                          LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1), &v, 1, "");
}

typedef struct det_cg {
    LLVMTypeRef f64;
    LLVMValueRef a, m, det, zero, piv_row;
} det_cg;

static LLVMValueRef at64(cg_ctx *c, const det_cg *s, LLVMValueRef i, LLVMValueRef j) {
    return cg_gep(c, s->f64, s->a, cg_madd_v(c, i, s->m, j));
}

/* Step k: find the pivot row, swap it up, fold the pivot into det, eliminate below. */
static void det_step(cg_ctx *c, const det_cg *s, LLVMValueRef k) {
    LLVMBuilderRef b = c->b;
    LLVMTypeRef f = s->f64;
    cg_loop lp, ls, li, lj;
    LLVMBuildStore(b, k, s->piv_row);
    LLVMValueRef i = cg_loop_range(c, &lp, cg_addk(c, k, 1), s->m);
    LLVMValueRef p = LLVMBuildLoad2(b, c->i64, s->piv_row, "");
    LLVMValueRef vi = fabs64(c, LLVMBuildLoad2(b, f, at64(c, s, i, k), ""));
    LLVMValueRef vp = fabs64(c, LLVMBuildLoad2(b, f, at64(c, s, p, k), ""));
    LLVMValueRef bigger = LLVMBuildFCmp(b, LLVMRealOGT, vi, vp, "");
    LLVMBuildStore(b, LLVMBuildSelect(b, bigger, i, p, ""), s->piv_row);
    cg_loop_end(c, &lp);
    p = LLVMBuildLoad2(b, c->i64, s->piv_row, "");
    LLVMValueRef j = cg_loop_begin_v(c, &ls, s->m);
    LLVMValueRef pk = at64(c, s, k, j), pp = at64(c, s, p, j);
    LLVMValueRef t = LLVMBuildLoad2(b, f, pk, "");
    LLVMBuildStore(b, LLVMBuildLoad2(b, f, pp, ""), pk);
    LLVMBuildStore(b, t, pp);
    cg_loop_end(c, &ls);
    LLVMValueRef piv = LLVMBuildLoad2(b, f, at64(c, s, k, k), "");
    LLVMValueRef z = LLVMBuildFCmp(b, LLVMRealOEQ, piv, LLVMConstReal(f, 0), "");
    LLVMValueRef was = LLVMBuildLoad2(b, LLVMInt1TypeInContext(c->ctx), s->zero, "");
    LLVMBuildStore(b, LLVMBuildOr(b, was, z, ""), s->zero);
    LLVMValueRef det = LLVMBuildLoad2(b, f, s->det, "");
    LLVMValueRef swapped = LLVMBuildICmp(b, LLVMIntNE, p, k, "");
    det = LLVMBuildSelect(b, swapped, LLVMBuildFNeg(b, det, ""), det, "");
    LLVMBuildStore(b, LLVMBuildFMul(b, det, piv, ""), s->det);
    i = cg_loop_range(c, &li, cg_addk(c, k, 1), s->m);
    LLVMValueRef fac = LLVMBuildFDiv(b, LLVMBuildLoad2(b, f, at64(c, s, i, k), ""), piv, "");
    j = cg_loop_range(c, &lj, cg_addk(c, k, 1), s->m);
    LLVMValueRef ij = at64(c, s, i, j);
    LLVMValueRef v = LLVMBuildFMul(b, fac, LLVMBuildLoad2(b, f, at64(c, s, k, j), ""), "");
    LLVMBuildStore(b, LLVMBuildFSub(b, LLVMBuildLoad2(b, f, ij, ""), v, ""), ij);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
}

glc_status lower_det(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0), *y = &c->g->values[n->out[0]];
    GLC_TRY(need_f32(c, n));
    *fn = cg_kernel_begin(c, n->name, 3);
    LLVMBuilderRef b = c->b;
    det_cg s = {.f64 = LLVMDoubleTypeInContext(c->ctx), .a = LLVMGetParam(*fn, 2)};
    s.m = cg_dim(c, x->dims[x->rank - 1]);
    s.det = cg_alloca_entry(c, s.f64);
    s.zero = cg_alloca_entry(c, LLVMInt1TypeInContext(c->ctx));
    s.piv_row = cg_alloca_entry(c, c->i64);
    LLVMValueRef mm = LLVMBuildNSWMul(b, s.m, s.m, "");
    cg_loop lb, le, lk;
    LLVMValueRef bt = cg_loop_begin_v(c, &lb, cg_dim(c, glc_value_numel_dim(c->g, y)));
    LLVMValueRef e = cg_loop_begin_v(c, &le, mm);
    LLVMValueRef v = cg_ldf(c, LLVMGetParam(*fn, 1), cg_madd_v(c, bt, mm, e));
    LLVMBuildStore(b, LLVMBuildFPExt(b, v, s.f64, ""), cg_gep(c, s.f64, s.a, e));
    cg_loop_end(c, &le);
    LLVMBuildStore(b, LLVMConstReal(s.f64, 1), s.det);
    LLVMBuildStore(b, LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0), s.zero);
    LLVMValueRef k = cg_loop_begin_v(c, &lk, s.m);
    det_step(c, &s, k);
    cg_loop_end(c, &lk);
    LLVMValueRef det = LLVMBuildFPTrunc(b, LLVMBuildLoad2(b, s.f64, s.det, ""), c->f32, "");
    LLVMValueRef zero = LLVMBuildLoad2(b, LLVMInt1TypeInContext(c->ctx), s.zero, "");
    st(c, LLVMBuildSelect(b, zero, cg_f32(c, 0), det, ""), LLVMGetParam(*fn, 0), bt);
    cg_loop_end(c, &lb);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Einsum -------------------------------------------------------------------------- */

typedef struct einsum_cg {
    const glc_einsum *e;
    cg_bcast inner; /* over the summed labels: operand k is [k] */
    LLVMTypeRef ty;
    LLVMValueRef y, in[GLC_EINSUM_MAX_IN], base[GLC_EINSUM_MAX_IN], acc;
} einsum_cg;

static void einsum_term_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    einsum_cg *s = ctx;
    LLVMBuilderRef b = c->b;
    LLVMValueRef p = NULL;
    for (int k = 0; k < s->e->n_in; k++) {
        LLVMValueRef at = LLVMBuildNSWAdd(b, s->base[k], idx[k], "");
        LLVMValueRef v = LLVMBuildLoad2(b, s->ty, cg_gep(c, s->ty, s->in[k], at), "");
        p = p ? LLVMBuildFMul(b, p, v, "") : v;
    }
    LLVMBuildStore(b, LLVMBuildFAdd(b, LLVMBuildLoad2(b, s->ty, s->acc, ""), p, ""), s->acc);
}

/* idx: [0] the output element, [1 + k] operand k's offset. */
static void einsum_out_body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    einsum_cg *s = ctx;
    for (int k = 0; k < s->e->n_in; k++)
        s->base[k] = idx[1 + k];
    LLVMBuildStore(c->b, LLVMConstNull(s->ty), s->acc);
    cg_bcast_emit(c, &s->inner, einsum_term_body, s);
    LLVMBuildStore(c->b, LLVMBuildLoad2(c->b, s->ty, s->acc, ""), cg_gep(c, s->ty, s->y, idx[0]));
}

glc_status lower_einsum(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_einsum e;
    GLC_TRY(glc_einsum_get(c->g, n, &e, c->d));
    einsum_cg s = {.e = &e};
    glc_dtype dt = c->g->values[n->out[0]].dtype;
    s.ty = dt == GLC_DT_F64 ? LLVMDoubleTypeInContext(c->ctx) : c->f32;
    cg_bcast outer;
    memset(&outer, 0, sizeof outer);
    memset(&s.inner, 0, sizeof s.inner);
    outer.rank = e.n_out;
    outer.n = e.n_in;
    s.inner.rank = e.n_labels - e.n_out;
    s.inner.n = e.n_in - 1;
    glc_dim os = 1;
    for (int i = e.n_out - 1; i >= 0; i--) {
        outer.dims[i] = e.extent[i];
        outer.st[0][i] = os;
        os = glc_dim_mul(c->g, os, e.extent[i]);
    }
    for (int k = 0; k < e.n_in; k++) {
        outer.present[1 + k] = s.inner.present[k] = true;
        for (int i = 0; i < e.n_labels; i++) {
            if (i < e.n_out) outer.st[1 + k][i] = e.st[k][i];
            else s.inner.st[k][i - e.n_out] = e.st[k][i];
        }
    }
    outer.present[0] = true;
    for (int i = e.n_out; i < e.n_labels; i++)
        s.inner.dims[i - e.n_out] = e.extent[i];
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    s.y = LLVMGetParam(*fn, 0);
    for (int k = 0; k < e.n_in; k++)
        s.in[k] = LLVMGetParam(*fn, (unsigned)(1 + k));
    s.acc = cg_alloca_entry(c, s.ty);
    cg_bcast_emit(c, &outer, einsum_out_body, &s);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- MatMulInteger, QLinearMatMul -------------------------------------------------------- */

/* Element k of a u8 or i8 tensor as an i32. */
static LLVMValueRef q8_i32(cg_ctx *c, glc_dtype dt, LLVMValueRef p, LLVMValueRef k) {
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->i8, cg_gep(c, c->i8, p, k), "");
    if (dt == GLC_DT_U8) return LLVMBuildZExt(c->b, v, c->i32, "");
    return LLVMBuildSExt(c->b, v, c->i32, "");
}

glc_status lower_qmatmul(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    glc_qmatmul q;
    GLC_TRY(glc_qmatmul_get(g, n, &q, c->d));
    bool ql = n->op == GLC_OP_QLINEARMATMUL;
    int ia = 0, ib = ql ? 3 : 1, iaz = 2, ibz = ql ? 5 : 3;
    glc_dtype ta = glc_node_input(g, n, ia)->dtype, tb = glc_node_input(g, n, ib)->dtype;
    glc_dtype ty = g->values[n->out[0]].dtype;
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    LLVMBuilderRef b = c->b;
#define QP(i) LLVMGetParam(*fn, (unsigned)(1 + (i)))
    LLVMValueRef zero = cg_i64(c, 0), y = LLVMGetParam(*fn, 0);
    LLVMValueRef az = LLVMConstInt(c->i32, 0, 0), bz = az;
    if (n->n_in > iaz && n->in[iaz]) az = q8_i32(c, ta, QP(iaz), zero);
    if (n->n_in > ibz && n->in[ibz]) bz = q8_i32(c, tb, QP(ibz), zero);
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(c->ctx);
    LLVMValueRef m = NULL, yz = NULL;
    if (ql) {
        m = LLVMBuildFDiv(b, LLVMBuildFMul(b, cg_ldf(c, QP(1), zero), cg_ldf(c, QP(4), zero), ""),
                          cg_ldf(c, QP(6), zero), "");
        m = LLVMBuildFPExt(b, m, f64, "");
        yz = LLVMBuildSIToFP(b, q8_i32(c, ty, QP(7), zero), f64, "");
    }
    LLVMValueRef M = cg_dim(c, q.M), K = cg_dim(c, q.K), N = cg_dim(c, q.N);
    LLVMValueRef acc = cg_alloca_entry(c, c->i32);
    cg_loop lt, li, lj, lk;
    LLVMValueRef t = cg_loop_begin_v(c, &lt, cg_dim(c, q.batch));
    LLVMValueRef i = cg_loop_begin_v(c, &li, M);
    LLVMValueRef j = cg_loop_begin_v(c, &lj, N);
    LLVMBuildStore(b, LLVMConstInt(c->i32, 0, 0), acc);
    LLVMValueRef k = cg_loop_begin_v(c, &lk, K);
    LLVMValueRef av = q8_i32(c, ta, QP(ia), cg_madd_v(c, cg_madd_v(c, t, M, i), K, k));
    LLVMValueRef bt = q.b_shared ? zero : t;
    LLVMValueRef bv = q8_i32(c, tb, QP(ib), cg_madd_v(c, cg_madd_v(c, bt, K, k), N, j));
    LLVMValueRef pr = LLVMBuildMul(b, LLVMBuildSub(b, av, az, ""), LLVMBuildSub(b, bv, bz, ""), "");
    LLVMBuildStore(b, LLVMBuildAdd(b, LLVMBuildLoad2(b, c->i32, acc, ""), pr, ""), acc);
    cg_loop_end(c, &lk);
    LLVMValueRef at = cg_madd_v(c, cg_madd_v(c, t, M, i), N, j);
    LLVMValueRef sum = LLVMBuildLoad2(b, c->i32, acc, "");
    if (!ql) {
        LLVMBuildStore(b, sum, cg_gep(c, c->i32, y, at));
    } else {
        LLVMTypeRef ft = f64;
        unsigned id = LLVMLookupIntrinsicID("llvm.roundeven", 14);
        LLVMValueRef v = LLVMBuildFMul(b, LLVMBuildSIToFP(b, sum, f64, ""), m, "");
        v = LLVMBuildCall2(b, LLVMIntrinsicGetType(c->ctx, id, &ft, 1),
                           LLVMGetIntrinsicDeclaration(c->mod, id, &ft, 1), &v, 1, "");
        v = LLVMBuildFAdd(b, v, yz, "");
        LLVMValueRef lo = LLVMConstReal(f64, ty == GLC_DT_U8 ? 0 : -128);
        LLVMValueRef hi = LLVMConstReal(f64, ty == GLC_DT_U8 ? 255 : 127);
        v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, lo, ""), lo, v, "");
        v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, hi, ""), hi, v, "");
        LLVMValueRef r = LLVMBuildTrunc(b, LLVMBuildFPToSI(b, v, c->i32, ""), c->i8, "");
        LLVMBuildStore(b, r, cg_gep(c, c->i8, y, at));
    }
#undef QP
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
    cg_loop_end(c, &lt);
    cg_kernel_end(c);
    return GLC_OK;
}
