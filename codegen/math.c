/*
 * math.c -- exp, tanh and sigmoid on float, written in LLVM IR as small internal
 * alwaysinline functions. LLVM 19 scalarises llvm.exp on vectors into libm calls, so
 * these are used instead; once inlined, the loop vectorizer vectorizes loops calling them.
 *
 * exp (Cephes expf): x is clamped to [-104, 89] (NaN passes through), n = floor(x*log2e +
 * 1/2), r = x - n*C1 - n*C2 (Cody-Waite, C1 + C2 = ln 2, C1 exact in 9 bits), p = 1 + r +
 * r^2 * P(r) (degree-5 minimax), result = p * 2^(n/2) * 2^(n - n/2): the scale is split in
 * two normal factors built by integer bit tricks, so results underflow through the
 * denormals to 0 with one rounding and overflow to +inf.
 * tanh (Eigen's rational 13/6 approximation): x clamped to +-7.90531110763549805, tanh(x)
 * = x for |x| < 4e-4. sigmoid(x) = 1 / (1 + exp(-x)).
 * Measured against glibc over 1e6-point sweeps (tests/codegen/test_codegen_math.c), max
 * relative error: exp 7.9e-8 (~1.3 ulp) on [-90, 90] where the result is a normal float;
 * tanh 3.7e-7 (<= 4 ulp relative to the result near 1) and sigmoid 1.5e-7 on [-20, 20].
 */
#include "cg_impl.h"

#include <string.h>

static LLVMValueRef math_fn_begin(cg_ctx *c, LLVMBuilderRef b, const char *name) {
    LLVMTypeRef ft = LLVMFunctionType(c->f32, &c->f32, 1, 0);
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, ft);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    unsigned k = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, k, 0));
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    return fn;
}

static LLVMValueRef fk(cg_ctx *c, double v) {
    return cg_f32(c, v);
}

/* x > hi ? hi : x < lo ? lo : x, keeping NaN. */
static LLVMValueRef clamp(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, double lo, double hi) {
    x = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, x, fk(c, hi), ""), fk(c, hi), x, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, fk(c, lo), ""), fk(c, lo), x, "");
}

static LLVMValueRef call_intr(cg_ctx *c, LLVMBuilderRef b, const char *name, LLVMValueRef x) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &c->f32, 1);
    LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, &c->f32, 1);
    return LLVMBuildCall2(b, ft, f, &x, 1, "");
}

/* 2^k as a float for k in [-126, 127]. */
static LLVMValueRef pow2i(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef k) {
    LLVMValueRef e = LLVMBuildAdd(b, k, LLVMConstInt(c->i32, 127, 0), "");
    e = LLVMBuildShl(b, e, LLVMConstInt(c->i32, 23, 0), "");
    return LLVMBuildBitCast(b, e, c->f32, "");
}

static LLVMValueRef poly(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, const double *k, int n) {
    LLVMValueRef p = fk(c, k[0]);
    for (int i = 1; i < n; i++)
        p = LLVMBuildFAdd(b, LLVMBuildFMul(b, p, x, ""), fk(c, k[i]), "");
    return p;
}

static LLVMValueRef build_exp(cg_ctx *c) {
    static const double P[] = {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3,
                               4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1};
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef fn = math_fn_begin(c, b, "glc.expf");
    LLVMValueRef x0 = LLVMGetParam(fn, 0);
    LLVMValueRef x = clamp(c, b, x0, -104.0, 89.0);
    LLVMValueRef t =
        LLVMBuildFAdd(b, LLVMBuildFMul(b, x, fk(c, 1.44269504088896341), ""), fk(c, 0.5), "");
    LLVMValueRef nf = call_intr(c, b, "llvm.floor", t);
    LLVMValueRef r = LLVMBuildFSub(b, x, LLVMBuildFMul(b, nf, fk(c, 0.693359375), ""), "");
    r = LLVMBuildFSub(b, r, LLVMBuildFMul(b, nf, fk(c, -2.12194440e-4), ""), "");
    LLVMValueRef r2 = LLVMBuildFMul(b, r, r, "");
    LLVMValueRef p = LLVMBuildFMul(b, poly(c, b, r, P, 6), r2, "");
    p = LLVMBuildFAdd(b, LLVMBuildFAdd(b, p, r, ""), fk(c, 1.0), "");
    LLVMValueRef n = LLVMBuildFPToSI(b, nf, c->i32, "");
    LLVMValueRef n1 = LLVMBuildAShr(b, n, LLVMConstInt(c->i32, 1, 0), "");
    LLVMValueRef n2 = LLVMBuildSub(b, n, n1, "");
    LLVMValueRef y =
        LLVMBuildFMul(b, LLVMBuildFMul(b, p, pow2i(c, b, n1), ""), pow2i(c, b, n2), "");
    LLVMValueRef isnan = LLVMBuildFCmp(b, LLVMRealUNO, x0, x0, "");
    LLVMBuildRet(b, LLVMBuildSelect(b, isnan, x0, y, ""));
    LLVMDisposeBuilder(b);
    return fn;
}

static LLVMValueRef build_tanh(cg_ctx *c) {
    static const double A[] = {-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                               5.12229709037114e-08,  1.48572235717979e-05, 6.37261928875436e-04,
                               4.89352455891786e-03};
    static const double B[] = {1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                               4.89352518554385e-03};
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef fn = math_fn_begin(c, b, "glc.tanhf");
    LLVMValueRef x0 = LLVMGetParam(fn, 0);
    LLVMValueRef x = clamp(c, b, x0, -7.90531110763549805, 7.90531110763549805);
    LLVMValueRef x2 = LLVMBuildFMul(b, x, x, "");
    LLVMValueRef p = LLVMBuildFMul(b, x, poly(c, b, x2, A, 7), "");
    LLVMValueRef q = poly(c, b, x2, B, 4);
    LLVMValueRef y = LLVMBuildFDiv(b, p, q, "");
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x0);
    LLVMValueRef tiny = LLVMBuildFCmp(b, LLVMRealOLT, ax, fk(c, 4e-4), "");
    LLVMBuildRet(b, LLVMBuildSelect(b, tiny, x0, y, ""));
    LLVMDisposeBuilder(b);
    return fn;
}

static LLVMValueRef build_sigmoid(cg_ctx *c) {
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef fn = math_fn_begin(c, b, "glc.sigmoidf");
    if (!c->fn_exp) c->fn_exp = build_exp(c);
    LLVMValueRef arg = LLVMBuildFNeg(b, LLVMGetParam(fn, 0), "");
    LLVMValueRef e = LLVMBuildCall2(b, LLVMGlobalGetValueType(c->fn_exp), c->fn_exp, &arg, 1, "");
    LLVMValueRef y = LLVMBuildFDiv(b, fk(c, 1.0), LLVMBuildFAdd(b, fk(c, 1.0), e, ""), "");
    LLVMBuildRet(b, y);
    LLVMDisposeBuilder(b);
    return fn;
}

static LLVMValueRef call1(cg_ctx *c, LLVMValueRef fn, LLVMValueRef x) {
    return LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, &x, 1, "");
}

LLVMValueRef cg_math_exp(cg_ctx *c, LLVMValueRef x) {
    if (!c->fn_exp) c->fn_exp = build_exp(c);
    return call1(c, c->fn_exp, x);
}

LLVMValueRef cg_math_tanh(cg_ctx *c, LLVMValueRef x) {
    if (!c->fn_tanh) c->fn_tanh = build_tanh(c);
    return call1(c, c->fn_tanh, x);
}

LLVMValueRef cg_math_sigmoid(cg_ctx *c, LLVMValueRef x) {
    if (!c->fn_sigmoid) c->fn_sigmoid = build_sigmoid(c);
    return call1(c, c->fn_sigmoid, x);
}
