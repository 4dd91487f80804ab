/*
 * pool.h -- the window geometry of MaxPool and AveragePool, resolved once from a node's
 * attributes and its input shape (auto_pad applied, ceil_mode's output size, defaults
 * filled in). Shape inference (infer_pool.c), the reference kernels (interp_pool.c) and
 * code generation (codegen/lower_pool.c) all read the geometry through this one function,
 * so the three agree on pads and output sizes by construction.
 *
 *   glc_pool_geom pg;
 *   if (glc_pool_geom_get(g, n, &pg, d)) return d->status;
 *   // output o along spatial axis i reads input coordinates
 *   //   o * pg.stride[i] - pg.pad_begin[i] + j * pg.dilation[i],   j in [0, pg.kernel[i])
 *   // and only those inside [0, pg.in[i]) exist; see infer_pool.c for the divisor rule.
 */
#ifndef GLC_IR_POOL_H
#define GLC_IR_POOL_H

#include "ir.h"

typedef struct glc_pool_geom {
    int nsp;                      /* spatial axes: input rank - 2 */
    int64_t batch, channels;      /* N, C */
    int64_t in[GLC_MAX_RANK];     /* spatial input sizes */
    int64_t out[GLC_MAX_RANK];    /* spatial output sizes */
    int64_t kernel[GLC_MAX_RANK]; /* taps per axis */
    int64_t stride[GLC_MAX_RANK];
    int64_t dilation[GLC_MAX_RANK];
    int64_t pad_begin[GLC_MAX_RANK]; /* after auto_pad */
    int64_t pad_end[GLC_MAX_RANK];   /* after auto_pad; ceil_mode may read past it */
    bool count_include_pad;          /* AveragePool */
    bool col_major_indices;          /* MaxPool storage_order = 1 */
} glc_pool_geom;

/* infer_pool.c: fills *pg for a MAXPOOL or AVERAGEPOOL node whose input shape is known.
 * Fails with GLC_E_SHAPE naming the op: rank < 3, attribute lengths or values (unknown
 * auto_pad, pads with auto_pad, pads >= the window), or an empty output. */
glc_status glc_pool_geom_get(const glc_graph *g, const glc_node *n, glc_pool_geom *pg, glc_diag *d);

#endif
