/*
 * interp.c -- the reference interpreter: runs a graph with plain loops. It is the oracle
 * every compiled model is checked against, so it is written to be obviously correct and is
 * never optimised.
 *
 * glc_interp_run() gives each value a buffer: graph inputs point at the caller's buffers,
 * constants at their arena bytes, and every node output gets a fresh malloc'ed buffer
 * (freed at the end, on error too). Nodes run in order through glc_interp_node(); at the
 * end each graph output is copied to the caller's buffer, which also covers outputs that
 * are graph inputs or constants, and outputs that later nodes consume.
 *
 * glc_interp_node() calls the op's kernel from a table generated from ops.def's kernel
 * column (interp_<kernel>; a row without its kernel does not link). The kernels live in
 * interp_elemwise.c, interp_linalg.c (Gemm, MatMul), interp_shape.c (Identity, Reshape,
 * Flatten, Transpose, Concat) and one interp_<family>.c per op family. Shapes come from
 * the graph's values, which glc_infer_shapes() has filled in.
 */
#include "interp_impl.h"

#include <stdlib.h>
#include <string.h>

typedef glc_status (*interp_fn)(const glc_graph *g, const glc_node *n, const void *const *in,
                                void *const *out, glc_diag *d);

/* The kernel of every op, from ops.def's kernel column (a missing one fails to link). */
static const interp_fn kernels[GLC_OP_COUNT] = {
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, st, ty, kern, inf) [GLC_OP_##id] = interp_##kern,
#include "ops.def"
#undef OP
};

glc_status glc_interp_node(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d) {
    bool any = false; /* an output requested? (LSTM may want only Y_h, say) */
    for (int k = 0; k < n->n_out; k++)
        any = any || (n->out[k] && out[k]);
    if (!any) return GLC_OK; /* nothing requested */
    if ((int)n->op <= GLC_OP_NONE || n->op >= GLC_OP_COUNT)
        return glc_diag_set(d, GLC_E_INVALID_IR, n, "interpreter: invalid op %d", (int)n->op);
    return kernels[n->op](g, n, in, out, d);
}

/* State of one run: a data pointer per value and whether we own it. */
typedef struct run_state {
    const void **buf; /* [n_values] */
    bool *owned;      /* [n_values] */
} run_state;

/* Whether n runs: each of its guards (run-time Ifs' conditions) has the value it needs. */
static bool guard_holds(const glc_node *n, const run_state *st) {
    for (int k = 0; k < n->n_guards; k++) {
        const uint8_t *c = st->buf[n->guard[k]];
        bool want = !(n->guard_false >> k & 1);
        if (c && (*c != 0) != want) return false;
    }
    return true;
}

/* Runs n (outputs zeroed, then computed unless its guard is false). */
static glc_status run_one(const glc_graph *g, const glc_node *n, run_state *st, glc_diag *d) {
    const void **in = calloc(n->n_in ? n->n_in : 1, sizeof *in);
    void **out = calloc(n->n_out ? n->n_out : 1, sizeof *out);
    glc_status s = GLC_OK;
    if (!in || !out) {
        s = glc_diag_set(d, GLC_E_NOMEM, n, "interpreter: out of memory");
        goto out;
    }
    for (int i = 0; i < n->n_in; i++) in[i] = n->in[i] ? st->buf[n->in[i]] : NULL;
    for (int i = 0; i < n->n_out; i++) {
        glc_value_id o = n->out[i];
        if (!o) continue;
        size_t nb = glc_value_nbytes(&g->values[o]);
        out[i] = calloc(nb ? nb : 1, 1);
        if (!out[i]) {
            s = glc_diag_set(d, GLC_E_NOMEM, n, "interpreter: out of memory (%zu bytes)", nb);
            goto out;
        }
        if (st->owned[o]) free((void *)st->buf[o]);
        st->buf[o] = out[i];
        st->owned[o] = true;
    }
    if (guard_holds(n, st))
        s = glc_interp_node(g, n, (const void *const *)in, (void *const *)out, d);
out:
    free(in);
    free(out);
    return s;
}

static glc_status seed(const glc_graph *g, const void *const *inputs, run_state *st,
                       glc_diag *d) {
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        if (!inputs || !inputs[i])
            return glc_diag_set(d, GLC_E_ARG, NULL, "interpreter: graph input %u is NULL", i);
        st->buf[g->inputs[i]] = inputs[i];
    }
    for (uint32_t id = 1; id < g->n_values; id++)
        if (g->values[id].data) st->buf[id] = g->values[id].data;
    return GLC_OK;
}

static glc_status copy_outputs(const glc_graph *g, void *const *outputs, run_state *st,
                               glc_diag *d) {
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        glc_value_id id = g->outputs[i];
        if (!outputs || !outputs[i])
            return glc_diag_set(d, GLC_E_ARG, NULL, "interpreter: output buffer %u is NULL", i);
        if (!st->buf[id])
            return glc_diag_set(d, GLC_E_INVALID_IR, NULL, "interpreter: output %%%s never computed",
                                g->values[id].name ? g->values[id].name : "");
        memmove(outputs[i], st->buf[id], glc_value_nbytes(&g->values[id]));
    }
    return GLC_OK;
}

glc_status glc_interp_run(const glc_graph *g, const void *const *inputs, void *const *outputs,
                          glc_diag *d) {
    run_state st = {calloc(g->n_values ? g->n_values : 1, sizeof *st.buf),
                    calloc(g->n_values ? g->n_values : 1, sizeof *st.owned)};
    glc_status s = GLC_OK;
    if (!st.buf || !st.owned) {
        s = glc_diag_set(d, GLC_E_NOMEM, NULL, "interpreter: out of memory");
        goto out;
    }
    s = seed(g, inputs, &st, d);
    for (uint32_t i = 0; s == GLC_OK && i < g->n_nodes; i++)
        if (!g->nodes[i].dead) s = run_one(g, &g->nodes[i], &st, d);
    if (s == GLC_OK) s = copy_outputs(g, outputs, &st, d);
out:
    for (uint32_t id = 0; st.buf && st.owned && id < g->n_values; id++)
        if (st.owned[id]) free((void *)st.buf[id]);
    free(st.buf);
    free(st.owned);
    return s;
}
