/*
 * eliminate_identity.c -- forward the input of Identity nodes (and inference-time
 * no-ops) to their users.
 *
 * An Identity whose output is a graph output is kept: the output needs its own
 * buffer and name. Every other use of its output is rewired to its input and the
 * node dies.
 */
#include "passes.h"

static void replace_uses(glc_graph *g, glc_value_id from, glc_value_id to) {
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        glc_node *n = &g->nodes[k];
        if (n->dead) continue;
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i] == from) n->in[i] = to;
        for (int i = 0; i < n->n_guards; i++)
            if (n->guard[i] == from) n->guard[i] = to;
    }
}

glc_status glc_pass_eliminate_identity(glc_graph *g, glc_pass_ctx *cx) {
    bool changed = false;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        glc_node *n = &g->nodes[k];
        if (n->dead || n->op != GLC_OP_IDENTITY || !n->out[0]) continue;
        if (g->values[n->out[0]].is_output) continue;
        replace_uses(g, n->out[0], n->in[0]);
        n->dead = true;
        changed = true;
    }
    return changed ? glc_graph_compact(g) : GLC_OK;
}
