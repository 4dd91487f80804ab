/*
 * lower_fill.c -- ConstantOfShape: the output (dims possibly symbolic) filled with the
 * value attribute (ir/fill.c), one element at a time in a loop LLVM vectorises.
 */
#include "cg_impl.h"

#include <string.h>

glc_status lower_constantofshape(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_dtype dt;
    uint8_t v[8];
    GLC_TRY(glc_fill_value(n, &dt, v, c->d));
    const glc_value *o = &c->g->values[n->out[0]];
    LLVMTypeRef ty = cg_int_type_of_size(c, glc_dtype_size(dt));
    uint64_t bits = 0;
    memcpy(&bits, v, glc_dtype_size(dt)); /* little-endian: the element's low bytes */
    *fn = cg_kernel_begin(c, n->name, 2);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, cg_dim(c, glc_value_numel_dim(c->g, o)));
    LLVMBuildStore(c->b, LLVMConstInt(ty, bits, 0), cg_gep(c, ty, LLVMGetParam(*fn, 0), i));
    cg_loop_end(c, &l);
    cg_kernel_end(c);
    return GLC_OK;
}
