/*
 * infer_rnn.c -- shape inference of the rnn family (LSTM, GRU, RNN) and
 * glc_rnn_desc_read(), the one place their attributes and input shapes are read (rnn.h).
 *
 * S, N, I come from X (layout-dependent), H from hidden_size or else from R's last dim;
 * every other input must then have exactly its ONNX shape (W (D,G*H,I), R (D,G*H,H),
 * B (D,2*G*H), sequence_lens (N) int32, initial_h/c (D,N,H) or (N,D,H), P (D,3*H)).
 * Activations are read with glc_acts_read (ONNX Runtime's alpha/beta consumption rule),
 * acts_per_dir names per direction, defaulting to LSTM Sigmoid,Tanh,Tanh / GRU Sigmoid,
 * Tanh / RNN Tanh.
 */
#include "ir.h"
#include "ir_impl.h"
#include "rnn.h"

#include <stdio.h>
#include <string.h>

static const char *const in_names[] = {"X",         "W",         "R", "B", "sequence_lens",
                                       "initial_h", "initial_c", "P"};

/* Input i must be absent or have dtype dt and shape (rank, dims). */
static glc_status check_in(const glc_graph *g, const glc_node *n, int i, glc_dtype dt, int rank,
                           const int64_t *dims, glc_diag *d) {
    return infer_check_in(g, n, i, in_names[i], dt, rank, dims, NULL, d);
}

static glc_status read_attrs(const glc_node *n, glc_rnn_desc *r, glc_diag *d) {
    const char *dir = glc_attr_string(n, "direction", "forward");
    if (!strcmp(dir, "forward"))
        r->direction = GLC_RNN_FORWARD;
    else if (!strcmp(dir, "reverse"))
        r->direction = GLC_RNN_REVERSE;
    else if (!strcmp(dir, "bidirectional"))
        r->direction = GLC_RNN_BIDIR;
    else
        return glc_diag_set(d, GLC_E_SHAPE, n,
                            "%s: direction '%s'; expected forward, reverse or bidirectional",
                            glc_op_name(n->op), dir);
    r->dirs = r->direction == GLC_RNN_BIDIR ? 2 : 1;
    int64_t layout = glc_attr_int(n, "layout", 0);
    if (layout != 0 && layout != 1)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: layout %lld; expected 0 or 1",
                            glc_op_name(n->op), (long long)layout);
    r->layout = (int)layout;
    r->has_clip = glc_node_attr(n, "clip") != NULL;
    r->clip = glc_attr_float(n, "clip", 0.0f);
    if (r->has_clip && !(r->clip > 0.0f))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: clip %g; expected a positive value",
                            glc_op_name(n->op), (double)r->clip);
    r->input_forget = n->op == GLC_OP_LSTM && glc_attr_int(n, "input_forget", 0) != 0;
    r->linear_before_reset = n->op == GLC_OP_GRU && glc_attr_int(n, "linear_before_reset", 0);
    static const glc_act_kind dflt[3][3] = {
        {GLC_ACT_SIGMOID, GLC_ACT_TANH, GLC_ACT_TANH}, /* LSTM f, g, h */
        {GLC_ACT_SIGMOID, GLC_ACT_TANH},               /* GRU f, g */
        {GLC_ACT_TANH},                                /* RNN f */
    };
    int which = n->op == GLC_OP_LSTM ? 0 : n->op == GLC_OP_GRU ? 1 : 2;
    r->acts_per_dir = 3 - which;
    glc_act_kind defaults[6];
    for (int k = 0; k < r->acts_per_dir * r->dirs; k++)
        defaults[k] = dflt[which][k % r->acts_per_dir];
    return glc_acts_read(n, r->acts_per_dir * r->dirs, defaults, r->acts, d);
}

/* S, N, I from X; H from hidden_size or R. */
static glc_status read_dims(const glc_graph *g, const glc_node *n, glc_rnn_desc *r, glc_diag *d) {
    const glc_value *x = glc_node_input(g, n, GLC_RNN_X), *rv = glc_node_input(g, n, GLC_RNN_R);
    char s[SHAPE_BUF];
    if (!x || x->rank != 3) {
        if (x) infer_shape_str(x, s);
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: input X has shape %s; expected rank 3",
                            glc_op_name(n->op), x ? s : "(absent)");
    }
    if (x->dtype != GLC_DT_F32)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: input X is %s; only f32 is supported",
                            glc_op_name(n->op), glc_dtype_name(x->dtype));
    r->seq = x->dims[r->layout ? 1 : 0];
    r->batch = x->dims[r->layout ? 0 : 1];
    r->input = x->dims[2];
    const glc_value *w = glc_node_input(g, n, GLC_RNN_W);
    if (glc_dim_is_sym(r->input) && w && w->rank == 3 && glc_dim_is_const(w->dims[2]))
        r->input = w->dims[2]; /* the weights' (check_inputs requires X's equal to it) */
    int64_t hs = glc_attr_int(n, "hidden_size", -1);
    if (hs < 0 && rv && rv->rank == 3 && glc_dim_is_const(rv->dims[2])) hs = rv->dims[2];
    if (hs <= 0)
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: hidden_size %lld; expected a positive value",
                            glc_op_name(n->op), (long long)hs);
    r->hidden = hs;
    return GLC_OK;
}

static glc_status check_inputs(const glc_graph *g, const glc_node *n, const glc_rnn_desc *r,
                               glc_diag *d) {
    glc_dim D = r->dirs, N = r->batch, H = r->hidden, GH = r->gates * r->hidden;
    glc_dim w[3] = {D, GH, r->input}, rr[3] = {D, GH, H}, b[2] = {D, 2 * GH}, sl[1] = {N};
    int64_t st[3] = {D, N, H}, p[2] = {D, 3 * H};
    if (r->layout) st[0] = N, st[1] = D;
    if (!glc_node_input(g, n, GLC_RNN_W) || !glc_node_input(g, n, GLC_RNN_R))
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: inputs W and R are required",
                            glc_op_name(n->op));
    GLC_TRY(check_in(g, n, GLC_RNN_W, GLC_DT_F32, 3, w, d));
    GLC_TRY(check_in(g, n, GLC_RNN_R, GLC_DT_F32, 3, rr, d));
    GLC_TRY(check_in(g, n, GLC_RNN_B, GLC_DT_F32, 2, b, d));
    GLC_TRY(check_in(g, n, GLC_RNN_SEQ_LENS, GLC_DT_I32, 1, sl, d));
    GLC_TRY(check_in(g, n, GLC_RNN_INIT_H, GLC_DT_F32, 3, st, d));
    if (r->op != GLC_OP_LSTM) return GLC_OK;
    GLC_TRY(check_in(g, n, GLC_RNN_INIT_C, GLC_DT_F32, 3, st, d));
    return check_in(g, n, GLC_RNN_P, GLC_DT_F32, 2, p, d);
}

glc_status glc_rnn_desc_read(const glc_graph *g, const glc_node *n, glc_rnn_desc *r, glc_diag *d) {
    memset(r, 0, sizeof *r);
    r->op = n->op;
    r->gates = n->op == GLC_OP_LSTM ? 4 : n->op == GLC_OP_GRU ? 3 : 1;
    GLC_TRY(read_attrs(n, r, d));
    GLC_TRY(read_dims(g, n, r, d));
    return check_inputs(g, n, r, d);
}

static glc_status infer_any(glc_graph *g, glc_node *n, glc_diag *d) {
    glc_rnn_desc r;
    GLC_TRY(glc_rnn_desc_read(g, n, &r, d));
    int64_t y[4] = {r.seq, r.dirs, r.batch, r.hidden}, st[3] = {r.dirs, r.batch, r.hidden};
    if (r.layout) {
        y[0] = r.batch, y[1] = r.seq, y[2] = r.dirs;
        st[0] = r.batch, st[1] = r.dirs;
    }
    GLC_TRY(infer_check_numel(n, 4, y, d));
    infer_set_out_k(g, n, 0, GLC_DT_F32, 4, y);
    infer_set_out_k(g, n, 1, GLC_DT_F32, 3, st);
    infer_set_out_k(g, n, 2, GLC_DT_F32, 3, st);
    return GLC_OK;
}

glc_status infer_lstm(glc_graph *g, glc_node *n, glc_diag *d) {
    return infer_any(g, n, d);
}

glc_status infer_gru(glc_graph *g, glc_node *n, glc_diag *d) {
    return infer_any(g, n, d);
}

glc_status infer_rnn(glc_graph *g, glc_node *n, glc_diag *d) {
    return infer_any(g, n, d);
}
