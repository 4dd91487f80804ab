/*
 * lower_control.c -- code generation for the control-flow ops: If.
 *
 * An If with a compile-time condition is inlined by the importer (frontend/import_if.c)
 * and one without is refused by shape inference (ir/control.c), so no If reaches code
 * generation; a run-time If (both branches compiled, one run) is not implemented.
 */
#include "cg_impl.h"

glc_status lower_if(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "code generation for If with a run-time "
                        "condition");
}
