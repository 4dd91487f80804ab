/*
 * infer_index.c -- shape inference of the index family: ops that move elements to or from
 * positions an index tensor names (GatherElements, ScatterElements) or that their
 * coordinates decide (Trilu, EyeLike: by the diagonal; Range, the windows; OneHot), index tuples
 * (GatherND, ScatterND), a constant mask (Compress, NonZero, Unique), the rearrangements
 * (ReverseSequence, Expand, Tile, DepthToSpace, SpaceToDepth), and the readers of tensor.h that its
 * interpreter (interp_index.c) and lowering (codegen/lower_index.c) share.
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
#include <stdlib.h>
#include <string.h>

/* The reduction attribute of ScatterElements and ScatterND. */
static glc_status scatter_reduction(const glc_graph *g, const glc_node *n,
                                    glc_scatter_reduction *red, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    const char *r = glc_attr_string(n, "reduction", "none");
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    *red = (glc_scatter_reduction)-1;
    for (int k = 0; k < 5; k++)
        if (!strcmp(r, names[k])) *red = (glc_scatter_reduction)k;
    if ((int)*red < 0)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: reduction is '%s'; expected none, add, "
                            "mul, max or min",
                            glc_op_name(n->op), r);
    bool num = x->dtype == GLC_DT_F32 || x->dtype == GLC_DT_F64 ||
               (!glc_dtype_is_float(x->dtype) && x->dtype != GLC_DT_BOOL);
    if (*red != GLC_SCATTER_NONE && !num)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: reduction '%s' on %s", glc_op_name(n->op),
                            r, glc_dtype_name(x->dtype));
    return GLC_OK;
}

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
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: indices %s must have the rank of data %s", op,
                            si, sx);
    for (int a = 0; a < x->rank; a++)
        if (a != e->axis &&
            glc_dim_require_ge(g, x->dims[a], ix->dims[a], n, "indices within data") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: indices %s exceed data %s on axis %d", op,
                                si, sx, a);
    if (n->op != GLC_OP_GATHERELEMENTS) { /* ScatterElements, Scatter */
        GLC_TRY(infer_check_in(g, n, 2, "updates", x->dtype, ix->rank, ix->dims,
                               "the shape of indices", d));
        GLC_TRY(scatter_reduction(g, n, &e->reduction, d));
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

/* ---- GatherND, ScatterND ---------------------------------------------------------------- */

glc_status glc_nd_geom_get(const glc_graph *g, const glc_node *n, glc_nd_geom *m, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *ix = glc_node_input(g, n, 1);
    const char *op = glc_op_name(n->op);
    char sx[SHAPE_BUF], si[SHAPE_BUF];
    infer_shape_str(x, sx);
    infer_shape_str(ix, si);
    memset(m, 0, sizeof *m);
    int64_t b = n->op == GLC_OP_GATHERND ? glc_attr_int(n, "batch_dims", 0) : 0;
    if (ix->rank < 1) return glc_diag_set(d, GLC_E_SHAPE, n, "%s: indices are a scalar", op);
    glc_dim kd = ix->dims[ix->rank - 1];
    if (n->op == GLC_OP_SCATTERND) { /* the ranks decide it: updates (q - 1 + r - k) */
        kd = ix->rank - 1 + x->rank - glc_node_input(g, n, 2)->rank;
        if (glc_dim_require_eq(g, ix->dims[ix->rank - 1], kd, n, "ScatterND: tuple length") !=
            GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "ScatterND: indices %s do not fit the ranks "
                                "of data and updates",
                                si);
    }
    if (glc_dim_is_sym(kd)) /* it decides GatherND's output rank */
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "%s: the last dim of indices %s must be a "
                            "constant; bind it with --dim or --shape",
                            op, si);
    int64_t k = kd;
    if (b < 0 || b >= ix->rank || b + k > x->rank || k < 1)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: indices %s (batch_dims %lld) do not index "
                            "data %s",
                            op, si, (long long)b, sx);
    for (int a = 0; a < b; a++)
        if (glc_dim_require_eq(g, x->dims[a], ix->dims[a], n, "batch dims") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n,
                                "%s: batch dims of indices %s and data %s "
                                "differ",
                                op, si, sx);
    m->k = (int)k;
    m->batch = glc_dim_prod(g, x->dims, 0, (int)b);
    m->nidx = glc_dim_prod(g, ix->dims, (int)b, ix->rank - 1);
    m->slice = glc_dim_prod(g, x->dims, (int)(b + k), x->rank);
    m->batch_stride = glc_dim_prod(g, x->dims, (int)b, x->rank);
    for (int j = 0; j < k; j++) {
        m->dims[j] = x->dims[b + j];
        m->st[j] = glc_dim_prod(g, x->dims, (int)b + j + 1, x->rank);
    }
    m->out_rank = ix->rank - 1 + x->rank - (int)(b + k);
    if (m->out_rank > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_LIMIT, n, "%s: output rank %d exceeds %d", op, m->out_rank,
                            GLC_MAX_RANK);
    int r = 0;
    for (int a = 0; a < ix->rank - 1; a++)
        m->out[r++] = ix->dims[a];
    for (int a = (int)(b + k); a < x->rank; a++)
        m->out[r++] = x->dims[a];
    if (n->op == GLC_OP_SCATTERND) {
        GLC_TRY(infer_check_in(g, n, 2, "updates", x->dtype, m->out_rank, m->out,
                               "indices' dims but the last, then data's after the tuple", d));
        GLC_TRY(scatter_reduction(g, n, &m->reduction, d));
    }
    return GLC_OK;
}

glc_status infer_nd(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_nd_geom m;
    GLC_TRY(glc_nd_geom_get(g, n, &m, d));
    if (n->op == GLC_OP_GATHERND)
        infer_set_out_k(g, n, 0, x->dtype, m.out_rank, m.out);
    else
        infer_set_out_k(g, n, 0, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

/* ---- OneHot, ReverseSequence ------------------------------------------------------------ */

glc_status glc_onehot_geom_get(const glc_graph *g, const glc_node *n, glc_onehot_geom *o,
                               glc_diag *d) {
    const glc_value *ix = glc_node_input(g, n, 0), *v = glc_node_input(g, n, 2);
    double depth;
    GLC_TRY(glc_static_scalar(g, n, 1, "depth", &depth, d));
    if (!(depth >= 1 && depth < 2147483648.0))
        return glc_diag_set(d, GLC_E_SHAPE, n, "OneHot: depth %g must be at least 1", depth);
    if (v->rank != 1 || glc_dim_require_eq(g, v->dims[0], 2, n, "OneHot: values") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n, "OneHot: values must hold 2 elements (off, on)");
    int axis, r = ix->rank + 1;
    int64_t ax = glc_attr_int(n, "axis", -1);
    if (r > GLC_MAX_RANK || !infer_norm_axis(ax, r, false, &axis))
        return glc_diag_set(d, GLC_E_SHAPE, n, "OneHot: axis %lld out of range for rank %d",
                            (long long)ax, r);
    o->depth = (int64_t)depth;
    o->outer = glc_dim_prod(g, ix->dims, 0, axis);
    o->inner = glc_dim_prod(g, ix->dims, axis, ix->rank);
    o->out_rank = r;
    for (int a = 0, j = 0; a < r; a++)
        o->out[a] = a == axis ? o->depth : ix->dims[j++];
    return GLC_OK;
}

glc_status infer_onehot(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_onehot_geom o;
    GLC_TRY(glc_onehot_geom_get(g, n, &o, d));
    GLC_TRY(infer_check_numel(n, o.out_rank, o.out, d));
    infer_set_out_k(g, n, 0, glc_node_input(g, n, 2)->dtype, o.out_rank, o.out);
    return GLC_OK;
}

glc_status glc_revseq_axes(const glc_graph *g, const glc_node *n, int *time_axis, int *batch_axis,
                           glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *l = glc_node_input(g, n, 1);
    int64_t ta = glc_attr_int(n, "time_axis", 0), ba = glc_attr_int(n, "batch_axis", 1);
    if (x->rank < 2 || !infer_norm_axis(ta, x->rank, false, time_axis) ||
        !infer_norm_axis(ba, x->rank, false, batch_axis) || *time_axis == *batch_axis ||
        *time_axis > 1 || *batch_axis > 1)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "ReverseSequence: time_axis %lld and batch_axis "
                            "%lld must be 0 and 1 (or 1 and 0)",
                            (long long)ta, (long long)ba);
    return infer_check_in(g, n, 1, "sequence_lens", l->dtype, 1, &x->dims[*batch_axis], "(batch)",
                          d);
}

glc_status infer_reversesequence(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    int ta, ba;
    GLC_TRY(glc_revseq_axes(g, n, &ta, &ba, d));
    infer_set_out_k(g, n, 0, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

/* ---- Trilu, EyeLike --------------------------------------------------------------- */

glc_status glc_diagonal_get(const glc_graph *g, const glc_node *n, glc_diagonal *t, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    bool eye = n->op == GLC_OP_EYELIKE;
    if (eye ? x->rank != 2 : x->rank < 2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input 0 %s must be %s", glc_op_name(n->op), s,
                            eye ? "2-D" : "at least 2-D");
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
        return glc_diag_set(d, GLC_E_LIMIT, n, "Range: (%g - %g) / %g elements is too many", v[1],
                            v[0], v[2]);
    *count = k > 0 ? (int64_t)k : 0;
    return GLC_OK;
}

glc_status infer_range(glc_graph *g, glc_node *n, glc_diag *d) {
    int64_t count;
    GLC_TRY(glc_range_count(g, n, &count, d));
    infer_set_out_k(g, n, 0, glc_node_input(g, n, 0)->dtype, 1, &count);
    return GLC_OK;
}

/* ---- Expand, Tile, DepthToSpace, SpaceToDepth ----------------------------------------- */

glc_status glc_expand_shape(const glc_graph *g, const glc_node *n, int *rank, glc_dim *dims,
                            glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *s = glc_node_input(g, n, 1);
    glc_dim want[GLC_MAX_RANK];
    int64_t k;
    if (s->rank != 1 || !infer_int_elems(s, want, GLC_MAX_RANK, &k)) {
        int64_t tmp[GLC_MAX_RANK];
        int cnt;
        GLC_TRY(glc_static_ints(g, n, 1, "shape", tmp, GLC_MAX_RANK, &cnt, d));
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Expand: shape must be 1-D with at most %d "
                            "entries",
                            GLC_MAX_RANK);
    }
    for (int64_t j = 0; j < k; j++)
        if (glc_dim_is_const(want[j]) && want[j] < 0)
            return glc_diag_set(d, GLC_E_SHAPE, n, "Expand: shape[%lld] is %lld", (long long)j,
                                (long long)want[j]);
    if (infer_broadcast(g, n, x->rank, x->dims, (int)k, want, rank, dims) != GLC_OK) {
        char sx[SHAPE_BUF];
        infer_shape_str(x, sx);
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Expand: input 0 %s does not broadcast to the "
                            "shape",
                            sx);
    }
    return GLC_OK;
}

glc_status infer_expand(glc_graph *g, glc_node *n, glc_diag *d) {
    int rank;
    glc_dim dims[GLC_MAX_RANK];
    GLC_TRY(glc_expand_shape(g, n, &rank, dims, d));
    GLC_TRY(infer_check_numel(n, rank, dims, d));
    infer_set_out_k(g, n, 0, glc_node_input(g, n, 0)->dtype, rank, dims);
    return GLC_OK;
}

/* Appends a loop of extent e (output stride os, input stride is); extent 1 is dropped. */
static bool add_loop(glc_restride *r, glc_dim e, glc_dim os, glc_dim is) {
    if (e == 1) return true;
    if (r->rank == GLC_MAX_RANK) return false;
    r->dims[r->rank] = e;
    r->ost[r->rank] = os;
    r->ist[r->rank++] = is;
    return true;
}

/* Tile's repeats: constants, or dims that shape inference computed from symbolic shapes
 * (Concat(Shape(x)[:1], [1, 1]) tiles a state over the batch). */
static glc_status tile_repeats(const glc_graph *g, const glc_node *n, glc_dim *rep, int *cnt,
                               glc_diag *d) {
    const glc_value *s = glc_node_input(g, n, 1);
    int64_t k;
    if (s && s->rank == 1 && infer_int_elems(s, rep, GLC_MAX_RANK, &k)) {
        *cnt = (int)k;
        return GLC_OK;
    }
    int64_t tmp[GLC_MAX_RANK];
    GLC_TRY(glc_static_ints(g, n, 1, "repeats", tmp, GLC_MAX_RANK, cnt, d));
    for (int a = 0; a < *cnt; a++)
        rep[a] = tmp[a];
    return GLC_OK;
}

static glc_status tile_get(const glc_graph *g, const glc_node *n, glc_restride *r, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_dim rep[GLC_MAX_RANK];
    int cnt;
    GLC_TRY(tile_repeats(g, n, rep, &cnt, d));
    if (cnt != x->rank)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Tile: %d repeats for an input of rank %d", cnt,
                            x->rank);
    glc_dim xs[GLC_MAX_RANK], os[GLC_MAX_RANK];
    r->out_rank = x->rank;
    for (int a = 0; a < x->rank; a++) {
        if (glc_dim_is_const(rep[a]) && (rep[a] < 0 || rep[a] > INT32_MAX))
            return glc_diag_set(d, GLC_E_SHAPE, n, "Tile: repeats[%d] is %lld", a,
                                (long long)rep[a]);
        r->out[a] = glc_dim_mul(g, x->dims[a], rep[a]);
    }
    glc_dim_strides(g, x->rank, x->dims, xs);
    glc_dim_strides(g, x->rank, r->out, os);
    for (int a = 0; a < x->rank; a++)
        if (!add_loop(r, rep[a], glc_dim_mul(g, x->dims[a], os[a]), 0) ||
            !add_loop(r, x->dims[a], os[a], xs[a]))
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "Tile: more than %d axes of it repeat",
                                GLC_MAX_RANK / 2);
    return GLC_OK;
}

/* DepthToSpace (N, C, H, W) -> (N, C/b^2, H*b, W*b); SpaceToDepth the inverse. */
static glc_status space_depth_get(const glc_graph *g, const glc_node *n, glc_restride *r,
                                  glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    int64_t b = glc_attr_int(n, "blocksize", 0);
    bool d2s = n->op == GLC_OP_DEPTHTOSPACE;
    if (x->rank != 4 || b < 1 || b > INT32_MAX)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: needs a 4-D input (got %s) and a blocksize "
                            ">= 1 (got %lld)",
                            glc_op_name(n->op), s, (long long)b);
    glc_dim N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3],
            HW = glc_dim_mul(g, H, W);
    glc_dim split = d2s ? C : H, part = glc_dim_floordiv(g, split, d2s ? b * b : b);
    glc_dim W2 = d2s ? W : glc_dim_floordiv(g, W, b);
    bool ok =
        glc_dim_require_eq(g, glc_dim_mul(g, part, d2s ? b * b : b), split, n,
                           "blocksize divides") == GLC_OK &&
        (d2s || glc_dim_require_eq(g, glc_dim_mul(g, W2, b), W, n, "blocksize divides") == GLC_OK);
    if (!ok)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: blocksize %lld does not divide input 0 %s",
                            glc_op_name(n->op), (long long)b, s);
    r->out_rank = 4;
    r->out[0] = N;
    glc_dim os[4];
    if (d2s) {
        const char *mode = glc_attr_string(n, "mode", "DCR");
        bool crd = !strcmp(mode, "CRD");
        if (!crd && strcmp(mode, "DCR"))
            return glc_diag_set(d, GLC_E_SHAPE, n, "DepthToSpace: mode '%s'; expected DCR or CRD",
                                mode);
        r->out[1] = part, r->out[2] = glc_dim_mul(g, H, b), r->out[3] = glc_dim_mul(g, W, b);
        glc_dim_strides(g, 4, r->out, os);
        /* x's channel: DCR (b1 * b + b2) * C' + c, CRD (c * b + b1) * b + b2 */
        glc_dim cHW = glc_dim_mul(g, part, HW);
        glc_dim cs = crd ? glc_dim_mul(g, HW, b * b) : HW;
        glc_dim b1s = crd ? glc_dim_mul(g, HW, b) : glc_dim_mul(g, cHW, b);
        glc_dim b2s = crd ? HW : cHW;
        add_loop(r, N, os[0], glc_dim_mul(g, C, HW));
        add_loop(r, part, os[1], cs);
        add_loop(r, H, glc_dim_mul(g, os[2], b), W);
        add_loop(r, b, os[2], b1s);
        add_loop(r, W, b, 1);
        add_loop(r, b, 1, b2s);
    } else {
        r->out[1] = glc_dim_mul(g, C, b * b), r->out[2] = part, r->out[3] = W2;
        glc_dim_strides(g, 4, r->out, os);
        /* y's channel: (b1 * b + b2) * C + c */
        add_loop(r, N, os[0], glc_dim_mul(g, C, HW));
        add_loop(r, b, glc_dim_mul(g, os[1], glc_dim_mul(g, C, b)), W);
        add_loop(r, b, glc_dim_mul(g, os[1], C), 1);
        add_loop(r, C, os[1], HW);
        add_loop(r, part, os[2], glc_dim_mul(g, W, b));
        add_loop(r, W2, 1, b);
    }
    return GLC_OK;
}

glc_status glc_restride_get(const glc_graph *g, const glc_node *n, glc_restride *r, glc_diag *d) {
    memset(r, 0, sizeof *r);
    if (n->op == GLC_OP_TILE) return tile_get(g, n, r, d);
    return space_depth_get(g, n, r, d); /* DepthToSpace, SpaceToDepth */
}

glc_status infer_restride(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_restride r;
    GLC_TRY(glc_restride_get(g, n, &r, d));
    GLC_TRY(infer_check_numel(n, r.out_rank, r.out, d));
    infer_set_out_k(g, n, 0, glc_node_input(g, n, 0)->dtype, r.out_rank, r.out);
    return GLC_OK;
}

/* ---- HannWindow, HammingWindow, BlackmanWindow ------------------------------------------- */

glc_status glc_window_get(const glc_graph *g, const glc_node *n, glc_window *w, glc_diag *d) {
    double size;
    GLC_TRY(glc_static_scalar(g, n, 0, "size", &size, d));
    if (!(size >= 0 && size < 2147483648.0))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: size %g", glc_op_name(n->op), size);
    w->size = (int64_t)size;
    w->denom = glc_attr_int(n, "periodic", 1) ? size : size - 1;
    w->dtype =
        glc_node_attr(n, "output_datatype") ? glc_attr_dtype(n, "output_datatype") : GLC_DT_F32;
    if (w->dtype != GLC_DT_F32 && w->dtype != GLC_DT_F64)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "%s: output_datatype %lld (f32 and f64 "
                            "are)",
                            glc_op_name(n->op), (long long)glc_attr_int(n, "output_datatype", 0));
    w->a2 = 0;
    if (n->op == GLC_OP_HANNWINDOW)
        w->a0 = 0.5, w->a1 = 0.5;
    else if (n->op == GLC_OP_HAMMINGWINDOW)
        w->a0 = 25.0 / 46, w->a1 = 21.0 / 46;
    else
        w->a0 = 0.42, w->a1 = 0.5, w->a2 = 0.08; /* Blackman */
    return GLC_OK;
}

glc_status infer_window(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_window w;
    GLC_TRY(glc_window_get(g, n, &w, d));
    infer_set_out_k(g, n, 0, w.dtype, 1, &w.size);
    return GLC_OK;
}

/* ---- Compress ------------------------------------------------------------------------- */

glc_status glc_compress_geom_get(const glc_graph *g, const glc_node *n, glc_compress_geom *m,
                                 glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *cv = glc_node_input(g, n, 1);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    if (cv->rank != 1 || cv->dtype != GLC_DT_BOOL)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Compress: condition must be a 1-D bool tensor");
    if (!cv->data)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "Compress: condition must be a constant "
                            "(it decides the output's shape); bind it with --bind");
    bool has_axis = glc_node_attr(n, "axis") != NULL;
    int axis = 0;
    int64_t ax = glc_attr_int(n, "axis", 0);
    if (has_axis && !infer_norm_axis(ax, x->rank, false, &axis))
        return glc_diag_set(d, GLC_E_SHAPE, n, "Compress: axis %lld out of range for input 0 %s",
                            (long long)ax, s);
    m->outer = has_axis ? glc_dim_prod(g, x->dims, 0, axis) : 1;
    m->dim = has_axis ? x->dims[axis] : glc_value_numel_dim(g, x);
    m->inner = has_axis ? glc_dim_prod(g, x->dims, axis + 1, x->rank) : 1;
    int64_t last = -1;
    m->len = cv->dims[0];
    m->cond = cv->data;
    m->count = 0;
    for (int64_t j = 0; j < m->len; j++)
        if (m->cond[j]) m->count++, last = j;
    if (glc_dim_require_ge(g, m->dim, last + 1, n, "Compress: condition") != GLC_OK)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "Compress: condition selects position %lld of "
                            "input 0 %s",
                            (long long)last, s);
    m->out_rank = has_axis ? x->rank : 1;
    for (int a = 0; a < m->out_rank; a++)
        m->out[a] = !has_axis || a == axis ? m->count : x->dims[a];
    return GLC_OK;
}

glc_status infer_compress(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_compress_geom m;
    GLC_TRY(glc_compress_geom_get(g, n, &m, d));
    infer_set_out_k(g, n, 0, glc_node_input(g, n, 0)->dtype, m.out_rank, m.out);
    return GLC_OK;
}

/* ---- NonZero ----------------------------------------------------------------------------- */

/* Element k of x is not zero (-0.0 and NaN: as C compares; f16/bf16 by their bits). */
static bool elem_nonzero(const glc_value *x, int64_t k) {
    size_t es = glc_dtype_size(x->dtype);
    const char *p = (const char *)x->data + (size_t)k * es;
    if (x->dtype == GLC_DT_F32) return *(const float *)p != 0;
    if (x->dtype == GLC_DT_F64) return *(const double *)p != 0;
    uint64_t u = 0;
    memcpy(&u, p, es);
    if (x->dtype == GLC_DT_F16 || x->dtype == GLC_DT_BF16) u &= 0x7fff; /* +-0 */
    return u != 0;
}

int64_t glc_nonzero_coords(const glc_value *x, int64_t *out) {
    int64_t total = glc_value_numel(x), count = 0, c[GLC_MAX_RANK];
    for (int64_t k = 0; k < total; k++)
        count += elem_nonzero(x, k);
    for (int64_t k = 0, j = 0; out && k < total; k++) {
        if (!elem_nonzero(x, k)) continue;
        int64_t rest = k;
        for (int a = x->rank - 1; a >= 0; a--) {
            c[a] = rest % x->dims[a];
            rest /= x->dims[a];
        }
        for (int a = 0; a < x->rank; a++)
            out[a * count + j] = c[a];
        j++;
    }
    return count;
}

glc_status infer_nonzero(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    if (!x->data)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "NonZero: its input must be a constant "
                            "(its values decide the output's shape); bind it with --bind");
    int64_t dims[2] = {x->rank, glc_nonzero_coords(x, NULL)};
    infer_set_out_k(g, n, 0, GLC_DT_I64, 2, dims);
    return GLC_OK;
}

/* ---- Unique ------------------------------------------------------------------------------ */

typedef struct uniq_view {
    const glc_value *x;
    const char *p;
    int64_t outer, D, inner;
    size_t es;
} uniq_view;

/* Element (o, j, i) of x as a double (-0 and 0 alike), or its bits in *bits. */
static double uniq_elem(const uniq_view *u, int64_t o, int64_t j, int64_t i, int64_t *bits) {
    size_t at = (size_t)((o * u->D + j) * u->inner + i) * u->es;
    uint64_t b = 0;
    memcpy(&b, u->p + at, u->es);
    glc_dtype dt = u->x->dtype;
    bool sgn = dt == GLC_DT_I8 || dt == GLC_DT_I16 || dt == GLC_DT_I32 || dt == GLC_DT_I64;
    if (sgn && u->es < 8 && (b >> (u->es * 8 - 1)) & 1) b |= ~(((uint64_t)1 << (u->es * 8)) - 1);
    *bits = (int64_t)b;
    float f;
    double v = 0;
    if (dt == GLC_DT_F32) memcpy(&f, u->p + at, 4), v = f;
    if (dt == GLC_DT_F64) memcpy(&v, u->p + at, 8);
    return v;
}

/* Slice a against slice b: -1, 0, 1 (lexicographic; integers by value, floats by value,
 * NaNs after everything, equal to each other). */
static int uniq_cmp(const uniq_view *u, int64_t a, int64_t b) {
    bool fl = glc_dtype_is_float(u->x->dtype);
    bool uns = u->x->dtype == GLC_DT_U8 || u->x->dtype == GLC_DT_U16 || u->x->dtype == GLC_DT_U32 ||
               u->x->dtype == GLC_DT_U64 || u->x->dtype == GLC_DT_BOOL;
    for (int64_t o = 0; o < u->outer; o++)
        for (int64_t i = 0; i < u->inner; i++) {
            int64_t ia, ib;
            double fa = uniq_elem(u, o, a, i, &ia), fb = uniq_elem(u, o, b, i, &ib);
            int c;
            if (fl) {
                bool na = fa != fa, nb = fb != fb;
                c = na || nb ? (int)na - (int)nb : (fa > fb) - (fa < fb);
            } else {
                c = uns ? ((uint64_t)ia > (uint64_t)ib) - ((uint64_t)ia < (uint64_t)ib)
                        : (ia > ib) - (ia < ib);
            }
            if (c) return c;
        }
    return 0;
}

int64_t glc_unique_compute(const glc_graph *g, const glc_node *n, const void *x, void *y,
                           int64_t *first, int64_t *inverse, int64_t *counts) {
    const glc_value *xv = glc_node_input(g, n, 0);
    uniq_view u = {.x = xv, .p = x, .es = glc_dtype_size(xv->dtype)};
    bool has_axis = glc_node_attr(n, "axis") != NULL;
    int axis = 0;
    if (has_axis && !infer_norm_axis(glc_attr_int(n, "axis", 0), xv->rank, false, &axis)) return -2;
    u.outer = has_axis ? glc_dim_prod(g, xv->dims, 0, axis) : 1;
    u.D = has_axis ? xv->dims[axis] : glc_value_numel(xv);
    u.inner = has_axis ? glc_dim_prod(g, xv->dims, axis + 1, xv->rank) : 1;
    int64_t *rep = malloc((size_t)(u.D ? u.D : 1) * 3 * sizeof *rep), k = 0;
    if (!rep) return -1;
    int64_t *cnt = rep + u.D, *inv = cnt + u.D;
    for (int64_t j = 0; j < u.D; j++) { /* distinct slices by first occurrence */
        int64_t q = 0;
        while (q < k && uniq_cmp(&u, rep[q], j) != 0)
            q++;
        if (q == k) rep[k] = j, cnt[k++] = 0;
        cnt[q]++;
        inv[j] = q;
    }
    if (glc_attr_int(n, "sorted", 1)) { /* insertion sort of rep (stable), remapping inv */
        int64_t *pos = malloc((size_t)(k ? k : 1) * 2 * sizeof *pos);
        if (!pos) {
            free(rep);
            return -1;
        }
        int64_t *ord = pos + k;
        for (int64_t q = 0; q < k; q++) {
            int64_t p = q;
            while (p > 0 && uniq_cmp(&u, rep[ord[p - 1]], rep[q]) > 0)
                ord[p] = ord[p - 1], p--;
            ord[p] = q;
        }
        for (int64_t q = 0; q < k; q++)
            pos[ord[q]] = q;
        int64_t *r2 = malloc((size_t)(k ? k : 1) * 2 * sizeof *r2);
        if (!r2) {
            free(pos);
            free(rep);
            return -1;
        }
        for (int64_t q = 0; q < k; q++)
            r2[q] = rep[ord[q]], r2[k + q] = cnt[ord[q]];
        memcpy(rep, r2, (size_t)k * sizeof *rep);
        memcpy(cnt, r2 + k, (size_t)k * sizeof *cnt);
        for (int64_t j = 0; j < u.D; j++)
            inv[j] = pos[inv[j]];
        free(r2);
        free(pos);
    }
    size_t blk = (size_t)u.inner * u.es;
    for (int64_t o = 0; y && o < u.outer; o++)
        for (int64_t q = 0; q < k; q++)
            memcpy((char *)y + (size_t)(o * k + q) * blk, u.p + (size_t)(o * u.D + rep[q]) * blk,
                   blk);
    for (int64_t q = 0; q < k; q++) {
        if (first) first[q] = rep[q];
        if (counts) counts[q] = cnt[q];
    }
    for (int64_t j = 0; inverse && j < u.D; j++)
        inverse[j] = inv[j];
    free(rep);
    return k;
}

glc_status infer_unique(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    if (!x->data)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "Unique: its input must be a constant "
                            "(its values decide the output's shape); bind it with --bind");
    int64_t k = glc_unique_compute(g, n, x->data, NULL, NULL, NULL, NULL);
    if (k == -2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "Unique: axis %lld out of range for rank %d",
                            (long long)glc_attr_int(n, "axis", 0), x->rank);
    if (k < 0) return glc_diag_set(d, GLC_E_NOMEM, n, "out of memory");
    bool has_axis = glc_node_attr(n, "axis") != NULL;
    int axis = 0;
    if (has_axis) infer_norm_axis(glc_attr_int(n, "axis", 0), x->rank, false, &axis);
    glc_dim dims[GLC_MAX_RANK], len = has_axis ? x->dims[axis] : glc_value_numel(x);
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = k;
    infer_set_out_k(g, n, 0, x->dtype, has_axis ? x->rank : 1, dims);
    infer_set_out_k(g, n, 1, GLC_DT_I64, 1, &k);
    infer_set_out_k(g, n, 2, GLC_DT_I64, 1, &len);
    infer_set_out_k(g, n, 3, GLC_DT_I64, 1, &k);
    return GLC_OK;
}
