/*
 * limits.c -- the resource limits of an import (glc_import_limits, frontend.h).
 *
 * Three checks, in the order the import meets them:
 *
 *   1. fe_check_wire, on the raw bytes before protobuf-c sees them. protobuf-c unpacks
 *      recursively and turns a 2-byte empty message into a struct of about 100 bytes, so
 *      a small crafted file could overflow the stack (subgraphs or types nested 100 000
 *      deep) or ask for gigabytes. The scan walks the wire format with the ONNX schema's
 *      message-typed fields (child_kind) and counts messages, nodes and graphs and the
 *      nesting depth; its own recursion is bounded by the nesting limit, whose hard
 *      maximum keeps protobuf-c's recursion shallow too. Bytes that are not valid
 *      protobuf end the scan with the same parse error protobuf-c would give.
 *   2. fe_check_model, on the unpacked main graph before anything is copied into the
 *      glc graph: names and string attributes, list attributes, node arity, and the
 *      declared shapes of initializers, tensor attributes and graph inputs (rank, each
 *      dimension, element count; weight bytes summed). Dimensions are bounded before
 *      they are multiplied, so no product can wrap.
 *   3. fe_check_values, after shape inference: every value's rank, dimensions and
 *      element count, so an Expand or Tile to 2^40 elements stops here and not when the
 *      compiled model asks for its workspace.
 *
 * Subgraphs are counted (graphs, nodes, nesting) but not checked further: glc never
 * imports them (a node holding one is an unsupported op). doc_strings are not limited;
 * they stay in protobuf-c's structs and are never copied.
 */
#include "frontend_impl.h"

#include <stddef.h>
#include <string.h>

#define GIB (1ull << 30)

const glc_import_limit_info glc_import_limit_table[] = {
    {"file-bytes", offsetof(glc_import_limits, file_bytes), 2 * GIB, 1ull << 40,
     "size of the model file in bytes"},
    {"nesting", offsetof(glc_import_limits, nesting), 64, 256,
     "depth of protobuf messages within each other (subgraphs, types)"},
    {"messages", offsetof(glc_import_limits, messages), 4000000, 1ull << 32,
     "protobuf messages in the file, of all kinds"},
    {"graphs", offsetof(glc_import_limits, graphs), 1024, 1ull << 32,
     "graphs: the main one, subgraphs, training and function graphs"},
    {"nodes", offsetof(glc_import_limits, nodes), 1000000, UINT32_MAX - 1,
     "nodes in all graphs and functions"},
    {"node-io", offsetof(glc_import_limits, node_io), 4096, UINT16_MAX,
     "inputs, or outputs, of one node"},
    {"attr-elems", offsetof(glc_import_limits, attr_elems), 1u << 20, UINT32_MAX,
     "entries of one list attribute"},
    {"string-bytes", offsetof(glc_import_limits, string_bytes), 4096, 1u << 30,
     "bytes of one name or string attribute"},
    {"rank", offsetof(glc_import_limits, rank), GLC_MAX_RANK, GLC_MAX_RANK, "rank of a tensor"},
    {"dim", offsetof(glc_import_limits, dim), (1ull << 31) - 1, 1ull << 62,
     "one dimension of a tensor"},
    {"tensor-elems", offsetof(glc_import_limits, tensor_elems), 1ull << 31, 1ull << 56,
     "elements of one tensor (input, weight or inferred value)"},
    {"weight-bytes", offsetof(glc_import_limits, weight_bytes), 4 * GIB, 1ull << 62,
     "bytes of all initializers and constants together"},
};
const size_t glc_import_limit_count = sizeof glc_import_limit_table / sizeof *glc_import_limit_table;

static uint64_t *field_of(glc_import_limits *l, const glc_import_limit_info *e) {
    return (uint64_t *)((char *)l + e->offset);
}

glc_import_limits glc_import_limits_default(void) {
    glc_import_limits l;
    for (size_t i = 0; i < glc_import_limit_count; i++)
        *field_of(&l, &glc_import_limit_table[i]) = glc_import_limit_table[i].def;
    return l;
}

glc_status glc_import_limit_set(glc_import_limits *l, const char *name, uint64_t v, glc_diag *d) {
    for (size_t i = 0; i < glc_import_limit_count; i++) {
        const glc_import_limit_info *e = &glc_import_limit_table[i];
        if (strcmp(e->name, name)) continue;
        if (v > e->max)
            return glc_diag_set(d, GLC_E_ARG, NULL, "limit %s=%llu is above its maximum %llu",
                                name, (unsigned long long)v, (unsigned long long)e->max);
        *field_of(l, e) = v;
        return GLC_OK;
    }
    return glc_diag_set(d, GLC_E_ARG, NULL, "unknown limit '%s'", name);
}

static glc_status exceeded(glc_diag *d, const char *what, uint64_t value, const char *limit,
                           uint64_t max) {
    return glc_diag_set(d, GLC_E_LIMIT, NULL, "%s is %llu; the limit is %s=%llu (raise it with "
                        "--limit %s=N)", what, (unsigned long long)value, limit,
                        (unsigned long long)max, limit);
}

/* ---- 1. the wire -------------------------------------------------------------------- */

typedef enum msg_kind {
    K_NONE, K_LEAF, K_MODEL, K_GRAPH, K_NODE, K_ATTR, K_TRAINING, K_FUNCTION, K_VALUE_INFO,
    K_TYPE, K_TYPE_TENSOR, K_TYPE_ELEM, K_TYPE_MAP, K_SHAPE, K_TENSOR, K_SPARSE, K_ANNOTATION
} msg_kind;

/* The message kind of field `f` of a kind-k message, K_NONE if it is not a message
 * (onnx.proto; K_LEAF: a message with no message fields). */
static msg_kind child_kind(msg_kind k, uint32_t f) {
    switch (k) {
    case K_MODEL:
        return f == 7 ? K_GRAPH : f == 20 ? K_TRAINING : f == 25 ? K_FUNCTION
             : (f == 8 || f == 14) ? K_LEAF : K_NONE;
    case K_GRAPH:
        return f == 1 ? K_NODE : f == 5 ? K_TENSOR : f == 15 ? K_SPARSE
             : (f >= 11 && f <= 13) ? K_VALUE_INFO : f == 14 ? K_ANNOTATION : K_NONE;
    case K_NODE:
        return f == 5 ? K_ATTR : K_NONE;
    case K_ATTR:
        return (f == 5 || f == 10) ? K_TENSOR : (f == 6 || f == 11) ? K_GRAPH
             : (f == 22 || f == 23) ? K_SPARSE : (f == 14 || f == 15) ? K_TYPE : K_NONE;
    case K_TRAINING:
        return (f == 1 || f == 2) ? K_GRAPH : (f == 3 || f == 4) ? K_LEAF : K_NONE;
    case K_FUNCTION:
        return f == 7 ? K_NODE : f == 9 ? K_LEAF : K_NONE;
    case K_VALUE_INFO:
        return f == 2 ? K_TYPE : K_NONE;
    case K_TYPE: /* tensor_type, sparse_tensor_type; sequence, optional; map */
        return (f == 1 || f == 8) ? K_TYPE_TENSOR : (f == 4 || f == 9) ? K_TYPE_ELEM
             : f == 5 ? K_TYPE_MAP : K_NONE;
    case K_TYPE_TENSOR:
        return f == 2 ? K_SHAPE : K_NONE;
    case K_TYPE_ELEM:
        return f == 1 ? K_TYPE : K_NONE;
    case K_TYPE_MAP:
        return f == 2 ? K_TYPE : K_NONE;
    case K_SHAPE:
        return f == 1 ? K_LEAF : K_NONE;
    case K_TENSOR:
        return (f == 3 || f == 13) ? K_LEAF : K_NONE;
    case K_SPARSE:
        return (f == 1 || f == 2) ? K_TENSOR : K_NONE;
    case K_ANNOTATION:
        return f == 2 ? K_LEAF : K_NONE;
    case K_NONE:
    case K_LEAF:
        break;
    }
    return K_NONE;
}

typedef struct wire_scan {
    const glc_import_limits *l;
    glc_diag *d;
    uint64_t messages, graphs, nodes;
} wire_scan;

/* Reads a varint at *p (< end); false if truncated or longer than 10 bytes. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        if (shift < 64) *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

static glc_status bad_wire(glc_diag *d) {
    return glc_diag_set(d, GLC_E_PARSE, NULL, "not an ONNX model (protobuf parse failed)");
}

static glc_status count_message(wire_scan *w, msg_kind k, uint32_t depth) {
    if (depth > w->l->nesting) return exceeded(w->d, "message nesting", depth, "nesting", w->l->nesting);
    if (++w->messages > w->l->messages)
        return exceeded(w->d, "the number of messages", w->messages, "messages", w->l->messages);
    if (k == K_GRAPH && ++w->graphs > w->l->graphs)
        return exceeded(w->d, "the number of graphs", w->graphs, "graphs", w->l->graphs);
    if (k == K_NODE && ++w->nodes > w->l->nodes)
        return exceeded(w->d, "the number of nodes", w->nodes, "nodes", w->l->nodes);
    return GLC_OK;
}

static glc_status scan_message(wire_scan *w, const uint8_t *p, const uint8_t *end, msg_kind k,
                               uint32_t depth) {
    GLC_TRY(count_message(w, k, depth));
    while (p < end) {
        uint64_t tag, v;
        if (!read_varint(&p, end, &tag)) return bad_wire(w->d);
        switch (tag & 7) {
        case 0:
            if (!read_varint(&p, end, &v)) return bad_wire(w->d);
            break;
        case 1:
        case 5: {
            size_t n = (tag & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < n) return bad_wire(w->d);
            p += n;
            break;
        }
        case 2: {
            if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p)) return bad_wire(w->d);
            msg_kind ck = tag >> 3 <= UINT32_MAX ? child_kind(k, (uint32_t)(tag >> 3)) : K_NONE;
            if (ck != K_NONE) GLC_TRY(scan_message(w, p, p + v, ck, depth + 1));
            p += v;
            break;
        }
        default: /* groups (3, 4) and 6, 7: protobuf-c rejects them too */
            return bad_wire(w->d);
        }
    }
    return GLC_OK;
}

glc_status fe_check_wire(const void *buf, size_t len, const glc_import_limits *l, glc_diag *d) {
    if (len > l->file_bytes) return exceeded(d, "the model's size in bytes", len, "file-bytes", l->file_bytes);
    wire_scan w = {.l = l, .d = d};
    const uint8_t *p = buf;
    return scan_message(&w, p, p + len, K_MODEL, 0);
}

/* ---- 2. the unpacked main graph ----------------------------------------------------- */

typedef struct model_check {
    const glc_import_limits *l;
    glc_diag *d;
    uint64_t weight_bytes;
    char what[160];
} model_check;

static glc_status check_str(model_check *mc, const char *kind, const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n <= mc->l->string_bytes) return GLC_OK;
    char what[200];
    snprintf(what, sizeof what, "the length of %s '%.40s...'", kind, s);
    return exceeded(mc->d, what, n, "string-bytes", mc->l->string_bytes);
}

static uint64_t sat_mul(uint64_t a, uint64_t b) {
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Rank, every dimension and the element count of a declared shape (dims < 0 are left to
 * the callers' own checks); adds numel * esize to the weight total. The element count is
 * a saturating product, so it never wraps; once it passes the checks it is at most 2^56
 * (tensor-elems' maximum), and numel * esize (esize <= 8) and the running total (checked
 * after each addition, at most 2^62) stay far below 2^64. */
static glc_status check_shape(model_check *mc, const char *what, size_t rank, const int64_t *dims,
                              size_t esize) {
    char buf[260];
    if (rank > mc->l->rank) {
        snprintf(buf, sizeof buf, "the rank of %s", what);
        return exceeded(mc->d, buf, rank, "rank", mc->l->rank);
    }
    uint64_t numel = 1;
    for (size_t i = 0; i < rank; i++) {
        if (dims[i] < 0) continue;
        if ((uint64_t)dims[i] > mc->l->dim) {
            snprintf(buf, sizeof buf, "dimension %zu of %s", i, what);
            return exceeded(mc->d, buf, (uint64_t)dims[i], "dim", mc->l->dim);
        }
        numel = sat_mul(numel, (uint64_t)dims[i]);
    }
    if (numel > mc->l->tensor_elems) {
        snprintf(buf, sizeof buf, "the element count of %s", what);
        return exceeded(mc->d, buf, numel, "tensor-elems", mc->l->tensor_elems);
    }
    mc->weight_bytes += numel * esize;
    if (mc->weight_bytes > mc->l->weight_bytes)
        return exceeded(mc->d, "the bytes of all weights", mc->weight_bytes, "weight-bytes",
                        mc->l->weight_bytes);
    return GLC_OK;
}

static glc_status check_tensor(model_check *mc, const char *kind, const Onnx__TensorProto *tp) {
    GLC_TRY(check_str(mc, kind, tp->name));
    char what[200];
    snprintf(what, sizeof what, "%s '%.60s'", kind, tp->name ? tp->name : "");
    glc_dtype dt = tp->has_data_type ? fe_dtype_from_onnx(tp->data_type) : GLC_DT_UNDEF;
    return check_shape(mc, what, tp->n_dims, tp->dims, dt == GLC_DT_UNDEF ? 0 : glc_dtype_size(dt));
}

static glc_status check_list(model_check *mc, const Onnx__AttributeProto *a, size_t n) {
    if (n <= mc->l->attr_elems) return GLC_OK;
    char what[120];
    snprintf(what, sizeof what, "the length of attribute '%.40s'", a->name ? a->name : "");
    return exceeded(mc->d, what, n, "attr-elems", mc->l->attr_elems);
}

static glc_status check_attr(model_check *mc, const Onnx__AttributeProto *a) {
    GLC_TRY(check_str(mc, "an attribute name", a->name));
    if (a->s.len > mc->l->string_bytes)
        return exceeded(mc->d, "the length of a string attribute", a->s.len, "string-bytes",
                        mc->l->string_bytes);
    size_t lists[] = {a->n_floats, a->n_ints, a->n_strings, a->n_tensors, a->n_graphs,
                      a->n_sparse_tensors, a->n_type_protos};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        GLC_TRY(check_list(mc, a, lists[i]));
    for (size_t i = 0; i < a->n_strings; i++)
        if (a->strings[i].len > mc->l->string_bytes)
            return exceeded(mc->d, "the length of a string attribute", a->strings[i].len,
                            "string-bytes", mc->l->string_bytes);
    if (a->t) GLC_TRY(check_tensor(mc, "tensor attribute", a->t));
    for (size_t i = 0; i < a->n_tensors; i++)
        GLC_TRY(check_tensor(mc, "tensor attribute", a->tensors[i]));
    return GLC_OK;
}

static glc_status check_node(model_check *mc, const Onnx__NodeProto *np) {
    GLC_TRY(check_str(mc, "a node name", np->name));
    GLC_TRY(check_str(mc, "an op type", np->op_type));
    GLC_TRY(check_str(mc, "a domain", np->domain));
    size_t io = np->n_input > np->n_output ? np->n_input : np->n_output;
    if (io > mc->l->node_io) {
        char what[120];
        snprintf(what, sizeof what, "the inputs or outputs of node '%.40s'", np->name ? np->name : "");
        return exceeded(mc->d, what, io, "node-io", mc->l->node_io);
    }
    for (size_t i = 0; i < np->n_input; i++)
        GLC_TRY(check_str(mc, "a value name", np->input[i]));
    for (size_t i = 0; i < np->n_output; i++)
        GLC_TRY(check_str(mc, "a value name", np->output[i]));
    for (size_t i = 0; i < np->n_attribute; i++)
        GLC_TRY(check_attr(mc, np->attribute[i]));
    return GLC_OK;
}

/* A graph input or output: its name, and its declared static dims (no weight bytes). */
static glc_status check_value_info(model_check *mc, const char *kind,
                                   const Onnx__ValueInfoProto *vi) {
    GLC_TRY(check_str(mc, kind, vi->name));
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type->shape)
        return GLC_OK;
    const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
    char what[120];
    snprintf(what, sizeof what, "%s '%.60s'", kind, vi->name ? vi->name : "");
    int64_t dims[GLC_MAX_RANK];
    if (sp->n_dim > GLC_MAX_RANK) /* above every rank limit: check_shape fails on the rank */
        return check_shape(mc, what, sp->n_dim, NULL, 0);
    for (size_t i = 0; i < sp->n_dim; i++)
        dims[i] = sp->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                      ? sp->dim[i]->dim_value : -1;
    return check_shape(mc, what, sp->n_dim, dims, 0);
}

glc_status fe_check_model(const Onnx__ModelProto *m, const glc_import_limits *l, glc_diag *d) {
    model_check mc = {.l = l, .d = d};
    const Onnx__GraphProto *gp = m->graph;
    GLC_TRY(check_str(&mc, "the graph name", gp->name));
    for (size_t i = 0; i < m->n_opset_import; i++)
        GLC_TRY(check_str(&mc, "an opset domain", m->opset_import[i]->domain));
    for (size_t i = 0; i < gp->n_initializer; i++)
        GLC_TRY(check_tensor(&mc, "initializer", gp->initializer[i]));
    for (size_t i = 0; i < gp->n_input; i++)
        GLC_TRY(check_value_info(&mc, "input", gp->input[i]));
    for (size_t i = 0; i < gp->n_output; i++)
        GLC_TRY(check_value_info(&mc, "output", gp->output[i]));
    for (size_t i = 0; i < gp->n_node; i++)
        GLC_TRY(check_node(&mc, gp->node[i]));
    return GLC_OK;
}

/* ---- 3. inferred values ------------------------------------------------------------- */

glc_status fe_check_values(const glc_graph *g, const glc_import_limits *l, glc_diag *d) {
    model_check mc = {.l = l, .d = d};
    for (glc_value_id v = 1; v < g->n_values; v++) {
        const glc_value *val = &g->values[v];
        char what[120];
        snprintf(what, sizeof what, "value '%.60s'", val->name ? val->name : "");
        GLC_TRY(check_shape(&mc, what, val->rank, val->dims, 0));
    }
    return GLC_OK;
}
