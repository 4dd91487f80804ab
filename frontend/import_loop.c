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
 * 0 transposed after the Loop. Scan-8 (opset 8: a batch axis 0 on every input and output,
 * the scan along axis 1, `directions`) is a Loop over the batch whose body gathers element
 * b of each input and runs that Scan-9 Loop on them (scan8); its sequence_lens is refused.
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
    if (!fe_names_init(&bs->im.values, fe_count_names(body) + np->n_input + 8))
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

/* ---- Scan ------------------------------------------------------------------------------ */

/* A Scan's shape: N state values, S scan inputs, K scan outputs, and its attributes. */
typedef struct scan_form {
    size_t first; /* the input of state 0: 1 after Scan-8's sequence_lens, else 0 */
    size_t ns, nsi, nso;
    const int64_t *in_axes, *in_dirs, *out_axes, *out_dirs; /* NULL: all 0 */
} scan_form;

static const Onnx__AttributeProto *attr_of(const Onnx__NodeProto *np, const char *name) {
    for (size_t k = 0; k < np->n_attribute; k++)
        if (np->attribute[k]->name && !strcmp(np->attribute[k]->name, name))
            return np->attribute[k];
    return NULL;
}

/* An INTS attribute of count n (NULL if absent); *ok false if present with another count. */
static const int64_t *ints_of(const Onnx__NodeProto *np, const char *name, size_t n, bool *ok) {
    const Onnx__AttributeProto *a = attr_of(np, name);
    if (!a) return NULL;
    if (a->n_ints != n) *ok = false;
    return a->ints;
}

static glc_status check_scan(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                             const Onnx__GraphProto *body, scan_form *f) {
    bool v8 = im->g->opset < 9;
    GLC_TRY(check_attrs(im, np, idx, "Scan", v8 ? "body num_scan_inputs directions"
                                                : "body num_scan_inputs scan_input_axes "
                                                  "scan_input_directions scan_output_axes "
                                                  "scan_output_directions"));
    f->first = v8;
    if (v8 && (np->n_input < 1 || *np->input[0]))
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "Scan-8: sequence_lens (scans of "
                           "different lengths per batch element) is not supported");
    const Onnx__AttributeProto *nsi = attr_of(np, "num_scan_inputs");
    if (!body || !nsi || nsi->i < 1 || (size_t)nsi->i > np->n_input - f->first)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Scan needs a graph attribute body and "
                           "num_scan_inputs in 1..%zu", np->n_input - f->first);
    f->nsi = (size_t)nsi->i;
    f->ns = np->n_input - f->first - f->nsi;
    if (np->n_output < f->ns || body->n_input != np->n_input - f->first ||
        body->n_output != np->n_output)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Scan: %zu inputs and %zu outputs, and a "
                           "body of %zu inputs and %zu outputs: they do not fit", np->n_input,
                           np->n_output, body->n_input, body->n_output);
    f->nso = np->n_output - f->ns;
    bool ok = true;
    f->in_axes = ints_of(np, "scan_input_axes", f->nsi, &ok);
    f->in_dirs = ints_of(np, v8 ? "directions" : "scan_input_directions", f->nsi, &ok);
    f->out_axes = ints_of(np, "scan_output_axes", f->nso, &ok);
    f->out_dirs = ints_of(np, "scan_output_directions", f->nso, &ok);
    if (!ok)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Scan: an axes or directions attribute "
                           "has not one entry per scan input or output");
    return GLC_OK;
}

/* A node of the graph of scope sc with fresh output values; out[k] their ids. */
static glc_status add(fe_import *sc, glc_op op, const char *name, const glc_value_id *in, int n_in,
                      glc_value_id *out, int n_out, glc_node_id *id) {
    for (int k = 0; k < n_out; k++)
        if (!(out[k] = glc_graph_add_value(sc->g, NULL, GLC_DT_UNDEF, 0, NULL)))
            return glc_diag_set(sc->d, GLC_E_NOMEM, NULL, "out of memory");
    *id = fe_add_node(sc, op, name, in, n_in, out, n_out);
    return *id == GLC_NO_NODE ? glc_diag_set(sc->d, GLC_E_NOMEM, NULL, "out of memory") : GLC_OK;
}

static glc_value_id i64_const(glc_graph *g, int rank, int64_t v) {
    int64_t one = 1;
    return glc_graph_add_const(g, NULL, GLC_DT_I64, rank, &one, &v);
}

/* M = Gather(Shape(x), axis): the extent of the first scan input along its axis. */
static glc_status scan_length(fe_import *im, const Onnx__NodeProto *np, const scan_form *f,
                              glc_value_id x, glc_value_id *m) {
    glc_value_id shp, ax = i64_const(im->g, 0, f->in_axes ? f->in_axes[0] : 0);
    glc_node_id id;
    if (!ax) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    GLC_TRY(add(im, GLC_OP_SHAPE, np->name, &x, 1, &shp, 1, &id));
    return add(im, GLC_OP_GATHER, np->name, (glc_value_id[]){shp, ax}, 2, m, 1, &id);
}

/* A value of the enclosing scope captured into the body as a trailing input. */
static glc_status capture_value(body_scope *bs, glc_value_id outer, glc_value_id *inner) {
    fe_captures *c = &bs->caps;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        fe_capture *p = realloc(c->items, cap * sizeof *p);
        if (!p) return glc_diag_set(bs->im.d, GLC_E_NOMEM, NULL, "out of memory");
        c->items = p;
        c->cap = cap;
    }
    char buf[300];
    const char *name = bs->im.outer->g->values[outer].name;
    *inner = glc_graph_add_value(bs->im.g, fe_value_name(&bs->im, name, buf, sizeof buf),
                                 GLC_DT_UNDEF, 0, NULL);
    if (!*inner || glc_graph_add_input(bs->im.g, *inner) != GLC_OK)
        return glc_diag_set(bs->im.d, GLC_E_NOMEM, NULL, "out of memory");
    /* no name: a lookup never finds it, the scan element takes the body's input name */
    c->items[c->n++] = (fe_capture){"", *inner, outer, true};
    return GLC_OK;
}

/* The body's scan input j: Gather(x_j, i or M - 1 - i, axis_j), named as the body's input. */
static glc_status scan_element(body_scope *bs, const Onnx__NodeProto *np, const scan_form *f,
                               size_t j, glc_value_id iter, glc_value_id m, glc_value_id xj) {
    fe_import *sc = &bs->im;
    glc_value_id at = iter, t;
    glc_node_id id;
    if (f->in_dirs && f->in_dirs[j]) {
        glc_value_id one = i64_const(sc->g, 0, 1);
        if (!one) return glc_diag_set(sc->d, GLC_E_NOMEM, NULL, "out of memory");
        GLC_TRY(add(sc, GLC_OP_SUB, np->name, (glc_value_id[]){m, one}, 2, &t, 1, &id));
        GLC_TRY(add(sc, GLC_OP_SUB, np->name, (glc_value_id[]){t, iter}, 2, &at, 1, &id));
    }
    const Onnx__ValueInfoProto *vi = sc->gp->input[f->ns + j];
    const char *name = vi->name ? vi->name : "";
    char buf[300];
    glc_value_id e = glc_graph_add_value(sc->g, fe_value_name(sc, name, buf, sizeof buf),
                                         GLC_DT_UNDEF, 0, NULL);
    if (!e) return glc_diag_set(sc->d, GLC_E_NOMEM, NULL, "out of memory");
    id = fe_add_node(sc, GLC_OP_GATHER, np->name, (glc_value_id[]){xj, at}, 2, &e, 1);
    if (id == GLC_NO_NODE ||
        glc_node_set_int(sc->g, id, "axis", f->in_axes ? f->in_axes[j] : 0) != GLC_OK)
        return glc_diag_set(sc->d, GLC_E_NOMEM, NULL, "out of memory");
    return *name ? fe_define(sc, name, e) : GLC_OK;
}

/* The body of Scan np as a Loop body: (i, cond, states, [scan inputs, M] captured), the scan
 * elements gathered, then the Scan body's nodes; outputs (cond, states, scan elements). */
static glc_status scan_body(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                            const scan_form *f, glc_value_id m, body_scope *bs) {
    const Onnx__GraphProto *body = bs->im.gp;
    glc_value_id iter, cond, v, mb, *xs = calloc(f->nsi + 1, sizeof *xs);
    if (!xs) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_status s = body_input(bs, "", "iter_num", GLC_DT_I64, &iter);
    if (s == GLC_OK) s = body_input(bs, "", "cond_in", GLC_DT_BOOL, &cond);
    for (size_t k = 0; k < f->ns && s == GLC_OK; k++)
        s = body_input(bs, body->input[k]->name ? body->input[k]->name : "", NULL, GLC_DT_UNDEF,
                       &v);
    for (size_t j = 0; j < f->nsi && s == GLC_OK; j++) {
        glc_value_id x = 0;
        fe_lookup(im, np->input[f->first + f->ns + j], &x);
        s = x ? capture_value(bs, x, &xs[j])
              : fe_node_err(im->d, GLC_E_PARSE, np, idx, "Scan: scan input %zu is absent", j);
    }
    if (s == GLC_OK) s = capture_value(bs, m, &mb);
    for (size_t j = 0; j < f->nsi && s == GLC_OK; j++)
        s = scan_element(bs, np, f, j, iter, mb, xs[j]);
    free(xs);
    if (s == GLC_OK) s = body_nodes(bs, np, idx, "Scan");
    if (s == GLC_OK && glc_graph_add_output(bs->im.g, cond) != GLC_OK)
        s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < body->n_output && s == GLC_OK; k++)
        s = body_output(bs, np, idx, "Scan", body->output[k]->name ? body->output[k]->name : "");
    return s;
}

/* The rank of Scan body output k from its declared type, or -1. */
static int declared_rank(const Onnx__GraphProto *body, size_t k) {
    const Onnx__TypeProto *tp = body->output[k]->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type ||
        !tp->tensor_type->shape)
        return -1;
    return (int)tp->tensor_type->shape->n_dim;
}

/* Scan output k from the Loop's stacked y: reversed along axis 0 (Slice, step -1) for a
 * reverse direction, then its axis 0 moved to the output axis (Transpose). */
static glc_status scan_output(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                              const scan_form *f, size_t k, glc_value_id y, glc_value_id out) {
    const Onnx__GraphProto *body = fe_graph_attr(np, "body");
    int r = declared_rank(body, f->ns + k) + 1;
    int64_t a = f->out_axes ? f->out_axes[k] : 0;
    if (a < 0 && r > 0) a += r;
    if (a != 0 && (r <= 0 || a < 0 || a >= r))
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "Scan: scan_output_axes[%zu] is "
                           "%lld and the body's output %zu has no declared rank in range",
                           k, (long long)(f->out_axes ? f->out_axes[k] : 0), f->ns + k);
    glc_node_id id;
    if (f->out_dirs && f->out_dirs[k]) {
        glc_value_id sl[5] = {y, i64_const(im->g, 1, -1), i64_const(im->g, 1, INT64_MIN),
                              i64_const(im->g, 1, 0), i64_const(im->g, 1, -1)};
        glc_value_id rev = a ? 0 : out;
        if (!rev && !(rev = glc_graph_add_value(im->g, NULL, GLC_DT_UNDEF, 0, NULL)))
            return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
        if (fe_add_node(im, GLC_OP_SLICE, np->name, sl, 5, &rev, 1) == GLC_NO_NODE)
            return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
        y = rev;
    }
    if (!a && y != out && fe_add_node(im, GLC_OP_IDENTITY, np->name, &y, 1, &out, 1) ==
                              GLC_NO_NODE) /* axis -r: 0 after all */
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    if (!a) return GLC_OK;
    int64_t perm[GLC_MAX_RANK];
    for (int p = 0; p < r; p++)
        perm[p] = p < a ? p + 1 : p == a ? 0 : p;
    id = fe_add_node(im, GLC_OP_TRANSPOSE, np->name, &y, 1, &out, 1);
    if (id == GLC_NO_NODE || glc_node_set_ints(im->g, id, "perm", perm, (uint32_t)r) != GLC_OK)
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    return GLC_OK;
}

/* The Loop's outputs: the Scan's states, and for each scan output either the Scan's own
 * (axis 0, forward) or a fresh value scan_output rearranges into it. */
static glc_status scan_loop(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                            const scan_form *f, glc_graph *b, glc_value_id m, body_scope *bs) {
    glc_value_id *ids = calloc(f->ns + 2 * np->n_output + 3, sizeof *ids);
    if (!ids) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_value_id *head = ids, *out = ids + f->ns + 2, *final = out + np->n_output;
    head[0] = m;
    for (size_t k = 0; k < f->ns; k++)
        fe_lookup(im, np->input[f->first + k], &head[2 + k]);
    glc_status s = fe_node_outputs(im, np, final);
    for (size_t k = 0; k < np->n_output && s == GLC_OK; k++) {
        bool moved = k >= f->ns && ((f->out_axes && f->out_axes[k - f->ns]) ||
                                    (f->out_dirs && f->out_dirs[k - f->ns]));
        out[k] = final[k];
        if (moved && final[k] && !(out[k] = glc_graph_add_value(im->g, NULL, GLC_DT_UNDEF, 0,
                                                               NULL)))
            s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    glc_node_id id;
    if (s == GLC_OK)
        s = add_loop_node(im, np, b, head, f->ns + 2, &bs->caps, f->ns, out, np->n_output, &id);
    for (size_t k = f->ns; k < np->n_output && s == GLC_OK; k++)
        if (out[k] != final[k]) s = scan_output(im, np, idx, f, k - f->ns, out[k], final[k]);
    free(ids);
    return s;
}

static glc_status scan8(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                        const scan_form *f);
static glc_status scan9(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                        const scan_form *f);

glc_status fe_emit_scan(fe_import *im, size_t idx) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    const Onnx__GraphProto *body = fe_graph_attr(np, "body");
    scan_form f = {0};
    GLC_TRY(check_scan(im, np, idx, body, &f));
    if (f.first) return scan8(im, np, idx, &f);
    return scan9(im, np, idx, &f);
}

/* A Scan-9 (and later) as a Loop in scope im. */
static glc_status scan9(fe_import *im, const Onnx__NodeProto *np, size_t idx, const scan_form *fp) {
    const Onnx__GraphProto *body = fe_graph_attr(np, "body");
    scan_form f = *fp;
    glc_value_id x0 = 0, m = 0;
    fe_lookup(im, np->input[f.first + f.ns], &x0);
    if (!x0) return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Scan: scan input 0 is absent");
    GLC_TRY(scan_length(im, np, &f, x0, &m));
    glc_graph *b = glc_graph_create_body(im->g);
    if (!b) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    body_scope bs;
    glc_status s = scope_open(im, np, "Scan", body, b, &bs);
    if (s == GLC_OK) s = scan_body(im, np, idx, &f, m, &bs);
    if (s == GLC_OK) s = scan_loop(im, np, idx, &f, b, m, &bs);
    bool owned = false; /* by the Loop node, once add_loop_node has made it */
    for (uint32_t k = 0; k < im->g->n_nodes; k++)
        owned |= im->g->nodes[k].body == b;
    if (!owned) glc_graph_destroy(b);
    scope_close(&bs);
    return s;
}

/* The body of Scan-8 np's batch Loop: element b of every state and scan input (Gather on
 * axis 0, named as the Scan's inputs in this scope), the Scan over them as a Scan-9 Loop,
 * its outputs the body's scan outputs. */
static glc_status scan8_body(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                             const scan_form *f, body_scope *bs) {
    glc_value_id b, cond, x, xb, e;
    glc_status s = body_input(bs, "", "batch_index", GLC_DT_I64, &b);
    if (s == GLC_OK) s = body_input(bs, "", "cond_in", GLC_DT_BOOL, &cond);
    for (size_t k = 1; k < np->n_input && s == GLC_OK; k++) {
        x = 0;
        fe_lookup(im, np->input[k], &x);
        if (!x) return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Scan: input %zu is absent", k);
        s = capture_value(bs, x, &xb);
        char buf[300];
        e = glc_graph_add_value(bs->im.g, fe_value_name(&bs->im, np->input[k], buf, sizeof buf),
                                GLC_DT_UNDEF, 0, NULL);
        glc_node_id id = e ? fe_add_node(&bs->im, GLC_OP_GATHER, np->name,
                                         (glc_value_id[]){xb, b}, 2, &e, 1)
                           : GLC_NO_NODE;
        if (s == GLC_OK && id == GLC_NO_NODE)
            s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
        if (s == GLC_OK) s = fe_define(&bs->im, np->input[k], e);
    }
    if (s == GLC_OK) s = scan9(&bs->im, np, idx, f);
    if (s == GLC_OK && glc_graph_add_output(bs->im.g, cond) != GLC_OK)
        s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < np->n_output && s == GLC_OK; k++)
        s = body_output(bs, np, idx, "Scan", np->output[k]);
    return s;
}

/* Scan-8: a batch axis 0 on every input and output, the scan along axis 1: a Loop over the
 * batch (M = the first input's dim 0) whose body runs the Scan on element b. */
static glc_status scan8(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                        const scan_form *f) {
    for (size_t k = 0; k < np->n_output; k++)
        if (!*np->output[k])
            return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx, "Scan-8: output %zu is not "
                               "requested; glc needs every output of a Scan-8", k);
    glc_value_id x = 0, m = 0;
    fe_lookup(im, np->input[1], &x);
    scan_form bf = {0};
    if (!x) return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Scan: input 1 is absent");
    GLC_TRY(scan_length(im, np, &bf, x, &m));
    glc_graph *b = glc_graph_create_body(im->g);
    if (!b) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    body_scope bs;
    const Onnx__GraphProto *body = fe_graph_attr(np, "body");
    glc_status s = scope_open(im, np, "Scan", body, b, &bs);
    if (s == GLC_OK) s = scan8_body(im, np, idx, f, &bs);
    glc_value_id *out = calloc(np->n_output + 1, sizeof *out);
    if (s == GLC_OK && !out) s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    if (s == GLC_OK) s = fe_node_outputs(im, np, out);
    glc_node_id id;
    if (s == GLC_OK)
        s = add_loop_node(im, np, b, (glc_value_id[]){m, 0}, 2, &bs.caps, 0, out,
                          np->n_output, &id);
    if (s != GLC_OK) glc_graph_destroy(b);
    free(out);
    scope_close(&bs);
    return s;
}
