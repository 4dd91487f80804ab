/*
 * gemm.c -- cg_gemm_emit(), the matrix product behind every heavy kernel (contract in
 * cg_impl.h).
 *
 * This first version is the plain loop nest: Y is cleared (unless accumulating), then
 * i-k-j with the innermost j loop contiguous in Y so LLVM vectorises it. It reads the
 * runtime operands only, never packs, and needs no scratch; a packed, register-blocked
 * micro-kernel replaces it behind the same contract.
 */
#include "cg_impl.h"

uint64_t cg_gemm_scratch_bytes(const cg_ctx *c, const cg_gemm *g) {
    (void)c;
    (void)g;
    return 0;
}

static void clear_rows(cg_ctx *c, const cg_gemm *g) {
    cg_loop li, lj;
    LLVMValueRef i = cg_loop_begin(c, &li, g->M);
    LLVMValueRef j = cg_loop_begin(c, &lj, g->N);
    cg_stf(c, cg_f32(c, 0.0), g->y, cg_madd(c, i, g->y_rs, j));
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
}

glc_status cg_gemm_emit(cg_ctx *c, const cg_gemm *g) {
    if (g->M <= 0 || g->N <= 0) return GLC_OK;
    if (!g->accumulate) clear_rows(c, g);
    if (g->K <= 0) return GLC_OK;
    cg_loop li, lk, lj;
    LLVMValueRef i = cg_loop_begin(c, &li, g->M);
    LLVMValueRef k = cg_loop_begin(c, &lk, g->K);
    LLVMValueRef av = cg_ldf(c, g->a, cg_madd(c, k, g->a_cs, cg_madd(c, i, g->a_rs, cg_i64(c, 0))));
    LLVMValueRef bk = cg_madd(c, k, g->b_rs, cg_i64(c, 0));
    LLVMValueRef j = cg_loop_begin(c, &lj, g->N);
    LLVMValueRef yi = cg_madd(c, i, g->y_rs, j);
    LLVMValueRef bv = cg_ldf(c, g->b, cg_madd(c, j, g->b_cs, bk));
    cg_stf(c, cg_fadd(c, cg_ldf(c, g->y, yi), cg_fmul(c, av, bv)), g->y, yi);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lk);
    cg_loop_end(c, &li);
    return GLC_OK;
}
