/*
 * infer_norm.c -- shape inference of the normalisations (norm.h): LayerNormalization
 * (axis, epsilon, stash_type; optional outputs Mean and InvStdDev), InstanceNormalization,
 * MeanVarianceNormalization (axes), and their shared reader glc_norm_geom_get; Hardmax and
 * CumSum, TopK, which work along one axis (glc_axis_view_get); the losses
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (glc_loss_geom_get); LRN.
 *
 * y has x's shape. Scale and bias broadcast to x unidirectionally: LayerNormalization's
 * right-aligned against x's reduced (trailing) axes, InstanceNormalization's (C) along
 * axis 1. Errors: GLC_E_SHAPE naming the op and the operand; GLC_E_UNSUPPORTED for a
 * stash_type other than f32.
 */
#include "ir.h"
#include "ir_impl.h"
#include "norm.h"
#include "tensor.h"

#include <string.h>

/* Strides of v right-aligned against x's axes [lo, rank), 0 where v broadcasts (dim 1 or
 * missing); requires v's dims to be 1 or x's. */
static glc_status bcast_strides(const glc_graph *g, const glc_node *n, const glc_value *v,
                                const char *what, const glc_norm_geom *m, int lo, glc_dim *st,
                                glc_diag *d) {
    for (int a = 0; a < m->rank; a++)
        st[a] = 0;
    char s[SHAPE_BUF];
    infer_shape_str(v, s);
    if (v->rank > m->rank - lo)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %s %s has more axes than the normalised ones",
                            glc_op_name(n->op), what, s);
    glc_dim step = 1;
    for (int j = v->rank - 1; j >= 0; j--) {
        int a = m->rank - v->rank + j;
        if (v->dims[j] != 1) {
            if (glc_dim_require_eq(g, v->dims[j], m->dims[a], n, what) != GLC_OK)
                return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %s %s does not broadcast to axis %d",
                                    glc_op_name(n->op), what, s, a);
            st[a] = step;
        }
        step = glc_dim_mul(g, step, v->dims[j]);
    }
    return GLC_OK;
}

static glc_status layernorm_geom(const glc_graph *g, const glc_node *n, glc_norm_geom *m,
                                 glc_diag *d) {
    int axis;
    int64_t ax = glc_attr_int(n, "axis", -1);
    if (!infer_norm_axis(ax, m->rank, false, &axis))
        return glc_diag_set(d, GLC_E_SHAPE, n, "LayerNormalization: axis %lld out of range for "
                            "rank %d", (long long)ax, m->rank);
    int64_t stash = glc_attr_int(n, "stash_type", 1);
    if (stash != 1)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "LayerNormalization: stash_type %lld (only "
                            "1, f32)", (long long)stash);
    m->epsilon = glc_attr_float(n, "epsilon", 1e-5f);
    for (int a = 0; a < m->rank; a++)
        m->reduce[a] = a >= axis;
    GLC_TRY(bcast_strides(g, n, glc_node_input(g, n, 1), "Scale", m, axis, m->scale_st, d));
    if (m->has_bias)
        GLC_TRY(bcast_strides(g, n, glc_node_input(g, n, 2), "B", m, axis, m->bias_st, d));
    return GLC_OK;
}

static glc_status instancenorm_geom(const glc_graph *g, const glc_node *n, glc_norm_geom *m,
                                    glc_diag *d) {
    if (m->rank < 2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "InstanceNormalization: input must be (N, C, ...)");
    m->epsilon = glc_attr_float(n, "epsilon", 1e-5f);
    for (int a = 0; a < m->rank; a++) {
        m->reduce[a] = a >= 2;
        m->scale_st[a] = m->bias_st[a] = a == 1;
    }
    static const char *const names[2] = {"scale", "B"};
    for (int i = 1; i < 3; i++)
        GLC_TRY(infer_check_in(g, n, i, names[i - 1], glc_node_input(g, n, 0)->dtype, 1,
                               &m->dims[1], "(C)", d));
    return GLC_OK;
}

static glc_status mvn_geom(const glc_graph *g, const glc_node *n, glc_norm_geom *m,
                           glc_diag *d) {
    (void)g;
    static const int64_t dflt[3] = {0, 2, 3};
    uint32_t k = 3;
    const int64_t *axes = glc_attr_ints(n, "axes", &k);
    if (!axes) axes = dflt, k = 3;
    m->mvn = true;
    m->epsilon = 1e-9;
    for (uint32_t j = 0; j < k; j++) {
        int a;
        if (!infer_norm_axis(axes[j], m->rank, false, &a) || m->reduce[a])
            return glc_diag_set(d, GLC_E_SHAPE, n, "MeanVarianceNormalization: axis %lld is out "
                                "of range or repeated for rank %d", (long long)axes[j], m->rank);
        m->reduce[a] = true;
    }
    return GLC_OK;
}

glc_status glc_norm_geom_get(const glc_graph *g, const glc_node *n, glc_norm_geom *m,
                             glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    memset(m, 0, sizeof *m);
    m->rank = x->rank;
    memcpy(m->dims, x->dims, sizeof m->dims);
    m->has_scale = n->n_in > 1 && n->in[1];
    m->has_bias = n->n_in > 2 && n->in[2];
    if (n->op == GLC_OP_LAYERNORM)
        GLC_TRY(layernorm_geom(g, n, m, d));
    else if (n->op == GLC_OP_INSTANCENORM)
        GLC_TRY(instancenorm_geom(g, n, m, d));
    else /* MeanVarianceNormalization */
        GLC_TRY(mvn_geom(g, n, m, d));
    m->rows = m->count = 1;
    for (int a = 0; a < m->rank; a++) {
        if (m->reduce[a]) m->count = glc_dim_mul(g, m->count, m->dims[a]);
        else m->rows = glc_dim_mul(g, m->rows, m->dims[a]);
    }
    return GLC_OK;
}

glc_status infer_norm(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_norm_geom m;
    GLC_TRY(glc_norm_geom_get(g, n, &m, d));
    infer_set_out_k(g, n, 0, x->dtype, x->rank, x->dims);
    glc_dim stat[GLC_MAX_RANK]; /* Mean, InvStdDev: the reduced axes kept as 1 */
    for (int a = 0; a < x->rank; a++)
        stat[a] = m.reduce[a] ? 1 : x->dims[a];
    for (int k = 1; k < n->n_out; k++)
        infer_set_out_k(g, n, k, x->dtype, x->rank, stat);
    return GLC_OK;
}

/* ---- Hardmax, CumSum ------------------------------------------------------------------ */

glc_status glc_axis_view_get(const glc_graph *g, const glc_node *n, glc_axis_view *v,
                             glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    bool legacy = n->op == GLC_OP_HARDMAX && g->opset < 13;
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    int64_t ax = glc_attr_int(n, "axis", legacy ? 1 : -1);
    if (n->op == GLC_OP_CUMSUM) {
        int cnt;
        GLC_TRY(glc_static_ints(g, n, 1, "axis", &ax, 1, &cnt, d));
        if (cnt != 1) return glc_diag_set(d, GLC_E_SHAPE, n, "CumSum: axis must be one integer");
    }
    int a;
    if (x->rank == 0 || !infer_norm_axis(ax, x->rank, false, &a))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: axis %lld out of range for rank %d",
                            glc_op_name(n->op), (long long)ax, x->rank);
    v->outer = glc_dim_prod(g, x->dims, 0, a);
    v->dim = glc_dim_prod(g, x->dims, a, legacy ? x->rank : a + 1);
    v->inner = legacy ? 1 : glc_dim_prod(g, x->dims, a + 1, x->rank);
    v->reverse = glc_attr_int(n, "reverse", 0) != 0;
    v->exclusive = glc_attr_int(n, "exclusive", 0) != 0;
    v->axis = a;
    v->largest = glc_attr_int(n, "largest", 1) != 0;
    v->k = 0;
    if (n->op == GLC_OP_TOPK) {
        int cnt;
        GLC_TRY(glc_static_ints(g, n, 1, "K", &v->k, 1, &cnt, d));
        if (cnt != 1 || v->k < 0 || glc_dim_require_ge(g, v->dim, v->k, n, "TopK: k") != GLC_OK)
            return glc_diag_set(d, GLC_E_SHAPE, n, "TopK: K %lld does not fit axis %d of input 0 "
                                "%s", (long long)v->k, a, s);
    }
    return GLC_OK;
}

glc_status infer_along_axis(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(g, n, &v, d));
    infer_set_out_k(g, n, 0, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

glc_status infer_topk(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_axis_view v;
    GLC_TRY(glc_axis_view_get(g, n, &v, d));
    glc_dim dims[GLC_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[v.axis] = v.k;
    infer_set_out_k(g, n, 0, x->dtype, x->rank, dims);
    infer_set_out_k(g, n, 1, GLC_DT_I64, x->rank, dims);
    return GLC_OK;
}

/* ---- NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss -------------------------------- */

glc_status glc_loss_geom_get(const glc_graph *g, const glc_node *n, glc_loss_geom *l,
                             glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *t = glc_node_input(g, n, 1);
    const char *op = glc_op_name(n->op);
    char sx[SHAPE_BUF], st[SHAPE_BUF];
    infer_shape_str(x, sx);
    infer_shape_str(t, st);
    if (x->rank < 2)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input 0 %s must be (N, C, ...)", op, sx);
    glc_dim tdims[GLC_MAX_RANK];
    tdims[0] = x->dims[0];
    for (int a = 2; a < x->rank; a++)
        tdims[a - 1] = x->dims[a];
    GLC_TRY(infer_check_in(g, n, 1, "target", t->dtype, x->rank - 1, tdims, "(N, d...)", d));
    GLC_TRY(infer_check_in(g, n, 2, "weight", x->dtype, 1, &x->dims[1], "(C)", d));
    const char *r = glc_attr_string(n, "reduction", "mean");
    if (!strcmp(r, "none")) l->reduction = GLC_LOSS_NONE;
    else if (!strcmp(r, "sum")) l->reduction = GLC_LOSS_SUM;
    else if (!strcmp(r, "mean")) l->reduction = GLC_LOSS_MEAN;
    else
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: reduction '%s'; expected none, sum or mean",
                            op, r);
    l->N = x->dims[0];
    l->C = x->dims[1];
    l->inner = glc_dim_prod(g, x->dims, 2, x->rank);
    l->has_ignore = glc_node_attr(n, "ignore_index") != NULL;
    l->ignore_index = glc_attr_int(n, "ignore_index", 0);
    l->softmax = n->op == GLC_OP_SCELOSS;
    l->has_weight = n->n_in > 2 && n->in[2];
    return GLC_OK;
}

glc_status infer_loss(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0), *t = glc_node_input(g, n, 1);
    glc_loss_geom l;
    GLC_TRY(glc_loss_geom_get(g, n, &l, d));
    if (l.reduction == GLC_LOSS_NONE)
        infer_set_out_k(g, n, 0, x->dtype, t->rank, t->dims);
    else
        infer_set_out_k(g, n, 0, x->dtype, 0, NULL);
    infer_set_out_k(g, n, 1, x->dtype, x->rank, x->dims);
    return GLC_OK;
}

/* ---- LRN ------------------------------------------------------------------------------ */

glc_status glc_lrn_geom_get(const glc_graph *g, const glc_node *n, glc_lrn_geom *l, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    char s[SHAPE_BUF];
    infer_shape_str(x, s);
    l->size = glc_attr_int(n, "size", 0);
    if (x->rank < 2 || l->size < 1 || l->size > INT32_MAX)
        return glc_diag_set(d, GLC_E_SHAPE, n, "LRN: needs input (N, C, ...) (got %s) and a size "
                            ">= 1 (got %lld)", s, (long long)l->size);
    l->N = x->dims[0];
    l->C = x->dims[1];
    l->inner = glc_dim_prod(g, x->dims, 2, x->rank);
    l->alpha = glc_attr_float(n, "alpha", 1e-4f);
    l->beta = glc_attr_float(n, "beta", 0.75f);
    l->bias = glc_attr_float(n, "bias", 1.0f);
    return GLC_OK;
}

glc_status infer_lrn(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, 0);
    glc_lrn_geom l;
    GLC_TRY(glc_lrn_geom_get(g, n, &l, d));
    infer_set_out_k(g, n, 0, x->dtype, x->rank, x->dims);
    return GLC_OK;
}
