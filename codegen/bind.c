/*
 * bind.c -- the run-time side of symbolic dims: glc.bind (the check of a call's input
 * dims) and <prefix>_plan.
 *
 *   i32 glc.bind(ptr input_dims, ptr syms)
 *
 * reads input i's dims from input_dims[i] (rank i64s) and fills syms (one i64 per symbol):
 *   - a static dim must equal the given one;
 *   - the first occurrence of a bare symbol (in input order, then axis order; fixed at
 *     compile time) gives its value, which must lie in [1, its bound]; later occurrences
 *     must equal it;
 *   - then every constraint of the graph (glc_dim_constraints) must hold, every symbolic
 *     dim of every live value must be >= 0, and every such value's byte size, every
 *     workspace offset and the workspace size must evaluate without overflow (any int64
 *     overflow or non-positive divisor in their expressions is caught by cg_dim_checked).
 * It returns GLC_RT_E_ARG for a NULL array or entry, GLC_RT_E_SHAPE for a violation, 0
 * otherwise. A graph without symbols accepts input_dims NULL; given, they must match.
 *
 *   i32 <prefix>_plan(ptr input_dims, ptr output_dims, ptr workspace_size)
 *
 * runs glc.bind, then writes output j's dims to output_dims[j] (when the array and the
 * entry are not NULL) and the workspace size to *workspace_size (when not NULL).
 */
#include "cg_impl.h"

#include "glc_runtime.h"

#include <stdio.h>
#include <stdlib.h>

/* if (status != 0) return status; in the function being built. */
void cg_return_if_error(cg_ctx *c, LLVMValueRef status) {
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(c->ctx, fn, "err");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(c->ctx, fn, "ok");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, status, LLVMConstInt(c->i32, 0, 0), ""),
                    bad, ok);
    LLVMPositionBuilderAtEnd(c->b, bad);
    LLVMBuildRet(c->b, status);
    LLVMPositionBuilderAtEnd(c->b, ok);
}

/* if (cond) return code; in the function being built. */
static void fail_if(cg_ctx *c, LLVMValueRef cond, int code) {
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(c->ctx, fn, "bad");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(c->ctx, fn, "ok");
    LLVMBuildCondBr(c->b, cond, bad, ok);
    LLVMPositionBuilderAtEnd(c->b, bad);
    LLVMBuildRet(c->b, LLVMConstInt(c->i32, (unsigned)code, 0));
    LLVMPositionBuilderAtEnd(c->b, ok);
}

static LLVMValueRef load_i64(cg_ctx *c, LLVMValueRef p, int64_t i) {
    return LLVMBuildLoad2(c->b, c->i64, cg_gep(c, c->i64, p, cg_i64(c, i)), "");
}

static LLVMValueRef ne(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildICmp(c->b, LLVMIntNE, a, b, "");
}

/* The inputs' dims: static ones compared, symbols taken or compared; *bad gets the
 * mismatches (i1). seen[k]: symbol k already has its value. */
static void read_input_dims(cg_ctx *c, LLVMValueRef in_dims, bool *seen, LLVMValueRef *bad) {
    const glc_graph *g = c->g;
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        if (!v->rank) continue;
        LLVMValueRef dp = LLVMBuildLoad2(c->b, c->ptr, cg_gep(c, c->ptr, in_dims, cg_i64(c, i)), "");
        fail_if(c, LLVMBuildIsNull(c->b, dp, ""), GLC_RT_E_ARG);
        for (int a = 0; a < v->rank; a++) {
            LLVMValueRef x = load_i64(c, dp, a);
            int k = glc_dim_symbol_index(g, v->dims[a]);
            if (k >= 0 && !seen[k]) {
                int64_t mx = g->syms[k].max > 0 ? g->syms[k].max : GLC_DIM_SYM_MAX;
                LLVMBuildStore(c->b, x, cg_gep(c, c->i64, c->syms, cg_i64(c, k)));
                LLVMValueRef lo = LLVMBuildICmp(c->b, LLVMIntSLT, x, cg_i64(c, 1), "");
                LLVMValueRef hi = LLVMBuildICmp(c->b, LLVMIntSGT, x, cg_i64(c, mx), "");
                *bad = LLVMBuildOr(c->b, *bad, LLVMBuildOr(c->b, lo, hi, ""), "");
                seen[k] = true;
                continue;
            }
            if (glc_dim_is_sym(v->dims[a]) && k < 0) continue; /* an expression: below */
            *bad = LLVMBuildOr(c->b, *bad, ne(c, x, cg_dim(c, v->dims[a])), "");
        }
    }
}

/* Input dims that are expressions of symbols (after every symbol is read). */
static void check_input_exprs(cg_ctx *c, LLVMValueRef in_dims, LLVMValueRef *bad) {
    const glc_graph *g = c->g;
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        for (int a = 0; a < v->rank; a++) {
            if (!glc_dim_is_sym(v->dims[a]) || glc_dim_symbol_index(g, v->dims[a]) >= 0) continue;
            LLVMValueRef dp = LLVMBuildLoad2(c->b, c->ptr, cg_gep(c, c->ptr, in_dims, cg_i64(c, i)), "");
            LLVMValueRef want = cg_dim_checked(c, v->dims[a], bad);
            *bad = LLVMBuildOr(c->b, *bad, ne(c, load_i64(c, dp, a), want), "");
        }
    }
}

static void check_constraints(cg_ctx *c, LLVMValueRef *bad) {
    uint32_t n;
    const glc_dim_constraint *k = glc_dim_constraints(c->g, &n);
    for (uint32_t i = 0; i < n; i++) {
        LLVMValueRef a = cg_dim_checked(c, k[i].a, bad), b = cg_dim_checked(c, k[i].b, bad);
        LLVMValueRef no;
        if (k[i].rel == GLC_DIM_EQ) {
            no = ne(c, a, b);
        } else if (k[i].rel == GLC_DIM_GE) {
            no = LLVMBuildICmp(c->b, LLVMIntSLT, a, b, "");
        } else { /* broadcast: a != b and neither is 1 */
            LLVMValueRef one = cg_i64(c, 1);
            no = LLVMBuildAnd(c->b, ne(c, a, b),
                              LLVMBuildAnd(c->b, ne(c, a, one), ne(c, b, one), ""), "");
        }
        *bad = LLVMBuildOr(c->b, *bad, no, "");
    }
}

/* Every live value's symbolic dims >= 0 and its byte size without overflow; the
 * workspace's offsets and size without overflow. */
static void check_sizes(cg_ctx *c, LLVMValueRef *bad) {
    const glc_graph *g = c->g;
    for (uint32_t v = 1; v < g->n_values; v++) {
        const glc_value *val = &g->values[v];
        bool live = val->is_input || val->is_output ||
                    (val->producer != GLC_NO_NODE && !g->nodes[val->producer].dead);
        if (!live || !glc_dims_symbolic(val->rank, val->dims)) continue;
        for (int a = 0; a < val->rank; a++) {
            LLVMValueRef x = cg_dim_checked(c, val->dims[a], bad);
            *bad = LLVMBuildOr(c->b, *bad, LLVMBuildICmp(c->b, LLVMIntSLT, x, cg_i64(c, 0), ""), "");
        }
        glc_dim bytes = glc_dim_mul(g, glc_value_numel_dim(g, val), (glc_dim)glc_dtype_size(val->dtype));
        cg_dim_checked(c, bytes, bad);
    }
    for (uint32_t v = 1; v < g->n_values; v++)
        if (c->ws_off[v] != -1) cg_dim_checked(c, c->ws_off[v], bad);
    cg_dim_checked(c, c->ws_size, bad);
}

LLVMValueRef cg_build_bind(cg_ctx *c) {
    LLVMTypeRef pt[2] = {c->ptr, c->ptr};
    LLVMValueRef fn = LLVMAddFunction(c->mod, "glc.bind", LLVMFunctionType(c->i32, pt, 2, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    LLVMValueRef in_dims = LLVMGetParam(fn, 0), saved = c->syms;
    c->syms = LLVMGetParam(fn, 1);
    LLVMValueRef isnull = LLVMBuildIsNull(c->b, in_dims, "");
    if (!cg_symbolic(c)) /* static: NULL means "the static dims" */
        fail_if(c, isnull, GLC_RT_OK);
    else if (c->g->n_inputs)
        fail_if(c, isnull, GLC_RT_E_ARG);
    LLVMValueRef bad = LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0);
    bool *seen = calloc(glc_graph_root(c->g)->n_syms + 1, sizeof *seen);
    read_input_dims(c, in_dims, seen, &bad);
    free(seen);
    fail_if(c, bad, GLC_RT_E_SHAPE); /* the symbols are valid before expressions use them */
    bad = LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0);
    cg_dims_memo_begin(c); /* straight-line to the check below: one bad for all */
    check_input_exprs(c, in_dims, &bad);
    check_constraints(c, &bad);
    check_sizes(c, &bad);
    cg_dims_end(c);
    fail_if(c, bad, GLC_RT_E_SHAPE);
    LLVMBuildRet(c->b, LLVMConstInt(c->i32, GLC_RT_OK, 0));
    c->syms = saved;
    return fn;
}

LLVMValueRef cg_syms_alloca(cg_ctx *c) {
    uint32_t n = glc_graph_root(c->g)->n_syms ? glc_graph_root(c->g)->n_syms : 1;
    return cg_alloca_entry(c, LLVMArrayType2(c->i64, n));
}

void cg_build_plan(cg_ctx *c, LLVMValueRef bind) {
    char name[256];
    snprintf(name, sizeof name, "%s_plan", c->o->prefix);
    LLVMTypeRef pt[3] = {c->ptr, c->ptr, c->ptr};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->i32, pt, 3, 0));
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    LLVMValueRef saved = c->syms;
    c->syms = cg_syms_alloca(c);
    LLVMValueRef args[2] = {LLVMGetParam(fn, 0), c->syms};
    cg_return_if_error(c, LLVMBuildCall2(c->b, LLVMGlobalGetValueType(bind), bind, args, 2, ""));
    cg_dims_hoist_begin(c);
    const glc_graph *g = c->g;
    LLVMValueRef od = LLVMGetParam(fn, 1);
    cg_if f;
    cg_if_begin(c, &f, LLVMBuildIsNotNull(c->b, od, ""));
    for (uint32_t j = 0; j < g->n_outputs; j++) {
        const glc_value *v = &g->values[g->outputs[j]];
        LLVMValueRef p = LLVMBuildLoad2(c->b, c->ptr, cg_gep(c, c->ptr, od, cg_i64(c, j)), "");
        cg_if h;
        cg_if_begin(c, &h, LLVMBuildIsNotNull(c->b, p, ""));
        for (int a = 0; a < v->rank; a++)
            LLVMBuildStore(c->b, cg_dim(c, v->dims[a]), cg_gep(c, c->i64, p, cg_i64(c, a)));
        cg_if_else(c, &h);
        cg_if_end(c, &h);
    }
    cg_if_else(c, &f);
    cg_if_end(c, &f);
    LLVMValueRef wp = LLVMGetParam(fn, 2);
    cg_if_begin(c, &f, LLVMBuildIsNotNull(c->b, wp, ""));
    LLVMBuildStore(c->b, cg_dim(c, c->ws_size), wp);
    cg_if_else(c, &f);
    cg_if_end(c, &f);
    cg_dims_end(c);
    LLVMBuildRet(c->b, LLVMConstInt(c->i32, GLC_RT_OK, 0));
    c->syms = saved;
}
