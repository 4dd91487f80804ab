/*
 * infer_mdlstm.c -- shape inference of glc.MDLSTM and glc_mdlstm_desc_read(), the one
 * place its attributes and input shapes are read (mdlstm.h).
 *
 * Order of the checks, each failing with one GLC_E_SHAPE line naming the op and the input
 * or attribute (and, for inputs, the given and the expected shape):
 *   X: rank 3..5 ([N, C, S1..SR], R = 1..3), f32 (else GLC_E_UNSUPPORTED);
 *   hidden_size (F): required, positive (the contract lists it with no default);
 *   directions (D): 1..2^R, default 1;
 *   cell: graves (default), stable (R = 2 only) or spatial; G = 3+R or 5;
 *   clip: positive if given; activations: one triple f, g, h (glc_acts_read, default
 *   Sigmoid, Tanh, Tanh);
 *   W, R required; P only with cell graves; then every input has exactly its shape:
 *   W (D,G*F,C), R (D,R,G*F,F), B (D,G*F), P (D,(2+R)*F) f32, extents (N,R) int64.
 * Output Y is (N, D, F, S1..SR). Extents values are runtime data: the interpreter checks
 * them (each in [0, S_d]).
 */
#include "ir.h"
#include "ir_impl.h"
#include "mdlstm.h"

#include <string.h>

static const char *const in_names[] = {"X", "W", "R", "B", "P", "extents"};

/* Input i must be absent or have dtype dt and shape (rank, dims). */
static glc_status check_in(const glc_graph *g, const glc_node *n, int i, glc_dtype dt, int rank,
                           const int64_t *dims, glc_diag *d) {
    return infer_check_in(g, n, i, in_names[i], dt, rank, dims, NULL, d);
}

/* An attribute given with another kind than `kind` is an error, not "absent". */
static glc_status check_kind(const glc_node *n, const char *name, glc_attr_kind kind,
                             const char *kind_name, glc_diag *d) {
    const glc_attr *a = glc_node_attr(n, name);
    if (!a || a->kind == kind) return GLC_OK;
    return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute %s must be %s", glc_op_name(n->op), name,
                        kind_name);
}

/* N, C, the grid and R from X. */
static glc_status read_x(const glc_graph *g, const glc_node *n, glc_mdlstm_desc *r, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, GLC_MD_X);
    char s[SHAPE_BUF];
    if (!x || x->rank < 3 || x->rank > 5) {
        if (x) infer_shape_str(x, s);
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input X has shape %s; expected [N, C, S1..SR] with spatial "
                            "rank R in 1..3",
                            glc_op_name(n->op), x ? s : "(absent)");
    }
    if (x->dtype != GLC_DT_F32)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: input X is %s; only f32 is supported",
                            glc_op_name(n->op), glc_dtype_name(x->dtype));
    GLC_TRY(infer_static_dims(g, n, x, 1, x->rank, "channels and spatial dims", d));
    r->rank = x->rank - 2;
    r->batch = x->dims[0];
    r->channels = x->dims[1];
    for (int s = 0; s < 3; s++)
        r->size[s] = s < 3 - r->rank ? 1 : x->dims[2 + s - (3 - r->rank)];
    r->npos = r->size[0] * r->size[1] * r->size[2];
    r->stride[2] = 1;
    r->stride[1] = r->size[2];
    r->stride[0] = r->size[1] * r->size[2];
    return GLC_OK;
}

static glc_status read_cell(const glc_node *n, glc_mdlstm_desc *r, glc_diag *d) {
    GLC_TRY(check_kind(n, "cell", GLC_ATTR_STRING, "a string", d));
    const char *cell = glc_attr_string(n, "cell", "graves");
    if (!strcmp(cell, "graves"))
        r->cell = GLC_MD_GRAVES;
    else if (!strcmp(cell, "stable"))
        r->cell = GLC_MD_STABLE;
    else if (!strcmp(cell, "spatial"))
        r->cell = GLC_MD_SPATIAL;
    else
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: cell '%s'; expected graves, stable or spatial",
                            glc_op_name(n->op), cell);
    if (r->cell == GLC_MD_STABLE && r->rank != 2)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: cell 'stable' needs spatial rank 2; input X has spatial rank %d",
                            glc_op_name(n->op), r->rank);
    r->gates = r->cell == GLC_MD_STABLE ? 5 : 3 + r->rank;
    return GLC_OK;
}

static glc_status read_attrs(const glc_node *n, glc_mdlstm_desc *r, glc_diag *d) {
    GLC_TRY(check_kind(n, "hidden_size", GLC_ATTR_INT, "an int", d));
    GLC_TRY(check_kind(n, "directions", GLC_ATTR_INT, "an int", d));
    GLC_TRY(check_kind(n, "clip", GLC_ATTR_FLOAT, "a float", d));
    if (!glc_node_attr(n, "hidden_size"))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute hidden_size is missing",
                            glc_op_name(n->op));
    int64_t hs = glc_attr_int(n, "hidden_size", 0);
    if (hs <= 0)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: hidden_size %lld; expected a positive value",
                            glc_op_name(n->op), (long long)hs);
    r->hidden = hs;
    int64_t dirs = glc_attr_int(n, "directions", 1), max = (int64_t)1 << r->rank;
    if (dirs < 1 || dirs > max)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: directions %lld; expected 1..%lld for spatial rank %d",
                            glc_op_name(n->op), (long long)dirs, (long long)max, r->rank);
    r->dirs = (int)dirs;
    GLC_TRY(read_cell(n, r, d));
    r->has_clip = glc_node_attr(n, "clip") != NULL;
    r->clip = glc_attr_float(n, "clip", 0.0f);
    if (r->has_clip && !(r->clip > 0.0f))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: clip %g; expected a positive value",
                            glc_op_name(n->op), (double)r->clip);
    static const glc_act_kind dflt[3] = {GLC_ACT_SIGMOID, GLC_ACT_TANH, GLC_ACT_TANH};
    return glc_acts_read(n, 3, dflt, r->acts, d);
}

static glc_status check_inputs(const glc_graph *g, const glc_node *n, const glc_mdlstm_desc *r,
                               glc_diag *d) {
    int64_t D = r->dirs, F = r->hidden, GF = r->gates * F;
    int64_t w[3] = {D, GF, r->channels}, rr[4] = {D, r->rank, GF, F}, b[2] = {D, GF};
    int64_t p[2] = {D, (2 + r->rank) * F}, ext[2] = {r->batch, r->rank};
    if (!glc_node_input(g, n, GLC_MD_W) || !glc_node_input(g, n, GLC_MD_R))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: inputs W and R are required",
                            glc_op_name(n->op));
    if (glc_node_input(g, n, GLC_MD_P) && r->cell != GLC_MD_GRAVES)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input P (peepholes) is given with cell '%s'; peepholes are "
                            "defined for cell 'graves' only",
                            glc_op_name(n->op), r->cell == GLC_MD_STABLE ? "stable" : "spatial");
    GLC_TRY(check_in(g, n, GLC_MD_W, GLC_DT_F32, 3, w, d));
    GLC_TRY(check_in(g, n, GLC_MD_R, GLC_DT_F32, 4, rr, d));
    GLC_TRY(check_in(g, n, GLC_MD_B, GLC_DT_F32, 2, b, d));
    GLC_TRY(check_in(g, n, GLC_MD_P, GLC_DT_F32, 2, p, d));
    return check_in(g, n, GLC_MD_EXTENTS, GLC_DT_I64, 2, ext, d);
}

glc_status glc_mdlstm_desc_read(const glc_graph *g, const glc_node *n, glc_mdlstm_desc *r,
                                glc_diag *d) {
    memset(r, 0, sizeof *r);
    GLC_TRY(read_x(g, n, r, d));
    GLC_TRY(read_attrs(n, r, d));
    return check_inputs(g, n, r, d);
}

glc_status infer_mdlstm(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_mdlstm_desc r;
    GLC_TRY(glc_mdlstm_desc_read(g, n, &r, d));
    const glc_value *x = glc_node_input(g, n, GLC_MD_X);
    int64_t y[6] = {r.batch, r.dirs, r.hidden};
    for (int k = 0; k < r.rank; k++)
        y[3 + k] = x->dims[2 + k];
    GLC_TRY(infer_check_numel(n, 3 + r.rank, y, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, 3 + r.rank, y);
    return GLC_OK;
}
