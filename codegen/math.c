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
 * = x for |x| < 4e-4, +-1 for |x| >= 9 (where it rounds to +-1 in f32). The polynomials are
 * Horner steps in llvm.fmuladd (fused on AVX-512/FMA targets). sigmoid(x) = 1 / (1 + exp(-x)).
 * log (Cephes logf): subnormals are first scaled by 2^23; x = m * 2^e with m in [0.5, 1)
 * read from the bits; if m < sqrt(1/2) then m = 2m, e = e - 1, so f = m - 1 lies in
 * [sqrt(1/2) - 1, sqrt(2) - 1); log x = f - f^2/2 + f^3 P(f) (degree-8 minimax) + e ln 2,
 * with ln 2 split Cody-Waite style (C1 + C2) and the small terms added first. Specials by
 * select: NaN passes through, x < 0 gives NaN, +-0 gives -inf, +inf gives +inf.
 * Measured against glibc over 1e6-point sweeps (tests/codegen/test_codegen_math.c), max
 * relative error: exp 7.9e-8 (~1.3 ulp) on [-90, 90] where the result is a normal float;
 * tanh 2.5e-7 (<= 4 ulp relative to the result near 1) and sigmoid 1.5e-7 on [-20, 20];
 * log 7.8e-8 (relative, absolute where |log x| < 0.01) on [2^-149, 2^128] log-spaced,
 * subnormals included, and on [0.5, 2].
 */
#include "cg_impl.h"

#include <math.h>
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

/* Horner's rule with llvm.fmuladd: fused multiply-adds where the target has them (half
 * the instructions of separate multiplies and adds, and one rounding a step). */
static LLVMValueRef poly(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, const double *k, int n) {
    unsigned id = LLVMLookupIntrinsicID("llvm.fmuladd", 12);
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &c->f32, 1);
    LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, &c->f32, 1);
    LLVMValueRef p = fk(c, k[0]);
    for (int i = 1; i < n; i++) {
        LLVMValueRef args[3] = {p, x, fk(c, k[i])};
        p = LLVMBuildCall2(b, ft, f, args, 3, "");
    }
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
    /* from 9 on, tanh rounds to +-1 in f32; the fused Horner steps leave the clamped
     * approximation an ulp away from it */
    LLVMValueRef big = LLVMBuildFCmp(b, LLVMRealOGE, ax, fk(c, 9.0), "");
    LLVMValueRef neg = LLVMBuildFCmp(b, LLVMRealOLT, x0, fk(c, 0.0), "");
    y = LLVMBuildSelect(b, big, LLVMBuildSelect(b, neg, fk(c, -1.0), fk(c, 1.0), ""), y, "");
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

/* m * 2^e = x for x > 0 (subnormals scaled first); m in [0.5, 1), e as f32. */
static void frexp_pos(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef *m,
                      LLVMValueRef *e) {
    LLVMValueRef sub = LLVMBuildFCmp(b, LLVMRealOLT, x, fk(c, 1.17549435e-38), "");
    LLVMValueRef xs = LLVMBuildSelect(b, sub, LLVMBuildFMul(b, x, fk(c, 8388608.0), ""), x, "");
    LLVMValueRef bits = LLVMBuildBitCast(b, xs, c->i32, "");
    LLVMValueRef ex = LLVMBuildLShr(b, bits, LLVMConstInt(c->i32, 23, 0), "");
    ex = LLVMBuildAnd(b, ex, LLVMConstInt(c->i32, 0xff, 0), "");
    LLVMValueRef bias = LLVMBuildSelect(b, sub, LLVMConstInt(c->i32, 126 + 23, 0),
                                        LLVMConstInt(c->i32, 126, 0), "");
    *e = LLVMBuildSIToFP(b, LLVMBuildSub(b, ex, bias, ""), c->f32, "");
    LLVMValueRef mb = LLVMBuildAnd(b, bits, LLVMConstInt(c->i32, 0x007fffff, 0), "");
    mb = LLVMBuildOr(b, mb, LLVMConstInt(c->i32, 0x3f000000, 0), "");
    *m = LLVMBuildBitCast(b, mb, c->f32, "");
}

static LLVMValueRef build_log(cg_ctx *c) {
    static const double P[] = {7.0376836292E-2,  -1.1514610310E-1, 1.1676998740E-1,
                               -1.2420140846E-1, 1.4249322787E-1,  -1.6668057665E-1,
                               2.0000714765E-1,  -2.4999993993E-1, 3.3333331174E-1};
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef fn = math_fn_begin(c, b, "glc.logf");
    LLVMValueRef x0 = LLVMGetParam(fn, 0), m, e;
    frexp_pos(c, b, x0, &m, &e);
    LLVMValueRef lo = LLVMBuildFCmp(b, LLVMRealOLT, m, fk(c, 0.707106781186547524), "");
    e = LLVMBuildSelect(b, lo, LLVMBuildFSub(b, e, fk(c, 1.0), ""), e, "");
    LLVMValueRef f = LLVMBuildSelect(b, lo, LLVMBuildFAdd(b, m, m, ""), m, "");
    f = LLVMBuildFSub(b, f, fk(c, 1.0), "");
    LLVMValueRef z = LLVMBuildFMul(b, f, f, "");
    LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildFMul(b, poly(c, b, f, P, 9), f, ""), z, "");
    y = LLVMBuildFAdd(b, y, LLVMBuildFMul(b, e, fk(c, -2.12194440e-4), ""), "");
    y = LLVMBuildFAdd(b, y, LLVMBuildFMul(b, z, fk(c, -0.5), ""), "");
    y = LLVMBuildFAdd(b, f, y, "");
    y = LLVMBuildFAdd(b, y, LLVMBuildFMul(b, e, fk(c, 0.693359375), ""), "");
    LLVMValueRef inf = fk(c, HUGE_VAL);
    y = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, x0, inf, ""), inf, y, "");
    LLVMValueRef zero = LLVMBuildFCmp(b, LLVMRealOEQ, x0, fk(c, 0.0), "");
    y = LLVMBuildSelect(b, zero, fk(c, -HUGE_VAL), y, "");
    y = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x0, fk(c, 0.0), ""), fk(c, NAN), y, "");
    LLVMValueRef isnan = LLVMBuildFCmp(b, LLVMRealUNO, x0, x0, "");
    LLVMBuildRet(b, LLVMBuildSelect(b, isnan, x0, y, ""));
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

LLVMValueRef cg_math_log(cg_ctx *c, LLVMValueRef x) {
    LLVMValueRef fn = LLVMGetNamedFunction(c->mod, "glc.logf");
    return call1(c, fn ? fn : build_log(c), x);
}
