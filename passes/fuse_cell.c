/*
 * fuse_cell.c -- mark the LSTM nodes whose cell update the lowering runs in the epilogue
 * of the step's recurrent product (attribute glc_fuse_cell = 1).
 *
 * Unfused, an LSTM step is two parallel regions: the product gh = h R^T over all gate
 * columns, then the cells, which read gh back from memory after every task has finished.
 * Fused (codegen/lower_rnn.c), R^T's columns are reordered at compile time so that each
 * column panel of the product holds all four gates of its units; the cells of a register
 * tile run as soon as the tile is stored, while it is in L1, inside the same task; h is
 * double-buffered, so a step is one parallel region. This needs R to be a constant (its
 * columns are reordered when it is packed) and no sequence_lens (rows past their length
 * would need a per-row test in every tile; those nodes keep the separate cells).
 *
 * It pays only for small batches, so only those are marked. Measured on our machines (2
 * threads, median of 5-9 alternating runs, one forward LSTM): fused was 4 % faster at
 * batch 1 (ONNX LSTM, hidden 512, W5 batch 1: 15.35 -> 14.68 ms) and at batch 8 (hidden
 * 256), and 1-9 % slower from batch 64 on (hidden 64-256; W6's batch 512 rows, hidden 64:
 * 11.5 -> 12.0 ms): the product then runs as 6 x 64 tiles, slower than the usual 12 x 32,
 * and the cells, a long chain of dependent vector operations, gain nothing from running
 * between the tiles; for a small batch the unfused cells are too few to split into tasks,
 * and the barrier between product and cells is a larger part of the step.
 *
 * The pass only annotates (an LSTM it marks gets glc_fuse_cell = 1 whatever it carried;
 * others keep theirs); outputs agree fused or not up to the product's rounding (its small
 * tiles may split the k sums differently; the cells' operations are the same).
 */
#include "passes.h"
#include "rnn.h"

enum { FUSE_MAX_BATCH = 8 };

static bool fusable(const glc_graph *g, const glc_node *n) {
    if (n->op != GLC_OP_LSTM) return false;
    const glc_value *r = glc_node_input(g, n, GLC_RNN_R);
    glc_rnn_desc d;
    glc_diag diag;
    return r && r->data && !glc_node_input(g, n, GLC_RNN_SEQ_LENS) &&
           glc_rnn_desc_read(g, n, &d, &diag) == GLC_OK && d.batch <= FUSE_MAX_BATCH;
}

glc_status glc_pass_fuse_cell(glc_graph *g, glc_pass_ctx *cx) {
    (void)cx;
    for (glc_node_id k = 0; k < g->n_nodes; k++)
        if (fusable(g, &g->nodes[k])) GLC_TRY(glc_node_set_int(g, k, "glc_fuse_cell", 1));
    return GLC_OK;
}
