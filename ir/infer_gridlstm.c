/*
 * infer_gridlstm.c -- shape inference of glc.GridLSTM and glc_gridlstm_desc_read(), the one
 * place its attributes and input shapes are read and checked (gridlstm.h).
 *
 * Order of the checks (the first failure is reported):
 *   1. attributes that need no shapes: hidden_size and num_layers (required, >= 1), tied and
 *      priority (0 or 1), clip (> 0 if given);
 *   2. X: f32, rank 2 + K with K = 1 or 2; N, C and the grid S1..SK from it;
 *   3. W: [Lw, K+1, 4F, (K+1)F] with Lw = L, or 1 when tied;
 *   4. B: [Lw, K+1, 4F] if given;
 *   5. W_in: [F, C] if given; without it C must equal F;
 *   6. activations: one triple f, g, h (default Sigmoid, Tanh, Tanh) read with glc_acts_read.
 * Every message is one line naming the op and the input or attribute, with the expected and
 * the given shapes or values (the node name is added by glc_diag_set).
 *
 * Readings where the spec is silent (as the oracle, tests/fixtures/glc_ops/README.md):
 * activation_alpha, activation_beta and clip are accepted with their ConvLSTM/MDLSTM meaning.
 */
#include "gridlstm.h"
#include "ir.h"
#include "ir_impl.h"

#include <stdio.h>
#include <string.h>

static const char *const in_names[] = {"X", "W", "B", "W_in"};

#define OPN(n) glc_op_name((n)->op)

/* Input i must be absent or have dtype f32 and shape (rank, dims); `what` explains dims. */
static glc_status check_in(const glc_graph *g, const glc_node *n, int i, int rank,
                           const int64_t *dims, const char *what, glc_diag *d) {
    return infer_check_in(g, n, i, in_names[i], GLC_DT_F32, rank, dims, what, d);
}

/* A required int attribute >= 1. */
static glc_status read_count(const glc_node *n, const char *name, int64_t *out, glc_diag *d) {
    const glc_attr *a = glc_node_attr(n, name);
    if (!a || a->kind != GLC_ATTR_INT)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute %s (int) is required", OPN(n),
                            name);
    if (a->i < 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %s %lld; expected a value >= 1", OPN(n), name,
                            (long long)a->i);
    *out = a->i;
    return GLC_OK;
}

/* An optional 0/1 flag. */
static glc_status read_flag(const glc_node *n, const char *name, int64_t dflt, bool *out,
                            glc_diag *d) {
    int64_t v = glc_attr_int(n, name, dflt);
    if (v != 0 && v != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: %s %lld; expected 0 or 1", OPN(n), name,
                            (long long)v);
    *out = v != 0;
    return GLC_OK;
}

static glc_status read_attrs(const glc_node *n, glc_gridlstm_desc *r, glc_diag *d) {
    GLC_TRY(read_count(n, "hidden_size", &r->hidden, d));
    GLC_TRY(read_count(n, "num_layers", &r->layers, d));
    GLC_TRY(read_flag(n, "tied", 0, &r->tied, d));
    GLC_TRY(read_flag(n, "priority", 1, &r->priority, d));
    r->wlayers = r->tied ? 1 : r->layers;
    r->has_clip = glc_node_attr(n, "clip") != NULL;
    r->clip = glc_attr_float(n, "clip", 0.0f);
    if (r->has_clip && !(r->clip > 0.0f))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: clip %g; expected a positive value", OPN(n),
                            (double)r->clip);
    return GLC_OK;
}

/* N, C, K and the grid from X. */
static glc_status read_x(const glc_graph *g, const glc_node *n, glc_gridlstm_desc *r,
                         glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, GLC_GL_X);
    char s[SHAPE_BUF];
    if (!x) return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input X is required", OPN(n));
    infer_shape_str(x, s);
    if (x->rank != 3 && x->rank != 4)
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input X has shape %s; expected rank 3 or 4 ([N, C, S1..SK] "
                            "with K = 1 or 2 scanned axes), got K = %d",
                            OPN(n), s, x->rank - 2);
    if (x->dtype != GLC_DT_F32)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: input X is %s; only f32 is supported",
                            OPN(n), glc_dtype_name(x->dtype));
    r->k = x->rank - 2;
    GLC_TRY(infer_static_dims(g, n, x, 1, x->rank, "channels and grid dims", d));
    r->batch = x->dims[0];
    r->channels = x->dims[1];
    r->grid[0] = x->dims[2];
    r->grid[1] = r->k == 2 ? x->dims[3] : 1;
    r->grid_size = r->grid[0] * r->grid[1];
    return GLC_OK;
}

static glc_status check_inputs(const glc_graph *g, const glc_node *n, glc_gridlstm_desc *r,
                               glc_diag *d) {
    int64_t K1 = r->k + 1, F = r->hidden, C = r->channels;
    int64_t w[4] = {r->wlayers, K1, 4 * F, K1 * F}, b[3] = {r->wlayers, K1, 4 * F}, wi[2] = {F, C};
    char wdesc[96], bdesc[96];
    snprintf(wdesc, sizeof wdesc, "[Lw, K+1, 4F, (K+1)F] with Lw = %s%lld, K = %d, F = %lld",
             r->tied ? "1 (tied), L = " : "L = ", (long long)r->layers, r->k, (long long)F);
    snprintf(bdesc, sizeof bdesc, "[Lw, K+1, 4F] with Lw = %s%lld, K = %d, F = %lld",
             r->tied ? "1 (tied), L = " : "L = ", (long long)r->layers, r->k, (long long)F);
    if (!glc_node_input(g, n, GLC_GL_W))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input W is required", OPN(n));
    GLC_TRY(check_in(g, n, GLC_GL_W, 4, w, wdesc, d));
    GLC_TRY(check_in(g, n, GLC_GL_B, 3, b, bdesc, d));
    GLC_TRY(check_in(g, n, GLC_GL_W_IN, 2, wi, "[F, C] with F = hidden_size, C from X", d));
    r->has_w_in = glc_node_input(g, n, GLC_GL_W_IN) != NULL;
    if (!r->has_w_in && C != F) {
        char s[SHAPE_BUF];
        infer_shape_str(glc_node_input(g, n, GLC_GL_X), s);
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: input X has shape %s with C = %lld; expected C = hidden_size = "
                            "%lld when W_in is absent",
                            OPN(n), s, (long long)C, (long long)F);
    }
    return GLC_OK;
}

glc_status glc_gridlstm_desc_read(const glc_graph *g, const glc_node *n, glc_gridlstm_desc *r,
                                  glc_diag *d) {
    memset(r, 0, sizeof *r);
    GLC_TRY(read_attrs(n, r, d));
    GLC_TRY(read_x(g, n, r, d));
    GLC_TRY(check_inputs(g, n, r, d));
    static const glc_act_kind dflt[3] = {GLC_ACT_SIGMOID, GLC_ACT_TANH, GLC_ACT_TANH};
    return glc_acts_read(n, 3, dflt, r->acts, d);
}

glc_status infer_gridlstm(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_gridlstm_desc r;
    GLC_TRY(glc_gridlstm_desc_read(g, n, &r, d));
    const glc_value *x = glc_node_input(g, n, GLC_GL_X);
    int64_t y[4] = {r.batch, r.hidden, x->dims[2], r.k == 2 ? x->dims[3] : 0};
    GLC_TRY(infer_check_numel(n, 2 + r.k, y, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, 2 + r.k, y);
    return GLC_OK;
}
