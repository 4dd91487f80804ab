/*
 * fold_constants.c -- evaluate nodes whose inputs are all constants.
 *
 * Preconditions: shapes inferred. For each live node in order whose every present
 * input is a constant (value->data set), run the reference interpreter's kernel for
 * it and turn each output into a constant value holding the result; the node dies.
 * Folding in order lets a chain (Shape -> Gather -> Concat -> Reshape) collapse in
 * one sweep. A node the interpreter cannot evaluate is left alone, as is a node
 * whose output is a graph output, and one whose outputs would take more than
 * FOLD_MAX_BYTES: a small constant expanded (Pad, Expand, Tile...) into a huge one is
 * cheaper to compute at run time than to allocate here and embed in the object, and a
 * crafted model cannot make the compiler allocate gigabytes this way.
 * Postconditions: no live node has only constant inputs (except those just named).
 */
#include "passes.h"

#include <stdlib.h>

enum { FOLD_MAX_BYTES = 64 << 20 };

static bool all_inputs_const(const glc_graph *g, const glc_node *n) {
    bool any = false;
    for (int i = 0; i < n->n_in; i++) {
        if (!n->in[i]) continue;
        if (!g->values[n->in[i]].data) return false;
        any = true;
    }
    return any;
}

static bool outputs_too_big(const glc_graph *g, const glc_node *n) {
    uint64_t total = 0;
    for (int i = 0; i < n->n_out; i++)
        if (n->out[i]) {
            uint64_t b = glc_value_nbytes(&g->values[n->out[i]]);
            if (b > FOLD_MAX_BYTES - total) return true;
            total += b;
        }
    return false;
}

static bool feeds_graph_output(const glc_graph *g, const glc_node *n) {
    for (int i = 0; i < n->n_out; i++)
        if (n->out[i] && g->values[n->out[i]].is_output) return true;
    return false;
}

/* Evaluates node k into arena-owned buffers and attaches them to its outputs. */
static glc_status fold(glc_graph *g, glc_node_id k, glc_diag *d) {
    glc_node *n = &g->nodes[k];
    const void **in = calloc(n->n_in ? n->n_in : 1, sizeof *in);
    void **out = calloc(n->n_out ? n->n_out : 1, sizeof *out);
    glc_status s = GLC_E_NOMEM;
    if (!in || !out) goto out;
    for (int i = 0; i < n->n_in; i++) in[i] = n->in[i] ? g->values[n->in[i]].data : NULL;
    for (int i = 0; i < n->n_out; i++)
        if (n->out[i]) {
            out[i] = glc_arena_alloc(&g->arena, glc_value_nbytes(&g->values[n->out[i]]));
            if (!out[i]) goto out;
        }
    glc_diag scratch = {0};
    s = glc_interp_node(g, n, in, out, &scratch);
    if (s == GLC_E_UNSUPPORTED) {
        s = GLC_OK; /* not foldable; keep the node */
        goto out;
    }
    if (s != GLC_OK) {
        *d = (glc_diag){.file = d->file, .pass = d->pass};
        glc_diag_set(d, s, n, "%s", scratch.msg);
        goto out;
    }
    for (int i = 0; i < n->n_out; i++)
        if (n->out[i]) {
            g->values[n->out[i]].data = out[i];
            g->values[n->out[i]].producer = GLC_NO_NODE;
        }
    n->dead = true;
out:
    free(in);
    free(out);
    return s;
}

glc_status glc_pass_fold_constants(glc_graph *g, glc_pass_ctx *cx) {
    bool changed = false;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        glc_node *n = &g->nodes[k];
        if (n->dead || !all_inputs_const(g, n) || feeds_graph_output(g, n) ||
            outputs_too_big(g, n))
            continue;
        GLC_TRY(fold(g, k, cx->diag));
        changed |= g->nodes[k].dead;
    }
    return changed ? glc_graph_compact(g) : GLC_OK;
}
