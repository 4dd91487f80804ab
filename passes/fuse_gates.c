/*
 * fuse_gates.c -- one product where a graph has several reading the same operand with
 * different constant weights: the gate products of an LSTM, GRU or ConvLSTM cell written
 * out in standard ops (one MatMul, Gemm or Conv per gate, as exporters of hand-written
 * cells produce them), fused into one product of the concatenated weights and a Split:
 *
 *   y_k = MatMul(x, B_k)        k < n   ->  y = MatMul(x, [B_0 .. B_n-1])     (K, sum N_k)
 *   y_k = Gemm(x, B_k, C_k)             ->  y = Gemm(x, [B_k], [C_k])         along N
 *   y_k = Conv(x, W_k, b_k)             ->  y = Conv(x, [W_k], [b_k])          along M
 *                                           y_0 .. y_n-1 = Split(y, [N_0 .. N_n-1])
 *
 * Siblings: same op, same first input, same guard (run-time If), constant f32 weights (and biases) of the same
 * shape but for the output axis, and identical attributes (Gemm: alpha = beta = 1,
 * transA = 0; Conv: group = 1). A missing bias among siblings that have one becomes
 * zeros. Each output element is the same sum over the same terms in the same order, so
 * the interpreter gives identical results before and after; the compiled product is one
 * larger matrix product instead of n small ones. The fused node and the Split take the
 * place of the first sibling (every sibling's inputs are defined by then); the other
 * siblings die.
 */
#include "passes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIBLINGS 16

/* Axis of the weight (input 1) that indexes outputs, or -1 if n is no candidate. */
static int weight_out_axis(const glc_graph *g, const glc_node *n) {
    if (n->dead || n->n_in < 2 || !n->in[0] || !n->in[1] || n->n_out < 1 || !n->out[0])
        return -1;
    const glc_value *w = &g->values[n->in[1]];
    if (!w->data || w->dtype != GLC_DT_F32) return -1;
    int axis = -1;
    switch (n->op) {
    case GLC_OP_MATMUL:
        axis = w->rank == 2 ? 1 : -1;
        break;
    case GLC_OP_GEMM:
        if (w->rank != 2 || glc_attr_int(n, "transA", 0) || glc_attr_float(n, "alpha", 1) != 1 ||
            glc_attr_float(n, "beta", 1) != 1)
            return -1;
        axis = glc_attr_int(n, "transB", 0) ? 0 : 1;
        break;
    case GLC_OP_CONV:
        axis = w->rank >= 3 && glc_attr_int(n, "group", 1) == 1 ? 0 : -1;
        break;
    default:
        return -1;
    }
    if (axis >= 0 && n->n_in > 2 && n->in[2]) { /* a bias: one constant per output */
        const glc_value *b = &g->values[n->in[2]];
        if (!b->data || b->dtype != GLC_DT_F32 || b->rank != 1 || b->dims[0] != w->dims[axis])
            return -1;
    }
    return axis;
}

static bool attr_equal(const glc_attr *a, const glc_attr *b) {
    if (strcmp(a->name, b->name) || a->kind != b->kind || a->n != b->n) return false;
    switch (a->kind) {
    case GLC_ATTR_FLOAT:
        return a->f == b->f;
    case GLC_ATTR_INT:
        return a->i == b->i;
    case GLC_ATTR_STRING:
        return !strcmp(a->s, b->s);
    case GLC_ATTR_INTS:
        return !memcmp(a->ints, b->ints, a->n * sizeof *a->ints);
    case GLC_ATTR_FLOATS:
        return !memcmp(a->floats, b->floats, a->n * sizeof *a->floats);
    default:
        return false;
    }
}

static bool attrs_equal(const glc_node *a, const glc_node *b) {
    if (a->n_attrs != b->n_attrs) return false;
    for (int i = 0; i < a->n_attrs; i++) {
        const glc_attr *o = glc_node_attr(b, a->attrs[i].name);
        if (!o || !attr_equal(&a->attrs[i], o)) return false;
    }
    return true;
}

/* Whether b can join a's group: same op, operand and attributes, weights alike but for
 * the output axis. */
static bool siblings(const glc_graph *g, const glc_node *a, const glc_node *b, int axis) {
    if (b->op != a->op || b->in[0] != a->in[0] || !glc_node_same_guards(a, b) ||
        weight_out_axis(g, b) != axis)
        return false;
    const glc_value *wa = &g->values[a->in[1]], *wb = &g->values[b->in[1]];
    if (wa->rank != wb->rank) return false;
    for (int d = 0; d < wa->rank; d++)
        if (d != axis && wa->dims[d] != wb->dims[d]) return false;
    return attrs_equal(a, b);
}

/* The concatenation along `axis` of the n constants ids (zeros for id 0: a missing bias of
 * len[k] entries, rank 1). */
static glc_value_id concat_const(glc_graph *g, const glc_value_id *ids, const int64_t *len,
                                 int n, int axis, const char *name) {
    const glc_value *v0 = NULL;
    for (int k = 0; k < n && !v0; k++)
        if (ids[k]) v0 = &g->values[ids[k]];
    int rank = v0->rank;
    int64_t dims[GLC_MAX_RANK], outer = 1, inner = 1, total = 0;
    memcpy(dims, v0->dims, sizeof dims);
    for (int d = 0; d < axis; d++)
        outer *= dims[d];
    for (int d = axis + 1; d < rank; d++)
        inner *= dims[d];
    for (int k = 0; k < n; k++)
        total += len[k];
    dims[axis] = total;
    float *buf = calloc((size_t)(outer * total * inner), sizeof *buf);
    if (!buf) return 0;
    int64_t at = 0;
    for (int k = 0; k < n; k++) {
        const float *src = ids[k] ? g->values[ids[k]].data : NULL;
        for (int64_t o = 0; src && o < outer; o++)
            memcpy(buf + (o * total + at) * inner, src + o * len[k] * inner,
                   (size_t)(len[k] * inner) * sizeof *buf);
        at += len[k];
    }
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, rank, dims, buf);
    free(buf);
    return id;
}

/* Moves the last `count` nodes to position `at` (compact recomputes the producers). */
static void move_tail_to(glc_graph *g, uint32_t at, uint32_t count) {
    glc_node tail[2];
    memcpy(tail, &g->nodes[g->n_nodes - count], count * sizeof *tail);
    memmove(&g->nodes[at + count], &g->nodes[at], (g->n_nodes - count - at) * sizeof *tail);
    memcpy(&g->nodes[at], tail, count * sizeof *tail);
}

/* The Split of y into the members' outputs along `axis` of y. */
static glc_status add_split(glc_graph *g, const char *name, glc_value_id y, int axis,
                            const glc_value_id *outs, const int64_t *len, int n) {
    char nm[300];
    glc_value_id in[2] = {y, 0};
    if (g->opset >= 13) {
        snprintf(nm, sizeof nm, "%.200s.split_sizes", name);
        in[1] = glc_graph_add_const(g, nm, GLC_DT_I64, 1, (int64_t[]){n}, len);
        if (!in[1]) return GLC_E_NOMEM;
    }
    snprintf(nm, sizeof nm, "%.200s.split", name);
    glc_node_id s = glc_graph_add_node(g, GLC_OP_SPLIT, nm, in, in[1] ? 2 : 1, outs, n);
    if (s == GLC_NO_NODE) return GLC_E_NOMEM;
    GLC_TRY(glc_node_set_int(g, s, "axis", axis));
    if (!in[1]) GLC_TRY(glc_node_set_ints(g, s, "split", len, (uint32_t)n));
    return GLC_OK;
}

/* Replaces the n members (node ids, in graph order) with the fused product and a Split. */
static glc_status fuse(glc_graph *g, const glc_node_id *mem, int n, int axis) {
    const glc_node *a = &g->nodes[mem[0]];
    glc_op op = a->op;
    bool bias = false;
    glc_value_id w[MAX_SIBLINGS] = {0}, b[MAX_SIBLINGS] = {0}, outs[MAX_SIBLINGS] = {0};
    int64_t len[MAX_SIBLINGS] = {0};
    for (int k = 0; k < n; k++) {
        const glc_node *m = &g->nodes[mem[k]];
        w[k] = m->in[1];
        b[k] = m->n_in > 2 ? m->in[2] : 0;
        bias = bias || b[k];
        outs[k] = m->out[0];
        len[k] = g->values[w[k]].dims[axis];
    }
    char name[256], cname[300];
    snprintf(name, sizeof name, "%.200s.fused", a->name);
    snprintf(cname, sizeof cname, "%s.w", name);
    glc_value_id in[3] = {a->in[0], concat_const(g, w, len, n, axis, cname), 0};
    if (!in[1]) return GLC_E_NOMEM;
    snprintf(cname, sizeof cname, "%s.b", name);
    if (bias && !(in[2] = concat_const(g, b, len, n, 0, cname))) return GLC_E_NOMEM;
    /* y: the first output's shape with the fused axis summed (last for MatMul and Gemm,
     * channels for Conv) */
    const glc_value *y0 = &g->values[outs[0]];
    int yaxis = op == GLC_OP_CONV ? 1 : y0->rank - 1;
    int64_t dims[GLC_MAX_RANK];
    memcpy(dims, y0->dims, sizeof dims);
    dims[yaxis] = 0;
    for (int k = 0; k < n; k++)
        dims[yaxis] += len[k];
    glc_value_id y = glc_graph_add_value(g, name, y0->dtype, y0->rank, dims);
    if (!y) return GLC_E_NOMEM;
    glc_node_id f = glc_graph_add_node(g, op, name, in, bias ? 3 : 2, &y, 1);
    if (f == GLC_NO_NODE) return GLC_E_NOMEM;
    a = &g->nodes[mem[0]]; /* add_node may move the array */
    for (int i = 0; i < a->n_attrs; i++)
        GLC_TRY(glc_node_set_attr(g, f, &a->attrs[i]));
    GLC_TRY(add_split(g, name, y, yaxis, outs, len, n));
    glc_node_copy_guards(&g->nodes[f], &g->nodes[mem[0]]);
    glc_node_copy_guards(&g->nodes[f + 1], &g->nodes[mem[0]]);
    for (int k = 0; k < n; k++)
        g->nodes[mem[k]].dead = true;
    move_tail_to(g, mem[0], 2);
    return GLC_OK;
}

/* The siblings of node i after it (i first); returns their count. */
static int group_of(const glc_graph *g, glc_node_id i, int axis, glc_node_id *mem) {
    int n = 0;
    mem[n++] = i;
    for (glc_node_id j = i + 1; j < g->n_nodes && n < MAX_SIBLINGS; j++)
        if (siblings(g, &g->nodes[i], &g->nodes[j], axis)) mem[n++] = j;
    return n;
}

glc_status glc_pass_fuse_gates(glc_graph *g, glc_pass_ctx *cx) {
    (void)cx;
    bool changed = false;
    for (glc_node_id i = 0; i < g->n_nodes; i++) {
        int axis = weight_out_axis(g, &g->nodes[i]);
        if (axis < 0) continue;
        glc_node_id mem[MAX_SIBLINGS];
        int n = group_of(g, i, axis, mem);
        if (n < 2) continue;
        GLC_TRY(fuse(g, mem, n, axis));
        i += 2; /* the fused node and its Split now sit at i, i + 1 */
        changed = true;
    }
    return changed ? glc_graph_compact(g) : GLC_OK;
}
