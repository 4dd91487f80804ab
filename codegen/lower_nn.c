/*
 * lower_nn.c -- code generation for the nn family.
 * TODO(skeleton): replace with the real lowering.
 */
#include "cg_impl.h"

glc_status lower_nn(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "no code generation for %s",
                        glc_op_name(n->op));
}
