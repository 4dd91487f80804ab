/*
 * stream.c -- rewrite a graph to run one time step per call, the recurrent state
 * carried in and out through extra ports (`glc MODEL.onnx --stream`).
 *
 * A whole-sequence model takes X with T steps and runs every recurrent node over
 * them. Its streaming form takes one step: the time axis of every graph input is cut
 * to length 1, and each recurrent node k (LSTM, GRU, RNN, ConvLSTM, in graph order)
 * gets its state from new graph inputs and hands its final state to new graph outputs:
 *
 *   stream_h<k>      -> initial_h      Y_h -> stream_h<k>_out
 *   stream_c<k>      -> initial_c      Y_c -> stream_c<k>_out     (LSTM, ConvLSTM)
 *
 * State inputs come after the model's own inputs, state outputs after its outputs, so
 * the frame ports keep their order. The runtime (runtime/stream.c) pairs the ports by
 * name and feeds each _out back as the next step's input; the compiled model's ABI
 * is unchanged. Feeding the T frames one by one from a zero state then gives the
 * whole-sequence run's per-step outputs and final state, as long as nothing outside the
 * recurrent nodes mixes time steps (see Limits). An output without a time axis (the
 * last step sliced out, as Keras' return_sequences=False exports) gives at each step
 * the whole model's output for the sequence so far.
 *
 * Algorithm: (1) check every recurrent node: forward direction, no sequence_lens, no
 * initial_h/initial_c other than constant zeros (tf2onnx writes those; the state ports
 * replace them); (2) the time axis of the first node's X is axis 0 for layout 0, 1 for
 * layout 1, its length T that node's step count; traced back to the graph inputs
 * through Transpose and elementwise ops (Keras exports feed (N,T,I) through a Transpose
 * to a layout-0 LSTM), it gives the inputs' time axis (the X axis itself if the trace
 * meets another op); every graph input must have that axis with length T; (3) give
 * each node Y_h (and Y_c) if it had none, infer shapes, and add the state ports with
 * those shapes (a Y_h the model already uses is copied to its port by an Identity, so
 * the model's own output keeps its name; one requested but unused is renamed); (4) cut
 * the inputs' time axis to 1 and infer shapes again; a failure there (a Reshape whose
 * constant shape holds T, say) is "cannot stream: ..."; (5) every recurrent node must
 * now see one step.
 *
 * Limits: the pass checks shapes, not meaning. A model that mixes time steps outside
 * the recurrent nodes (a Conv, pool or reduction over the time axis) may still pass
 * the shape checks and compile, but its step outputs then differ from the whole run.
 * MDLSTM and GridLSTM, which scan spatial grids, are refused.
 *
 * Not in the default pipeline: glc_run_pipeline runs it first when options.stream is
 * set, before fold-constants, so that shape computations fold with T = 1.
 */
#include "passes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    glc_node_id node;
    bool has_c; /* LSTM, ConvLSTM: a cell state too */
} rec;

enum { IN_SEQ_LENS = 4, IN_INIT_H = 5, IN_INIT_C = 6, OUT_Y_H = 1, OUT_Y_C = 2 };

static bool is_streamable(glc_op op) {
    return op == GLC_OP_LSTM || op == GLC_OP_GRU || op == GLC_OP_RNN || op == GLC_OP_CONVLSTM;
}

static int time_axis(const glc_node *n) {
    return glc_attr_int(n, "layout", 0) ? 1 : 0;
}

/* A constant of zero bytes, as exporters (tf2onnx) write for "no initial state". */
static bool is_zero_const(const glc_value *v) {
    if (!v->data) return false;
    const unsigned char *p = v->data;
    for (size_t i = 0, n = glc_value_nbytes(v); i < n; i++)
        if (p[i]) return false;
    return true;
}

/* Step 1 for one node: refuses what a step-by-step run cannot reproduce. */
static glc_status check_node(const glc_graph *g, const glc_node *n, glc_diag *d) {
    const char *dir = glc_attr_string(n, "direction", "forward");
    if (strcmp(dir, "forward"))
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "cannot stream: direction '%s' needs the whole sequence; only "
                            "forward recurrences can run step by step",
                            dir);
    if (n->n_in > IN_SEQ_LENS && n->in[IN_SEQ_LENS])
        return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                            "cannot stream: sequence_lens is given; a stream has no sequence "
                            "length (remove it, or run the whole-sequence model)");
    for (int i = IN_INIT_H; i <= IN_INIT_C && i < n->n_in; i++)
        if (n->in[i] && !is_zero_const(&g->values[n->in[i]]))
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                                "cannot stream: %s is given and not a constant zero; in a "
                                "stream the state ports stream_h/stream_c set it",
                                i == IN_INIT_H ? "initial_h" : "initial_c");
    return GLC_OK;
}

/* Steps 1 and 2: collects the recurrent nodes into r (capacity g->n_nodes). */
static glc_status collect(const glc_graph *g, rec *r, uint32_t *count, glc_diag *d) {
    *count = 0;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        const glc_node *n = &g->nodes[k];
        if (n->dead) continue;
        if (n->n_guards)
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "cannot stream: the model has an If "
                                "whose condition is not known at compile time (bind it)");
        if (n->op == GLC_OP_LOOP)
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "cannot stream: the model has a Loop "
                                "(or Scan), whose iterations glc does not split across calls");
        if (!(glc_op_table[n->op].flags & OPF_RECURRENT)) continue;
        if (!is_streamable(n->op))
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                                "cannot stream: %s scans a grid, not a time axis; only LSTM, "
                                "GRU, RNN and ConvLSTM can stream",
                                glc_op_name(n->op));
        GLC_TRY(check_node(g, n, d));
        r[(*count)++] = (rec){k, n->op == GLC_OP_LSTM || n->op == GLC_OP_CONVLSTM};
    }
    if (!*count)
        return glc_diag_set(d, GLC_E_UNSUPPORTED, NULL,
                            "cannot stream: the model has no LSTM, GRU, RNN or ConvLSTM node");
    return GLC_OK;
}

/* The input of elementwise node p that carries the time axis: same rank, length T there,
 * not a constant; 0 if none. */
static glc_value_id time_operand(const glc_graph *g, const glc_node *p, int rank, int axis,
                                 int64_t T) {
    for (int i = 0; i < p->n_in; i++) {
        const glc_value *v = glc_node_input(g, p, i);
        if (v && !v->data && v->rank == rank && v->dims[axis] == T) return p->in[i];
    }
    return 0;
}

/* Step 2: the graph inputs' axis that becomes axis `axis` of v (X of the first recurrent
 * node), traced back through Transpose (the axis moves) and elementwise ops, Identity
 * and Dropout (it stays). False if the trace meets any other op. */
static bool trace_axis(const glc_graph *g, glc_value_id v, int axis, int64_t T, int *out) {
    for (uint32_t hops = 0; hops <= g->n_nodes; hops++) {
        const glc_value *x = &g->values[v];
        if (x->is_input) {
            *out = axis;
            return true;
        }
        if (x->producer == GLC_NO_NODE) return false;
        const glc_node *p = &g->nodes[x->producer];
        if (p->op == GLC_OP_TRANSPOSE) {
            uint32_t count;
            const int64_t *perm = glc_attr_ints(p, "perm", &count);
            axis = perm ? (int)perm[axis] : x->rank - 1 - axis;
            v = p->in[0];
        } else if (p->op == GLC_OP_IDENTITY || p->op == GLC_OP_DROPOUT ||
                   (glc_op_table[p->op].flags & OPF_ELEMWISE)) {
            if (!(v = time_operand(g, p, x->rank, axis, T))) return false;
        } else {
            return false;
        }
    }
    return false;
}

/* Fails unless every graph input has time axis `axis` of length T. */
static glc_status check_inputs(const glc_graph *g, const glc_node *first, int axis, int64_t T,
                               glc_diag *d) {
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        if (v->rank > axis && v->dims[axis] == T) continue;
        char s[96];
        glc_shape_str(v->dtype, v->rank, v->dims, s, sizeof s);
        return glc_diag_set(d, GLC_E_UNSUPPORTED, first,
                            "cannot stream: graph input '%s' %s has no time axis %d of length "
                            "%lld (the time axis of the first recurrent node's X); every input "
                            "must be a sequence, weights must be initializers",
                            v->name, s, axis, (long long)T);
    }
    return GLC_OK;
}

static glc_status name_free(const glc_graph *g, const char *name, glc_diag *d) {
    if (glc_graph_find_value(g, name))
        return glc_diag_set(d, GLC_E_UNSUPPORTED, NULL,
                            "cannot stream: the model already has a value named '%s'", name);
    return GLC_OK;
}

/* Grows n's input list to at least n_in slots (new slots absent). */
static glc_status widen_inputs(glc_graph *g, glc_node *n, int n_in) {
    if (n->n_in >= n_in) return GLC_OK;
    glc_value_id *in = glc_arena_alloc(&g->arena, (size_t)n_in * sizeof *in);
    if (!in) return GLC_E_NOMEM;
    memcpy(in, n->in, n->n_in * sizeof *in);
    n->in = in;
    n->n_in = (uint16_t)n_in;
    return GLC_OK;
}

static bool is_used(const glc_graph *g, glc_value_id v) {
    if (g->values[v].is_output) return true;
    for (glc_node_id k = 0; k < g->n_nodes; k++)
        for (int i = 0; i < g->nodes[k].n_in && !g->nodes[k].dead; i++)
            if (g->nodes[k].in[i] == v) return true;
    return false;
}

/* Step 3a: gives node k its state output `slot`, named "stream_<h|c><idx>_out" unless the
 * model uses it already (requested but unused, as tf2onnx writes, counts as not used). */
static glc_status ensure_state_out(glc_graph *g, glc_node_id k, int slot, const char *port,
                                   glc_diag *d) {
    glc_node *n = &g->nodes[k];
    char name[64];
    snprintf(name, sizeof name, "%s_out", port);
    if (n->n_out > slot && n->out[slot]) {
        glc_value_id y = n->out[slot];
        if (is_used(g, y)) return GLC_OK;
        GLC_TRY(name_free(g, name, d));
        return (g->values[y].name = glc_arena_strdup(&g->arena, name)) ? GLC_OK : GLC_E_NOMEM;
    }
    if (n->n_out <= slot) {
        glc_value_id *out = glc_arena_alloc(&g->arena, (size_t)(slot + 1) * sizeof *out);
        if (!out) return GLC_E_NOMEM;
        memcpy(out, n->out, n->n_out * sizeof *out);
        n->out = out;
        n->n_out = (uint16_t)(slot + 1);
    }
    GLC_TRY(name_free(g, name, d));
    glc_value_id v = glc_graph_add_value(g, name, GLC_DT_UNDEF, 0, NULL);
    if (!v) return GLC_E_NOMEM;
    n = &g->nodes[k];
    n->out[slot] = v;
    g->values[v].producer = k;
    return GLC_OK;
}

/* Step 3b: the port pair of node k's state `slot`; shapes from the inferred output. */
static glc_status add_ports(glc_graph *g, glc_node_id k, int slot, int in_slot, const char *port,
                            glc_diag *d) {
    GLC_TRY(name_free(g, port, d));
    glc_value_id y = g->nodes[k].out[slot];
    glc_value y_copy = g->values[y];
    glc_value_id s = glc_graph_add_value(g, port, y_copy.dtype, y_copy.rank, y_copy.dims);
    if (!s) return GLC_E_NOMEM;
    GLC_TRY(glc_graph_add_input(g, s));
    GLC_TRY(widen_inputs(g, &g->nodes[k], in_slot + 1));
    g->nodes[k].in[in_slot] = s;
    char name[64];
    snprintf(name, sizeof name, "%s_out", port);
    if (!strcmp(y_copy.name, name)) return glc_graph_add_output(g, y); /* made by us */
    GLC_TRY(name_free(g, name, d));
    glc_value_id o = glc_graph_add_value(g, name, GLC_DT_UNDEF, 0, NULL);
    if (!o) return GLC_E_NOMEM;
    char nn[96];
    snprintf(nn, sizeof nn, "%s_copy", name);
    if (glc_graph_add_node(g, GLC_OP_IDENTITY, nn, &y, 1, &o, 1) == GLC_NO_NODE) return GLC_E_NOMEM;
    return glc_graph_add_output(g, o);
}

/* Step 3: state outputs, shapes, then the ports, node by node. */
static glc_status add_state(glc_graph *g, const rec *r, uint32_t count, glc_diag *d) {
    char port[48];
    for (uint32_t i = 0; i < count; i++) {
        snprintf(port, sizeof port, "stream_h%u", i);
        GLC_TRY(ensure_state_out(g, r[i].node, OUT_Y_H, port, d));
        snprintf(port, sizeof port, "stream_c%u", i);
        if (r[i].has_c) GLC_TRY(ensure_state_out(g, r[i].node, OUT_Y_C, port, d));
    }
    GLC_TRY(glc_infer_shapes(g, d));
    for (uint32_t i = 0; i < count; i++) {
        snprintf(port, sizeof port, "stream_h%u", i);
        GLC_TRY(add_ports(g, r[i].node, OUT_Y_H, IN_INIT_H, port, d));
        snprintf(port, sizeof port, "stream_c%u", i);
        if (r[i].has_c) GLC_TRY(add_ports(g, r[i].node, OUT_Y_C, IN_INIT_C, port, d));
    }
    return GLC_OK;
}

/* Step 4's failure: keeps the node and status, explains the message. */
static glc_status cannot_stream(glc_diag *d, glc_status s, int64_t T) {
    char msg[sizeof d->msg];
    snprintf(msg, sizeof msg, "%s", d->msg);
    snprintf(d->msg, sizeof d->msg,
             "cannot stream: %.*s (with the time axis cut from %lld steps to 1; does a "
             "constant shape hold the sequence length?)",
             (int)sizeof d->msg - 160, msg, (long long)T);
    return s;
}

/* Steps 4 and 5. */
static glc_status cut_time(glc_graph *g, uint32_t n_frame_inputs, const rec *r, uint32_t count,
                           int axis, int64_t T, glc_diag *d) {
    for (uint32_t i = 0; i < n_frame_inputs; i++)
        g->values[g->inputs[i]].dims[axis] = 1;
    glc_status s = glc_infer_shapes(g, d);
    if (s != GLC_OK) return cannot_stream(d, s, T);
    for (uint32_t i = 0; i < count; i++) {
        const glc_node *n = &g->nodes[r[i].node];
        const glc_value *x = &g->values[n->in[0]];
        int ax = time_axis(n);
        if (x->dims[ax] != 1)
            return glc_diag_set(d, GLC_E_UNSUPPORTED, n,
                                "cannot stream: X still has %lld time steps after the inputs' "
                                "axis %d was cut from %lld to 1; its time axis does not come "
                                "from the inputs' axis %d",
                                (long long)x->dims[ax], axis, (long long)T, axis);
    }
    return GLC_OK;
}

glc_status glc_pass_stream(glc_graph *g, glc_pass_ctx *cx) {
    glc_diag *d = cx->diag;
    rec *r = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *r);
    if (!r) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    uint32_t count = 0;
    glc_status s = collect(g, r, &count, d);
    if (s == GLC_OK) {
        const glc_node *first = &g->nodes[r[0].node];
        int axis = time_axis(first);
        int64_t T = g->values[first->in[0]].dims[axis];
        if (!trace_axis(g, first->in[0], time_axis(first), T, &axis)) axis = time_axis(first);
        uint32_t n_frame_inputs = g->n_inputs;
        s = check_inputs(g, first, axis, T, d);
        if (s == GLC_OK) s = add_state(g, r, count, d);
        if (s == GLC_OK) s = cut_time(g, n_frame_inputs, r, count, axis, T, d);
        if (s == GLC_OK) s = glc_graph_compact(g); /* drops replaced zero initial states */
    }
    free(r);
    if (s == GLC_E_NOMEM && d->status != GLC_E_NOMEM)
        return glc_diag_set(d, s, NULL, "out of memory");
    return s;
}
