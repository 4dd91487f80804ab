/*
 * infer.c -- static shape and dtype inference, one function per ONNX shape rule.
 *
 * glc_infer_shapes() walks the live nodes in their (topological) order. For each node it
 * first checks the arity against glc_op_table and that every present input already has a
 * known dtype, then calls the op's infer function (named in ops.def), which validates the
 * inputs and attributes and writes dtype, rank and dims of the node's outputs, then checks
 * the input dtypes against the op's type constraints (op_types.c; after the infer
 * function, so that its messages, which name the inputs, come first). Because the
 * walk is in order, every input's shape is known by the time its consumer is reached.
 *
 * The rules follow the ONNX operator specs at the graph's opset (g->opset): numpy
 * multidirectional broadcasting for the elementwise ops (infer_broadcast_inputs, used by
 * elemwise.c's infer_elemwise), Softmax's axis meaning changed at
 * opset 13, Gemm's optional C is unidirectionally broadcast to (M, N), MatMul is numpy
 * matmul (1-D promotion, batch broadcasting), Reshape needs a constant int64 shape.
 * A node computing a value that a static operand needs (Shape -> Gather -> Concat ->
 * Reshape's shape, say) is folded into constants right after it is inferred
 * (static_operands.c), so the consumer finds the constant when its turn comes.
 *
 * Errors are GLC_E_SHAPE with a message naming the input(s) and their shapes, or
 * GLC_E_LIMIT when an element count would overflow int64. Invariant on success: every
 * requested output of every live node has a known dtype and non-negative dims.
 */
#include "ir.h"
#include "ir_impl.h"

#include <stdlib.h>
#include <string.h>


static const glc_value *in_val(const glc_graph *g, const glc_node *n, int i) {
    return glc_node_input(g, n, i);
}

void infer_shape_str(const glc_value *v, char *buf) {
    glc_shape_str(v->dtype, v->rank, v->dims, buf, SHAPE_BUF);
}

void infer_set_out_k(glc_graph *g, glc_node *n, int k, glc_dtype dt, int rank,
                     const int64_t *dims) {
    if (n->n_out <= k || !n->out[k]) return;
    glc_value *o = &g->values[n->out[k]];
    o->dtype = dt;
    o->rank = (uint8_t)rank;
    for (int i = 0; i < rank; i++) o->dims[i] = dims[i];
}

static void shape_of(const glc_value *v, char *buf) {
    infer_shape_str(v, buf);
}

/* Writes the shape of output 0 (skipped if the output is not requested). */
static void set_out(glc_graph *g, glc_node *n, glc_dtype dt, int rank, const int64_t *dims) {
    infer_set_out_k(g, n, 0, dt, rank, dims);
}

/* Product of dims[lo, hi); false on int64 overflow. */
bool infer_dims_prod(const int64_t *dims, int lo, int hi, int64_t *out) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) {
        if (dims[i] != 0 && p > INT64_MAX / dims[i]) return false;
        p *= dims[i];
    }
    *out = p;
    return true;
}

glc_status infer_check_numel(const glc_node *n, int rank, const int64_t *dims, glc_diag *d) {
    int64_t p;
    if (!infer_dims_prod(dims, 0, rank, &p))
        return glc_diag_set(d, GLC_E_LIMIT, n, "%s: output element count overflows int64",
                            glc_op_name(n->op));
    return GLC_OK;
}

/* Normalises axis into [0, rank) (or [0, rank] when inclusive); false if out of range. */
bool infer_norm_axis(int64_t axis, int rank, bool inclusive, int *out) {
    int64_t hi = inclusive ? rank + 1 : rank;
    if (axis < -(int64_t)rank || axis >= hi) return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

bool glc_broadcast_shape(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                         int64_t *out) {
    int r = ra > rb ? ra : rb;
    if (r > GLC_MAX_RANK) return false;
    int64_t tmp[GLC_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da == db || db == 1) tmp[i] = da;
        else if (da == 1) tmp[i] = db;
        else return false;
    }
    for (int i = 0; i < r; i++) out[i] = tmp[i];
    *rout = r;
    return true;
}

glc_status infer_identity(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    (void)d;
    set_out(g, n, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

glc_status infer_broadcast_inputs(const glc_graph *g, const glc_node *n, int *rank,
                                  int64_t *dims, glc_diag *d) {
    *rank = 0;
    for (int k = 0; k < n->n_in; k++) {
        const glc_value *v = glc_op_input_type_only(n->op, k) ? NULL : in_val(g, n, k);
        if (!v || glc_broadcast_shape(*rank, dims, v->rank, v->dims, rank, dims)) continue;
        int j = 0; /* an earlier input that v does not broadcast with */
        for (int i = 0, r; i < k && !j; i++) {
            int64_t tmp[GLC_MAX_RANK];
            const glc_value *u = glc_op_input_type_only(n->op, i) ? NULL : in_val(g, n, i);
            if (u && !glc_broadcast_shape(u->rank, u->dims, v->rank, v->dims, &r, tmp)) j = i;
        }
        char sj[SHAPE_BUF], sk[SHAPE_BUF];
        shape_of(in_val(g, n, j), sj);
        shape_of(v, sk);
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: cannot broadcast input %d %s with input %d %s",
                            glc_op_name(n->op), j, sj, k, sk);
    }
    return GLC_OK;
}

glc_status infer_softmax(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    char s[SHAPE_BUF];
    shape_of(x, s);
    if (!glc_dtype_is_float(x->dtype))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Softmax: input 0 %s must be a float tensor", s);
    int64_t axis = glc_attr_int(n, "axis", g->opset >= 13 ? -1 : 1);
    int ax;
    /* Before opset 13, axis == rank is allowed (the 2-D coercion has an empty tail). */
    if (x->rank == 0 || !infer_norm_axis(axis, x->rank, g->opset < 13, &ax))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Softmax: axis %lld out of range for input 0 %s",
                            (long long)axis, s);
    set_out(g, n, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

/* Gemm's C must broadcast unidirectionally to (M, N). */
static bool gemm_c_fits(const glc_value *c, int64_t m, int64_t nn) {
    if (c->rank > 2) return false;
    int64_t want[2] = {m, nn};
    for (int i = 0; i < c->rank; i++) {
        int64_t dc = c->dims[c->rank - 1 - i], dw = want[1 - i];
        if (dc != 1 && dc != dw) return false;
    }
    return true;
}

glc_status infer_gemm(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *a = in_val(g, n, 0), *b = in_val(g, n, 1), *c = in_val(g, n, 2);
    char sa[SHAPE_BUF], sb[SHAPE_BUF], sc[SHAPE_BUF];
    shape_of(a, sa);
    shape_of(b, sb);
    if (a->rank != 2 || b->rank != 2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Gemm: inputs must be 2-D: input 0 %s, input 1 %s",
                            sa, sb);
    if (a->dtype != b->dtype || (c && c->dtype != a->dtype))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Gemm: dtype mismatch: input 0 %s, input 1 %s", sa,
                            sb);
    bool ta = glc_attr_int(n, "transA", 0) != 0, tb = glc_attr_int(n, "transB", 0) != 0;
    int64_t m = a->dims[ta ? 1 : 0], ka = a->dims[ta ? 0 : 1];
    int64_t kb = b->dims[tb ? 1 : 0], nn = b->dims[tb ? 0 : 1];
    if (ka != kb)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Gemm: inner dimensions differ: input 0 %s (transA=%d), input 1 %s "
                            "(transB=%d)",
                            sa, ta, sb, tb);
    if (c && !gemm_c_fits(c, m, nn)) {
        shape_of(c, sc);
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Gemm: input 2 %s does not broadcast to [%lld,%lld]", sc,
                            (long long)m, (long long)nn);
    }
    int64_t dims[2] = {m, nn};
    set_out(g, n, a->dtype, 2, dims);
    return GLC_OK;
}

/* Output shape of numpy matmul; false if the operands do not fit. */
static bool matmul_shape(const glc_value *a, const glc_value *b, int *r, int64_t *dims) {
    int ra = a->rank, rb = b->rank;
    if (ra == 0 || rb == 0) return false;
    int64_t k1 = a->dims[ra - 1], k2 = rb == 1 ? b->dims[0] : b->dims[rb - 2];
    if (k1 != k2) return false;
    int br;
    int64_t batch[GLC_MAX_RANK];
    int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
    if (!glc_broadcast_shape(ba, a->dims, bb, b->dims, &br, batch)) return false;
    int k = 0;
    for (int i = 0; i < br; i++) dims[k++] = batch[i];
    if (ra >= 2) dims[k++] = a->dims[ra - 2];
    if (rb >= 2) dims[k++] = b->dims[rb - 1];
    if (k > GLC_MAX_RANK) return false;
    *r = k;
    return true;
}

glc_status infer_matmul(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *a = in_val(g, n, 0), *b = in_val(g, n, 1);
    char sa[SHAPE_BUF], sb[SHAPE_BUF];
    shape_of(a, sa);
    shape_of(b, sb);
    if (a->dtype != b->dtype)
        return glc_diag_set(d, GLC_E_SHAPE, n, "MatMul: dtype mismatch: input 0 %s, input 1 %s",
                            sa, sb);
    int r;
    int64_t dims[GLC_MAX_RANK];
    if (!matmul_shape(a, b, &r, dims))
        return glc_diag_set(d, GLC_E_SHAPE, n, "MatMul: cannot multiply input 0 %s by input 1 %s",
                            sa, sb);
    GLC_TRY(infer_check_numel(n, r, dims, d));
    set_out(g, n, a->dtype, r, dims);
    return GLC_OK;
}

/* Resolves Reshape's 0 and -1 entries in dims (count entries) against x. */
static glc_status reshape_resolve(const glc_node *n, const glc_value *x, const int64_t *spec,
                                  int count, int64_t *dims, glc_diag *d) {
    bool allowzero = glc_attr_int(n, "allowzero", 0) != 0;
    int infer_at = -1;
    int64_t known = 1, total;
    if (!infer_dims_prod(x->dims, 0, x->rank, &total)) return infer_check_numel(n, x->rank, x->dims, d);
    for (int i = 0; i < count; i++) {
        int64_t v = spec[i];
        if (v == 0 && !allowzero) {
            if (i >= x->rank)
                return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: shape[%d] = 0 but input has rank %d",
                                    i, x->rank);
            v = x->dims[i];
        }
        if (v == -1) {
            if (infer_at >= 0)
                return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: more than one -1 in shape");
            infer_at = i;
            continue;
        }
        if (v < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: shape[%d] = %lld is negative", i,
                                (long long)v);
        if (v != 0 && known > INT64_MAX / v)
            return glc_diag_set(d, GLC_E_LIMIT, n, "Reshape: element count overflows int64");
        dims[i] = v;
        known *= v;
    }
    if (infer_at >= 0) {
        if (known == 0 || total % known)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: cannot infer -1 for %lld elements",
                                (long long)total);
        dims[infer_at] = total / known;
        known = total;
    }
    if (known != total)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: %lld elements cannot become %lld",
                            (long long)total, (long long)known);
    return GLC_OK;
}

glc_status infer_reshape(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0), *s = in_val(g, n, 1);
    if (!s->data)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "Reshape: input 1 'shape' must be a constant%s%s%s",
                            s->is_input ? "; bind graph input '" : " (computed at run time)",
                            s->is_input && s->name ? s->name : "",
                            s->is_input ? "' with --bind" : "");
    char ss[SHAPE_BUF];
    shape_of(s, ss);
    if (s->dtype != GLC_DT_I64 || s->rank != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Reshape: input 1 %s must be a 1-D i64 tensor", ss);
    if (s->dims[0] > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_LIMIT, n, "Reshape: rank %lld exceeds %d",
                            (long long)s->dims[0], GLC_MAX_RANK);
    int count = (int)s->dims[0];
    int64_t spec[GLC_MAX_RANK], dims[GLC_MAX_RANK];
    memcpy(spec, s->data, (size_t)count * sizeof *spec);
    GLC_TRY(reshape_resolve(n, x, spec, count, dims, d));
    set_out(g, n, x->dtype, count, dims);
    return GLC_OK;
}

glc_status infer_flatten(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    int64_t axis = glc_attr_int(n, "axis", 1);
    int ax;
    char s[SHAPE_BUF];
    shape_of(x, s);
    if (!infer_norm_axis(axis, x->rank, true, &ax))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Flatten: axis %lld out of range for input 0 %s",
                            (long long)axis, s);
    int64_t dims[2];
    if (!infer_dims_prod(x->dims, 0, ax, &dims[0]) || !infer_dims_prod(x->dims, ax, x->rank, &dims[1]))
        return infer_check_numel(n, x->rank, x->dims, d);
    set_out(g, n, x->dtype, 2, dims);
    return GLC_OK;
}

glc_status infer_transpose(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = in_val(g, n, 0);
    uint32_t count = 0;
    const int64_t *perm = glc_attr_ints(n, "perm", &count);
    char s[SHAPE_BUF];
    shape_of(x, s);
    if (perm && count != x->rank)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Transpose: perm has %u entries for input 0 %s",
                            count, s);
    bool seen[GLC_MAX_RANK] = {false};
    int64_t dims[GLC_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        int64_t p = perm ? perm[i] : x->rank - 1 - i;
        if (p < 0 || p >= x->rank || seen[p])
            return glc_diag_set(d, GLC_E_SHAPE, n, "Transpose: perm is not a permutation of %d axes",
                                x->rank);
        seen[p] = true;
        dims[i] = x->dims[p];
    }
    set_out(g, n, x->dtype, x->rank, dims);
    return GLC_OK;
}

glc_status infer_concat(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x0 = in_val(g, n, 0);
    int64_t axis = glc_attr_int(n, "axis", 0);
    int ax;
    char s0[SHAPE_BUF], si[SHAPE_BUF];
    shape_of(x0, s0);
    if (!glc_node_attr(n, "axis") || !infer_norm_axis(axis, x0->rank, false, &ax))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Concat: axis missing or out of range for input 0 %s",
                            s0);
    int64_t dims[GLC_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    for (int i = 1; i < n->n_in; i++) {
        const glc_value *xi = in_val(g, n, i);
        if (!xi) continue;
        shape_of(xi, si);
        bool ok = xi->dtype == x0->dtype && xi->rank == x0->rank;
        for (int k = 0; ok && k < x0->rank; k++) ok = k == ax || xi->dims[k] == x0->dims[k];
        if (!ok)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Concat: input 0 %s and input %d %s differ "
                                "outside axis %d", s0, i, si, ax);
        if (dims[ax] > INT64_MAX - xi->dims[ax])
            return glc_diag_set(d, GLC_E_LIMIT, n, "Concat: axis length overflows int64");
        dims[ax] += xi->dims[ax];
    }
    GLC_TRY(infer_check_numel(n, x0->rank, dims, d));
    set_out(g, n, x0->dtype, x0->rank, dims);
    return GLC_OK;
}

/* Arity against the op table, and every present input typed. */
static glc_status check_node_inputs(const glc_graph *g, const glc_node *n, glc_diag *d) {
    const glc_op_info *oi = &glc_op_table[n->op];
    if (n->n_in < oi->in_min || (oi->in_max != 255 && n->n_in > oi->in_max) ||
        n->n_out < oi->out_min || n->n_out > oi->out_max)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %u inputs and %u outputs; expected %u..%u and "
                            "%u..%u", glc_op_name(n->op), n->n_in, n->n_out, oi->in_min,
                            oi->in_max, oi->out_min, oi->out_max);
    for (int i = 0; i < n->n_in; i++) {
        const glc_value *v = in_val(g, n, i);
        if (!v && i < oi->in_min)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: required input %d is absent",
                                glc_op_name(n->op), i);
        if (v && v->dtype == GLC_DT_UNDEF)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %d '%s' has no known type",
                                glc_op_name(n->op), i, v->name ? v->name : "");
        for (int k = 0; v && k < v->rank; k++)
            if (v->dims[k] < 0)
                return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input %d '%s' has a negative dim",
                                    glc_op_name(n->op), i, v->name ? v->name : "");
    }
    return GLC_OK;
}

/* need: the values that must become constants (static_operands.c). */
static glc_status infer_nodes(glc_graph *g, const bool *need, glc_diag *d) {
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        glc_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (n->op <= GLC_OP_NONE || n->op >= GLC_OP_COUNT)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "node has invalid op %d", (int)n->op);
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= g->n_values)
                return glc_diag_set(d, GLC_E_INVALID_IR, n, "input %d id out of range", k);
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= g->n_values)
                return glc_diag_set(d, GLC_E_INVALID_IR, n, "output %d id out of range", k);
        GLC_TRY(check_node_inputs(g, n, d));
        GLC_TRY(glc_op_table[n->op].infer(g, n, d));
        GLC_TRY(glc_op_check_types(g, n, d));
        GLC_TRY(infer_fold_static(g, i, need, d));
    }
    return GLC_OK;
}

glc_status glc_infer_shapes(glc_graph *g, glc_diag *d) {
    bool *need = calloc(g->n_values ? g->n_values : 1, sizeof *need);
    if (!need) return glc_diag_set(d, GLC_E_NOMEM, NULL, "shape inference: out of memory");
    glc_graph_static_values(g, need);
    glc_status s = infer_nodes(g, need, d);
    free(need);
    return s;
}
