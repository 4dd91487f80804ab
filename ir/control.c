/*
 * control.c -- ONNX If: the op row's kernels, and what an If's condition depends on; and the
 * kernels of the com.microsoft contrib ops, which the importer replaces as it does If
 * (frontend/import_contrib.c).
 *
 * The importer replaces every If (frontend/import_if.c): by the branch its condition
 * selects when that is known at compile time, else by both branches, their nodes guarded
 * by the condition (glc_node.guard), and a Where per output. No If node reaches the graph;
 * the row exists so that the importer knows the op, and its kernels refuse if one does.
 *
 * glc_if_condition_origin says, for a diagnostic, what a condition not known at compile
 * time depends on, and so how to make it known:
 *   - graph inputs: bind them (`--bind NAME=FILE.npy`);
 *   - symbolic dims (a shape tensor with symbolic elements on the way, named with them):
 *     bind them (`--dim`, `--shape`);
 *   - otherwise a computation glc does not fold, named by its first node.
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

void glc_if_condition_origin(const glc_graph *g, glc_value_id cond, char *why, size_t len) {
    bool *seen = calloc(g->n_values ? g->n_values : 1, sizeof *seen);
    cond_origin o = {.input = 0, .symbolic = false, .dims = 0, .opaque = GLC_NO_NODE};
    if (seen) find_origin(g, cond, seen, &o);
    free(seen);
    char dims[400] = "";
    if (o.dims) {
        dims[0] = ' ';
        dims[1] = '(';
        dims_str(g, o.dims, dims + 2, sizeof dims - 3);
        strcat(dims, ")");
    }
    if (o.input)
        snprintf(why, len, "it depends on graph input '%s': bind it with --bind %s=FILE.npy",
                 g->values[o.input].name, g->values[o.input].name);
    else if (o.symbolic)
        snprintf(why, len, "it depends on symbolic dims%s: bind them with --dim NAME=N or "
                 "--shape INPUT=D0xD1x...", dims);
    else if (o.opaque != GLC_NO_NODE)
        snprintf(why, len, "glc cannot evaluate node '%s' (%s) that computes it",
                 g->nodes[o.opaque].name ? g->nodes[o.opaque].name : "",
                 glc_op_name(g->nodes[o.opaque].op));
    else
        snprintf(why, len, "glc cannot evaluate it");
}

glc_status infer_if(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_INVALID_IR, n, "If: an If node reached shape inference (the "
                        "importer replaces each by its branches)");
}

glc_status interp_if(const glc_graph *g, const glc_node *n, const void *const *in,
                     void *const *out, glc_diag *d) {
    (void)g;
    (void)in;
    (void)out;
    return glc_diag_set(d, GLC_E_INVALID_IR, n, "interpreter: an If node (the importer replaces "
                        "each by its branches)");
}

glc_status infer_contrib(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_INVALID_IR, n, "%s: a com.microsoft node reached shape "
                        "inference (the importer replaces each by ONNX ops)", glc_op_name(n->op));
}

glc_status interp_contrib(const glc_graph *g, const glc_node *n, const void *const *in,
                          void *const *out, glc_diag *d) {
    (void)g;
    (void)in;
    (void)out;
    return glc_diag_set(d, GLC_E_INVALID_IR, n, "interpreter: a %s node (the importer replaces "
                        "each by ONNX ops)", glc_op_name(n->op));
}
