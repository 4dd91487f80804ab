/*
 * fuse_cell.c -- mark the LSTM, GRU and RNN nodes whose cell update the lowering runs in
 * the epilogue of the step's recurrent product (attribute glc_fuse_cell = 1).
 *
 * Unfused, a step is two parallel regions: the product gh = h R^T over all gate columns,
 * then the cells, which read gh back from memory after every task has finished. Fused
 * (codegen/lower_rnn.c), R^T's columns are reordered at compile time so that each column
 * panel of the product holds all G gates of its units (LSTM: 4 x 16 units per 64-column
 * panel, GRU: 3 x 16 per 48; an RNN's one gate needs no reordering); the cells of a
 * register tile run as soon as the tile is stored, while it is in L1, inside the same
 * task; h is double-buffered, so a step is one parallel region. This needs R to be a
 * constant (its columns are reordered when it is packed), no sequence_lens (rows past
 * their length would need a per-row test in every tile), and for GRU linear_before_reset
 * = 1 (with 0 the h gate's product needs r h first: a second product).
 *
 * Marked where it was measured to pay (our machines, 2 threads, medians of 5-9
 * alternating `glc bench` runs, one forward node of hidden 512 over 50 steps unless
 * said):
 *   LSTM, batch <= 8: 4 % faster at batch 1 (W5 batch 1: 15.35 -> 14.68 ms) and at batch 8
 *     (hidden 256), 1-9 % slower from batch 64 on (hidden 64-256; W6's batch 512 rows,
 *     hidden 64: 11.5 -> 12.0 ms): the product then runs as 6 x 64 tiles, slower than the
 *     usual 12 x 32, and the cells, a long chain of dependent vector operations, gain
 *     nothing from running between the tiles;
 *   GRU, batch 1: 1.314 -> 1.272 ms (3 %); at batch 4 and 8 within 2 % either way (8 x 48
 *     tiles instead of 12 x 32);
 *   RNN, any batch: 12.5 % faster at batch 1 (0.572 -> 0.501 ms), 5.7 % at 8, 2.3 % at 64
 *     (its panels and tiles are the usual ones).
 *
 * A symbolic batch is judged by its bound (--max-dim). Without one, or with one above the
 * limit, the node is marked too, with glc_fuse_cell_max_batch = the limit: the lowering
 * emits both steps and takes the fused one at run-time batches up to the limit, so a
 * model compiled once runs each batch as the model compiled for it would (W5 at batch 1
 * and 3 unfused were the symbolic model's only difference from the static ones).
 *
 * At batches up to 4 (RNN_SMALL_MAX_BATCH) the lowering runs a marked node's step as a
 * matrix-vector product with the cells on its registers (codegen/rnn_small.c) where that
 * pays on the target; it also takes sequence_lens, GRUs with linear_before_reset = 0 and
 * GRUs of batch 2 to 4. So nodes with constant R and a batch that can be at most 4 (static,
 * or symbolic) are marked too; where the GEMM-fused step above does not apply or pay, with
 * glc_fuse_cell_max_batch = the batch up to which it does (0: none): LSTM with
 * sequence_lens of batch 2 gets 0, a GRU (linear_before_reset = 1) of batch 3 gets 1.
 *
 * The pass only annotates (a node it marks gets glc_fuse_cell = 1 whatever it carried;
 * others keep theirs); outputs agree fused or not up to the product's rounding (its tiles
 * may split the k sums differently; the cells' operations are the same).
 */
#include "passes.h"
#include "rnn.h"

enum { LSTM_MAX_BATCH = 8, GRU_MAX_BATCH = 1, SMALL_MAX_BATCH = 4 };

/* Whether n is an LSTM, GRU or RNN with constant R: then the largest batch at which its
 * GEMM step pays fused in *most (0: never, INT64_MAX: any); *batch is n's batch or its
 * bound, INT64_MAX for an unbounded symbolic one; *sym: it is symbolic. */
static bool fusable(const glc_graph *g, const glc_node *n, int64_t *most, int64_t *batch,
                    bool *sym) {
    if (n->op != GLC_OP_LSTM && n->op != GLC_OP_GRU && n->op != GLC_OP_RNN) return false;
    const glc_value *r = glc_node_input(g, n, GLC_RNN_R);
    glc_rnn_desc d;
    glc_diag diag;
    if (!r || !r->data) return false;
    if (glc_rnn_desc_read(g, n, &d, &diag) != GLC_OK) return false;
    *sym = glc_dim_is_sym(d.batch);
    if (!glc_dim_upper_bound(g, d.batch, batch)) *batch = INT64_MAX;
    if (glc_node_input(g, n, GLC_RNN_SEQ_LENS))
        *most = 0;
    else if (n->op == GLC_OP_LSTM)
        *most = LSTM_MAX_BATCH;
    else if (n->op == GLC_OP_GRU)
        *most = d.linear_before_reset ? GRU_MAX_BATCH : 0;
    else
        *most = INT64_MAX;
    return true;
}

glc_status glc_pass_fuse_cell(glc_graph *g, glc_pass_ctx *cx) {
    (void)cx;
    for (glc_node_id k = 0; k < g->n_nodes; k++) {
        int64_t most, batch;
        bool sym;
        if (!fusable(g, &g->nodes[k], &most, &batch, &sym)) continue;
        bool small = sym || batch <= SMALL_MAX_BATCH;
        if (!small && (!most || (batch > most && !sym))) continue;
        GLC_TRY(glc_node_set_int(g, k, GLC_ATTR_FUSE_CELL, 1));
        if (batch > most) GLC_TRY(glc_node_set_int(g, k, GLC_ATTR_FUSE_CELL_MAX_BATCH, most));
    }
    return GLC_OK;
}
