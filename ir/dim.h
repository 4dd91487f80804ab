/*
 * dim.h -- dimensions that are constants or expressions of symbols (included by ir.h).
 *
 * A dimension (glc_dim, an int64_t) is either a non-negative constant, stored as itself,
 * or a symbolic expression, stored as GLC_DIM_EXPR_BASE + its id in the graph's table of
 * expressions. The same encoding is used in glc_value.dims and in the elements of the
 * int64 tensors that shape computations produce (glc_value.sdata), so existing code that
 * reads dims as numbers keeps working on static graphs, and code that meets a symbolic
 * dim without handling it sees a hugely negative number that every check refuses.
 *
 * Symbols come from ONNX dim_params (`batch`; equal names are one symbol) and from
 * unnamed dims (`?`, -1), which get fresh names `<input>.<axis>`. An expression is a
 * polynomial with int64 coefficients over atoms: symbols and the non-polynomial
 * functions floordiv, ceildiv, mod, max, min of expressions. Expressions are kept in a
 * canonical form and interned, so two dims are equal expressions exactly when their
 * glc_dim values are equal: `B*T*64 / 64` is `B*T`, `T + 2 - 1` is `T + 1`, and
 * `(T*B)` is `(B*T)`. A constant result is always stored as the constant.
 *
 * Every symbol is assumed to lie in [1, GLC_DIM_SYM_MAX] (or its --max-dim): the model's
 * planning call checks the actual values; simplifying max/min and proving requirements
 * use those ranges (interval arithmetic), so T - 1 >= 0 and min(T, 2^62) is T. Arithmetic on two constants that overflows int64, a division by the
 * constant 0, or running out of memory gives GLC_DIM_ERR and sets the graph's sticky
 * error flag (glc_dim_failed), which glc_infer_shapes reports; GLC_DIM_ERR in an
 * operation gives GLC_DIM_ERR. The arithmetic takes a const graph: interning into the
 * graph's expression table is memoisation, so codegen can compute sizes too.
 *
 * Constraints: shape inference records what it assumes about symbols (two inputs' batch
 * equal, a reshape's element count preserved, a conv's output size non-negative) with
 * glc_dim_require_eq/_ge. A requirement that holds for every value of the symbols is
 * dropped, one that holds for none fails at once (the caller reports a shape error), and
 * the rest are kept in the graph and checked at run time, before any kernel runs.
 */
#ifndef GLC_IR_DIM_H
#define GLC_IR_DIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t glc_dim;
#define GLC_DIM_EXPR_BASE INT64_MIN
#define GLC_DIM_EXPR_LIMIT (INT64_MIN + ((int64_t)1 << 32)) /* below: symbolic */
#define GLC_DIM_ERR GLC_DIM_EXPR_BASE                         /* expression id 0 */
#define GLC_DIM_SYM_MAX (((int64_t)1 << 31) - 1)              /* a symbol's value at most */

static inline bool glc_dim_is_const(glc_dim d) {
    return d >= GLC_DIM_EXPR_LIMIT;
}
static inline bool glc_dim_is_sym(glc_dim d) {
    return d < GLC_DIM_EXPR_LIMIT;
}

struct glc_graph;
struct glc_node;

typedef struct glc_symbol {
    const char *name; /* in the graph's arena */
    int64_t max;      /* upper bound (--max-dim), or 0 for none */
} glc_symbol;

typedef enum glc_dim_atom_kind {
    GLC_DA_SYM,      /* a symbol: sym */
    GLC_DA_FLOORDIV, /* floor(a / b) */
    GLC_DA_CEILDIV,  /* ceil(a / b) */
    GLC_DA_MOD,      /* a - b * floor(a / b) */
    GLC_DA_MAX,
    GLC_DA_MIN,
} glc_dim_atom_kind;

typedef struct glc_dim_atom {
    glc_dim_atom_kind kind;
    uint32_t sym; /* GLC_DA_SYM: index into g->syms */
    glc_dim a, b; /* the other kinds */
} glc_dim_atom;

/* A term of an expression: coef * atoms[0] * ... * atoms[deg-1] (atom ids, sorted). */
#define GLC_DIM_MAX_DEGREE 8 /* GLC_MAX_RANK: the element count of any tensor */
typedef struct glc_dim_term {
    int64_t coef;
    uint32_t deg;
    uint32_t atoms[GLC_DIM_MAX_DEGREE];
} glc_dim_term;

/* An expression: c0 + sum of its terms (sorted, distinct monomials, coef != 0). */
typedef struct glc_dim_expr {
    int64_t c0;
    uint32_t n_terms;
    const glc_dim_term *terms;
} glc_dim_expr;

typedef enum glc_dim_rel {
    GLC_DIM_EQ,    /* a == b */
    GLC_DIM_GE,    /* a >= b */
    GLC_DIM_BCAST, /* a == b, or a == 1, or b == 1: numpy broadcasting */
} glc_dim_rel;

/* A run-time check of relation rel between a and b, made by node `node` (a name, for
 * the message) about `what` ("Add: broadcast axis 0"). */
typedef struct glc_dim_constraint {
    glc_dim_rel rel;
    glc_dim a, b;
    const char *node, *what;
} glc_dim_constraint;

/* Symbols. glc_dim_symbol returns the symbol named name (made on first use). */
glc_dim glc_dim_symbol(struct glc_graph *g, const char *name);
/* The index of the symbol d is, or -1 if d is not a bare symbol. */
int glc_dim_symbol_index(const struct glc_graph *g, glc_dim d);
int glc_dim_find_symbol(const struct glc_graph *g, const char *name); /* -1 if none */

/* Arithmetic (see above for errors). floordiv/ceildiv/mod by a constant <= 0 or by 0 is
 * GLC_DIM_ERR; by a symbolic divisor the run time checks it is positive. */
glc_dim glc_dim_add(const struct glc_graph *g, glc_dim a, glc_dim b);
glc_dim glc_dim_sub(const struct glc_graph *g, glc_dim a, glc_dim b);
glc_dim glc_dim_mul(const struct glc_graph *g, glc_dim a, glc_dim b);
glc_dim glc_dim_floordiv(const struct glc_graph *g, glc_dim a, glc_dim b);
glc_dim glc_dim_ceildiv(const struct glc_graph *g, glc_dim a, glc_dim b);
glc_dim glc_dim_mod(const struct glc_graph *g, glc_dim a, glc_dim b);
glc_dim glc_dim_max(const struct glc_graph *g, glc_dim a, glc_dim b);
glc_dim glc_dim_min(const struct glc_graph *g, glc_dim a, glc_dim b);
/* Product of dims[lo, hi). */
glc_dim glc_dim_prod(const struct glc_graph *g, const glc_dim *dims, int lo, int hi);
/* st[0..rank): the row-major strides (elements) of dims. */
void glc_dim_strides(const struct glc_graph *g, int rank, const glc_dim *dims, glc_dim *st);

/* Facts that hold for every value of the symbols in their ranges. */
bool glc_dim_nonneg(const struct glc_graph *g, glc_dim d);
bool glc_dim_known_ge(const struct glc_graph *g, glc_dim a, glc_dim b); /* a >= b always */

/* Requirements (see above). GLC_OK, or GLC_E_SHAPE when they can never hold (nothing is
 * recorded then; the caller reports it), GLC_E_NOMEM. */
int glc_dim_require_eq(const struct glc_graph *g, glc_dim a, glc_dim b, const struct glc_node *n,
                       const char *what);
int glc_dim_require_ge(const struct glc_graph *g, glc_dim a, glc_dim b, const struct glc_node *n,
                       const char *what);

/* a and b broadcast (numpy): equal, or one of them 1. GLC_OK when that holds or is
 * recorded for the run time, GLC_E_SHAPE when it never can. The broadcast dim is then
 * glc_dim_bcast (the other one where one is the constant 1, max(a, b) otherwise). */
int glc_dim_require_bcast(const struct glc_graph *g, glc_dim a, glc_dim b,
                          const struct glc_node *n, const char *what);
glc_dim glc_dim_bcast(const struct glc_graph *g, glc_dim a, glc_dim b);
/* Whether relation rel holds between the values x and y. */
bool glc_dim_rel_holds(glc_dim_rel rel, int64_t x, int64_t y);
const char *glc_dim_rel_str(glc_dim_rel rel); /* "==", ">=", "broadcasts with" */

/* The recorded constraints, *n of them. */
const glc_dim_constraint *glc_dim_constraints(const struct glc_graph *g, uint32_t *n);

/* The expression of a symbolic d, its atoms (NULL for a constant or an unknown id). */
const glc_dim_expr *glc_dim_get_expr(const struct glc_graph *g, glc_dim d);
const glc_dim_atom *glc_dim_get_atom(const struct glc_graph *g, uint32_t atom);
uint32_t glc_dim_n_atoms(const struct glc_graph *g); /* atom ids are below it */

/* Value of d with the symbols at syms[] (g->n_syms entries); false on int64 overflow,
 * division by a non-positive divisor. */
bool glc_dim_eval(const struct glc_graph *g, glc_dim d, const int64_t *syms, int64_t *out);
/* An upper bound of d from the symbols' max (all must have one and d must not decrease
 * as they grow: true of every size expression glc makes); false if there is none. */
bool glc_dim_upper_bound(const struct glc_graph *g, glc_dim d, int64_t *out);

/* "B*T + 1", "floor((W - 3) / 2) + 1", "7"; truncated to len. Returns buf. */
char *glc_dim_str(const struct glc_graph *g, glc_dim d, char *buf, size_t len);

/* The sticky error flag of the graph's dim arithmetic, and its reset. */
bool glc_dim_failed(const struct glc_graph *g);
void glc_dim_clear_error(const struct glc_graph *g);

/* Whether any of dims[0, rank) is symbolic. */
bool glc_dims_symbolic(int rank, const glc_dim *dims);

#endif
