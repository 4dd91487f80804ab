/*
 * codegen.c -- glc_codegen_defaults() and glc_codegen_emit(): create the LLVM state in
 * one place (cg_ctx_init), build the model (model.c), emit (emit.c), dispose in reverse.
 */
#include "cg_impl.h"
#include "cg_testing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

glc_codegen_options glc_codegen_defaults(void) {
    glc_codegen_options o = {.opt_level = 3, .prefix = "glc_model", .emit = GLC_EMIT_SO};
    return o;
}

bool glc_codegen_valid_prefix(const char *p) {
    if (!*p || (*p >= '0' && *p <= '9')) return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

void glc_codegen_log(const glc_codegen_options *o, const char *fmt, ...) {
    if (!o->verbose) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (o->log) o->log(o->log_user, line);
    else fprintf(stderr, "%s\n", line);
}

static glc_status cg_ctx_init(cg_ctx *c, const glc_graph *g, const glc_codegen_options *o,
                              glc_diag *d) {
    *c = (cg_ctx){.g = g, .o = o, .d = d};
    c->ctx = LLVMContextCreate();
    c->mod = LLVMModuleCreateWithNameInContext(g && g->name ? g->name : "glc", c->ctx);
    c->b = LLVMCreateBuilderInContext(c->ctx);
    c->i8 = LLVMInt8TypeInContext(c->ctx);
    c->i32 = LLVMInt32TypeInContext(c->ctx);
    c->i64 = LLVMInt64TypeInContext(c->ctx);
    c->f32 = LLVMFloatTypeInContext(c->ctx);
    c->ptr = LLVMPointerTypeInContext(c->ctx, 0);
    c->void_t = LLVMVoidTypeInContext(c->ctx);
    uint32_t nv = g ? g->n_values : 1;
    c->vptr = calloc(nv, sizeof *c->vptr);
    c->ws_off = calloc(nv, sizeof *c->ws_off);
    c->root = calloc(nv, sizeof *c->root);
    GLC_TRY(cg_dims_init(c));
    if (!c->vptr || !c->ws_off || !c->root) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    return cg_target_init(c);
}

static void cg_ctx_fini(cg_ctx *c) {
    cg_dims_fini(c);
    cg_target_fini(c);
    free(c->ws_off);
    free(c->root);
    free(c->vptr);
    LLVMDisposeBuilder(c->b);
    LLVMDisposeModule(c->mod);
    LLVMContextDispose(c->ctx);
}

glc_status glc_codegen_emit(const glc_graph *g, const glc_codegen_options *o, const char *out_path,
                            glc_diag *d) {
    glc_codegen_options def = glc_codegen_defaults();
    if (!o) o = &def;
    glc_codegen_options opt = *o;
    if (!opt.prefix) opt.prefix = "glc_model";
    cg_ctx c;
    clock_t t0 = clock();
    glc_status s = cg_ctx_init(&c, g, &opt, d);
    if (s == GLC_OK) s = cg_model_build(&c);
    if (s == GLC_OK)
        glc_codegen_log(&opt, "glc: codegen: built IR for %u nodes in %.1f ms (cpu %s)", g->n_nodes,
                (double)(clock() - t0) * 1e3 / CLOCKS_PER_SEC, c.tgt.cpu);
    if (s == GLC_OK) s = cg_emit_module(&c, out_path);
    cg_ctx_fini(&c);
    return s;
}

/* Exported kernels y[i] = f(x[i]) for the math accuracy tests. */
static void math_kernel(cg_ctx *c, const char *name, LLVMValueRef (*f)(cg_ctx *, LLVMValueRef)) {
    LLVMTypeRef pt[3] = {c->ptr, c->ptr, c->i64};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->void_t, pt, 3, 0));
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "body");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, fn, "done");
    LLVMBuildBr(c->b, loop);
    LLVMPositionBuilderAtEnd(c->b, loop);
    LLVMValueRef i = LLVMBuildPhi(c->b, c->i64, "i"), z = cg_i64(c, 0);
    LLVMAddIncoming(i, &z, &pre, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, i, LLVMGetParam(fn, 2), ""), body, done);
    LLVMPositionBuilderAtEnd(c->b, body);
    LLVMValueRef x = LLVMBuildLoad2(c->b, c->f32, cg_gep(c, c->f32, LLVMGetParam(fn, 0), i), "");
    LLVMBuildStore(c->b, f(c, x), cg_gep(c, c->f32, LLVMGetParam(fn, 1), i));
    LLVMValueRef nx = LLVMBuildNSWAdd(c->b, i, cg_i64(c, 1), "");
    LLVMAddIncoming(i, &nx, &body, 1);
    LLVMBuildBr(c->b, loop);
    LLVMPositionBuilderAtEnd(c->b, done);
    LLVMBuildRetVoid(c->b);
}

glc_status glc_codegen_emit_math(const glc_codegen_options *o, const char *out_path, glc_diag *d) {
    cg_ctx c;
    glc_status s = cg_ctx_init(&c, NULL, o, d);
    if (s == GLC_OK) {
        math_kernel(&c, "glc_test_exp", cg_math_exp);
        math_kernel(&c, "glc_test_tanh", cg_math_tanh);
        math_kernel(&c, "glc_test_sigmoid", cg_math_sigmoid);
        math_kernel(&c, "glc_test_log", cg_math_log);
        static const struct {
            const char *name;
            LLVMValueRef (*f)(cg_ctx *, LLVMValueRef);
        } more[] = {{"glc_test_sin", cg_math_sin},     {"glc_test_cos", cg_math_cos},
                    {"glc_test_tan", cg_math_tan},     {"glc_test_asin", cg_math_asin},
                    {"glc_test_acos", cg_math_acos},   {"glc_test_atan", cg_math_atan},
                    {"glc_test_sinh", cg_math_sinh},   {"glc_test_cosh", cg_math_cosh},
                    {"glc_test_asinh", cg_math_asinh}, {"glc_test_acosh", cg_math_acosh},
                    {"glc_test_atanh", cg_math_atanh}, {"glc_test_expm1", cg_math_expm1},
                    {"glc_test_log1p", cg_math_log1p}, {"glc_test_erf", cg_math_erf},
                    {"glc_test_erfc", cg_math_erfc}};
        for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
            math_kernel(&c, more[k].name, more[k].f);
        s = cg_emit_module(&c, out_path);
    }
    cg_ctx_fini(&c);
    return s;
}

glc_status glc_codegen_emit_acts(const glc_codegen_options *o, const glc_act *acts, int n_acts,
                                 const char *out_path, glc_diag *d) {
    cg_ctx c;
    glc_status s = cg_ctx_init(&c, NULL, o, d);
    if (s == GLC_OK) {
        cg_act_test_kernels(&c, acts, n_acts);
        s = cg_emit_module(&c, out_path);
    }
    cg_ctx_fini(&c);
    return s;
}

glc_status glc_codegen_emit_gemms(const glc_codegen_options *o, glc_gemm_test *t, int n,
                                  const char *out_path, glc_diag *d) {
    cg_ctx c;
    glc_status s = cg_ctx_init(&c, NULL, o, d);
    if (s == GLC_OK) s = cg_gemm_test_kernels(&c, t, n);
    if (s == GLC_OK) s = cg_emit_module(&c, out_path);
    cg_ctx_fini(&c);
    return s;
}
