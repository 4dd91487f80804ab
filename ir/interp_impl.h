/* interp_impl.h -- kernels of the reference interpreter, private to ir/ (see interp.c). */
#ifndef GLC_IR_INTERP_IMPL_H
#define GLC_IR_INTERP_IMPL_H

#include "ir.h"

/* Shapes of a node's input i / output 0 (from the graph's values). */
#define IN_V(g, n, i) (&(g)->values[(n)->in[i]])
#define OUT_V(g, n) (&(g)->values[(n)->out[0]])

/* Offset into a tensor of shape (r, dims), broadcast numpy-style (right-aligned, size-1
 * dims repeat) against the coordinates idx of a tensor of rank ro. */
int64_t interp_bcast_offset(int r, const int64_t *dims, int ro, const int64_t *idx);
/* Unravels flat into coordinates idx for shape (r, dims), row-major. */
void interp_unravel(int64_t flat, int r, const int64_t *dims, int64_t *idx);
/* interp_elemwise.c: element k of p (dtype dt) = v, converted as Cast converts. */
void interp_store_f64(glc_dtype dt, void *p, int64_t k, double v);

/* The kernels, one per kernel column of ops.def: interp_<kernel>(g, n, in, out, d) with
 * in[i] the data of input i (NULL if absent) and out[k] the destination of output k (NULL
 * if not requested). They live in interp_<family>.c (see ops.def's comments). */
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, st, ty, kern, inf)                              \
    glc_status interp_##kern(const glc_graph *g, const glc_node *n, const void *const *in,      \
                             void *const *out, glc_diag *d);
#include "ops.def"
#undef OP

#endif
