/*
 * infer_nn.c -- shape inference of the nn family (CONV, BATCHNORM, LEAKYRELU, HARDSIGMOID, LOGSOFTMAX).
 * TODO(skeleton): replace with the real rules.
 */
#include "ir.h"
#include "ir_impl.h"

glc_status infer_conv(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_batchnorm(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_leakyrelu(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_hardsigmoid(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_logsoftmax(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}
