/*
 * lower_linalg.c -- Softmax, Gemm and MatMul (f32), naive loop nests ordered i-k-j so the
 * innermost j loop is contiguous in B and the output and vectorizes (a later issue
 * replaces Gemm/MatMul with a packed, register-blocked micro-kernel).
 *
 * Softmax views the input as (outer, D, inner): opset >= 13 reduces over one axis
 * (default -1); opset < 13 flattens d[axis:] into D (default axis 1) with inner = 1.
 * Each row: max, then exp(x - max) stored and summed, then scaled by 1/sum.
 * Gemm: Y = A' B' through cg_gemm_emit (gemm.c), then Y = alpha * Y + beta * C with C
 * broadcast to (M, N). MatMul: numpy semantics, 1-D operands promoted, batch dims broadcast
 * with stride 0, one cg_gemm_emit per batch element.
 */
#include "cg_impl.h"

#include <math.h>

static LLVMValueRef ld(cg_ctx *c, LLVMValueRef p, LLVMValueRef i) {
    return LLVMBuildLoad2(c->b, c->f32, cg_gep(c, c->f32, p, i), "");
}

static void st(cg_ctx *c, LLVMValueRef v, LLVMValueRef p, LLVMValueRef i) {
    LLVMBuildStore(c->b, v, cg_gep(c, c->f32, p, i));
}

static glc_status need_f32(cg_ctx *c, const glc_node *n) {
    if (c->g->values[n->out[0]].dtype == GLC_DT_F32) return GLC_OK;
    return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "only f32 is supported");
}

glc_status lower_softmax(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    GLC_TRY(need_f32(c, n));
    const glc_value *v = &c->g->values[n->out[0]];
    bool legacy = c->g->opset > 0 && c->g->opset < 13;
    int64_t ax = glc_attr_int(n, "axis", legacy ? 1 : -1);
    if (ax < 0) ax += v->rank;
    int64_t outer = 1, D = 1, inner = 1;
    for (int i = 0; i < v->rank; i++) {
        if (i < ax)
            outer *= v->dims[i];
        else if (i == ax || legacy)
            D *= v->dims[i];
        else
            inner *= v->dims[i];
    }
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMValueRef y = LLVMGetParam(*fn, 0), x = LLVMGetParam(*fn, 1);
    LLVMValueRef mx = cg_alloca_entry(c, c->f32), sum = cg_alloca_entry(c, c->f32);
    cg_loop lo, li, ld1, ld2, ld3;
    LLVMValueRef o = cg_loop_begin(c, &lo, outer);
    LLVMValueRef in = cg_loop_begin(c, &li, inner);
    LLVMValueRef base = cg_madd(c, o, D * inner, in);
    LLVMBuildStore(c->b, cg_f32(c, -HUGE_VAL), mx);
    LLVMBuildStore(c->b, cg_f32(c, 0.0), sum);
    LLVMValueRef d = cg_loop_begin(c, &ld1, D);
    LLVMValueRef xv = ld(c, x, cg_madd(c, d, inner, base));
    LLVMValueRef m = LLVMBuildLoad2(c->b, c->f32, mx, "");
    LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, xv, m, "");
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, xv, m, ""), mx);
    cg_loop_end(c, &ld1);
    LLVMValueRef m2 = LLVMBuildLoad2(c->b, c->f32, mx, "");
    d = cg_loop_begin(c, &ld2, D);
    LLVMValueRef idx = cg_madd(c, d, inner, base);
    LLVMValueRef e = cg_math_exp(c, LLVMBuildFSub(c->b, ld(c, x, idx), m2, ""));
    st(c, e, y, idx);
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->f32, sum, ""), e, ""), sum);
    cg_loop_end(c, &ld2);
    LLVMValueRef r = LLVMBuildFDiv(c->b, cg_f32(c, 1.0), LLVMBuildLoad2(c->b, c->f32, sum, ""), "");
    d = cg_loop_begin(c, &ld3, D);
    idx = cg_madd(c, d, inner, base);
    st(c, LLVMBuildFMul(c->b, ld(c, y, idx), r, ""), y, idx);
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
static void gemm_epilogue(cg_ctx *c, const glc_node *n, LLVMValueRef fn, int64_t M, int64_t N) {
    const glc_value *C = glc_node_input(c->g, n, 2);
    double alpha = glc_attr_float(n, "alpha", 1.0f), beta = glc_attr_float(n, "beta", 1.0f);
    if (!C) beta = 0.0;
    if (alpha == 1.0 && beta == 0.0) return;
    int64_t s[2] = {0, 0};
    if (C) {
        int64_t cs[GLC_MAX_RANK];
        cg_strides(C->rank, C->dims, cs);
        for (int i = 0; i < C->rank; i++)
            if (C->dims[i] != 1) s[2 - C->rank + i] = cs[i];
    }
    LLVMValueRef y = LLVMGetParam(fn, 0);
    cg_loop li, lj;
    LLVMValueRef i = cg_loop_begin(c, &li, M);
    LLVMValueRef j = cg_loop_begin(c, &lj, N);
    LLVMValueRef yi = cg_madd(c, i, N, j);
    LLVMValueRef v = cg_ldf(c, y, yi);
    if (alpha != 1.0) v = cg_fmul(c, v, cg_f32(c, alpha));
    if (beta != 0.0) {
        LLVMValueRef cv = cg_ldf(c, LLVMGetParam(fn, 3), cg_madd(c, j, s[1], cg_madd(c, i, s[0], cg_i64(c, 0))));
        v = cg_fadd(c, v, beta == 1.0 ? cv : cg_fmul(c, cv, cg_f32(c, beta)));
    }
    cg_stf(c, v, y, yi);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
}

glc_status lower_gemm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    GLC_TRY(need_f32(c, n));
    const glc_value *A = glc_node_input(c->g, n, 0), *Y = &c->g->values[n->out[0]];
    bool ta = glc_attr_int(n, "transA", 0), tb = glc_attr_int(n, "transB", 0);
    int64_t M = Y->dims[0], N = Y->dims[1], K = ta ? A->dims[0] : A->dims[1];
    *fn = cg_kernel_begin(c, n->name, 4);
    cg_gemm g = {.M = M, .N = N, .K = K,
                 .a = LLVMGetParam(*fn, 1), .b = LLVMGetParam(*fn, 2), .y = LLVMGetParam(*fn, 0),
                 .a_rs = ta ? 1 : K, .a_cs = ta ? M : 1,
                 .b_rs = tb ? 1 : N, .b_cs = tb ? K : 1, .y_rs = N,
                 .a_const = const_f32(c, n, 0), .b_const = const_f32(c, n, 1)};
    GLC_TRY(cg_gemm_emit(c, &g));
    gemm_epilogue(c, n, *fn, M, N);
    cg_kernel_end(c);
    return GLC_OK;
}

typedef struct bm_state {
    cg_gemm m;
    int rb; /* batch rank */
    int64_t bd[GLC_MAX_RANK], sa[GLC_MAX_RANK], sb[GLC_MAX_RANK], sy[GLC_MAX_RANK];
} bm_state;

static glc_status bm_nest(cg_ctx *c, const bm_state *s, LLVMValueRef fn, int d, LLVMValueRef yo,
                          LLVMValueRef ao, LLVMValueRef bo) {
    if (d == s->rb) {
        cg_gemm g = s->m;
        g.y = cg_gep(c, c->f32, LLVMGetParam(fn, 0), yo);
        g.a = cg_gep(c, c->f32, LLVMGetParam(fn, 1), ao);
        g.b = cg_gep(c, c->f32, LLVMGetParam(fn, 2), bo);
        for (int i = 0; i < s->rb; i++) { /* constant data is addressed from element 0 */
            if (s->sa[i]) g.a_const = NULL;
            if (s->sb[i]) g.b_const = NULL;
        }
        return cg_gemm_emit(c, &g);
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(c, &l, s->bd[d]);
    glc_status status = bm_nest(c, s, fn, d + 1, cg_madd(c, i, s->sy[d], yo),
                            cg_madd(c, i, s->sa[d], ao), cg_madd(c, i, s->sb[d], bo));
    cg_loop_end(c, &l);
    return status;
}

/* Batch strides of operand v (matrix rank 2 at its end) aligned to batch rank rb. */
static void batch_strides(const glc_value *v, int rb, int64_t *s) {
    int vb = v->rank > 2 ? v->rank - 2 : 0;
    int64_t st[GLC_MAX_RANK];
    cg_strides(v->rank, v->dims, st);
    for (int i = 0; i < rb; i++) {
        int j = i - (rb - vb);
        s[i] = (j < 0 || v->dims[j] == 1) ? 0 : st[j];
    }
}

glc_status lower_matmul(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    GLC_TRY(need_f32(c, n));
    const glc_value *A = glc_node_input(c->g, n, 0), *B = glc_node_input(c->g, n, 1);
    const glc_value *Y = &c->g->values[n->out[0]];
    bm_state s = {.m = {.a_const = const_f32(c, n, 0), .b_const = const_f32(c, n, 1)}};
    s.m.K = A->dims[A->rank - 1];
    s.m.M = A->rank >= 2 ? A->dims[A->rank - 2] : 1;
    s.m.N = B->rank >= 2 ? B->dims[B->rank - 1] : 1;
    s.m.a_rs = s.m.K;
    s.m.a_cs = 1;
    s.m.b_rs = s.m.N;
    s.m.b_cs = 1;
    s.m.y_rs = s.m.N;
    s.rb = Y->rank - (A->rank >= 2) - (B->rank >= 2);
    for (int i = 0; i < s.rb; i++)
        s.bd[i] = Y->dims[i];
    batch_strides(A, s.rb, s.sa);
    batch_strides(B, s.rb, s.sb);
    int64_t ys = s.m.M * s.m.N;
    for (int i = s.rb - 1; i >= 0; i--) {
        s.sy[i] = ys;
        ys *= s.bd[i];
    }
    *fn = cg_kernel_begin(c, n->name, 3);
    LLVMValueRef y = LLVMGetParam(*fn, 0);
    int64_t total = glc_value_numel(Y);
    if (total && s.m.K == 0) LLVMBuildMemSet(c->b, y, LLVMConstInt(c->i8, 0, 0), cg_i64(c, total * 4), 4);
    LLVMValueRef z = cg_i64(c, 0);
    glc_status status = total ? bm_nest(c, &s, *fn, 0, z, z, z) : GLC_OK;
    cg_kernel_end(c);
    return status;
}
