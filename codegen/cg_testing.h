/*
 * cg_testing.h -- test hooks of the codegen layer (no LLVM types; not for the driver).
 *
 * glc_codegen_emit_math() compiles a shared object exporting
 *   void glc_test_exp(const float *x, float *y, int64_t n);
 *   void glc_test_tanh(...); void glc_test_sigmoid(...); void glc_test_log(...);
 * built from the same IR math functions the kernels inline, so the tests can sweep
 * their accuracy against libm.
 */
#ifndef GLC_CODEGEN_CG_TESTING_H
#define GLC_CODEGEN_CG_TESTING_H

#include "codegen.h"

glc_status glc_codegen_emit_math(const glc_codegen_options *o, const char *out_path, glc_diag *d);

/* glc_codegen_emit_acts() compiles a shared object exporting, for each k < n_acts,
 *   void glc_test_act<k>(const float *x, float *y, int64_t n);   scalar cg_act_emit
 *   void glc_test_actv<k>(const float *x, float *y, int64_t n);  <LANES x float> cg_act_emit,
 * n a multiple of GLC_TEST_ACT_LANES (lower_activation.c). */
#include "activation.h"
#define GLC_TEST_ACT_LANES 8
glc_status glc_codegen_emit_acts(const glc_codegen_options *o, const glc_act *acts, int n_acts,
                                 const char *out_path, glc_diag *d);

/* glc_codegen_emit_gemms() compiles a shared object exporting, for each k < n,
 *   void glc_test_gemm<k>(float *y, const float *a, const float *b, void *scratch);
 * one cg_gemm_emit product of t[k]'s geometry (gemm_testing.c). It sets t[k].scratch_bytes
 * to cg_gemm_scratch_bytes(): pass that much 64-aligned memory (ignored when no_scratch,
 * which makes the kernel pass NULL scratch to the emitter, as MatMul does). */
typedef struct glc_gemm_test {
    int64_t M, N, K, a_rs, a_cs, b_rs, b_cs, y_rs;
    const float *a_const, *b_const; /* host copies of a/b, or NULL */
    bool accumulate, no_scratch;
    bool epilogue;          /* with an epilogue that sets each tile's Y to 2 Y + a[0] */
    int panel_gates;        /* cg_gemm.panel_gates */
    uint64_t scratch_bytes; /* out */
    const char *isa;        /* out: the tiling table row the target chose (isa.c) */
    int tile_mr, tile_nr;   /* out: the product's tile (cg_gemm_tile) */
} glc_gemm_test;
glc_status glc_codegen_emit_gemms(const glc_codegen_options *o, glc_gemm_test *t, int n,
                                  const char *out_path, glc_diag *d);

/* glc_codegen_isa_rows() copies the rows of the tiling table (isa.c) into out[0..max) and
 * returns their number: each with a target that selects it (triple, cpu, features: the
 * glc_codegen_options fields; features NULL for none) and, for x86 rows, the CPU feature
 * the host needs to run its code (__builtin_cpu_supports name; NULL: not runnable here),
 * and its tile shapes: by panel kind (0: default, 1: 3 gates, 2: 4 gates), then [3] the
 * narrow tile of products with few default panels (0 x 0: none). */
typedef struct glc_isa_row {
    const char *name, *triple, *cpu, *features, *host_feature;
    int vl, vregs;
    int mr[4], nv[4];
} glc_isa_row;
int glc_codegen_isa_rows(glc_isa_row *out, int max);

#endif
