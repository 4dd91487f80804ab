/*
 * lower_elemwise.c -- the kernel of every elementwise op (the EW rows of ops.def): the
 * broadcast loop nest of bcast.c, and in its body the row's definition, emitted as LLVM IR
 * by the primitives of ew_prims.h below (the interpreter evaluates the same definitions in
 * ir/interp_elemwise.c).
 *
 * The body is scalar straight-line code (selects, no branches; the f32 math functions of
 * math.c are alwaysinline IR) over contiguous or splat operands, so the loop vectorizer
 * turns it into vector code. Values: f32 (f16 and bf16 are widened on load and rounded to
 * nearest even on store, by integer bit manipulation: no runtime helpers), f64 (its
 * transcendental functions are scalar libm calls, a rare case), iN integers (wrapping; a
 * division or remainder by 0 gives 0 and INT_MIN / -1 wraps, instead of trapping), bool as
 * i1 (i8 in memory). A literal gets the type of the operand it meets. Store converts to the
 * output dtype as ONNX's Cast does (float -> integer: llvm.fpto[su]i.sat).
 *
 * lower_reduce() is the kernel of every reduction (the RED rows): the row's init, combine
 * and finalize emitted by the same primitives, in the interpreter's order (interp_reduce).
 */
#include "cg_impl.h"
#include "tensor.h"

#include <math.h>
#include <string.h>

#define EW_MAX_IN CG_BCAST_MAX

typedef enum { EV_VAL, EV_LIT, EV_NONE } ev_kind;

typedef struct ev {
    ev_kind k;
    glc_dtype t; /* compute dtype of a value: f32, f64, an integer dtype or bool */
    LLVMValueRef v;
    double f; /* a literal */
} ev;

typedef struct ew_emit {
    cg_ctx *c;
    const glc_node *n;
    glc_dtype out;
    int n_in;
    const glc_value *vin[EW_MAX_IN];
    ev in[EW_MAX_IN];
    bool no_value; /* the definition gave none (a broken row) */
} ew_emit;

typedef enum { CL_F, CL_S, CL_U, CL_B } ev_class;

static ev_class cls(glc_dtype t) {
    switch (t) {
    case GLC_DT_I8:
    case GLC_DT_I16:
    case GLC_DT_I32:
    case GLC_DT_I64:
        return CL_S;
    case GLC_DT_U8:
    case GLC_DT_U16:
    case GLC_DT_U32:
    case GLC_DT_U64:
        return CL_U;
    case GLC_DT_BOOL:
        return CL_B;
    case GLC_DT_F32:
    case GLC_DT_F64:
    case GLC_DT_F16:
    case GLC_DT_BF16:
    case GLC_DT_UNDEF:
    case GLC_DT_STRING:
        return CL_F;
    }
    return CL_F;
}

static int bits(glc_dtype t) {
    return (int)glc_dtype_size(t) * 8;
}

/* The LLVM type of compute dtype t. */
static LLVMTypeRef ty_of(cg_ctx *c, glc_dtype t) {
    if (t == GLC_DT_F32) return c->f32;
    if (t == GLC_DT_F64) return LLVMDoubleTypeInContext(c->ctx);
    if (t == GLC_DT_BOOL) return LLVMInt1TypeInContext(c->ctx);
    return LLVMIntTypeInContext(c->ctx, (unsigned)bits(t));
}

static ev val(glc_dtype t, LLVMValueRef v) {
    return (ev){EV_VAL, t, v, 0};
}

static ev mk_lit(double f) {
    return (ev){EV_LIT, GLC_DT_UNDEF, NULL, f};
}

static const ev none = {EV_NONE, GLC_DT_UNDEF, NULL, 0};

/* A literal as a constant of compute dtype t (Cast's rules, as the interpreter's). */
static LLVMValueRef lit_const(cg_ctx *c, double f, glc_dtype t) {
    switch (cls(t)) {
    case CL_F:
        return LLVMConstReal(ty_of(c, t), f);
    case CL_B:
        return LLVMConstInt(ty_of(c, t), f != 0, 0);
    case CL_S:
    case CL_U:
        return LLVMConstInt(ty_of(c, t), glc_float_to_int(f, bits(t), cls(t) == CL_S), 0);
    }
    return NULL;
}

static LLVMValueRef call_intr(cg_ctx *c, const char *name, LLVMValueRef *args, int n,
                              LLVMTypeRef *tys, int n_tys) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, tys, (size_t)n_tys);
    LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, tys, (size_t)n_tys);
    return LLVMBuildCall2(c->b, ft, f, args, (unsigned)n, "");
}

/* x (a value) converted to compute dtype t. */
static LLVMValueRef conv_val(cg_ctx *c, ev x, glc_dtype t) {
    LLVMBuilderRef b = c->b;
    LLVMTypeRef tt = ty_of(c, t);
    ev_class from = cls(x.t), to = cls(t);
    if (x.t == t) return x.v;
    if (to == CL_B)
        return from == CL_F ? LLVMBuildFCmp(b, LLVMRealUNE, x.v, LLVMConstNull(LLVMTypeOf(x.v)), "")
                            : LLVMBuildICmp(b, LLVMIntNE, x.v, LLVMConstNull(LLVMTypeOf(x.v)), "");
    if (from == CL_F && to == CL_F) return LLVMBuildFPCast(b, x.v, tt, "");
    if (from == CL_F) {
        LLVMTypeRef tys[2] = {tt, LLVMTypeOf(x.v)};
        LLVMValueRef v = x.v;
        return call_intr(c, to == CL_S ? "llvm.fptosi.sat" : "llvm.fptoui.sat", &v, 1, tys, 2);
    }
    if (to == CL_F)
        return from == CL_S ? LLVMBuildSIToFP(b, x.v, tt, "") : LLVMBuildUIToFP(b, x.v, tt, "");
    return LLVMBuildIntCast2(b, x.v, tt, from == CL_S, "");
}

static ev convert(cg_ctx *c, ev x, glc_dtype t) {
    if (x.k == EV_LIT) return val(t, lit_const(c, x.f, t));
    if (x.k == EV_NONE) return x;
    return val(t, conv_val(c, x, t));
}

/* A literal meeting a value takes its type; two values of different types: y takes x's. */
static void unify(cg_ctx *c, ev *x, ev *y) {
    if (x->k == EV_LIT && y->k == EV_VAL)
        *x = convert(c, *x, y->t);
    else if (y->k == EV_LIT && x->k == EV_VAL)
        *y = convert(c, *y, x->t);
    else if (x->k == EV_VAL && y->k == EV_VAL && x->t != y->t)
        *y = convert(c, *y, x->t);
}

/* ---- f16 and bf16 in registers: integer bit manipulation --------------------------- */

static LLVMValueRef k32(cg_ctx *c, uint32_t v) {
    return LLVMConstInt(c->i32, v, 0);
}

/* f16 bits (i16) -> f32, exact (subnormals through one float subtraction). */
static LLVMValueRef f16_to_f32(cg_ctx *c, LLVMValueRef h16) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef h = LLVMBuildZExt(b, h16, c->i32, "");
    LLVMValueRef o = LLVMBuildShl(b, LLVMBuildAnd(b, h, k32(c, 0x7fff), ""), k32(c, 13), "");
    o = LLVMBuildAdd(b, o, k32(c, 112u << 23), ""); /* rebias the exponent */
    LLVMValueRef e = LLVMBuildAnd(b, h, k32(c, 0x7c00), "");
    LLVMValueRef inf = LLVMBuildAdd(b, o, k32(c, 112u << 23), "");
    LLVMValueRef sub = LLVMBuildBitCast(b, LLVMBuildAdd(b, o, k32(c, 1u << 23), ""), c->f32, "");
    sub = LLVMBuildFSub(b, sub, LLVMConstReal(c->f32, 6.103515625e-05), ""); /* 2^-14 */
    sub = LLVMBuildBitCast(b, sub, c->i32, "");
    o = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, e, k32(c, 0), ""), sub, o, "");
    o = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, e, k32(c, 0x7c00), ""), inf, o, "");
    LLVMValueRef s = LLVMBuildShl(b, LLVMBuildAnd(b, h, k32(c, 0x8000), ""), k32(c, 16), "");
    return LLVMBuildBitCast(b, LLVMBuildOr(b, o, s, ""), c->f32, "");
}

/* Rounding to f16 (nearest even) from a float of `fb` bits (32 or 64) whose mantissa has
 * `mb` bits and exponent bias `bias`: the integer form of the usual trick (subnormal
 * results by one float addition, which rounds; normal ones by adding half an f16 ulp). */
static LLVMValueRef to_f16(cg_ctx *c, LLVMValueRef x, int fb, int mb, int bias) {
    LLVMBuilderRef b = c->b;
    LLVMTypeRef it = LLVMIntTypeInContext(c->ctx, (unsigned)fb), ft = LLVMTypeOf(x);
#define KI(v) LLVMConstInt(it, (unsigned long long)(v), 0)
    LLVMValueRef u = LLVMBuildBitCast(b, x, it, "");
    LLVMValueRef sign = LLVMBuildAnd(b, u, KI((uint64_t)1 << (fb - 1)), "");
    u = LLVMBuildXor(b, u, sign, "");
    uint64_t inf = (((uint64_t)1 << (fb - mb - 1)) - 1) << mb;
    LLVMValueRef big = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGT, u, KI(inf), ""), KI(0x7e00),
                                       KI(0x7c00), "");
    uint64_t magic_u = (uint64_t)(bias - 15 + mb - 10 + 1) << mb;
    LLVMValueRef magic = LLVMBuildBitCast(b, KI(magic_u), ft, "");
    LLVMValueRef sub = LLVMBuildFAdd(b, LLVMBuildBitCast(b, u, ft, ""), magic, "");
    sub = LLVMBuildSub(b, LLVMBuildBitCast(b, sub, it, ""), KI(magic_u), "");
    LLVMValueRef odd = LLVMBuildAnd(b, LLVMBuildLShr(b, u, KI(mb - 10), ""), KI(1), "");
    LLVMValueRef nrm = LLVMBuildAdd(
        b, u, KI(((uint64_t)(15 - bias) << mb) + (((uint64_t)1 << (mb - 11)) - 1)), "");
    nrm = LLVMBuildLShr(b, LLVMBuildAdd(b, nrm, odd, ""), KI(mb - 10), "");
    LLVMValueRef o = LLVMBuildSelect(
        b, LLVMBuildICmp(b, LLVMIntULT, u, KI((uint64_t)(bias - 14) << mb), ""), sub, nrm, "");
    o = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGE, u, KI((uint64_t)(bias + 16) << mb), ""),
                        big, o, "");
    o = LLVMBuildOr(b, o, LLVMBuildLShr(b, sign, KI(fb - 16), ""), "");
#undef KI
    return LLVMBuildTrunc(b, o, LLVMInt16TypeInContext(c->ctx), "");
}

/* f32 -> bf16 bits, nearest even; a NaN stays a (quiet) NaN. */
static LLVMValueRef to_bf16(cg_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef u = LLVMBuildBitCast(b, x, c->i32, "");
    LLVMValueRef odd = LLVMBuildAnd(b, LLVMBuildLShr(b, u, k32(c, 16), ""), k32(c, 1), "");
    LLVMValueRef r = LLVMBuildAdd(b, LLVMBuildAdd(b, u, k32(c, 0x7fff), ""), odd, "");
    r = LLVMBuildLShr(b, r, k32(c, 16), "");
    LLVMValueRef q = LLVMBuildOr(b, LLVMBuildLShr(b, u, k32(c, 16), ""), k32(c, 0x40), "");
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), q, r, "");
    return LLVMBuildTrunc(b, r, LLVMInt16TypeInContext(c->ctx), "");
}

/* ---- load and store ------------------------------------------------------------------ */

static ev load(cg_ctx *c, glc_dtype dt, LLVMValueRef p, LLVMValueRef i) {
    LLVMBuilderRef b = c->b;
    if (dt == GLC_DT_F16 || dt == GLC_DT_BF16) {
        LLVMTypeRef t16 = LLVMInt16TypeInContext(c->ctx);
        LLVMValueRef h = LLVMBuildLoad2(b, t16, cg_gep(c, t16, p, i), "");
        if (dt == GLC_DT_F16) return val(GLC_DT_F32, f16_to_f32(c, h));
        LLVMValueRef u = LLVMBuildShl(b, LLVMBuildZExt(b, h, c->i32, ""), k32(c, 16), "");
        return val(GLC_DT_F32, LLVMBuildBitCast(b, u, c->f32, ""));
    }
    if (dt == GLC_DT_BOOL) {
        LLVMValueRef v = LLVMBuildLoad2(b, c->i8, cg_gep(c, c->i8, p, i), "");
        return val(dt, LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(c->i8, 0, 0), ""));
    }
    LLVMTypeRef t = ty_of(c, dt);
    return val(dt, LLVMBuildLoad2(b, t, cg_gep(c, t, p, i), ""));
}

/* The bits to store for dtype dt (f16/bf16 as i16, bool as i8). */
static LLVMValueRef store_value(cg_ctx *c, glc_dtype dt, ev v) {
    if (v.k == EV_LIT) v = convert(c, v, GLC_DT_F64);
    if (dt == GLC_DT_F16 && v.t == GLC_DT_F32) return to_f16(c, v.v, 32, 23, 127);
    if (dt == GLC_DT_F16) return to_f16(c, conv_val(c, v, GLC_DT_F64), 64, 52, 1023);
    if (dt == GLC_DT_BF16) return to_bf16(c, conv_val(c, v, GLC_DT_F32));
    if (dt == GLC_DT_BOOL) return LLVMBuildZExt(c->b, conv_val(c, v, dt), c->i8, "");
    return conv_val(c, v, dt);
}

static void store(cg_ctx *c, glc_dtype dt, LLVMValueRef p, LLVMValueRef i, ev v) {
    LLVMValueRef x = store_value(c, dt, v);
    LLVMBuildStore(c->b, x, cg_gep(c, LLVMTypeOf(x), p, i));
}

/* ---- the primitives of ew_prims.h ----------------------------------------------------- */

static ev ev_in(const ew_emit *E, int i) {
    return i < E->n_in ? E->in[i] : none;
}

static ev ev_lit(const ew_emit *E, double v) {
    (void)E;
    return mk_lit(v);
}

static ev ev_nin(const ew_emit *E) {
    return mk_lit(E->n_in);
}

typedef ev (*ev_binary)(const ew_emit *E, ev x, ev y);

static ev ev_fold(const ew_emit *E, ev_binary f) {
    ev acc = E->in[0];
    for (int k = 1; k < E->n_in; k++)
        acc = f(E, acc, E->in[k]);
    return acc;
}

static ev ev_attr(const ew_emit *E, const char *name) {
    double v;
    return glc_ew_attr_num(E->n, name, &v) ? mk_lit(v) : none;
}

static int64_t ev_opset(const ew_emit *E) {
    return E->c->g->opset;
}

/* A libm function of one double (f64 values: scalar calls, see the file comment). */
static LLVMValueRef libm1(cg_ctx *c, const char *name, LLVMValueRef x) {
    LLVMTypeRef dt = LLVMDoubleTypeInContext(c->ctx);
    LLVMTypeRef ft = LLVMFunctionType(dt, &dt, 1, 0);
    LLVMValueRef f = LLVMGetNamedFunction(c->mod, name);
    if (!f) f = LLVMAddFunction(c->mod, name, ft);
    return LLVMBuildCall2(c->b, ft, f, &x, 1, "");
}

typedef enum { AR_ADD, AR_SUB, AR_MUL, AR_DIV, AR_MIN, AR_MAX, AR_MOD, AR_FMOD } arith;

/* numpy's float mod: fmod moved to the divisor's sign; a zero takes the divisor's sign. */
static double np_mod(double a, double b) {
    double r = fmod(a, b);
    if (r == 0) return copysign(0.0, b);
    return (r < 0) != (b < 0) ? r + b : r;
}

static double f_arith(arith op, double a, double b) {
    switch (op) {
    case AR_ADD:
        return a + b;
    case AR_SUB:
        return a - b;
    case AR_MUL:
        return a * b;
    case AR_DIV:
        return a / b;
    case AR_MIN:
        return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
    case AR_MAX:
        return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
    case AR_MOD:
        return np_mod(a, b);
    case AR_FMOD:
        return fmod(a, b);
    }
    return NAN;
}

/* max/min of floats, NaN if either is (numpy's maximum/minimum). */
static LLVMValueRef fminmax(cg_ctx *c, bool max, LLVMValueRef x, LLVMValueRef y) {
    LLVMValueRef gt = LLVMBuildFCmp(c->b, max ? LLVMRealOGT : LLVMRealOLT, x, y, "");
    LLVMValueRef r = LLVMBuildSelect(c->b, gt, x, y, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealUNO, x, x, ""), x, r, "");
}

/* Integer division: by 0 gives 0, INT_MIN / -1 wraps (sdiv would trap on x86). */
static LLVMValueRef idiv(cg_ctx *c, bool s, LLVMValueRef x, LLVMValueRef y) {
    LLVMBuilderRef b = c->b;
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef zero = LLVMConstNull(t), one = LLVMConstInt(t, 1, 0);
    LLVMValueRef z = LLVMBuildICmp(b, LLVMIntEQ, y, zero, "");
    LLVMValueRef m1 = s ? LLVMBuildICmp(b, LLVMIntEQ, y, LLVMConstAllOnes(t), "") : NULL;
    LLVMValueRef bad = s ? LLVMBuildOr(b, z, m1, "") : z;
    LLVMValueRef safe = LLVMBuildSelect(b, bad, one, y, "");
    LLVMValueRef q = s ? LLVMBuildSDiv(b, x, safe, "") : LLVMBuildUDiv(b, x, safe, "");
    if (s) q = LLVMBuildSelect(b, m1, LLVMBuildSub(b, zero, x, ""), q, "");
    return LLVMBuildSelect(b, z, zero, q, "");
}

/* Integer remainder: truncated (fmod) or with the divisor's sign (mod); by 0, and for the
 * overflowing INT_MIN % -1, it is 0 (srem would trap). */
static LLVMValueRef irem(cg_ctx *c, bool s, bool floor_mod, LLVMValueRef x, LLVMValueRef y) {
    LLVMBuilderRef b = c->b;
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef zero = LLVMConstNull(t), one = LLVMConstInt(t, 1, 0);
    LLVMValueRef bad = LLVMBuildICmp(b, LLVMIntEQ, y, zero, "");
    if (s) bad = LLVMBuildOr(b, bad, LLVMBuildICmp(b, LLVMIntEQ, y, LLVMConstAllOnes(t), ""), "");
    LLVMValueRef safe = LLVMBuildSelect(b, bad, one, y, "");
    LLVMValueRef r = s ? LLVMBuildSRem(b, x, safe, "") : LLVMBuildURem(b, x, safe, "");
    if (s && floor_mod) { /* r and the divisor of different signs: r + y */
        LLVMValueRef diff = LLVMBuildICmp(b, LLVMIntSLT, LLVMBuildXor(b, r, y, ""), zero, "");
        LLVMValueRef adj = LLVMBuildAnd(b, diff, LLVMBuildICmp(b, LLVMIntNE, r, zero, ""), "");
        r = LLVMBuildSelect(b, adj, LLVMBuildAdd(b, r, y, ""), r, "");
    }
    return LLVMBuildSelect(b, bad, zero, r, "");
}

/* numpy's mod of floats from frem (fmod): moved to the divisor's sign, 0 signed like it. */
static LLVMValueRef fmod_np(cg_ctx *c, LLVMValueRef x, LLVMValueRef y) {
    LLVMBuilderRef b = c->b;
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef zero = LLVMConstNull(t), r = LLVMBuildFRem(b, x, y, "");
    LLVMValueRef rneg = LLVMBuildFCmp(b, LLVMRealOLT, r, zero, "");
    LLVMValueRef yneg = LLVMBuildFCmp(b, LLVMRealOLT, y, zero, "");
    LLVMValueRef adj = LLVMBuildAnd(b, LLVMBuildXor(b, rneg, yneg, ""),
                                    LLVMBuildFCmp(b, LLVMRealONE, r, zero, ""), "");
    r = LLVMBuildSelect(b, adj, LLVMBuildFAdd(b, r, y, ""), r, "");
    LLVMValueRef args[2] = {zero, y};
    LLVMValueRef z = call_intr(c, "llvm.copysign", args, 2, &t, 1);
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, r, zero, ""), z, r, "");
}

static LLVMValueRef i_arith(cg_ctx *c, arith op, bool s, LLVMValueRef x, LLVMValueRef y) {
    LLVMBuilderRef b = c->b;
    switch (op) {
    case AR_ADD:
        return LLVMBuildAdd(b, x, y, "");
    case AR_SUB:
        return LLVMBuildSub(b, x, y, "");
    case AR_MUL:
        return LLVMBuildMul(b, x, y, "");
    case AR_DIV:
        return idiv(c, s, x, y);
    case AR_MIN:
    case AR_MAX: {
        LLVMIntPredicate p =
            op == AR_MAX ? (s ? LLVMIntSGT : LLVMIntUGT) : (s ? LLVMIntSLT : LLVMIntULT);
        return LLVMBuildSelect(b, LLVMBuildICmp(b, p, x, y, ""), x, y, "");
    }
    case AR_MOD:
        return irem(c, s, true, x, y);
    case AR_FMOD:
        return irem(c, s, false, x, y);
    }
    return NULL;
}

static LLVMValueRef f_arith_ir(cg_ctx *c, arith op, LLVMValueRef x, LLVMValueRef y) {
    switch (op) {
    case AR_ADD:
        return LLVMBuildFAdd(c->b, x, y, "");
    case AR_SUB:
        return LLVMBuildFSub(c->b, x, y, "");
    case AR_MUL:
        return LLVMBuildFMul(c->b, x, y, "");
    case AR_DIV:
        return LLVMBuildFDiv(c->b, x, y, "");
    case AR_MIN:
        return fminmax(c, false, x, y);
    case AR_MAX:
        return fminmax(c, true, x, y);
    case AR_MOD:
        return fmod_np(c, x, y);
    case AR_FMOD:
        return LLVMBuildFRem(c->b, x, y, "");
    }
    return NULL;
}

static ev arith2(const ew_emit *E, arith op, ev x, ev y) {
    if (x.k == EV_NONE) return y; /* MIN/MAX with an absent bound (Clip) */
    if (y.k == EV_NONE) return x;
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit(f_arith(op, x.f, y.f));
    unify(E->c, &x, &y);
    if (cls(x.t) == CL_F) return val(x.t, f_arith_ir(E->c, op, x.v, y.v));
    return val(x.t, i_arith(E->c, op, cls(x.t) == CL_S, x.v, y.v));
}

static ev ev_ADD(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_ADD, x, y);
}

static ev ev_SUB(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_SUB, x, y);
}

static ev ev_MUL(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_MUL, x, y);
}

static ev ev_DIV(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_DIV, x, y);
}

static ev ev_MOD(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_MOD, x, y);
}

static ev ev_FMOD(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_FMOD, x, y);
}

static ev ev_ELSE(const ew_emit *E, ev x, ev y) {
    (void)E;
    return x.k == EV_NONE ? y : x;
}

/* x^n for integers by squaring over every bit of n's width (selects, no branches); a
 * negative n gives 0 but for x = 1 and -1. */
static LLVMValueRef ipow(cg_ctx *c, LLVMValueRef x, LLVMValueRef n, bool n_signed) {
    LLVMBuilderRef b = c->b;
    LLVMTypeRef t = LLVMTypeOf(x), nt = LLVMTypeOf(n);
    unsigned w = LLVMGetIntTypeWidth(nt);
    LLVMValueRef r = LLVMConstInt(t, 1, 0), base = x;
    for (unsigned i = 0; i < w; i++) {
        LLVMValueRef bit = LLVMBuildTrunc(b, LLVMBuildLShr(b, n, LLVMConstInt(nt, i, 0), ""),
                                          LLVMInt1TypeInContext(c->ctx), "");
        r = LLVMBuildSelect(b, bit, LLVMBuildMul(b, r, base, ""), r, "");
        base = LLVMBuildMul(b, base, base, "");
    }
    if (!n_signed) return r;
    LLVMValueRef one = LLVMConstInt(t, 1, 0), m1 = LLVMConstAllOnes(t);
    LLVMValueRef odd = LLVMBuildTrunc(b, n, LLVMInt1TypeInContext(c->ctx), "");
    LLVMValueRef neg = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, x, m1, ""),
                                       LLVMBuildSelect(b, odd, m1, one, ""), LLVMConstNull(t), "");
    neg = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, x, one, ""), one, neg, "");
    LLVMValueRef is_neg = LLVMBuildICmp(b, LLVMIntSLT, n, LLVMConstNull(nt), "");
    return LLVMBuildSelect(b, is_neg, neg, r, "");
}

/* f32 x^y = exp(y log|x|), then the cases it misses: the sign for x < 0 (y odd), NaN for
 * x < 0 and y not an integer, and 1 for y = 0, x = 1, or x = -1 with y infinite. */
static LLVMValueRef fpow32(cg_ctx *c, LLVMValueRef x, LLVMValueRef y) {
    LLVMBuilderRef b = c->b;
#define FK(v) LLVMConstReal(c->f32, (v))
#define FC(p, u, v) LLVMBuildFCmp(b, (p), (u), (v), "")
    LLVMTypeRef t = c->f32;
    LLVMValueRef ax = call_intr(c, "llvm.fabs", &x, 1, &t, 1);
    LLVMValueRef r = cg_math_exp(c, LLVMBuildFMul(b, y, cg_math_log(c, ax), ""));
    LLVMValueRef fy = call_intr(c, "llvm.floor", &y, 1, &t, 1);
    LLVMValueRef hy = LLVMBuildFMul(b, y, FK(0.5), "");
    LLVMValueRef yint = FC(LLVMRealOEQ, fy, y);
    LLVMValueRef yodd =
        LLVMBuildAnd(b, yint, FC(LLVMRealUNE, call_intr(c, "llvm.floor", &hy, 1, &t, 1), hy), "");
    LLVMValueRef sgn = LLVMBuildICmp(b, LLVMIntSLT, LLVMBuildBitCast(b, x, c->i32, ""),
                                     LLVMConstInt(c->i32, 0, 0), "");
    LLVMValueRef keep =
        LLVMBuildOr(b, FC(LLVMRealOEQ, x, FK(0)), FC(LLVMRealOEQ, x, FK(-HUGE_VAL)), "");
    LLVMValueRef rneg =
        LLVMBuildSelect(b, yint, LLVMBuildSelect(b, yodd, LLVMBuildFNeg(b, r, ""), r, ""),
                        LLVMBuildSelect(b, keep, r, FK(NAN), ""), "");
    r = LLVMBuildSelect(b, sgn, rneg, r, "");
    LLVMValueRef one = LLVMBuildOr(b, FC(LLVMRealOEQ, y, FK(0)), FC(LLVMRealOEQ, x, FK(1)), "");
    LLVMValueRef ay = call_intr(c, "llvm.fabs", &y, 1, &t, 1);
    one = LLVMBuildOr(
        b, one, LLVMBuildAnd(b, FC(LLVMRealOEQ, x, FK(-1)), FC(LLVMRealOEQ, ay, FK(HUGE_VAL)), ""),
        "");
#undef FC
#undef FK
    return LLVMBuildSelect(b, one, LLVMConstReal(c->f32, 1.0), r, "");
}

/* A libm function of two doubles (pow on f64: scalar calls). */
static LLVMValueRef libm2(cg_ctx *c, const char *name, LLVMValueRef x, LLVMValueRef y) {
    LLVMTypeRef dt = LLVMDoubleTypeInContext(c->ctx), pt[2] = {dt, dt};
    LLVMTypeRef ft = LLVMFunctionType(dt, pt, 2, 0);
    LLVMValueRef f = LLVMGetNamedFunction(c->mod, name), args[2] = {x, y};
    if (!f) f = LLVMAddFunction(c->mod, name, ft);
    return LLVMBuildCall2(c->b, ft, f, args, 2, "");
}

/* x^y: y takes a float x's type (f32: vectorizable, f64: libm); an integer x with a float
 * y goes through f64 pow (truncated on store); two integers by squaring. */
static ev ev_POW(const ew_emit *E, ev x, ev y) {
    cg_ctx *c = E->c;
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit(pow(x.f, y.f));
    if (x.k == EV_VAL && x.t == GLC_DT_F32) return val(x.t, fpow32(c, x.v, convert(c, y, x.t).v));
    bool int_pow = x.k == EV_VAL && cls(x.t) != CL_F && y.k == EV_VAL && cls(y.t) != CL_F;
    if (int_pow) return val(x.t, ipow(c, x.v, y.v, cls(y.t) == CL_S));
    LLVMValueRef xd = convert(c, x, GLC_DT_F64).v, yd = convert(c, y, GLC_DT_F64).v;
    return val(GLC_DT_F64, libm2(c, "pow", xd, yd));
}

static ev ev_MIN(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_MIN, x, y);
}

static ev ev_MAX(const ew_emit *E, ev x, ev y) {
    return arith2(E, AR_MAX, x, y);
}

/* A float function: f32 through math.c (vectorizable IR), f64 (and an integer operand,
 * widened to f64) through libm; a literal folds with the C function. */
static ev fmap(const ew_emit *E, ev x, LLVMValueRef (*f32)(cg_ctx *, LLVMValueRef),
               const char *libm, double (*fold)(double)) {
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(fold(x.f)) : x;
    if (x.t == GLC_DT_F32) return val(x.t, f32(E->c, x.v));
    return val(GLC_DT_F64, libm1(E->c, libm, conv_val(E->c, x, GLC_DT_F64)));
}

static double sigmoid(double x) {
    return 1.0 / (1.0 + exp(-x));
}

#define FLOAT_FN(P, f32, f)                                                                        \
    static ev ev_##P(const ew_emit *E, ev x) {                                                     \
        return fmap(E, x, f32, #f, f);                                                             \
    }
FLOAT_FN(EXP, cg_math_exp, exp)
FLOAT_FN(LOG, cg_math_log, log)
FLOAT_FN(TANH, cg_math_tanh, tanh)
FLOAT_FN(ERF, cg_math_erf, erf)
FLOAT_FN(ERFC, cg_math_erfc, erfc)
FLOAT_FN(SIN, cg_math_sin, sin)
FLOAT_FN(COS, cg_math_cos, cos)
FLOAT_FN(TAN, cg_math_tan, tan)
FLOAT_FN(ASIN, cg_math_asin, asin)
FLOAT_FN(ACOS, cg_math_acos, acos)
FLOAT_FN(ATAN, cg_math_atan, atan)
FLOAT_FN(SINH, cg_math_sinh, sinh)
FLOAT_FN(COSH, cg_math_cosh, cosh)
FLOAT_FN(ASINH, cg_math_asinh, asinh)
FLOAT_FN(ACOSH, cg_math_acosh, acosh)
FLOAT_FN(ATANH, cg_math_atanh, atanh)
FLOAT_FN(EXPM1, cg_math_expm1, expm1)
FLOAT_FN(LOG1P, cg_math_log1p, log1p)
#undef FLOAT_FN

/* A float intrinsic (llvm.sqrt, llvm.floor, ...: vector instructions on f32 and f64). */
static ev intr1(const ew_emit *E, ev x, const char *name, double (*fold)(double)) {
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(fold(x.f)) : x;
    cg_ctx *c = E->c;
    if (cls(x.t) != CL_F) x = convert(c, x, GLC_DT_F64);
    LLVMTypeRef t = LLVMTypeOf(x.v);
    return val(x.t, call_intr(c, name, &x.v, 1, &t, 1));
}

static ev ev_SQRT(const ew_emit *E, ev x) {
    return intr1(E, x, "llvm.sqrt", sqrt);
}

static ev ev_FLOOR(const ew_emit *E, ev x) {
    return intr1(E, x, "llvm.floor", floor);
}

static ev ev_CEIL(const ew_emit *E, ev x) {
    return intr1(E, x, "llvm.ceil", ceil);
}

static ev ev_ROUND(const ew_emit *E, ev x) {
    return intr1(E, x, "llvm.roundeven", nearbyint);
}

static ev ev_NEG(const ew_emit *E, ev x) {
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(-x.f) : x;
    LLVMBuilderRef b = E->c->b;
    if (cls(x.t) == CL_F) return val(x.t, LLVMBuildFNeg(b, x.v, ""));
    return val(x.t, LLVMBuildSub(b, LLVMConstNull(LLVMTypeOf(x.v)), x.v, ""));
}

static ev ev_ABS(const ew_emit *E, ev x) {
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(fabs(x.f)) : x;
    if (cls(x.t) == CL_F) return intr1(E, x, "llvm.fabs", fabs);
    if (cls(x.t) != CL_S) return x;
    LLVMBuilderRef b = E->c->b;
    LLVMValueRef z = LLVMConstNull(LLVMTypeOf(x.v));
    LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, x.v, z, "");
    return val(x.t, LLVMBuildSelect(b, neg, LLVMBuildSub(b, z, x.v, ""), x.v, ""));
}

static double sign_of(double f) {
    return f > 0 ? 1 : f < 0 ? -1 : f;
}

/* -1, 0 or 1 of x's type (a float 0 keeps its sign, NaN stays NaN). */
static ev ev_SIGN(const ew_emit *E, ev x) {
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(sign_of(x.f)) : x;
    cg_ctx *c = E->c;
    LLVMBuilderRef b = c->b;
    LLVMValueRef z = LLVMConstNull(LLVMTypeOf(x.v)), gt, lt;
    if (cls(x.t) == CL_F) {
        gt = LLVMBuildFCmp(b, LLVMRealOGT, x.v, z, "");
        lt = LLVMBuildFCmp(b, LLVMRealOLT, x.v, z, "");
    } else {
        gt = LLVMBuildICmp(b, cls(x.t) == CL_S ? LLVMIntSGT : LLVMIntUGT, x.v, z, "");
        lt = LLVMBuildICmp(b, LLVMIntSLT, x.v, z, "");
        if (cls(x.t) != CL_S) lt = LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0);
    }
    LLVMValueRef y = LLVMBuildSelect(b, lt, lit_const(c, -1, x.t), x.v, "");
    return val(x.t, LLVMBuildSelect(b, gt, lit_const(c, 1, x.t), y, ""));
}

static ev ev_SIGMOID(const ew_emit *E, ev x) {
    if (x.k == EV_VAL && x.t != GLC_DT_F32) { /* 1 / (1 + exp(-x)) in f64 */
        cg_ctx *c = E->c;
        LLVMValueRef d = conv_val(c, x, GLC_DT_F64), one = lit_const(c, 1, GLC_DT_F64);
        LLVMValueRef e = libm1(c, "exp", LLVMBuildFNeg(c->b, d, ""));
        return val(GLC_DT_F64, LLVMBuildFDiv(c->b, one, LLVMBuildFAdd(c->b, one, e, ""), ""));
    }
    return fmap(E, x, cg_math_sigmoid, "", sigmoid);
}

typedef enum { CMP_EQ, CMP_LT, CMP_LE, CMP_GT, CMP_GE } cmp_op;

static bool cmp_f(cmp_op op, double a, double b) {
    switch (op) {
    case CMP_EQ:
        return a == b;
    case CMP_LT:
        return a < b;
    case CMP_LE:
        return a <= b;
    case CMP_GT:
        return a > b;
    case CMP_GE:
        return a >= b;
    }
    return false;
}

/* Compares as the type says: floats ordered (false with a NaN), integers signed or
 * unsigned, bools as 0 < 1. */
static ev cmp2(const ew_emit *E, cmp_op op, ev x, ev y) {
    static const LLVMRealPredicate fp[] = {LLVMRealOEQ, LLVMRealOLT, LLVMRealOLE, LLVMRealOGT,
                                           LLVMRealOGE};
    static const LLVMIntPredicate sp[] = {LLVMIntEQ, LLVMIntSLT, LLVMIntSLE, LLVMIntSGT,
                                          LLVMIntSGE};
    static const LLVMIntPredicate up[] = {LLVMIntEQ, LLVMIntULT, LLVMIntULE, LLVMIntUGT,
                                          LLVMIntUGE};
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit(cmp_f(op, x.f, y.f));
    unify(E->c, &x, &y);
    LLVMBuilderRef b = E->c->b;
    if (cls(x.t) == CL_F) return val(GLC_DT_BOOL, LLVMBuildFCmp(b, fp[op], x.v, y.v, ""));
    const LLVMIntPredicate *p = cls(x.t) == CL_S ? sp : up;
    return val(GLC_DT_BOOL, LLVMBuildICmp(b, p[op], x.v, y.v, ""));
}

static ev ev_LT(const ew_emit *E, ev x, ev y) {
    return cmp2(E, CMP_LT, x, y);
}

static ev ev_LE(const ew_emit *E, ev x, ev y) {
    return cmp2(E, CMP_LE, x, y);
}

static ev ev_GT(const ew_emit *E, ev x, ev y) {
    return cmp2(E, CMP_GT, x, y);
}

static ev ev_EQ(const ew_emit *E, ev x, ev y) {
    return cmp2(E, CMP_EQ, x, y);
}

static ev ev_GE(const ew_emit *E, ev x, ev y) {
    return cmp2(E, CMP_GE, x, y);
}

static ev ev_ISNAN(const ew_emit *E, ev x) {
    if (x.k != EV_VAL) return mk_lit(x.k == EV_LIT && isnan(x.f));
    LLVMBuilderRef b = E->c->b;
    if (cls(x.t) != CL_F)
        return val(GLC_DT_BOOL, LLVMConstInt(LLVMInt1TypeInContext(E->c->ctx), 0, 0));
    return val(GLC_DT_BOOL, LLVMBuildFCmp(b, LLVMRealUNO, x.v, x.v, ""));
}

/* x as a bool value (a literal is true when non-zero). */
static LLVMValueRef truth(const ew_emit *E, ev x) {
    return convert(E->c, x, GLC_DT_BOOL).v;
}

static ev ev_NOT(const ew_emit *E, ev x) {
    if (x.k == EV_LIT) return mk_lit(x.f == 0);
    return val(GLC_DT_BOOL, LLVMBuildNot(E->c->b, truth(E, x), ""));
}

static ev ev_AND(const ew_emit *E, ev x, ev y) {
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit(x.f != 0 && y.f != 0);
    return val(GLC_DT_BOOL, LLVMBuildAnd(E->c->b, truth(E, x), truth(E, y), ""));
}

static ev ev_OR(const ew_emit *E, ev x, ev y) {
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit(x.f != 0 || y.f != 0);
    return val(GLC_DT_BOOL, LLVMBuildOr(E->c->b, truth(E, x), truth(E, y), ""));
}

static ev ev_XOR(const ew_emit *E, ev x, ev y) {
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit((x.f != 0) != (y.f != 0));
    return val(GLC_DT_BOOL, LLVMBuildXor(E->c->b, truth(E, x), truth(E, y), ""));
}

typedef enum { BIT_AND, BIT_OR, BIT_XOR, BIT_SHL, BIT_SHR } bit_op;

/* Bits of integers; a shift by the width or more gives 0 (LLVM's would be poison). */
static ev bits2(const ew_emit *E, bit_op op, ev x, ev y) {
    unify(E->c, &x, &y);
    LLVMBuilderRef b = E->c->b;
    LLVMTypeRef t = LLVMTypeOf(x.v);
    switch (op) {
    case BIT_AND:
        return val(x.t, LLVMBuildAnd(b, x.v, y.v, ""));
    case BIT_OR:
        return val(x.t, LLVMBuildOr(b, x.v, y.v, ""));
    case BIT_XOR:
        return val(x.t, LLVMBuildXor(b, x.v, y.v, ""));
    case BIT_SHL:
    case BIT_SHR: {
        LLVMValueRef w = LLVMConstInt(t, (unsigned long long)bits(x.t), 0);
        LLVMValueRef big = LLVMBuildICmp(b, LLVMIntUGE, y.v, w, "");
        LLVMValueRef amt = LLVMBuildSelect(b, big, LLVMConstNull(t), y.v, "");
        LLVMValueRef r =
            op == BIT_SHL ? LLVMBuildShl(b, x.v, amt, "") : LLVMBuildLShr(b, x.v, amt, "");
        return val(x.t, LLVMBuildSelect(b, big, LLVMConstNull(t), r, ""));
    }
    }
    return x;
}

static ev ev_BAND(const ew_emit *E, ev x, ev y) {
    return bits2(E, BIT_AND, x, y);
}

static ev ev_BOR(const ew_emit *E, ev x, ev y) {
    return bits2(E, BIT_OR, x, y);
}

static ev ev_BXOR(const ew_emit *E, ev x, ev y) {
    return bits2(E, BIT_XOR, x, y);
}

static ev ev_SHL(const ew_emit *E, ev x, ev y) {
    return bits2(E, BIT_SHL, x, y);
}

static ev ev_SHR(const ew_emit *E, ev x, ev y) {
    return bits2(E, BIT_SHR, x, y);
}

static ev ev_BNOT(const ew_emit *E, ev x) {
    return val(x.t, LLVMBuildNot(E->c->b, x.v, ""));
}

static bool ev_is(const ew_emit *E, const char *name, const char *value) {
    return glc_ew_attr_is(E->n, name, value);
}

static ev ev_SEL(const ew_emit *E, ev c, ev x, ev y) {
    if (c.k == EV_LIT) return c.f != 0 ? x : y;
    if (x.k == EV_LIT && y.k == EV_LIT) /* in the output's compute dtype */
        x = convert(E->c, x, E->out == GLC_DT_F16 || E->out == GLC_DT_BF16 ? GLC_DT_F32 : E->out);
    unify(E->c, &x, &y);
    return val(x.t, LLVMBuildSelect(E->c->b, c.v, x.v, y.v, ""));
}

static ev ev_BF16_TRUNC(const ew_emit *E, ev x) {
    cg_ctx *c = E->c;
    if (E->out != GLC_DT_BF16 || x.k == EV_NONE || (x.k == EV_VAL && cls(x.t) != CL_F)) return x;
    LLVMValueRef f = x.k == EV_LIT ? lit_const(c, x.f, GLC_DT_F32) : conv_val(c, x, GLC_DT_F32);
    LLVMValueRef u =
        LLVMBuildAnd(c->b, LLVMBuildBitCast(c->b, f, c->i32, ""), k32(c, 0xffff0000u), "");
    return val(GLC_DT_F32, LLVMBuildBitCast(c->b, u, c->f32, ""));
}

/* ---- the definitions of ops.def, emitted on E's inputs ------------------------------- */

#include "ew_prims.h"

static ev eval(const ew_emit *E) {
    switch (E->n->op) {
    case GLC_OP_NONE:
    case GLC_OP_COUNT:
        break;
#define OP(id, ...)                                                                                \
    case GLC_OP_##id:                                                                              \
        break;
#define EW(id, name, ilo, ihi, t, u, sig, attrs, def)                                              \
    case GLC_OP_##id:                                                                              \
        return def;
#include "ops.def"
#undef EW
#undef OP
    }
    return none;
}

static void body(cg_ctx *c, void *ctx, LLVMValueRef *idx) {
    ew_emit *E = ctx;
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
    for (int k = 0; k < E->n_in; k++)
        E->in[k] = E->vin[k]
                       ? load(c, E->vin[k]->dtype, LLVMGetParam(fn, 1 + (unsigned)k), idx[1 + k])
                       : none;
    ev y = eval(E);
    if (y.k == EV_NONE) {
        E->no_value = true;
        return;
    }
    store(c, E->out, LLVMGetParam(fn, 0), idx[0], y);
}

glc_status lower_elemwise(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *o = &c->g->values[n->out[0]];
    if (n->n_in > EW_MAX_IN)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "%s: more than %d inputs",
                            glc_op_name(n->op), EW_MAX_IN);
    ew_emit E = {.c = c, .n = n, .out = o->dtype, .n_in = n->n_in};
    for (int k = 0; k < n->n_in; k++) /* an input that gives only its dtype is not read */
        E.vin[k] = glc_op_input_type_only(n->op, k) ? NULL : glc_node_input(c->g, n, k);
    cg_bcast p;
    cg_bcast_plan(c, &p, o, E.vin, n->n_in);
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    cg_bcast_emit(c, &p, body, &E);
    cg_kernel_end(c);
    if (E.no_value)
        return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "%s: no value", glc_op_name(n->op));
    return GLC_OK;
}

/* ---- the reductions (the RED rows of ops.def) -------------------------------------------- */

typedef enum { RED_INIT, RED_COMBINE, RED_FINALIZE } red_part;

static ev eval_red(const ew_emit *E, red_part p) {
    switch (E->n->op) {
    case GLC_OP_NONE:
    case GLC_OP_COUNT:
        break;
#define OP(id, ...)                                                                                \
    case GLC_OP_##id:                                                                              \
        break;
#define RED(id, name, since, t, t_have, init, combine, finalize)                                   \
    case GLC_OP_##id:                                                                              \
        return p == RED_INIT ? init : p == RED_COMBINE ? combine : finalize;
#include "ops.def"
#undef RED
#undef OP
    }
    return none;
}

/* y[i] = part p of the row's definition (E's inputs set by the caller). */
static void red_store(cg_ctx *c, ew_emit *E, red_part p, LLVMValueRef y, LLVMValueRef i) {
    ev v = eval_red(E, p);
    if (v.k == EV_NONE)
        E->no_value = true;
    else
        store(c, E->out, y, i, v);
}

typedef struct red_cg {
    ew_emit *E;
    const glc_value *x;
    LLVMValueRef y, xp;
    LLVMValueRef dims[GLC_MAX_RANK], xs[GLC_MAX_RANK], ys[GLC_MAX_RANK]; /* ys: 0 on reduced axes */
} red_cg;

static void red_nest(cg_ctx *c, const red_cg *s, int d, LLVMValueRef ix, LLVMValueRef iy) {
    if (d == s->x->rank) {
        s->E->in[0] = load(c, s->E->out, s->y, iy);
        s->E->in[1] = load(c, s->x->dtype, s->xp, ix);
        red_store(c, s->E, RED_COMBINE, s->y, iy);
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, s->dims[d]);
    red_nest(c, s, d + 1, cg_madd_v(c, i, s->xs[d], ix), cg_madd_v(c, i, s->ys[d], iy));
    cg_loop_end(c, &l);
}

/* The interpreter's order (interp_reduce): init every output, combine the input into them
 * in row-major order (stride 0 along the reduced axes), finalize with the count. The
 * output holds the running value; a kept innermost axis makes the combine loop contiguous
 * in both operands (and vectorizable), a reduced one a chain in one register. */
glc_status lower_reduce(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0), *y = &c->g->values[n->out[0]];
    glc_reduce_geom r;
    GLC_TRY(glc_reduce_geom_get(c->g, n, &r, c->d));
    ew_emit E = {.c = c, .n = n, .out = y->dtype, .n_in = 2};
    red_cg s = {.E = &E, .x = x};
    glc_dim kd[GLC_MAX_RANK];
    for (int a = 0; a < x->rank; a++)
        kd[a] = r.reduce[a] ? 1 : x->dims[a];
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    s.y = LLVMGetParam(*fn, 0);
    s.xp = LLVMGetParam(*fn, 1);
    cg_strides_dim(c, x->rank, x->dims, s.xs);
    cg_strides_dim(c, x->rank, kd, s.ys);
    for (int a = 0; a < x->rank; a++) {
        s.dims[a] = cg_dim(c, x->dims[a]);
        s.ys[a] = r.reduce[a] ? cg_i64(c, 0) : s.ys[a];
    }
    LLVMValueRef ny = cg_dim(c, glc_value_numel_dim(c->g, y));
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, ny);
    red_store(c, &E, RED_INIT, s.y, i);
    cg_loop_end(c, &l);
    if (glc_value_numel_dim(c->g, x)) red_nest(c, &s, 0, cg_i64(c, 0), cg_i64(c, 0));
    i = cg_loop_begin_v(c, &l, ny);
    E.in[0] = load(c, E.out, s.y, i);
    E.in[1] = val(GLC_DT_I64, cg_dim(c, r.count));
    red_store(c, &E, RED_FINALIZE, s.y, i);
    cg_loop_end(c, &l);
    cg_kernel_end(c);
    if (E.no_value)
        return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "%s: no value", glc_op_name(n->op));
    return GLC_OK;
}
