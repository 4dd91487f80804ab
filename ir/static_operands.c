/*
 * static_operands.c -- inputs that must be compile-time constants, and the folding of
 * the small subgraphs that compute them while shapes are inferred.
 *
 * glc compiles static shapes, so an operand that decides an output shape (Reshape's
 * shape, Slice's starts/ends/axes/steps, Split's split, Squeeze/Unsqueeze axes, Pad's
 * pads/axes and its constant, ReduceMean axes, Dropout's ratio and training_mode) must
 * be known when the node is inferred. ops.def names those slots (its static_inputs
 * column), glc_op_input_is_static() reads them.
 *
 * Exporters compute such operands at run time from shapes, e.g.
 *   x -> Shape -> Gather -> Unsqueeze -> Concat(.., const) -> Reshape(x, .)
 * glc_graph_static_values() marks every value a static slot depends on, walking the
 * (topologically ordered) nodes backwards: a value is needed if it feeds a static slot
 * or an input of a node with a needed output (or an input of a Loop that its body's static
 * operands need, through the body's input). Shape and Size are the exception: they need
 * only their input's shape, which is always known, so their input is not marked. While
 * inferring, infer_fold_static() evaluates each node with a needed output that can be
 * evaluated now (a Shape or Size, or all inputs constant) with the reference interpreter,
 * attaches the small results (at most FOLD_MAX_ELEMS elements each) to its outputs as
 * constants (producer GLC_NO_NODE) and marks the node dead, as passes/fold_constants.c
 * does. Only needed values are folded, so the graph is otherwise left as imported; a folded
 * value may also be a graph output (the compiled model then copies the constant out).
 */
#include "ir.h"
#include "ir_impl.h"

#include <stdlib.h>

#define FOLD_MAX_ELEMS 4096

bool glc_op_input_is_static(glc_op op, int i) {
    if ((int)op <= GLC_OP_NONE || op >= GLC_OP_COUNT || i < 0 || i >= 32) return false;
    return (glc_op_table[op].static_in >> i) & 1u;
}

void glc_graph_static_values(const glc_graph *g, bool *need) {
    for (uint32_t v = 0; v < g->n_values; v++)
        need[v] = false;
    static_values_from(g, need);
}

/* A Loop's inputs that its body's static operands need (lifted values: ir/loop.c). */
static void body_needs(const glc_node *n, bool *need) {
    const glc_graph *b = n->body;
    bool *bneed = calloc(b->n_values ? b->n_values : 1, sizeof *bneed);
    if (!bneed) return; /* then the body's shape rule says what is missing */
    glc_graph_static_values(b, bneed);
    for (uint32_t i = 0; i < b->n_inputs && i < n->n_in; i++)
        if (n->in[i] && bneed[b->inputs[i]]) need[n->in[i]] = true;
    free(bneed);
}

void static_values_from(const glc_graph *g, bool *need) {
    for (uint32_t k = g->n_nodes; k-- > 0;) {
        const glc_node *n = &g->nodes[k];
        if (n->dead) continue;
        if (n->body) body_needs(n, need);
        bool out_needed = false;
        for (int j = 0; j < n->n_out; j++)
            out_needed |= n->out[j] && n->out[j] < g->n_values && need[n->out[j]];
        for (int i = 0; i < n->n_in; i++) {
            glc_value_id v = n->in[i];
            if (!v || v >= g->n_values) continue;
            bool shape_only = n->op == GLC_OP_SHAPE || n->op == GLC_OP_SIZE;
            if ((out_needed && !shape_only) || glc_op_input_is_static(n->op, i))
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
    if (n->op == GLC_OP_SHAPE || n->op == GLC_OP_SIZE) return true;
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
