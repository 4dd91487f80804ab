/*
 * zero_states.c -- initial states that are all zeros become absent inputs.
 *
 * ONNX defines an absent initial_h/initial_c of LSTM, GRU and RNN (and of ai.glc
 * ConvLSTM) as zeros, and exporters often build those zeros explicitly: PyTorch's
 * torch.onnx.export makes ConstantOfShape(Concat(..., Gather(Shape(x), batch), ...)) and
 * slices it per layer and direction. Such an input is dropped: the node then starts from
 * zeros without reading a buffer (which, with a symbolic batch, would be computed at run
 * time), and dce removes the producers nothing else reads.
 *
 * A value is zero when it is a constant of zeros, a ConstantOfShape of value 0, or the
 * result of a data movement (Identity, Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 * Slice, Gather, Split, Expand, Concat of all-zero inputs) of zero values (tf2onnx's zero
 * state with a symbolic batch is Expand(0.f, shape)).
 */
#include "passes.h"

#include <string.h>

static bool bytes_zero(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static bool is_zero(const glc_graph *g, glc_value_id v, int depth);

static bool node_zero(const glc_graph *g, const glc_node *n, int depth) {
    switch (n->op) {
    case GLC_OP_CONSTANTOFSHAPE: {
        glc_dtype dt;
        uint8_t val[8];
        glc_diag d;
        return glc_fill_value(n, &dt, val, &d) == GLC_OK && bytes_zero(val, sizeof val);
    }
    case GLC_OP_IDENTITY:
    case GLC_OP_RESHAPE:
    case GLC_OP_FLATTEN:
    case GLC_OP_SQUEEZE:
    case GLC_OP_UNSQUEEZE:
    case GLC_OP_TRANSPOSE:
    case GLC_OP_SLICE:
    case GLC_OP_GATHER:
    case GLC_OP_SPLIT:
    case GLC_OP_EXPAND:
        return is_zero(g, n->in[0], depth + 1);
    case GLC_OP_CONCAT:
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i] && !is_zero(g, n->in[i], depth + 1)) return false;
        return true;
    default:
        return false;
    }
}

static bool is_zero(const glc_graph *g, glc_value_id v, int depth) {
    if (!v || depth > 16) return false;
    const glc_value *val = &g->values[v];
    if (val->data) return bytes_zero(val->data, glc_value_nbytes(val));
    if (val->is_input || val->producer == GLC_NO_NODE) return false;
    const glc_node *p = &g->nodes[val->producer];
    return !p->dead && node_zero(g, p, depth);
}

/* Inputs that are initial states: (first, last) input index, or (0, -1) for none. */
static void state_inputs(glc_op op, int *first, int *last) {
    *first = 0, *last = -1;
    if (op == GLC_OP_LSTM || op == GLC_OP_CONVLSTM) *first = 5, *last = 6;
    if (op == GLC_OP_GRU || op == GLC_OP_RNN) *first = *last = 5;
}

glc_status glc_pass_zero_states(glc_graph *g, glc_pass_ctx *cx) {
    (void)cx;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        glc_node *n = &g->nodes[k];
        int first, last;
        state_inputs(n->op, &first, &last);
        for (int i = first; !n->dead && i <= last && i < n->n_in; i++)
            if (is_zero(g, n->in[i], 0)) n->in[i] = 0;
    }
    return GLC_OK;
}
