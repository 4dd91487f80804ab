/*
 * raise_recurrence.c -- a Loop whose body is one step of a recurrent cell becomes the fused
 * ONNX node: SimpleRNN -> RNN (Tanh or Relu), GRU -> GRU (linear_before_reset 1 or 0), as
 * tf2onnx writes Keras 3 layers (tests/fixtures/keras_tf2onnx_loops/README.md specifies the
 * bodies). Matching is by dataflow only, never by names or node order.
 *
 * A Loop is raised when (ir/loop.c's form, after hoist-loop-invariants moved the weights
 * into the body as constants):
 *   - its trip count is a constant T, its condition absent or constant true, and the body's
 *     condition an And of Less(Cast?(iter or counter + 1), K) with constants K >= T (so it
 *     stops when the trip count does);
 *   - it carries exactly two values: a counter (initial constant 0, next = counter + 1) and
 *     a state h [N, H]; it has one scan output, and it and the next state are the same cell
 *     output (through Identity);
 *   - x_t is Gather(X, counter) (axis 0) of an outer value X [T, N, C];
 *   - the cell output is, with "x-part" and "h-part" meaning a block of columns of an affine
 *     map (Gemm, MatMul, + a constant bias; Split or Slice picking the columns) of x_t and of
 *     h with constant weights:
 *       RNN:  act(x-part + h-part), act Tanh or Relu
 *       GRU:  z * h + (1 - z) * hh, z = Sigmoid(x-part + h-part), r likewise, and
 *             hh = Tanh(x-part + r * h-part)          (linear_before_reset 1)
 *             hh = Tanh(x-part + affine(r * h))        (linear_before_reset 0)
 * Then the Loop is replaced by RNN/GRU(X, W, R, B, , Unsqueeze(h0)) with the weights laid
 * out at compile time in ONNX's [1, G*H, C] gate order from the columns the body used, its
 * Y squeezed to the scan output [T, N, H], Y_h to the final state, and the final counter
 * the constant T; readers of only the scan's last step read Y_h. A go_backwards layer's ReverseSequence stays in front of X.
 * Anything else stays a Loop (which runs correctly); with -v the pass logs per Loop what
 * it raised or the first reason it did not.
 */
#include "passes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GATES 3

typedef struct affine { /* x @ w (+ bias) (+ addend), w constant [k, m] (or [m, k] if wt) */
    glc_value_id x, addend;
    const float *w, *bias; /* bias: m floats or NULL */
    int64_t k, m;
    bool wt;
} affine;

typedef struct part { /* columns [lo, lo + H) of an affine map */
    affine a;
    int64_t lo, width;
} part;

typedef struct gate {
    part x, h;
} gate;

typedef struct cell {
    glc_op op;
    int gates;
    bool relu, lbr;
    gate g[MAX_GATES]; /* ONNX order: GRU z r h */
} cell;

typedef struct ctx {
    const glc_graph *b;
    glc_value_id xt, h;
    char *why;
} ctx;

static bool refuse(char *why, const char *msg) {
    snprintf(why, 200, "%s", msg);
    return false;
}

static const glc_node *producer(const glc_graph *b, glc_value_id v) {
    if (!v || b->values[v].producer == GLC_NO_NODE) return NULL;
    const glc_node *n = &b->nodes[b->values[v].producer];
    return n->dead ? NULL : n;
}

static const glc_node *prod_op(const glc_graph *b, glc_value_id v, glc_op op) {
    const glc_node *n = producer(b, v);
    return n && n->op == op && !n->n_guards ? n : NULL;
}

static glc_value_id through_identity(const glc_graph *b, glc_value_id v) {
    for (const glc_node *n; (n = prod_op(b, v, GLC_OP_IDENTITY));)
        v = n->in[0];
    return v;
}

static const glc_value *const_f32(const glc_graph *b, glc_value_id v) {
    const glc_value *x = v ? &b->values[v] : NULL;
    return x && x->data && x->dtype == GLC_DT_F32 ? x : NULL;
}

static bool scalar_is(const glc_graph *b, glc_value_id v, double want) {
    const glc_value *x = v ? &b->values[v] : NULL;
    if (!x || !x->data || glc_value_numel(x) != 1) return false;
    switch (x->dtype) {
    case GLC_DT_F32: return *(const float *)x->data == want;
    case GLC_DT_I32: return *(const int32_t *)x->data == want;
    case GLC_DT_I64: return *(const int64_t *)x->data == want;
    default: return false;
    }
}

/* A constant bias of m floats ([m] or [1, m]). */
static const float *bias_of(const glc_graph *b, glc_value_id v, int64_t m) {
    const glc_value *c = const_f32(b, v);
    if (!c || glc_value_numel(c) != m || c->rank > 2 || (c->rank == 2 && c->dims[0] != 1))
        return NULL;
    return c->data;
}

/* v = x @ W (+ bias) (+ addend): Gemm, MatMul, or Add of one of them and a bias. */
static bool match_affine(const glc_graph *b, glc_value_id v, affine *a, bool allow_addend) {
    memset(a, 0, sizeof *a);
    const glc_node *n = producer(b, v);
    if (!n || n->n_guards || n->n_in < 2) return false;
    if (n->op == GLC_OP_ADD) {
        for (int s = 0; s < 2; s++)
            if (match_affine(b, n->in[s], a, false) && !a->bias &&
                (a->bias = bias_of(b, n->in[1 - s], a->m)))
                return true;
        return false;
    }
    if (n->op != GLC_OP_GEMM && n->op != GLC_OP_MATMUL) return false;
    const glc_value *w = const_f32(b, n->in[1]);
    if (!w || w->rank != 2 || b->values[n->in[0]].rank != 2) return false;
    if (n->op == GLC_OP_GEMM &&
        (glc_attr_int(n, "transA", 0) || glc_attr_float(n, "alpha", 1) != 1 ||
         glc_attr_float(n, "beta", 1) != 1))
        return false;
    a->x = n->in[0];
    a->w = w->data;
    a->wt = n->op == GLC_OP_GEMM && glc_attr_int(n, "transB", 0);
    a->k = w->dims[a->wt], a->m = w->dims[!a->wt];
    bool has_c = n->op == GLC_OP_GEMM && n->n_in > 2 && n->in[2];
    if (has_c && !(a->bias = bias_of(b, n->in[2], a->m))) {
        if (!allow_addend || b->values[n->in[2]].data) return false;
        a->addend = n->in[2];
    }
    return true;
}

static float weight(const affine *a, int64_t row, int64_t col) {
    return a->wt ? a->w[col * a->k + row] : a->w[row * a->m + col];
}

static bool const_ints(const glc_graph *b, glc_value_id v, int64_t *out, int max, int *n) {
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

/* v = columns [*lo, *lo + *width) of *src (rank 2): a Split or Slice of it, or all of v. */
static bool column_block(const glc_graph *b, glc_value_id v, glc_value_id *src, int64_t *lo,
                         int64_t *width) {
    const glc_node *n = producer(b, v);
    *src = v, *lo = 0, *width = b->values[v].dims[1];
    if (b->values[v].rank != 2) return false;
    if (n && !n->n_guards && n->op == GLC_OP_SPLIT) {
        const glc_value *s = &b->values[n->in[0]];
        int64_t axis = glc_attr_int(n, "axis", 0);
        if (s->rank != 2 || (axis != 1 && axis != -1)) return false;
        *src = n->in[0];
        for (int i = 0; i < n->n_out && n->out[i] != v; i++)
            *lo += b->values[n->out[i]].dims[1];
        return true;
    }
    if (n && !n->n_guards && n->op == GLC_OP_SLICE) {
        const glc_value *s = &b->values[n->in[0]];
        int64_t st[2], en[2], ax[2] = {0, 1}, stp[2] = {1, 1};
        int ns, ne, na = 2, nstep = 2;
        if (s->rank != 2 || !const_ints(b, n->in[1], st, 2, &ns) ||
            !const_ints(b, n->in[2], en, 2, &ne) || ns != ne ||
            (n->n_in > 3 && n->in[3] && !const_ints(b, n->in[3], ax, 2, &na)) || na != ns ||
            (n->n_in > 4 && n->in[4] && !const_ints(b, n->in[4], stp, 2, &nstep)))
            return false;
        for (int i = 0; i < ns; i++) {
            int64_t a = ax[i] < 0 ? ax[i] + 2 : ax[i], dim = s->dims[a];
            if (stp[i] != 1 || st[i] < 0 || (a == 0 && (st[i] != 0 || en[i] < dim))) return false;
            if (a == 1) *lo = st[i], *width = (en[i] > dim ? dim : en[i]) - st[i];
        }
        *src = n->in[0];
        return true;
    }
    return true;
}

/* v = columns of an affine map (without addend). */
static bool match_part(const glc_graph *b, glc_value_id v, part *p) {
    glc_value_id src;
    return column_block(b, v, &src, &p->lo, &p->width) && match_affine(b, src, &p->a, false) &&
           p->lo >= 0 && p->lo + p->width <= p->a.m;
}

/* pre = x-part + h-part (Add of two parts, or an affine map of the h operand whose addend
 * is the x-part); the h-part's operand is left to the caller to check. */
static bool match_sum(const ctx *c, glc_value_id pre, gate *g) {
    const glc_node *n = producer(c->b, pre);
    if (n && n->op == GLC_OP_ADD && !n->n_guards)
        for (int s = 0; s < 2; s++)
            if (match_part(c->b, n->in[s], &g->x) && g->x.a.x == c->xt &&
                match_part(c->b, n->in[1 - s], &g->h) && g->h.a.x != c->xt)
                return true;
    affine a;
    if (!match_affine(c->b, pre, &a, true) || !a.addend || a.x == c->xt) return false;
    g->h = (part){a, 0, a.m};
    g->h.a.addend = 0;
    return match_part(c->b, a.addend, &g->x) && g->x.a.x == c->xt;
}

/* pre = x-part + h-part of the state. */
static bool gate_of(const ctx *c, glc_value_id pre, gate *g, const char *name) {
    if (!match_sum(c, pre, g) || g->h.a.x != c->h)
        return refuse(c->why, name);
    return true;
}

static bool match_rnn(const ctx *c, glc_value_id out, cell *k) {
    const glc_node *act = producer(c->b, out);
    if (!act || (act->op != GLC_OP_TANH && act->op != GLC_OP_RELU))
        return refuse(c->why, "the cell output is no Tanh/Relu (RNN) nor z*h + (1-z)*hh (GRU)");
    k->op = GLC_OP_RNN, k->gates = 1, k->relu = act->op == GLC_OP_RELU;
    return gate_of(c, act->in[0], &k->g[0],
                   "the activation's input is not x_t @ W + h @ R (+ bias) with constant W, R");
}

/* v = Mul(a, b) in either order with one operand `want`: the other in *other. */
static bool mul_with(const glc_graph *b, glc_value_id v, glc_value_id want, glc_value_id *other) {
    const glc_node *n = prod_op(b, v, GLC_OP_MUL);
    for (int s = 0; n && s < 2; s++)
        if (n->in[s] == want) return *other = n->in[1 - s], true;
    return false;
}

/* z * h + (1 - z) * hh: z and hh. */
static bool gru_blend(const ctx *c, glc_value_id out, glc_value_id *z, glc_value_id *hh) {
    const glc_node *add = prod_op(c->b, out, GLC_OP_ADD);
    for (int s = 0; add && s < 2; s++) {
        const glc_node *m = prod_op(c->b, add->in[1 - s], GLC_OP_MUL);
        if (!mul_with(c->b, add->in[s], c->h, z) || !m) continue;
        for (int q = 0; q < 2; q++) {
            const glc_node *sub = prod_op(c->b, m->in[q], GLC_OP_SUB);
            if (sub && sub->in[1] == *z && scalar_is(c->b, sub->in[0], 1.0))
                return *hh = m->in[1 - q], true;
        }
    }
    return false;
}

static bool match_gru(const ctx *c, glc_value_id out, cell *k) {
    glc_value_id z, hh, r = 0;
    k->op = GLC_OP_GRU, k->gates = 3;
    const glc_node *zs = NULL, *th = NULL, *rs = NULL;
    if (!gru_blend(c, out, &z, &hh) || !(zs = prod_op(c->b, z, GLC_OP_SIGMOID)) ||
        !(th = prod_op(c->b, hh, GLC_OP_TANH)))
        return refuse(c->why, "the cell output is no Tanh/Relu (RNN) nor z*h + (1-z)*hh (GRU)");
    if (!gate_of(c, zs->in[0], &k->g[0], "the update gate is not sigmoid(x_t @ Wz + h @ Rz)"))
        return false;
    gate *hg = &k->g[2];
    if (match_sum(c, th->in[0], hg) && hg->h.a.x != c->h) { /* reset before: (r * h) @ Rh */
        k->lbr = false;
        if (!mul_with(c->b, hg->h.a.x, c->h, &r))
            return refuse(c->why, "the candidate's recurrent operand is not r * h");
    } else { /* reset after: r * (h @ Rh + bh) */
        const glc_node *add = prod_op(c->b, th->in[0], GLC_OP_ADD);
        k->lbr = true;
        for (int s = 0; add && s < 2 && !r; s++) {
            const glc_node *m = prod_op(c->b, add->in[1 - s], GLC_OP_MUL);
            for (int q = 0; m && q < 2 && !r; q++)
                if (match_part(c->b, add->in[s], &hg->x) && hg->x.a.x == c->xt &&
                    match_part(c->b, m->in[1 - q], &hg->h) && hg->h.a.x == c->h)
                    r = m->in[q];
        }
        if (!r) return refuse(c->why, "the candidate is not tanh(x_t @ Wh + r * (h @ Rh))");
    }
    if (!(rs = prod_op(c->b, r, GLC_OP_SIGMOID)))
        return refuse(c->why, "the reset gate is no Sigmoid");
    return gate_of(c, rs->in[0], &k->g[1], "the reset gate is not sigmoid(x_t @ Wr + h @ Rr)");
}

/* The body's condition output: And of Less(Cast?(iter | counter + 1), K >= T). */
static bool cond_ok(const glc_graph *b, glc_value_id v, glc_value_id iter, glc_value_id next,
                    int64_t T, int depth) {
    const glc_node *n = producer(b, v);
    if (!n || n->n_guards || depth > 8) return false;
    if (n->op == GLC_OP_AND)
        return cond_ok(b, n->in[0], iter, next, T, depth + 1) &&
               cond_ok(b, n->in[1], iter, next, T, depth + 1);
    if (n->op != GLC_OP_LESS) return false;
    glc_value_id x = n->in[0];
    const glc_node *cast = prod_op(b, x, GLC_OP_CAST);
    if (cast) x = cast->in[0];
    const glc_value *k = &b->values[n->in[1]];
    if ((x != iter && x != next) || !k->data || glc_value_numel(k) != 1) return false;
    double kv = k->dtype == GLC_DT_F32   ? *(const float *)k->data
                : k->dtype == GLC_DT_I64 ? (double)*(const int64_t *)k->data
                : k->dtype == GLC_DT_I32 ? *(const int32_t *)k->data
                                         : -1;
    return kv >= (double)T;
}

typedef struct loop_match {
    int nc, counter, state, x_input; /* carried count, carried indices, X's body input */
    int64_t T, H, C;
    cell k;
} loop_match;

static bool int_scalar(const glc_graph *g, glc_value_id v, int64_t *out) {
    int64_t buf[1];
    int n;
    return v && g->values[v].rank == 0 && const_ints(g, v, buf, 1, &n) && (*out = buf[0], true);
}

/* Which carried value is the counter (initial 0, next = counter + 1); -1 if none. */
static int find_counter(const glc_graph *g, const glc_node *n, int nc) {
    const glc_graph *b = n->body;
    for (int k = 0; k < nc; k++) {
        int64_t init;
        const glc_node *add = prod_op(b, b->outputs[1 + k], GLC_OP_ADD);
        if (!add || !int_scalar(g, n->in[2 + k], &init) || init != 0) continue;
        for (int s = 0; s < 2; s++)
            if (add->in[s] == b->inputs[2 + k] && scalar_is(b, add->in[1 - s], 1)) return k;
    }
    return -1;
}

/* x_t = Gather(X, counter), X a captured float [T, N, C]: its body input index. */
static int find_xt(const glc_graph *b, int nc, glc_value_id counter, glc_value_id *xt) {
    int found = -1;
    for (uint32_t j = 0; j < b->n_nodes; j++) {
        const glc_node *n = &b->nodes[j];
        if (n->dead || n->op != GLC_OP_GATHER || n->in[1] != counter ||
            glc_attr_int(n, "axis", 0) != 0 || b->values[n->in[0]].dtype != GLC_DT_F32 ||
            b->values[n->in[0]].rank != 3)
            continue;
        for (uint32_t i = (uint32_t)(2 + nc); i < b->n_inputs; i++)
            if (b->inputs[i] == n->in[0]) {
                if (found >= 0) return -2;
                found = (int)i, *xt = n->out[0];
            }
    }
    return found;
}

static bool sizes_ok(const cell *k, int64_t H, int64_t C) {
    for (int q = 0; q < k->gates; q++) {
        const gate *g = &k->g[q];
        if (g->x.width != H || g->h.width != H || g->x.a.k != C || g->h.a.k != H) return false;
    }
    return true;
}

static bool match_loop(glc_graph *g, const glc_node *n, loop_match *m, char *why) {
    int ns;
    const glc_graph *b = n->body;
    if (glc_loop_parts(g, n, &m->nc, &ns, NULL) != GLC_OK) return refuse(why, "malformed Loop");
    if (ns != 1) return refuse(why, "not one scan output");
    if (!int_scalar(g, n->in[0], &m->T) || m->T < 1)
        return refuse(why, "the trip count is not a positive constant");
    const glc_value *cv = n->in[1] ? &g->values[n->in[1]] : NULL;
    if (cv && (!cv->data || !*(const bool *)cv->data))
        return refuse(why, "the initial condition is not constant true");
    if (m->nc != 2)
        return refuse(why, "it does not carry exactly a counter and one state (a masked cell "
                           "carries more)");
    if ((m->counter = find_counter(g, n, m->nc)) < 0)
        return refuse(why, "no carried counter from 0 by 1");
    glc_dtype cdt = g->values[n->in[2 + m->counter]].dtype;
    if (cdt != GLC_DT_I32 && cdt != GLC_DT_I64) return refuse(why, "the counter is not i32/i64");
    m->state = 1 - m->counter;
    glc_value_id next = b->outputs[1 + m->counter], h = b->inputs[2 + m->state];
    if (!cond_ok(b, b->outputs[0], b->inputs[0], next, m->T, 0))
        return refuse(why, "the body's condition may end the loop before the trip count");
    glc_value_id out = through_identity(b, b->outputs[1 + m->state]);
    if (out != through_identity(b, b->outputs[1 + m->nc]))
        return refuse(why, "the scan output is not the next state");
    glc_value_id xt = 0;
    m->x_input = find_xt(b, m->nc, b->inputs[2 + m->counter], &xt);
    if (m->x_input < 0) return refuse(why, "no single x_t = Gather(outer X [T,N,C], counter)");
    const glc_value *X = &g->values[n->in[m->x_input]], *hv = &b->values[h];
    if (!glc_dim_is_const(X->dims[0]) || X->dims[0] != m->T || !glc_dim_is_const(X->dims[2]))
        return refuse(why, "X's time axis is not the trip count");
    if (hv->dtype != GLC_DT_F32 || hv->rank != 2 || !glc_dim_is_const(hv->dims[1]))
        return refuse(why, "the state is not f32 [N, H]");
    m->H = hv->dims[1], m->C = X->dims[2];
    ctx c = {b, xt, h, why};
    const glc_node *p = producer(b, out);
    bool rnn = p && (p->op == GLC_OP_TANH || p->op == GLC_OP_RELU);
    if (!(rnn ? match_rnn(&c, out, &m->k) : match_gru(&c, out, &m->k))) return false;
    if (!sizes_ok(&m->k, m->H, m->C)) return refuse(why, "gate widths differ from the state's");
    return true;
}

/* W [1, G*H, C] (or R with C = H) and B [1, 2*G*H] in ONNX's layout. */
static glc_value_id gate_weights(glc_graph *g, const loop_match *m, bool rec, const char *name) {
    int64_t G = m->k.gates, H = m->H, K = rec ? H : m->C;
    float *w = malloc((size_t)(G * H * K) * sizeof *w);
    if (!w) return 0;
    for (int q = 0; q < G; q++) {
        const part *p = rec ? &m->k.g[q].h : &m->k.g[q].x;
        for (int64_t j = 0; j < H; j++)
            for (int64_t c = 0; c < K; c++)
                w[(q * H + j) * K + c] = weight(&p->a, c, p->lo + j);
    }
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, 3, (int64_t[]){1, G * H, K}, w);
    free(w);
    return id;
}

static glc_value_id gate_biases(glc_graph *g, const loop_match *m, const char *name) {
    int64_t G = m->k.gates, H = m->H;
    float *bias = calloc((size_t)(2 * G * H), sizeof *bias);
    if (!bias) return 0;
    for (int q = 0; q < G; q++)
        for (int side = 0; side < 2; side++) {
            const part *p = side ? &m->k.g[q].h : &m->k.g[q].x;
            for (int64_t j = 0; p->a.bias && j < H; j++)
                bias[side * G * H + q * H + j] = p->a.bias[p->lo + j];
        }
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, 2, (int64_t[]){1, 2 * G * H}, bias);
    free(bias);
    return id;
}

/* out = Squeeze/Unsqueeze(in, axis) (opset 13: axes as an input). */
static glc_status add_axis_node(glc_graph *g, glc_op op, const char *name, glc_value_id in,
                                int64_t axis, glc_value_id out) {
    char nm[300];
    snprintf(nm, sizeof nm, "%.200s.axes", name);
    glc_value_id ins[2] = {in, 0};
    if (g->opset >= 13 && !(ins[1] = glc_graph_add_const(g, nm, GLC_DT_I64, 1, (int64_t[]){1},
                                                         &axis)))
        return GLC_E_NOMEM;
    glc_node_id id = glc_graph_add_node(g, op, name, ins, ins[1] ? 2 : 1, &out, 1);
    if (id == GLC_NO_NODE) return GLC_E_NOMEM;
    return ins[1] ? GLC_OK : glc_node_set_ints(g, id, "axes", &axis, 1);
}

/* A new value of v's dtype with v's dims, axis `at` inserted (size 1) or removed (-1). */
static glc_value_id reshaped(glc_graph *g, const char *name, glc_value_id v, int at, bool insert) {
    const glc_value *x = &g->values[v];
    int64_t d[GLC_MAX_RANK];
    int r = 0;
    for (int i = 0; i <= x->rank; i++) {
        if (insert && i == at) d[r++] = 1;
        if (i < x->rank && (insert || i != at)) d[r++] = x->dims[i];
    }
    return glc_graph_add_value(g, name, x->dtype, r, d);
}

/* Moves the nodes from `first` to the end to position at. */
static glc_status move_tail_to(glc_graph *g, uint32_t at, uint32_t first) {
    uint32_t count = g->n_nodes - first;
    glc_node *tail = malloc(count * sizeof *tail);
    if (!tail) return GLC_E_NOMEM;
    memcpy(tail, &g->nodes[first], count * sizeof *tail);
    memmove(&g->nodes[at + count], &g->nodes[at], (first - at) * sizeof *tail);
    memcpy(&g->nodes[at], tail, count * sizeof *tail);
    free(tail);
    for (uint32_t k = at; k < g->n_nodes; k++)
        for (int i = 0; i < g->nodes[k].n_out; i++)
            if (g->nodes[k].out[i]) g->values[g->nodes[k].out[i]].producer = k;
    return GLC_OK;
}

/* The fused node's attributes. */
static glc_status set_cell_attrs(glc_graph *g, glc_node_id id, const loop_match *m) {
    GLC_TRY(glc_node_set_int(g, id, "hidden_size", m->H));
    if (m->k.op == GLC_OP_GRU) GLC_TRY(glc_node_set_int(g, id, "linear_before_reset", m->k.lbr));
    if (!m->k.relu) return GLC_OK;
    static const char *const relu[] = {"Relu"};
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 1, .strings = relu};
    return glc_node_set_attr(g, id, &a);
}

/* The Loop's final counter: Identity of the constant T. */
static glc_status final_counter(glc_graph *g, const char *name, glc_value_id out, int64_t T) {
    glc_dtype dt = g->values[out].dtype;
    int32_t t32 = (int32_t)T;
    char nm[300];
    snprintf(nm, sizeof nm, "%.200s.T", name);
    const void *value = dt == GLC_DT_I32 ? (const void *)&t32 : (const void *)&T;
    glc_value_id c = glc_graph_add_const(g, nm, dt, 0, NULL, value);
    if (!c) return GLC_E_NOMEM;
    return glc_graph_add_node(g, GLC_OP_IDENTITY, name, &c, 1, &out, 1) == GLC_NO_NODE
               ? GLC_E_NOMEM
               : GLC_OK;
}

/* Whether node n is Slice(v, [-1 or T-1], [>= T], [0]) of v [T, ...]: v's last step. */
static bool last_step_slice(const glc_graph *g, const glc_node *n, int64_t T) {
    int64_t st[1], en[1], ax[1] = {0}, stp[1] = {1};
    int k;
    if (n->dead || n->op != GLC_OP_SLICE || n->n_guards) return false;
    if (!const_ints(g, n->in[1], st, 1, &k) || k != 1 || !const_ints(g, n->in[2], en, 1, &k) ||
        k != 1 || (n->n_in > 3 && n->in[3] && (!const_ints(g, n->in[3], ax, 1, &k) || k != 1)) ||
        (n->n_in > 4 && n->in[4] && (!const_ints(g, n->in[4], stp, 1, &k) || k != 1)))
        return false;
    return ax[0] == 0 && stp[0] == 1 && (st[0] == -1 || st[0] == T - 1) && en[0] >= T;
}

/* When every reader of the scan output takes only its last step (return_sequences=False),
 * they read Y_h instead ([1, N, H], the same values): Y is then not needed. */
static void last_step_from_y_h(glc_graph *g, glc_value_id scan, glc_value_id y_h, int64_t T) {
    if (!scan || g->values[scan].is_output) return;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (int q = 0; !g->nodes[i].dead && q < g->nodes[i].n_in; q++)
            if (g->nodes[i].in[q] == scan && (q || !last_step_slice(g, &g->nodes[i], T))) return;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].n_in && g->nodes[i].in[0] == scan)
            g->nodes[i].in[0] = y_h;
}

/* Replaces Loop lid by the fused node and the Squeezes its users expect. */
static glc_status raise(glc_graph *g, glc_node_id lid, const loop_match *m) {
    uint32_t first = g->n_nodes;
    char name[256], nm[300];
    snprintf(name, sizeof name, "%.200s.%s", g->nodes[lid].name,
             m->k.op == GLC_OP_GRU ? "gru" : "rnn");
    glc_value_id out[16];
    int n_out = g->nodes[lid].n_out;
    memcpy(out, g->nodes[lid].out, (size_t)n_out * sizeof *out);
    glc_value_id x = g->nodes[lid].in[m->x_input], h0 = g->nodes[lid].in[2 + m->state];
    snprintf(nm, sizeof nm, "%s.W", name);
    glc_value_id in[6] = {x, gate_weights(g, m, false, nm), 0, 0, 0, 0};
    snprintf(nm, sizeof nm, "%s.R", name);
    in[2] = gate_weights(g, m, true, nm);
    snprintf(nm, sizeof nm, "%s.B", name);
    in[3] = gate_biases(g, m, nm);
    snprintf(nm, sizeof nm, "%s.initial_h", name);
    if (!in[1] || !in[2] || !in[3] || !(in[5] = reshaped(g, nm, h0, 0, true))) return GLC_E_NOMEM;
    GLC_TRY(add_axis_node(g, GLC_OP_UNSQUEEZE, nm, h0, 0, in[5]));
    glc_dim n = g->values[x].dims[1];
    snprintf(nm, sizeof nm, "%s.Y", name);
    glc_value_id y[2] = {glc_graph_add_value(g, nm, GLC_DT_F32, 4, (int64_t[]){m->T, 1, n, m->H})};
    snprintf(nm, sizeof nm, "%s.Y_h", name);
    y[1] = glc_graph_add_value(g, nm, GLC_DT_F32, 3, (int64_t[]){1, n, m->H});
    glc_node_id id = y[0] && y[1] ? glc_graph_add_node(g, m->k.op, name, in, 6, y, 2) : GLC_NO_NODE;
    if (id == GLC_NO_NODE) return GLC_E_NOMEM;
    GLC_TRY(set_cell_attrs(g, id, m));
    snprintf(nm, sizeof nm, "%s.scan", name);
    if (out[m->nc]) GLC_TRY(add_axis_node(g, GLC_OP_SQUEEZE, nm, y[0], 1, out[m->nc]));
    snprintf(nm, sizeof nm, "%s.h_final", name);
    if (out[m->state]) GLC_TRY(add_axis_node(g, GLC_OP_SQUEEZE, nm, y[1], 0, out[m->state]));
    snprintf(nm, sizeof nm, "%s.counter", name);
    if (out[m->counter]) GLC_TRY(final_counter(g, nm, out[m->counter], m->T));
    for (uint32_t k = first; k < g->n_nodes; k++)
        glc_node_copy_guards(&g->nodes[k], &g->nodes[lid]);
    g->nodes[lid].dead = true;
    last_step_from_y_h(g, out[m->nc], y[1], m->T);
    return move_tail_to(g, lid, first);
}

static const char *cell_name(const cell *k) {
    if (k->op == GLC_OP_RNN) return k->relu ? "RNN (Relu)" : "RNN (Tanh)";
    return k->lbr ? "GRU (linear_before_reset=1)" : "GRU (linear_before_reset=0)";
}

glc_status glc_pass_raise_recurrence(glc_graph *g, glc_pass_ctx *cx) {
    bool changed = false;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        if (g->nodes[k].dead || g->nodes[k].op != GLC_OP_LOOP || g->nodes[k].n_out > 16)
            continue;
        loop_match m = {0};
        char why[200] = "";
        if (!match_loop(g, &g->nodes[k], &m, why)) {
            glc_pass_log(cx, "raise-recurrence: Loop '%s' stays a Loop: %s", g->nodes[k].name,
                         why);
            continue;
        }
        uint32_t before = g->n_nodes;
        glc_status s = raise(g, k, &m);
        if (s != GLC_OK)
            return glc_diag_set(cx->diag, s, &g->nodes[k], "raise-recurrence: %s",
                                s == GLC_E_NOMEM ? "out of memory" : "cannot raise the Loop");
        glc_pass_log(cx, "raise-recurrence: Loop '%s' raised to %s, hidden %lld, input %lld, "
                         "%lld steps", g->nodes[k + g->n_nodes - before].name, cell_name(&m.k),
                     (long long)m.H, (long long)m.C, (long long)m.T);
        k += g->n_nodes - before; /* the new nodes sit before the dead Loop */
        changed = true;
    }
    return changed ? glc_graph_compact(g) : GLC_OK;
}
