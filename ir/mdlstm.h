/*
 * mdlstm.h -- the parsed form of a glc.MDLSTM node (/work/shared/spec/ops.md), shared by
 * shape inference (ir/infer_mdlstm.c), the reference kernel (ir/interp_mdlstm.c) and
 * codegen (codegen/lower_mdlstm.c), so all three read attributes and shapes the same way.
 *
 * Inputs:  X 0 (N,C,S1..SR), W 1 (D,G*F,C), R 2 (D,R,G*F,F), B 3 (D,G*F),
 *          P 4 (D,(2+R)*F) peepholes i,o,f1..fR (graves only), extents 5 (N,R) int64.
 * Output:  Y 0 (N,D,F,S1..SR).
 * Gate blocks of W/R/B: graves and spatial i, o, f_1..f_R, c (G = 3+R); stable i, o, f,
 * l, c (G = 5, R = 2 only).
 *
 * Geometry is normalised to three spatial slots: a rank-R node keeps its axes in the last
 * R slots (spatial axis d is slot 3-R+d) and the first 3-R slots have size 1. Row-major
 * position indices are unchanged by this. Direction k scans spatial axis d from its end
 * when bit R-1-d of k is set, i.e. slot s is reversed when bit 2-s of k is set (never for
 * a padding slot, since k < 2^R).
 */
#ifndef GLC_IR_MDLSTM_H
#define GLC_IR_MDLSTM_H

#include "activation.h"
#include "ir.h"

enum { GLC_MD_X, GLC_MD_W, GLC_MD_R, GLC_MD_B, GLC_MD_P, GLC_MD_EXTENTS };

typedef enum glc_md_cell { GLC_MD_GRAVES, GLC_MD_STABLE, GLC_MD_SPATIAL } glc_md_cell;

typedef struct glc_mdlstm_desc {
    int rank; /* R, 1..3 */
    int dirs; /* D, 1..2^R */
    glc_md_cell cell;
    int gates;                       /* G: 3+R, or 5 for stable */
    glc_dim batch;             /* N: may be symbolic (ir/dim.h); the rest are static */
    int64_t channels, hidden;  /* C, F */
    int64_t size[3];                 /* three-slot grid (see above) */
    int64_t stride[3];               /* row-major position strides of the slots */
    int64_t npos;                    /* S1*..*SR */
    bool has_clip;
    float clip;
    glc_act acts[3]; /* f, g, h, shared by all directions */
} glc_mdlstm_desc;

/* infer_mdlstm.c: reads and validates n (input shapes must be known). GLC_E_SHAPE with a
 * one-line message naming the op, the input or attribute, and the expected and given
 * shapes/values on a mismatch; GLC_E_UNSUPPORTED for a non-f32 X. */
glc_status glc_mdlstm_desc_read(const glc_graph *g, const glc_node *n, glc_mdlstm_desc *r,
                                glc_diag *d);

/* Is slot s (0..2) scanned from its end to its start in direction k? */
static inline bool glc_mdlstm_slot_reversed(int k, int s) {
    return ((k >> (2 - s)) & 1) != 0;
}
/* Gate block offsets (in units of F) inside a G*F row. */
static inline int glc_mdlstm_block_c(const glc_mdlstm_desc *r) {
    return r->gates - 1; /* the cell candidate is the last block for every cell */
}

#endif
