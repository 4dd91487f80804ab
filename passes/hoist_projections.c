/*
 * hoist_projections.c -- decide how far each recurrent node hoists its input projection
 * out of the recurrence, and record it on the node (attribute glc_hoist_steps) for the
 * lowering to follow.
 *
 * The input projection (LSTM/GRU/RNN: X W^T; ai.glc ConvLSTM: the input convolution;
 * ai.glc GridLSTM: the depth input's product at every grid position) does not depend on
 * the recurrence. Computed for many steps at once it is one large product near the FMA
 * peak instead of one small product per step; but its result must stay in cache until the
 * recurrence reads it. So a node gets
 *
 *   glc_hoist_steps = min(steps, max(1, HOIST_BUDGET / floats per step))
 *
 * (-1 when the steps or the batch are symbolic: the lowering then sizes the chunks that way
 * at run time) steps (GridLSTM: positions) per hoisted chunk: all of them when their projections fit
 * HOIST_BUDGET floats (2 MiB, about the L2 of our machines), else chunks of that size (the
 * lowering balances them: ceil(steps / n) for the fewest n chunks of at most this many).
 * A reverse or bidirectional LSTM/GRU/RNN with sequence_lens is hoisted whole: its rows
 * do not share their time indices within a chunk. A node without the attribute (-O0 runs
 * no pass) projects one step at a time. MD-LSTM is not annotated: its lowering projects
 * every position of a sample at once (its wavefronts read the positions of a diagonal,
 * spread over the whole grid).
 *
 * The pass only annotates (an existing glc_hoist_steps is overwritten); outputs are
 * unchanged whatever the chunking, up to the products' rounding.
 */
#include "convlstm.h"
#include "gridlstm.h"
#include "passes.h"
#include "rnn.h"

#include <string.h>

enum { HOIST_BUDGET = GLC_HOIST_BUDGET_FLOATS }; /* floats of hoisted projections per chunk */

static int64_t chunk(int64_t steps, int64_t per_step) {
    if (glc_dim_is_sym(steps) || glc_dim_is_sym(per_step)) return -1; /* at run time */
    int64_t t = per_step > 0 ? HOIST_BUDGET / per_step : steps;
    if (t > steps) t = steps;
    return t < 1 ? 1 : t;
}

/* Sets (or overwrites) n's glc_hoist_steps. */
static glc_status set_steps(glc_graph *g, glc_node_id id, int64_t steps) {
    glc_node *n = &g->nodes[id];
    for (uint16_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, GLC_ATTR_HOIST_STEPS)) {
            n->attrs[i].kind = GLC_ATTR_INT;
            n->attrs[i].i = steps;
            return GLC_OK;
        }
    return glc_node_set_int(g, id, GLC_ATTR_HOIST_STEPS, steps);
}

/* The node's steps per chunk, or 0 if it has no hoisted projection. */
static glc_status steps_of(const glc_graph *g, const glc_node *n, int64_t *steps, glc_diag *d) {
    *steps = 0;
    switch (n->op) {
    case GLC_OP_LSTM:
    case GLC_OP_GRU:
    case GLC_OP_RNN: {
        glc_rnn_desc r;
        GLC_TRY(glc_rnn_desc_read(g, n, &r, d));
        bool sl = glc_node_input(g, n, GLC_RNN_SEQ_LENS) != NULL;
        glc_dim per_step = glc_dim_mul(g, r.batch, r.gates * r.hidden);
        *steps = sl && r.direction != GLC_RNN_FORWARD ? (glc_dim_is_sym(r.seq) ? -1 : r.seq)
                                                      : chunk(r.seq, per_step);
        return GLC_OK;
    }
    case GLC_OP_CONVLSTM: {
        glc_convlstm_desc r;
        GLC_TRY(glc_convlstm_desc_read(g, n, &r, d));
        *steps = chunk(r.seq, glc_dim_mul(g, r.batch, 4 * r.hidden * r.out_size));
        return GLC_OK;
    }
    case GLC_OP_GRIDLSTM: {
        glc_gridlstm_desc r;
        GLC_TRY(glc_gridlstm_desc_read(g, n, &r, d));
        *steps = chunk(r.grid_size, glc_dim_mul(g, r.batch, (r.k + 1) * 4 * r.hidden));
        return GLC_OK;
    }
    default:
        return GLC_OK;
    }
}

glc_status glc_pass_hoist_projections(glc_graph *g, glc_pass_ctx *cx) {
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        int64_t steps;
        GLC_TRY(steps_of(g, &g->nodes[k], &steps, cx->diag));
        if (steps != 0) GLC_TRY(set_steps(g, k, steps));
    }
    return GLC_OK;
}
