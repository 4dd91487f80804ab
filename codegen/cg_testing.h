/*
 * cg_testing.h -- test hooks of the codegen layer (no LLVM types; not for the driver).
 *
 * glc_codegen_emit_math() compiles a shared object exporting
 *   void glc_test_exp(const float *x, float *y, int64_t n);
 *   void glc_test_tanh(...); void glc_test_sigmoid(...);
 * built from the same IR math functions the kernels inline, so the tests can sweep
 * their accuracy against libm.
 */
#ifndef GLC_CODEGEN_CG_TESTING_H
#define GLC_CODEGEN_CG_TESTING_H

#include "codegen.h"

glc_status glc_codegen_emit_math(const glc_codegen_options *o, const char *out_path, glc_diag *d);

#endif
