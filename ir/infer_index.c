/*
 * infer_index.c -- shape inference of the index family: ops that move elements to or from
 * positions an index tensor names (GatherElements, ScatterElements) or that their
 * coordinates decide (Trilu, EyeLike: by the diagonal; Range), and the readers of
 * tensor.h that its interpreter (interp_index.c) and lowering (codegen/lower_index.c)
 * share.
 *
 * Dims may be symbolic (ir/dim.h): what the ops assume about them (indices no larger than
 * the data along the other axes) is recorded as run-time requirements. Index values are
 * data, checked per element by the kernels: the interpreter reports one out of range as
 * GLC_E_ARG, the compiled kernel reads zeros (gathers) or skips it (scatters).
 *
 * Errors: GLC_E_SHAPE naming the op, the operand and the shapes.
 */
#include "ir.h"
#include "ir_impl.h"
#include "tensor.h"

#include <math.h>
#include <string.h>

/* ---- GatherElements, ScatterElements ------------------------------------------------ */

glc_status glc_elements_geom_get(const glc_graph *g, const glc_node *n, glc_elements_geom *e,
                                 glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *ix = glc_node_input(g, n, 1);
    const char *op = glc_op_name(n->op);
    char sx[SHAPE_BUF], si[SHAPE_BUF];
    infer_shape_str(x, sx);
    infer_shape_str(ix, si);
    int64_t axis = glc_attr_int(n, "axis", 0);
    if (x->rank == 0 || !infer_norm_axis(axis, x->rank, false, &e->axis))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: axis %lld out of range for input 0 %s", op,
                            (long long)axis, sx);
    if (ix->rank != x->rank)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: indices %s must have the rank of data %s",
                            op, si, sx);
    for (int a = 0; a < x->rank; a++)
        if (a != e->axis &&
            glc_dim_require_ge(g, x->dims[a], ix->dims[a], n, "indices within data") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: indices %s exceed data %s on axis %d",
                                op, si, sx, a);
    if (n->op != GLC_OP_GATHERELEMENTS) { /* ScatterElements, Scatter */
        GLC_TRY(infer_check_in(g, n, 2, "updates", x->dtype, ix->rank, ix->dims,
                               "the shape of indices", d));
        const char *r = glc_attr_string(n, "reduction", "none");
        static const char *const names[] = {"none", "add", "mul", "max", "min"};
        e->reduction = -1;
        for (int k = 0; k < 5; k++)
            if (!strcmp(r, names[k])) e->reduction = (glc_scatter_reduction)k;
        if ((int)e->reduction < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: reduction is '%s'; expected none, add, "
                                "mul, max or min", op, r);
        bool num = x->dtype == GLC_DT_F32 || x->dtype == GLC_DT_F64 ||
                   (!glc_dtype_is_float(x->dtype) && x->dtype != GLC_DT_BOOL);
        if (e->reduction != GLC_SCATTER_NONE && !num)
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: reduction '%s' on %s", op, r,
                                glc_dtype_name(x->dtype));
    }
    return GLC_OK;
}

glc_status infer_elements(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *ix = glc_node_input(g, n, 1);
    glc_elements_geom e;
    GLC_TRY(glc_elements_geom_get(g, n, &e, d));
    const glc_value *shape = n->op == GLC_OP_GATHERELEMENTS ? ix : x;
    infer_set_out_k(g, n, 0, x->dtype, shape->rank, shape->dims);
    return GLC_OK;
}

/* ---- Trilu, EyeLike --------------------------------------------------------------- */

glc_status glc_diagonal_get(const glc_graph *g, const glc_node *n, glc_diagonal *t,
                            glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    bool eye = n->op == GLC_OP_EYELIKE;
    if (eye ? x->rank != 2 : x->rank < 2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input 0 %s must be %s", glc_op_name(n->op),
                            s, eye ? "2-D" : "at least 2-D");
    t->batch = glc_dim_prod(g, x->dims, 0, x->rank - 2);
    t->rows = x->dims[x->rank - 2];
    t->cols = x->dims[x->rank - 1];
    t->upper = glc_attr_int(n, "upper", 1) != 0;
    t->k = glc_attr_int(n, "k", 0);
    t->dtype = x->dtype;
    if (eye && glc_node_attr(n, "dtype")) {
        t->dtype = glc_attr_dtype(n, "dtype");
        if (t->dtype == GLC_DT_UNDEF || t->dtype == GLC_DT_STRING)
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "EyeLike: dtype %lld",
                                (long long)glc_attr_int(n, "dtype", 0));
    }
    const glc_value *k = glc_node_input(g, n, 1);
    if (k && glc_value_numel(k) != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Trilu: k must be one i64");
    return GLC_OK;
}

glc_status infer_diagonal(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_diagonal t;
    GLC_TRY(glc_diagonal_get(g, n, &t, d));
    infer_set_out_k(g, n, 0, t.dtype, x->rank, x->dims);
    return GLC_OK;
}

/* ---- Range ------------------------------------------------------------------------- */

glc_status glc_range_count(const glc_graph *g, const glc_node *n, int64_t *count, glc_diag *d) {
    double v[3];
    static const char *const names[3] = {"start", "limit", "delta"};
    for (int i = 0; i < 3; i++)
        GLC_TRY(glc_static_scalar(g, n, i, names[i], &v[i], d));
    if (v[2] == 0) return glc_diag_set(d, GLC_E_SHAPE, n, "Range: delta is 0");
    double k = ceil((v[1] - v[0]) / v[2]);
    if (!(k < 4e9)) /* NaN too */
        return glc_diag_set(d, GLC_E_LIMIT, n, "Range: (%g - %g) / %g elements is too many",
                            v[1], v[0], v[2]);
    *count = k > 0 ? (int64_t)k : 0;
    return GLC_OK;
}

glc_status infer_range(glc_graph *g, glc_node *n, glc_diag *d) {
    int64_t count;
    GLC_TRY(glc_range_count(g, n, &count, d));
    infer_set_out_k(g, n, 0, glc_node_input(g, n, 0)->dtype, 1, &count);
    return GLC_OK;
}
