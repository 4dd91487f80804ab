/*
 * math.c -- exp, tanh and sigmoid on float, written in LLVM IR as small internal
 * alwaysinline functions. LLVM 19 scalarises llvm.exp on vectors into libm calls, so
 * these are used instead; once inlined, the loop vectorizer vectorizes loops calling them.
 * exp, tanh and sigmoid also come as functions of <n x float> (glc.expf.v8, ...: the same
 * operations on every lane), for kernels that hold their values in vectors already.
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
 * The elementwise ops' functions (the second half of the file, each an alwaysinline
 * function built on first use): sin and cos (Cephes: Cody-Waite reduction by pi/4, then
 * degree-7/8 polynomials; accurate for |x| < 8192), tan = sin/cos, atan (Cephes' three
 * ranges), asin and acos through atan and sqrt, erf and erfc (Cephes: x P(x^2) below 1,
 * exp(-x^2) R(1/x^2) / x above), expm1 (Taylor below 0.35), log1p (Goldberg's u = 1 + x
 * trick), sinh/cosh/asinh/acosh/atanh from those. Their max error over the sweeps of
 * test_codegen_math.c is 2.6e-7 relative (erfc 7.7e-7 near 1; sin, cos and tan absolute
 * near their zeros).
 * Measured against glibc over 1e6-point sweeps (tests/codegen/test_codegen_math.c), max
 * relative error: exp 7.9e-8 (~1.3 ulp) on [-90, 90] where the result is a normal float;
 * tanh 2.5e-7 (<= 4 ulp relative to the result near 1) and sigmoid 1.5e-7 on [-20, 20];
 * log 7.8e-8 (relative, absolute where |log x| < 0.01) on [2^-149, 2^128] log-spaced,
 * subnormals included, and on [0.5, 2].
 */
#include "cg_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* An internal alwaysinline function t name(t) of the float type t (f32 or <n x float>),
 * with the builder b at its entry. */
static LLVMValueRef math_fn_begin_t(cg_ctx *c, LLVMBuilderRef b, LLVMTypeRef t, const char *name) {
    LLVMTypeRef ft = LLVMFunctionType(t, &t, 1, 0);
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, ft);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    unsigned k = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, k, 0));
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    return fn;
}

static LLVMValueRef math_fn_begin(cg_ctx *c, LLVMBuilderRef b, const char *name) {
    return math_fn_begin_t(c, b, c->f32, name);
}

static LLVMValueRef fk(cg_ctx *c, double v) {
    return cg_f32(c, v);
}

/* A constant of x's type (f32, i32 or a vector of them): v in every lane. */
static LLVMValueRef kx(LLVMValueRef x, double v) {
    LLVMTypeRef t = LLVMTypeOf(x), e = t;
    bool vec = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
    if (vec) e = LLVMGetElementType(t);
    LLVMValueRef k = LLVMGetTypeKind(e) == LLVMFloatTypeKind
                         ? LLVMConstReal(e, v)
                         : LLVMConstInt(e, (unsigned long long)(long long)v, 1);
    if (!vec) return k;
    LLVMValueRef lanes[64];
    unsigned n = LLVMGetVectorSize(t);
    for (unsigned i = 0; i < n && i < 64; i++)
        lanes[i] = k;
    return LLVMConstVector(lanes, n);
}

/* x's type with i32 elements (i32 or <n x i32>). */
static LLVMTypeRef int_like(cg_ctx *c, LLVMValueRef x) {
    LLVMTypeRef t = LLVMTypeOf(x);
    if (LLVMGetTypeKind(t) != LLVMVectorTypeKind) return c->i32;
    return LLVMVectorType(c->i32, LLVMGetVectorSize(t));
}

/* x > hi ? hi : x < lo ? lo : x, keeping NaN. */
static LLVMValueRef clamp(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, double lo, double hi) {
    (void)c;
    LLVMValueRef h = kx(x, hi), l = kx(x, lo);
    x = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, x, h, ""), h, x, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, l, ""), l, x, "");
}

/* The intrinsic `name` overloaded on x's type, called on x. */
static LLVMValueRef call_intr(cg_ctx *c, LLVMBuilderRef b, const char *name, LLVMValueRef x) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1);
    LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, &t, 1);
    return LLVMBuildCall2(b, ft, f, &x, 1, "");
}

/* 2^k as a float for k in [-126, 127] (k: i32, or a vector of them). */
static LLVMValueRef pow2i(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef k) {
    LLVMValueRef e = LLVMBuildAdd(b, k, kx(k, 127), "");
    e = LLVMBuildShl(b, e, kx(k, 23), "");
    LLVMTypeRef t = LLVMTypeOf(k);
    if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
        return LLVMBuildBitCast(b, e, LLVMVectorType(c->f32, LLVMGetVectorSize(t)), "");
    return LLVMBuildBitCast(b, e, c->f32, "");
}

/* Horner's rule with llvm.fmuladd: fused multiply-adds where the target has them (half
 * the instructions of separate multiplies and adds, and one rounding a step). */
static LLVMValueRef poly(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, const double *k, int n) {
    unsigned id = LLVMLookupIntrinsicID("llvm.fmuladd", 12);
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1);
    LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, &t, 1);
    LLVMValueRef p = kx(x, k[0]);
    for (int i = 1; i < n; i++) {
        LLVMValueRef args[3] = {p, x, kx(x, k[i])};
        p = LLVMBuildCall2(b, ft, f, args, 3, "");
    }
    return p;
}

typedef LLVMValueRef (*math_builder)(cg_ctx *c, LLVMTypeRef t, const char *name);
static LLVMValueRef typed_fn(cg_ctx *c, const char *base, LLVMTypeRef t, math_builder build);

static LLVMValueRef build_exp(cg_ctx *c, LLVMTypeRef t, const char *name) {
    static const double P[] = {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3,
                               4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1};
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef fn = math_fn_begin_t(c, b, t, name);
    LLVMValueRef x0 = LLVMGetParam(fn, 0);
    LLVMValueRef x = clamp(c, b, x0, -104.0, 89.0);
    LLVMValueRef h =
        LLVMBuildFAdd(b, LLVMBuildFMul(b, x, kx(x0, 1.44269504088896341), ""), kx(x0, 0.5), "");
    LLVMValueRef nf = call_intr(c, b, "llvm.floor", h);
    LLVMValueRef r = LLVMBuildFSub(b, x, LLVMBuildFMul(b, nf, kx(x0, 0.693359375), ""), "");
    r = LLVMBuildFSub(b, r, LLVMBuildFMul(b, nf, kx(x0, -2.12194440e-4), ""), "");
    LLVMValueRef r2 = LLVMBuildFMul(b, r, r, "");
    LLVMValueRef p = LLVMBuildFMul(b, poly(c, b, r, P, 6), r2, "");
    p = LLVMBuildFAdd(b, LLVMBuildFAdd(b, p, r, ""), kx(x0, 1.0), "");
    LLVMValueRef n = LLVMBuildFPToSI(b, nf, int_like(c, x0), "");
    LLVMValueRef n1 = LLVMBuildAShr(b, n, kx(n, 1), "");
    LLVMValueRef n2 = LLVMBuildSub(b, n, n1, "");
    LLVMValueRef y =
        LLVMBuildFMul(b, LLVMBuildFMul(b, p, pow2i(c, b, n1), ""), pow2i(c, b, n2), "");
    LLVMValueRef isnan = LLVMBuildFCmp(b, LLVMRealUNO, x0, x0, "");
    LLVMBuildRet(b, LLVMBuildSelect(b, isnan, x0, y, ""));
    LLVMDisposeBuilder(b);
    return fn;
}

static LLVMValueRef build_tanh(cg_ctx *c, LLVMTypeRef t, const char *name) {
    static const double A[] = {-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                               5.12229709037114e-08,  1.48572235717979e-05, 6.37261928875436e-04,
                               4.89352455891786e-03};
    static const double B[] = {1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                               4.89352518554385e-03};
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef fn = math_fn_begin_t(c, b, t, name);
    LLVMValueRef x0 = LLVMGetParam(fn, 0);
    LLVMValueRef x = clamp(c, b, x0, -7.90531110763549805, 7.90531110763549805);
    LLVMValueRef x2 = LLVMBuildFMul(b, x, x, "");
    LLVMValueRef p = LLVMBuildFMul(b, x, poly(c, b, x2, A, 7), "");
    LLVMValueRef q = poly(c, b, x2, B, 4);
    LLVMValueRef y = LLVMBuildFDiv(b, p, q, "");
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x0);
    LLVMValueRef tiny = LLVMBuildFCmp(b, LLVMRealOLT, ax, kx(x0, 4e-4), "");
    /* from 9 on, tanh rounds to +-1 in f32; the fused Horner steps leave the clamped
     * approximation an ulp away from it */
    LLVMValueRef big = LLVMBuildFCmp(b, LLVMRealOGE, ax, kx(x0, 9.0), "");
    LLVMValueRef neg = LLVMBuildFCmp(b, LLVMRealOLT, x0, kx(x0, 0.0), "");
    y = LLVMBuildSelect(b, big, LLVMBuildSelect(b, neg, kx(x0, -1.0), kx(x0, 1.0), ""), y, "");
    LLVMBuildRet(b, LLVMBuildSelect(b, tiny, x0, y, ""));
    LLVMDisposeBuilder(b);
    return fn;
}

static LLVMValueRef build_sigmoid(cg_ctx *c, LLVMTypeRef t, const char *name) {
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef fn = math_fn_begin_t(c, b, t, name);
    LLVMValueRef x0 = LLVMGetParam(fn, 0), arg = LLVMBuildFNeg(b, x0, "");
    LLVMValueRef ex = typed_fn(c, "glc.expf", t, build_exp);
    LLVMValueRef e = LLVMBuildCall2(b, LLVMGlobalGetValueType(ex), ex, &arg, 1, "");
    LLVMValueRef y = LLVMBuildFDiv(b, kx(x0, 1.0), LLVMBuildFAdd(b, kx(x0, 1.0), e, ""), "");
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

/* The function `base` (f32) or `base`.v<n> (<n x float>) for type t, built on first use. */
static LLVMValueRef typed_fn(cg_ctx *c, const char *base, LLVMTypeRef t, math_builder build) {
    char name[64];
    if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
        snprintf(name, sizeof name, "%s.v%u", base, LLVMGetVectorSize(t));
    else
        snprintf(name, sizeof name, "%s", base);
    LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
    return fn ? fn : build(c, t, name);
}

/* exp, tanh and sigmoid take f32 or <n x float>: a vector gets the same operations on
 * every lane as one vector function, not n scalar calls. */
LLVMValueRef cg_math_exp(cg_ctx *c, LLVMValueRef x) {
    return call1(c, typed_fn(c, "glc.expf", LLVMTypeOf(x), build_exp), x);
}

LLVMValueRef cg_math_tanh(cg_ctx *c, LLVMValueRef x) {
    return call1(c, typed_fn(c, "glc.tanhf", LLVMTypeOf(x), build_tanh), x);
}

LLVMValueRef cg_math_sigmoid(cg_ctx *c, LLVMValueRef x) {
    return call1(c, typed_fn(c, "glc.sigmoidf", LLVMTypeOf(x), build_sigmoid), x);
}

LLVMValueRef cg_math_log(cg_ctx *c, LLVMValueRef x) {
    LLVMValueRef fn = LLVMGetNamedFunction(c->mod, "glc.logf");
    return call1(c, fn ? fn : build_log(c), x);
}

/* ---- more functions of float: the elementwise ops' (math_fn builds each once) --------- */

typedef LLVMValueRef (*math_body)(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x);

/* The internal alwaysinline float(float) function `name`, built by body on first use. */
static LLVMValueRef math_fn(cg_ctx *c, const char *name, math_body body) {
    LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
    if (fn) return fn;
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    fn = math_fn_begin(c, b, name);
    LLVMBuildRet(b, body(c, b, LLVMGetParam(fn, 0)));
    LLVMDisposeBuilder(b);
    return fn;
}

static LLVMValueRef callb(LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef x) {
    return LLVMBuildCall2(b, LLVMGlobalGetValueType(fn), fn, &x, 1, "");
}

static LLVMValueRef fcmp(LLVMBuilderRef b, LLVMRealPredicate p, LLVMValueRef x, LLVMValueRef y) {
    return LLVMBuildFCmp(b, p, x, y, "");
}

static LLVMValueRef sel(LLVMBuilderRef b, LLVMValueRef cond, LLVMValueRef x, LLVMValueRef y) {
    return LLVMBuildSelect(b, cond, x, y, "");
}

static LLVMValueRef bmul(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) {
    return LLVMBuildFMul(b, x, y, "");
}

static LLVMValueRef badd(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) {
    return LLVMBuildFAdd(b, x, y, "");
}

static LLVMValueRef bsub(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) {
    return LLVMBuildFSub(b, x, y, "");
}

static LLVMValueRef bdiv(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) {
    return LLVMBuildFDiv(b, x, y, "");
}

/* x with the sign of s (s < 0: -x). */
static LLVMValueRef signed_as(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef s) {
    return sel(b, fcmp(b, LLVMRealOLT, s, fk(c, 0.0)), LLVMBuildFNeg(b, x, ""), x);
}

static LLVMValueRef exp_in(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    return callb(b, typed_fn(c, "glc.expf", c->f32, build_exp), x);
}

static LLVMValueRef log_in(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef fn = LLVMGetNamedFunction(c->mod, "glc.logf");
    return callb(b, fn ? fn : build_log(c), x);
}

/* sin or cos (Cephes sinf/cosf): j = nearest even multiple of pi/4 to |x|, r = |x| - j*pi/4
 * in three parts (Cody-Waite), then sin(r) or cos(r) by degree-7/8 polynomials and a sign
 * from j's octant. Accurate for |x| < 8192; inf and NaN give NaN. */
static LLVMValueRef sincos_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x0, bool is_cos) {
    static const double S[] = {-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1};
    static const double C[] = {2.443315711809948E-5, -1.388731625493765E-3, 4.166664568298827E-2};
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x0);
    LLVMValueRef finite = fcmp(b, LLVMRealOLT, ax, fk(c, HUGE_VAL));
    LLVMValueRef xs = sel(b, fcmp(b, LLVMRealOLT, ax, fk(c, 1e9)), ax, fk(c, 0.0));
    LLVMValueRef j = LLVMBuildFPToSI(b, bmul(b, xs, fk(c, 1.27323954473516)), c->i32, "");
    j = LLVMBuildAdd(b, j, LLVMBuildAnd(b, j, LLVMConstInt(c->i32, 1, 0), ""), "");
    LLVMValueRef y = LLVMBuildSIToFP(b, j, c->f32, "");
    LLVMValueRef r = bsub(b, xs, bmul(b, y, fk(c, 0.78515625)));
    r = bsub(b, r, bmul(b, y, fk(c, 2.4187564849853515625e-4)));
    r = bsub(b, r, bmul(b, y, fk(c, 3.77489497744594108e-8)));
    LLVMValueRef z = bmul(b, r, r);
    LLVMValueRef ps = badd(b, bmul(b, bmul(b, poly(c, b, z, S, 3), z), r), r);
    LLVMValueRef pc = bmul(b, bmul(b, poly(c, b, z, C, 3), z), z);
    pc = badd(b, bsub(b, pc, bmul(b, z, fk(c, 0.5))), fk(c, 1.0));
    LLVMValueRef zero = LLVMConstInt(c->i32, 0, 0);
    LLVMValueRef j2 = LLVMBuildAnd(b, j, LLVMConstInt(c->i32, 2, 0), "");
    LLVMValueRef j4 = LLVMBuildAnd(b, j, LLVMConstInt(c->i32, 4, 0), "");
    LLVMValueRef bit2 = LLVMBuildICmp(b, LLVMIntNE, j2, zero, "");
    LLVMValueRef bit4 = LLVMBuildICmp(b, LLVMIntNE, j4, zero, "");
    LLVMValueRef v = sel(b, bit2, is_cos ? ps : pc, is_cos ? pc : ps);
    LLVMValueRef neg = is_cos ? LLVMBuildXor(b, bit4, bit2, "")
                              : LLVMBuildXor(b, bit4, fcmp(b, LLVMRealOLT, x0, fk(c, 0.0)), "");
    v = sel(b, neg, LLVMBuildFNeg(b, v, ""), v);
    return sel(b, finite, v, fk(c, NAN));
}

static LLVMValueRef sin_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    return sincos_body(c, b, x, false);
}

static LLVMValueRef cos_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    return sincos_body(c, b, x, true);
}

static LLVMValueRef tan_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    return bdiv(b, callb(b, math_fn(c, "glc.sinf", sin_body), x),
                callb(b, math_fn(c, "glc.cosf", cos_body), x));
}

/* atan (Cephes atanf): |x| reduced to [0, tan(pi/8)] by atan(x) = pi/2 + atan(-1/x) or
 * pi/4 + atan((x-1)/(x+1)), then x + x^3 P(x^2) (degree 4). */
static LLVMValueRef atan_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x0) {
    static const double P[] = {8.05374449538e-2, -1.38776856032E-1, 1.99777106478E-1,
                               -3.33329491539E-1};
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x0);
    LLVMValueRef big = fcmp(b, LLVMRealOGT, ax, fk(c, 2.414213562373095));
    LLVMValueRef mid = fcmp(b, LLVMRealOGT, ax, fk(c, 0.4142135623730950));
    LLVMValueRef xm = bdiv(b, bsub(b, ax, fk(c, 1.0)), badd(b, ax, fk(c, 1.0)));
    LLVMValueRef x = sel(b, big, bdiv(b, fk(c, -1.0), ax), sel(b, mid, xm, ax));
    LLVMValueRef y0 = sel(b, big, fk(c, M_PI_2), sel(b, mid, fk(c, M_PI_4), fk(c, 0.0)));
    LLVMValueRef z = bmul(b, x, x);
    LLVMValueRef y = badd(b, bmul(b, bmul(b, poly(c, b, z, P, 4), z), x), x);
    return signed_as(c, b, badd(b, y0, y), x0);
}

/* asin x = atan(x / sqrt((1 - x)(1 + x))), acos x = 2 atan(sqrt((1 - x) / (1 + x))):
 * both factors exact near |x| = 1; |x| > 1 gives NaN through the square root. */
static LLVMValueRef asin_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef d = bmul(b, bsub(b, fk(c, 1.0), x), badd(b, fk(c, 1.0), x));
    LLVMValueRef t = bdiv(b, x, call_intr(c, b, "llvm.sqrt", d));
    return callb(b, math_fn(c, "glc.atanf", atan_body), t);
}

static LLVMValueRef acos_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef q = bdiv(b, bsub(b, fk(c, 1.0), x), badd(b, fk(c, 1.0), x));
    LLVMValueRef t = callb(b, math_fn(c, "glc.atanf", atan_body), call_intr(c, b, "llvm.sqrt", q));
    return bmul(b, t, fk(c, 2.0));
}

/* expm1: the degree-9 Taylor series for |x| < 0.35 (relative error < 2e-8 there), else
 * exp(x) - 1 (whose relative error is at most 3.4x exp's there). */
static LLVMValueRef expm1_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    static const double T[] = {1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120,
                               1.0 / 24,     1.0 / 6,     1.0 / 2,    1.0};
    LLVMValueRef small = bmul(b, x, poly(c, b, x, T, 9));
    LLVMValueRef big = bsub(b, exp_in(c, b, x), fk(c, 1.0));
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x);
    return sel(b, fcmp(b, LLVMRealOLT, ax, fk(c, 0.35)), small, big);
}

/* log1p x = log(u) * x / (u - 1) with u = 1 + x (Goldberg: the rounding of u cancels), x
 * when u rounds to 1; +inf stays +inf. */
static LLVMValueRef log1p_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef u = badd(b, fk(c, 1.0), x);
    LLVMValueRef r = bmul(b, log_in(c, b, u), bdiv(b, x, bsub(b, u, fk(c, 1.0))));
    r = sel(b, fcmp(b, LLVMRealOEQ, u, fk(c, 1.0)), x, r);
    return sel(b, fcmp(b, LLVMRealOEQ, x, fk(c, HUGE_VAL)), x, r);
}

/* sinh from expm1 (no cancellation near 0), cosh from exp; for |x| > 20 both are
 * (exp(|x|/2) / 2) exp(|x|/2), which does not overflow before the result does. */
static LLVMValueRef half_exp(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef ax) {
    LLVMValueRef e = exp_in(c, b, bmul(b, ax, fk(c, 0.5)));
    return bmul(b, bmul(b, e, fk(c, 0.5)), e);
}

static LLVMValueRef sinh_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x);
    LLVMValueRef e = callb(b, math_fn(c, "glc.expm1f", expm1_body), ax);
    LLVMValueRef s = bmul(b, fk(c, 0.5), badd(b, e, bdiv(b, e, badd(b, e, fk(c, 1.0)))));
    LLVMValueRef big = half_exp(c, b, ax);
    return signed_as(c, b, sel(b, fcmp(b, LLVMRealOGT, ax, fk(c, 20.0)), big, s), x);
}

static LLVMValueRef cosh_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x);
    LLVMValueRef e = exp_in(c, b, ax);
    LLVMValueRef s = bmul(b, fk(c, 0.5), badd(b, e, bdiv(b, fk(c, 1.0), e)));
    LLVMValueRef big = half_exp(c, b, ax);
    return sel(b, fcmp(b, LLVMRealOGT, ax, fk(c, 20.0)), big, s);
}

/* asinh |x| = log1p(|x| + x^2 / (1 + sqrt(1 + x^2))); acosh x = log1p(t + sqrt(2t + t^2))
 * with t = x - 1; for huge arguments log(|x|) + ln 2. atanh |x| = log1p(2|x| / (1 - |x|)) / 2
 * (on |x|: for x near -1 the quotient would near -1, where log1p magnifies its rounding). */
static LLVMValueRef asinh_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x), x2 = bmul(b, ax, ax);
    LLVMValueRef q = badd(b, fk(c, 1.0), call_intr(c, b, "llvm.sqrt", badd(b, fk(c, 1.0), x2)));
    LLVMValueRef r = callb(b, math_fn(c, "glc.log1pf", log1p_body), badd(b, ax, bdiv(b, x2, q)));
    LLVMValueRef big = badd(b, log_in(c, b, ax), fk(c, M_LN2));
    return signed_as(c, b, sel(b, fcmp(b, LLVMRealOGT, ax, fk(c, 1e10)), big, r), x);
}

static LLVMValueRef acosh_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef t = bsub(b, x, fk(c, 1.0));
    LLVMValueRef s = call_intr(c, b, "llvm.sqrt", badd(b, bmul(b, t, fk(c, 2.0)), bmul(b, t, t)));
    LLVMValueRef r = callb(b, math_fn(c, "glc.log1pf", log1p_body), badd(b, t, s));
    LLVMValueRef big = badd(b, log_in(c, b, x), fk(c, M_LN2));
    return sel(b, fcmp(b, LLVMRealOGT, x, fk(c, 1e10)), big, r);
}

static LLVMValueRef atanh_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x);
    LLVMValueRef q = bdiv(b, bmul(b, ax, fk(c, 2.0)), bsub(b, fk(c, 1.0), ax));
    LLVMValueRef r = bmul(b, fk(c, 0.5), callb(b, math_fn(c, "glc.log1pf", log1p_body), q));
    return signed_as(c, b, r, x);
}

/* erf and erfc (Cephes erff/erfcf): erf x = x P(x^2) (degree 6) for |x| < 1; erfc a =
 * exp(-a^2) / a * R(1/a^2) for a >= 1 (degree 8 below 2, 7 above), exp(-a^2) taken as
 * exp(-h^2) exp(-(a - h)(a + h)) with h = a cut to 12 bits, so h^2 is exact and a^2's
 * rounding does not reach the result; 0 beyond 10. erf x = 1 - erfc |x| (signed) beyond 1, erfc x =
 * 1 - erf x below 1 and 2 - erfc |x| for x <= -1. */
static LLVMValueRef erf_small(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    static const double T[] = {7.853861353153693E-5,  -8.010193625184903E-4, 5.188327685732524E-3,
                               -2.685381193529856E-2, 1.128358514861418E-1,  -3.761262582423300E-1,
                               1.128379165726710E+0};
    return bmul(b, x, poly(c, b, bmul(b, x, x), T, 7));
}

static LLVMValueRef erfc_big(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef a) {
    static const double P[] = {2.326819970068386E-2, -1.387039388740657E-1, 3.687424674597105E-1,
                               -5.824733027278666E-1, 6.210004621745983E-1, -4.944515323274145E-1,
                               3.404879937665872E-1, -2.741127028184656E-1, 5.638259427386472E-1};
    static const double R[] = {-1.047766399936249E+1, 1.297719955372516E+1, -7.495518717768503E+0,
                               2.921019019210786E+0,  -1.015265279202700E+0, 4.218463358204948E-1,
                               -2.820767439740514E-1, 5.641895067754075E-1};
    LLVMValueRef hb = LLVMBuildAnd(b, LLVMBuildBitCast(b, a, c->i32, ""),
                                   LLVMConstInt(c->i32, 0xfffff000u, 0), "");
    LLVMValueRef h = LLVMBuildBitCast(b, hb, c->f32, "");
    LLVMValueRef lo = bmul(b, bsub(b, a, h), badd(b, a, h)); /* a^2 - h^2 */
    LLVMValueRef e = bmul(b, exp_in(c, b, LLVMBuildFNeg(b, bmul(b, h, h), "")),
                          exp_in(c, b, LLVMBuildFNeg(b, lo, "")));
    LLVMValueRef q = bdiv(b, fk(c, 1.0), a), y = bmul(b, q, q);
    LLVMValueRef p = sel(b, fcmp(b, LLVMRealOLT, a, fk(c, 2.0)), poly(c, b, y, P, 9),
                         poly(c, b, y, R, 8));
    LLVMValueRef r = bmul(b, bmul(b, e, q), p);
    return sel(b, fcmp(b, LLVMRealOGT, a, fk(c, 10.0)), fk(c, 0.0), r); /* underflowed */
}

static LLVMValueRef erf_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x);
    LLVMValueRef big = signed_as(c, b, bsub(b, fk(c, 1.0), erfc_big(c, b, ax)), x);
    return sel(b, fcmp(b, LLVMRealOLT, ax, fk(c, 1.0)), erf_small(c, b, x), big);
}

static LLVMValueRef erfc_body(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x) {
    LLVMValueRef ax = call_intr(c, b, "llvm.fabs", x);
    LLVMValueRef r = erfc_big(c, b, ax);
    r = sel(b, fcmp(b, LLVMRealOLT, x, fk(c, 0.0)), bsub(b, fk(c, 2.0), r), r);
    LLVMValueRef small = bsub(b, fk(c, 1.0), erf_small(c, b, x));
    return sel(b, fcmp(b, LLVMRealOLT, ax, fk(c, 1.0)), small, r);
}

#define MATH_FN(cname, irname, body)                                                             \
    LLVMValueRef cname(cg_ctx *c, LLVMValueRef x) {                                              \
        return call1(c, math_fn(c, irname, body), x);                                            \
    }
MATH_FN(cg_math_sin, "glc.sinf", sin_body)
MATH_FN(cg_math_cos, "glc.cosf", cos_body)
MATH_FN(cg_math_tan, "glc.tanf", tan_body)
MATH_FN(cg_math_asin, "glc.asinf", asin_body)
MATH_FN(cg_math_acos, "glc.acosf", acos_body)
MATH_FN(cg_math_atan, "glc.atanf", atan_body)
MATH_FN(cg_math_sinh, "glc.sinhf", sinh_body)
MATH_FN(cg_math_cosh, "glc.coshf", cosh_body)
MATH_FN(cg_math_asinh, "glc.asinhf", asinh_body)
MATH_FN(cg_math_acosh, "glc.acoshf", acosh_body)
MATH_FN(cg_math_atanh, "glc.atanhf", atanh_body)
MATH_FN(cg_math_expm1, "glc.expm1f", expm1_body)
MATH_FN(cg_math_log1p, "glc.log1pf", log1p_body)
MATH_FN(cg_math_erf, "glc.erff", erf_body)
MATH_FN(cg_math_erfc, "glc.erfcf", erfc_body)
#undef MATH_FN
