/*
 * infer_convlstm.c -- shape inference of the convlstm family (CONVLSTM).
 * TODO(skeleton): replace with the real rules.
 */
#include "ir.h"
#include "ir_impl.h"

glc_status infer_convlstm(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}
