/*
 * import_if.c -- ONNX If: the branch its condition selects, inlined at import.
 *
 * glc compiles an If whose condition is known at compile time: a constant, a graph input
 * bound with --bind, or a value computed from those and from static shapes (exporters
 * write `Equal(Gather(Shape(x), -1), 1)`, `Equal(sr, 16000)`). The importer emits nodes in
 * topological order; when it reaches an If it infers the shapes of the graph built so far,
 * folding the nodes that compute the condition into a constant (glc_infer_shapes_folding,
 * the folding shape inference does for Reshape's shape), and if the condition is then
 * known, imports the selected branch in place of the If:
 *   - the branch is a scope (a fe_import with `outer` set): its initializers and nodes are
 *     added to the graph, its names resolve to its own values first, then to the enclosing
 *     scopes' (outer-scope references are the parent's values);
 *   - its values keep their names unless the graph has one already (two If nodes whose
 *     branches both define 'res'): then `name~K` (fe_value_name);
 *   - each If output becomes an Identity of the branch output (eliminate-identity drops it);
 *   - an If inside the branch takes this same path when the importer reaches it, with the
 *     branch's nodes so far in the graph, so nested conditions on shapes fold too.
 * The branch not taken is never imported: its operators need not be supported.
 *
 * When the condition is not known (or with skip_infer, when it is not a constant already),
 * the If stays one node (GLC_OP_IF, the condition in its one static slot): then
 * glc_graph_static_values names the inputs it needs, and shape inference refuses it with
 * what the condition depends on (ir/control.c). Run-time If is not implemented.
 *
 * Not handled: a branch that refers to a value of the enclosing graph that a later node (in
 * file order) produces, when the file is not topologically sorted: the sort (import_nodes.c)
 * follows a node's inputs, not the names its branches use.
 */
#include "frontend_impl.h"

#include <stdlib.h>
#include <string.h>

/* The graph of np's attribute `name`, or NULL. */
static const Onnx__GraphProto *branch_of(const Onnx__NodeProto *np, const char *name) {
    for (size_t k = 0; k < np->n_attribute; k++) {
        const Onnx__AttributeProto *a = np->attribute[k];
        if (a->name && !strcmp(a->name, name) &&
            (!a->has_type || a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH))
            return a->g;
    }
    return NULL;
}

/* *known: the condition (value c) is a constant now, folded if need be; *cond its value. */
static glc_status condition(fe_import *im, const Onnx__NodeProto *np, size_t idx, glc_value_id c,
                            bool *known, bool *cond) {
    *known = false;
    if (!im->g->values[c].data && !im->opt->skip_infer)
        GLC_TRY(glc_infer_shapes_folding(im->g, c, im->d));
    const glc_value *v = &im->g->values[c];
    if (!v->data) return GLC_OK;
    if (v->dtype != GLC_DT_BOOL || glc_value_numel(v) != 1) {
        char s[160];
        glc_value_shape_str(im->g, v, s, sizeof s);
        return fe_node_err(im->d, GLC_E_SHAPE, np, idx, "If: the condition '%s' is %s; expected "
                           "a bool with one element", v->name ? v->name : "", s);
    }
    *known = true;
    *cond = *(const uint8_t *)v->data != 0;
    return GLC_OK;
}

/* The If node itself, for a condition not known now. */
static glc_status keep_if(fe_import *im, const Onnx__NodeProto *np, glc_value_id c) {
    glc_value_id *out = malloc((np->n_output + 1) * sizeof *out);
    if (!out) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_status s = fe_node_outputs(im, np, out);
    if (s == GLC_OK &&
        glc_graph_add_node(im->g, GLC_OP_IF, np->name, &c, 1, out, (int)np->n_output) ==
            GLC_NO_NODE)
        s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    free(out);
    return s;
}

/* Each requested If output, defined in im, as an Identity of the branch's output k. */
static glc_status bind_outputs(fe_import *im, const fe_import *br, const Onnx__NodeProto *np,
                               size_t idx) {
    glc_value_id *out = malloc((np->n_output + 1) * sizeof *out);
    if (!out) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_status s = fe_node_outputs(im, np, out);
    for (size_t k = 0; k < np->n_output && s == GLC_OK; k++) {
        const char *name = br->gp->output[k]->name ? br->gp->output[k]->name : "";
        uint32_t src;
        if (!out[k]) continue;
        if (!fe_lookup(br, name, &src))
            s = fe_node_err(im->d, GLC_E_PARSE, np, idx, "If: branch output '%s' is not defined",
                            name);
        else if (glc_graph_add_node(im->g, GLC_OP_IDENTITY, np->name, &src, 1, &out[k], 1) ==
                 GLC_NO_NODE)
            s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    free(out);
    return s;
}

/* The branch body's initializers and nodes into the graph, in a scope of its own. */
static glc_status inline_branch(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                                const Onnx__GraphProto *body, const char *which) {
    if (body->n_input)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If: %s has %zu inputs; a branch takes "
                           "none", which, body->n_input);
    if (body->n_output != np->n_output)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If: %s has %zu outputs; the node has "
                           "%zu", which, body->n_output, np->n_output);
    if (body->n_sparse_initializer)
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "If: %s has sparse initializers",
                           which);
    fe_import br = *im;
    br.gp = body;
    br.outer = im;
    if (!fe_names_init(&br.values, fe_count_names(body))) {
        fe_names_fini(&br.values);
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    glc_status s = GLC_OK;
    for (size_t i = 0; i < body->n_initializer && s == GLC_OK; i++)
        s = fe_read_initializer(&br, body->initializer[i]);
    if (s == GLC_OK) s = fe_import_nodes(&br);
    if (s == GLC_OK) s = bind_outputs(im, &br, np, idx);
    fe_names_fini(&br.values);
    return s;
}

glc_status fe_emit_if(fe_import *im, size_t idx) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    uint32_t c = 0;
    if (np->n_input != 1 || !*np->input[0] || !fe_lookup(im, np->input[0], &c))
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If takes one input, its condition");
    const Onnx__GraphProto *then_g = branch_of(np, "then_branch");
    const Onnx__GraphProto *else_g = branch_of(np, "else_branch");
    if (!then_g || !else_g)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If needs graph attributes then_branch "
                           "and else_branch");
    bool known, cond;
    GLC_TRY(condition(im, np, idx, c, &known, &cond));
    if (!known) return keep_if(im, np, c);
    return inline_branch(im, np, idx, cond ? then_g : else_g,
                         cond ? "then_branch" : "else_branch");
}
