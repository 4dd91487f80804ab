/*
 * verify.c -- the IR verifier: checks the structural invariants every pass relies on.
 *
 * One walk over the live nodes in order, with a "defined" bit per value. Graph inputs and
 * constants start defined; each live node must reference only defined values (so order is
 * topological), then defines its outputs. Checked: value/node ids in range, a valid op,
 * arity within glc_op_table (absent inputs only at optional positions, index >= in_min),
 * each value produced at most once and by the node its `producer` names, no live node
 * consuming a dead node's output, known dtypes and non-negative (or valid symbolic) dims
 * for every used value,
 * constants with data and no producer, graph inputs/outputs that exist and are defined, a
 * node's guards (run-time If) bools with one element defined before it.
 * Failures are GLC_E_INVALID_IR naming the node. The graph is not modified.
 */
#include "ir.h"
#include "ir_impl.h"

#include <stdlib.h>
#include <string.h>

static const char *vname(const glc_value *v) { return v->name ? v->name : ""; }

/* A used value must be typed and have non-negative dims. */
static glc_status check_value_shape(const glc_graph *g, const glc_node *n, glc_value_id id,
                                    glc_diag *d) {
    const glc_value *v = &g->values[id];
    if (v->dtype == GLC_DT_UNDEF || !glc_dtype_is_supported(v->dtype))
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "value %%%s has no known dtype", vname(v));
    if (v->rank > GLC_MAX_RANK)
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "value %%%s has rank %u", vname(v), v->rank);
    for (int k = 0; k < v->rank; k++) {
        if (glc_dim_is_sym(v->dims[k]) && !glc_dim_get_expr(g, v->dims[k]))
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "value %%%s has a bad symbolic dim %d",
                                vname(v), k);
        if (glc_dim_is_const(v->dims[k]) && v->dims[k] < 0)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "value %%%s has negative dim %d",
                                vname(v), k);
    }
    return GLC_OK;
}

static glc_status check_inputs(const glc_graph *g, const glc_node *n, const bool *defined,
                               glc_diag *d) {
    const glc_op_info *oi = &glc_op_table[n->op];
    for (int i = 0; i < n->n_in; i++) {
        glc_value_id id = n->in[i];
        if (id >= g->n_values)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "input %d: value id %u out of range", i,
                                id);
        if (id == 0) {
            if (i < oi->in_min)
                return glc_diag_set(d, GLC_E_INVALID_IR, n, "required input %d is absent", i);
            continue;
        }
        const glc_value *v = &g->values[id];
        if (v->producer != GLC_NO_NODE && v->producer < g->n_nodes &&
            g->nodes[v->producer].dead)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "input %d %%%s is produced by dead node '%s'",
                                i, vname(v), g->nodes[v->producer].name ? g->nodes[v->producer].name : "");
        if (!defined[id])
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "input %d %%%s is used before its definition",
                                i, vname(v));
        GLC_TRY(check_value_shape(g, n, id, d));
    }
    return GLC_OK;
}

static glc_status check_outputs(const glc_graph *g, glc_node_id nid, bool *defined, glc_diag *d) {
    const glc_node *n = &g->nodes[nid];
    for (int i = 0; i < n->n_out; i++) {
        glc_value_id id = n->out[i];
        if (id >= g->n_values)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "output %d: value id %u out of range", i,
                                id);
        if (id == 0) continue;
        const glc_value *v = &g->values[id];
        if (defined[id] || v->data || v->sdata || v->is_input)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "output %d %%%s is defined more than once",
                                i, vname(v));
        if (v->producer != nid)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "output %d %%%s names producer %u, not %u",
                                i, vname(v), v->producer, nid);
        defined[id] = true;
        GLC_TRY(check_value_shape(g, n, id, d));
    }
    return GLC_OK;
}

/* Each guard (run-time If) is a defined bool with one element. */
static glc_status check_guards(const glc_graph *g, const glc_node *n, const bool *defined,
                               glc_diag *d) {
    if (n->n_guards > GLC_MAX_GUARDS)
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "%u guards", n->n_guards);
    for (int k = 0; k < n->n_guards; k++) {
        glc_value_id id = n->guard[k];
        if (!id || id >= g->n_values || !defined[id])
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "guard %u is not defined before the node",
                                id);
        const glc_value *v = &g->values[id];
        if (v->dtype != GLC_DT_BOOL || glc_value_numel(v) != 1)
            return glc_diag_set(d, GLC_E_INVALID_IR, n, "guard %%%s is not a bool with one "
                                "element", vname(v));
    }
    return GLC_OK;
}

/* A Loop has a body whose parent is g, that fits its inputs and outputs and verifies;
 * no other node has one. */
static glc_status check_body(const glc_graph *g, const glc_node *n, glc_diag *d) {
    if (n->op != GLC_OP_LOOP) {
        if (n->body) return glc_diag_set(d, GLC_E_INVALID_IR, n, "a %s node has a body graph",
                                         glc_op_name(n->op));
        return GLC_OK;
    }
    int nc, ns;
    GLC_TRY(glc_loop_parts(g, n, &nc, &ns, d));
    if (n->body->parent != g)
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "the body's parent is not this graph");
    glc_status s = glc_graph_verify(n->body, d);
    if (s != GLC_OK && d && !strstr(d->msg, "(in the body of")) {
        char msg[2 * sizeof d->msg];
        snprintf(msg, sizeof msg, "%s (in the body of Loop '%.200s')", d->msg, n->name);
        memcpy(d->msg, msg, sizeof d->msg - 1);
        d->msg[sizeof d->msg - 1] = 0;
    }
    return s;
}

static glc_status check_node(const glc_graph *g, glc_node_id nid, bool *defined, glc_diag *d) {
    const glc_node *n = &g->nodes[nid];
    if (n->op <= GLC_OP_NONE || n->op >= GLC_OP_COUNT)
        return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "node '%s' has invalid op %d",
                            n->name ? n->name : "", (int)n->op);
    const glc_op_info *oi = &glc_op_table[n->op];
    if (n->n_in < oi->in_min || (oi->in_max != 255 && n->n_in > oi->in_max) ||
        n->n_out < oi->out_min || n->n_out > oi->out_max)
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "arity %u in / %u out outside %u..%u / %u..%u",
                            n->n_in, n->n_out, oi->in_min, oi->in_max, oi->out_min, oi->out_max);
    GLC_TRY(check_inputs(g, n, defined, d));
    GLC_TRY(check_guards(g, n, defined, d));
    GLC_TRY(check_body(g, n, d));
    return check_outputs(g, nid, defined, d);
}

/* Marks graph inputs and constants defined; checks constants. */
static glc_status seed_defined(const glc_graph *g, bool *defined, glc_diag *d) {
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        glc_value_id id = g->inputs[i];
        if (id == 0 || id >= g->n_values)
            return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "graph input %u: bad value id %u", i, id);
        if (g->values[id].producer != GLC_NO_NODE)
            return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "graph input %%%s is produced by a node",
                                vname(&g->values[id]));
        GLC_TRY(check_value_shape(g, NULL, id, d));
        defined[id] = true;
    }
    for (uint32_t id = 1; id < g->n_values; id++) {
        const glc_value *v = &g->values[id];
        if (!v->data && !v->sdata) continue;
        if (v->producer != GLC_NO_NODE)
            return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "constant %%%s is produced by a node",
                                vname(v));
        defined[id] = true;
    }
    return GLC_OK;
}

static glc_status check_graph_outputs(const glc_graph *g, const bool *defined, glc_diag *d) {
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        glc_value_id id = g->outputs[i];
        if (id == 0 || id >= g->n_values)
            return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "graph output %u: bad value id %u", i,
                                id);
        if (!defined[id])
            return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "graph output %%%s is never defined",
                                vname(&g->values[id]));
        GLC_TRY(check_value_shape(g, NULL, id, d));
    }
    return GLC_OK;
}

/* Each value is an output of at most one live node (checked before order, so the
 * second producer is the one named). `seen` is scratch, all false on entry. */
static glc_status check_single_producer(const glc_graph *g, bool *seen, glc_diag *d) {
    glc_status s = GLC_OK;
    for (uint32_t k = 0; s == GLC_OK && k < g->n_nodes; k++) {
        const glc_node *n = &g->nodes[k];
        for (int i = 0; !n->dead && s == GLC_OK && i < n->n_out; i++) {
            glc_value_id id = n->out[i];
            if (id == 0 || id >= g->n_values) continue; /* reported by check_outputs */
            if (seen[id])
                s = glc_diag_set(d, GLC_E_INVALID_IR, n, "output %d %%%s is produced more "
                                 "than once", i, vname(&g->values[id]));
            seen[id] = true;
        }
    }
    for (uint32_t id = 0; id < g->n_values; id++) seen[id] = false;
    return s;
}

glc_status glc_graph_verify(const glc_graph *g, glc_diag *d) {
    if (g->n_values == 0)
        return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "graph has no reserved value 0");
    bool *defined = calloc(g->n_values, sizeof *defined);
    if (!defined) return glc_diag_set(d, GLC_E_NOMEM, NULL, "verifier: out of memory");
    glc_status s = check_single_producer(g, defined, d);
    if (s == GLC_OK) s = seed_defined(g, defined, d);
    for (uint32_t i = 0; s == GLC_OK && i < g->n_nodes; i++)
        if (!g->nodes[i].dead) s = check_node(g, i, defined, d);
    if (s == GLC_OK) s = check_graph_outputs(g, defined, d);
    free(defined);
    return s;
}
