/*
 * elemwise.c -- what every elementwise op (an EW row of ops.def) shares: its attribute
 * spec, read by both evaluators, and its one shape and type rule, infer_elemwise.
 *
 * An attribute spec is the attributes column of the row, e.g.
 *   "f:alpha=0.01"                     a float with a default
 *   "s:approximate=none|tanh"          an enumeration; the first value is the default
 *   "s:direction!=LEFT|RIGHT"          required ('!'), one of two values
 *   "f:min f:max"                      optional floats without a default
 * glc_ew_check_attrs() holds a node to it: an attribute the spec does not name is
 * unsupported (except ONNX's legacy `consumed_inputs`, which never changed a result), one
 * of the wrong kind or outside its enumeration is an error, a required one must be there.
 *
 * infer_elemwise: the type constraints (op_types.c), the attributes, then the output:
 * dtype from the signature, shape the numpy broadcast of all present inputs.
 */
#include "ir.h"
#include "ir_impl.h"

#include <stdlib.h>
#include <string.h>

static const char *const attr_specs[GLC_OP_COUNT] = {
#define OP(...)
#define EW(id, name, ilo, ihi, t, u, sig, attrs, def) [GLC_OP_##id] = attrs,
#include "ops.def"
#undef EW
#undef OP
};

const char *glc_ew_attr_spec(glc_op op) {
    if ((int)op <= GLC_OP_NONE || op >= GLC_OP_COUNT) return NULL;
    return attr_specs[op];
}

/* One item of a spec, "k:name[!][=v|v...]". */
typedef struct spec_item {
    char kind;
    bool required;
    char name[64];
    char vals[160]; /* "0.01", "none|tanh", or "" (no default) */
} spec_item;

/* Parses the item at *p and moves *p past it; false at the end of the spec. */
static bool next_item(const char **p, spec_item *it) {
    while (**p == ' ')
        (*p)++;
    if (!**p) return false;
    char tok[240];
    size_t len = strcspn(*p, " ");
    snprintf(tok, sizeof tok, "%.*s", (int)len, *p);
    *p += len;
    memset(it, 0, sizeof *it);
    it->kind = tok[0];
    const char *name = tok[1] == ':' ? tok + 2 : tok + 1;
    size_t nl = strcspn(name, "!=");
    snprintf(it->name, sizeof it->name, "%.*s", (int)nl, name);
    it->required = name[nl] == '!';
    const char *eq = strchr(name, '=');
    if (eq) snprintf(it->vals, sizeof it->vals, "%s", eq + 1);
    return true;
}

static bool find_item(glc_op op, const char *name, spec_item *it) {
    const char *p = glc_ew_attr_spec(op);
    while (p && next_item(&p, it))
        if (!strcmp(it->name, name)) return true;
    return false;
}

/* The default of it (its first value) into buf; false if it has none. */
static bool default_of(const spec_item *it, char *buf, size_t len) {
    size_t k = strcspn(it->vals, "|");
    if (!k) return false;
    snprintf(buf, len, "%.*s", (int)k, it->vals);
    return true;
}

bool glc_ew_attr_num(const glc_node *n, const char *name, double *v) {
    const glc_attr *a = glc_node_attr(n, name);
    if (a && a->kind == GLC_ATTR_FLOAT) *v = a->f;
    if (a && a->kind == GLC_ATTR_INT) *v = (double)a->i;
    if (a) return a->kind == GLC_ATTR_FLOAT || a->kind == GLC_ATTR_INT;
    spec_item it;
    char buf[64];
    if (!find_item(n->op, name, &it) || (it.kind != 'f' && it.kind != 'i') ||
        !default_of(&it, buf, sizeof buf))
        return false;
    *v = strtod(buf, NULL);
    return true;
}

/* The attribute's value as text ("tanh", "1", "0.5"); its default if absent. */
static bool attr_text(const glc_node *n, const char *name, char *buf, size_t len) {
    const glc_attr *a = glc_node_attr(n, name);
    spec_item it;
    if (!a) return find_item(n->op, name, &it) && default_of(&it, buf, len);
    if (a->kind == GLC_ATTR_STRING)
        snprintf(buf, len, "%s", a->s ? a->s : "");
    else if (a->kind == GLC_ATTR_INT)
        snprintf(buf, len, "%lld", (long long)a->i);
    else if (a->kind == GLC_ATTR_FLOAT)
        snprintf(buf, len, "%.9g", (double)a->f);
    else
        return false;
    return true;
}

bool glc_ew_attr_is(const glc_node *n, const char *name, const char *value) {
    char buf[160];
    return attr_text(n, name, buf, sizeof buf) && !strcmp(buf, value);
}

/* Whether text is one of the '|'-separated values. */
static bool in_enum(const char *vals, const char *text) {
    size_t tl = strlen(text);
    for (const char *p = vals; *p; p += *p == '|') {
        size_t k = strcspn(p, "|");
        if (k == tl && !strncmp(p, text, k)) return true;
        p += k;
    }
    return false;
}

static glc_status check_attr(const glc_node *n, const glc_attr *a, glc_diag *d) {
    static const glc_attr_kind kinds[] = {
        ['f'] = GLC_ATTR_FLOAT, ['i'] = GLC_ATTR_INT, ['s'] = GLC_ATTR_STRING};
    static const char *const kind_names[] = {
        ['f'] = "a float", ['i'] = "an int", ['s'] = "a string"};
    const char *op = glc_op_name(n->op);
    spec_item it;
    if (!strcmp(a->name, "consumed_inputs")) return GLC_OK;
    if (!find_item(n->op, a->name, &it))
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: attribute '%s' is not supported", op,
                            a->name);
    if (it.kind != '*' && a->kind != kinds[(unsigned char)it.kind])
        return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute '%s' must be %s", op, a->name,
                            kind_names[(unsigned char)it.kind]);
    char text[160];
    if (!strchr(it.vals, '|') || !attr_text(n, a->name, text, sizeof text) ||
        in_enum(it.vals, text))
        return GLC_OK;
    char want[200];
    size_t k = 0;
    for (const char *p = it.vals; *p && k + 8 < sizeof want; p++)
        k += (size_t)snprintf(want + k, sizeof want - k, *p == '|' ? " or " : "%c", *p);
    return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute '%s' is '%s'; expected %s", op, a->name,
                        text, want);
}

glc_status glc_ew_check_attrs(const glc_node *n, glc_diag *d) {
    for (uint16_t k = 0; k < n->n_attrs; k++)
        GLC_TRY(check_attr(n, &n->attrs[k], d));
    const char *p = glc_ew_attr_spec(n->op);
    spec_item it;
    while (p && next_item(&p, &it))
        if (it.required && !glc_node_attr(n, it.name))
            return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute '%s' is required",
                                glc_op_name(n->op), it.name);
    return GLC_OK;
}

const char *glc_ew_spec_check(glc_op op) {
    const char *p = glc_ew_attr_spec(op);
    spec_item it;
    while (p && next_item(&p, &it)) {
        if (!strchr("fis*", it.kind) || !it.name[0]) return "bad kind or name";
        for (const char *v = it.vals; *v && (it.kind == 'f' || it.kind == 'i');) {
            char *end;
            strtod(v, &end);
            if (end == v || (*end && *end != '|')) return "a default that is not a number";
            v = *end ? end + 1 : end;
        }
    }
    return NULL;
}

/* Output dtype '@' named nothing glc holds. */
static glc_status bad_target(const glc_node *n, glc_diag *d) {
    const glc_attr *a = glc_node_attr(n, "to");
    bool str = a && ((a->kind == GLC_ATTR_INT && a->i == GLC_DT_STRING) ||
                     (a->kind == GLC_ATTR_STRING && a->s && !strcmp(a->s, "STRING")));
    if (str)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: to string is not supported",
                            glc_op_name(n->op));
    return glc_diag_set(d, GLC_E_SHAPE, n, "%s: attribute 'to' names no tensor dtype",
                        glc_op_name(n->op));
}

glc_status infer_elemwise(glc_graph *g, glc_node *n, glc_diag *d) {
    if (n->n_in > GLC_EW_MAX_IN)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: %u inputs; glc takes at most %d",
                            glc_op_name(n->op), n->n_in, GLC_EW_MAX_IN);
    GLC_TRY(glc_op_check_types(g, n, d));
    GLC_TRY(glc_ew_check_attrs(n, d));
    glc_dtype dt = glc_op_out_dtype(g, n, 0);
    if (dt == GLC_DT_UNDEF) return bad_target(n, d);
    int r;
    int64_t dims[GLC_MAX_RANK];
    GLC_TRY(infer_broadcast_inputs(g, n, &r, dims, d));
    GLC_TRY(infer_check_numel(n, r, dims, d));
    infer_set_out_k(g, n, 0, dt, r, dims);
    return GLC_OK;
}
