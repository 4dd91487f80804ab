/*
 * gemm_testing.c -- the test hook behind glc_codegen_emit_gemms() (cg_testing.h): one
 * exported kernel `void glc_test_gemm<k>(float *y, const float *a, const float *b, void
 * *scratch)` per requested geometry, whose body is a single cg_gemm_emit() call, so the
 * tests reach every path of gemm.c (strides, accumulate, const operands, the scratch or
 * alloca pack buffer) without going through an op.
 */
#include "cg_impl.h"
#include "cg_testing.h"

#include <stdio.h>

glc_status cg_gemm_test_kernels(cg_ctx *c, glc_gemm_test *t, int n) {
    LLVMTypeRef pt[4] = {c->ptr, c->ptr, c->ptr, c->ptr};
    LLVMTypeRef ft = LLVMFunctionType(c->void_t, pt, 4, 0);
    for (int k = 0; k < n; k++) {
        char name[64];
        snprintf(name, sizeof name, "glc_test_gemm%d", k);
        LLVMValueRef fn = LLVMAddFunction(c->mod, name, ft);
        cg_fn_attrs(c, fn);
        LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
        cg_gemm g = {.M = t[k].M,
                     .N = t[k].N,
                     .K = t[k].K,
                     .a_rs = t[k].a_rs,
                     .a_cs = t[k].a_cs,
                     .b_rs = t[k].b_rs,
                     .b_cs = t[k].b_cs,
                     .y_rs = t[k].y_rs,
                     .accumulate = t[k].accumulate}; /* sized like the callers: no consts */
        t[k].scratch_bytes = cg_gemm_scratch_bytes(c, &g);
        g.y = LLVMGetParam(fn, 0);
        g.a = LLVMGetParam(fn, 1);
        g.b = LLVMGetParam(fn, 2);
        g.scratch = t[k].scratch_bytes && !t[k].no_scratch ? LLVMGetParam(fn, 3) : NULL;
        g.a_const = t[k].a_const;
        g.b_const = t[k].b_const;
        GLC_TRY(cg_gemm_emit(c, &g));
        LLVMBuildRetVoid(c->b);
    }
    return GLC_OK;
}
