/*
 * interp_elemwise.c -- the reference kernel of every elementwise op (the EW rows of
 * ops.def), and the broadcasting helpers the interpreter shares.
 *
 * interp_elemwise() walks the output in row-major order; each input's element comes from
 * interp_bcast_offset() (numpy broadcasting: right-aligned, size-1 dims repeat), is loaded
 * into an ev, and the row's definition is evaluated on those values by eval(), which is
 * the definition column of ops.def expanded with the primitives of ew_prims.h below.
 *
 * Values: floats are computed in double (f16, bf16 and f32 tensors alike; libm's double
 * functions), integers in int64 wrapped to their width after each operation (unsigned ones
 * as their bits), bools as 0/1. A literal (K, AT) has no type until it meets a typed
 * operand. Store converts to the output dtype as ONNX's Cast does: float -> integer
 * truncates and saturates (NaN -> 0), anything -> bool is != 0, f32-class values are
 * rounded to f32 first (as the compiled kernel holds them) and then to f16/bf16 (nearest
 * even). Integer division and remainder by 0 give 0 and INT_MIN / -1 wraps, as compiled.
 *
 * interp_reduce() is the kernel of every reduction (the RED rows): the same definitions
 * and values, the output holding the running value between the steps (see ops.def).
 */
#include "interp_impl.h"
#include "tensor.h"

#include <float.h>
#include <math.h>
#include <string.h>

int64_t interp_bcast_offset(int r, const int64_t *dims, int ro, const int64_t *idx) {
    int64_t off = 0, stride = 1;
    for (int i = r - 1; i >= 0; i--) {
        int64_t c = dims[i] == 1 ? 0 : idx[i + (ro - r)];
        off += c * stride;
        stride *= dims[i];
    }
    return off;
}

void interp_unravel(int64_t flat, int r, const int64_t *dims, int64_t *idx) {
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = dims[i] ? flat % dims[i] : 0;
        flat = dims[i] ? flat / dims[i] : 0;
    }
}

/* ---- values ------------------------------------------------------------------------- */

#define EW_MAX_IN GLC_EW_MAX_IN

typedef enum { EV_VAL, EV_LIT, EV_NONE } ev_kind;

typedef struct ev {
    ev_kind k;
    glc_dtype t; /* compute dtype of a value: f32, f64, an integer dtype or bool */
    double f;    /* a float value, or a literal */
    int64_t i;   /* an integer (unsigned: its bits) or a bool (0/1) */
} ev;

typedef struct ew_eval {
    const glc_graph *g;
    const glc_node *n;
    glc_dtype out;
    int n_in;
    ev in[EW_MAX_IN];
} ew_eval;

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

/* v truncated to t's width; sign-extended if t is signed. */
static int64_t wrap(glc_dtype t, uint64_t v) {
    int b = bits(t);
    if (b >= 64) return (int64_t)v;
    uint64_t m = ((uint64_t)1 << b) - 1;
    v &= m;
    if (cls(t) == CL_S && (v >> (b - 1)) & 1) v |= ~m;
    return (int64_t)v;
}

static ev mk_f(glc_dtype t, double f) {
    return (ev){EV_VAL, t, f, 0};
}

static ev mk_i(glc_dtype t, uint64_t i) {
    return (ev){EV_VAL, t, 0, cls(t) == CL_B ? i != 0 : wrap(t, i)};
}

static ev mk_lit(double f) {
    return (ev){EV_LIT, GLC_DT_UNDEF, f, 0};
}

static const ev none = {EV_NONE, GLC_DT_UNDEF, 0, 0};

/* A value (or literal) as a double. */
static double as_f(ev x) {
    if (x.k == EV_LIT || cls(x.t) == CL_F) return x.f;
    return cls(x.t) == CL_U ? (double)(uint64_t)x.i : (double)x.i;
}

/* x as compute dtype t (Cast's rules). */
static ev convert(ev x, glc_dtype t) {
    bool from_f = x.k == EV_LIT || cls(x.t) == CL_F;
    switch (cls(t)) {
    case CL_F:
        return mk_f(t, as_f(x));
    case CL_B:
        return mk_i(t, from_f ? x.f != 0 : x.i != 0);
    case CL_S:
    case CL_U:
        if (from_f) return mk_i(t, glc_float_to_int(x.f, bits(t), cls(t) == CL_S));
        return mk_i(t, (uint64_t)x.i);
    }
    return x;
}

static ev load(glc_dtype dt, const void *p, int64_t k) {
    const char *b = (const char *)p + (size_t)k * glc_dtype_size(dt);
    uint64_t u = 0;
    if (dt == GLC_DT_F32) return mk_f(dt, ((const float *)p)[k]);
    if (dt == GLC_DT_F64) return mk_f(dt, ((const double *)p)[k]);
    if (dt == GLC_DT_F16) return mk_f(GLC_DT_F32, glc_f16_to_f32(((const uint16_t *)p)[k]));
    if (dt == GLC_DT_BF16) return mk_f(GLC_DT_F32, glc_bf16_to_f32(((const uint16_t *)p)[k]));
    memcpy(&u, b, glc_dtype_size(dt)); /* little-endian: the low bytes */
    return mk_i(dt, u);
}

/* f rounded to f32 as IEEE does, also beyond FLT_MAX (where a C cast is undefined). */
static float to_f32(double f) {
    if (isfinite(f) && fabs(f) > FLT_MAX)
        return (float)copysign(fabs(f) < 0x1.ffffffp127 ? FLT_MAX : INFINITY, f);
    return (float)f;
}

/* v as a float, rounded once (an integer straight to f32, as sitofp/uitofp do). */
static float as_f32(ev v) {
    if (v.k == EV_VAL && cls(v.t) == CL_S) return (float)v.i;
    if (v.k == EV_VAL && cls(v.t) == CL_U) return (float)(uint64_t)v.i;
    return to_f32(as_f(v));
}

static void store(glc_dtype dt, void *p, int64_t k, ev v) {
    char *b = (char *)p + (size_t)k * glc_dtype_size(dt);
    if (v.k == EV_VAL && v.t == GLC_DT_F32) v.f = to_f32(v.f); /* as compiled code holds it */
    double f = as_f(v);
    switch (dt) {
    case GLC_DT_F32:
        ((float *)p)[k] = as_f32(v);
        return;
    case GLC_DT_F64:
        ((double *)p)[k] = f;
        return;
    case GLC_DT_F16:
        ((uint16_t *)p)[k] = glc_f64_to_f16(f);
        return;
    case GLC_DT_BF16:
        ((uint16_t *)p)[k] = glc_f32_to_bf16(as_f32(v));
        return;
    case GLC_DT_UNDEF:
    case GLC_DT_STRING:
        return;
    case GLC_DT_BOOL:
    case GLC_DT_I8:
    case GLC_DT_I16:
    case GLC_DT_I32:
    case GLC_DT_I64:
    case GLC_DT_U8:
    case GLC_DT_U16:
    case GLC_DT_U32:
    case GLC_DT_U64: {
        int64_t i = convert(v, dt).i;
        memcpy(b, &i, glc_dtype_size(dt)); /* little-endian: the low bytes */
        return;
    }
    }
}

void interp_store_f64(glc_dtype dt, void *p, int64_t k, double v) {
    store(dt, p, k, mk_lit(v));
}

/* A literal meeting a value takes its type; two values of different types: y takes x's. */
static void unify(ev *x, ev *y) {
    if (x->k == EV_LIT && y->k == EV_VAL)
        *x = convert(*x, y->t);
    else if (y->k == EV_LIT && x->k == EV_VAL)
        *y = convert(*y, x->t);
    else if (x->k == EV_VAL && y->k == EV_VAL && x->t != y->t)
        *y = convert(*y, x->t);
}

/* ---- the primitives of ew_prims.h ----------------------------------------------------- */

static ev ev_in(const ew_eval *E, int i) {
    return i < E->n_in ? E->in[i] : none;
}

static ev ev_lit(const ew_eval *E, double v) {
    (void)E;
    return mk_lit(v);
}

static ev ev_nin(const ew_eval *E) {
    return mk_lit(E->n_in);
}

typedef ev (*ev_binary)(const ew_eval *E, ev x, ev y);

static ev ev_fold(const ew_eval *E, ev_binary f) {
    ev acc = E->in[0];
    for (int k = 1; k < E->n_in; k++)
        acc = f(E, acc, E->in[k]);
    return acc;
}

static ev ev_attr(const ew_eval *E, const char *name) {
    double v;
    return glc_ew_attr_num(E->n, name, &v) ? mk_lit(v) : none;
}

static int64_t ev_opset(const ew_eval *E) {
    return E->g->opset;
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

/* Integer remainder: truncated (fmod) or with the divisor's sign (mod); by 0 (and the
 * overflowing INT_MIN % -1) it is 0. */
static uint64_t i_rem(bool s, bool floor_mod, int64_t a, int64_t b) {
    if (b == 0 || (s && b == -1)) return 0;
    if (!s) return (uint64_t)a % (uint64_t)b;
    int64_t r = a % b;
    if (floor_mod && r != 0 && (r < 0) != (b < 0)) r += b;
    return (uint64_t)r;
}

/* op on integers of dtype t (signed or unsigned by t); the result's bits. */
static uint64_t i_arith(arith op, glc_dtype t, int64_t a, int64_t b) {
    bool s = cls(t) == CL_S;
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case AR_ADD:
        return ua + ub;
    case AR_SUB:
        return ua - ub;
    case AR_MUL:
        return ua * ub;
    case AR_DIV:
        if (b == 0) return 0;
        if (s) return b == -1 ? 0 - ua : (uint64_t)(a / b);
        return ua / ub;
    case AR_MIN:
        return (s ? a < b : ua < ub) ? ua : ub;
    case AR_MAX:
        return (s ? a > b : ua > ub) ? ua : ub;
    case AR_MOD:
        return i_rem(s, true, a, b);
    case AR_FMOD:
        return i_rem(s, false, a, b);
    }
    return 0;
}

static ev arith2(arith op, ev x, ev y) {
    if (x.k == EV_NONE) return y; /* MIN/MAX with an absent bound (Clip) */
    if (y.k == EV_NONE) return x;
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit(f_arith(op, x.f, y.f));
    unify(&x, &y);
    if (cls(x.t) == CL_F) return mk_f(x.t, f_arith(op, x.f, y.f));
    return mk_i(x.t, i_arith(op, x.t, x.i, y.i));
}

static ev ev_ADD(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_ADD, x, y);
}

static ev ev_SUB(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_SUB, x, y);
}

static ev ev_MUL(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_MUL, x, y);
}

static ev ev_DIV(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_DIV, x, y);
}

static ev ev_MOD(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_MOD, x, y);
}

static ev ev_FMOD(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_FMOD, x, y);
}

static ev ev_ELSE(const ew_eval *E, ev x, ev y) {
    (void)E;
    return x.k == EV_NONE ? y : x;
}

/* x^n for integers (wrapping); a negative n gives 0 but for x = 1 and -1. */
static uint64_t ipow(int64_t x, int64_t n, bool s) {
    if (s && n < 0) return x == 1 ? 1 : x == -1 ? (n & 1 ? (uint64_t)-1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)x, e = (uint64_t)n;
    for (; e; e >>= 1, b *= b)
        if (e & 1) r *= b;
    return r;
}

/* x^y: y takes a float x's type; an integer x with a float y is computed in f64 (and
 * truncated on store), two integers by squaring. */
static ev ev_POW(const ew_eval *E, ev x, ev y) {
    (void)E;
    if (x.k == EV_LIT && y.k == EV_LIT) return mk_lit(pow(x.f, y.f));
    if (x.k == EV_VAL && cls(x.t) == CL_F) return mk_f(x.t, pow(x.f, as_f(y)));
    if (y.k == EV_LIT || cls(y.t) == CL_F) return mk_f(GLC_DT_F64, pow(as_f(x), as_f(y)));
    return mk_i(x.t, ipow(x.i, y.i, cls(y.t) == CL_S));
}

static ev ev_MIN(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_MIN, x, y);
}

static ev ev_MAX(const ew_eval *E, ev x, ev y) {
    (void)E;
    return arith2(AR_MAX, x, y);
}

/* f(x) in double; an integer operand gives an f64 value. */
static ev fmap(ev x, double (*f)(double)) {
    if (x.k == EV_LIT) return mk_lit(f(x.f));
    return mk_f(cls(x.t) == CL_F ? x.t : GLC_DT_F64, f(as_f(x)));
}

static double sigmoid(double x) {
    return 1.0 / (1.0 + exp(-x));
}

#define FLOAT_FN(P, f)                                                                             \
    static ev ev_##P(const ew_eval *E, ev x) {                                                     \
        (void)E;                                                                                   \
        return fmap(x, f);                                                                         \
    }
FLOAT_FN(EXP, exp)
FLOAT_FN(LOG, log)
FLOAT_FN(TANH, tanh)
FLOAT_FN(SIGMOID, sigmoid)
FLOAT_FN(ERF, erf)
FLOAT_FN(ERFC, erfc)
FLOAT_FN(SIN, sin)
FLOAT_FN(COS, cos)
FLOAT_FN(TAN, tan)
FLOAT_FN(ASIN, asin)
FLOAT_FN(ACOS, acos)
FLOAT_FN(ATAN, atan)
FLOAT_FN(SINH, sinh)
FLOAT_FN(COSH, cosh)
FLOAT_FN(ASINH, asinh)
FLOAT_FN(ACOSH, acosh)
FLOAT_FN(ATANH, atanh)
FLOAT_FN(EXPM1, expm1)
FLOAT_FN(LOG1P, log1p)
FLOAT_FN(SQRT, sqrt)
FLOAT_FN(FLOOR, floor)
FLOAT_FN(CEIL, ceil)
FLOAT_FN(ROUND, nearbyint) /* half to even in the default rounding mode */
#undef FLOAT_FN

static ev ev_NEG(const ew_eval *E, ev x) {
    (void)E;
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(-x.f) : x;
    return cls(x.t) == CL_F ? mk_f(x.t, -x.f) : mk_i(x.t, 0 - (uint64_t)x.i);
}

static ev ev_ABS(const ew_eval *E, ev x) {
    (void)E;
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(fabs(x.f)) : x;
    if (cls(x.t) == CL_F) return mk_f(x.t, fabs(x.f));
    return cls(x.t) == CL_S && x.i < 0 ? mk_i(x.t, 0 - (uint64_t)x.i) : x;
}

static ev ev_SIGN(const ew_eval *E, ev x) {
    (void)E;
    double f = as_f(x), s = f > 0 ? 1 : f < 0 ? -1 : f; /* 0 and NaN stay */
    if (x.k != EV_VAL) return x.k == EV_LIT ? mk_lit(s) : x;
    return cls(x.t) == CL_F ? mk_f(x.t, s) : mk_i(x.t, (uint64_t)(int64_t)s);
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

/* a op b as -1/0/1 orderings: sgn < 0, == 0, > 0. */
static bool cmp_sgn(cmp_op op, int sgn) {
    return cmp_f(op, sgn, 0);
}

/* Compares as the type says: floats ordered (false with a NaN), integers signed or
 * unsigned, bools as 0 < 1. */
static ev cmp2(cmp_op op, ev x, ev y) {
    unify(&x, &y);
    if (x.k == EV_LIT || cls(x.t) == CL_F) return mk_i(GLC_DT_BOOL, cmp_f(op, x.f, y.f));
    uint64_t ua = (uint64_t)x.i, ub = (uint64_t)y.i;
    int sgn = cls(x.t) == CL_U ? (ua > ub) - (ua < ub) : (x.i > y.i) - (x.i < y.i);
    return mk_i(GLC_DT_BOOL, cmp_sgn(op, sgn));
}

static ev ev_LT(const ew_eval *E, ev x, ev y) {
    (void)E;
    return cmp2(CMP_LT, x, y);
}

static ev ev_LE(const ew_eval *E, ev x, ev y) {
    (void)E;
    return cmp2(CMP_LE, x, y);
}

static ev ev_GT(const ew_eval *E, ev x, ev y) {
    (void)E;
    return cmp2(CMP_GT, x, y);
}

static ev ev_EQ(const ew_eval *E, ev x, ev y) {
    (void)E;
    return cmp2(CMP_EQ, x, y);
}

static ev ev_GE(const ew_eval *E, ev x, ev y) {
    (void)E;
    return cmp2(CMP_GE, x, y);
}

static ev ev_ISNAN(const ew_eval *E, ev x) {
    (void)E;
    return mk_i(GLC_DT_BOOL, (x.k == EV_LIT || cls(x.t) == CL_F) && isnan(x.f));
}

/* A bool operand (a literal is true when non-zero). */
static bool truth(ev x) {
    return x.k == EV_LIT ? x.f != 0 : x.i != 0;
}

static ev ev_NOT(const ew_eval *E, ev x) {
    (void)E;
    return mk_i(GLC_DT_BOOL, !truth(x));
}

static ev ev_AND(const ew_eval *E, ev x, ev y) {
    (void)E;
    return mk_i(GLC_DT_BOOL, truth(x) && truth(y));
}

static ev ev_OR(const ew_eval *E, ev x, ev y) {
    (void)E;
    return mk_i(GLC_DT_BOOL, truth(x) || truth(y));
}

static ev ev_XOR(const ew_eval *E, ev x, ev y) {
    (void)E;
    return mk_i(GLC_DT_BOOL, truth(x) != truth(y));
}

typedef enum { BIT_AND, BIT_OR, BIT_XOR, BIT_SHL, BIT_SHR } bit_op;

/* Bits of integers (a shift by the width or more gives 0; SHR is logical). */
static ev bits2(bit_op op, ev x, ev y) {
    unify(&x, &y);
    uint64_t a = (uint64_t)x.i, b = (uint64_t)y.i, w = (uint64_t)bits(x.t);
    uint64_t m = w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
    switch (op) {
    case BIT_AND:
        return mk_i(x.t, a & b);
    case BIT_OR:
        return mk_i(x.t, a | b);
    case BIT_XOR:
        return mk_i(x.t, a ^ b);
    case BIT_SHL:
        return mk_i(x.t, (b & m) >= w ? 0 : a << (b & m));
    case BIT_SHR:
        return mk_i(x.t, (b & m) >= w ? 0 : (a & m) >> (b & m));
    }
    return x;
}

static ev ev_BAND(const ew_eval *E, ev x, ev y) {
    (void)E;
    return bits2(BIT_AND, x, y);
}

static ev ev_BOR(const ew_eval *E, ev x, ev y) {
    (void)E;
    return bits2(BIT_OR, x, y);
}

static ev ev_BXOR(const ew_eval *E, ev x, ev y) {
    (void)E;
    return bits2(BIT_XOR, x, y);
}

static ev ev_SHL(const ew_eval *E, ev x, ev y) {
    (void)E;
    return bits2(BIT_SHL, x, y);
}

static ev ev_SHR(const ew_eval *E, ev x, ev y) {
    (void)E;
    return bits2(BIT_SHR, x, y);
}

static ev ev_BNOT(const ew_eval *E, ev x) {
    (void)E;
    return mk_i(x.t, ~(uint64_t)x.i);
}

static bool ev_is(const ew_eval *E, const char *name, const char *value) {
    return glc_ew_attr_is(E->n, name, value);
}

static ev ev_SEL(const ew_eval *E, ev c, ev x, ev y) {
    (void)E;
    unify(&x, &y);
    bool on = c.k == EV_LIT ? c.f != 0 : c.i != 0;
    return on ? x : y;
}

static ev ev_BF16_TRUNC(const ew_eval *E, ev x) {
    if (E->out != GLC_DT_BF16 || (x.k == EV_VAL && cls(x.t) != CL_F)) return x;
    float f = to_f32(as_f(x));
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u &= 0xffff0000u;
    memcpy(&f, &u, sizeof f);
    return mk_f(GLC_DT_F32, f);
}

/* ---- the definitions of ops.def, evaluated on E's inputs ------------------------------- */

#include "ew_prims.h"

static ev eval(const ew_eval *E) {
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

glc_status interp_elemwise(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    const glc_value *o = OUT_V(g, n);
    if (n->n_in > EW_MAX_IN)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: more than %d inputs", glc_op_name(n->op),
                            EW_MAX_IN);
    ew_eval E = {.g = g, .n = n, .out = o->dtype, .n_in = n->n_in};
    int64_t idx[GLC_MAX_RANK], total = glc_value_numel(o);
    for (int64_t i = 0; i < total; i++) {
        interp_unravel(i, o->rank, o->dims, idx);
        for (int k = 0; k < n->n_in; k++) {
            const glc_value *v = glc_op_input_type_only(n->op, k) ? NULL : glc_node_input(g, n, k);
            E.in[k] = v ? load(v->dtype, in[k], interp_bcast_offset(v->rank, v->dims, o->rank, idx))
                        : none;
        }
        ev y = eval(&E);
        if (y.k == EV_NONE)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "%s: no value", glc_op_name(n->op));
        store(o->dtype, out[0], i, y);
    }
    return GLC_OK;
}

/* ---- the reductions (the RED rows of ops.def) -------------------------------------------- */

typedef enum { RED_INIT, RED_COMBINE, RED_FINALIZE } red_part;

static ev eval_red(const ew_eval *E, red_part p) {
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

/* Output element o becomes part p of the row's definition (E's inputs set by the caller). */
static bool red_store(const ew_eval *E, red_part p, void *y, int64_t o) {
    ev v = eval_red(E, p);
    if (v.k == EV_NONE) return false;
    store(E->out, y, o, v);
    return true;
}

/* Every output starts as init; each input element, in row-major order, is combined into
 * its output (stride 0 along the reduced axes); then each output is finalized with the
 * count. The output holds the running value in its own dtype, as the compiled kernel's. */
glc_status interp_reduce(const glc_graph *g, const glc_node *n, const void *const *in,
                         void *const *out, glc_diag *d) {
    const glc_value *x = IN_V(g, n, 0), *y = OUT_V(g, n);
    glc_reduce_geom r;
    GLC_TRY(glc_reduce_geom_get(g, n, &r, d));
    ew_eval E = {.g = g, .n = n, .out = y->dtype, .n_in = 2};
    int64_t ys[GLC_MAX_RANK], idx[GLC_MAX_RANK], s = 1;
    bool ok = true;
    for (int a = x->rank - 1; a >= 0; a--) { /* output strides, 0 on reduced axes */
        ys[a] = r.reduce[a] ? 0 : s;
        s *= r.reduce[a] ? 1 : x->dims[a];
    }
    int64_t nout = glc_value_numel(y), total = glc_value_numel(x);
    for (int64_t o = 0; o < nout; o++)
        ok = ok && red_store(&E, RED_INIT, out[0], o);
    for (int64_t i = 0; i < total && ok; i++) {
        interp_unravel(i, x->rank, x->dims, idx);
        int64_t o = 0;
        for (int a = 0; a < x->rank; a++)
            o += idx[a] * ys[a];
        E.in[0] = load(y->dtype, out[0], o);
        E.in[1] = load(x->dtype, in[0], i);
        ok = red_store(&E, RED_COMBINE, out[0], o);
    }
    E.in[1] = mk_i(GLC_DT_I64, (uint64_t)r.count);
    for (int64_t o = 0; o < nout && ok; o++) {
        E.in[0] = load(y->dtype, out[0], o);
        ok = red_store(&E, RED_FINALIZE, out[0], o);
    }
    if (!ok) return glc_diag_set(d, GLC_E_INVALID_IR, n, "%s: no value", glc_op_name(n->op));
    return GLC_OK;
}
