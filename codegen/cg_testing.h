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

#endif
