/*
 * static_operands.c -- inputs that must be compile-time constants, and the folding of
 * the small subgraphs that compute them while shapes are inferred.
 *
 * glc compiles static shapes, so an operand that decides an output shape (Reshape's
 * shape, Slice's starts/ends/axes/steps, Split's split, Squeeze/Unsqueeze axes, Pad's
 * pads/axes and its constant, ReduceMean axes, Dropout's ratio and training_mode) must
 * be known when the node is inferred. glc_op_input_is_static() lists those slots.
 *
 * Exporters compute such operands at run time from shapes, e.g.
 *   x -> Shape -> Gather -> Unsqueeze -> Concat(.., const) -> Reshape(x, .)
 * glc_graph_static_values() marks every value a static slot depends on, walking the
 * (topologically ordered) nodes backwards: a value is needed if it feeds a static slot
 * or an input of a node with a needed output. Shape is the exception: it needs only its
 * input's shape, which is always static, so its input is not marked. While inferring,
 * infer_fold_static() evaluates each node with a needed output that can be evaluated
 * now (a Shape, or all inputs constant) with the reference interpreter, attaches the
 * small results (at most FOLD_MAX_ELEMS elements each) to its outputs as constants
 * (producer GLC_NO_NODE) and marks the node dead, as passes/fold_constants.c does. Only
 * needed values are folded, so the graph is otherwise left as imported; a folded value
 * may also be a graph output (the compiled model then copies the constant out).
 */
#include "ir.h"
#include "ir_impl.h"

#include <stdlib.h>

#define FOLD_MAX_ELEMS 4096

bool glc_op_input_is_static(glc_op op, int i) {
    switch (op) {
    case GLC_OP_RESHAPE:
    case GLC_OP_SPLIT:
    case GLC_OP_SQUEEZE:
    case GLC_OP_UNSQUEEZE:
    case GLC_OP_REDUCEMEAN:
        return i == 1;
    case GLC_OP_CONSTANTOFSHAPE:
        return i == 0;
    case GLC_OP_SLICE:
        return i >= 1 && i <= 4; /* starts, ends, axes, steps */
    case GLC_OP_PAD:
        return i >= 1 && i <= 3; /* pads, constant_value, axes */
    case GLC_OP_DROPOUT:
        return i == 1 || i == 2; /* ratio, training_mode */
    case GLC_OP_NONE:
    case GLC_OP_COUNT:
    case GLC_OP_IDENTITY:
    case GLC_OP_ADD:
    case GLC_OP_SUB:
    case GLC_OP_MUL:
    case GLC_OP_DIV:
    case GLC_OP_RELU:
    case GLC_OP_SIGMOID:
    case GLC_OP_TANH:
    case GLC_OP_SOFTMAX:
    case GLC_OP_GEMM:
    case GLC_OP_MATMUL:
    case GLC_OP_FLATTEN:
    case GLC_OP_TRANSPOSE:
    case GLC_OP_CONCAT:
    case GLC_OP_GATHER:
    case GLC_OP_SHAPE:
    case GLC_OP_CAST:
    case GLC_OP_CONV:
    case GLC_OP_BATCHNORM:
    case GLC_OP_LEAKYRELU:
    case GLC_OP_HARDSIGMOID:
    case GLC_OP_LOGSOFTMAX:
    case GLC_OP_MAXPOOL:
    case GLC_OP_AVERAGEPOOL:
    case GLC_OP_GLOBALAVERAGEPOOL:
    case GLC_OP_LSTM:
    case GLC_OP_GRU:
    case GLC_OP_RNN:
    case GLC_OP_CONVLSTM:
    case GLC_OP_MDLSTM:
    case GLC_OP_GRIDLSTM:
        return false;
    }
    return false;
}

void glc_graph_static_values(const glc_graph *g, bool *need) {
    for (uint32_t v = 0; v < g->n_values; v++)
        need[v] = false;
    for (uint32_t k = g->n_nodes; k-- > 0;) {
        const glc_node *n = &g->nodes[k];
        if (n->dead) continue;
        bool out_needed = false;
        for (int j = 0; j < n->n_out; j++)
            out_needed |= n->out[j] && n->out[j] < g->n_values && need[n->out[j]];
        for (int i = 0; i < n->n_in; i++) {
            glc_value_id v = n->in[i];
            if (!v || v >= g->n_values) continue;
            if ((out_needed && n->op != GLC_OP_SHAPE) || glc_op_input_is_static(n->op, i))
                need[v] = true;
        }
    }
}

/* Worth folding now: a needed output, inputs available, small typed outputs. */
static bool foldable(const glc_graph *g, const glc_node *n, const bool *need) {
    bool needed = false, any_in = false;
    for (int j = 0; j < n->n_out; j++) {
        if (!n->out[j]) continue;
        const glc_value *o = &g->values[n->out[j]];
        needed |= need[n->out[j]];
        if (glc_value_numel(o) > FOLD_MAX_ELEMS ||
            (o->dtype != GLC_DT_I64 && o->dtype != GLC_DT_I32 && o->dtype != GLC_DT_BOOL &&
             o->dtype != GLC_DT_F32))
            return false;
    }
    if (!needed) return false;
    if (n->op == GLC_OP_SHAPE) return true;
    for (int i = 0; i < n->n_in; i++) {
        if (!n->in[i]) continue;
        if (!g->values[n->in[i]].data) return false;
        any_in = true;
    }
    return any_in;
}

glc_status infer_fold_static(glc_graph *g, glc_node_id k, const bool *need, glc_diag *d) {
    glc_node *n = &g->nodes[k];
    if (!foldable(g, n, need)) return GLC_OK;
    const void *in[256] = {NULL};
    void *out[256] = {NULL};
    for (int i = 0; i < n->n_in && i < 256; i++)
        in[i] = n->in[i] ? g->values[n->in[i]].data : NULL;
    for (int j = 0; j < n->n_out && j < 256; j++) {
        if (!n->out[j]) continue;
        size_t nb = glc_value_nbytes(&g->values[n->out[j]]);
        if (!(out[j] = glc_arena_alloc(&g->arena, nb ? nb : 1)))
            return glc_diag_set(d, GLC_E_NOMEM, n, "%s: out of memory folding", glc_op_name(n->op));
    }
    glc_diag scratch = {0};
    glc_status s = glc_interp_node(g, n, in, out, &scratch);
    if (s == GLC_E_UNSUPPORTED) return GLC_OK; /* no kernel: the consumer will say why */
    if (s != GLC_OK) return glc_diag_set(d, s, n, "%s", scratch.msg);
    for (int j = 0; j < n->n_out; j++)
        if (n->out[j]) {
            g->values[n->out[j]].data = out[j];
            g->values[n->out[j]].producer = GLC_NO_NODE;
        }
    n->dead = true;
    return GLC_OK;
}
