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

/* interp_elemwise.c */
glc_status interp_binary(const glc_graph *g, const glc_node *n, const void *const *in, void *out,
                         glc_diag *d);
glc_status interp_unary(const glc_graph *g, const glc_node *n, const void *in, void *out,
                        glc_diag *d);
glc_status interp_softmax(const glc_graph *g, const glc_node *n, const void *in, void *out,
                          glc_diag *d);
/* interp_linalg.c */
glc_status interp_gemm(const glc_graph *g, const glc_node *n, const void *const *in, void *out,
                       glc_diag *d);
glc_status interp_matmul(const glc_graph *g, const glc_node *n, const void *const *in, void *out,
                         glc_diag *d);
/* interp_shape.c */
glc_status interp_copy(const glc_graph *g, const glc_node *n, const void *in, void *out,
                       glc_diag *d);
glc_status interp_transpose(const glc_graph *g, const glc_node *n, const void *in, void *out,
                            glc_diag *d);
glc_status interp_concat(const glc_graph *g, const glc_node *n, const void *const *in, void *out,
                         glc_diag *d);
/* fill.c */
glc_status interp_constantofshape(const glc_graph *g, const glc_node *n, void *out, glc_diag *d);
/* one dispatcher per op family (see ops.def) */
glc_status interp_tensor(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d); /* interp_tensor.c */
glc_status interp_nn(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d); /* interp_nn.c */
glc_status interp_pool(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d); /* interp_pool.c */
glc_status interp_rnn(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d); /* interp_rnn.c */
glc_status interp_convlstm(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d); /* interp_convlstm.c */
glc_status interp_mdlstm(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d); /* interp_mdlstm.c */
glc_status interp_gridlstm(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d); /* interp_gridlstm.c */

#endif
