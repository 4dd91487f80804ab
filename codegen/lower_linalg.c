/*
 * lower_linalg.c -- Softmax, Gemm and MatMul (f32), naive loop nests ordered i-k-j so the
 * innermost j loop is contiguous in B and the output and vectorizes (a later issue
 * replaces Gemm/MatMul with a packed, register-blocked micro-kernel).
 *
 * Softmax views the input as (outer, D, inner): opset >= 13 reduces over one axis
 * (default -1); opset < 13 flattens d[axis:] into D (default axis 1) with inner = 1.
 * Each row: max, then exp(x - max) stored and summed, then scaled by 1/sum.
 * Gemm: Y = alpha * A' B' + beta * C, C broadcast to (M, N). MatMul: numpy semantics,
 * 1-D operands promoted, batch dims broadcast with stride 0.
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

/* out[i*N+j] += alpha * A(i,k) * B(k,j) over i-k-j, with element strides for A and B. */
typedef struct mm_desc {
    int64_t M, N, K, sai, sak, sbk, sbj;
    double alpha;
} mm_desc;

static void mm_nest(cg_ctx *c, const mm_desc *m, LLVMValueRef y, LLVMValueRef a, LLVMValueRef b,
                    LLVMValueRef yo, LLVMValueRef ao, LLVMValueRef bo) {
    cg_loop li, lk, lj;
    LLVMValueRef i = cg_loop_begin(c, &li, m->M);
    LLVMValueRef k = cg_loop_begin(c, &lk, m->K);
    LLVMValueRef av = ld(c, a, cg_madd(c, k, m->sak, cg_madd(c, i, m->sai, ao)));
    if (m->alpha != 1.0) av = LLVMBuildFMul(c->b, av, cg_f32(c, m->alpha), "");
    LLVMValueRef j = cg_loop_begin(c, &lj, m->N);
    LLVMValueRef yi = cg_madd(c, j, 1, cg_madd(c, i, m->N, yo));
    LLVMValueRef bv = ld(c, b, cg_madd(c, j, m->sbj, cg_madd(c, k, m->sbk, bo)));
    st(c, LLVMBuildFAdd(c->b, ld(c, y, yi), LLVMBuildFMul(c->b, av, bv, ""), ""), y, yi);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lk);
    cg_loop_end(c, &li);
}

glc_status lower_gemm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    GLC_TRY(need_f32(c, n));
    const glc_value *A = glc_node_input(c->g, n, 0), *C = glc_node_input(c->g, n, 2);
    const glc_value *Y = &c->g->values[n->out[0]];
    bool ta = glc_attr_int(n, "transA", 0), tb = glc_attr_int(n, "transB", 0);
    double beta = glc_attr_float(n, "beta", 1.0f);
    mm_desc m = {.M = Y->dims[0],
                 .N = Y->dims[1],
                 .K = ta ? A->dims[0] : A->dims[1],
                 .alpha = glc_attr_float(n, "alpha", 1.0f)};
    m.sai = ta ? 1 : m.K;
    m.sak = ta ? m.M : 1;
    m.sbk = tb ? 1 : m.N;
    m.sbj = tb ? m.K : 1;
    *fn = cg_kernel_begin(c, n->name, 4);
    LLVMValueRef y = LLVMGetParam(*fn, 0);
    int64_t s[2] = {0, 0};
    if (C) {
        int64_t cs[GLC_MAX_RANK];
        cg_strides(C->rank, C->dims, cs);
        for (int i = 0; i < C->rank; i++)
            if (C->dims[i] != 1) s[2 - C->rank + i] = cs[i];
    }
    cg_loop li, lj;
    LLVMValueRef i = cg_loop_begin(c, &li, m.M);
    LLVMValueRef j = cg_loop_begin(c, &lj, m.N);
    LLVMValueRef init = cg_f32(c, 0.0);
    if (C && beta != 0.0) {
        init = ld(c, LLVMGetParam(*fn, 3), cg_madd(c, j, s[1], cg_madd(c, i, s[0], cg_i64(c, 0))));
        if (beta != 1.0) init = LLVMBuildFMul(c->b, init, cg_f32(c, beta), "");
    }
    st(c, init, y, cg_madd(c, i, m.N, j));
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
    LLVMValueRef z = cg_i64(c, 0);
    mm_nest(c, &m, y, LLVMGetParam(*fn, 1), LLVMGetParam(*fn, 2), z, z, z);
    cg_kernel_end(c);
    return GLC_OK;
}

typedef struct bm_state {
    mm_desc m;
    int rb; /* batch rank */
    int64_t bd[GLC_MAX_RANK], sa[GLC_MAX_RANK], sb[GLC_MAX_RANK], sy[GLC_MAX_RANK];
} bm_state;

static void bm_nest(cg_ctx *c, const bm_state *s, LLVMValueRef fn, int d, LLVMValueRef yo,
                    LLVMValueRef ao, LLVMValueRef bo) {
    if (d == s->rb) {
        mm_nest(c, &s->m, LLVMGetParam(fn, 0), LLVMGetParam(fn, 1), LLVMGetParam(fn, 2), yo, ao,
                bo);
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(c, &l, s->bd[d]);
    bm_nest(c, s, fn, d + 1, cg_madd(c, i, s->sy[d], yo), cg_madd(c, i, s->sa[d], ao),
            cg_madd(c, i, s->sb[d], bo));
    cg_loop_end(c, &l);
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
    bm_state s = {.m = {.alpha = 1.0}};
    s.m.K = A->dims[A->rank - 1];
    s.m.M = A->rank >= 2 ? A->dims[A->rank - 2] : 1;
    s.m.N = B->rank >= 2 ? B->dims[B->rank - 1] : 1;
    s.m.sai = s.m.K;
    s.m.sak = 1;
    s.m.sbk = s.m.N;
    s.m.sbj = 1;
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
    if (total) LLVMBuildMemSet(c->b, y, LLVMConstInt(c->i8, 0, 0), cg_i64(c, total * 4), 4);
    LLVMValueRef z = cg_i64(c, 0);
    bm_nest(c, &s, *fn, 0, z, z, z);
    cg_kernel_end(c);
    return GLC_OK;
}
