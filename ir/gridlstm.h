/*
 * gridlstm.h -- the parsed form of a glc.GridLSTM node (/work/shared/spec/ops.md), shared by
 * shape inference (ir/infer_gridlstm.c), the reference kernel (ir/interp_gridlstm.c) and
 * codegen (codegen/lower_gridlstm.c), so all three read attributes and shapes the same way.
 *
 * Inputs:  X 0 [N, C, S1..SK], W 1 [Lw, K+1, 4F, (K+1)F], B 2 [Lw, K+1, 4F] (optional),
 *          W_in 3 [F, C] (optional; absent means C == F).
 * Output:  Y 0 [N, F, S1..SK] = h_depth(p, L).
 * Lw = L, or 1 when tied. Dimension j of a layer's weights: 0..K-1 the scanned axes, K the
 * depth; gate blocks i, o, f, c of F rows each; the (K+1)F columns act on
 * H = [h_0; ..; h_{K-1}; h_depth].
 */
#ifndef GLC_IR_GRIDLSTM_H
#define GLC_IR_GRIDLSTM_H

#include "activation.h"
#include "ir.h"

enum { GLC_GL_X, GLC_GL_W, GLC_GL_B, GLC_GL_W_IN };

typedef struct glc_gridlstm_desc {
    int k;                           /* K: scanned axes, 1 or 2 */
    int64_t layers;                  /* L >= 1 */
    int64_t wlayers;                 /* Lw: L, or 1 when tied */
    bool tied, priority;
    glc_dim batch;                   /* N: may be symbolic (ir/dim.h); the rest are static */
    int64_t channels, hidden;        /* C, F */
    int64_t grid[2];                 /* S1..SK (grid[1] = 1 when K = 1) */
    int64_t grid_size;               /* S1 * .. * SK */
    bool has_w_in;
    bool has_clip;
    float clip;
    glc_act acts[3]; /* f, g, h, shared by every dimension and layer */
} glc_gridlstm_desc;

/* infer_gridlstm.c: reads and validates n (input shapes must be known). GLC_E_SHAPE with a
 * one-line message naming the op, the input or attribute and the expected and given shapes
 * or values; GLC_E_UNSUPPORTED for a non-f32 X. */
glc_status glc_gridlstm_desc_read(const glc_graph *g, const glc_node *n, glc_gridlstm_desc *r,
                                  glc_diag *d);

/* Element offset of W[layer l (1-based) weights, dimension j] (a 4F x (K+1)F block). */
static inline int64_t glc_gridlstm_w_off(const glc_gridlstm_desc *r, int64_t l, int j) {
    int64_t wl = r->tied ? 0 : l - 1, K1 = r->k + 1;
    return (wl * K1 + j) * 4 * r->hidden * K1 * r->hidden;
}
/* Element offset of B[layer l (1-based), dimension j] (4F values). */
static inline int64_t glc_gridlstm_b_off(const glc_gridlstm_desc *r, int64_t l, int j) {
    int64_t wl = r->tied ? 0 : l - 1;
    return (wl * (r->k + 1) + j) * 4 * r->hidden;
}

#endif
