/*
 * interp_convlstm.c -- reference kernels of the convlstm family.
 * TODO(skeleton): replace with the real kernels.
 */
#include "interp_impl.h"

glc_status interp_convlstm(const glc_graph *g, const glc_node *n, const void *const *in,
                       void *const *out, glc_diag *d) {
    (void)g, (void)in, (void)out;
    return glc_diag_set(d, GLC_E_UNSUPPORTED, n, "interpreter: no kernel for %s",
                        glc_op_name(n->op));
}
