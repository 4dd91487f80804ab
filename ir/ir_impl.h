/* ir_impl.h -- declarations private to the ir/ module. */
#ifndef GLC_IR_IR_IMPL_H
#define GLC_IR_IR_IMPL_H

#include "ir.h"

/* infer.c: one infer function per shape rule, named in ops.def. */
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, st, ty, kern, inf)                              \
    glc_status inf(glc_graph *g, glc_node *n, glc_diag *d);
#include "ops.def"
#undef OP

/* infer.c: helpers shared by the infer_*.c files. */
#define SHAPE_BUF 160
void infer_shape_str(const glc_value *v, char *buf); /* buf of SHAPE_BUF chars */
/* Writes dtype and shape of output k (skipped if that output is not requested). */
void infer_set_out_k(glc_graph *g, glc_node *n, int k, glc_dtype dt, int rank,
                     const int64_t *dims);
bool infer_dims_prod(const int64_t *dims, int lo, int hi, int64_t *out); /* false on overflow */
glc_status infer_check_numel(const glc_node *n, int rank, const int64_t *dims, glc_diag *d);
/* Normalises axis into [0, rank) (or [0, rank] when inclusive); false if out of range. */
bool infer_norm_axis(int64_t axis, int rank, bool inclusive, int *out);
/* The numpy (multidirectional) broadcast of n's present inputs (but those that give only
 * their dtype) into (rank, dims); a shape error naming two inputs that do not broadcast. */
glc_status infer_broadcast_inputs(const glc_graph *g, const glc_node *n, int *rank,
                                  int64_t *dims, glc_diag *d);

/* static_operands.c: after node k is inferred, evaluates it into constants if one of its
 * outputs is needed (need from glc_graph_static_values) and it can be evaluated now. */
glc_status infer_fold_static(glc_graph *g, glc_node_id k, const bool *need, glc_diag *d);

#endif
