/*
 * lower.c -- per-node dispatch and the helpers shared by the lower_*.c files.
 *
 * cg_lower_node() switches on n->op with no `default:` (-Werror=switch lists any op
 * added to ops.def without a lowering). Kernel signature: one pointer per output, then
 * one per input (NULL for an absent optional input), all noalias; then, only for a node
 * whose cg_node_scratch_bytes() is non-zero, a pointer to that much workspace scratch.
 */
#include "cg_impl.h"

/* Ops whose lowering handles symbolic dims (cg_dim); the others refuse them. */
static const bool symbolic_ok[GLC_OP_COUNT] = {
    [GLC_OP_IDENTITY] = true, [GLC_OP_RESHAPE] = true, [GLC_OP_FLATTEN] = true,
    [GLC_OP_ADD] = true,      [GLC_OP_SUB] = true,     [GLC_OP_MUL] = true,
    [GLC_OP_DIV] = true,      [GLC_OP_RELU] = true,    [GLC_OP_SIGMOID] = true,
    [GLC_OP_TANH] = true,     [GLC_OP_SOFTMAX] = true, [GLC_OP_GEMM] = true,
    [GLC_OP_MATMUL] = true,   [GLC_OP_LSTM] = true,    [GLC_OP_GRU] = true,
    [GLC_OP_RNN] = true,      [GLC_OP_MDLSTM] = true,  [GLC_OP_GRIDLSTM] = true,
};

static bool has_symbolic_dims(const cg_ctx *c, const glc_node *n) {
    for (int i = 0; i < n->n_in; i++) {
        const glc_value *v = glc_node_input(c->g, n, i);
        if (v && (v->sdata || glc_dims_symbolic(v->rank, v->dims))) return true;
    }
    for (int i = 0; i < n->n_out; i++) {
        const glc_value *v = n->out[i] ? &c->g->values[n->out[i]] : NULL;
        if (v && glc_dims_symbolic(v->rank, v->dims)) return true;
    }
    return false;
}

glc_status cg_lower_node(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    if (!symbolic_ok[n->op] && has_symbolic_dims(c, n))
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "code generation for %s with symbolic "
                            "dims is not supported yet; bind them with --dim NAME=N or --shape",
                            glc_op_name(n->op));
    switch (n->op) {
    case GLC_OP_NONE:
    case GLC_OP_COUNT:
        break;
    case GLC_OP_IDENTITY:
    case GLC_OP_RESHAPE:
    case GLC_OP_FLATTEN:
        return lower_copy(c, n, fn);
    case GLC_OP_ADD:
    case GLC_OP_SUB:
    case GLC_OP_MUL:
    case GLC_OP_DIV:
        return lower_binary(c, n, fn);
    case GLC_OP_RELU:
    case GLC_OP_SIGMOID:
    case GLC_OP_TANH:
        return lower_unary(c, n, fn);
    case GLC_OP_SOFTMAX:
        return lower_softmax(c, n, fn);
    case GLC_OP_GEMM:
        return lower_gemm(c, n, fn);
    case GLC_OP_MATMUL:
        return lower_matmul(c, n, fn);
    case GLC_OP_TRANSPOSE:
        return lower_transpose(c, n, fn);
    case GLC_OP_CONCAT:
        return lower_concat(c, n, fn);
    case GLC_OP_SPLIT:
    case GLC_OP_SLICE:
    case GLC_OP_SQUEEZE:
    case GLC_OP_UNSQUEEZE:
    case GLC_OP_GATHER:
    case GLC_OP_SHAPE:
    case GLC_OP_CAST:
    case GLC_OP_DROPOUT:
    case GLC_OP_PAD:
    case GLC_OP_REDUCEMEAN:
        return lower_tensor(c, n, fn);
    case GLC_OP_CONV:
    case GLC_OP_BATCHNORM:
    case GLC_OP_LEAKYRELU:
    case GLC_OP_HARDSIGMOID:
    case GLC_OP_LOGSOFTMAX:
        return lower_nn(c, n, fn);
    case GLC_OP_MAXPOOL:
    case GLC_OP_AVERAGEPOOL:
    case GLC_OP_GLOBALAVERAGEPOOL:
        return lower_pool(c, n, fn);
    case GLC_OP_LSTM:
    case GLC_OP_GRU:
    case GLC_OP_RNN:
        return lower_rnn(c, n, fn);
    case GLC_OP_CONVLSTM:
        return lower_convlstm(c, n, fn);
    case GLC_OP_MDLSTM:
        return lower_mdlstm(c, n, fn);
    case GLC_OP_GRIDLSTM:
        return lower_gridlstm(c, n, fn);
    }
    return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "no code generation for this op");
}

/* An op that wants workspace scratch gets a case here naming its family's function,
 * e.g. `case GLC_OP_CONVLSTM: return lower_convlstm_scratch(c, n);`. */
glc_dim cg_node_scratch_bytes(const cg_ctx *c, const glc_node *n) {
    (void)c;
    switch (n->op) {
    case GLC_OP_MDLSTM:
        return lower_mdlstm_scratch(c, n);
    case GLC_OP_CONVLSTM:
        return (glc_dim)lower_convlstm_scratch(c, n);
    case GLC_OP_LSTM:
    case GLC_OP_GRU:
    case GLC_OP_RNN:
        return lower_rnn_scratch(c, n);
    case GLC_OP_GRIDLSTM:
        return lower_gridlstm_scratch(c, n);
    case GLC_OP_CONV:
        return (glc_dim)lower_nn_scratch(c, n);
    default:
        return 0; /* every other op keeps its temporaries in registers or small allocas */
    }
}
