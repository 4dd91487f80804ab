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
 * the constant T; readers of only the scan's last step read Y_h. A go_backwards layer's
 * ReverseSequence stays in front of X. A Loop carrying two states of rank >= 3 is tried as a
 * ConvLSTM step (raise_convlstm.c). Anything else stays a Loop (which runs correctly); with
 * -v the pass logs per Loop what it raised or the first reason it did not.
 */
#include "activation.h"
#include "passes.h"
#include "raise_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GATES 4

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
    glc_act acts[3];   /* LSTM: f, g, h */
    gate g[MAX_GATES]; /* ONNX order: GRU z r h, LSTM i o f c */
} cell;

typedef struct ctx {
    const glc_graph *b;
    glc_value_id xt, h, c; /* c: the LSTM's cell state */
    char *why;
} ctx;

/* A constant bias of m floats ([m] or [1, m]). */
static const float *bias_of(const glc_graph *b, glc_value_id v, int64_t m) {
    const glc_value *c = rr_const_f32(b, v);
    if (!c || glc_value_numel(c) != m || c->rank > 2 || (c->rank == 2 && c->dims[0] != 1))
        return NULL;
    return c->data;
}

/* v = x @ W (+ bias) (+ addend): Gemm, MatMul, or Add of one of them and a bias. */
static bool match_affine(const glc_graph *b, glc_value_id v, affine *a, bool allow_addend) {
    memset(a, 0, sizeof *a);
    const glc_node *n = rr_producer(b, v);
    if (!n || n->n_guards || n->n_in < 2) return false;
    if (n->op == GLC_OP_ADD) {
        for (int s = 0; s < 2; s++)
            if (match_affine(b, n->in[s], a, false) && !a->bias &&
                (a->bias = bias_of(b, n->in[1 - s], a->m)))
                return true;
        return false;
    }
    if (n->op != GLC_OP_GEMM && n->op != GLC_OP_MATMUL) return false;
    const glc_value *w = rr_const_f32(b, n->in[1]);
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

/* v = columns [*lo, *lo + *width) of *src (rank 2): a Split or Slice of it, or all of v. */
static bool column_block(const glc_graph *b, glc_value_id v, glc_value_id *src, int64_t *lo,
                         int64_t *width) {
    const glc_node *n = rr_producer(b, v);
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
        if (s->rank != 2 || !rr_const_ints(b, n->in[1], st, 2, &ns) ||
            !rr_const_ints(b, n->in[2], en, 2, &ne) || ns != ne ||
            (n->n_in > 3 && n->in[3] && !rr_const_ints(b, n->in[3], ax, 2, &na)) || na != ns ||
            (n->n_in > 4 && n->in[4] && !rr_const_ints(b, n->in[4], stp, 2, &nstep)))
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
    const glc_node *n = rr_producer(c->b, pre);
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
    if (!match_sum(c, pre, g) || g->h.a.x != c->h) return rr_refuse(c->why, name);
    return true;
}

static bool match_rnn(const ctx *c, glc_value_id out, cell *k) {
    const glc_node *act = rr_producer(c->b, out);
    if (!act || (act->op != GLC_OP_TANH && act->op != GLC_OP_RELU))
        return rr_refuse(c->why, "the cell output is no Tanh/Relu (RNN) nor z*h + (1-z)*hh (GRU)");
    k->op = GLC_OP_RNN, k->gates = 1, k->relu = act->op == GLC_OP_RELU;
    return gate_of(c, act->in[0], &k->g[0],
                   "the activation's input is not x_t @ W + h @ R (+ bias) with constant W, R");
}

/* z * h + (1 - z) * hh: z and hh. */
static bool gru_blend(const ctx *c, glc_value_id out, glc_value_id *z, glc_value_id *hh) {
    const glc_node *add = rr_prod_op(c->b, out, GLC_OP_ADD);
    for (int s = 0; add && s < 2; s++) {
        const glc_node *m = rr_prod_op(c->b, add->in[1 - s], GLC_OP_MUL);
        if (!rr_mul_with(c->b, add->in[s], c->h, z) || !m) continue;
        for (int q = 0; q < 2; q++) {
            const glc_node *sub = rr_prod_op(c->b, m->in[q], GLC_OP_SUB);
            if (sub && sub->in[1] == *z && rr_scalar_is(c->b, sub->in[0], 1.0))
                return *hh = m->in[1 - q], true;
        }
    }
    return false;
}

static bool match_gru(const ctx *c, glc_value_id out, cell *k) {
    glc_value_id z, hh, r = 0;
    k->op = GLC_OP_GRU, k->gates = 3;
    const glc_node *zs = NULL, *th = NULL, *rs = NULL;
    if (!gru_blend(c, out, &z, &hh) || !(zs = rr_prod_op(c->b, z, GLC_OP_SIGMOID)) ||
        !(th = rr_prod_op(c->b, hh, GLC_OP_TANH)))
        return rr_refuse(c->why, "the cell output is no Tanh/Relu (RNN) nor z*h + (1-z)*hh (GRU)");
    if (!gate_of(c, zs->in[0], &k->g[0], "the update gate is not sigmoid(x_t @ Wz + h @ Rz)"))
        return false;
    gate *hg = &k->g[2];
    if (match_sum(c, th->in[0], hg) && hg->h.a.x != c->h) { /* reset before: (r * h) @ Rh */
        k->lbr = false;
        if (!rr_mul_with(c->b, hg->h.a.x, c->h, &r))
            return rr_refuse(c->why, "the candidate's recurrent operand is not r * h");
    } else { /* reset after: r * (h @ Rh + bh) */
        const glc_node *add = rr_prod_op(c->b, th->in[0], GLC_OP_ADD);
        k->lbr = true;
        for (int s = 0; add && s < 2 && !r; s++) {
            const glc_node *m = rr_prod_op(c->b, add->in[1 - s], GLC_OP_MUL);
            for (int q = 0; m && q < 2 && !r; q++)
                if (match_part(c->b, add->in[s], &hg->x) && hg->x.a.x == c->xt &&
                    match_part(c->b, m->in[1 - q], &hg->h) && hg->h.a.x == c->h)
                    r = m->in[q];
        }
        if (!r) return rr_refuse(c->why, "the candidate is not tanh(x_t @ Wh + r * (h @ Rh))");
    }
    if (!(rs = rr_prod_op(c->b, r, GLC_OP_SIGMOID)))
        return rr_refuse(c->why, "the reset gate is no Sigmoid");
    return gate_of(c, rs->in[0], &k->g[1], "the reset gate is not sigmoid(x_t @ Wr + h @ Rr)");
}

/* v = Squeeze(u) of u [1, m] to [m] (tf2onnx's recurrent product at batch 1, the Gemm's C
 * broadcast back to [1, m]): u; else v. */
static glc_value_id unsqueezed_row(const glc_graph *b, glc_value_id v) {
    const glc_node *n = rr_prod_op(b, v, GLC_OP_SQUEEZE);
    const glc_value *u = n ? &b->values[n->in[0]] : NULL;
    return u && u->rank == 2 && u->dims[0] == 1 && b->values[v].rank == 1 ? n->in[0] : v;
}

/* A constant bias of the sum goes to whichever affine map has none. */
static bool add_sum_bias(gate *g, const float *bias) {
    if (!bias || (g->x.a.bias && g->h.a.bias)) return false;
    *(g->x.a.bias ? &g->h.a.bias : &g->x.a.bias) = bias;
    return true;
}

/* v = x_t @ W + h @ R (+ constant biases) summed whole, in any association (LSTM:
 * Gemm(x_t, W, h @ R) + b): the two affine maps into g->x.a and g->h.a. */
static bool whole_sum(const ctx *c, glc_value_id v, gate *g, int depth) {
    const glc_node *n = rr_producer(c->b, v);
    if (!n || n->n_guards || depth > 4) return false;
    if (n->op == GLC_OP_ADD) {
        for (int s = 0; s < 2; s++) {
            if (whole_sum(c, n->in[s], g, depth + 1) &&
                add_sum_bias(g, bias_of(c->b, n->in[1 - s], g->x.a.m)))
                return true;
            if (match_affine(c->b, n->in[s], &g->x.a, false) && g->x.a.x == c->xt &&
                match_affine(c->b, n->in[1 - s], &g->h.a, false) && g->h.a.x == c->h)
                return g->x.a.m == g->h.a.m;
        }
        return false;
    }
    affine a, o;
    if (!match_affine(c->b, v, &a, true) || !a.addend ||
        !match_affine(c->b, unsqueezed_row(c->b, a.addend), &o, false))
        return false;
    a.addend = 0;
    if (a.x == c->h) {
        affine t = a;
        a = o, o = t;
    }
    g->x.a = a, g->h.a = o;
    return a.x == c->xt && o.x == c->h && a.m == o.m;
}

/* pre = x-part + h-part: summed per gate (match_sum), or columns of the whole sum. */
static bool gate_sum(const ctx *c, glc_value_id pre, gate *g, const char *name) {
    glc_value_id src;
    int64_t lo, width;
    if ((match_sum(c, pre, g) && g->h.a.x == c->h) ||
        (column_block(c->b, pre, &src, &lo, &width) && whole_sum(c, src, g, 0) && lo >= 0 &&
         lo + width <= g->x.a.m && (g->x.lo = g->h.lo = lo, g->x.width = g->h.width = width, true)))
        return true;
    return rr_refuse(c->why, name);
}

/* v = f(pre) for a gate activation f: Sigmoid, HardSigmoid, or Keras 3's hard_sigmoid
 * Mul(Clip(Add(pre, 3), 0, 6), 1/6) (= HardSigmoid(alpha 1/6, beta 0.5)). */
static glc_value_id gate_act(const glc_graph *b, glc_value_id v, glc_act *f) {
    const glc_node *n = rr_producer(b, v), *clip, *add;
    if (!n || n->n_guards) return 0;
    if (n->op == GLC_OP_SIGMOID) return *f = (glc_act){GLC_ACT_SIGMOID, 0, 0}, n->in[0];
    if (n->op == GLC_OP_HARDSIGMOID) {
        *f = (glc_act){GLC_ACT_HARD_SIGMOID, glc_attr_float(n, "alpha", 0.2f),
                       glc_attr_float(n, "beta", 0.5f)};
        return n->in[0];
    }
    for (int s = 0; n->op == GLC_OP_MUL && s < 2; s++)
        if (rr_scalar_is(b, n->in[1 - s], (float)(1.0 / 6)) &&
            (clip = rr_prod_op(b, n->in[s], GLC_OP_CLIP)) && clip->n_in == 3 &&
            rr_scalar_is(b, clip->in[1], 0) && rr_scalar_is(b, clip->in[2], 6) &&
            (add = rr_prod_op(b, clip->in[0], GLC_OP_ADD)))
            for (int q = 0; q < 2; q++)
                if (rr_scalar_is(b, add->in[1 - q], 3)) {
                    *f = (glc_act){GLC_ACT_HARD_SIGMOID, (float)(1.0 / 6), 0.5f};
                    return add->in[q];
                }
    return 0;
}

/* v = g(pre) for the candidate and output activations: Tanh or Relu. */
static glc_value_id cell_act(const glc_graph *b, glc_value_id v, glc_act *a) {
    const glc_node *n = rr_producer(b, v);
    if (!n || n->n_guards || (n->op != GLC_OP_TANH && n->op != GLC_OP_RELU)) return 0;
    *a = (glc_act){n->op == GLC_OP_TANH ? GLC_ACT_TANH : GLC_ACT_RELU, 0, 0};
    return n->in[0];
}

/* v = f(a) * g(b) either order: the gate's and the candidate's pre-activations. */
static bool gate_times_act(const glc_graph *b, glc_value_id v, glc_value_id *a, glc_value_id *t,
                           glc_act *f, glc_act *g) {
    const glc_node *n = rr_prod_op(b, v, GLC_OP_MUL);
    for (int s = 0; n && s < 2; s++)
        if ((*a = gate_act(b, n->in[s], f)) && (*t = cell_act(b, n->in[1 - s], g))) return true;
    return false;
}

static bool same_act(const glc_act *a, const glc_act *b) {
    return a->kind == b->kind && a->alpha == b->alpha && a->beta == b->beta;
}

/* h' = f(G_o) * h(c'), c' = f(G_f) * c + f(G_i) * g(G_c) (Keras's LSTM; ONNX's i o f c). */
static bool match_lstm(const ctx *c, glc_value_id hn, glc_value_id cn, cell *k) {
    glc_value_id pre[4] = {0}, t = 0, fc;
    glc_act f[3];
    k->op = GLC_OP_LSTM, k->gates = 4;
    if (!gate_times_act(c->b, hn, &pre[1], &t, &f[0], &k->acts[2]) || t != cn)
        return rr_refuse(c->why, "as an LSTM (h and c carried), h' is not f(G_o) * h(c')");
    const glc_node *add = rr_prod_op(c->b, cn, GLC_OP_ADD);
    for (int s = 0; add && s < 2 && !pre[2]; s++)
        if (gate_times_act(c->b, add->in[1 - s], &pre[0], &pre[3], &f[1], &k->acts[1]) &&
            rr_mul_with(c->b, add->in[s], c->c, &fc))
            pre[2] = gate_act(c->b, fc, &f[2]);
    if (!pre[2]) return rr_refuse(c->why, "c' is not f(G_f) * c + f(G_i) * g(G_c) (LSTM)");
    if (!same_act(&f[0], &f[1]) || !same_act(&f[0], &f[2]))
        return rr_refuse(c->why, "the LSTM's gates have different activations");
    k->acts[0] = f[0];
    static const char *const why[4] = {"the input gate is not x_t @ Wi + h @ Ri (+ bias)",
                                       "the output gate is not x_t @ Wo + h @ Ro (+ bias)",
                                       "the forget gate is not x_t @ Wf + h @ Rf (+ bias)",
                                       "the cell candidate is not x_t @ Wc + h @ Rc (+ bias)"};
    for (int q = 0; q < 4; q++)
        if (!gate_sum(c, pre[q], &k->g[q], why[q])) return false;
    return true;
}

typedef struct loop_match {
    rr_frame f;
    int state, cstate, x_input; /* carried indices of h and (LSTM) c, X's body input */
    int64_t H, C;
    cell k;
} loop_match;

static bool sizes_ok(const cell *k, int64_t H, int64_t C) {
    for (int q = 0; q < k->gates; q++) {
        const gate *g = &k->g[q];
        if (g->x.width != H || g->h.width != H || g->x.a.k != C || g->h.a.k != H) return false;
    }
    return true;
}

/* The carried states: h is the one the scan output repeats; an LSTM's other is c. */
static bool find_states(const glc_graph *b, loop_match *m, char *why) {
    glc_value_id scan = rr_through_identity(b, b->outputs[1 + m->f.nc]);
    m->state = m->cstate = -1;
    for (int k = 0; k < m->f.nc; k++)
        if (k != m->f.counter)
            *(rr_through_identity(b, b->outputs[1 + k]) == scan ? &m->state : &m->cstate) = k;
    if (m->state < 0) return rr_refuse(why, "the scan output is not the next state");
    if (m->f.nc == 3 && m->cstate < 0) return rr_refuse(why, "the scan output is both states");
    for (int k = 0; k < m->f.nc; k++) {
        const glc_value *v = &b->values[b->inputs[2 + k]];
        if (k != m->f.counter &&
            (v->dtype != GLC_DT_F32 || v->rank != 2 || !glc_dim_is_const(v->dims[1]) ||
             v->dims[1] != b->values[b->inputs[2 + m->state]].dims[1]))
            return rr_refuse(why, "the states are not f32 [N, H]");
    }
    return true;
}

static bool match_loop(glc_graph *g, const glc_node *n, loop_match *m, char *why) {
    const glc_graph *b = n->body;
    if (!find_states(b, m, why)) return false;
    glc_value_id h = b->inputs[2 + m->state];
    glc_value_id out = rr_through_identity(b, b->outputs[1 + m->state]);
    glc_value_id xt = 0;
    m->x_input = rr_find_xt(b, m->f.nc, b->inputs[2 + m->f.counter], 3, &xt);
    if (m->x_input < 0) return rr_refuse(why, "no single x_t = Gather(outer X [T,N,C], counter)");
    const glc_value *X = &g->values[n->in[m->x_input]];
    if (!glc_dim_is_const(X->dims[0]) || X->dims[0] != m->f.T || !glc_dim_is_const(X->dims[2]))
        return rr_refuse(why, "X's time axis is not the trip count");
    m->H = b->values[h].dims[1], m->C = X->dims[2];
    ctx c = {b, xt, h, m->cstate >= 0 ? b->inputs[2 + m->cstate] : 0, why};
    const glc_node *p = rr_producer(b, out);
    bool rnn = p && (p->op == GLC_OP_TANH || p->op == GLC_OP_RELU);
    bool ok = m->f.nc == 3
                  ? match_lstm(&c, out, rr_through_identity(b, b->outputs[1 + m->cstate]), &m->k)
              : rnn ? match_rnn(&c, out, &m->k)
                    : match_gru(&c, out, &m->k);
    if (!ok) return false;
    if (!sizes_ok(&m->k, m->H, m->C)) return rr_refuse(why, "gate widths differ from the state's");
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

/* An LSTM's activations f, g, h unless they are ONNX's default (Sigmoid, Tanh, Tanh);
 * HardSigmoid's alpha and beta with them. */
static glc_status set_lstm_acts(glc_graph *g, glc_node_id id, const cell *k) {
    static const glc_act_kind dflt[3] = {GLC_ACT_SIGMOID, GLC_ACT_TANH, GLC_ACT_TANH};
    const char *names[3];
    float alpha[3], beta[3];
    uint32_t na = 0, nb = 0;
    bool is_default = true;
    for (int i = 0; i < 3; i++) {
        is_default &= k->acts[i].kind == dflt[i];
        names[i] = glc_act_name(k->acts[i].kind);
        if (k->acts[i].kind == GLC_ACT_HARD_SIGMOID)
            alpha[na++] = k->acts[i].alpha, beta[nb++] = k->acts[i].beta;
    }
    if (is_default) return GLC_OK;
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 3, .strings = names};
    GLC_TRY(glc_node_set_attr(g, id, &a));
    if (na) GLC_TRY(glc_node_set_floats(g, id, "activation_alpha", alpha, na));
    return nb ? glc_node_set_floats(g, id, "activation_beta", beta, nb) : GLC_OK;
}

/* The fused node's attributes. */
static glc_status set_cell_attrs(glc_graph *g, glc_node_id id, const loop_match *m) {
    GLC_TRY(glc_node_set_int(g, id, "hidden_size", m->H));
    if (m->k.op == GLC_OP_GRU) GLC_TRY(glc_node_set_int(g, id, "linear_before_reset", m->k.lbr));
    if (m->k.op == GLC_OP_LSTM) return set_lstm_acts(g, id, &m->k);
    if (!m->k.relu) return GLC_OK;
    static const char *const relu[] = {"Relu"};
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 1, .strings = relu};
    return glc_node_set_attr(g, id, &a);
}

/* Replaces Loop lid by the fused node and the Squeezes its users expect. */
static glc_status raise(glc_graph *g, glc_node_id lid, const loop_match *m) {
    uint32_t first = g->n_nodes;
    char name[256], nm[300];
    bool lstm = m->k.op == GLC_OP_LSTM;
    snprintf(name, sizeof name, "%.200s.%s", g->nodes[lid].name,
             lstm                    ? "lstm"
             : m->k.op == GLC_OP_GRU ? "gru"
                                     : "rnn");
    glc_value_id out[16];
    int n_out = g->nodes[lid].n_out;
    memcpy(out, g->nodes[lid].out, (size_t)n_out * sizeof *out);
    glc_value_id x = g->nodes[lid].in[m->x_input], h0 = g->nodes[lid].in[2 + m->state];
    glc_value_id c0 = lstm ? g->nodes[lid].in[2 + m->cstate] : 0;
    snprintf(nm, sizeof nm, "%s.W", name);
    glc_value_id in[7] = {x, gate_weights(g, m, false, nm), 0, 0, 0, 0, 0};
    snprintf(nm, sizeof nm, "%s.R", name);
    in[2] = gate_weights(g, m, true, nm);
    snprintf(nm, sizeof nm, "%s.B", name);
    in[3] = gate_biases(g, m, nm);
    snprintf(nm, sizeof nm, "%s.initial_h", name);
    if (!in[1] || !in[2] || !in[3] || !(in[5] = rr_reshaped(g, nm, h0, 0, true)))
        return GLC_E_NOMEM;
    GLC_TRY(rr_add_axis_node(g, GLC_OP_UNSQUEEZE, nm, h0, 0, in[5]));
    snprintf(nm, sizeof nm, "%s.initial_c", name);
    if (lstm && !(in[6] = rr_reshaped(g, nm, c0, 0, true))) return GLC_E_NOMEM;
    if (lstm) GLC_TRY(rr_add_axis_node(g, GLC_OP_UNSQUEEZE, nm, c0, 0, in[6]));
    glc_dim n = g->values[x].dims[1];
    snprintf(nm, sizeof nm, "%s.Y", name);
    glc_value_id y[3] = {
        glc_graph_add_value(g, nm, GLC_DT_F32, 4, (int64_t[]){m->f.T, 1, n, m->H})};
    snprintf(nm, sizeof nm, "%s.Y_h", name);
    y[1] = glc_graph_add_value(g, nm, GLC_DT_F32, 3, (int64_t[]){1, n, m->H});
    snprintf(nm, sizeof nm, "%s.Y_c", name);
    bool cell_read = lstm && rr_value_read(g, out[m->cstate]);
    y[2] = cell_read ? glc_graph_add_value(g, nm, GLC_DT_F32, 3, (int64_t[]){1, n, m->H}) : 0;
    glc_node_id id = y[0] && y[1] && (y[2] || !cell_read)
                         ? glc_graph_add_node(g, m->k.op, name, in, lstm ? 7 : 6, y, lstm ? 3 : 2)
                         : GLC_NO_NODE;
    if (id == GLC_NO_NODE) return GLC_E_NOMEM;
    GLC_TRY(set_cell_attrs(g, id, m));
    snprintf(nm, sizeof nm, "%s.scan", name);
    if (out[m->f.nc]) GLC_TRY(rr_add_axis_node(g, GLC_OP_SQUEEZE, nm, y[0], 1, out[m->f.nc]));
    snprintf(nm, sizeof nm, "%s.h_final", name);
    if (out[m->state]) GLC_TRY(rr_add_axis_node(g, GLC_OP_SQUEEZE, nm, y[1], 0, out[m->state]));
    snprintf(nm, sizeof nm, "%s.c_final", name);
    if (cell_read) GLC_TRY(rr_add_axis_node(g, GLC_OP_SQUEEZE, nm, y[2], 0, out[m->cstate]));
    snprintf(nm, sizeof nm, "%s.counter", name);
    if (out[m->f.counter]) GLC_TRY(rr_final_counter(g, nm, out[m->f.counter], m->f.T));
    for (uint32_t k = first; k < g->n_nodes; k++)
        glc_node_copy_guards(&g->nodes[k], &g->nodes[lid]);
    g->nodes[lid].dead = true;
    /* readers of only the scan's last step (return_sequences=False) read Y_h ([1, N, H]) */
    if (rr_only_last_step_read(g, out[m->f.nc], m->f.T))
        rr_redirect_last_step(g, out[m->f.nc], y[1]);
    return rr_move_tail_to(g, lid, first);
}

static const char *cell_name(const cell *k) {
    if (k->op == GLC_OP_LSTM)
        return k->acts[0].kind == GLC_ACT_SIGMOID ? "LSTM" : "LSTM (gates HardSigmoid)";
    if (k->op == GLC_OP_RNN) return k->relu ? "RNN (Relu)" : "RNN (Tanh)";
    return k->lbr ? "GRU (linear_before_reset=1)" : "GRU (linear_before_reset=0)";
}

/* Loop k raised (*raised, msg what it became) or why not (msg). */
static glc_status raise_loop(glc_graph *g, glc_node_id k, bool *raised, char *msg) {
    rr_frame f;
    if (!rr_match_frame(g, &g->nodes[k], &f, msg)) return GLC_OK;
    const glc_graph *b = g->nodes[k].body;
    int state = f.counter ? 0 : 1;
    if (f.nc == 3 && b->values[b->inputs[2 + state]].rank >= 3)
        return rr_raise_convlstm(g, k, &f, raised, msg);
    if (f.nc != 2 && f.nc != 3) {
        rr_refuse(msg, "it carries more than a counter and one state (RNN, GRU) or two "
                       "(LSTM): a masked cell carries its last output too");
        return GLC_OK;
    }
    loop_match m = {.f = f};
    if (!match_loop(g, &g->nodes[k], &m, msg)) return GLC_OK;
    GLC_TRY(raise(g, k, &m));
    *raised = true;
    snprintf(msg, RR_WHY, "%s, hidden %lld, input %lld, %lld steps", cell_name(&m.k),
             (long long)m.H, (long long)m.C, (long long)m.f.T);
    return GLC_OK;
}

glc_status glc_pass_raise_recurrence(glc_graph *g, glc_pass_ctx *cx) {
    bool changed = false;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        if (g->nodes[k].dead || g->nodes[k].op != GLC_OP_LOOP || g->nodes[k].n_out > 16) continue;
        char msg[RR_WHY] = "";
        bool raised = false;
        uint32_t before = g->n_nodes;
        glc_status s = raise_loop(g, k, &raised, msg);
        if (s != GLC_OK)
            return glc_diag_set(cx->diag, s, &g->nodes[k], "raise-recurrence: %s",
                                s == GLC_E_NOMEM ? "out of memory" : "cannot raise the Loop");
        if (!raised) {
            glc_pass_log(cx, "raise-recurrence: Loop '%s' stays a Loop: %s", g->nodes[k].name, msg);
            continue;
        }
        k += g->n_nodes - before; /* the new nodes sit before the dead Loop */
        glc_pass_log(cx, "raise-recurrence: Loop '%s' raised to %s", g->nodes[k].name, msg);
        changed = true;
    }
    return changed ? glc_graph_compact(g) : GLC_OK;
}
