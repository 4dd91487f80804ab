/*
 * import_if.c -- ONNX If: the branch its condition selects inlined at import, or both
 * branches guarded by a run-time condition.
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
 * the If runs at run time: both branches are imported the same way, each node of the then
 * branch guarded by the condition being true and of the else branch by it being false
 * (glc_node.guard; nested run-time Ifs add their conditions, up to GLC_MAX_GUARDS), and
 * each If output is Where(cond, then_out, else_out). The compiled code and the interpreter
 * skip a node whose guards do not hold, so only the selected branch computes; Where reads
 * the other branch's (unspecified) output and drops it. Refused, saying what the condition
 * depends on and how to bind it (glc_if_condition_origin, ir/control.c):
 *   - branch outputs that differ in dtype or shape (Where would broadcast them);
 *   - a failure in either branch (a shape error in the branch the data would never take;
 *     an operator glc does not support), the message extended to say so.
 * Both branches' shape constraints are checked before any kernel runs (ir/dim.h), those of
 * the branch not taken too.
 *
 * Not handled: a branch that refers to a value of the enclosing graph that a later node (in
 * file order) produces, when the file is not topologically sorted: the sort (import_nodes.c)
 * follows a node's inputs, not the names its branches use.
 */
#include "frontend_impl.h"

#include <stdlib.h>
#include <string.h>

const Onnx__GraphProto *fe_graph_attr(const Onnx__NodeProto *np, const char *name) {
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

/* Imports body (a branch of node np) in a scope of its own, guarded as im's nodes and,
 * when cond is set, also by cond being `when`; outs[k]: the value of its output k. */
static glc_status import_branch(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                                const Onnx__GraphProto *body, const char *which,
                                glc_value_id cond, bool when, glc_value_id *outs) {
    if (body->n_input)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If: %s has %zu inputs; a branch takes "
                           "none", which, body->n_input);
    if (body->n_output != np->n_output)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If: %s has %zu outputs; the node has "
                           "%zu", which, body->n_output, np->n_output);
    if (body->n_sparse_initializer)
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "If: %s has sparse initializers",
                           which);
    char scope[200];
    snprintf(scope, sizeof scope, "%s of If '%.150s'", which, np->name ? np->name : "");
    fe_import br = *im;
    br.gp = body;
    br.outer = im;
    br.captures = NULL; /* a branch is a scope of the same graph */
    br.scope = scope;
    if (cond) {
        br.guard[br.n_guards] = cond;
        br.guard_false = (uint8_t)(br.guard_false | (!when) << br.n_guards);
        br.n_guards++;
    }
    if (!fe_names_init(&br.values, fe_count_names(body))) {
        fe_names_fini(&br.values);
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    glc_status s = GLC_OK;
    for (size_t i = 0; i < body->n_initializer && s == GLC_OK; i++)
        s = fe_read_initializer(&br, body->initializer[i]);
    if (s == GLC_OK) s = fe_import_nodes(&br);
    for (size_t k = 0; k < body->n_output && s == GLC_OK; k++) {
        const char *name = body->output[k]->name ? body->output[k]->name : "";
        if (!fe_lookup(&br, name, &outs[k]))
            s = fe_node_err(im->d, GLC_E_PARSE, np, idx, "If: %s output '%s' is not defined",
                            which, name);
    }
    fe_names_fini(&br.values);
    return s;
}

/* The node's requested outputs: Identity(then_out) for a compile-time condition, or
 * Where(cond, then_out, else_out) for a run-time one (else_out NULL for the former). */
static glc_status bind_outputs(fe_import *im, const Onnx__NodeProto *np, glc_value_id cond,
                               const glc_value_id *then_out, const glc_value_id *else_out) {
    glc_value_id *out = malloc((np->n_output + 1) * sizeof *out);
    if (!out) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_status s = fe_node_outputs(im, np, out);
    for (size_t k = 0; k < np->n_output && s == GLC_OK; k++) {
        glc_value_id where[3] = {cond, then_out[k], else_out ? else_out[k] : 0};
        if (!out[k]) continue;
        glc_node_id id = else_out ? fe_add_node(im, GLC_OP_WHERE, np->name, where, 3, &out[k], 1)
                                  : fe_add_node(im, GLC_OP_IDENTITY, np->name, &then_out[k], 1,
                                                &out[k], 1);
        if (id == GLC_NO_NODE) s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    free(out);
    return s;
}

/* After a run-time If is imported: its branches' outputs must agree in type and shape (its
 * Where would broadcast them); else a refusal that says what the condition depends on. */
static glc_status check_branch_shapes(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                                      glc_value_id cond, const glc_value_id *t,
                                      const glc_value_id *e) {
    if (im->opt->skip_infer) return GLC_OK;
    GLC_TRY(glc_infer_shapes_folding(im->g, 0, im->d));
    const glc_graph *g = im->g;
    const glc_value *c = &g->values[cond];
    for (size_t k = 0; k < np->n_output; k++) {
        const glc_value *a = &g->values[t[k]], *b = &g->values[e[k]];
        if (a->dtype == b->dtype && a->rank == b->rank && c->rank <= a->rank &&
            !memcmp(a->dims, b->dims, a->rank * sizeof *a->dims))
            continue;
        char ts[160], es[160], why[500];
        glc_value_shape_str(g, a, ts, sizeof ts);
        glc_value_shape_str(g, b, es, sizeof es);
        glc_if_condition_origin(g, cond, why, sizeof why);
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "If: output %zu is %s in "
                           "then_branch and %s in else_branch: glc runs an If at run time only "
                           "when its branches agree; the condition '%s' is not known at compile "
                           "time (%s)", k, ts, es, c->name ? c->name : "", why);
    }
    return GLC_OK;
}

/* A failure in a branch of a run-time If (a shape error in the branch the data would not
 * take, say) says so, and how to select the branch at compile time instead. */
static glc_status in_run_time_if(fe_import *im, const Onnx__NodeProto *np, glc_value_id c,
                                 glc_status s) {
    glc_diag *d = im->d;
    if (s == GLC_OK || s == GLC_E_NOMEM || !d || strstr(d->msg, "not known at compile time"))
        return s;
    char why[500], msg[2 * sizeof d->msg];
    glc_if_condition_origin(im->g, c, why, sizeof why);
    snprintf(msg, sizeof msg, "%s (in a branch of If '%.200s': glc compiles both branches of an "
             "If whose condition is not known at compile time; %s)", d->msg,
             np->name ? np->name : "", why);
    memcpy(d->msg, msg, sizeof d->msg - 1);
    d->msg[sizeof d->msg - 1] = 0;
    return s;
}

/* Both branches, each guarded by the condition, and a Where per output. */
static glc_status run_time_if(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                              glc_value_id c, const Onnx__GraphProto *then_g,
                              const Onnx__GraphProto *else_g) {
    if (im->n_guards >= GLC_MAX_GUARDS)
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "If: more than %d Ifs with "
                           "run-time conditions nested in one another", GLC_MAX_GUARDS);
    glc_value_id *t = calloc(2 * np->n_output + 1, sizeof *t);
    if (!t) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_value_id *e = t + np->n_output;
    glc_status s = import_branch(im, np, idx, then_g, "then_branch", c, true, t);
    if (s == GLC_OK) s = import_branch(im, np, idx, else_g, "else_branch", c, false, e);
    s = in_run_time_if(im, np, c, s);
    if (s == GLC_OK) s = check_branch_shapes(im, np, idx, c, t, e);
    if (s == GLC_OK) s = bind_outputs(im, np, c, t, e);
    free(t);
    return s;
}

glc_status fe_emit_if(fe_import *im, size_t idx) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    uint32_t c = 0;
    if (np->n_input != 1 || !*np->input[0] || !fe_lookup(im, np->input[0], &c))
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If takes one input, its condition");
    const Onnx__GraphProto *then_g = fe_graph_attr(np, "then_branch");
    const Onnx__GraphProto *else_g = fe_graph_attr(np, "else_branch");
    if (!then_g || !else_g)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "If needs graph attributes then_branch "
                           "and else_branch");
    bool known, cond;
    GLC_TRY(condition(im, np, idx, c, &known, &cond));
    if (!known) return run_time_if(im, np, idx, c, then_g, else_g);
    glc_value_id *outs = calloc(np->n_output + 1, sizeof *outs);
    if (!outs) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_status s = import_branch(im, np, idx, cond ? then_g : else_g,
                                 cond ? "then_branch" : "else_branch", 0, true, outs);
    if (s == GLC_OK) s = bind_outputs(im, np, 0, outs, NULL);
    free(outs);
    return s;
}
