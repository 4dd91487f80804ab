/*
 * dce.c -- remove nodes whose outputs no graph output depends on.
 *
 * One backward sweep: nodes are in topological order, so walking them last to first
 * and marking the inputs of every live node finds all that is needed.
 */
#include "passes.h"

#include <stdlib.h>

glc_status glc_pass_dce(glc_graph *g, glc_pass_ctx *cx) {
    bool *needed = calloc(g->n_values, sizeof *needed);
    if (!needed) return glc_diag_set(cx->diag, GLC_E_NOMEM, NULL, "dce: out of memory");
    for (uint32_t i = 0; i < g->n_outputs; i++) needed[g->outputs[i]] = true;
    bool changed = false;
    for (glc_node_id k = g->n_nodes; k-- > 0;) {
        glc_node *n = &g->nodes[k];
        if (n->dead) continue;
        bool live = false;
        for (int i = 0; i < n->n_out; i++) live |= n->out[i] && needed[n->out[i]];
        if (!live) {
            n->dead = true;
            changed = true;
            continue;
        }
        for (int i = 0; i < n->n_in; i++) needed[n->in[i]] = true;
    }
    free(needed);
    return changed ? glc_graph_compact(g) : GLC_OK;
}
