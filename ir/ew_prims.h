/*
 * ew_prims.h -- the scalar language of the elementwise definitions in ops.def (the last
 * column of an EW row), included by its two evaluators: the reference interpreter
 * (ir/interp_elemwise.c, on C scalars in double or int64) and the code generator
 * (codegen/lower_elemwise.c, emitting LLVM IR that the loop vectorizer vectorizes).
 *
 * Each primitive P(...) is a call ev_P(E, ...) of the evaluator that includes this header:
 * E is its context (the node, its loaded inputs), and ev its value type. A value has a
 * compute dtype: f32 (also for f16 and bf16 tensors, widened on load and rounded to
 * nearest even on store), f64, the integer dtype itself (arithmetic wraps), or bool. The
 * store converts the result to the output's dtype as Cast does (float -> integer
 * truncates and saturates, NaN -> 0; -> bool is != 0).
 *
 * Operands
 *   A, B, C      inputs 0, 1, 2 (present ones: required, or optional and given)
 *   IN(i)        input i, or none if the optional input is absent
 *   NIN          the number of inputs, as a literal
 *   K(v)         a literal (a double); it takes the type of the other operand
 *   AT(name)     the attribute `name` as a literal (its default from the row's attribute
 *                spec when absent; none if it has no default)
 *   ELSE(x, y)   x, or y if x is none (MIN/MAX with a none operand return the other)
 * Choices made when the kernel is built (C conditions, not run-time selects)
 *   IF(c, x, y)  x if c else y;  IS(name, "v"): attribute `name` (or its default) is v
 *   OPSET        the graph's default-domain opset
 * Arithmetic (both operands of one type; floats and integers unless said)
 *   ADD SUB MUL DIV (integer: truncates; by 0 gives 0)  NEG ABS  MIN MAX (NaN wins)
 *   MOD (result has the divisor's sign, numpy's mod)  FMOD (the dividend's, C's fmod)
 *   POW(x, y)    y converted to x's type; integer x with a float y computes in f64
 *   FLOOR CEIL ROUND (half to even) SQRT (floats)  SIGN (-1, 0 or 1; NaN stays)
 * Float functions (an integer operand is computed in f64)
 *   EXP LOG TANH SIGMOID ERF ERFC SIN COS TAN ASIN ACOS ATAN SINH COSH ASINH ACOSH ATANH
 *   EXPM1 LOG1P   (exp(x) - 1 and log(1 + x), accurate near 0)
 * Comparisons and logic (results are bool; floats ordered: false with a NaN)
 *   EQ LT LE GT GE ISNAN    NOT AND OR XOR (bool operands; a literal is true if not 0)
 * Bits (integers)
 *   BAND BOR BXOR BNOT  SHL SHR (logical; a shift by the width or more gives 0)
 * Choice per element
 *   SEL(c, x, y) c ? x : y (c bool)
 * Variadic
 *   FOLD(P)      P over all inputs, left to right: P(P(A, B), C) ...
 * Cast
 *   BF16_TRUNC(x) x with its low 16 bits cleared when the output is bf16 (ONNX's Cast
 *                before opset 19 truncated to bf16); x otherwise
 *
 * A new primitive is a line here and an ev_ function in each evaluator.
 */
#define A ev_in(E, 0)
#define B ev_in(E, 1)
#define C ev_in(E, 2)
#define IN(i) ev_in(E, (i))
#define NIN ev_nin(E)
#define K(v) ev_lit(E, (double)(v))
#define AT(name) ev_attr(E, (name))
#define IF(c, x, y) ((c) ? (x) : (y))
#define IS(name, v) ev_is(E, (name), (v))
#define OPSET ev_opset(E)
#define ELSE(x, y) ev_ELSE(E, (x), (y))
#define SEL(c, x, y) ev_SEL(E, (c), (x), (y))
#define FOLD(P) ev_fold(E, ev_##P)
#define BF16_TRUNC(x) ev_BF16_TRUNC(E, (x))

#define ADD(x, y) ev_ADD(E, (x), (y))
#define SUB(x, y) ev_SUB(E, (x), (y))
#define MUL(x, y) ev_MUL(E, (x), (y))
#define DIV(x, y) ev_DIV(E, (x), (y))
#define MOD(x, y) ev_MOD(E, (x), (y))
#define FMOD(x, y) ev_FMOD(E, (x), (y))
#define POW(x, y) ev_POW(E, (x), (y))
#define MIN(x, y) ev_MIN(E, (x), (y))
#define MAX(x, y) ev_MAX(E, (x), (y))

#define NEG(x) ev_NEG(E, (x))
#define ABS(x) ev_ABS(E, (x))
#define FLOOR(x) ev_FLOOR(E, (x))
#define CEIL(x) ev_CEIL(E, (x))
#define ROUND(x) ev_ROUND(E, (x))
#define SQRT(x) ev_SQRT(E, (x))
#define SIGN(x) ev_SIGN(E, (x))

#define EXP(x) ev_EXP(E, (x))
#define LOG(x) ev_LOG(E, (x))
#define TANH(x) ev_TANH(E, (x))
#define SIGMOID(x) ev_SIGMOID(E, (x))
#define ERF(x) ev_ERF(E, (x))
#define ERFC(x) ev_ERFC(E, (x))
#define SIN(x) ev_SIN(E, (x))
#define COS(x) ev_COS(E, (x))
#define TAN(x) ev_TAN(E, (x))
#define ASIN(x) ev_ASIN(E, (x))
#define ACOS(x) ev_ACOS(E, (x))
#define ATAN(x) ev_ATAN(E, (x))
#define SINH(x) ev_SINH(E, (x))
#define COSH(x) ev_COSH(E, (x))
#define ASINH(x) ev_ASINH(E, (x))
#define ACOSH(x) ev_ACOSH(E, (x))
#define ATANH(x) ev_ATANH(E, (x))
#define EXPM1(x) ev_EXPM1(E, (x))
#define LOG1P(x) ev_LOG1P(E, (x))

#define EQ(x, y) ev_EQ(E, (x), (y))
#define LT(x, y) ev_LT(E, (x), (y))
#define LE(x, y) ev_LE(E, (x), (y))
#define GT(x, y) ev_GT(E, (x), (y))
#define GE(x, y) ev_GE(E, (x), (y))
#define ISNAN(x) ev_ISNAN(E, (x))
#define NOT(x) ev_NOT(E, (x))
#define AND(x, y) ev_AND(E, (x), (y))
#define OR(x, y) ev_OR(E, (x), (y))
#define XOR(x, y) ev_XOR(E, (x), (y))

#define BAND(x, y) ev_BAND(E, (x), (y))
#define BOR(x, y) ev_BOR(E, (x), (y))
#define BXOR(x, y) ev_BXOR(E, (x), (y))
#define BNOT(x) ev_BNOT(E, (x))
#define SHL(x, y) ev_SHL(E, (x), (y))
#define SHR(x, y) ev_SHR(E, (x), (y))
