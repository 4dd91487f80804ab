/*
 * control.c -- the control-flow ops' shape rule and reference kernel: If.
 *
 * glc compiles an If only when its condition is known at compile time: the importer then
 * inlines the branch it selects (frontend/import_if.c), and no If reaches the graph. An If
 * node left in the graph is one whose condition the importer could not evaluate; it is kept
 * so that glc_graph_static_values names the condition's inputs (its one static slot: the
 * conformance runner binds them from its data), and its shape rule refuses it with what the
 * condition depends on:
 *   - graph inputs: bind them (`--bind NAME=FILE.npy`);
 *   - symbolic dims (a Shape of a symbolic value on the way): bind them (`--dim`, `--shape`);
 *   - otherwise a computation glc does not fold, named by its first node.
 * Run-time If (both branches compiled, one run) is not implemented: interp_if and lower_if
 * are never reached, since inference refuses the node first; they say so if called.
 */
#include "interp_impl.h"
#include "ir_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct cond_origin {
    glc_value_id input;  /* first graph input reached, or 0 */
    bool symbolic;       /* reached a shape tensor with symbolic dims */
    glc_value_id dims;   /* the first such tensor known as dims (sdata), or 0 */
    glc_node_id opaque;  /* first live node reached, or GLC_NO_NODE */
} cond_origin;

/* Walks back from v through live producers (depth first, each value once). */
static void find_origin(const glc_graph *g, glc_value_id v, bool *seen, cond_origin *o) {
    if (!v || v >= g->n_values || seen[v]) return;
    seen[v] = true;
    const glc_value *x = &g->values[v];
    if (x->sdata && !o->dims) o->dims = v;
    if (x->sdata || glc_dims_symbolic(x->rank, x->dims)) o->symbolic = true;
    if (x->data || x->sdata) return;
    if (x->is_input && !o->input) o->input = v;
    if (x->producer == GLC_NO_NODE || x->producer >= g->n_nodes) return;
    const glc_node *n = &g->nodes[x->producer];
    if (n->op == GLC_OP_SHAPE || n->op == GLC_OP_SIZE) {
        const glc_value *in = glc_node_input(g, n, 0);
        if (in && glc_dims_symbolic(in->rank, in->dims)) o->symbolic = true;
        return;
    }
    if (o->opaque == GLC_NO_NODE) o->opaque = x->producer;
    for (int i = 0; i < n->n_in; i++)
        find_origin(g, n->in[i], seen, o);
}

/* "'name' is [floor(input.1 / 4), 1]" (its first elements): a shape tensor's symbolic dims. */
static void dims_str(const glc_graph *g, glc_value_id id, char *buf, size_t len) {
    const glc_value *v = &g->values[id];
    int64_t n = glc_value_numel(v);
    size_t k = (size_t)snprintf(buf, len, "'%s' is [", v->name ? v->name : "");
    for (int64_t i = 0; i < n && i < 4 && k < len; i++) {
        char e[256];
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
                              glc_dim_str(g, v->sdata[i], e, sizeof e));
    }
    if (k < len) snprintf(buf + k, len - k, "%s]", n > 4 ? ", ..." : "");
}

glc_status infer_if(glc_graph *g, glc_node *n, glc_diag *d) {
    const glc_value *c = &g->values[n->in[0]];
    bool *seen = calloc(g->n_values ? g->n_values : 1, sizeof *seen);
    if (!seen) return glc_diag_set(d, GLC_E_NOMEM, n, "If: out of memory");
    cond_origin o = {.input = 0, .symbolic = false, .dims = 0, .opaque = GLC_NO_NODE};
    find_origin(g, n->in[0], seen, &o);
    free(seen);
    char why[700], dims[400] = "";
    if (o.dims) {
        dims[0] = ' ';
        dims[1] = '(';
        dims_str(g, o.dims, dims + 2, sizeof dims - 3);
        strcat(dims, ")");
    }
    if (o.input)
        snprintf(why, sizeof why, "it depends on graph input '%s': bind it with --bind %s=FILE.npy",
                 g->values[o.input].name, g->values[o.input].name);
    else if (o.symbolic)
        snprintf(why, sizeof why, "it depends on symbolic dims%s: bind them with --dim NAME=N or "
                 "--shape INPUT=D0xD1x...", dims);
    else if (o.opaque != GLC_NO_NODE)
        snprintf(why, sizeof why, "glc cannot evaluate node '%s' (%s) that computes it",
                 g->nodes[o.opaque].name ? g->nodes[o.opaque].name : "",
                 glc_op_name(g->nodes[o.opaque].op));
    else
        snprintf(why, sizeof why, "glc cannot evaluate it");
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "If: the condition '%s' is not known at compile "
                        "time (%s); glc compiles If only with a compile-time condition",
                        c->name ? c->name : "", why);
}

glc_status interp_if(const glc_graph *g, const glc_node *n, const void *const *in,
                     void *const *out, glc_diag *d) {
    (void)g;
    (void)in;
    (void)out;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "interpreter: If with a run-time condition");
}
