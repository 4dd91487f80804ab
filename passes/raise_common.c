/*
 * raise_common.c -- helpers of the raise-recurrence matchers (raise_common.h): dataflow
 * queries on Loop bodies, the Loop frame (trip count, condition, counter, x_t) and the
 * nodes that replace a raised Loop.
 */
#include "raise_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool rr_refuse(char *why, const char *msg) {
    snprintf(why, 200, "%s", msg);
    return false;
}

const glc_node *rr_producer(const glc_graph *b, glc_value_id v) {
    if (!v || b->values[v].producer == GLC_NO_NODE) return NULL;
    const glc_node *n = &b->nodes[b->values[v].producer];
    return n->dead ? NULL : n;
}

const glc_node *rr_prod_op(const glc_graph *b, glc_value_id v, glc_op op) {
    const glc_node *n = rr_producer(b, v);
    return n && n->op == op && !n->n_guards ? n : NULL;
}

glc_value_id rr_through_identity(const glc_graph *b, glc_value_id v) {
    for (const glc_node *n; (n = rr_prod_op(b, v, GLC_OP_IDENTITY));)
        v = n->in[0];
    return v;
}

const glc_value *rr_const_f32(const glc_graph *b, glc_value_id v) {
    const glc_value *x = v ? &b->values[v] : NULL;
    return x && x->data && x->dtype == GLC_DT_F32 ? x : NULL;
}

bool rr_scalar_is(const glc_graph *b, glc_value_id v, double want) {
    const glc_value *x = v ? &b->values[v] : NULL;
    if (!x || !x->data || glc_value_numel(x) != 1) return false;
    switch (x->dtype) {
    case GLC_DT_F32: return *(const float *)x->data == want;
    case GLC_DT_I32: return *(const int32_t *)x->data == want;
    case GLC_DT_I64: return *(const int64_t *)x->data == want;
    default: return false;
    }
}

bool rr_const_ints(const glc_graph *b, glc_value_id v, int64_t *out, int max, int *n) {
    const glc_value *x = v ? &b->values[v] : NULL;
    if (!x || !x->data || x->rank > 1 || glc_value_numel(x) > max) return false;
    *n = (int)glc_value_numel(x);
    for (int i = 0; i < *n; i++)
        out[i] = x->dtype == GLC_DT_I64   ? ((const int64_t *)x->data)[i]
                 : x->dtype == GLC_DT_I32 ? ((const int32_t *)x->data)[i]
                                          : INT64_MIN;
    for (int i = 0; i < *n; i++)
        if (out[i] == INT64_MIN) return false;
    return true;
}

/* v = Mul(a, b) in either order with one operand `want`: the other in *other. */
bool rr_mul_with(const glc_graph *b, glc_value_id v, glc_value_id want, glc_value_id *other) {
    const glc_node *n = rr_prod_op(b, v, GLC_OP_MUL);
    for (int s = 0; n && s < 2; s++)
        if (n->in[s] == want) return *other = n->in[1 - s], true;
    return false;
}

/* The body's condition output: And of Less(Cast?(iter | counter + 1), K >= T). */
static bool cond_ok(const glc_graph *b, glc_value_id v, glc_value_id iter, glc_value_id next,
                    int64_t T, int depth) {
    const glc_node *n = rr_producer(b, v);
    if (!n || n->n_guards || depth > 8) return false;
    if (n->op == GLC_OP_AND)
        return cond_ok(b, n->in[0], iter, next, T, depth + 1) &&
               cond_ok(b, n->in[1], iter, next, T, depth + 1);
    if (n->op != GLC_OP_LESS) return false;
    glc_value_id x = n->in[0];
    const glc_node *cast = rr_prod_op(b, x, GLC_OP_CAST);
    if (cast) x = cast->in[0];
    const glc_value *k = &b->values[n->in[1]];
    if ((x != iter && x != next) || !k->data || glc_value_numel(k) != 1) return false;
    double kv = k->dtype == GLC_DT_F32   ? *(const float *)k->data
                : k->dtype == GLC_DT_I64 ? (double)*(const int64_t *)k->data
                : k->dtype == GLC_DT_I32 ? *(const int32_t *)k->data
                                         : -1;
    return kv >= (double)T;
}

bool rr_int_scalar(const glc_graph *g, glc_value_id v, int64_t *out) {
    int64_t buf[1];
    int n;
    return v && g->values[v].rank == 0 && rr_const_ints(g, v, buf, 1, &n) && (*out = buf[0], true);
}

/* Which carried value is the counter (initial 0, next = counter + 1); -1 if none. */
static int find_counter(const glc_graph *g, const glc_node *n, int nc) {
    const glc_graph *b = n->body;
    for (int k = 0; k < nc; k++) {
        int64_t init;
        const glc_node *add = rr_prod_op(b, b->outputs[1 + k], GLC_OP_ADD);
        if (!add || !rr_int_scalar(g, n->in[2 + k], &init) || init != 0) continue;
        for (int s = 0; s < 2; s++)
            if (add->in[s] == b->inputs[2 + k] && rr_scalar_is(b, add->in[1 - s], 1)) return k;
    }
    return -1;
}

/* out = Squeeze/Unsqueeze(in, axis) (opset 13: axes as an input). */
glc_status rr_add_axis_node(glc_graph *g, glc_op op, const char *name, glc_value_id in,
                            int64_t axis, glc_value_id out) {
    char nm[300];
    snprintf(nm, sizeof nm, "%.200s.axes", name);
    glc_value_id ins[2] = {in, 0};
    if (g->opset >= 13 &&
        !(ins[1] = glc_graph_add_const(g, nm, GLC_DT_I64, 1, (int64_t[]){1}, &axis)))
        return GLC_E_NOMEM;
    glc_node_id id = glc_graph_add_node(g, op, name, ins, ins[1] ? 2 : 1, &out, 1);
    if (id == GLC_NO_NODE) return GLC_E_NOMEM;
    return ins[1] ? GLC_OK : glc_node_set_ints(g, id, "axes", &axis, 1);
}

/* A new value of v's dtype with v's dims, axis `at` inserted (size 1) or removed (-1). */
glc_value_id rr_reshaped(glc_graph *g, const char *name, glc_value_id v, int at, bool insert) {
    const glc_value *x = &g->values[v];
    int64_t d[GLC_MAX_RANK];
    int r = 0;
    for (int i = 0; i <= x->rank; i++) {
        if (insert && i == at) d[r++] = 1;
        if (i < x->rank && (insert || i != at)) d[r++] = x->dims[i];
    }
    return glc_graph_add_value(g, name, x->dtype, r, d);
}

/* Moves the nodes from `first` to the end to position at (live nodes' outputs name their
 * new positions as producers). */
glc_status rr_move_tail_to(glc_graph *g, uint32_t at, uint32_t first) {
    uint32_t count = g->n_nodes - first;
    glc_node *tail = malloc(count * sizeof *tail);
    if (!tail) return GLC_E_NOMEM;
    memcpy(tail, &g->nodes[first], count * sizeof *tail);
    memmove(&g->nodes[at + count], &g->nodes[at], (first - at) * sizeof *tail);
    memcpy(&g->nodes[at], tail, count * sizeof *tail);
    free(tail);
    for (uint32_t k = at; k < g->n_nodes; k++) /* the dead Loop no longer produces */
        for (int i = 0; !g->nodes[k].dead && i < g->nodes[k].n_out; i++)
            if (g->nodes[k].out[i]) g->values[g->nodes[k].out[i]].producer = k;
    return GLC_OK;
}

/* The Loop's final counter: Identity of the constant T. */
glc_status rr_final_counter(glc_graph *g, const char *name, glc_value_id out, int64_t T) {
    glc_dtype dt = g->values[out].dtype;
    int32_t t32 = (int32_t)T;
    char nm[300];
    snprintf(nm, sizeof nm, "%.200s.T", name);
    const void *value = dt == GLC_DT_I32 ? (const void *)&t32 : (const void *)&T;
    glc_value_id c = glc_graph_add_const(g, nm, dt, 0, NULL, value);
    if (!c) return GLC_E_NOMEM;
    return glc_graph_add_node(g, GLC_OP_IDENTITY, name, &c, 1, &out, 1) == GLC_NO_NODE ? GLC_E_NOMEM
                                                                                       : GLC_OK;
}

/* Whether node n is Slice(v, [-1 or T-1], [>= T], [0]) of v [T, ...]: v's last step. */
bool rr_last_step_slice(const glc_graph *g, const glc_node *n, int64_t T) {
    int64_t st[1], en[1], ax[1] = {0}, stp[1] = {1};
    int k;
    if (n->dead || n->op != GLC_OP_SLICE || n->n_guards) return false;
    if (!rr_const_ints(g, n->in[1], st, 1, &k) || k != 1 ||
        !rr_const_ints(g, n->in[2], en, 1, &k) || k != 1 ||
        (n->n_in > 3 && n->in[3] && (!rr_const_ints(g, n->in[3], ax, 1, &k) || k != 1)) ||
        (n->n_in > 4 && n->in[4] && (!rr_const_ints(g, n->in[4], stp, 1, &k) || k != 1)))
        return false;
    return ax[0] == 0 && stp[0] == 1 && (st[0] == -1 || st[0] == T - 1) && en[0] >= T;
}

bool rr_value_read(const glc_graph *g, glc_value_id v) {
    if (!v) return false;
    if (g->values[v].is_output) return true;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (int q = 0; !g->nodes[i].dead && q < g->nodes[i].n_in; q++)
            if (g->nodes[i].in[q] == v) return true;
    return false;
}

bool rr_match_frame(glc_graph *g, const glc_node *n, rr_frame *f, char *why) {
    int ns;
    const glc_graph *b = n->body;
    if (glc_loop_parts(g, n, &f->nc, &ns, NULL) != GLC_OK) return rr_refuse(why, "malformed Loop");
    if (ns != 1) return rr_refuse(why, "not one scan output");
    if (!rr_int_scalar(g, n->in[0], &f->T) || f->T < 1)
        return rr_refuse(why, "the trip count is not a positive constant");
    const glc_value *cv = n->in[1] ? &g->values[n->in[1]] : NULL;
    if (cv && (!cv->data || !*(const bool *)cv->data))
        return rr_refuse(why, "the initial condition is not constant true");
    if ((f->counter = find_counter(g, n, f->nc)) < 0)
        return rr_refuse(why, "no carried counter from 0 by 1");
    glc_dtype cdt = g->values[n->in[2 + f->counter]].dtype;
    if (cdt != GLC_DT_I32 && cdt != GLC_DT_I64) return rr_refuse(why, "the counter is not i32/i64");
    if (!cond_ok(b, b->outputs[0], b->inputs[0], b->outputs[1 + f->counter], f->T, 0))
        return rr_refuse(why, "the body's condition may end the loop before the trip count");
    return true;
}

int rr_find_xt(const glc_graph *b, int nc, glc_value_id counter, int rank, glc_value_id *xt) {
    int found = -1;
    for (uint32_t j = 0; j < b->n_nodes; j++) {
        const glc_node *n = &b->nodes[j];
        if (n->dead || n->op != GLC_OP_GATHER || n->in[1] != counter ||
            glc_attr_int(n, "axis", 0) != 0 || b->values[n->in[0]].dtype != GLC_DT_F32 ||
            b->values[n->in[0]].rank != rank)
            continue;
        for (uint32_t i = (uint32_t)(2 + nc); i < b->n_inputs; i++)
            if (b->inputs[i] == n->in[0]) {
                if (found >= 0) return -2;
                found = (int)i, *xt = n->out[0];
            }
    }
    return found;
}

glc_value_id rr_add_transpose(glc_graph *g, const char *name, glc_value_id in, const int64_t *perm,
                              glc_value_id out) {
    const glc_value *x = &g->values[in];
    int rank = x->rank;
    if (!out) {
        int64_t d[GLC_MAX_RANK];
        for (int i = 0; i < rank; i++)
            d[i] = x->dims[perm[i]];
        if (!(out = glc_graph_add_value(g, name, x->dtype, rank, d))) return 0;
    }
    glc_node_id id = glc_graph_add_node(g, GLC_OP_TRANSPOSE, name, &in, 1, &out, 1);
    if (id == GLC_NO_NODE || glc_node_set_ints(g, id, "perm", perm, (uint32_t)rank) != GLC_OK)
        return 0;
    return out;
}

bool rr_only_last_step_read(const glc_graph *g, glc_value_id scan, int64_t T) {
    if (!scan || g->values[scan].is_output) return false;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (int q = 0; !g->nodes[i].dead && q < g->nodes[i].n_in; q++)
            if (g->nodes[i].in[q] == scan && (q || !rr_last_step_slice(g, &g->nodes[i], T)))
                return false;
    return true;
}

void rr_redirect_last_step(glc_graph *g, glc_value_id scan, glc_value_id last) {
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].n_in && g->nodes[i].in[0] == scan)
            g->nodes[i].in[0] = last;
}
