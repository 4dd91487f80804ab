/*
 * lower_activation.c -- emits the activation functions of ir/activation.h on an f32
 * scalar or an <N x float> vector, at the builder's position (straight-line code, no
 * calls left after the alwaysinline math functions are inlined).
 *
 * Each kind is a few selects and arithmetic on x; constants are splatted to x's type.
 * exp/tanh/sigmoid come from math.c, whose functions take a scalar: on a vector they are
 * applied lane by lane (extract, call, insert); after inlining the SLP vectorizer sees
 * plain scalar code. The two kinds that need more than math.c has:
 *   Elu      alpha*expm1(x) for x < 0: exp(x) - 1 for x < -0.35, else the degree-8
 *            Taylor series of expm1 (relative error < 2e-8 there), so small |x| keeps
 *            its relative accuracy instead of cancelling.
 *   Softplus max(x, 0) + log1p(exp(-|x|)); with u = exp(-|x|) in (0, 1],
 *            log1p(u) = 2 atanh(s), s = u / (2 + u) in (0, 1/3], summed to s^15
 *            ((1/9)^7 / 15 < 2e-8 relative): no log needed, exact for tiny u.
 * The reference (glc_act_apply) evaluates in double; tests/codegen/test_activation.c
 * checks every kind against it on scalars and vectors.
 */
#include "cg_impl.h"
#include "cg_testing.h"

#include <stdio.h>

/* v as a constant of x's type (a splat for vectors). */
static LLVMValueRef kof(cg_ctx *c, LLVMValueRef x, double v) {
    LLVMTypeRef t = LLVMTypeOf(x);
    if (LLVMGetTypeKind(t) != LLVMVectorTypeKind) return cg_f32(c, v);
    unsigned n = LLVMGetVectorSize(t);
    LLVMValueRef e[64];
    for (unsigned i = 0; i < n && i < 64; i++)
        e[i] = cg_f32(c, v);
    return LLVMConstVector(e, n);
}

static LLVMValueRef fabs_of(cg_ctx *c, LLVMValueRef x) {
    LLVMTypeRef t = LLVMTypeOf(x);
    unsigned id = LLVMLookupIntrinsicID("llvm.fabs", 9);
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1);
    return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(c->ctx, id, &t, 1), f, &x, 1, "");
}

static LLVMValueRef mul(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFMul(c->b, a, b, "");
}

static LLVMValueRef add(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFAdd(c->b, a, b, "");
}

/* cmp(x, y) ? a : b */
static LLVMValueRef sel(cg_ctx *c, LLVMRealPredicate p, LLVMValueRef x, LLVMValueRef y,
                        LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, p, x, y, ""), a, b, "");
}

/* Horner: k[0] + x*(k[1] + x*(...)). */
static LLVMValueRef horner(cg_ctx *c, LLVMValueRef x, const double *k, int n) {
    LLVMValueRef p = kof(c, x, k[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        p = add(c, mul(c, p, x), kof(c, x, k[i]));
    return p;
}

static LLVMValueRef expm1_of(cg_ctx *c, LLVMValueRef x) {
    /* expm1(x) = x * sum_{k>=0} x^k / (k+1)! */
    static const double T[] = {1.0,       1.0 / 2,    1.0 / 6,     1.0 / 24,    1.0 / 120,
                               1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880};
    LLVMValueRef small = mul(c, x, horner(c, x, T, 9));
    LLVMValueRef big = LLVMBuildFSub(c->b, cg_math_exp(c, x), kof(c, x, 1.0), "");
    return sel(c, LLVMRealOLT, fabs_of(c, x), kof(c, x, 0.35), small, big);
}

static LLVMValueRef softplus_of(cg_ctx *c, LLVMValueRef x) {
    static const double A[] = {2.0,     2.0 / 3,  2.0 / 5,  2.0 / 7,
                               2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15};
    LLVMValueRef u = cg_math_exp(c, LLVMBuildFNeg(c->b, fabs_of(c, x), ""));
    LLVMValueRef s = LLVMBuildFDiv(c->b, u, add(c, u, kof(c, x, 2.0)), "");
    LLVMValueRef l1p = mul(c, s, horner(c, mul(c, s, s), A, 8));
    LLVMValueRef pos = sel(c, LLVMRealOGT, x, kof(c, x, 0.0), x, kof(c, x, 0.0));
    return add(c, pos, l1p);
}

LLVMValueRef cg_act_emit(cg_ctx *c, const glc_act *a, LLVMValueRef x) {
    LLVMValueRef zero = kof(c, x, 0.0), one = kof(c, x, 1.0);
    LLVMValueRef al = kof(c, x, a->alpha), be = kof(c, x, a->beta);
    switch (a->kind) {
    case GLC_ACT_SIGMOID:
        return cg_math_sigmoid(c, x);
    case GLC_ACT_TANH:
        return cg_math_tanh(c, x);
    case GLC_ACT_RELU:
        return sel(c, LLVMRealOGT, x, zero, x, zero);
    case GLC_ACT_AFFINE:
        return add(c, mul(c, al, x), be);
    case GLC_ACT_LEAKY_RELU:
        return sel(c, LLVMRealUGE, x, zero, x, mul(c, al, x));
    case GLC_ACT_THRESHOLDED_RELU:
        return sel(c, LLVMRealOGT, x, al, x, zero);
    case GLC_ACT_SCALED_TANH:
        return mul(c, al, cg_math_tanh(c, mul(c, be, x)));
    case GLC_ACT_HARD_SIGMOID: {
        LLVMValueRef y = add(c, mul(c, al, x), be);
        y = sel(c, LLVMRealOGT, y, zero, y, zero);
        return sel(c, LLVMRealOLT, y, one, y, one);
    }
    case GLC_ACT_ELU:
        return sel(c, LLVMRealUGE, x, zero, x, mul(c, al, expm1_of(c, x)));
    case GLC_ACT_SOFTSIGN:
        return LLVMBuildFDiv(c->b, x, add(c, one, fabs_of(c, x)), "");
    case GLC_ACT_SOFTPLUS:
        return softplus_of(c, x);
    }
    return x;
}

/* ---- test hook: exported y[i] = act_k(x[i]) kernels (see cg_testing.h) ---------------- */

/* void <name>(const float *x, float *y, i64 n): lanes = 1 (scalar) or the vector width,
 * n a multiple of lanes. */
static void act_kernel(cg_ctx *c, const char *name, const glc_act *a, unsigned lanes) {
    LLVMTypeRef pt[3] = {c->ptr, c->ptr, c->i64};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->void_t, pt, 3, 0));
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    LLVMTypeRef vt = lanes == 1 ? c->f32 : LLVMVectorType(c->f32, lanes);
    LLVMValueRef n = LLVMBuildSDiv(c->b, LLVMGetParam(fn, 2), cg_i64(c, lanes), "");
    /* cg_loop needs a constant trip count: loop on a runtime bound by hand. */
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "body");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, fn, "done");
    LLVMBuildBr(c->b, loop);
    LLVMPositionBuilderAtEnd(c->b, loop);
    LLVMValueRef i = LLVMBuildPhi(c->b, c->i64, "i"), z = cg_i64(c, 0);
    LLVMAddIncoming(i, &z, &pre, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, i, n, ""), body, done);
    LLVMPositionBuilderAtEnd(c->b, body);
    LLVMValueRef x = LLVMBuildLoad2(c->b, vt, cg_gep(c, vt, LLVMGetParam(fn, 0), i), "");
    LLVMSetAlignment(x, 4);
    LLVMValueRef y = cg_act_emit(c, a, x);
    LLVMValueRef st = LLVMBuildStore(c->b, y, cg_gep(c, vt, LLVMGetParam(fn, 1), i));
    LLVMSetAlignment(st, 4);
    LLVMValueRef nx = LLVMBuildNSWAdd(c->b, i, cg_i64(c, 1), "");
    LLVMBasicBlockRef end = LLVMGetInsertBlock(c->b);
    LLVMAddIncoming(i, &nx, &end, 1);
    LLVMBuildBr(c->b, loop);
    LLVMPositionBuilderAtEnd(c->b, done);
    LLVMBuildRetVoid(c->b);
}

void cg_act_test_kernels(cg_ctx *c, const glc_act *acts, int n_acts) {
    char name[64];
    for (int k = 0; k < n_acts; k++) {
        snprintf(name, sizeof name, "glc_test_act%d", k);
        act_kernel(c, name, &acts[k], 1);
        snprintf(name, sizeof name, "glc_test_actv%d", k);
        act_kernel(c, name, &acts[k], GLC_TEST_ACT_LANES);
    }
}
