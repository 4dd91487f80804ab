/*
 * gemm_testing.c -- the test hook behind glc_codegen_emit_gemms() (cg_testing.h): one
 * exported kernel `void glc_test_gemm<k>(float *y, const float *a, const float *b, void
 * *scratch)` per requested geometry, whose body is a single cg_gemm_emit() call, so the
 * tests reach every path of gemm.c (strides, accumulate, const operands, the scratch or
 * alloca pack buffer, the epilogue hook) without going through an op.
 */
#include "cg_impl.h"
#include "cg_testing.h"

#include <stdio.h>

/* The test epilogue: Y = 2 Y + a[0] over the tile, a[0] being a value the product's tasks
 * must capture (ep_caps). Called twice, or before the last K block, it gives other sums. */
typedef struct test_ep {
    LLVMValueRef a;
    int64_t y_rs;
} test_ep;

static void twice_plus_a0(cg_ctx *c, void *ctx, LLVMValueRef y, LLVMValueRef i0, int64_t rows,
                          LLVMValueRef j0, int64_t w) {
    test_ep *e = ctx;
    LLVMValueRef a0 = cg_ldf(c, e->a, cg_i64(c, 0));
    cg_loop li, lj;
    LLVMValueRef i = cg_iadd(c, i0, cg_loop_begin(c, &li, rows));
    LLVMValueRef j = cg_iadd(c, j0, cg_loop_begin(c, &lj, w));
    LLVMValueRef yi = cg_madd(c, i, e->y_rs, j);
    LLVMValueRef v = cg_ldf(c, y, yi);
    cg_stf(c, cg_fadd(c, cg_fadd(c, v, v), a0), y, yi);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
}

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
                     .accumulate = t[k].accumulate,
                     .panel_gates = t[k].panel_gates}; /* sized like the callers: no consts */
        t[k].scratch_bytes = cg_gemm_scratch_bytes(c, &g);
        t[k].isa = c->isa->name;
        g.y = LLVMGetParam(fn, 0);
        g.a = LLVMGetParam(fn, 1);
        g.b = LLVMGetParam(fn, 2);
        g.scratch = t[k].scratch_bytes && !t[k].no_scratch ? LLVMGetParam(fn, 3) : NULL;
        g.a_const = t[k].a_const;
        g.b_const = t[k].b_const;
        test_ep ep = {.a = g.a, .y_rs = g.y_rs};
        LLVMValueRef *ep_caps[1] = {&ep.a};
        if (t[k].epilogue) {
            g.epilogue = twice_plus_a0;
            g.ep_ctx = &ep;
            g.ep_caps = ep_caps;
            g.ep_ncaps = 1;
        }
        cg_gemm_tile(c, &g, &t[k].tile_mr, &t[k].tile_nr);
        GLC_TRY(cg_gemm_emit(c, &g));
        LLVMBuildRetVoid(c->b);
    }
    return GLC_OK;
}
