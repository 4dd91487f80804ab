/*
 * wavefront.c -- mark the GridLSTM nodes the lowering runs as anti-diagonal wavefronts
 * (attribute glc_wavefront = 1).
 *
 * Block (p, l) of a Grid LSTM needs only (p - e_j, l) along each scanned axis and
 * (p, l - 1) below it, so the blocks of one anti-diagonal are independent. With K = 1
 * (time x depth, the character model) and tied weights every block multiplies the same
 * matrix, so the up to min(T, L) blocks of a diagonal d = t + l are one product of
 * min(T, L) times the rows (codegen/lower_gridlstm.c): the weights are streamed once per
 * diagonal instead of once per block, and the products are taller. In raster order (the
 * default, and at -O0) the lowering instead hoists each layer's depth half out of the
 * recurrence into one product over the positions and runs the scanned half block by
 * block. Measured on W4 (6 layers x 512, T = 50, 2 threads): see the README.
 *
 * Left in raster order: untied weights (a diagonal's blocks multiply different layers'
 * matrices), K = 2 (not implemented: the blocks of a layer's (row, column) diagonals
 * would share weights too), and grids with one step or one layer (diagonals of one block).
 * The pass only annotates (a node it marks gets glc_wavefront = 1 whatever it carried;
 * others keep theirs); outputs agree either way up to the products' rounding.
 */
#include "gridlstm.h"
#include "passes.h"

static bool wavefront(const glc_graph *g, const glc_node *n) {
    if (n->op != GLC_OP_GRIDLSTM) return false;
    glc_gridlstm_desc r;
    glc_diag d;
    return glc_gridlstm_desc_read(g, n, &r, &d) == GLC_OK && r.k == 1 && r.tied &&
           r.layers >= 2 && r.grid_size >= 2;
}

glc_status glc_pass_wavefront(glc_graph *g, glc_pass_ctx *cx) {
    (void)cx;
    for (glc_node_id k = 0; k < g->n_nodes; k++)
        if (wavefront(g, &g->nodes[k])) GLC_TRY(glc_node_set_int(g, k, "glc_wavefront", 1));
    return GLC_OK;
}
