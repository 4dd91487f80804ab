/*
 * infer_tensor.c -- shape inference of the tensor family (SPLIT, SLICE, SQUEEZE, UNSQUEEZE, GATHER, SHAPE, CAST, DROPOUT, PAD, REDUCEMEAN).
 * TODO(skeleton): replace with the real rules.
 */
#include "ir.h"
#include "ir_impl.h"

glc_status infer_split(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_slice(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_squeeze(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_unsqueeze(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_gather(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_shape(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_cast(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_dropout(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_pad(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_reducemean(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}
