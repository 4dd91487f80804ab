/*
 * hoist_loop_invariants.c -- move what does not change between iterations out of Loop
 * bodies (ir/loop.c's form: inputs (M, cond, v_initial[N], captured[C]), body inputs
 * (iter, cond, v_in[N], captured[C])).
 *
 * For each live Loop of g, until nothing changes:
 *   1. A carried value the body passes through unchanged (v_out k is v_in k) is captured
 *      instead: its body input moves to the captured ones, its body output goes, and the
 *      node's v_final k becomes Identity(v_initial k), appended after the Loop (exporters
 *      such as tf2onnx carry weights through their loops this way).
 *   2. A captured input that is a constant of g becomes a constant of the body (so the
 *      body's passes fold it, and pattern matchers see weights).
 *   3. A body node whose inputs are captured values, body constants or outputs of nodes
 *      hoisted before it, and at least one captured value (a node of constants alone is
 *      fold-constants' job), with no guards and no body, moves into g right before the
 *      Loop; its outputs become captured inputs of the body.
 *   Captured inputs the body no longer reads are dropped.
 * Once a body has changed, it (and each later Loop's) is compacted and folded: fold-constants
 * ran before these constants existed, and later passes (raise-recurrence's matcher first)
 * want what they feed folded.
 * Preconditions: shapes inferred (a hoisted node's outputs keep their shapes, which are
 * dims of the same root graph). Postconditions: the Loop computes what it did; its body's
 * inputs still match the node's (glc_loop_parts); nodes stay in topological order.
 */
#include "passes.h"

#include <stdlib.h>
#include <string.h>

#define MAX_IO 1024 /* inputs of a Loop, or of a body node, this pass handles */

static void move_last_to(glc_graph *g, glc_node_id at);

/* Replaces node n's inputs by in[0..n_in) (copied into g's arena). */
static glc_status set_inputs(glc_graph *g, glc_node *n, const glc_value_id *in, int n_in) {
    glc_value_id *p = glc_arena_memdup(&g->arena, in, (size_t)(n_in ? n_in : 1) * sizeof *in);
    if (!p) return GLC_E_NOMEM;
    n->in = p;
    n->n_in = (uint16_t)n_in;
    return GLC_OK;
}

static void remove_at(glc_value_id *a, uint32_t *n, uint32_t i) {
    memmove(a + i, a + i + 1, (*n - i - 1) * sizeof *a);
    (*n)--;
}

/* Moves body input i (a carried one) to the end: it becomes the last captured input. */
static glc_status carried_to_captured(glc_graph *g, glc_node_id lid, int k) {
    glc_node *n = &g->nodes[lid];
    glc_graph *b = n->body;
    glc_value_id v_init = n->in[2 + k], bin = b->inputs[2 + k], v_final = n->out[k];
    glc_value_id in[MAX_IO];
    int m = 0;
    for (int i = 0; i < n->n_in; i++)
        if (i != 2 + k) in[m++] = n->in[i];
    in[m++] = v_init;
    GLC_TRY(set_inputs(g, n, in, m));
    remove_at(b->inputs, &b->n_inputs, (uint32_t)(2 + k));
    b->inputs[b->n_inputs++] = bin;
    remove_at(b->outputs, &b->n_outputs, (uint32_t)(1 + k));
    for (int i = k; i + 1 < n->n_out; i++)
        n->out[i] = n->out[i + 1];
    n->n_out--;
    GLC_TRY(glc_node_set_int(g, lid, GLC_ATTR_LOOP_CARRIED,
                             glc_attr_int(n, GLC_ATTR_LOOP_CARRIED, 0) - 1));
    if (v_final) {
        glc_node_id id = glc_graph_add_node(g, GLC_OP_IDENTITY, g->nodes[lid].name, &v_init, 1,
                                            &v_final, 1);
        if (id == GLC_NO_NODE) return GLC_E_NOMEM;
        glc_node_copy_guards(&g->nodes[id], &g->nodes[lid]);
        move_last_to(g, lid + 1); /* before the Loop's users */
    }
    return GLC_OK;
}

/* Step 1 for one carried value, if it passes through. */
static glc_status pass_through(glc_graph *g, glc_node_id lid, bool *changed) {
    int nc, ns;
    GLC_TRY(glc_loop_parts(g, &g->nodes[lid], &nc, &ns, NULL));
    const glc_graph *b = g->nodes[lid].body;
    for (int k = 0; k < nc; k++)
        if (b->outputs[1 + k] == b->inputs[2 + k]) {
            *changed = true;
            return carried_to_captured(g, lid, k);
        }
    return GLC_OK;
}

/* Step 2 and the pruning: captured inputs that are constants of g, or unread. */
static glc_status fold_captures(glc_graph *g, glc_node_id lid, bool *changed) {
    int nc, ns;
    GLC_TRY(glc_loop_parts(g, &g->nodes[lid], &nc, &ns, NULL));
    glc_node *n = &g->nodes[lid];
    glc_graph *b = n->body;
    for (int i = n->n_in - 1; i >= 2 + nc; i--) {
        glc_value *bv = &b->values[b->inputs[i]];
        const glc_value *pv = &g->values[n->in[i]];
        bool read = bv->is_output;
        for (uint32_t j = 0; !read && j < b->n_nodes; j++)
            for (int q = 0; !b->nodes[j].dead && q < b->nodes[j].n_in; q++)
                read |= b->nodes[j].in[q] == b->inputs[i];
        if (read && !pv->data) continue;
        if (read) {
            bv->data = glc_arena_memdup(&b->arena, pv->data, glc_value_nbytes(pv));
            if (!bv->data) return GLC_E_NOMEM;
        }
        bv->is_input = false;
        remove_at(b->inputs, &b->n_inputs, (uint32_t)i);
        glc_value_id in[MAX_IO];
        memcpy(in, n->in, n->n_in * sizeof *in);
        uint32_t m = n->n_in;
        remove_at(in, &m, (uint32_t)i);
        GLC_TRY(set_inputs(g, n, in, (int)m));
        *changed = true;
    }
    return GLC_OK;
}

/* Whether body node j can run once, before the loop: see step 3. */
static bool invariant(const glc_graph *b, const glc_node *bn, int first_captured) {
    if (bn->dead || bn->n_guards || bn->body || bn->n_in > MAX_IO || bn->n_out > MAX_IO)
        return false;
    bool captured = false;
    for (int q = 0; q < bn->n_in; q++) {
        glc_value_id v = bn->in[q];
        if (!v || b->values[v].data) continue;
        bool is_captured = false;
        for (uint32_t i = (uint32_t)first_captured; i < b->n_inputs; i++)
            is_captured |= b->inputs[i] == v;
        if (!is_captured) return false;
        captured = true;
    }
    return captured;
}

/* g's value for body value v (a captured input or a constant), made if need be. */
static glc_value_id outer_value(glc_graph *g, const glc_node *n, const glc_graph *b,
                                glc_value_id v) {
    if (!v) return 0;
    for (uint32_t i = 2; i < b->n_inputs; i++)
        if (b->inputs[i] == v) return n->in[i];
    const glc_value *x = &b->values[v];
    return glc_graph_add_const(g, x->name, x->dtype, x->rank, x->dims, x->data);
}

/* Moves the last node of g to position at (before the Loop), renumbering producers. */
static void move_last_to(glc_graph *g, glc_node_id at) {
    glc_node last = g->nodes[g->n_nodes - 1];
    memmove(&g->nodes[at + 1], &g->nodes[at], (g->n_nodes - 1 - at) * sizeof last);
    g->nodes[at] = last;
    for (uint32_t k = at; k < g->n_nodes; k++)
        for (int i = 0; i < g->nodes[k].n_out; i++)
            if (g->nodes[k].out[i]) g->values[g->nodes[k].out[i]].producer = k;
}

/* Step 3 for body node j: a copy in g before the Loop, its outputs captured. */
static glc_status hoist_node(glc_graph *g, glc_node_id *lid, uint32_t j) {
    glc_node *n = &g->nodes[*lid];
    glc_graph *b = n->body;
    const glc_node *bn = &b->nodes[j];
    glc_value_id in[MAX_IO], out[MAX_IO];
    for (int q = 0; q < bn->n_in; q++)
        if (bn->in[q] && !(in[q] = outer_value(g, &g->nodes[*lid], b, bn->in[q])))
            return GLC_E_NOMEM;
        else if (!bn->in[q])
            in[q] = 0;
    for (int q = 0; q < bn->n_out; q++) {
        const glc_value *o = bn->out[q] ? &b->values[bn->out[q]] : NULL;
        const char *name = o && !glc_graph_find_value(g, o->name) ? o->name : NULL;
        out[q] = o ? glc_graph_add_value(g, name, o->dtype, o->rank, o->dims) : 0;
        if (o && !out[q]) return GLC_E_NOMEM;
    }
    glc_node_id id = glc_graph_add_node(g, bn->op, bn->name, in, bn->n_in, out, bn->n_out);
    if (id == GLC_NO_NODE) return GLC_E_NOMEM;
    for (int a = 0; a < bn->n_attrs; a++)
        GLC_TRY(glc_node_set_attr(g, id, &bn->attrs[a]));
    glc_node_copy_guards(&g->nodes[id], &g->nodes[*lid]);
    move_last_to(g, *lid);
    (*lid)++;
    n = &g->nodes[*lid];
    bn = &b->nodes[j];
    glc_value_id nin[MAX_IO];
    memcpy(nin, n->in, n->n_in * sizeof *nin);
    int m = n->n_in;
    for (int q = 0; q < bn->n_out; q++) {
        if (!bn->out[q]) continue;
        b->values[bn->out[q]].producer = GLC_NO_NODE;
        GLC_TRY(glc_graph_add_input(b, bn->out[q]));
        nin[m++] = out[q];
    }
    b->nodes[j].dead = true;
    return set_inputs(g, n, nin, m);
}

static glc_status hoist_nodes(glc_graph *g, glc_node_id *lid, bool *changed) {
    int nc, ns;
    GLC_TRY(glc_loop_parts(g, &g->nodes[*lid], &nc, &ns, NULL));
    glc_graph *b = g->nodes[*lid].body;
    for (uint32_t j = 0; j < b->n_nodes; j++) {
        if (!invariant(b, &b->nodes[j], 2 + nc) ||
            g->nodes[*lid].n_in + b->nodes[j].n_out > MAX_IO)
            continue;
        GLC_TRY(hoist_node(g, lid, j));
        *changed = true;
    }
    return GLC_OK;
}

glc_status glc_pass_hoist_loop_invariants(glc_graph *g, glc_pass_ctx *cx) {
    bool any = false;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        if (g->nodes[k].dead || g->nodes[k].op != GLC_OP_LOOP || g->nodes[k].n_in >= MAX_IO)
            continue;
        for (bool changed = true; changed;) {
            changed = false;
            glc_status s = pass_through(g, k, &changed);
            if (s == GLC_OK) s = fold_captures(g, k, &changed);
            if (s == GLC_OK) s = hoist_nodes(g, &k, &changed);
            if (s != GLC_OK)
                return glc_diag_set(cx->diag, s, &g->nodes[k], "hoist-loop-invariants: %s",
                                    s == GLC_E_NOMEM ? "out of memory" : "bad Loop");
            any |= changed;
        }
        if (!any) continue;
        GLC_TRY(glc_graph_compact(g->nodes[k].body));
        GLC_TRY(glc_pass_fold_constants(g->nodes[k].body, cx)); /* what the new constants feed */
    }
    return GLC_OK;
}
