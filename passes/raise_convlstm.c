/*
 * raise_convlstm.c -- a Loop whose body is one step of Keras's ConvLSTM (as tf2onnx writes
 * ConvLSTM1D/2D/3D: tests/fixtures/keras_tf2onnx_loops/README.md) becomes an ai.glc ConvLSTM
 * node (/work/shared/spec/ops.md). Matching is by dataflow only.
 *
 * The Loop has the frame of raise_common.h and carries, besides the counter, the states h
 * and c channels-last [N, S'..., F]; x_t = Gather(X, counter) of an outer X [T, N, S..., C].
 * In the body (after fold-constants made the per-gate weights constants), with
 * nchw(v) = Transpose(v, [0, R+1, 1..R]) and nhwc its inverse:
 *   xc = nchw(x_t), or Reshape(x_t) to [N, 1, S...] when C = 1;  hc = nchw(h)
 *   G_q = Conv(xc, W_q) + Conv(hc, R_q) + constant biases     (any association)
 *        for q in i, f, c, o; the four input Convs share one window, the recurrent ones
 *        have stride 1, dilation 1 and SAME_UPPER pads (the state keeps its grid)
 *   c'  = Sigmoid(G_f) * nchw(c) + Sigmoid(G_i) * Tanh(G_c)
 *         (the forget product also as nchw(nhwc(Sigmoid(G_f)) * c), tf2onnx's form)
 *   h'  = Sigmoid(G_o) * Tanh(c')
 * and the body outputs nhwc(h') (also the scan output, through Identity) and nhwc(c').
 * That is ConvLSTM(X' = Transpose(X) [T, N, C, S...], W, R, B) with the gate blocks i o f c,
 * W and R the Convs' weights ([F, C, k...] each, already ONNX's layout), B the biases summed
 * per gate (the recurrent half zero), the input Conv's window as the node's window, and the
 * initial states nchw'd and unsqueezed. Y (squeezed, nhwc'd) is the scan output when anything
 * but Slices of its last step reads it; those read Y_h instead, and Y is then not computed.
 */
#include "conv.h"
#include "passes.h"
#include "raise_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BIASES 4

enum { GI, GO, GF, GC }; /* ONNX's gate order */

typedef struct cl_gate {
    const glc_node *xconv, *hconv;
    const float *bias[MAX_BIASES]; /* F floats each */
    int nb;
} cl_gate;

typedef struct cl_match {
    const glc_graph *b; /* the body */
    glc_value_id xt;    /* x_t in it */
    rr_frame f;
    int h, c, x_input; /* carried indices of h and c, X's body input */
    int r;             /* spatial rank */
    int64_t F, C;
    cl_gate g[4];
    glc_conv_geom gx; /* the input convolution's window */
} cl_match;

typedef struct cl_ctx {
    const glc_graph *b;
    glc_value_id xt, h, c;
    cl_match *m;
    char *why;
} cl_ctx;

/* nchw (to_nchw) or nhwc permutation of rank r + 2. */
static void perm_of(int r, bool to_nchw, int64_t *p) {
    p[0] = 0;
    for (int i = 1; i < r + 2; i++)
        p[i] = to_nchw ? (i == 1 ? r + 1 : i - 1) : (i == r + 1 ? 1 : i + 1);
}

/* v = Transpose(u, nchw or nhwc perm): u, else 0. */
static glc_value_id transposed(const glc_graph *b, glc_value_id v, int r, bool to_nchw) {
    const glc_node *n = rr_prod_op(b, v, GLC_OP_TRANSPOSE);
    uint32_t k;
    const int64_t *p = n ? glc_attr_ints(n, "perm", &k) : NULL;
    int64_t want[GLC_MAX_RANK];
    perm_of(r, to_nchw, want);
    if (!p || k != (uint32_t)(r + 2) || memcmp(p, want, k * sizeof *p)) return 0;
    return n->in[0];
}

/* v is x_t channels first: nchw(x_t), or with one channel a Reshape to [N, 1, S...]. */
static bool is_xc(const cl_ctx *c, glc_value_id v) {
    if (transposed(c->b, v, c->m->r, true) == c->xt) return true;
    const glc_node *n = rr_prod_op(c->b, v, GLC_OP_RESHAPE);
    if (!n || n->in[0] != c->xt || c->m->C != 1) return false;
    const glc_value *x = &c->b->values[c->xt], *y = &c->b->values[v];
    if (y->rank != x->rank || y->dims[0] != x->dims[0] || y->dims[1] != 1) return false;
    for (int a = 1; a <= c->m->r; a++)
        if (y->dims[a + 1] != x->dims[a]) return false;
    return true;
}

/* A constant of F floats that broadcasts along the channel axis of [N, F, S...]. */
static const float *channel_bias(const cl_ctx *c, glc_value_id v) {
    const glc_value *k = rr_const_f32(c->b, v);
    int r = c->m->r;
    if (!k || k->rank < r + 1 || k->rank > r + 2 || glc_value_numel(k) != c->m->F) return NULL;
    for (int a = 0; a < k->rank; a++)
        if (k->dims[a] != (a == k->rank - 1 - r ? c->m->F : 1)) return NULL;
    return k->data;
}

static bool add_bias(cl_gate *q, const float *b) {
    if (!b || q->nb == MAX_BIASES) return false;
    q->bias[q->nb++] = b;
    return true;
}

/* A Conv of xc or hc with constant [F, C or F, k...] weights, group 1 (+ a constant bias). */
static bool conv_term(const cl_ctx *c, const glc_node *n, cl_gate *q) {
    bool x = is_xc(c, n->in[0]);
    if (!x && transposed(c->b, n->in[0], c->m->r, true) != c->h) return false;
    const glc_value *w = rr_const_f32(c->b, n->in[1]);
    if (!w || w->rank != c->m->r + 2 || glc_attr_int(n, "group", 1) != 1 || w->dims[0] != c->m->F ||
        w->dims[1] != (x ? c->m->C : c->m->F) || (x ? q->xconv : q->hconv))
        return false;
    if (n->n_in > 2 && n->in[2]) {
        const glc_value *bias = rr_const_f32(c->b, n->in[2]);
        if (!bias || glc_value_numel(bias) != c->m->F || !add_bias(q, bias->data)) return false;
    }
    *(x ? &q->xconv : &q->hconv) = n;
    return true;
}

/* pre = the sum of the terms of a gate: Adds of Convs of xc and hc and channel biases. */
static bool gate_terms(const cl_ctx *c, glc_value_id pre, cl_gate *q, int depth) {
    const glc_node *n = rr_producer(c->b, pre);
    if (n && !n->n_guards && n->op == GLC_OP_ADD && depth < 6)
        return gate_terms(c, n->in[0], q, depth + 1) && gate_terms(c, n->in[1], q, depth + 1);
    if (n && !n->n_guards && n->op == GLC_OP_CONV) return conv_term(c, n, q);
    return add_bias(q, channel_bias(c, pre));
}

static bool gate(const cl_ctx *c, glc_value_id pre, int q, const char *name) {
    cl_gate *g = &c->m->g[q];
    if (!gate_terms(c, pre, g, 0) || !g->xconv || !g->hconv) {
        snprintf(c->why, RR_WHY, "the %s gate is not Conv(x_t, W) + Conv(h, R) + bias", name);
        return false;
    }
    return true;
}

/* v = Op(u) with op Sigmoid or Tanh: u, else 0. */
static glc_value_id arg_of(const glc_graph *b, glc_value_id v, glc_op op) {
    const glc_node *n = rr_prod_op(b, v, op);
    return n ? n->in[0] : 0;
}

/* v = Sigmoid(a) * Tanh(b), either order: a and b. */
static bool sig_times_tanh(const glc_graph *b, glc_value_id v, glc_value_id *a, glc_value_id *t) {
    const glc_node *n = rr_prod_op(b, v, GLC_OP_MUL);
    for (int s = 0; n && s < 2; s++)
        if ((*a = arg_of(b, n->in[s], GLC_OP_SIGMOID)) &&
            (*t = arg_of(b, n->in[1 - s], GLC_OP_TANH)))
            return true;
    return false;
}

/* v = Sigmoid(G_f) * nchw(c), or nchw(nhwc(Sigmoid(G_f)) * c): G_f. */
static glc_value_id forget_of(const cl_ctx *c, glc_value_id v) {
    int r = c->m->r;
    glc_value_id u = transposed(c->b, v, r, true), s;
    if (u && rr_mul_with(c->b, u, c->c, &s))
        return arg_of(c->b, transposed(c->b, s, r, false), GLC_OP_SIGMOID);
    const glc_node *n = rr_prod_op(c->b, v, GLC_OP_MUL);
    for (int q = 0; n && q < 2; q++)
        if (transposed(c->b, n->in[q], r, true) == c->c)
            return arg_of(c->b, n->in[1 - q], GLC_OP_SIGMOID);
    return 0;
}

/* h' = Sigmoid(G_o) * Tanh(c'), c' = forget + Sigmoid(G_i) * Tanh(G_c): the four gates. */
static bool match_cell(const cl_ctx *c, glc_value_id hn, glc_value_id cn) {
    glc_value_id pre[4] = {0}, t;
    if (!sig_times_tanh(c->b, hn, &pre[GO], &t) || t != cn)
        return rr_refuse(c->why, "h' is not Sigmoid(G_o) * Tanh(c')");
    const glc_node *add = rr_prod_op(c->b, cn, GLC_OP_ADD);
    for (int s = 0; add && s < 2 && !pre[GF]; s++)
        if (sig_times_tanh(c->b, add->in[1 - s], &pre[GI], &pre[GC]))
            pre[GF] = forget_of(c, add->in[s]);
    if (!pre[GF]) return rr_refuse(c->why, "c' is not Sigmoid(G_f) * c + Sigmoid(G_i) * Tanh(G_c)");
    static const char *const names[4] = {"input", "output", "forget", "cell"};
    for (int q = 0; q < 4; q++)
        if (!gate(c, pre[q], q, names[q])) return false;
    return true;
}

static bool geom_eq(const glc_conv_geom *a, const glc_conv_geom *b) {
    if (a->nsp != b->nsp || a->c_in != b->c_in || a->c_out != b->c_out) return false;
    for (int i = 0; i < a->nsp; i++)
        if (a->in[i] != b->in[i] || a->out[i] != b->out[i] || a->kernel[i] != b->kernel[i] ||
            a->stride[i] != b->stride[i] || a->dilation[i] != b->dilation[i] ||
            a->pad_begin[i] != b->pad_begin[i] || a->pad_end[i] != b->pad_end[i])
            return false;
    return true;
}

/* The input Convs share one window onto the state's grid; the recurrent ones keep the grid
 * with stride 1, dilation 1 and SAME_UPPER pads. */
static bool windows_ok(const glc_graph *b, cl_match *m, const glc_value *hv, char *why) {
    glc_diag d;
    glc_conv_geom gh;
    for (int q = 0; q < 4; q++) {
        glc_conv_geom gx;
        if (glc_conv_geom_get(b, m->g[q].xconv, &gx, &d) != GLC_OK ||
            glc_conv_geom_get(b, m->g[q].hconv, &gh, &d) != GLC_OK)
            return rr_refuse(why, "a gate's Conv has no known geometry");
        if (q && !geom_eq(&gx, &m->gx)) return rr_refuse(why, "the input Convs' windows differ");
        m->gx = gx;
        for (int a = 0; a < m->r; a++) {
            int64_t k = gh.kernel[a];
            if (!glc_dim_is_const(gx.pad_begin[a]) || !glc_dim_is_const(gx.pad_end[a]) ||
                gx.out[a] != hv->dims[1 + a] || gh.in[a] != gh.out[a] || gh.stride[a] != 1 ||
                gh.dilation[a] != 1 || gh.pad_begin[a] != (k - 1) / 2 ||
                gh.pad_end[a] != k - 1 - (k - 1) / 2)
                return rr_refuse(why, "a recurrent Conv does not keep the state's grid "
                                      "(stride 1, SAME_UPPER) or the input Conv's output is not "
                                      "that grid");
        }
    }
    return true;
}

/* Which carried states are h (the scan output's) and c; the spatial rank and sizes. */
static bool match_states(glc_graph *g, const glc_node *n, cl_match *m, char *why) {
    const glc_graph *b = n->body;
    glc_value_id scan = rr_through_identity(b, b->outputs[1 + m->f.nc]);
    m->h = m->c = -1;
    for (int k = 0; k < m->f.nc; k++)
        if (k != m->f.counter)
            *(rr_through_identity(b, b->outputs[1 + k]) == scan ? &m->h : &m->c) = k;
    if (m->h < 0 || m->c < 0) return rr_refuse(why, "the scan output is not one of the states");
    const glc_value *hv = &b->values[b->inputs[2 + m->h]], *cv = &b->values[b->inputs[2 + m->c]];
    m->r = hv->rank - 2;
    if (hv->dtype != GLC_DT_F32 || m->r < 1 || m->r > 3 || cv->rank != hv->rank ||
        memcmp(hv->dims, cv->dims, (size_t)hv->rank * sizeof *hv->dims) ||
        !glc_dim_is_const(hv->dims[m->r + 1]))
        return rr_refuse(why, "the states are not f32 [N, S..., F] alike");
    m->F = hv->dims[m->r + 1];
    m->x_input = rr_find_xt(b, m->f.nc, b->inputs[2 + m->f.counter], m->r + 3, &m->xt);
    if (m->x_input < 0)
        return rr_refuse(why, "no single x_t = Gather(outer X [T,N,S...,C], counter)");
    const glc_value *X = &g->values[n->in[m->x_input]];
    if (X->dims[0] != m->f.T || !glc_dim_is_const(X->dims[m->r + 2]))
        return rr_refuse(why, "X's time axis is not the trip count");
    if (X->dims[1] != hv->dims[0]) return rr_refuse(why, "X's batch is not the states'");
    m->C = X->dims[m->r + 2];
    return true;
}

static bool match_convlstm(glc_graph *g, const glc_node *n, cl_match *m, char *why) {
    const glc_graph *b = m->b = n->body;
    if (!match_states(g, n, m, why)) return false;
    cl_ctx c = {b, m->xt, b->inputs[2 + m->h], b->inputs[2 + m->c], m, why};
    glc_value_id hn = transposed(b, rr_through_identity(b, b->outputs[1 + m->h]), m->r, false);
    glc_value_id cn = transposed(b, rr_through_identity(b, b->outputs[1 + m->c]), m->r, false);
    if (!hn || !cn) return rr_refuse(why, "the next states are not channels-last Transposes");
    return match_cell(&c, hn, cn) && windows_ok(b, m, &b->values[c.h], why);
}

/* ---- the replacement ----------------------------------------------------------------- */

/* [1, 4F, K, k...]: the gates' Conv weights (input or recurrent) in ONNX's order. */
static glc_value_id kernels(glc_graph *g, const cl_match *m, bool rec, const char *name) {
    const glc_value *w0 = &m->b->values[(rec ? m->g[0].hconv : m->g[0].xconv)->in[1]];
    size_t per = (size_t)glc_value_numel(w0);
    float *w = malloc(4 * per * sizeof *w);
    if (!w) return 0;
    for (int q = 0; q < 4; q++) {
        const glc_node *cv = rec ? m->g[q].hconv : m->g[q].xconv;
        memcpy(w + q * per, m->b->values[cv->in[1]].data, per * sizeof *w);
    }
    int64_t dims[GLC_MAX_RANK] = {1, 4 * m->F};
    memcpy(dims + 2, w0->dims + 1, (size_t)(w0->rank - 1) * sizeof *dims);
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, w0->rank + 1, dims, w);
    free(w);
    return id;
}

/* [1, 8F]: each gate's biases summed, the recurrent half zero. */
static glc_value_id biases(glc_graph *g, const cl_match *m, const char *name) {
    float *b = calloc((size_t)(8 * m->F), sizeof *b);
    if (!b) return 0;
    for (int q = 0; q < 4; q++)
        for (int k = 0; k < m->g[q].nb; k++)
            for (int64_t j = 0; j < m->F; j++)
                b[q * m->F + j] += m->g[q].bias[k][j];
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, 2, (int64_t[]){1, 8 * m->F}, b);
    free(b);
    return id;
}

/* Unsqueeze(nchw(s0), 0): an initial state in the node's layout. */
static glc_value_id initial_state(glc_graph *g, const cl_match *m, glc_value_id s0,
                                  const char *name) {
    char nm[300];
    int64_t p[GLC_MAX_RANK];
    perm_of(m->r, true, p);
    snprintf(nm, sizeof nm, "%s.nchw", name);
    glc_value_id t = rr_add_transpose(g, nm, s0, p, 0);
    glc_value_id u = t ? rr_reshaped(g, name, t, 0, true) : 0;
    if (!u || rr_add_axis_node(g, GLC_OP_UNSQUEEZE, name, t, 0, u) != GLC_OK) return 0;
    return u;
}

/* A new f32 value: dims [lead..., N, F, S'...] (n_lead leading dims). */
static glc_value_id state_like(glc_graph *g, const cl_match *m, const char *name,
                               const int64_t *lead, int n_lead, glc_dim batch) {
    int64_t d[GLC_MAX_RANK];
    memcpy(d, lead, (size_t)n_lead * sizeof *d);
    d[n_lead] = batch, d[n_lead + 1] = m->F;
    memcpy(d + n_lead + 2, m->gx.out, (size_t)m->r * sizeof *d);
    return glc_graph_add_value(g, name, GLC_DT_F32, n_lead + 2 + m->r, d);
}

/* X = Transpose(u, q), or a Reshape of u that only moves axes of size 1 (tf2onnx's
 * time-major Transpose at batch 1), which is the Transpose keeping the other axes' order. */
static bool as_transpose(const glc_graph *g, glc_value_id X, glc_value_id *u, int64_t *q) {
    const glc_value *x = &g->values[X];
    const glc_node *t = rr_prod_op(g, X, GLC_OP_TRANSPOSE);
    uint32_t k;
    const int64_t *perm = t ? glc_attr_ints(t, "perm", &k) : NULL;
    if (perm && k == (uint32_t)x->rank) {
        memcpy(q, perm, k * sizeof *q);
        return *u = t->in[0], true;
    }
    const glc_node *r = rr_prod_op(g, X, GLC_OP_RESHAPE);
    const glc_value *v = r ? &g->values[r->in[0]] : NULL;
    if (!v || v->rank != x->rank) return false;
    int ones = 0;
    for (int i = 0; i < x->rank; i++)
        ones += (x->dims[i] == 1) - (v->dims[i] == 1);
    if (ones) return false;
    for (int one = 0; one < 2; one++) /* axes of size 1 to axes of size 1, the others in order */
        for (int i = 0, j = 0; i < x->rank; i++, j++) {
            if ((x->dims[i] == 1) != one) {
                j--;
                continue;
            }
            while (j < v->rank && (v->dims[j] == 1) != one)
                j++;
            if (j == v->rank || v->dims[j] != x->dims[i]) return false;
            q[i] = j;
        }
    return *u = r->in[0], true;
}

/* Transpose(X, p), composed with the Transposes (or axis-moving Reshapes) producing X:
 * tf2onnx's time-major input, or the scan output of a raised layer below, which then reads
 * that layer's squeezed Y without a copy (the composition is the identity). */
static glc_value_id channels_first(glc_graph *g, const char *name, glc_value_id X,
                                   const int64_t *p) {
    int rank = g->values[X].rank;
    int64_t c[GLC_MAX_RANK], q[GLC_MAX_RANK];
    memcpy(c, p, (size_t)rank * sizeof *c);
    for (glc_value_id u; as_transpose(g, X, &u, q); X = u)
        for (int i = 0; i < rank; i++)
            c[i] = q[c[i]];
    bool identity = true;
    for (int i = 0; i < rank; i++)
        identity &= c[i] == i;
    return identity ? X : rr_add_transpose(g, name, X, c, 0);
}

/* The node: inputs, outputs (Y only if `seq`, Y_c only if `cell`) and attributes. */
static glc_node_id add_node(glc_graph *g, const cl_match *m, glc_node_id lid, const char *name,
                            bool seq, bool cell, glc_value_id *y) {
    char nm[300];
    const glc_node *loop = &g->nodes[lid];
    glc_value_id X = loop->in[m->x_input], h0 = loop->in[2 + m->h], c0 = loop->in[2 + m->c];
    glc_dim batch = g->values[X].dims[1];
    int64_t p[GLC_MAX_RANK] = {0, 1, m->r + 2};
    for (int a = 0; a < m->r; a++)
        p[3 + a] = 2 + a;
    glc_value_id in[7] = {0};
    snprintf(nm, sizeof nm, "%s.X", name);
    in[0] = channels_first(g, nm, X, p);
    snprintf(nm, sizeof nm, "%s.W", name);
    in[1] = kernels(g, m, false, nm);
    snprintf(nm, sizeof nm, "%s.R", name);
    in[2] = kernels(g, m, true, nm);
    snprintf(nm, sizeof nm, "%s.B", name);
    in[3] = biases(g, m, nm);
    snprintf(nm, sizeof nm, "%s.initial_h", name);
    in[5] = initial_state(g, m, h0, nm);
    snprintf(nm, sizeof nm, "%s.initial_c", name);
    in[6] = initial_state(g, m, c0, nm);
    snprintf(nm, sizeof nm, "%s.Y", name);
    y[0] = seq ? state_like(g, m, nm, (int64_t[]){m->f.T, 1}, 2, batch) : 0;
    snprintf(nm, sizeof nm, "%s.Y_h", name);
    y[1] = state_like(g, m, nm, (int64_t[]){1}, 1, batch);
    snprintf(nm, sizeof nm, "%s.Y_c", name);
    y[2] = cell ? state_like(g, m, nm, (int64_t[]){1}, 1, batch) : 0;
    for (int i = 0; i < 7; i++)
        if ((i != 4 && !in[i]) || (seq && !y[0]) || !y[1] || (cell && !y[2])) return GLC_NO_NODE;
    glc_node_id id = glc_graph_add_node(g, GLC_OP_CONVLSTM, name, in, 7, y, 3);
    const glc_conv_geom *w = &m->gx;
    int64_t pads[2 * GLC_MAX_RANK];
    memcpy(pads, w->pad_begin, (size_t)m->r * sizeof *pads);
    memcpy(pads + m->r, w->pad_end, (size_t)m->r * sizeof *pads);
    if (id == GLC_NO_NODE || glc_node_set_int(g, id, "hidden_size", m->F) ||
        glc_node_set_ints(g, id, "kernel_shape", w->kernel, (uint32_t)m->r) ||
        glc_node_set_ints(g, id, "strides", w->stride, (uint32_t)m->r) ||
        glc_node_set_ints(g, id, "dilations", w->dilation, (uint32_t)m->r) ||
        glc_node_set_ints(g, id, "pads", pads, (uint32_t)(2 * m->r)))
        return GLC_NO_NODE;
    return id;
}

/* out = nhwc(Squeeze(v, axis)): a state or sequence back in the Loop's layout. */
static glc_status to_loop_layout(glc_graph *g, const cl_match *m, const char *name, glc_value_id v,
                                 int axis, glc_value_id out) {
    char nm[300];
    snprintf(nm, sizeof nm, "%s.squeezed", name);
    glc_value_id s = rr_reshaped(g, nm, v, axis, false);
    if (!s) return GLC_E_NOMEM;
    GLC_TRY(rr_add_axis_node(g, GLC_OP_SQUEEZE, nm, v, axis, s));
    int lead = g->values[s].rank - (m->r + 2);
    int64_t p[GLC_MAX_RANK];
    perm_of(m->r, false, p + lead);
    for (int i = 0; i < lead; i++)
        p[i] = i;
    for (int i = lead; i < lead + m->r + 2; i++)
        p[i] += lead;
    return rr_add_transpose(g, name, s, p, out) ? GLC_OK : GLC_E_NOMEM;
}

/* Replaces Loop lid by the ConvLSTM node and the layout changes its readers expect. */
static glc_status raise(glc_graph *g, glc_node_id lid, const cl_match *m) {
    uint32_t first = g->n_nodes;
    char name[256], nm[300];
    snprintf(name, sizeof name, "%.200s.convlstm", g->nodes[lid].name);
    glc_value_id out[16], y[3];
    memcpy(out, g->nodes[lid].out, (size_t)g->nodes[lid].n_out * sizeof *out);
    glc_value_id scan = out[m->f.nc];
    bool last_only = rr_only_last_step_read(g, scan, m->f.T);
    bool seq = rr_value_read(g, scan) && !last_only;
    if (add_node(g, m, lid, name, seq, rr_value_read(g, out[m->c]), y) == GLC_NO_NODE)
        return GLC_E_NOMEM;
    if (g->opset_glc < 1) g->opset_glc = 1;
    snprintf(nm, sizeof nm, "%s.scan", name);
    if (seq) GLC_TRY(to_loop_layout(g, m, nm, y[0], 1, scan));
    glc_value_id last = 0;
    if (last_only) {
        int64_t p[GLC_MAX_RANK] = {0};
        perm_of(m->r, false, p + 1);
        for (int i = 1; i < m->r + 3; i++)
            p[i] += 1;
        snprintf(nm, sizeof nm, "%s.last", name);
        if (!(last = rr_add_transpose(g, nm, y[1], p, 0))) return GLC_E_NOMEM;
    }
    snprintf(nm, sizeof nm, "%s.h_final", name);
    if (rr_value_read(g, out[m->h])) GLC_TRY(to_loop_layout(g, m, nm, y[1], 0, out[m->h]));
    snprintf(nm, sizeof nm, "%s.c_final", name);
    if (y[2]) GLC_TRY(to_loop_layout(g, m, nm, y[2], 0, out[m->c]));
    snprintf(nm, sizeof nm, "%s.counter", name);
    if (out[m->f.counter]) GLC_TRY(rr_final_counter(g, nm, out[m->f.counter], m->f.T));
    for (uint32_t k = first; k < g->n_nodes; k++)
        glc_node_copy_guards(&g->nodes[k], &g->nodes[lid]);
    g->nodes[lid].dead = true;
    if (last) rr_redirect_last_step(g, scan, last);
    return rr_move_tail_to(g, lid, first);
}

glc_status rr_raise_convlstm(glc_graph *g, glc_node_id lid, const rr_frame *f, bool *raised,
                             char *msg) {
    cl_match m = {.f = *f};
    if (!match_convlstm(g, &g->nodes[lid], &m, msg)) return GLC_OK;
    GLC_TRY(raise(g, lid, &m));
    *raised = true;
    char k[64] = "";
    for (int a = 0; a < m.r; a++)
        snprintf(k + strlen(k), sizeof k - strlen(k), "%s%lld", a ? "x" : "",
                 (long long)m.gx.kernel[a]);
    snprintf(msg, RR_WHY,
             "ai.glc.ConvLSTM, %lld filters, %lld input channels, kernel %s, %lld steps",
             (long long)m.F, (long long)m.C, k, (long long)m.f.T);
    return GLC_OK;
}
