/*
 * lower_control.c -- code generation for the control-flow ops: If and Loop.
 *
 * The importer replaces every If by its branches (frontend/import_if.c): the one a
 * compile-time condition selects, or both, guarded, for a run-time condition, whose
 * guarded nodes' calls model.c emits under a branch on the condition. No If node reaches
 * code generation, nor does a com.microsoft contrib op (frontend/import_contrib.c).
 *
 * A Loop (ir/loop.c) is emitted inline in the function of the graph that holds it
 * (cg_emit_loop, from model.c's call_kernels), since it may fail at run time: its body is
 * an internal function compiled by the same code as the top graph (cg_body_build: its own
 * workspace layout, its nodes' kernels), i32 body(in[], NULL, out[], ws, 0, syms), and the
 * loop calls it for i = 0.. while i < M and the condition holds:
 *
 *   scratch: [i64 iter_num, cond_in, cond_out | 64] [carried A_k, B_k]... [scan slot_j]...
 *            [the body's workspace]
 *
 * Carried values ping-pong between A_k and B_k (copied in from v_initial before the first
 * iteration, out to v_final after the last); each iteration writes scan output j straight
 * into the node's output at offset i (into slot_j when that output is not requested). A
 * loop that ends before M iterations with scan outputs returns GLC_RT_E_SHAPE: its scan
 * outputs were sized for M (ir/loop.c). The body's status is returned when it fails.
 */
#include "cg_impl.h"

#include "glc_runtime.h"

#include <stdlib.h>

glc_status lower_if(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "code generation: an If node (the importer "
                        "replaces each by its branches)");
}

glc_status lower_loop(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "code generation: a Loop is emitted in "
                        "its graph's function (cg_emit_loop), not as a kernel");
}

static glc_dim round64(const glc_graph *g, glc_dim x) {
    return glc_dim_mul(g, glc_dim_ceildiv(g, x, 64), 64);
}

static glc_dim value_bytes(const glc_graph *g, const glc_value *v) {
    return glc_dim_mul(g, glc_value_numel_dim(g, v), (glc_dim)glc_dtype_size(v->dtype));
}

/* off[k], off[nc + k]: carried value k's A and B; off[2 nc + j]: scan slot j; off[2 nc +
 * ns]: the body's workspace. Returns the scratch's size. */
static glc_dim loop_layout(const cg_ctx *c, const glc_node *n, int nc, int ns, glc_dim *off) {
    const glc_graph *g = c->g, *b = n->body;
    glc_dim at = 64;
    for (int k = 0; k < nc; k++) {
        glc_dim bytes = round64(g, value_bytes(g, glc_node_input(g, n, 2 + k)));
        off[k] = at;
        off[nc + k] = glc_dim_add(g, at, bytes);
        at = glc_dim_add(g, off[nc + k], bytes);
    }
    for (int j = 0; j < ns; j++) {
        off[2 * nc + j] = at;
        at = glc_dim_add(g, at, round64(g, value_bytes(b, &b->values[b->outputs[1 + nc + j]])));
    }
    off[2 * nc + ns] = at;
    return glc_dim_add(g, at, cg_body_ws_bytes(c, b));
}

glc_dim lower_loop_scratch(const cg_ctx *c, const glc_node *n) {
    int nc, ns;
    if (glc_loop_parts(c->g, n, &nc, &ns, NULL) != GLC_OK) return 0;
    glc_dim *off = calloc((size_t)(2 * nc + ns + 1), sizeof *off);
    if (!off) return GLC_DIM_ERR;
    glc_dim size = loop_layout(c, n, nc, ns, off);
    free(off);
    return size;
}

/* The state of the loop being emitted. */
typedef struct loop_emit {
    const glc_node *n;
    int nc, ns;
    LLVMValueRef *at; /* [2 nc + ns + 1] pointers into the scratch (loop_layout) */
    LLVMValueRef iter, cin, cout, inarr, outarr, body;
} loop_emit;

static LLVMValueRef byte_ptr(cg_ctx *c, LLVMValueRef base, LLVMValueRef off) {
    return LLVMBuildInBoundsGEP2(c->b, c->i8, base, &off, 1, "");
}

static void store_ptr(cg_ctx *c, LLVMValueRef arr, int i, LLVMValueRef p) {
    LLVMBuildStore(c->b, p, cg_gep(c, c->ptr, arr, cg_i64(c, i)));
}

/* One call of the body: its inputs (i, cond, the current carried values, the captured
 * ones), its outputs (cond, the next carried values, scan element i); returns on failure. */
static void emit_iteration(cg_ctx *c, loop_emit *e, LLVMValueRef i, LLVMValueRef par,
                           LLVMValueRef cond) {
    const glc_graph *g = c->g, *b = e->n->body;
    int nc = e->nc;
    LLVMBuildStore(c->b, i, e->iter);
    LLVMBuildStore(c->b, LLVMBuildZExt(c->b, cond, c->i8, ""), e->cin);
    for (int k = 0; k < nc; k++) {
        store_ptr(c, e->inarr, 2 + k, LLVMBuildSelect(c->b, par, e->at[nc + k], e->at[k], ""));
        store_ptr(c, e->outarr, 1 + k, LLVMBuildSelect(c->b, par, e->at[k], e->at[nc + k], ""));
    }
    for (int j = 0; j < e->ns; j++) {
        glc_value_id o = e->n->out[nc + j];
        LLVMValueRef dst = e->at[2 * nc + j];
        if (o) {
            glc_dim nb = value_bytes(b, &b->values[b->outputs[1 + nc + j]]);
            dst = byte_ptr(c, c->vptr[o], LLVMBuildNSWMul(c->b, i, cg_dim(c, nb), ""));
        }
        store_ptr(c, e->outarr, 1 + nc + j, dst);
    }
    LLVMValueRef args[6] = {e->inarr, LLVMConstNull(c->ptr), e->outarr, e->at[2 * nc + e->ns],
                            cg_i64(c, 0), c->syms ? c->syms : LLVMConstNull(c->ptr)};
    (void)g;
    cg_return_if_error(c, LLVMBuildCall2(c->b, LLVMGlobalGetValueType(e->body), e->body, args,
                                         6, ""));
}

/* The pointers into the scratch, the arrays' fixed entries, the initial carried values. */
static void emit_setup(cg_ctx *c, loop_emit *e, LLVMValueRef scratch, const glc_dim *off) {
    const glc_graph *g = c->g;
    const glc_node *n = e->n;
    for (int k = 0; k < 2 * e->nc + e->ns + 1; k++)
        e->at[k] = byte_ptr(c, scratch, cg_dim(c, off[k]));
    e->iter = scratch;
    e->cin = byte_ptr(c, scratch, cg_i64(c, 8));
    e->cout = byte_ptr(c, scratch, cg_i64(c, 9));
    e->inarr = cg_alloca_entry(c, LLVMArrayType2(c->ptr, n->n_in));
    e->outarr = cg_alloca_entry(c, LLVMArrayType2(c->ptr, (uint64_t)n->n_out + 1));
    store_ptr(c, e->inarr, 0, e->iter);
    store_ptr(c, e->inarr, 1, e->cin);
    for (int k = 2 + e->nc; k < n->n_in; k++)
        store_ptr(c, e->inarr, k, c->vptr[n->in[k]]);
    store_ptr(c, e->outarr, 0, e->cout);
    for (int k = 0; k < e->nc; k++) {
        glc_dim nb = value_bytes(g, glc_node_input(g, n, 2 + k));
        if (nb) LLVMBuildMemCpy(c->b, e->at[k], 1, c->vptr[n->in[2 + k]], 1, cg_dim(c, nb));
    }
}

/* After the loop: the early-exit check, v_final from the current buffers. */
static void emit_finish(cg_ctx *c, loop_emit *e, LLVMValueRef i, LLVMValueRef par,
                        LLVMValueRef trip) {
    const glc_graph *g = c->g;
    const glc_node *n = e->n;
    if (e->ns) {
        LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
        LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop.short");
        LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop.full");
        LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, i, trip, ""), bad, ok);
        LLVMPositionBuilderAtEnd(c->b, bad);
        LLVMBuildRet(c->b, LLVMConstInt(c->i32, GLC_RT_E_SHAPE, 0));
        LLVMPositionBuilderAtEnd(c->b, ok);
    }
    for (int k = 0; k < e->nc; k++) {
        glc_dim nb = value_bytes(g, glc_node_input(g, n, 2 + k));
        if (!n->out[k] || !nb) continue;
        LLVMValueRef cur = LLVMBuildSelect(c->b, par, e->at[e->nc + k], e->at[k], "");
        LLVMBuildMemCpy(c->b, c->vptr[n->out[k]], 1, cur, 1, cg_dim(c, nb));
    }
}

/* for (i = 0, par = 0, cond = cond0; i < trip && cond; i++, par ^= 1) iteration. */
static void emit_loop_nest(cg_ctx *c, loop_emit *e, LLVMValueRef trip, LLVMValueRef cond0) {
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop.head");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop.body");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop.exit");
    LLVMBuildBr(c->b, head);
    LLVMPositionBuilderAtEnd(c->b, head);
    LLVMValueRef i = LLVMBuildPhi(c->b, c->i64, "iter");
    LLVMValueRef par = LLVMBuildPhi(c->b, LLVMInt1TypeInContext(c->ctx), "par");
    LLVMValueRef cond = LLVMBuildPhi(c->b, LLVMInt1TypeInContext(c->ctx), "cond");
    LLVMValueRef go = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, i, trip, ""), cond, "");
    LLVMBuildCondBr(c->b, go, body, exit);
    LLVMPositionBuilderAtEnd(c->b, body);
    emit_iteration(c, e, i, par, cond);
    LLVMValueRef flag = LLVMBuildLoad2(c->b, c->i8, e->cout, "");
    LLVMValueRef next_cond = LLVMBuildICmp(c->b, LLVMIntNE, flag, LLVMConstInt(c->i8, 0, 0), "");
    LLVMValueRef next_i = LLVMBuildNSWAdd(c->b, i, cg_i64(c, 1), "");
    LLVMValueRef next_par = LLVMBuildNot(c->b, par, "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMBuildBr(c->b, head);
    LLVMBasicBlockRef from[2] = {pre, latch};
    LLVMAddIncoming(i, (LLVMValueRef[]){cg_i64(c, 0), next_i}, from, 2);
    LLVMAddIncoming(par, (LLVMValueRef[]){LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0),
                                          next_par}, from, 2);
    LLVMAddIncoming(cond, (LLVMValueRef[]){cond0, next_cond}, from, 2);
    LLVMPositionBuilderAtEnd(c->b, exit);
    emit_finish(c, e, i, par, trip);
}

glc_status cg_emit_loop(cg_ctx *c, const glc_node *n, LLVMValueRef scratch) {
    loop_emit e = {.n = n};
    GLC_TRY(glc_loop_parts(c->g, n, &e.nc, &e.ns, c->d));
    glc_dim *off = calloc((size_t)(2 * e.nc + e.ns + 1), sizeof *off);
    e.at = calloc((size_t)(2 * e.nc + e.ns + 1), sizeof *e.at);
    glc_status s = off && e.at ? GLC_OK : glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    if (s == GLC_OK) loop_layout(c, n, e.nc, e.ns, off);
    if (s == GLC_OK) s = cg_body_build(c, n->body, n->name, &e.body);
    if (s == GLC_OK) {
        emit_setup(c, &e, scratch, off);
        LLVMValueRef trip = n->in[0] ? LLVMBuildLoad2(c->b, c->i64, c->vptr[n->in[0]], "trip")
                                     : cg_i64(c, INT64_MAX);
        LLVMValueRef cond0 = n->in[1] ? LLVMBuildICmp(c->b, LLVMIntNE,
                                                      LLVMBuildLoad2(c->b, c->i8,
                                                                     c->vptr[n->in[1]], ""),
                                                      LLVMConstInt(c->i8, 0, 0), "")
                                      : LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 1, 0);
        emit_loop_nest(c, &e, trip, cond0);
    }
    free(off);
    free(e.at);
    return s;
}

glc_status lower_scan(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "code generation: a Scan node (the "
                        "importer writes each as a Loop)");
}

glc_status lower_contrib(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    (void)fn;
    return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "code generation: a %s node (the importer "
                        "replaces each by ONNX ops)", glc_op_name(n->op));
}
