/*
 * import_attrs.c -- ONNX AttributeProto -> glc_attr.
 *
 * Every attribute kind is kept, so that an op's own code (infer, lower) decides what
 * it accepts. FLOAT, INT, STRING, FLOATS, INTS and STRINGS are handed to
 * glc_node_set_attr, which copies names, strings and lists into the graph arena;
 * TENSOR and TENSORS are decoded into arena-owned glc_tensors first (set_attr keeps
 * tensor pointers as they are). GRAPH(S), SPARSE_TENSOR(S) and TYPE_PROTO(S) are
 * recorded with their kind and no payload: no glc op takes them, and an op that
 * meets one reports it. Empty lists get a non-NULL pointer so that "present but
 * empty" differs from "absent".
 */
#include "frontend_impl.h"

#include <stdlib.h>
#include <string.h>

glc_status fe_tensor_to_arena(glc_graph *g, const Onnx__TensorProto *tp, const char *what,
                              glc_tensor *out, glc_diag *d) {
    fe_tensor t;
    GLC_TRY(fe_tensor_decode(tp, what, &t, d));
    void *data = glc_arena_memdup(&g->arena, t.data, t.nbytes);
    free(t.data);
    if (!data) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    out->dtype = t.dtype;
    out->rank = (uint8_t)t.rank;
    memcpy(out->dims, t.dims, sizeof out->dims);
    out->data = data;
    return GLC_OK;
}

/* A NUL-terminated arena copy of protobuf bytes. */
static char *arena_strndup(glc_graph *g, const ProtobufCBinaryData *b) {
    char *s = glc_arena_alloc(&g->arena, b->len + 1);
    if (s && b->len) memcpy(s, b->data, b->len);
    return s;
}

static glc_status read_strings(glc_graph *g, const Onnx__AttributeProto *a, glc_attr *at) {
    char **ss = glc_arena_alloc(&g->arena, (a->n_strings ? a->n_strings : 1) * sizeof *ss);
    if (!ss) return GLC_E_NOMEM;
    for (size_t i = 0; i < a->n_strings; i++)
        if (!(ss[i] = arena_strndup(g, &a->strings[i]))) return GLC_E_NOMEM;
    at->strings = (const char *const *)ss;
    at->n = (uint32_t)a->n_strings;
    return GLC_OK;
}

static glc_status read_tensors(glc_graph *g, const Onnx__AttributeProto *a, glc_attr *at,
                               glc_diag *d) {
    glc_tensor *ts = glc_arena_alloc(&g->arena, (a->n_tensors ? a->n_tensors : 1) * sizeof *ts);
    if (!ts) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    char what[200];
    for (size_t i = 0; i < a->n_tensors; i++) {
        snprintf(what, sizeof what, "attribute '%s' tensor %zu", at->name, i);
        GLC_TRY(fe_tensor_to_arena(g, a->tensors[i], what, &ts[i], d));
    }
    at->tensors = ts;
    at->n = (uint32_t)a->n_tensors;
    return GLC_OK;
}

static glc_status read_tensor(glc_graph *g, const Onnx__AttributeProto *a, glc_attr *at,
                              glc_diag *d) {
    if (!a->t) return glc_diag_set(d, GLC_E_PARSE, NULL, "attribute '%s' has no tensor", at->name);
    glc_tensor *t = glc_arena_alloc(&g->arena, sizeof *t);
    if (!t) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    char what[200];
    snprintf(what, sizeof what, "attribute '%s'", at->name);
    GLC_TRY(fe_tensor_to_arena(g, a->t, what, t, d));
    at->t = t;
    return GLC_OK;
}

/* Fills the payload of at (kind already set) from a. */
static glc_status read_payload(glc_graph *g, const Onnx__AttributeProto *a, glc_attr *at,
                               glc_diag *d) {
    static const float no_floats[1];
    static const int64_t no_ints[1];
    switch (at->kind) {
    case GLC_ATTR_FLOAT:
        at->f = a->f;
        return GLC_OK;
    case GLC_ATTR_INT:
        at->i = a->i;
        return GLC_OK;
    case GLC_ATTR_STRING:
        at->s = arena_strndup(g, &a->s);
        return at->s ? GLC_OK : GLC_E_NOMEM;
    case GLC_ATTR_FLOATS:
        at->floats = a->n_floats ? a->floats : no_floats;
        at->n = (uint32_t)a->n_floats;
        return GLC_OK;
    case GLC_ATTR_INTS:
        at->ints = a->n_ints ? a->ints : no_ints;
        at->n = (uint32_t)a->n_ints;
        return GLC_OK;
    case GLC_ATTR_STRINGS:
        return read_strings(g, a, at);
    case GLC_ATTR_TENSOR:
        return read_tensor(g, a, at, d);
    case GLC_ATTR_TENSORS:
        return read_tensors(g, a, at, d);
    case GLC_ATTR_GRAPH:
    case GLC_ATTR_GRAPHS:
    case GLC_ATTR_SPARSE_TENSOR:
    case GLC_ATTR_SPARSE_TENSORS:
    case GLC_ATTR_TYPE_PROTO:
    case GLC_ATTR_TYPE_PROTOS:
        return GLC_OK; /* kind only */
    case GLC_ATTR_UNDEF:
        break;
    }
    return glc_diag_set(d, GLC_E_PARSE, NULL, "attribute '%s' has no valid type", at->name);
}

static bool list_too_long(const Onnx__AttributeProto *a) {
    return a->n_floats > UINT32_MAX || a->n_ints > UINT32_MAX || a->n_strings > UINT32_MAX ||
           a->n_tensors > UINT32_MAX;
}

glc_status fe_attr_read(glc_graph *g, glc_node_id id, const Onnx__AttributeProto *a, glc_diag *d) {
    const glc_node *n = &g->nodes[id];
    if (!a->name || !*a->name) return glc_diag_set(d, GLC_E_PARSE, n, "an attribute has no name");
    if (list_too_long(a))
        return glc_diag_set(d, GLC_E_LIMIT, n, "attribute '%s' is too long", a->name);
    int kind = a->has_type ? (int)a->type : 0;
    if (kind < GLC_ATTR_FLOAT || kind > GLC_ATTR_TYPE_PROTOS)
        return glc_diag_set(d, GLC_E_PARSE, n, "attribute '%s' has no valid type", a->name);
    glc_attr at = {.name = a->name, .kind = (glc_attr_kind)kind};
    glc_status s = read_payload(g, a, &at, d);
    if (s == GLC_E_NOMEM) return glc_diag_set(d, s, n, "out of memory");
    GLC_TRY(s);
    if (glc_node_set_attr(g, id, &at) != GLC_OK)
        return glc_diag_set(d, GLC_E_NOMEM, n, "out of memory");
    return GLC_OK;
}
