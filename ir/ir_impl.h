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
/* Input i of n (called `name` in messages) must be absent or have dtype dt and shape
 * (rank, dims), symbolic dims required equal at run time; `why` (or NULL) explains dims. */
glc_status infer_check_in(const glc_graph *g, const glc_node *n, int i, const char *name,
                          glc_dtype dt, int rank, const glc_dim *dims, const char *why,
                          glc_diag *d);
/* GLC_E_UNSUPPORTED naming `what` ("spatial dims") if v's dims [lo, hi) are symbolic. */
glc_status infer_static_dims(const glc_graph *g, const glc_node *n, const glc_value *v, int lo,
                             int hi, const char *what, glc_diag *d);
/* numpy broadcasting of dims a (rank ra) and b (rank rb) into out (rank *rout); a symbolic
 * dim against a different one must broadcast at run time (glc_dim_require_bcast: equal, or
 * one of them 1). GLC_E_SHAPE if they cannot fit (nothing else is reported: the caller
 * names the operands). */
glc_status infer_broadcast(const glc_graph *g, const glc_node *n, int ra, const glc_dim *a, int rb,
                           const glc_dim *b, int *rout, glc_dim *out);
glc_status infer_check_numel(const glc_node *n, int rank, const int64_t *dims, glc_diag *d);
/* Normalises axis into [0, rank) (or [0, rank] when inclusive); false if out of range. */
bool infer_norm_axis(int64_t axis, int rank, bool inclusive, int *out);
/* The numpy (multidirectional) broadcast of n's present inputs (but those that give only
 * their dtype) into (rank, dims); a shape error naming two inputs that do not broadcast. */
glc_status infer_broadcast_inputs(const glc_graph *g, const glc_node *n, int *rank,
                                  int64_t *dims, glc_diag *d);

/* sym_fold.c: after node k is inferred, evaluates shape arithmetic on symbolic dims (Shape
 * of a symbolic value and what is computed from it) into shape tensors (glc_value.sdata,
 * one glc_dim per element whatever the dtype) or constants; *folded tells whether it did. */
glc_status infer_fold_symbolic(glc_graph *g, glc_node_id k, bool *folded, glc_diag *d);
bool infer_sym_fold_handles(glc_op op); /* ops evaluated there */
/* The elements of an integer tensor known at compile time (data, or sdata) as dims, at
 * most max of them; false if unknown or longer. Values below the symbolic range clamp. */
bool infer_int_elems(const glc_value *v, glc_dim *out, int64_t max, int64_t *count);

/* static_operands.c: after node k is inferred, evaluates it into constants if one of its
 * outputs is needed (need from glc_graph_static_values) and it can be evaluated now. */
glc_status infer_fold_static(glc_graph *g, glc_node_id k, const bool *need, glc_diag *d);
/* Marks (in need, keeping what it holds) every value that a value already in need or a
 * static slot depends on: glc_graph_static_values without the reset. */
void static_values_from(const glc_graph *g, bool *need);

#endif
