/*
 * import_nodes.c -- ONNX nodes -> glc nodes: op check, topological sort, emission.
 *
 * 1. Op check. Every node's `domain::op_type` is looked up in the op table (Constant
 *    in the default domain is handled here instead: the IR has no constant op). All
 *    unsupported ops are collected first and reported in ONE diagnostic, grouped by
 *    op in first-seen order, e.g.
 *        unsupported operators: ::LSTMX (nodes 'a', 'b'), ai.glc::Foo (node 'c')
 *    The default domain prints as nothing before "::"; unnamed nodes print as #index.
 *
 * 2. Sort. ONNX requires nodes in topological order but producers do not always
 *    comply, so the order is recomputed: a depth-first post-order that visits nodes
 *    in file order and each node's producers before the node. An already sorted
 *    list therefore keeps its order. Before sorting every input name must be defined
 *    (an initializer, a graph input or some node's output) and every output name
 *    defined once; a producer reached while still on the DFS stack is a cycle,
 *    reported at that node. The DFS is iterative (deep chains do not recurse).
 *
 * 3. Emission, in sorted order. Input "" is an absent optional input (value id 0);
 *    output "" is an output not requested (id 0). Each output gets a fresh value of
 *    unknown shape (filled later by glc_infer_shapes). Constant nodes become constant
 *    values named after their output, from value / value_float(s) / value_int(s).
 *    An If goes to import_if.c, a com.microsoft contrib op to import_contrib.c.
 */
#include "frontend_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *str_or_empty(const char *s) {
    return s ? s : "";
}

/* The default domain is "" or "ai.onnx"; both print as "". */
static const char *domain_of(const Onnx__NodeProto *np) {
    const char *dom = str_or_empty(np->domain);
    return strcmp(dom, "ai.onnx") ? dom : "";
}

static bool is_constant(const Onnx__NodeProto *np) {
    return !strcmp(domain_of(np), "") && !strcmp(str_or_empty(np->op_type), "Constant");
}

/* A diagnostic about ONNX node idx (not yet, or never, a glc node). */
glc_status fe_node_err(glc_diag *d, glc_status s, const Onnx__NodeProto *np, size_t idx,
                       const char *fmt, ...) {
    if (!d) return s;
    char msg[sizeof d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    glc_diag_set(d, s, NULL, "%s", msg);
    if (np->name && *np->name)
        snprintf(d->node, sizeof d->node, "%s", np->name);
    else
        snprintf(d->node, sizeof d->node, "#%zu", idx);
    snprintf(d->op, sizeof d->op, "%s", str_or_empty(np->op_type));
    return s;
}

/* ---- 1. op check ---------------------------------------------------------------------- */

typedef struct strbuf {
    char buf[900];
    size_t len;
} strbuf;

static void sb_put(strbuf *b, const char *s) {
    size_t n = strlen(s), room = sizeof b->buf - 1 - b->len;
    if (n > room) n = room;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static bool unsupported(const Onnx__NodeProto *np) {
    return !is_constant(np) &&
           glc_op_lookup(domain_of(np), str_or_empty(np->op_type)) == GLC_OP_NONE;
}

static bool same_op(const Onnx__NodeProto *a, const Onnx__NodeProto *b) {
    return !strcmp(domain_of(a), domain_of(b)) &&
           !strcmp(str_or_empty(a->op_type), str_or_empty(b->op_type));
}

static void put_node_name(strbuf *b, const Onnx__NodeProto *np, size_t idx) {
    char tmp[160];
    if (np->name && *np->name)
        snprintf(tmp, sizeof tmp, "'%s'", np->name);
    else
        snprintf(tmp, sizeof tmp, "#%zu", idx);
    sb_put(b, tmp);
}

/* Appends "dom::Op (nodes 'a', 'b')" for the op of node first and its later uses. */
static void put_op_group(strbuf *b, const Onnx__GraphProto *gp, size_t first) {
    const Onnx__NodeProto *np = gp->node[first];
    size_t count = 0;
    for (size_t j = first; j < gp->n_node; j++)
        count += same_op(np, gp->node[j]);
    sb_put(b, domain_of(np));
    sb_put(b, "::");
    sb_put(b, str_or_empty(np->op_type));
    sb_put(b, count > 1 ? " (nodes " : " (node ");
    for (size_t j = first, k = 0; j < gp->n_node; j++) {
        if (!same_op(np, gp->node[j])) continue;
        if (k++) sb_put(b, ", ");
        put_node_name(b, gp->node[j], j);
    }
    sb_put(b, ")");
}

static bool seen_before(const Onnx__GraphProto *gp, size_t i) {
    for (size_t j = 0; j < i; j++)
        if (same_op(gp->node[i], gp->node[j])) return true;
    return false;
}

static glc_status check_ops(const fe_import *im) {
    const Onnx__GraphProto *gp = im->gp;
    strbuf b = {.len = 0};
    b.buf[0] = '\0';
    for (size_t i = 0; i < gp->n_node; i++) {
        if (!unsupported(gp->node[i]) || seen_before(gp, i)) continue;
        if (b.len) sb_put(&b, ", ");
        put_op_group(&b, gp, i);
    }
    if (!b.len) return GLC_OK;
    return glc_diag_set(im->d, GLC_E_UNSUPPORTED, NULL, "unsupported operators: %s%s%s%s",
                        b.buf, b.len == sizeof b.buf - 1 ? "..." : "", im->scope ? " in " : "",
                        im->scope ? im->scope : "");
}

/* ---- 2. sort -------------------------------------------------------------------------- */

/* Records each node output in prod (name -> node index); a name defined twice fails. */
static glc_status map_producers(const fe_import *im, fe_names *prod) {
    const Onnx__GraphProto *gp = im->gp;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        for (size_t k = 0; k < np->n_output; k++) {
            const char *name = np->output[k];
            uint32_t v;
            if (!*name) continue;
            if (fe_names_get(&im->values, name, &v) || !fe_names_put(prod, name, (uint32_t)i))
                return fe_node_err(im->d, GLC_E_PARSE, np, i, "value '%s' is defined twice", name);
        }
    }
    return GLC_OK;
}

static glc_status check_inputs_defined(fe_import *im, const fe_names *prod) {
    const Onnx__GraphProto *gp = im->gp;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        for (size_t k = 0; k < np->n_input; k++) {
            uint32_t v;
            const char *name = np->input[k];
            if (!*name || fe_names_get(prod, name, &v) || fe_lookup(im, name, &v))
                continue;
            return fe_node_err(im->d, GLC_E_PARSE, np, i, "input '%s' is not defined", name);
        }
    }
    return GLC_OK;
}

enum { WHITE, GRAY, BLACK };

typedef struct dfs_frame {
    uint32_t node;
    uint32_t next_in; /* the next input to visit */
} dfs_frame;

/* Post-order DFS from root; appends finished nodes to order[*n_order]. */
static glc_status visit(const fe_import *im, const fe_names *prod, uint32_t root, uint8_t *color,
                        dfs_frame *stack, uint32_t *order, size_t *n_order) {
    const Onnx__GraphProto *gp = im->gp;
    size_t top = 0;
    stack[top++] = (dfs_frame){root, 0};
    color[root] = GRAY;
    while (top) {
        dfs_frame *f = &stack[top - 1];
        const Onnx__NodeProto *np = gp->node[f->node];
        if (f->next_in == np->n_input) {
            color[f->node] = BLACK;
            order[(*n_order)++] = f->node;
            top--;
            continue;
        }
        const char *name = np->input[f->next_in++];
        uint32_t p;
        if (!*name || !fe_names_get(prod, name, &p) || color[p] == BLACK) continue;
        if (color[p] == GRAY)
            return fe_node_err(im->d, GLC_E_PARSE, gp->node[p], p,
                               "the graph has a cycle through this node (via '%s')", name);
        color[p] = GRAY;
        stack[top++] = (dfs_frame){p, 0};
    }
    return GLC_OK;
}

static glc_status topo_sort(const fe_import *im, const fe_names *prod, uint32_t *order) {
    size_t n = im->gp->n_node, n_order = 0;
    uint8_t *color = calloc(n ? n : 1, 1);
    dfs_frame *stack = malloc((n ? n : 1) * sizeof *stack);
    glc_status s =
        color && stack ? GLC_OK : glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n && s == GLC_OK; i++)
        if (color[i] == WHITE) s = visit(im, prod, (uint32_t)i, color, stack, order, &n_order);
    free(color);
    free(stack);
    return s;
}

/* ---- 3. emission ---------------------------------------------------------------------- */

/* A scalar (rank 0) or list (rank 1, n elements) constant copied from src. */
static glc_status small_tensor(fe_tensor *t, glc_dtype dt, int rank, const void *src, size_t n,
                               glc_diag *d) {
    t->dtype = dt;
    t->rank = rank;
    t->dims[0] = (int64_t)n;
    t->nbytes = n * glc_dtype_size(dt);
    t->data = malloc(t->nbytes ? t->nbytes : 1);
    if (!t->data) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    if (t->nbytes) memcpy(t->data, src, t->nbytes);
    return GLC_OK;
}

/* The attribute type a Constant attribute must have; 0 for ones glc does not take
 * (sparse_value, value_string, value_strings). */
static int constant_attr_type(const char *an) {
    static const struct {
        const char *name;
        int type;
    } kinds[] = {
        {"value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR},
        {"value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT},
        {"value_int", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
        {"value_floats", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS},
        {"value_ints", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, an)) return kinds[i].type;
    return 0;
}

/* A Constant node's value attribute as a decoded tensor. */
static glc_status constant_value(fe_import *im, const Onnx__NodeProto *np, size_t idx,
                                 fe_tensor *t) {
    memset(t, 0, sizeof *t);
    if (np->n_attribute != 1)
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Constant needs exactly one attribute");
    const Onnx__AttributeProto *a = np->attribute[0];
    const char *an = str_or_empty(a->name);
    int want = constant_attr_type(an);
    if (!want)
        return fe_node_err(im->d, GLC_E_UNSUPPORTED, np, idx,
                           "Constant attribute '%s' is not supported", an);
    if (!a->has_type || (int)a->type != want || (!strcmp(an, "value") && !a->t))
        return fe_node_err(im->d, GLC_E_PARSE, np, idx,
                           "Constant attribute '%s' has the wrong type", an);
    if (!strcmp(an, "value")) return fe_tensor_decode(a->t, "Constant value", t, im->d);
    if (!strcmp(an, "value_float")) return small_tensor(t, GLC_DT_F32, 0, &a->f, 1, im->d);
    if (!strcmp(an, "value_int")) return small_tensor(t, GLC_DT_I64, 0, &a->i, 1, im->d);
    if (!strcmp(an, "value_floats"))
        return small_tensor(t, GLC_DT_F32, 1, a->floats, a->n_floats, im->d);
    return small_tensor(t, GLC_DT_I64, 1, a->ints, a->n_ints, im->d);
}

static glc_status emit_constant(fe_import *im, size_t idx) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    if (np->n_output != 1 || !*np->output[0])
        return fe_node_err(im->d, GLC_E_PARSE, np, idx, "Constant needs exactly one output");
    fe_tensor t;
    glc_status s = constant_value(im, np, idx, &t);
    if (s != GLC_OK) {
        free(t.data);
        if (im->d && !im->d->node[0]) fe_node_err(im->d, s, np, idx, "%s", im->d->msg);
        return s;
    }
    const char *name = np->output[0];
    char buf[300];
    glc_value_id v = glc_graph_add_const(im->g, fe_value_name(im, name, buf, sizeof buf), t.dtype,
                                         t.rank, t.dims, t.data);
    free(t.data);
    return fe_define(im, name, v);
}

/* Resolves input names (all defined: checked before sorting) and creates outputs. */
static glc_status node_values(fe_import *im, const Onnx__NodeProto *np, glc_value_id *in,
                              glc_value_id *out) {
    for (size_t k = 0; k < np->n_input; k++) {
        in[k] = 0;
        if (*np->input[k]) fe_lookup(im, np->input[k], &in[k]);
    }
    return fe_node_outputs(im, np, out);
}

glc_status fe_node_outputs(fe_import *im, const Onnx__NodeProto *np, glc_value_id *out) {
    for (size_t k = 0; k < np->n_output; k++) {
        char buf[300];
        out[k] = 0;
        if (!*np->output[k]) continue;
        const char *name = fe_value_name(im, np->output[k], buf, sizeof buf);
        out[k] = glc_graph_add_value(im->g, name, GLC_DT_UNDEF, 0, NULL);
        GLC_TRY(fe_define(im, np->output[k], out[k]));
    }
    return GLC_OK;
}

static glc_status node_attrs(fe_import *im, const Onnx__NodeProto *np, glc_node_id id) {
    for (size_t k = 0; k < np->n_attribute; k++) {
        glc_status s = fe_attr_read(im->g, id, np->attribute[k], im->d);
        if (s == GLC_OK) continue;
        if (im->d && !im->d->node[0]) { /* name the node in errors from tensor decoding */
            snprintf(im->d->node, sizeof im->d->node, "%s", im->g->nodes[id].name);
            snprintf(im->d->op, sizeof im->d->op, "%s", glc_op_name(im->g->nodes[id].op));
        }
        return s;
    }
    return GLC_OK;
}

glc_node_id fe_add_node(fe_import *im, glc_op op, const char *name, const glc_value_id *in,
                        int n_in, const glc_value_id *out, int n_out) {
    glc_node_id id = glc_graph_add_node(im->g, op, name, in, n_in, out, n_out);
    if (id == GLC_NO_NODE) return id;
    glc_node *n = &im->g->nodes[id];
    memcpy(n->guard, im->guard, sizeof n->guard);
    n->n_guards = im->n_guards;
    n->guard_false = im->guard_false;
    return id;
}

static glc_status emit_node(fe_import *im, size_t idx) {
    const Onnx__NodeProto *np = im->gp->node[idx];
    if (is_constant(np)) return emit_constant(im, idx);
    if (np->n_input > UINT16_MAX || np->n_output > UINT16_MAX)
        return fe_node_err(im->d, GLC_E_LIMIT, np, idx, "too many inputs or outputs");
    glc_op op = glc_op_lookup(domain_of(np), str_or_empty(np->op_type));
    if (op == GLC_OP_IF) return fe_emit_if(im, idx);
    if (op == GLC_OP_LOOP) return fe_emit_loop(im, idx);
    if (op == GLC_OP_SCAN) return fe_emit_scan(im, idx);
    glc_value_id *ids = malloc((np->n_input + np->n_output + 1) * sizeof *ids);
    if (!ids) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    glc_value_id *in = ids, *out = ids + np->n_input;
    glc_status s = node_values(im, np, in, out);
    if (fe_is_contrib(op)) {
        if (s == GLC_OK) s = fe_emit_contrib(im, idx, in, out);
        free(ids);
        return s;
    }
    glc_node_id id = GLC_NO_NODE;
    if (s == GLC_OK)
        id = fe_add_node(im, op, np->name, in, (int)np->n_input, out, (int)np->n_output);
    if (s == GLC_OK && id == GLC_NO_NODE)
        s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    free(ids);
    if (s == GLC_OK) s = node_attrs(im, np, id);
    return s;
}

glc_status fe_import_nodes(fe_import *im) {
    GLC_TRY(check_ops(im));
    size_t n = im->gp->n_node;
    if (n > UINT32_MAX - 1) return glc_diag_set(im->d, GLC_E_LIMIT, NULL, "too many nodes");
    fe_names prod = {0};
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    glc_status s = GLC_OK;
    size_t n_out = 0;
    for (size_t i = 0; i < n; i++)
        n_out += im->gp->node[i]->n_output;
    if (!order || !fe_names_init(&prod, n_out))
        s = glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    if (s == GLC_OK) s = map_producers(im, &prod);
    if (s == GLC_OK) s = check_inputs_defined(im, &prod);
    if (s == GLC_OK) s = topo_sort(im, &prod, order);
    for (size_t i = 0; i < n && s == GLC_OK; i++)
        s = emit_node(im, order[i]);
    fe_names_fini(&prod);
    free(order);
    return s;
}
