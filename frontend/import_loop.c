/*
 * import_loop.c -- ONNX Loop and Scan: one Loop node owning its body graph.
 *
 * A Loop's body becomes a glc_graph of its own (glc_node.body, ir/loop.c), imported by the
 * same code as the top graph in a scope whose enclosing scope is the Loop's (fe_import with
 * `captures` set). The body must be self-contained, so the importer lambda-lifts: a name the
 * body reads that an enclosing scope defines (fe_lookup reaching the body's boundary) is
 *   - a constant there: copied into the body as a constant (weights stay foldable);
 *   - otherwise: a new trailing input of the body, and the enclosing value a new trailing
 *     input of the Loop node (its "captured" inputs).
 * A Loop (or If) nested in the body captures from the body the same way, which captures from
 * its own enclosing scope in turn. Body inputs are (iter_num, cond_in, v_in..., captured...),
 * outputs (cond_out, v_out..., scan_out...); the node's attribute glc_carried counts v_in.
 *
 * The body is imported without shape inference (its input shapes are the Loop's inputs',
 * which infer_loop gives it), so an If in a body whose condition is not a constant runs at
 * run time (import_if.c, guards in the body). Names not defined anywhere, a body whose
 * inputs and outputs do not fit the node, attributes other than `body`: one-line errors.
 *
 * Scan (opset 9 and later) is written as the same Loop (fe_emit_scan): M is the scanned
 * axis's extent of the first scan input (Shape, Gather: folded by shape inference), the
 * condition is absent, the scan inputs are captured whole and the body begins with a Gather
 * of element iter_num (M-1-iter_num for a reverse direction) along its axis; a scan output
 * along a reverse direction is reversed (Slice with step -1) and one with an axis other than
 * 0 transposed after the Loop. Scan-8 (a batch axis and sequence_lens) is refused.
 */
#include "frontend_impl.h"

#include <stdlib.h>
#include <string.h>

bool fe_capture_lookup(fe_import *im, const char *name, uint32_t *val) {
    fe_captures *c = im->captures;
    for (size_t k = 0; k < c->n; k++)
        if (!strcmp(c->items[k].name, name)) {
            *val = c->items[k].inner;
            return true;
        }
    uint32_t ov;
    if (!im->outer || !fe_lookup(im->outer, name, &ov)) return false;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        fe_capture *p = realloc(c->items, cap * sizeof *p);
        if (!p) return false;
        c->items = p;
        c->cap = cap;
    }
    const glc_value ovv = im->outer->g->values[ov];
    char buf[300];
    const char *vn = fe_value_name(im, name, buf, sizeof buf);
    glc_value_id iv = ovv.data ? glc_graph_add_const(im->g, vn, ovv.dtype, ovv.rank, ovv.dims,
                                                     ovv.data)
                               : glc_graph_add_value(im->g, vn, ovv.dtype, ovv.rank, ovv.dims);
    if (!iv || (!ovv.data && glc_graph_add_input(im->g, iv) != GLC_OK)) return false;
    c->items[c->n++] = (fe_capture){name, iv, ov, !ovv.data};
    *val = iv;
    return true;
}

/* The scope of a body graph b of node np: its names, its options (no inference), no
 * guards (the node carries its scope's). */
typedef struct body_scope {
    fe_import im;
    glc_import_options opt;
    fe_captures caps;
    char name[200];
} body_scope;

static glc_status scope_open(fe_import *im, const Onnx__NodeProto *np, const char *op,
                             const Onnx__GraphProto *body, glc_graph *b, body_scope *bs) {
    memset(bs, 0, sizeof *bs);
    snprintf(bs->name, sizeof bs->name, "body of %s '%.150s'", op, np->name ? np->name : "");
    bs->opt = *im->opt;
    bs->opt.skip_infer = true;
    bs->im = *im;
    bs->im.g = b;
    bs->im.gp = body;
    bs->im.outer = im;
    bs->im.captures = &bs->caps;
    bs->im.scope = bs->name;
    bs->im.n_guards = 0;
    bs->im.guard_false = 0;
    bs->im.opt = &bs->opt;
    memset(&bs->im.values, 0, sizeof bs->im.values);
    if (!fe_names_init(&bs->im.values, fe_count_names(body) + 8))
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    if (body->name) b->name = glc_arena_strdup(&b->arena, body->name);
    return GLC_OK;
}

static void scope_close(body_scope *bs) {
    fe_names_fini(&bs->im.values);
    free(bs->caps.items);
}

/* A body input named name ("" for none), of dtype dt (UNDEF: infer_loop sets it). */
static glc_status body_input(body_scope *bs, const char *name, const char *dflt, glc_dtype dt,
                             glc_value_id *v) {
    char buf[300];
    const char *vn = *name ? fe_value_name(&bs->im, name, buf, sizeof buf) : dflt;
    *v = glc_graph_add_value(bs->im.g, vn, dt, 0, NULL);
    if (!*v || glc_graph_add_input(bs->im.g, *v) != GLC_OK)
        return glc_diag_set(bs->im.d, GLC_E_NOMEM, NULL, "out of memory");
    return *name ? fe_define(&bs->im, name, *v) : GLC_OK;
}

/* The body's initializers and nodes (its inputs are defined already). */
static glc_status body_nodes(body_scope *bs, const Onnx__NodeProto *np, size_t idx,
                             const char *op) {
    const Onnx__GraphProto *body = bs->im.gp;
    if (body->n_sparse_initializer)
        return fe_node_err(bs->im.d, GLC_E_UNSUPPORTED, np, idx, "%s: the body has sparse "
                           "initializers", op);
    for (size_t i = 0; i < body->n_initializer; i++)
        GLC_TRY(fe_read_initializer(&bs->im, body->initializer[i]));
    return fe_import_nodes(&bs->im);
}

/* Body output `name` as a graph output of the body. */
static glc_status body_output(body_scope *bs, const Onnx__NodeProto *np, size_t idx,
                              const char *op, const char *name) {
    uint32_t v;
    if (!*name || !fe_lookup(&bs->im, name, &v))
        return fe_node_err(bs->im.d, GLC_E_PARSE, np, idx, "%s: body output '%s' is not "
                           "defined", op, name);
    if (glc_graph_add_output(bs->im.g, v) != GLC_OK)
        return glc_diag_set(bs->im.d, GLC_E_NOMEM, NULL, "out of memory");
    return GLC_OK;
}

/* Only the attributes named in `known` (space-separated) are taken. */
static glc_status check_attrs(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                              const char *op, const char *known) {
    for (size_t k = 0; k < np->n_attribute; k++) {
        const char *an = np->attribute[k]->name ? np->attribute[k]->name : "";
        const char *p = strstr(known, an);
        size_t len = strlen(an);
        if (*an && p && (p == known || p[-1] == ' ') && (p[len] == ' ' || !p[len])) continue;
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "%s: attribute '%s' is not "
                           "supported", op, an);
    }
    return GLC_OK;
}

/* The Loop node: inputs head[0..n_head) then the captured values; owns b from here. */
static glc_status add_loop_node(fe_import *im, const Onnx__NodeProto *np, glc_graph *b,
                                const glc_value_id *head, size_t n_head, const fe_captures *caps,
                                size_t n_carried, const glc_value_id *out, size_t n_out,
                                glc_node_id *id) {
    size_t n_in = n_head;
    for (size_t k = 0; k < caps->n; k++)
        n_in += caps->items[k].is_input;
    if (n_in > UINT16_MAX) return glc_diag_set(im->d, GLC_E_LIMIT, NULL, "too many inputs");
    glc_value_id *in = malloc((n_in + 1) * sizeof *in);
    if (!in) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    memcpy(in, head, n_head * sizeof *in);
    for (size_t k = 0, j = n_head; k < caps->n; k++)
        if (caps->items[k].is_input) in[j++] = caps->items[k].outer;
    *id = fe_add_node(im, GLC_OP_LOOP, np->name, in, (int)n_in, out, (int)n_out);
    free(in);
    if (*id == GLC_NO_NODE || glc_node_set_int(im->g, *id, GLC_ATTR_LOOP_CARRIED,
                                               (int64_t)n_carried) != GLC_OK)
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    im->g->nodes[*id].body = b;
    return GLC_OK;
}

static glc_status check_loop(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                             const Onnx__GraphProto *body) {
    GLC_TRY(check_attrs(im, np, idx, "Loop", "body"));
    if (!body) return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Loop needs a graph attribute "
                                  "body");
    if (np->n_input < 2)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Loop has %zu inputs; it takes M, cond "
                           "and the initial loop-carried values", np->n_input);
    size_t nc = np->n_input - 2;
    if (body->n_input != nc + 2 || body->n_output != np->n_output + 1 || np->n_output < nc)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Loop: %zu inputs and %zu outputs, and "
                           "a body of %zu inputs and %zu outputs: they do not fit", np->n_input,
                           np->n_output, body->n_input, body->n_output);
    return GLC_OK;
}

/* The body of np (a Loop) imported into b. */
static glc_status loop_body(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                            const Onnx__GraphProto *body, body_scope *bs) {
    glc_value_id v;
    for (size_t k = 0; k < body->n_input; k++) {
        const char *name = body->input[k]->name ? body->input[k]->name : "";
        glc_dtype dt = k == 0 ? GLC_DT_I64 : k == 1 ? GLC_DT_BOOL : GLC_DT_UNDEF;
        GLC_TRY(body_input(bs, name, k == 0 ? "iter_num" : k == 1 ? "cond_in" : NULL, dt, &v));
    }
    GLC_TRY(body_nodes(bs, np, idx, "Loop"));
    for (size_t k = 0; k < body->n_output; k++)
        GLC_TRY(body_output(bs, np, idx, "Loop",
                            body->output[k]->name ? body->output[k]->name : ""));
    (void)im;
    return GLC_OK;
}

glc_status fe_emit_loop(fe_import *im, size_t idx) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    const Onnx__GraphProto *body = fe_graph_attr(np, "body");
    GLC_TRY(check_loop(im, np, idx, body));
    glc_graph *b = glc_graph_create_body(im->g);
    if (!b) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    body_scope bs;
    glc_status s = scope_open(im, np, "Loop", body, b, &bs);
    if (s == GLC_OK) s = loop_body(im, np, idx, body, &bs);
    glc_value_id *ids = calloc(np->n_input + np->n_output + 1, sizeof *ids);
    if (s == GLC_OK && !ids) s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; s == GLC_OK && k < np->n_input; k++)
        if (*np->input[k]) fe_lookup(im, np->input[k], &ids[k]);
    glc_value_id *out = ids ? ids + np->n_input : NULL;
    if (s == GLC_OK) s = fe_node_outputs(im, np, out);
    glc_node_id id;
    if (s == GLC_OK)
        s = add_loop_node(im, np, b, ids, np->n_input, &bs.caps, np->n_input - 2, out,
                          np->n_output, &id);
    if (s != GLC_OK) glc_graph_destroy(b);
    scope_close(&bs);
    free(ids);
    return s;
}

glc_status fe_emit_scan(fe_import *im, size_t idx) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "Scan is not supported yet");
}
