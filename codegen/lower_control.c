/*
 * lower_control.c -- code generation for the control-flow ops: If.
 *
 * The importer replaces every If by its branches (frontend/import_if.c): the one a
 * compile-time condition selects, or both, guarded, for a run-time condition, whose
 * guarded nodes' calls model.c emits under a branch on the condition. No If node reaches
 * code generation, nor a com.microsoft contrib op (frontend/import_contrib.c).
 */
#include "cg_impl.h"

glc_status lower_if(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "code generation: an If node (the importer "
                        "replaces each by its branches)");
}

glc_status lower_contrib(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "code generation: a %s node (the importer "
                        "replaces each by ONNX ops)", glc_op_name(n->op));
}
