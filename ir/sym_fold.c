/*
 * sym_fold.c -- shape arithmetic on symbolic dims, while shapes are inferred.
 *
 * Exporters compute shapes at run time: x -> Shape -> Gather -> Unsqueeze -> Concat ->
 * Reshape. With static shapes static_operands.c folds such chains with the interpreter.
 * When x has symbolic dims, Shape(x) is not a number but a list of dims, so these chains
 * are evaluated here on dims (glc_dim arithmetic): the results are kept as shape tensors
 * (glc_value.sdata, elements as dims) when some element is symbolic, or become ordinary
 * constants when all are known, and the node is marked dead as a folded one is. The
 * consumers (Reshape's shape, Slice's bounds, Expand's shape, ...) read elements through
 * infer_int_elems() and so see the dims.
 *
 * Ops evaluated: Shape (start/end), Size, the views Identity, Reshape, Flatten, Squeeze,
 * Unsqueeze (elements unchanged), Cast between integer types, Gather and Concat and Slice
 * of 1-D tensors with constant indices and bounds, integer Add, Sub, Mul, Div (floor
 * division; shape arithmetic is non-negative), Max and Min of two operands, elementwise with
 * a scalar or an operand of the same length, and ReduceProd, ReduceSum, ReduceMax and
 * ReduceMin of a 1-D tensor (an element count: tf2onnx's Reshape shapes). Equal and Where
 * evaluate PyTorch's expand(-1) shapes, Where(Equal(shape, -1), 1, shape): an Equal whose
 * every answer is known (equal dims; a constant against a non-negative symbolic dim it cannot
 * be, such as -1) becomes a bool constant, and Where picks by a constant condition; an
 * Equal or Where they do not decide stays, computed at run time (an If's condition on a
 * symbolic dim). Anything else with a shape-tensor input is refused by the op gate in
 * infer.c, naming the op.
 */
#include "ir.h"
#include "ir_impl.h"
#include "tensor.h"

#include <stdlib.h>
#include <string.h>

#define SYM_MAX_ELEMS 64

bool infer_int_elems(const glc_value *v, glc_dim *out, int64_t max, int64_t *count) {
    if (glc_dims_symbolic(v->rank, v->dims)) return false;
    int64_t n = glc_value_numel(v);
    if (n < 0 || n > max) return false;
    *count = n;
    if (v->sdata) {
        memcpy(out, v->sdata, (size_t)n * sizeof *out);
        return true;
    }
    if (!v->data) return false;
    for (int64_t i = 0; i < n; i++) {
        int64_t x;
        switch (v->dtype) {
        case GLC_DT_I64: x = ((const int64_t *)v->data)[i]; break;
        case GLC_DT_I32: x = ((const int32_t *)v->data)[i]; break;
        case GLC_DT_BOOL: x = ((const uint8_t *)v->data)[i] != 0; break;
        default: return false;
        }
        out[i] = x < GLC_DIM_EXPR_LIMIT ? GLC_DIM_EXPR_LIMIT : x; /* -inf stays -inf */
    }
    return true;
}

static bool handles(glc_op op) {
    switch (op) {
    case GLC_OP_SHAPE:
    case GLC_OP_SIZE:
    case GLC_OP_IDENTITY:
    case GLC_OP_RESHAPE:
    case GLC_OP_FLATTEN:
    case GLC_OP_SQUEEZE:
    case GLC_OP_UNSQUEEZE:
    case GLC_OP_CAST:
    case GLC_OP_GATHER:
    case GLC_OP_CONCAT:
    case GLC_OP_SLICE:
    case GLC_OP_ADD:
    case GLC_OP_SUB:
    case GLC_OP_MUL:
    case GLC_OP_DIV:
    case GLC_OP_MAX:
    case GLC_OP_MIN:
    case GLC_OP_REDUCEPROD:
    case GLC_OP_REDUCESUM:
    case GLC_OP_REDUCEMAX:
    case GLC_OP_REDUCEMIN:
    case GLC_OP_EQUAL:
    case GLC_OP_WHERE: return true;
    default: return false;
    }
}

bool infer_sym_fold_handles(glc_op op) {
    return handles(op);
}

/* Shape(x)[start:end] (opset 15 bounds, clamped). */
static int shape_elems(const glc_graph *g, const glc_node *n, glc_dim *out) {
    const glc_value *x = glc_node_input(g, n, 0);
    int lo, hi, k = 0;
    glc_shape_range(n, x->rank, &lo, &hi);
    for (int i = lo; i < hi; i++)
        out[k++] = x->dims[i];
    return k;
}

/* Elements of a 1-D (or scalar) input i; -1 if unavailable. */
static int64_t input_elems(const glc_graph *g, const glc_node *n, int i, glc_dim *out) {
    const glc_value *v = glc_node_input(g, n, i);
    int64_t c;
    if (!v || !infer_int_elems(v, out, SYM_MAX_ELEMS, &c)) return -1;
    return c;
}

static int64_t gather_elems(const glc_graph *g, const glc_node *n, glc_dim *out) {
    glc_dim x[SYM_MAX_ELEMS], ix[SYM_MAX_ELEMS];
    int64_t nx = input_elems(g, n, 0, x), ni = input_elems(g, n, 1, ix);
    if (nx < 0 || ni < 0 || glc_node_input(g, n, 0)->rank != 1) return -1;
    for (int64_t i = 0; i < ni; i++) {
        int64_t j = ix[i] < 0 ? ix[i] + nx : ix[i];
        if (glc_dim_is_sym(ix[i]) || j < 0 || j >= nx) return -1;
        out[i] = x[j];
    }
    return ni;
}

static int64_t concat_elems(const glc_graph *g, const glc_node *n, glc_dim *out) {
    int64_t k = 0;
    for (int i = 0; i < n->n_in; i++) {
        glc_dim e[SYM_MAX_ELEMS];
        int64_t c = input_elems(g, n, i, e);
        if (c < 0 || glc_node_input(g, n, i)->rank != 1 || k + c > SYM_MAX_ELEMS) return -1;
        memcpy(out + k, e, (size_t)c * sizeof *e);
        k += c;
    }
    return k;
}

/* Slice of a 1-D tensor with constant starts/ends (and axes 0, steps). */
static int64_t slice_elems(const glc_graph *g, const glc_node *n, glc_dim *out) {
    glc_dim x[SYM_MAX_ELEMS], b[4][SYM_MAX_ELEMS];
    int64_t nx = input_elems(g, n, 0, x);
    if (nx < 0 || glc_node_input(g, n, 0)->rank != 1 || n->n_in < 3) return -1;
    for (int i = 1; i < 5; i++) {
        b[i - 1][0] = i == 3 ? 0 : i == 4 ? 1 : 0;
        if (i < n->n_in && n->in[i] && input_elems(g, n, i, b[i - 1]) != 1) return -1;
        if (glc_dim_is_sym(b[i - 1][0])) return -1;
    }
    int64_t st = b[3][0], s = b[0][0], e = b[1][0];
    if (b[2][0] != 0 && b[2][0] != -1) return -1;
    if (st == 0) return -1;
    if (s < 0) s += nx;
    if (e < 0) e += nx;
    int64_t lo = st > 0 ? 0 : -1, hi = st > 0 ? nx : nx - 1;
    s = s < lo ? lo : s > hi ? hi : s;
    e = e < lo ? lo : e > hi ? hi : e;
    int64_t k = 0;
    for (int64_t i = s; st > 0 ? i < e : i > e; i += st)
        out[k++] = x[i];
    return k;
}

/* x == y as the dim 1 or 0 when that is known for every value of the symbols; else
 * GLC_DIM_ERR. Dims are interned: one expression, one id. */
static glc_dim dims_equal(const glc_graph *g, glc_dim x, glc_dim y) {
    if (x == y) return 1;
    if (glc_dim_is_const(x) && glc_dim_is_const(y)) return 0;
    glc_dim sym = glc_dim_is_const(x) ? y : x, k = glc_dim_is_const(x) ? x : y;
    if (glc_dim_is_const(k) && k < 0 && glc_dim_nonneg(g, sym)) return 0;
    return GLC_DIM_ERR;
}

static glc_dim combine(const glc_graph *g, glc_op op, glc_dim x, glc_dim y) {
    switch (op) {
    case GLC_OP_EQUAL: return dims_equal(g, x, y);
    case GLC_OP_ADD:
    case GLC_OP_REDUCESUM: return glc_dim_add(g, x, y);
    case GLC_OP_SUB: return glc_dim_sub(g, x, y);
    case GLC_OP_MUL:
    case GLC_OP_REDUCEPROD: return glc_dim_mul(g, x, y);
    case GLC_OP_MAX:
    case GLC_OP_REDUCEMAX: return glc_dim_max(g, x, y);
    case GLC_OP_MIN:
    case GLC_OP_REDUCEMIN: return glc_dim_min(g, x, y);
    case GLC_OP_DIV: return glc_dim_floordiv(g, x, y);
    default: return GLC_DIM_ERR; /* not shape arithmetic: handles() says no */
    }
}

static int64_t arith_elems(glc_graph *g, const glc_node *n, glc_dim *out) {
    glc_dim a[SYM_MAX_ELEMS], b[SYM_MAX_ELEMS];
    int64_t na = input_elems(g, n, 0, a), nb = input_elems(g, n, 1, b);
    const glc_value *o = &g->values[n->out[0]];
    int64_t no = glc_value_numel(o);
    if (n->n_in != 2 || na < 0 || nb < 0 || no < 0 || (na != 1 && na != no) ||
        (nb != 1 && nb != no))
        return -1;
    for (int64_t i = 0; i < no; i++) {
        out[i] = combine(g, n->op, a[na == 1 ? 0 : i], b[nb == 1 ? 0 : i]);
        if (out[i] == GLC_DIM_ERR) return -1;
    }
    return no;
}

/* A reduction of a 1-D tensor: one element over all of it, or (no axis reduced, the
 * output as long as the input) the elements unchanged. */
static int64_t reduce_elems(glc_graph *g, const glc_node *n, glc_dim *out) {
    glc_dim x[SYM_MAX_ELEMS];
    int64_t nx = input_elems(g, n, 0, x), no = glc_value_numel(&g->values[n->out[0]]);
    if (nx < 1 || glc_node_input(g, n, 0)->rank != 1) return -1;
    if (no == nx && nx > 1) {
        memcpy(out, x, (size_t)nx * sizeof *x);
        return nx;
    }
    if (no != 1) return -1;
    out[0] = x[0];
    for (int64_t i = 1; i < nx; i++)
        if ((out[0] = combine(g, n->op, out[0], x[i])) == GLC_DIM_ERR) return -1;
    return 1;
}

/* Where(cond, x, y) on 1-D (or one-element) operands, cond known. */
static int64_t where_elems(glc_graph *g, const glc_node *n, glc_dim *out) {
    glc_dim c[SYM_MAX_ELEMS], x[SYM_MAX_ELEMS], y[SYM_MAX_ELEMS];
    int64_t nc = input_elems(g, n, 0, c), nx = input_elems(g, n, 1, x);
    int64_t ny = input_elems(g, n, 2, y), no = glc_value_numel(&g->values[n->out[0]]);
    if (nc < 0 || nx < 0 || ny < 0 || no < 0 || (nc != 1 && nc != no) || (nx != 1 && nx != no) ||
        (ny != 1 && ny != no))
        return -1;
    for (int64_t i = 0; i < no; i++) {
        glc_dim ci = c[nc == 1 ? 0 : i];
        if (!glc_dim_is_const(ci)) return -1;
        out[i] = ci ? x[nx == 1 ? 0 : i] : y[ny == 1 ? 0 : i];
    }
    return no;
}

/* The elements of node n's output 0 as dims; -1 if n cannot be evaluated on dims. */
static int64_t eval_node(glc_graph *g, const glc_node *n, glc_dim *out) {
    switch (n->op) {
    case GLC_OP_SHAPE: return shape_elems(g, n, out);
    case GLC_OP_SIZE: out[0] = glc_value_numel_dim(g, glc_node_input(g, n, 0)); return 1;
    case GLC_OP_CAST:
    case GLC_OP_IDENTITY:
    case GLC_OP_RESHAPE:
    case GLC_OP_FLATTEN:
    case GLC_OP_SQUEEZE:
    case GLC_OP_UNSQUEEZE: return input_elems(g, n, 0, out);
    case GLC_OP_GATHER: return gather_elems(g, n, out);
    case GLC_OP_CONCAT: return concat_elems(g, n, out);
    case GLC_OP_SLICE: return slice_elems(g, n, out);
    case GLC_OP_REDUCEPROD:
    case GLC_OP_REDUCESUM:
    case GLC_OP_REDUCEMAX:
    case GLC_OP_REDUCEMIN: return reduce_elems(g, n, out);
    case GLC_OP_ADD:
    case GLC_OP_SUB:
    case GLC_OP_MUL:
    case GLC_OP_DIV:
    case GLC_OP_MAX:
    case GLC_OP_MIN:
    case GLC_OP_EQUAL: return arith_elems(g, n, out);
    case GLC_OP_WHERE: return where_elems(g, n, out);
    default: return -1; /* not in handles(): never evaluated on dims */
    }
}

/* Whether node n is shape arithmetic on dims: Shape of a symbolic x, Size, or an op evaluated
 * here with a shape tensor among its inputs and integer outputs (Equal's: bool). */
static bool applies(const glc_graph *g, const glc_node *n) {
    if (!handles(n->op) || n->n_out < 1 || !n->out[0]) return false;
    const glc_value *o = &g->values[n->out[0]];
    bool is_bool = n->op == GLC_OP_EQUAL && o->dtype == GLC_DT_BOOL;
    if (o->dtype != GLC_DT_I64 && o->dtype != GLC_DT_I32 && !is_bool) return false;
    if (n->op == GLC_OP_SIZE) return true; /* the element count: always known */
    if (n->op == GLC_OP_SHAPE) {
        const glc_value *x = glc_node_input(g, n, 0);
        return glc_dims_symbolic(x->rank, x->dims);
    }
    bool any = false;
    for (int i = 0; i < n->n_in; i++) {
        const glc_value *v = glc_node_input(g, n, i);
        if (v && v->sdata) any = true;
        else if (v && !v->data) return false;
    }
    return any;
}

glc_status infer_fold_symbolic(glc_graph *g, glc_node_id k, bool *folded, glc_diag *d) {
    glc_node *n = &g->nodes[k];
    *folded = false;
    if (!applies(g, n)) return GLC_OK;
    glc_dim e[SYM_MAX_ELEMS];
    int64_t c = eval_node(g, n, e);
    glc_value *o = &g->values[n->out[0]];
    /* an Equal or Where the dims do not decide (Equal(N, 3)) is computed at run time */
    if (c < 0 && (n->op == GLC_OP_EQUAL || n->op == GLC_OP_WHERE)) return GLC_OK;
    if (c < 0 || c != glc_value_numel(o))
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: cannot compute this shape arithmetic "
                            "on symbolic dims; bind them with --dim NAME=N or --shape",
                            glc_op_name(n->op));
    bool all_const = true;
    for (int64_t i = 0; i < c; i++)
        all_const &= glc_dim_is_const(e[i]);
    size_t esz = glc_dtype_size(o->dtype);
    void *buf = glc_arena_alloc(&g->arena, all_const ? (size_t)c * esz + 1 : (size_t)c * sizeof *e + 1);
    if (!buf) return glc_diag_set(d, GLC_E_NOMEM, n, "out of memory");
    for (int64_t i = 0; all_const && i < c; i++) {
        if (o->dtype == GLC_DT_I64) ((int64_t *)buf)[i] = e[i];
        else if (o->dtype == GLC_DT_BOOL) ((uint8_t *)buf)[i] = e[i] != 0;
        else ((int32_t *)buf)[i] = (int32_t)e[i];
    }
    if (all_const) o->data = buf;
    else o->sdata = memcpy(buf, e, (size_t)c * sizeof *e);
    o->producer = GLC_NO_NODE;
    n->dead = true;
    *folded = true;
    return GLC_OK;
}
