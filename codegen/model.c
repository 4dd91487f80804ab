/*
 * model.c -- the whole graph: constants, workspace layout, <prefix>_invoke and <prefix>_describe.
 *
 * Constants become private unnamed_addr constant globals (raw bytes, align 64), so weights
 * end in read-only data. Every node output that is not a graph output gets a 64-byte
 * aligned slot in one workspace, reused once the value is dead (first fit over live
 * ranges; a value never shares with the inputs of its own node). Graph inputs and outputs
 * are the caller's pointers. run() checks its arguments (GLC_RT_E_ARG = 1 for a NULL array
 * or tensor pointer, GLC_RT_E_WORKSPACE = 2 for a short or NULL workspace), calls the
 * kernels in node order, then copies graph outputs that are inputs, constants, or a value
 * listed again as a later output. describe() returns a constant laid out like glc_model_desc.
 * The body is the internal function run(); <prefix>_invoke_with sets the thread-local
 * glc.par (the glc_parallel large products split their work over) around it, and
 * <prefix>_invoke passes glc_rt_parallel_default() (a weak reference: NULL without the
 * pool). Only <prefix>_invoke, <prefix>_invoke_with and <prefix>_describe are external.
 */
#include "cg_impl.h"

#include "glc_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static LLVMValueRef cstr(cg_ctx *c, const char *s) {
    LLVMValueRef init = LLVMConstStringInContext2(c->ctx, s ? s : "", strlen(s ? s : ""), 0);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "str");
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    return gv;
}

/* A view: a node whose output has its input's bytes in another shape (Reshape, Flatten,
 * Squeeze, Unsqueeze, Identity). Its output uses the input's storage and the node emits
 * no code, unless the output is a graph output (written into the caller's buffer). */
static bool is_view(const glc_graph *g, const glc_node *n) {
    switch (n->op) {
    case GLC_OP_RESHAPE:
    case GLC_OP_FLATTEN:
    case GLC_OP_SQUEEZE:
    case GLC_OP_UNSQUEEZE:
    case GLC_OP_IDENTITY:
        break;
    default:
        return false;
    }
    if (n->dead || n->n_in < 1 || !n->in[0] || n->n_out < 1 || !n->out[0]) return false;
    const glc_value *x = &g->values[n->in[0]], *y = &g->values[n->out[0]];
    return !y->is_output && x->dtype == y->dtype && glc_value_nbytes(x) == glc_value_nbytes(y);
}

/* c->root: a view's output stands for its input's root, every other value for itself. */
static void view_roots(cg_ctx *c) {
    const glc_graph *g = c->g;
    for (uint32_t v = 0; v < g->n_values; v++)
        c->root[v] = v;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (is_view(g, &g->nodes[i])) c->root[g->nodes[i].out[0]] = c->root[g->nodes[i].in[0]];
}

/* Live range [def, last] of every workspace value in node indices; def UINT32_MAX = none.
 * A use of a view's output is a use of its root. */
static void live_ranges(const cg_ctx *c, uint32_t *def, uint32_t *last) {
    const glc_graph *g = c->g;
    for (uint32_t v = 0; v < g->n_values; v++)
        def[v] = last[v] = UINT32_MAX;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const glc_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++) {
            glc_value_id u = n->in[k] ? c->root[n->in[k]] : 0;
            if (u && def[u] != UINT32_MAX) last[u] = i;
        }
        if (is_view(g, n)) continue;
        for (int k = 0; k < n->n_out; k++) {
            glc_value_id v = n->out[k];
            if (v && !g->values[v].is_output) def[v] = last[v] = i;
        }
    }
}

/* Lowest 64-aligned offset for v that overlaps no placed value live at the same time. */
static uint64_t first_fit(const cg_ctx *c, const uint32_t *def, const uint32_t *last,
                          glc_value_id v, uint64_t size) {
    uint64_t off = 0;
    for (bool moved = true; moved;) {
        moved = false;
        for (uint32_t u = 1; u < c->g->n_values; u++) {
            if (c->ws_off[u] == UINT64_MAX || def[u] > last[v] || last[u] < def[v]) continue;
            uint64_t us = (glc_value_nbytes(&c->g->values[u]) + 63) / 64 * 64;
            if (c->ws_off[u] < off + size && off < c->ws_off[u] + us) {
                off = c->ws_off[u] + us;
                moved = true;
            }
        }
    }
    return off;
}

/* Workspace slots with liveness-based reuse (first fit over live ranges; a value never
 * shares with the inputs of the node that defines it, so kernels stay noalias). */
static glc_status layout_workspace(cg_ctx *c) {
    const glc_graph *g = c->g;
    uint32_t *def = calloc(g->n_values, sizeof *def), *last = calloc(g->n_values, sizeof *last);
    if (!def || !last) {
        free(def);
        free(last);
        return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    view_roots(c);
    live_ranges(c, def, last);
    c->ws_size = 0;
    for (uint32_t v = 0; v < g->n_values; v++)
        c->ws_off[v] = UINT64_MAX;
    for (uint32_t v = 1; v < g->n_values; v++) {
        if (def[v] == UINT32_MAX || c->root[v] != v) continue;
        uint64_t size = (glc_value_nbytes(&g->values[v]) + 63) / 64 * 64;
        c->ws_off[v] = first_fit(c, def, last, v, size);
        if (c->ws_off[v] + size > c->ws_size) c->ws_size = c->ws_off[v] + size;
    }
    free(def);
    free(last);
    /* Node scratch: one region after the values, shared by every node (a kernel's scratch
     * lives only during its call), as large as the largest request. */
    uint64_t scratch = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead) {
            uint64_t b = (cg_node_scratch_bytes(c, &g->nodes[i]) + 63) / 64 * 64;
            if (b > scratch) scratch = b;
        }
    c->scratch_off = c->ws_size;
    c->ws_size += scratch;
    return GLC_OK;
}

/* tensor_info array for ids[n]. */
static LLVMValueRef tensor_infos(cg_ctx *c, LLVMTypeRef ti, const glc_value_id *ids, uint32_t n) {
    LLVMValueRef *elems = calloc(n ? n : 1, sizeof *elems);
    for (uint32_t i = 0; i < n; i++) {
        const glc_value *v = &c->g->values[ids[i]];
        LLVMValueRef dims = cg_const_bytes(c, v->dims, (size_t)v->rank * 8, "dims");
        LLVMValueRef f[5] = {cstr(c, v->name), LLVMConstInt(c->i32, (unsigned)v->dtype, 0),
                             LLVMConstInt(c->i32, v->rank, 0), dims,
                             LLVMConstInt(c->i64, glc_value_nbytes(v), 0)};
        elems[i] = LLVMConstNamedStruct(ti, f, 5);
    }
    LLVMValueRef arr = LLVMConstArray2(ti, elems, n);
    free(elems);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(arr), "tinfo");
    LLVMSetInitializer(gv, arr);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    return gv;
}

static void build_info(cg_ctx *c) {
    const glc_graph *g = c->g;
    LLVMTypeRef tf[5] = {c->ptr, c->i32, c->i32, c->ptr, c->i64};
    LLVMTypeRef ti = LLVMStructCreateNamed(c->ctx, "glc_tensor_info");
    LLVMStructSetBody(ti, tf, 5, 0);
    LLVMTypeRef mf[8] = {c->i32, c->i32, c->i32, c->i32, c->ptr, c->ptr, c->i64, c->ptr};
    LLVMTypeRef mi = LLVMStructCreateNamed(c->ctx, "glc_model_desc");
    LLVMStructSetBody(mi, mf, 8, 0);
    LLVMValueRef v[8] = {
        LLVMConstInt(c->i32, GLC_ABI_VERSION, 0),    LLVMConstInt(c->i32, g->n_inputs, 0),
        LLVMConstInt(c->i32, g->n_outputs, 0),       LLVMConstInt(c->i32, 0, 0),
        tensor_infos(c, ti, g->inputs, g->n_inputs), tensor_infos(c, ti, g->outputs, g->n_outputs),
        LLVMConstInt(c->i64, c->ws_size, 0),         cstr(c, g->name ? g->name : "")};
    LLVMValueRef gv = LLVMAddGlobal(c->mod, mi, "info");
    LLVMSetInitializer(gv, LLVMConstNamedStruct(mi, v, 8));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    char name[256];
    snprintf(name, sizeof name, "%s_describe", c->o->prefix);
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->ptr, NULL, 0, 0));
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    LLVMBuildRet(c->b, gv);
}

/* if (cond) return code; */
static void ret_if(cg_ctx *c, LLVMValueRef fn, LLVMValueRef cond, int code) {
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(c->ctx, fn, "bad");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(c->ctx, fn, "ok");
    LLVMBuildCondBr(c->b, cond, bad, ok);
    LLVMPositionBuilderAtEnd(c->b, bad);
    LLVMBuildRet(c->b, LLVMConstInt(c->i32, (unsigned)code, 0));
    LLVMPositionBuilderAtEnd(c->b, ok);
}

static LLVMValueRef load_ptr(cg_ctx *c, LLVMValueRef fn, LLVMValueRef arr, uint32_t i) {
    LLVMValueRef p = LLVMBuildLoad2(c->b, c->ptr, cg_gep(c, c->ptr, arr, cg_i64(c, i)), "");
    ret_if(c, fn, LLVMBuildIsNull(c->b, p, ""), GLC_RT_E_ARG);
    return p;
}

static void bind_pointers(cg_ctx *c, LLVMValueRef fn) {
    const glc_graph *g = c->g;
    LLVMValueRef in = LLVMGetParam(fn, 0), out = LLVMGetParam(fn, 1), ws = LLVMGetParam(fn, 2);
    ret_if(c, fn,
           LLVMBuildOr(c->b, LLVMBuildIsNull(c->b, in, ""), LLVMBuildIsNull(c->b, out, ""), ""),
           GLC_RT_E_ARG);
    for (uint32_t i = 0; i < g->n_inputs; i++)
        c->vptr[g->inputs[i]] = load_ptr(c, fn, in, i);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        LLVMValueRef p = load_ptr(c, fn, out, i);
        glc_value_id v = g->outputs[i];
        if (!c->vptr[v] && g->values[v].producer != GLC_NO_NODE) c->vptr[v] = p;
    }
    LLVMValueRef short_ws =
        LLVMBuildICmp(c->b, LLVMIntULT, LLVMGetParam(fn, 3), cg_i64(c, (int64_t)c->ws_size), "");
    if (c->ws_size) short_ws = LLVMBuildOr(c->b, short_ws, LLVMBuildIsNull(c->b, ws, ""), "");
    ret_if(c, fn, short_ws, GLC_RT_E_WORKSPACE);
    for (uint32_t v = 1; v < g->n_values; v++) {
        const glc_value *val = &g->values[v];
        if (val->data && !c->vptr[v])
            c->vptr[v] = cg_const_bytes(c, val->data, glc_value_nbytes(val), "w");
        else if (c->ws_off[v] != UINT64_MAX && !c->vptr[v])
            c->vptr[v] = LLVMBuildInBoundsGEP2(
                c->b, c->i8, ws, (LLVMValueRef[]){cg_i64(c, (int64_t)c->ws_off[v])}, 1, "");
    }
    for (uint32_t v = 1; v < g->n_values; v++)
        if (c->root[v] != v) c->vptr[v] = c->vptr[c->root[v]];
}

static glc_status call_kernels(cg_ctx *c, LLVMValueRef run) {
    const glc_graph *g = c->g;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const glc_node *n = &g->nodes[i];
        if (n->dead || is_view(g, n)) continue;
        LLVMValueRef k = NULL;
        LLVMBasicBlockRef here = LLVMGetInsertBlock(c->b);
        GLC_TRY(cg_lower_node(c, n, &k));
        LLVMPositionBuilderAtEnd(c->b, here);
        LLVMValueRef args[256];
        int na = 0;
        for (int j = 0; j < n->n_out; j++)
            args[na++] =
                n->out[j] && c->vptr[n->out[j]] ? c->vptr[n->out[j]] : LLVMConstNull(c->ptr);
        for (int j = 0; j < n->n_in; j++)
            args[na++] = n->in[j] ? c->vptr[n->in[j]] : LLVMConstNull(c->ptr);
        if (cg_node_scratch_bytes(c, n) && na < (int)LLVMCountParams(k))
            args[na++] = LLVMBuildInBoundsGEP2(c->b, c->i8, LLVMGetParam(run, 2),
                                               (LLVMValueRef[]){cg_i64(c, (int64_t)c->scratch_off)},
                                               1, "scratch");
        while (na < (int)LLVMCountParams(k))
            args[na++] = LLVMConstNull(c->ptr);
        LLVMBuildCall2(c->b, LLVMGlobalGetValueType(k), k, args, (unsigned)na, "");
    }
    return GLC_OK;
}

/* Outputs that are inputs/constants, or repeated: copy into the caller's buffer. */
static void copy_outputs(cg_ctx *c, LLVMValueRef fn) {
    const glc_graph *g = c->g;
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        glc_value_id v = g->outputs[i];
        LLVMValueRef dst =
            LLVMBuildLoad2(c->b, c->ptr, cg_gep(c, c->ptr, LLVMGetParam(fn, 1), cg_i64(c, i)), "");
        bool again = false;
        for (uint32_t j = 0; j < i; j++)
            again |= g->outputs[j] == v;
        if (g->values[v].producer != GLC_NO_NODE && !g->values[v].is_input && !again) continue;
        size_t nb = glc_value_nbytes(&g->values[v]);
        if (nb) LLVMBuildMemCpy(c->b, dst, 1, c->vptr[v], 1, cg_i64(c, (int64_t)nb));
    }
}

LLVMValueRef cg_par_tls(cg_ctx *c) {
    if (c->par_tls) return c->par_tls;
    c->par_tls = LLVMAddGlobal(c->mod, c->ptr, "glc.par");
    LLVMSetInitializer(c->par_tls, LLVMConstNull(c->ptr));
    LLVMSetLinkage(c->par_tls, LLVMInternalLinkage);
    LLVMSetThreadLocal(c->par_tls, 1);
    return c->par_tls;
}

LLVMTypeRef cg_parallel_type(cg_ctx *c) {
    LLVMTypeRef t = LLVMGetTypeByName2(c->ctx, "glc_parallel");
    if (t) return t;
    t = LLVMStructCreateNamed(c->ctx, "glc_parallel");
    LLVMTypeRef f[4] = {c->ptr, c->i32, c->i32, c->ptr}; /* self, n_threads, reserved, run */
    LLVMStructSetBody(t, f, 4, 0);
    return t;
}

/* <prefix>_invoke_with(in, out, ws, size, par): the call with glc.par = par. */
static LLVMValueRef build_invoke_with(cg_ctx *c, LLVMValueRef body) {
    char name[256];
    snprintf(name, sizeof name, "%s_invoke_with", c->o->prefix);
    LLVMTypeRef pt[5] = {c->ptr, c->ptr, c->ptr, c->i64, c->ptr};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->i32, pt, 5, 0));
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    LLVMValueRef tls = cg_par_tls(c);
    LLVMValueRef old = LLVMBuildLoad2(c->b, c->ptr, tls, "");
    LLVMBuildStore(c->b, LLVMGetParam(fn, 4), tls);
    LLVMValueRef args[4] = {LLVMGetParam(fn, 0), LLVMGetParam(fn, 1), LLVMGetParam(fn, 2),
                            LLVMGetParam(fn, 3)};
    LLVMValueRef r = LLVMBuildCall2(c->b, LLVMGlobalGetValueType(body), body, args, 4, "");
    LLVMBuildStore(c->b, old, tls);
    LLVMBuildRet(c->b, r);
    return fn;
}

/* <prefix>_invoke(in, out, ws, size): invoke_with on glc_rt_parallel_default() when it
 * is linked in (else NULL: the calling thread alone). */
static void build_invoke(cg_ctx *c, LLVMValueRef with) {
    char name[256];
    snprintf(name, sizeof name, "%s_invoke", c->o->prefix);
    LLVMTypeRef pt[4] = {c->ptr, c->ptr, c->ptr, c->i64};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->i32, pt, 4, 0));
    cg_fn_attrs(c, fn);
    LLVMTypeRef dft = LLVMFunctionType(c->ptr, NULL, 0, 0);
    LLVMValueRef dfl = LLVMGetNamedFunction(c->mod, "glc_rt_parallel_default");
    if (!dfl) dfl = LLVMAddFunction(c->mod, "glc_rt_parallel_default", dft);
    /* Strong where the output carries the pool (so an archive's member gets pulled in),
     * weak for bare objects: linked without the runtime, they run single-threaded. */
    if (!cg_links_pool(c)) LLVMSetLinkage(dfl, LLVMExternalWeakLinkage);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c->ctx, fn, "entry");
    LLVMBasicBlockRef has = LLVMAppendBasicBlockInContext(c->ctx, fn, "pool");
    LLVMBasicBlockRef go = LLVMAppendBasicBlockInContext(c->ctx, fn, "call");
    LLVMPositionBuilderAtEnd(c->b, entry);
    LLVMBuildCondBr(c->b, LLVMBuildIsNull(c->b, dfl, ""), go, has);
    LLVMPositionBuilderAtEnd(c->b, has);
    LLVMValueRef p = LLVMBuildCall2(c->b, dft, dfl, NULL, 0, "");
    LLVMBuildBr(c->b, go);
    LLVMPositionBuilderAtEnd(c->b, go);
    LLVMValueRef par = LLVMBuildPhi(c->b, c->ptr, "par");
    LLVMValueRef in_v[2] = {LLVMConstNull(c->ptr), p};
    LLVMBasicBlockRef in_b[2] = {entry, has};
    LLVMAddIncoming(par, in_v, in_b, 2);
    LLVMValueRef args[5] = {LLVMGetParam(fn, 0), LLVMGetParam(fn, 1), LLVMGetParam(fn, 2),
                            LLVMGetParam(fn, 3), par};
    LLVMBuildRet(c->b, LLVMBuildCall2(c->b, LLVMGlobalGetValueType(with), with, args, 5, ""));
}

glc_status cg_model_build(cg_ctx *c) {
    GLC_TRY(layout_workspace(c));
    LLVMTypeRef pt[4] = {c->ptr, c->ptr, c->ptr, c->i64};
    LLVMValueRef fn = LLVMAddFunction(c->mod, "run", LLVMFunctionType(c->i32, pt, 4, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    bind_pointers(c, fn);
    GLC_TRY(call_kernels(c, fn));
    copy_outputs(c, fn);
    LLVMBuildRet(c->b, LLVMConstInt(c->i32, 0, 0));
    build_invoke(c, build_invoke_with(c, fn));
    build_info(c);
    return GLC_OK;
}
