/*
 * graph.c -- building, querying and compacting the graph.
 *
 * Values and nodes live in growable arrays addressed by id; everything they point to
 * (names, id lists, attributes, constant bytes) lives in the graph's arena. Value id 0
 * is the reserved "none". Compaction renumbers both arrays but keeps relative order,
 * so printing and codegen stay deterministic.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

glc_graph *glc_graph_create(void) {
    glc_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->cap_values = 64;
    g->values = calloc(g->cap_values, sizeof *g->values);
    g->cap_nodes = 64;
    g->nodes = calloc(g->cap_nodes, sizeof *g->nodes);
    g->dimtab = glc_dim_table_create();
    if (!g->values || !g->nodes || !g->dimtab) {
        glc_graph_destroy(g);
        return NULL;
    }
    g->n_values = 1; /* values[0] = none */
    g->values[0].producer = GLC_NO_NODE;
    g->values[0].name = "";
    g->opset = 13;
    return g;
}

glc_graph *glc_graph_create_body(glc_graph *parent) {
    glc_graph *b = glc_graph_create();
    if (!b) return NULL;
    b->parent = parent;
    b->opset = parent->opset;
    b->opset_glc = parent->opset_glc;
    return b;
}

glc_graph *glc_graph_root(const glc_graph *g) {
    while (g->parent)
        g = g->parent;
    return (glc_graph *)g;
}

void glc_graph_destroy(glc_graph *g) {
    if (!g) return;
    for (uint32_t k = 0; g->nodes && k < g->n_nodes; k++)
        glc_graph_destroy(g->nodes[k].body);
    glc_arena_release(&g->arena);
    glc_dim_table_destroy(g->dimtab);
    free(g->syms);
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g);
}

static bool grow(void **arr, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return true;
    uint32_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > UINT32_MAX / 2) return false;
        ncap *= 2;
    }
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p) return false;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return true;
}

glc_value_id glc_graph_add_value(glc_graph *g, const char *name, glc_dtype dt, int rank,
                                 const int64_t *dims) {
    if (rank < 0 || rank > GLC_MAX_RANK) return 0;
    if (!grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof *g->values)) return 0;
    glc_value_id id = g->n_values;
    glc_value *v = &g->values[id];
    memset(v, 0, sizeof *v);
    char tmp[32];
    if (!name) {
        snprintf(tmp, sizeof tmp, "%%%u", id);
        name = tmp;
    }
    v->name = glc_arena_strdup(&g->arena, name);
    if (!v->name) return 0;
    v->dtype = dt;
    v->rank = (uint8_t)rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    v->producer = GLC_NO_NODE;
    g->n_values++;
    return id;
}

glc_value_id glc_graph_add_const(glc_graph *g, const char *name, glc_dtype dt, int rank,
                                 const int64_t *dims, const void *data) {
    glc_value_id id = glc_graph_add_value(g, name, dt, rank, dims);
    if (!id) return 0;
    size_t n = glc_value_nbytes(&g->values[id]);
    void *copy = glc_arena_memdup(&g->arena, data, n);
    if (!copy) return 0;
    g->values[id].data = copy;
    return id;
}

glc_node_id glc_graph_add_node(glc_graph *g, glc_op op, const char *name, const glc_value_id *in,
                               int n_in, const glc_value_id *out, int n_out) {
    if (n_in < 0 || n_out < 0 || n_in > UINT16_MAX || n_out > UINT16_MAX) return GLC_NO_NODE;
    if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
        return GLC_NO_NODE;
    glc_node_id id = g->n_nodes;
    glc_node *n = &g->nodes[id];
    memset(n, 0, sizeof *n);
    char tmp[48];
    if (!name || !*name) {
        snprintf(tmp, sizeof tmp, "%s_%u", glc_op_name(op), id);
        name = tmp;
    }
    n->op = op;
    n->name = glc_arena_strdup(&g->arena, name);
    n->in = glc_arena_memdup(&g->arena, in, (size_t)n_in * sizeof *in);
    n->out = glc_arena_memdup(&g->arena, out, (size_t)n_out * sizeof *out);
    if (!n->name || !n->in || !n->out) return GLC_NO_NODE;
    n->n_in = (uint16_t)n_in;
    n->n_out = (uint16_t)n_out;
    for (int i = 0; i < n_out; i++)
        if (out[i] && out[i] < g->n_values) g->values[out[i]].producer = id;
    g->n_nodes++;
    return id;
}

glc_status glc_graph_add_input(glc_graph *g, glc_value_id v) {
    if (!grow((void **)&g->inputs, &g->cap_inputs, g->n_inputs + 1, sizeof *g->inputs))
        return GLC_E_NOMEM;
    g->inputs[g->n_inputs++] = v;
    g->values[v].is_input = true;
    return GLC_OK;
}

glc_status glc_graph_add_output(glc_graph *g, glc_value_id v) {
    if (!grow((void **)&g->outputs, &g->cap_outputs, g->n_outputs + 1, sizeof *g->outputs))
        return GLC_E_NOMEM;
    g->outputs[g->n_outputs++] = v;
    g->values[v].is_output = true;
    return GLC_OK;
}

glc_value_id glc_graph_find_value(const glc_graph *g, const char *name) {
    for (uint32_t i = 1; i < g->n_values; i++)
        if (g->values[i].name && !strcmp(g->values[i].name, name)) return i;
    return 0;
}

/* ---- attributes ---------------------------------------------------------------- */

static glc_status copy_attr_payload(glc_arena *a, glc_attr *dst, const glc_attr *src) {
    *dst = *src;
    dst->name = glc_arena_strdup(a, src->name);
    if (!dst->name) return GLC_E_NOMEM;
    if (src->s && !(dst->s = glc_arena_strdup(a, src->s))) return GLC_E_NOMEM;
    if (src->floats && !(dst->floats = glc_arena_memdup(a, src->floats, src->n * sizeof(float))))
        return GLC_E_NOMEM;
    if (src->ints && !(dst->ints = glc_arena_memdup(a, src->ints, src->n * sizeof(int64_t))))
        return GLC_E_NOMEM;
    if (src->strings) {
        char **ss = glc_arena_alloc(a, (src->n ? src->n : 1) * sizeof(char *));
        if (!ss) return GLC_E_NOMEM;
        for (uint32_t i = 0; i < src->n; i++)
            if (!(ss[i] = glc_arena_strdup(a, src->strings[i]))) return GLC_E_NOMEM;
        dst->strings = (const char *const *)ss;
    }
    /* Tensors are expected to be arena-owned already (the importer builds them there). */
    return GLC_OK;
}

glc_status glc_node_set_attr(glc_graph *g, glc_node_id id, const glc_attr *a) {
    glc_node *n = &g->nodes[id];
    glc_attr *attrs = glc_arena_alloc(&g->arena, (n->n_attrs + 1u) * sizeof *attrs);
    if (!attrs) return GLC_E_NOMEM;
    uint16_t k = 0;
    for (uint16_t i = 0; i < n->n_attrs; i++) /* replace an attribute of the same name */
        if (strcmp(n->attrs[i].name, a->name)) attrs[k++] = n->attrs[i];
    GLC_TRY(copy_attr_payload(&g->arena, &attrs[k], a));
    n->attrs = attrs;
    n->n_attrs = (uint16_t)(k + 1);
    return GLC_OK;
}

glc_status glc_node_set_int(glc_graph *g, glc_node_id n, const char *name, int64_t v) {
    return glc_node_set_attr(g, n, &(glc_attr){.name = name, .kind = GLC_ATTR_INT, .i = v});
}

glc_status glc_node_set_float(glc_graph *g, glc_node_id n, const char *name, float v) {
    return glc_node_set_attr(g, n, &(glc_attr){.name = name, .kind = GLC_ATTR_FLOAT, .f = v});
}

glc_status glc_node_set_string(glc_graph *g, glc_node_id n, const char *name, const char *v) {
    return glc_node_set_attr(g, n, &(glc_attr){.name = name, .kind = GLC_ATTR_STRING, .s = v});
}

glc_status glc_node_set_ints(glc_graph *g, glc_node_id n, const char *name, const int64_t *v,
                             uint32_t count) {
    int64_t empty = 0;
    return glc_node_set_attr(g, n, &(glc_attr){.name = name, .kind = GLC_ATTR_INTS,
                                               .ints = v ? v : &empty, .n = count});
}

glc_status glc_node_set_floats(glc_graph *g, glc_node_id n, const char *name, const float *v,
                               uint32_t count) {
    float empty = 0;
    return glc_node_set_attr(g, n, &(glc_attr){.name = name, .kind = GLC_ATTR_FLOATS,
                                               .floats = v ? v : &empty, .n = count});
}

const glc_attr *glc_node_attr(const glc_node *n, const char *name) {
    for (uint16_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

int64_t glc_attr_int(const glc_node *n, const char *name, int64_t dflt) {
    const glc_attr *a = glc_node_attr(n, name);
    return a && a->kind == GLC_ATTR_INT ? a->i : dflt;
}

float glc_attr_float(const glc_node *n, const char *name, float dflt) {
    const glc_attr *a = glc_node_attr(n, name);
    return a && a->kind == GLC_ATTR_FLOAT ? a->f : dflt;
}

const char *glc_attr_string(const glc_node *n, const char *name, const char *dflt) {
    const glc_attr *a = glc_node_attr(n, name);
    return a && a->kind == GLC_ATTR_STRING ? a->s : dflt;
}

const int64_t *glc_attr_ints(const glc_node *n, const char *name, uint32_t *count) {
    const glc_attr *a = glc_node_attr(n, name);
    if (!a || a->kind != GLC_ATTR_INTS) {
        *count = 0;
        return NULL;
    }
    *count = a->n;
    return a->ints;
}

const float *glc_attr_floats(const glc_node *n, const char *name, uint32_t *count) {
    const glc_attr *a = glc_node_attr(n, name);
    if (!a || a->kind != GLC_ATTR_FLOATS) {
        *count = 0;
        return NULL;
    }
    *count = a->n;
    return a->floats;
}

/* ---- shapes ---------------------------------------------------------------------- */

int64_t glc_value_numel(const glc_value *v) {
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) {
        if (glc_dim_is_sym(v->dims[i])) return -1; /* not a number: see glc_value_numel_dim */
        n *= v->dims[i];
    }
    return n;
}

glc_dim glc_value_numel_dim(const glc_graph *g, const glc_value *v) {
    return glc_dim_prod(g, v->dims, 0, v->rank);
}

void glc_value_shape_str(const glc_graph *g, const glc_value *v, char *buf, size_t len) {
    if (v->dtype == GLC_DT_UNDEF) {
        if (len) snprintf(buf, len, "?");
        return;
    }
    size_t k = 0;
    int w = snprintf(buf, len, "%s[", glc_dtype_name(v->dtype));
    k = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < v->rank && k < len; i++) {
        char e[96];
        w = snprintf(buf + k, len - k, i ? ",%s" : "%s", glc_dim_str(g, v->dims[i], e, sizeof e));
        if (w > 0) k += (size_t)w;
    }
    if (k < len) snprintf(buf + k, len - k, "]");
}

size_t glc_value_nbytes(const glc_value *v) {
    return (size_t)glc_value_numel(v) * glc_dtype_size(v->dtype);
}

void glc_shape_str(glc_dtype dt, int rank, const int64_t *dims, char *buf, size_t len) {
    size_t k = 0;
    if (dt == GLC_DT_UNDEF) { /* as documented in ir.h: an unknown shape prints "?" */
        if (len) snprintf(buf, len, "?");
        return;
    }
    int w = snprintf(buf, len, "%s[", glc_dtype_name(dt));
    k = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < rank && k < len; i++) {
        w = glc_dim_is_sym(dims[i]) ? snprintf(buf + k, len - k, i ? ",?" : "?")
                                    : snprintf(buf + k, len - k, i ? ",%lld" : "%lld",
                                               (long long)dims[i]);
        if (w > 0) k += (size_t)w;
    }
    if (k < len) snprintf(buf + k, len - k, "]");
}

const glc_value *glc_node_input(const glc_graph *g, const glc_node *n, int i) {
    if (i < 0 || i >= n->n_in || !n->in[i]) return NULL;
    return &g->values[n->in[i]];
}

/* ---- compaction ------------------------------------------------------------------ */

static void mark_used(const glc_graph *g, bool *used) {
    used[0] = true;
    for (uint32_t i = 0; i < g->n_inputs; i++) used[g->inputs[i]] = true;
    for (uint32_t i = 0; i < g->n_outputs; i++) used[g->outputs[i]] = true;
    for (uint32_t k = 0; k < g->n_nodes; k++) {
        const glc_node *n = &g->nodes[k];
        if (n->dead) continue;
        for (int i = 0; i < n->n_in; i++) used[n->in[i]] = true;
        for (int i = 0; i < n->n_out; i++) used[n->out[i]] = true;
        for (int k = 0; k < n->n_guards; k++) used[n->guard[k]] = true;
    }
}

bool glc_node_same_guards(const glc_node *a, const glc_node *b) {
    if (a->n_guards != b->n_guards || a->guard_false != b->guard_false) return false;
    for (int k = 0; k < a->n_guards; k++)
        if (a->guard[k] != b->guard[k]) return false;
    return true;
}

void glc_node_copy_guards(glc_node *dst, const glc_node *src) {
    memcpy(dst->guard, src->guard, sizeof dst->guard);
    dst->n_guards = src->n_guards;
    dst->guard_false = src->guard_false;
}

static void renumber(glc_value_id *ids, uint32_t count, const glc_value_id *map) {
    for (uint32_t i = 0; i < count; i++) ids[i] = map[ids[i]];
}

glc_status glc_graph_compact(glc_graph *g) {
    bool *used = calloc(g->n_values, sizeof *used);
    glc_value_id *map = calloc(g->n_values, sizeof *map);
    if (!used || !map) {
        free(used);
        free(map);
        return GLC_E_NOMEM;
    }
    mark_used(g, used);
    uint32_t nv = 0;
    for (uint32_t i = 0; i < g->n_values; i++)
        if (used[i]) {
            map[i] = nv;
            g->values[nv++] = g->values[i];
        }
    g->n_values = nv;
    uint32_t nn = 0;
    for (uint32_t k = 0; k < g->n_nodes; k++) {
        if (g->nodes[k].dead) {
            glc_graph_destroy(g->nodes[k].body);
            g->nodes[k].body = NULL;
            continue;
        }
        glc_node *n = &g->nodes[nn];
        *n = g->nodes[k];
        renumber(n->in, n->n_in, map);
        renumber(n->out, n->n_out, map);
        renumber(n->guard, n->n_guards, map);
        nn++;
    }
    g->n_nodes = nn;
    renumber(g->inputs, g->n_inputs, map);
    renumber(g->outputs, g->n_outputs, map);
    for (uint32_t i = 0; i < g->n_values; i++) g->values[i].producer = GLC_NO_NODE;
    for (uint32_t k = 0; k < g->n_nodes; k++)
        for (int i = 0; i < g->nodes[k].n_out; i++)
            if (g->nodes[k].out[i]) g->values[g->nodes[k].out[i]].producer = k;
    free(used);
    free(map);
    return GLC_OK;
}
