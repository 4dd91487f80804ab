/*
 * wavefront.c -- mark the GridLSTM nodes the lowering runs as anti-diagonal wavefronts
 * (attribute glc_wavefront = 1).
 *
 * Block (p, l) of a Grid LSTM needs only its predecessors along the scanned axes and
 * (p, l - 1), so the blocks of one anti-diagonal are independent; where they also share
 * their weights, a diagonal's blocks are one product with that many times the rows
 * (codegen/lower_gridlstm.c): the weights are streamed once per diagonal instead of once
 * per block, and the products are taller.
 *   K = 2 (rows x columns, each layer in turn): the diagonals r + c of a layer, up to
 *         min(rows, columns) blocks; tied or not.
 *   K = 1 (time x depth) with tied weights: the diagonals t + l of the (time, layer) grid,
 *         up to min(T, L) blocks. Untied, the blocks of a diagonal multiply different
 *         layers' matrices, so those stay in raster order.
 * In raster order (unmarked nodes, and every node at -O0) the lowering runs block by block
 * and hoists each layer's depth half out of the recurrence into one product over the
 * positions. Grids whose diagonals hold one block (one row or column; K = 1: one step or
 * one layer) are left in raster order. Measured (2 threads, medians of alternating `glc
 * bench` runs): W4 (K = 1, tied, 6 x 512, T = 50) 26.3 -> 16.3 ms at batch 1, 475 -> 435
 * ms at batch 32; K = 2, 16 x 16, 2 untied layers of 128: 12.4 -> 7.4 ms at batch 1, 66.8
 * -> 40.0 ms at batch 8.
 *
 * The pass only annotates (a node it marks gets glc_wavefront = 1 whatever it carried;
 * others keep theirs); outputs agree either way up to the products' rounding.
 */
#include "gridlstm.h"
#include "passes.h"

static bool wavefront(const glc_graph *g, const glc_node *n) {
    if (n->op != GLC_OP_GRIDLSTM) return false;
    glc_gridlstm_desc r;
    glc_diag d;
    if (glc_gridlstm_desc_read(g, n, &r, &d) != GLC_OK) return false;
    if (r.k == 2) return r.grid[0] >= 2 && r.grid[1] >= 2;
    return r.tied && r.layers >= 2 && r.grid_size >= 2;
}

glc_status glc_pass_wavefront(glc_graph *g, glc_pass_ctx *cx) {
    (void)cx;
    for (glc_node_id k = 0; k < g->n_nodes; k++)
        if (wavefront(g, &g->nodes[k])) GLC_TRY(glc_node_set_int(g, k, GLC_ATTR_WAVEFRONT, 1));
    return GLC_OK;
}
