/*
 * infer_tensor.c -- shape inference of the tensor family: Split, Slice, Squeeze,
 * Unsqueeze, Gather, Shape, Dropout, Pad, the reductions (Reduce*), ArgMax and ArgMin, and
 * the parameter readers of tensor.h that the interpreter and codegen share.
 *
 * Every opset form that ONNX defined is read: old opsets carry the operands as
 * attributes (Slice-1 starts/ends/axes, Split-2/11 split, Squeeze/Unsqueeze-1/11 axes,
 * Pad-1 paddings and Pad-2 pads/value, Reduce*-1..13 axes (ReduceSum-1..11), Dropout-1/6
 * is_test), new opsets as inputs (Slice-10, Split-13, Squeeze-13, Unsqueeze-13, Pad-11
 * and Pad-18 axes, Reduce*-18 and ReduceSum-13 axes, Dropout-12 ratio and
 * training_mode). Input operands are "static": glc compiles static shapes, so they must
 * be constants when the node is inferred (glc_op_input_is_static lists them; infer.c
 * folds the shape subgraphs that compute them). The attribute form is used when the
 * node has no such input and the graph's opset predates the input form.
 *
 * Errors: GLC_E_SHAPE naming the op, the operand and the shapes; GLC_E_UNSUPPORTED for a
 * non-constant static operand or random Dropout.
 */
#include "ir.h"
#include "ir_impl.h"
#include "tensor.h"

#include <math.h>
#include <string.h>

#define MAX_PARTS 256 /* Split outputs (ops.def allows 255) */

static const char *vname(const glc_value *v) {
    return v->name ? v->name : "";
}

/* "must be a constant" with a hint on where the value comes from. */
static glc_status not_const(const glc_graph *g, const glc_node *n, int i, const char *what,
                            glc_diag *d) {
    const glc_value *v = &g->values[n->in[i]];
    if (v->sdata)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "%s: input %d '%s' holds symbolic dims (computed from shapes) and "
                            "must be a constant; bind the symbols with --dim NAME=N or --shape",
                            glc_op_name(n->op), i, what);
    if (v->is_input || v->producer == GLC_NO_NODE)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "%s: input %d '%s' must be a constant; bind graph input '%s' with "
                            "--bind",
                            glc_op_name(n->op), i, what, vname(v));
    const glc_node *p = &g->nodes[v->producer];
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                        "%s: input %d '%s' must be a constant, but node '%s' (%s) computes it at "
                        "run time",
                        glc_op_name(n->op), i, what, p->name ? p->name : "", glc_op_name(p->op));
}

glc_status glc_static_not_const(const glc_graph *g, const glc_node *n, int i, const char *what,
                                glc_diag *d) {
    return not_const(g, n, i, what, d);
}

glc_status glc_static_ints(const glc_graph *g, const glc_node *n, int i, const char *what,
                           int64_t *out, int max, int *count, glc_diag *d) {
    *count = -1;
    if (i >= n->n_in || !n->in[i]) return GLC_OK;
    const glc_value *v = &g->values[n->in[i]];
    char s[SHAPE_BUF];
    infer_shape_str(v, s);
    if ((v->dtype != GLC_DT_I64 && v->dtype != GLC_DT_I32) || v->rank > 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %d '%s' %s must be a 1-D i64 tensor",
                            glc_op_name(n->op), i, what, s);
    if (!v->data) return not_const(g, n, i, what, d);
    int64_t k = glc_value_numel(v);
    if (k > max)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %d '%s' %s has more than %d entries",
                            glc_op_name(n->op), i, what, s, max);
    for (int64_t j = 0; j < k; j++)
        out[j] =
            v->dtype == GLC_DT_I64 ? ((const int64_t *)v->data)[j] : ((const int32_t *)v->data)[j];
    *count = (int)k;
    return GLC_OK;
}

glc_status glc_static_scalar(const glc_graph *g, const glc_node *n, int i, const char *what,
                             double *out, glc_diag *d) {
    const glc_value *v = glc_node_input(g, n, i);
    char s[SHAPE_BUF];
    infer_shape_str(v, s);
    if (!v || glc_value_numel(v) != 1 || v->dtype == GLC_DT_STRING || v->dtype == GLC_DT_BOOL)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %d '%s' %s must be one number",
                            glc_op_name(n->op), i, what, s);
    if (!v->data) return not_const(g, n, i, what, d);
    const void *p = v->data;
    switch (v->dtype) {
    case GLC_DT_F32: *out = *(const float *)p; break;
    case GLC_DT_F64: *out = *(const double *)p; break;
    case GLC_DT_I8: *out = *(const int8_t *)p; break;
    case GLC_DT_U8: *out = *(const uint8_t *)p; break;
    case GLC_DT_I16: *out = *(const int16_t *)p; break;
    case GLC_DT_U16: *out = *(const uint16_t *)p; break;
    case GLC_DT_I32: *out = *(const int32_t *)p; break;
    case GLC_DT_U32: *out = *(const uint32_t *)p; break;
    case GLC_DT_I64: *out = (double)*(const int64_t *)p; break;
    case GLC_DT_U64: *out = (double)*(const uint64_t *)p; break;
    default:
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: input %d '%s' %s is not a supported "
                            "number", glc_op_name(n->op), i, what, s);
    }
    return GLC_OK;
}

/* Attribute list `name` into out (at most max); *count = -1 if absent. */
static glc_status attr_ints(const glc_node *n, const char *name, int64_t *out, int max, int *count,
                            glc_diag *d) {
    uint32_t k = 0;
    const int64_t *p = glc_attr_ints(n, name, &k);
    *count = -1;
    if (!glc_node_attr(n, name)) return GLC_OK;
    if (k > (uint32_t)max)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute %s has %u entries, more than %d",
                            glc_op_name(n->op), name, k, max);
    for (uint32_t j = 0; j < k; j++)
        out[j] = p[j];
    *count = (int)k;
    return GLC_OK;
}

/* The operand from input i (new opsets) or attribute `name` (before opset `since`). */
static glc_status operand_ints(const glc_graph *g, const glc_node *n, int i, int since,
                               const char *name, int64_t *out, int max, int *count, glc_diag *d) {
    if (g->opset >= since || n->n_in > i) return glc_static_ints(g, n, i, name, out, max, count, d);
    return attr_ints(n, name, out, max, count, d);
}

/* Normalises each of count axes against rank (marking them in seen); false on a bad or
 * repeated axis, with the offending value in *bad. */
static bool mark_axes(const int64_t *axes, int count, int rank, bool *seen, int64_t *bad) {
    for (int i = 0; i < rank; i++)
        seen[i] = false;
    for (int j = 0; j < count; j++) {
        int a;
        *bad = axes[j];
        if (!infer_norm_axis(axes[j], rank, false, &a) || seen[a]) return false;
        seen[a] = true;
    }
    return true;
}

/* ---- Split ------------------------------------------------------------------------ */

/* Equal parts (or, with opset-18 num_outputs, ceil-sized parts and a smaller last one). */
static glc_status split_even(const glc_graph *g, const glc_node *n, glc_dim dim, glc_dim *sizes,
                             glc_diag *d) {
    int k = n->n_out;
    const glc_attr *num = glc_node_attr(n, "num_outputs");
    if (num && num->i != k)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Split: num_outputs %lld but %d outputs",
                            (long long)num->i, k);
    char ds[96];
    glc_dim_str(g, dim, ds, sizeof ds);
    glc_dim chunk = num ? glc_dim_ceildiv(g, dim, k) : glc_dim_floordiv(g, dim, k);
    if (!num && glc_dim_require_eq(g, glc_dim_mul(g, chunk, k), dim, n,
                                   "Split: equal parts") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Split: axis length %s does not split into %d equal parts", ds, k);
    glc_dim last = glc_dim_sub(g, dim, glc_dim_mul(g, chunk, k - 1));
    if (glc_dim_require_ge(g, last, 0, n, "Split: the last part") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Split: axis length %s cannot make %d parts", ds,
                            k);
    for (int j = 0; j < k; j++)
        sizes[j] = j < k - 1 ? chunk : last;
    return GLC_OK;
}

glc_status glc_split_get(const glc_graph *g, const glc_node *n, int *axis, int64_t *sizes,
                         glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    int64_t ax = glc_attr_int(n, "axis", 0);
    if (!infer_norm_axis(ax, x->rank, false, axis))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Split: axis %lld out of range for input 0 %s",
                            (long long)ax, s);
    glc_dim dim = x->dims[*axis], sum = 0;
    int64_t spec[MAX_PARTS];
    int cnt;
    /* Split-1 and Split-13+ take `split` as input 1; Split-2/11 as an attribute. */
    GLC_TRY(glc_static_ints(g, n, 1, "split", spec, MAX_PARTS, &cnt, d));
    if (cnt < 0) GLC_TRY(attr_ints(n, "split", spec, MAX_PARTS, &cnt, d));
    if (cnt < 0) return split_even(g, n, dim, sizes, d);
    if (cnt != n->n_out)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Split: split has %d entries for %d outputs", cnt,
                            n->n_out);
    for (int j = 0; j < cnt; j++) {
        if (spec[j] < 0 || (glc_dim_is_const(dim) && spec[j] > dim))
            return glc_diag_set(d, GLC_E_SHAPE, n, "Split: split[%d] = %lld is out of range", j,
                                (long long)spec[j]);
        sizes[j] = spec[j];
        sum += spec[j];
    }
    if (glc_dim_require_eq(g, sum, dim, n, "Split: split sums to the axis") != GLC_OK) {
        char ds[96];
        return glc_diag_set(d, GLC_E_SHAPE, n, "Split: split sums to %lld, axis %d of input 0 "
                            "%s has %s", (long long)sum, *axis, s, glc_dim_str(g, dim, ds, sizeof ds));
    }
    return GLC_OK;
}

glc_status infer_split(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int axis;
    int64_t sizes[MAX_PARTS], dims[GLC_MAX_RANK];
    GLC_TRY(glc_split_get(g, n, &axis, sizes, d));
    memcpy(dims, x->dims, sizeof dims);
    glc_dtype dt = x->dtype;
    int rank = x->rank;
    for (int k = 0; k < n->n_out; k++) {
        dims[axis] = sizes[k];
        infer_set_out_k(g, n, k, dt, rank, dims);
    }
    return GLC_OK;
}

/* ---- Slice ------------------------------------------------------------------------ */

/* One axis: start and end clamped the ONNX way, length of the walk. */
static void slice_axis_const(int64_t dim, int64_t s, int64_t e, int64_t st, int64_t *start,
                             int64_t *len) {
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    int64_t span;
    if (st > 0) {
        s = s < 0 ? 0 : s > dim ? dim : s;
        e = e < 0 ? 0 : e > dim ? dim : e;
        span = e - s;
    } else {
        s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
        e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        span = s - e;
    }
    int64_t mag = st > 0 ? st : st == INT64_MIN ? INT64_MAX : -st;
    *len = dim == 0 || span <= 0 ? 0 : 1 + (span - 1) / mag;
    *start = *len ? s : 0;
}

static glc_dim clamp(const glc_graph *g, glc_dim x, glc_dim lo, glc_dim hi) {
    return glc_dim_min(g, glc_dim_max(g, x, lo), hi);
}

/* The same for a symbolic dim (at least 1): start and length as expressions. */
static void slice_axis(const glc_graph *g, glc_dim dim, int64_t s, int64_t e, int64_t st,
                       glc_dim *start, glc_dim *len) {
    if (glc_dim_is_const(dim)) {
        slice_axis_const(dim, s, e, st, start, len);
        return;
    }
    const int64_t big = (int64_t)1 << 62; /* beyond any dim: clamping gives the same */
    s = s < -big ? -big : s > big ? big : s;
    e = e < -big ? -big : e > big ? big : e;
    glc_dim sd = s < 0 ? glc_dim_add(g, dim, s) : s, ed = e < 0 ? glc_dim_add(g, dim, e) : e;
    glc_dim span;
    if (st > 0) {
        sd = clamp(g, sd, 0, dim);
        span = glc_dim_max(g, glc_dim_sub(g, clamp(g, ed, 0, dim), sd), 0);
    } else {
        sd = clamp(g, sd, 0, glc_dim_sub(g, dim, 1));
        span = glc_dim_max(g, glc_dim_sub(g, sd, clamp(g, ed, -1, glc_dim_sub(g, dim, 1))), 0);
    }
    int64_t mag = st > 0 ? st : st < -big ? big : -st;
    *len = glc_dim_ceildiv(g, span, mag);
    *start = sd;
}

/* A start or end computed from symbolic shapes (steps > 0): a position from the front, so
 * never negative (checked when the model runs), clamped to [0, dim]. */
static glc_status slice_axis_sym(const glc_graph *g, const glc_node *n, int axis, glc_dim dim,
                                 glc_dim s, glc_dim e, int64_t st, glc_dim *start, glc_dim *len,
                                 glc_diag *d) {
    if (st < 0)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Slice: symbolic starts or ends on axis %d "
                            "with a negative step", axis);
    if ((glc_dim_is_sym(s) && glc_dim_require_ge(g, s, 0, n, "Slice: a symbolic start")) ||
        (glc_dim_is_sym(e) && glc_dim_require_ge(g, e, 0, n, "Slice: a symbolic end")))
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Slice: symbolic starts or ends on axis %d "
                            "are negative (from the end)", axis);
    glc_dim sd = glc_dim_is_const(s) && s < 0 ? glc_dim_max(g, glc_dim_add(g, dim, s), 0) : s;
    glc_dim ed = glc_dim_is_const(e) && e < 0 ? glc_dim_max(g, glc_dim_add(g, dim, e), 0) : e;
    sd = clamp(g, sd, 0, dim);
    *len = glc_dim_ceildiv(g, glc_dim_max(g, glc_dim_sub(g, clamp(g, ed, 0, dim), sd), 0), st);
    *start = sd;
    return GLC_OK;
}

/* Slice's starts (k = 0) or ends (k = 1) computed from symbolic shapes: their dims. */
static bool slice_sym_operand(const glc_graph *g, const glc_node *n, int k, int64_t *op,
                              int *cnt) {
    const glc_value *v = k + 1 < n->n_in ? glc_node_input(g, n, k + 1) : NULL;
    int64_t c;
    if (k > 1 || !v || !v->sdata || v->rank != 1 || !infer_int_elems(v, op, GLC_MAX_RANK, &c))
        return false;
    *cnt = (int)c;
    return true;
}

/* starts/ends/axes/steps from inputs 1..4 (Slice-10+) or attributes (Slice-1); starts and
 * ends may be dims computed from symbolic shapes (then dims[k], k < 2, is set: other
 * operands are plain integers, INT64_MIN among them). */
static glc_status slice_operands(const glc_graph *g, const glc_node *n, int64_t (*op)[GLC_MAX_RANK],
                                 int *cnt, bool *dims, glc_diag *d) {
    static const char *const names[4] = {"starts", "ends", "axes", "steps"};
    bool inputs = g->opset >= 10 || n->n_in > 1;
    for (int k = 0; k < 4; k++) {
        if (k < 2) dims[k] = inputs && slice_sym_operand(g, n, k, op[k], &cnt[k]);
        if (k < 2 && dims[k]) continue;
        if (inputs)
            GLC_TRY(glc_static_ints(g, n, k + 1, names[k], op[k], GLC_MAX_RANK, &cnt[k], d));
        else if (k < 3)
            GLC_TRY(attr_ints(n, names[k], op[k], GLC_MAX_RANK, &cnt[k], d));
        else
            cnt[k] = -1;
    }
    if (cnt[0] < 0 || cnt[1] < 0)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Slice: starts and ends are required");
    for (int k = 1; k < 4; k++)
        if (cnt[k] >= 0 && cnt[k] != cnt[0])
            return glc_diag_set(d, GLC_E_SHAPE, n, "Slice: %s has %d entries, starts has %d",
                                names[k], cnt[k], cnt[0]);
    return GLC_OK;
}

glc_status glc_slice_geom_get(const glc_graph *g, const glc_node *n, glc_slice_geom *s,
                              glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int64_t op[4][GLC_MAX_RANK];
    int cnt[4];
    bool dims[2];
    GLC_TRY(slice_operands(g, n, op, cnt, dims, d));
    s->rank = x->rank;
    for (int a = 0; a < x->rank; a++) {
        s->start[a] = 0;
        s->step[a] = 1;
        s->out[a] = x->dims[a];
    }
    if (cnt[2] < 0)
        for (int j = 0; j < cnt[0]; j++)
            op[2][j] = j;
    bool seen[GLC_MAX_RANK];
    int64_t bad;
    char sx[SHAPE_BUF];
    infer_shape_str(x, sx);
    if (!mark_axes(op[2], cnt[0], x->rank, seen, &bad))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Slice: axis %lld is out of range or repeated for "
                            "input 0 %s",
                            (long long)bad, sx);
    for (int j = 0; j < cnt[0]; j++) {
        int a = (int)(op[2][j] < 0 ? op[2][j] + x->rank : op[2][j]);
        int64_t st = cnt[3] >= 0 ? op[3][j] : 1;
        if (st == 0) return glc_diag_set(d, GLC_E_SHAPE, n, "Slice: steps[%d] is 0", j);
        if ((dims[0] && glc_dim_is_sym(op[0][j])) || (dims[1] && glc_dim_is_sym(op[1][j]))) {
            const int64_t big = (int64_t)1 << 62; /* an integer operand, as slice_axis clamps */
            glc_dim sj = dims[0] || op[0][j] >= -big ? op[0][j] : -big;
            glc_dim ej = dims[1] || op[1][j] >= -big ? op[1][j] : -big;
            GLC_TRY(slice_axis_sym(g, n, a, x->dims[a], sj, ej, st, &s->start[a], &s->out[a],
                                   d));
        } else {
            slice_axis(g, x->dims[a], op[0][j], op[1][j], st, &s->start[a], &s->out[a]);
        }
        /* one element: the step never multiplies */
        s->step[a] = glc_dim_is_const(s->out[a]) && s->out[a] <= 1 ? 1 : st;
    }
    return GLC_OK;
}

glc_status infer_slice(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_slice_geom s;
    GLC_TRY(glc_slice_geom_get(g, n, &s, d));
    infer_set_out_k(g, n, 0, x->dtype, x->rank, s.out);
    return GLC_OK;
}

/* ---- Squeeze, Unsqueeze ------------------------------------------------------------- */

glc_status infer_squeeze(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int64_t axes[GLC_MAX_RANK], dims[GLC_MAX_RANK], bad;
    int cnt, r = 0;
    bool drop[GLC_MAX_RANK];
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    GLC_TRY(operand_ints(g, n, 1, 13, "axes", axes, GLC_MAX_RANK, &cnt, d));
    if (cnt >= 0 && !mark_axes(axes, cnt, x->rank, drop, &bad))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Squeeze: axis %lld is out of range or repeated "
                            "for input 0 %s",
                            (long long)bad, s);
    for (int a = 0; a < x->rank; a++) {
        if (cnt < 0 && glc_dim_is_sym(x->dims[a]))
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Squeeze: without axes, whether symbolic "
                                "axis %d of input 0 %s goes is not known", a, s);
        if (cnt < 0) drop[a] = x->dims[a] == 1; /* no axes: every 1 goes */
        if (drop[a] && glc_dim_require_eq(g, x->dims[a], 1, n, "Squeeze: a squeezed axis") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Squeeze: axis %d of input 0 %s is not 1", a, s);
        if (!drop[a]) dims[r++] = x->dims[a];
    }
    infer_set_out_k(g, n, 0, x->dtype, r, dims);
    return GLC_OK;
}

glc_status infer_unsqueeze(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int64_t axes[GLC_MAX_RANK], dims[GLC_MAX_RANK], bad;
    int cnt;
    bool ins[GLC_MAX_RANK];
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    GLC_TRY(operand_ints(g, n, 1, 13, "axes", axes, GLC_MAX_RANK, &cnt, d));
    if (cnt < 0) return glc_diag_set(d, GLC_E_SHAPE, n, "Unsqueeze: axes are required");
    int r = x->rank + cnt;
    if (r > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_LIMIT, n, "Unsqueeze: output rank %d exceeds %d", r,
                            GLC_MAX_RANK);
    if (!mark_axes(axes, cnt, r, ins, &bad))
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Unsqueeze: axis %lld is out of range or repeated "
                            "for an output of rank %d",
                            (long long)bad, r);
    for (int a = 0, j = 0; a < r; a++)
        dims[a] = ins[a] ? 1 : x->dims[j++];
    infer_set_out_k(g, n, 0, x->dtype, r, dims);
    return GLC_OK;
}

/* ---- Gather ------------------------------------------------------------------------ */

/* Constant indices must lie in [-dim, dim) (required at run time for a symbolic dim). */
static glc_status gather_check_const(const glc_graph *g, const glc_node *n, const glc_value *ix,
                                     glc_dim dim, glc_diag *d) {
    int64_t k = glc_value_numel(ix);
    for (int64_t j = 0; ix->data && j < k; j++) {
        int64_t v = ix->dtype == GLC_DT_I64 ? ((const int64_t *)ix->data)[j]
                                            : ((const int32_t *)ix->data)[j];
        if (glc_dim_is_sym(dim)) {
            int64_t need = v < 0 ? (v < -GLC_DIM_SYM_MAX ? GLC_DIM_SYM_MAX : -v) : v + 1;
            if (glc_dim_require_ge(g, dim, need, n, "Gather: a constant index") != GLC_OK)
                return glc_diag_set(d, GLC_E_SHAPE, n, "Gather: index %lld out of range",
                                    (long long)v);
            continue;
        }
        if (v < -dim || v >= dim)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Gather: index %lld out of range [-%lld, %lld)",
                                (long long)v, (long long)dim, (long long)dim);
    }
    return GLC_OK;
}

glc_status infer_gather(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *ix = glc_node_input(g, n, 1);
    char sx[SHAPE_BUF], si[SHAPE_BUF];
    infer_shape_str(x, sx);
    infer_shape_str(ix, si);
    int64_t axis = glc_attr_int(n, "axis", 0);
    int ax;
    if (x->rank == 0 || !infer_norm_axis(axis, x->rank, false, &ax))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Gather: axis %lld out of range for input 0 %s",
                            (long long)axis, sx);
    if (ix->dtype != GLC_DT_I32 && ix->dtype != GLC_DT_I64)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Gather: indices %s must be i32 or i64", si);
    int r = x->rank + ix->rank - 1;
    if (r > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_LIMIT, n, "Gather: output rank %d exceeds %d", r,
                            GLC_MAX_RANK);
    GLC_TRY(gather_check_const(g, n, ix, x->dims[ax], d));
    int64_t dims[GLC_MAX_RANK];
    int k = 0;
    for (int a = 0; a < ax; a++)
        dims[k++] = x->dims[a];
    for (int a = 0; a < ix->rank; a++)
        dims[k++] = ix->dims[a];
    for (int a = ax + 1; a < x->rank; a++)
        dims[k++] = x->dims[a];
    GLC_TRY(infer_check_numel(n, r, dims, d));
    infer_set_out_k(g, n, 0, x->dtype, r, dims);
    return GLC_OK;
}

/* ---- Shape ------------------------------------------------------------------------ */

static int clamp_dim(int64_t v, int rank) {
    if (v < 0) v += rank;
    return (int)(v < 0 ? 0 : v > rank ? rank : v);
}

void glc_shape_range(const glc_node *n, int rank, int *lo, int *hi) {
    *lo = clamp_dim(glc_attr_int(n, "start", 0), rank);
    *hi = clamp_dim(glc_attr_int(n, "end", rank), rank);
    if (*hi < *lo) *hi = *lo;
}

glc_status infer_shape(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int lo, hi;
    (void)d;
    glc_shape_range(n, x->rank, &lo, &hi);
    int64_t len = hi - lo;
    infer_set_out_k(g, n, 0, GLC_DT_I64, 1, &len);
    return GLC_OK;
}

/* Size: the element count, an i64 scalar. */
glc_status infer_size(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)d;
    infer_set_out_k(g, n, 0, GLC_DT_I64, 0, NULL);
    return GLC_OK;
}

/* ---- Dropout ---------------------------------------------------------------------- */

/* A constant scalar of input i as a double (f32/f64/bool). */
static glc_status static_scalar(const glc_graph *g, const glc_node *n, int i, const char *what,
                                double *out, glc_diag *d) {
    const glc_value *v = &g->values[n->in[i]];
    char s[SHAPE_BUF];
    infer_shape_str(v, s);
    if (glc_value_numel(v) != 1 ||
        (v->dtype != GLC_DT_F32 && v->dtype != GLC_DT_F64 && v->dtype != GLC_DT_BOOL))
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "%s: input %d '%s' %s must be one f32, f64 "
                            "or bool",
                            glc_op_name(n->op), i, what, s);
    if (!v->data) return not_const(g, n, i, what, d);
    *out = v->dtype == GLC_DT_F32   ? ((const float *)v->data)[0]
           : v->dtype == GLC_DT_F64 ? ((const double *)v->data)[0]
                                    : ((const uint8_t *)v->data)[0] != 0;
    return GLC_OK;
}

/* Whether the node trains (drops at random), and its ratio. */
static glc_status dropout_mode(const glc_graph *g, const glc_node *n, bool *training, double *ratio,
                               glc_diag *d) {
    *ratio = glc_attr_float(n, "ratio", 0.5f);
    if (g->opset < 7) { /* Dropout-1/6: is_test = 0 (the default) means training */
        *training = glc_attr_int(n, "is_test", 0) == 0;
        return GLC_OK;
    }
    *training = false;
    if (g->opset < 12 || n->n_in < 3 || !n->in[2]) return GLC_OK;
    double t;
    GLC_TRY(static_scalar(g, n, 2, "training_mode", &t, d));
    *training = t != 0;
    *ratio = 0.5;
    if (*training && n->in[1]) GLC_TRY(static_scalar(g, n, 1, "ratio", ratio, d));
    return GLC_OK;
}

glc_status infer_dropout(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    if (!glc_dtype_is_float(x->dtype))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Dropout: input 0 %s must be a float tensor", s);
    bool training;
    double ratio;
    GLC_TRY(dropout_mode(g, n, &training, &ratio, d));
    if (training && ratio != 0)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "Dropout: training_mode with ratio > 0 is random (ratio %g)", ratio);
    glc_dtype mask = g->opset >= 10 ? GLC_DT_BOOL : x->dtype;
    if (mask != GLC_DT_BOOL && mask != GLC_DT_F32 && mask != GLC_DT_F64 && n->n_out > 1 &&
        n->out[1])
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Dropout: a %s mask is not supported",
                            glc_dtype_name(mask));
    infer_set_out_k(g, n, 0, x->dtype, x->rank, x->dims);
    infer_set_out_k(g, n, 1, mask, x->rank, x->dims);
    return GLC_OK;
}

/* ---- Pad -------------------------------------------------------------------------- */

int64_t glc_pad_source(glc_pad_mode m, int64_t i, int64_t len) {
    int64_t p, k;
    switch (m) {
    case GLC_PAD_CONSTANT:
        return i < 0 || i >= len ? -1 : i;
    case GLC_PAD_EDGE:
        return i < 0 ? 0 : i >= len ? len - 1 : i;
    case GLC_PAD_REFLECT:
        if (len == 1) return 0;
        p = 2 * (len - 1); /* the mirrored sequence repeats with this period */
        k = i % p;
        if (k < 0) k += p;
        return k < len ? k : p - k;
    case GLC_PAD_WRAP:
        k = i % len;
        return k < 0 ? k + len : k;
    }
    return -1;
}

/* v as one element of dtype dt, little-endian. */
static void scalar_bytes(glc_dtype dt, double v, uint8_t *out) {
    memset(out, 0, 8);
    float f = (float)v;
    int64_t i = isnan(v) ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
    if (dt == GLC_DT_F32)
        memcpy(out, &f, 4);
    else if (dt == GLC_DT_F64)
        memcpy(out, &v, 8);
    else if (dt == GLC_DT_BOOL)
        out[0] = v != 0;
    else
        memcpy(out, &i, glc_dtype_size(dt)); /* little-endian: the low bytes */
}

static glc_status pad_mode(const glc_node *n, glc_pad_mode *m, glc_diag *d) {
    const char *s = glc_attr_string(n, "mode", "constant");
    if (!strcmp(s, "constant"))
        *m = GLC_PAD_CONSTANT;
    else if (!strcmp(s, "edge"))
        *m = GLC_PAD_EDGE;
    else if (!strcmp(s, "reflect"))
        *m = GLC_PAD_REFLECT;
    else if (!strcmp(s, "wrap"))
        *m = GLC_PAD_WRAP;
    else
        return glc_diag_set(d, GLC_E_SHAPE, n, "Pad: unknown mode '%s'", s);
    return GLC_OK;
}

/* The constant: input 2 (Pad-11+, a scalar of the input dtype) or attribute value. */
static glc_status pad_value(const glc_graph *g, const glc_node *n, glc_pad_geom *p, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    scalar_bytes(x->dtype, glc_attr_float(n, "value", 0.0f), p->value);
    if (n->n_in < 3 || !n->in[2]) return GLC_OK;
    const glc_value *v = &g->values[n->in[2]];
    char s[SHAPE_BUF];
    infer_shape_str(v, s);
    if (v->dtype != x->dtype || glc_value_numel(v) != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Pad: constant_value %s must be one %s", s,
                            glc_dtype_name(x->dtype));
    if (!v->data) return not_const(g, n, 2, "constant_value", d);
    memcpy(p->value, v->data, glc_dtype_size(x->dtype));
    return GLC_OK;
}

/* pads (Pad-11+ input 1; Pad-2 `pads`, Pad-1 `paddings`) over the axes (Pad-18 input 3). */
/* Pad's pads (input 1 from opset 11): constants, or dims computed from symbolic shapes. */
static glc_status pad_list(const glc_graph *g, const glc_node *n, glc_dim *pads, int *np,
                           glc_diag *d) {
    int64_t tmp[2 * GLC_MAX_RANK], k;
    if (g->opset < 11 && n->n_in < 2)
        GLC_TRY(attr_ints(n, g->opset >= 2 ? "pads" : "paddings", tmp, 2 * GLC_MAX_RANK, np, d));
    else if (glc_node_input(g, n, 1) && glc_node_input(g, n, 1)->sdata &&
             glc_node_input(g, n, 1)->rank == 1 &&
             infer_int_elems(glc_node_input(g, n, 1), pads, 2 * GLC_MAX_RANK, &k)) {
        *np = (int)k;
        return GLC_OK;
    } else
        GLC_TRY(glc_static_ints(g, n, 1, "pads", tmp, 2 * GLC_MAX_RANK, np, d));
    for (int j = 0; j < *np; j++) /* a constant far below any dim stays a constant */
        pads[j] = tmp[j] < GLC_DIM_EXPR_LIMIT ? GLC_DIM_EXPR_LIMIT : tmp[j];
    return GLC_OK;
}

static glc_status pad_amounts(const glc_graph *g, const glc_node *n, glc_pad_geom *p, glc_diag *d) {
    int64_t axes[GLC_MAX_RANK], bad;
    glc_dim pads[2 * GLC_MAX_RANK];
    int np, na;
    bool seen[GLC_MAX_RANK];
    GLC_TRY(pad_list(g, n, pads, &np, d));
    GLC_TRY(glc_static_ints(g, n, 3, "axes", axes, GLC_MAX_RANK, &na, d));
    if (na < 0)
        for (na = 0; na < p->rank; na++)
            axes[na] = na;
    if (!mark_axes(axes, na, p->rank, seen, &bad))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Pad: axis %lld is out of range or repeated",
                            (long long)bad);
    if (np < 0) return glc_diag_set(d, GLC_E_SHAPE, n, "Pad: pads are required");
    if (np != 2 * na)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Pad: pads has %d entries for %d axes", np, na);
    for (int j = 0; j < na; j++) {
        int a = (int)(axes[j] < 0 ? axes[j] + p->rank : axes[j]);
        p->begin[a] = pads[j];
        p->end[a] = pads[j + na];
    }
    return GLC_OK;
}

glc_status glc_pad_geom_get(const glc_graph *g, const glc_node *n, glc_pad_geom *p, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    memset(p, 0, sizeof *p);
    p->rank = x->rank;
    GLC_TRY(pad_mode(n, &p->mode, d));
    GLC_TRY(pad_amounts(g, n, p, d));
    GLC_TRY(pad_value(g, n, p, d));
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    for (int a = 0; a < x->rank; a++) {
        glc_dim len = x->dims[a], b = p->begin[a], e = p->end[a];
        if (glc_dim_is_sym(b) || glc_dim_is_sym(e)) {
            p->out[a] = glc_dim_add(g, len, glc_dim_add(g, b, e));
            /* no symbolic crop: pads glc cannot prove non-negative (round-up arithmetic
             * such as ceil(L / 256) * 256 - L) are checked when the model runs */
            if (glc_dim_require_ge(g, b, 0, n, "Pad: a symbolic pad") != GLC_OK ||
                glc_dim_require_ge(g, e, 0, n, "Pad: a symbolic pad") != GLC_OK)
                return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Pad: pads on axis %d are symbolic "
                                    "and negative (a crop); bind the symbols with --dim NAME=N "
                                    "or --shape", a);
            if (p->mode != GLC_PAD_CONSTANT && !glc_dim_known_ge(g, len, 1))
                return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Pad: %s-padding axis %d of input 0 "
                                    "%s by symbolic pads needs it non-empty",
                                    glc_attr_string(n, "mode", ""), a, s);
            continue;
        }
        if (glc_dim_is_sym(len)) {
            p->out[a] = glc_dim_add(g, len, b + e);
            bool ok = b >= INT32_MIN && e >= INT32_MIN && b <= INT32_MAX && e <= INT32_MAX &&
                      glc_dim_require_ge(g, p->out[a], 0, n, "Pad: the padded length") == GLC_OK &&
                      glc_dim_require_ge(g, len, b < 0 ? -b : 0, n, "Pad: a crop") == GLC_OK &&
                      glc_dim_require_ge(g, len, e < 0 ? -e : 0, n, "Pad: a crop") == GLC_OK;
            if (!ok)
                return glc_diag_set(d, GLC_E_SHAPE, n, "Pad: pads (%lld, %lld) on axis %d do not "
                                    "fit input 0 %s", (long long)b, (long long)e, a, s);
            continue;
        }
        if (b < -len || e < -len || b > INT32_MAX || e > INT32_MAX || len + b + e < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "Pad: pads (%lld, %lld) on axis %d do not fit "
                                "input 0 %s",
                                (long long)b, (long long)e, a, s);
        p->out[a] = len + b + e;
        if (len == 0 && p->out[a] > 0 && p->mode != GLC_PAD_CONSTANT)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Pad: cannot %s-pad empty axis %d of input 0 %s",
                                glc_attr_string(n, "mode", ""), a, s);
    }
    return GLC_OK;
}

glc_status infer_pad(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_pad_geom p;
    GLC_TRY(glc_pad_geom_get(g, n, &p, d));
    GLC_TRY(infer_check_numel(n, x->rank, p.out, d));
    infer_set_out_k(g, n, 0, x->dtype, x->rank, p.out);
    return GLC_OK;
}

/* ---- reductions (the RED rows of ops.def) ------------------------------------------ */

/* The opset from which each reduction takes its axes as input 1 (the RED rows' `since`). */
static const int axes_input_since[GLC_OP_COUNT] = {
#define OP(...)
#define RED(id, name, since, ...) [GLC_OP_##id] = since,
#include "ops.def"
#undef RED
#undef OP
};

glc_status glc_reduce_geom_get(const glc_graph *g, const glc_node *n, glc_reduce_geom *r,
                               glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int64_t axes[GLC_MAX_RANK], bad;
    int cnt;
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    GLC_TRY(operand_ints(g, n, 1, axes_input_since[n->op], "axes", axes, GLC_MAX_RANK, &cnt, d));
    r->rank = x->rank;
    r->keepdims = glc_attr_int(n, "keepdims", 1) != 0;
    r->noop = cnt <= 0 && glc_attr_int(n, "noop_with_empty_axes", 0) != 0;
    if (cnt > 0 && !mark_axes(axes, cnt, x->rank, r->reduce, &bad))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: axis %lld is out of range or repeated for "
                            "input 0 %s", glc_op_name(n->op), (long long)bad, s);
    r->out_rank = 0;
    r->count = 1;
    for (int a = 0; a < x->rank; a++) {
        if (cnt <= 0) r->reduce[a] = !r->noop; /* no axes: all of them (or none) */
        if (r->reduce[a]) r->count = glc_dim_mul(g, r->count, x->dims[a]);
        if (!r->reduce[a] || r->keepdims) r->out[r->out_rank++] = r->reduce[a] ? 1 : x->dims[a];
    }
    return GLC_OK;
}

/* The shape rule of every Reduce* op (axes as an input or an attribute, keepdims,
 * noop_with_empty_axes; dtypes: the op's type constraints). */
glc_status infer_reduce(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_reduce_geom r;
    GLC_TRY(glc_reduce_geom_get(g, n, &r, d));
    infer_set_out_k(g, n, 0, x->dtype, r.out_rank, r.out);
    return GLC_OK;
}

/* ---- ArgMax, ArgMin ------------------------------------------------------------------ */

glc_status glc_argext_geom_get(const glc_graph *g, const glc_node *n, glc_argext_geom *r,
                               glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int64_t axis = glc_attr_int(n, "axis", 0);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    if (!infer_norm_axis(axis, x->rank, false, &r->axis))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: axis %lld out of range for input 0 %s",
                            glc_op_name(n->op), (long long)axis, s);
    r->keepdims = glc_attr_int(n, "keepdims", 1) != 0;
    r->last = glc_attr_int(n, "select_last_index", 0) != 0;
    r->outer = glc_dim_prod(g, x->dims, 0, r->axis);
    r->dim = x->dims[r->axis];
    r->inner = glc_dim_prod(g, x->dims, r->axis + 1, x->rank);
    if (glc_dim_require_ge(g, r->dim, 1, n, "ArgMax/ArgMin: the reduced axis") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: axis %d of input 0 %s is empty",
                            glc_op_name(n->op), r->axis, s);
    r->out_rank = 0;
    for (int a = 0; a < x->rank; a++)
        if (a != r->axis || r->keepdims) r->out[r->out_rank++] = a == r->axis ? 1 : x->dims[a];
    return GLC_OK;
}

/* ArgMax, ArgMin: the axis dropped (or kept as 1), i64 indices. */
glc_status infer_argext(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_argext_geom r;
    GLC_TRY(glc_argext_geom_get(g, n, &r, d));
    infer_set_out_k(g, n, 0, GLC_DT_I64, r.out_rank, r.out);
    return GLC_OK;
}
