/*
 * infer_rnn.c -- shape inference of the rnn family (LSTM, GRU, RNN).
 * TODO(skeleton): replace with the real rules.
 */
#include "ir.h"
#include "ir_impl.h"

glc_status infer_lstm(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_gru(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}

glc_status infer_rnn(glc_graph *g, glc_node *n, glc_diag *d) {
    (void)g;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "%s: not implemented yet", glc_op_name(n->op));
}
