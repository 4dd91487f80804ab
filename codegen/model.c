/*
 * model.c -- the whole graph: constants, workspace layout, <prefix>_invoke and <prefix>_describe.
 *
 * Constants become private unnamed_addr constant globals (raw bytes, align 64), so weights
 * end in read-only data. Every node output that is not a graph output gets a 64-byte
 * aligned slot in one workspace, reused once the value is dead (a value never shares with
 * the inputs of its own node): first fit over live ranges when every size is static; with
 * symbolic sizes each value goes above the values live at the same time that first fit at
 * a reference size put below it (its offset the max of their ends, an expression of the
 * symbols; see ref_order). Graph inputs and outputs are the caller's pointers.
 *
 * Symbols. The internal glc.bind(input_dims, syms) reads the inputs' dims: a static dim
 * must match, a symbol's first occurrence gives its value (in [1, its bound]) and later
 * ones must agree; then it checks the graph's constraints (ir/dim.h) and that no value's
 * size, workspace offset or the workspace size overflows (cg_dim_checked), so that the
 * kernels' own dim arithmetic cannot: GLC_RT_E_SHAPE otherwise. For a graph without
 * symbols input_dims may be NULL (else it is checked against the static dims).
 *
 * run(in, in_dims, out, ws, size) checks its arguments (GLC_RT_E_ARG for a NULL array or
 * tensor pointer, then glc.bind, then GLC_RT_E_WORKSPACE for a short or NULL workspace),
 * calls the kernels in node order (each taking the syms array last when there are
 * symbols; a guarded node's call runs only when its guard bytes are as it needs them: a
 * branch of a run-time If), then copies graph outputs that are inputs, constants, or a value listed again
 * as a later output. <prefix>_plan runs glc.bind and reports the outputs' dims and the
 * workspace size. describe() returns a constant laid out like glc_model_desc.
 * <prefix>_invoke_with sets the thread-local glc.par (the glc_parallel large products split
 * their work over) around run, and <prefix>_invoke passes glc_rt_parallel_default() (a
 * weak reference: NULL without the pool). Only <prefix>_describe, _plan, _invoke and
 * _invoke_with are external.
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
static int64_t first_fit(const cg_ctx *c, const uint32_t *def, const uint32_t *last,
                         glc_value_id v, int64_t size) {
    int64_t off = 0;
    for (bool moved = true; moved;) {
        moved = false;
        for (uint32_t u = 1; u < c->g->n_values; u++) {
            if (c->ws_off[u] < 0 || def[u] > last[v] || last[u] < def[v]) continue;
            int64_t us = (int64_t)(glc_value_nbytes(&c->g->values[u]) + 63) / 64 * 64;
            if (c->ws_off[u] < off + size && off < c->ws_off[u] + us) {
                off = c->ws_off[u] + us;
                moved = true;
            }
        }
    }
    return off;
}

/* v's bytes rounded up to 64, as a dim. */
static glc_dim slot_bytes(const glc_graph *g, const glc_value *v) {
    glc_dim nb = glc_dim_mul(g, glc_value_numel_dim(g, v), (glc_dim)glc_dtype_size(v->dtype));
    return glc_dim_mul(g, glc_dim_ceildiv(g, nb, 64), 64);
}

/* Symbolic sizes: v above every placed value live at the same time. */
static glc_dim stacked(const cg_ctx *c, const uint32_t *def, const uint32_t *last,
                       glc_value_id v) {
    const glc_graph *g = c->g;
    glc_dim off = 0;
    for (uint32_t u = 1; u < g->n_values; u++)
        if (c->ws_off[u] != -1 && def[u] <= last[v] && last[u] >= def[v])
            off = glc_dim_max(g, off, glc_dim_add(g, c->ws_off[u], slot_bytes(g, &g->values[u])));
    return off;
}

/* Symbolic sizes, laid out as at a reference size: every symbol at REF_SYM (or its bound,
 * if lower), first fit places the values (ref_off); then, in the order of (ref_off, id),
 * each value goes above the values live with it that come before it (stacked). The offsets
 * are expressions valid at every size, and at the reference size no higher than first
 * fit's: values reuse the space of dead ones, as in a static layout. Stacked in value order
 * instead, a chain of values ended at the sum of their sizes: ppocrv4_rec's workspace was
 * 204 MB at 48x320 (3.4 MB compiled static), every intermediate in fresh memory. */
#define REF_SYM 64

typedef struct ref_slot {
    int64_t off;
    glc_value_id v;
} ref_slot;

static int ref_slot_cmp(const void *a, const void *b) {
    const ref_slot *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

/* Each workspace value's bytes at the reference size (rs), false if some size does not
 * evaluate there (a constraint the reference breaks). */
static bool ref_sizes(const cg_ctx *c, const uint32_t *def, int64_t *rs) {
    const glc_graph *g = c->g, *r = glc_graph_root(g);
    int64_t *syms = malloc((r->n_syms ? r->n_syms : 1) * sizeof *syms);
    if (!syms) return false;
    for (uint32_t k = 0; k < r->n_syms; k++)
        syms[k] = r->syms[k].max > 0 && r->syms[k].max < REF_SYM ? r->syms[k].max : REF_SYM;
    bool ok = true;
    for (uint32_t v = 1; ok && v < g->n_values; v++)
        if (def[v] != UINT32_MAX && c->root[v] == v)
            ok = glc_dim_eval(g, slot_bytes(g, &g->values[v]), syms, &rs[v]) && rs[v] >= 0;
    free(syms);
    return ok;
}

/* The workspace values in the order of their first-fit offsets at the reference size (*n
 * of them), or NULL (out of memory, or no reference size). */
static ref_slot *ref_order(cg_ctx *c, const uint32_t *def, const uint32_t *last, uint32_t *n) {
    const glc_graph *g = c->g;
    int64_t *rs = calloc(g->n_values, sizeof *rs);
    ref_slot *order = calloc(g->n_values, sizeof *order);
    *n = 0;
    if (!rs || !order || !ref_sizes(c, def, rs)) {
        free(rs);
        free(order);
        return NULL;
    }
    for (uint32_t v = 1; v < g->n_values; v++) { /* first fit on the reference sizes */
        if (def[v] == UINT32_MAX || c->root[v] != v) continue;
        int64_t off = 0;
        for (bool moved = true; moved;) {
            moved = false;
            for (uint32_t k = 0; k < *n; k++) {
                glc_value_id u = order[k].v;
                if (def[u] > last[v] || last[u] < def[v]) continue;
                if (order[k].off < off + rs[v] && off < order[k].off + rs[u]) {
                    off = order[k].off + rs[u];
                    moved = true;
                }
            }
        }
        order[(*n)++] = (ref_slot){off, v};
    }
    free(rs);
    qsort(order, *n, sizeof *order, ref_slot_cmp);
    return order;
}

/* Whether some workspace value's size is symbolic. */
static bool any_symbolic(const cg_ctx *c, const uint32_t *def) {
    for (uint32_t v = 1; v < c->g->n_values; v++)
        if (def[v] != UINT32_MAX && c->root[v] == v &&
            glc_dims_symbolic(c->g->values[v].rank, c->g->values[v].dims))
            return true;
    return false;
}

static void place_values(cg_ctx *c, const uint32_t *def, const uint32_t *last) {
    const glc_graph *g = c->g;
    bool sym = any_symbolic(c, def);
    c->ws_size = 0;
    for (uint32_t v = 0; v < g->n_values; v++)
        c->ws_off[v] = -1;
    uint32_t n = 0;
    ref_slot *order = sym ? ref_order(c, def, last, &n) : NULL;
    for (uint32_t k = 0; k < n; k++) { /* symbolic: in the reference order */
        glc_value_id v = order[k].v;
        c->ws_off[v] = stacked(c, def, last, v);
        c->ws_size = glc_dim_max(g, c->ws_size, glc_dim_add(g, c->ws_off[v], slot_bytes(g, &g->values[v])));
    }
    free(order);
    for (uint32_t v = 1; v < g->n_values; v++) { /* static, or without a reference order */
        if (def[v] == UINT32_MAX || c->root[v] != v || c->ws_off[v] != -1) continue;
        glc_dim size = slot_bytes(g, &g->values[v]);
        c->ws_off[v] = sym ? stacked(c, def, last, v) : first_fit(c, def, last, v, size);
        c->ws_size = glc_dim_max(g, c->ws_size, glc_dim_add(g, c->ws_off[v], size));
    }
}

/* Workspace slots with liveness-based reuse (first fit over live ranges, or stacked with
 * symbolic sizes; a value never shares with the inputs of the node that defines it, so
 * kernels stay noalias), then the node scratch region. */
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
    place_values(c, def, last);
    free(def);
    free(last);
    /* Node scratch: one region after the values, shared by every node (a kernel's scratch
     * lives only during its call), as large as the largest request. */
    glc_dim scratch = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead) {
            glc_dim b = glc_dim_mul(g, glc_dim_ceildiv(g, cg_node_scratch_bytes(c, &g->nodes[i]), 64), 64);
            scratch = glc_dim_max(g, scratch, b);
        }
    c->scratch_off = c->ws_size;
    c->ws_size = glc_dim_add(g, c->ws_size, scratch);
    if (glc_dim_failed(g))
        return glc_diag_set(c->d, GLC_E_LIMIT, NULL, "the workspace size overflows int64");
    return GLC_OK;
}

/* A private constant array of n pointers (NULL entries allowed). */
static LLVMValueRef ptr_array(cg_ctx *c, LLVMValueRef *elems, uint32_t n, const char *name) {
    LLVMValueRef arr = LLVMConstArray2(c->ptr, elems, n);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(arr), name);
    LLVMSetInitializer(gv, arr);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    return gv;
}

/* One glc_tensor_info: dims (-1 where symbolic), size, and for symbolic dims their names
 * (expressions) and bounds. */
static LLVMValueRef tensor_info(cg_ctx *c, LLVMTypeRef ti, const glc_value *v) {
    const glc_graph *g = c->g;
    int64_t dims[GLC_MAX_RANK], mx[GLC_MAX_RANK];
    LLVMValueRef names[GLC_MAX_RANK];
    bool sym = glc_dims_symbolic(v->rank, v->dims);
    for (int a = 0; a < v->rank; a++) {
        bool s = glc_dim_is_sym(v->dims[a]);
        dims[a] = s ? -1 : v->dims[a];
        if (!s || !glc_dim_upper_bound(g, v->dims[a], &mx[a])) mx[a] = s ? -1 : v->dims[a];
        char e[256];
        names[a] = s ? cstr(c, glc_dim_str(g, v->dims[a], e, sizeof e)) : LLVMConstNull(c->ptr);
    }
    int64_t bytes = 0;
    glc_dim nb = glc_dim_mul(g, glc_value_numel_dim(g, v), (glc_dim)glc_dtype_size(v->dtype));
    if (!glc_dim_upper_bound(g, nb, &bytes)) bytes = 0;
    LLVMValueRef f[7] = {cstr(c, v->name), LLVMConstInt(c->i32, (unsigned)v->dtype, 0),
                         LLVMConstInt(c->i32, v->rank, 0),
                         cg_const_bytes(c, dims, (size_t)v->rank * 8, "dims"),
                         LLVMConstInt(c->i64, (unsigned long long)bytes, 0),
                         sym ? ptr_array(c, names, (uint32_t)v->rank, "dimnames")
                             : LLVMConstNull(c->ptr),
                         sym ? cg_const_bytes(c, mx, (size_t)v->rank * 8, "maxdims")
                             : LLVMConstNull(c->ptr)};
    return LLVMConstNamedStruct(ti, f, 7);
}

/* tensor_info array for ids[n]. */
static LLVMValueRef tensor_infos(cg_ctx *c, LLVMTypeRef ti, const glc_value_id *ids, uint32_t n) {
    LLVMValueRef *elems = calloc(n ? n : 1, sizeof *elems);
    for (uint32_t i = 0; i < n; i++)
        elems[i] = tensor_info(c, ti, &c->g->values[ids[i]]);
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
    LLVMTypeRef tf[7] = {c->ptr, c->i32, c->i32, c->ptr, c->i64, c->ptr, c->ptr};
    LLVMTypeRef ti = LLVMStructCreateNamed(c->ctx, "glc_tensor_info");
    LLVMStructSetBody(ti, tf, 7, 0);
    LLVMTypeRef mf[8] = {c->i32, c->i32, c->i32, c->i32, c->ptr, c->ptr, c->i64, c->ptr};
    LLVMTypeRef mi = LLVMStructCreateNamed(c->ctx, "glc_model_desc");
    LLVMStructSetBody(mi, mf, 8, 0);
    int64_t ws = 0;
    if (!glc_dim_upper_bound(g, c->ws_size, &ws)) ws = 0;
    LLVMValueRef v[8] = {
        LLVMConstInt(c->i32, GLC_ABI_VERSION, 0),    LLVMConstInt(c->i32, g->n_inputs, 0),
        LLVMConstInt(c->i32, g->n_outputs, 0),       LLVMConstInt(c->i32, g->n_syms, 0),
        tensor_infos(c, ti, g->inputs, g->n_inputs), tensor_infos(c, ti, g->outputs, g->n_outputs),
        LLVMConstInt(c->i64, (unsigned long long)ws, 0), cstr(c, g->name ? g->name : "")};
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

/* Whether a live node reads v or it is a graph output. */
static bool used(const glc_graph *g, glc_value_id v) {
    if (g->values[v].is_output) return true;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == v) return true;
    return false;
}

/* A shape tensor (elements known as dims, some symbolic) as this call's values: a small
 * array of the run function's frame. */
static LLVMValueRef shape_tensor(cg_ctx *c, const glc_value *v) {
    int64_t n = glc_value_numel(v);
    LLVMTypeRef et = v->dtype == GLC_DT_I32 ? c->i32 : c->i64;
    LLVMValueRef p = cg_alloca_entry(c, LLVMArrayType2(et, (uint64_t)(n ? n : 1)));
    for (int64_t i = 0; i < n; i++) {
        LLVMValueRef x = cg_dim(c, v->sdata[i]);
        if (et == c->i32) x = LLVMBuildTrunc(c->b, x, c->i32, "");
        LLVMBuildStore(c->b, x, cg_gep(c, et, p, cg_i64(c, i)));
    }
    return p;
}

/* run's parameters: inputs, input_dims, outputs, workspace, workspace_size (and a body
 * function's: the symbols' values). */
enum { RUN_IN, RUN_DIMS, RUN_OUT, RUN_WS, RUN_WS_SIZE, RUN_NPARAMS, RUN_SYMS = RUN_NPARAMS };

static void other_pointers(cg_ctx *c, LLVMValueRef ws);

/* The argument checks, glc.bind, then every value's pointer. */
static void bind_pointers(cg_ctx *c, LLVMValueRef fn, LLVMValueRef bind) {
    const glc_graph *g = c->g;
    LLVMValueRef in = LLVMGetParam(fn, RUN_IN), out = LLVMGetParam(fn, RUN_OUT);
    LLVMValueRef ws = LLVMGetParam(fn, RUN_WS);
    ret_if(c, fn,
           LLVMBuildOr(c->b, LLVMBuildIsNull(c->b, in, ""), LLVMBuildIsNull(c->b, out, ""), ""),
           GLC_RT_E_ARG);
    c->syms = cg_symbolic(c) ? cg_syms_alloca(c) : LLVMConstNull(c->ptr);
    LLVMValueRef args[2] = {LLVMGetParam(fn, RUN_DIMS), c->syms};
    cg_return_if_error(c, LLVMBuildCall2(c->b, LLVMGlobalGetValueType(bind), bind, args, 2, ""));
    if (!cg_symbolic(c)) c->syms = NULL;
    cg_dims_hoist_begin(c);
    for (uint32_t i = 0; i < g->n_inputs; i++)
        c->vptr[g->inputs[i]] = load_ptr(c, fn, in, i);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        LLVMValueRef p = load_ptr(c, fn, out, i);
        glc_value_id v = g->outputs[i];
        if (!c->vptr[v] && g->values[v].producer != GLC_NO_NODE) c->vptr[v] = p;
    }
    LLVMValueRef need = cg_dim(c, c->ws_size);
    LLVMValueRef short_ws = LLVMBuildICmp(c->b, LLVMIntULT, LLVMGetParam(fn, RUN_WS_SIZE), need, "");
    LLVMValueRef empty = LLVMBuildICmp(c->b, LLVMIntEQ, need, cg_i64(c, 0), "");
    LLVMValueRef null_ws = LLVMBuildAnd(c->b, LLVMBuildIsNull(c->b, ws, ""), LLVMBuildNot(c->b, empty, ""), "");
    ret_if(c, fn, LLVMBuildOr(c->b, short_ws, null_ws, ""), GLC_RT_E_WORKSPACE);
    other_pointers(c, ws);
}

/* The pointers of shape tensors, constants and workspace values, and of views. */
static void other_pointers(cg_ctx *c, LLVMValueRef ws) {
    const glc_graph *g = c->g;
    for (uint32_t v = 1; v < g->n_values; v++) {
        const glc_value *val = &g->values[v];
        if (val->sdata && !c->vptr[v])
            c->vptr[v] = used(g, v) ? shape_tensor(c, val) : LLVMConstNull(c->ptr);
        else if (val->data && !c->vptr[v])
            c->vptr[v] = cg_const_bytes(c, val->data, glc_value_nbytes(val), "w");
        else if (c->ws_off[v] != -1 && !c->vptr[v])
            c->vptr[v] = LLVMBuildInBoundsGEP2(c->b, c->i8, ws,
                                               (LLVMValueRef[]){cg_dim(c, c->ws_off[v])}, 1, "");
    }
    for (uint32_t v = 1; v < g->n_values; v++)
        if (c->root[v] != v) c->vptr[v] = c->vptr[c->root[v]];
}

/* For a guarded node (a branch of run-time Ifs): branches on to a new block when every
 * guard byte is as the node needs it, else to the block returned (NULL for an unguarded
 * node), where the caller continues after the call. */
static LLVMBasicBlockRef enter_guards(cg_ctx *c, LLVMValueRef run, const glc_node *n) {
    if (!n->n_guards) return NULL;
    LLVMBasicBlockRef skip = LLVMAppendBasicBlockInContext(c->ctx, run, "unguarded");
    for (int k = 0; k < n->n_guards; k++) {
        LLVMValueRef g = LLVMBuildLoad2(c->b, c->i8, c->vptr[n->guard[k]], "guard");
        LLVMIntPredicate p = n->guard_false >> k & 1 ? LLVMIntEQ : LLVMIntNE;
        LLVMValueRef on = LLVMBuildICmp(c->b, p, g, LLVMConstInt(c->i8, 0, 0), "");
        LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c->ctx, run, "guarded");
        LLVMBuildCondBr(c->b, on, next, skip);
        LLVMPositionBuilderAtEnd(c->b, next);
    }
    return skip;
}

static glc_status call_kernels(cg_ctx *c, LLVMValueRef run) {
    const glc_graph *g = c->g;
    LLVMValueRef syms = c->syms;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const glc_node *n = &g->nodes[i];
        if (n->dead || is_view(g, n)) continue;
        if (n->op == GLC_OP_LOOP) {
            LLVMBasicBlockRef skip = enter_guards(c, run, n);
            LLVMValueRef scratch = LLVMBuildInBoundsGEP2(
                c->b, c->i8, LLVMGetParam(run, RUN_WS),
                (LLVMValueRef[]){cg_dim(c, c->scratch_off)}, 1, "scratch");
            GLC_TRY(cg_emit_loop(c, n, scratch));
            c->syms = syms;
            if (skip) {
                LLVMBuildBr(c->b, skip);
                LLVMPositionBuilderAtEnd(c->b, skip);
            }
            continue;
        }
        LLVMValueRef k = NULL;
        LLVMBasicBlockRef here = LLVMGetInsertBlock(c->b);
        GLC_TRY(cg_lower_node(c, n, &k));
        LLVMPositionBuilderAtEnd(c->b, here);
        c->syms = syms;
        LLVMBasicBlockRef skip = enter_guards(c, run, n);
        LLVMValueRef args[258];
        int na = 0, np = (int)LLVMCountParams(k) - (syms ? 1 : 0);
        for (int j = 0; j < n->n_out; j++)
            args[na++] =
                n->out[j] && c->vptr[n->out[j]] ? c->vptr[n->out[j]] : LLVMConstNull(c->ptr);
        for (int j = 0; j < n->n_in; j++)
            args[na++] = n->in[j] ? c->vptr[n->in[j]] : LLVMConstNull(c->ptr);
        if (cg_node_scratch_bytes(c, n) != 0 && na < np)
            args[na++] = LLVMBuildInBoundsGEP2(c->b, c->i8, LLVMGetParam(run, RUN_WS),
                                               (LLVMValueRef[]){cg_dim(c, c->scratch_off)}, 1,
                                               "scratch");
        while (na < np)
            args[na++] = LLVMConstNull(c->ptr);
        if (syms) args[na++] = syms;
        LLVMBuildCall2(c->b, LLVMGlobalGetValueType(k), k, args, (unsigned)na, "");
        if (skip) {
            LLVMBuildBr(c->b, skip);
            LLVMPositionBuilderAtEnd(c->b, skip);
        }
    }
    return GLC_OK;
}

/* Outputs that are inputs/constants, or repeated: copy into the caller's buffer. */
static void copy_outputs(cg_ctx *c, LLVMValueRef fn) {
    const glc_graph *g = c->g;
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        glc_value_id v = g->outputs[i];
        LLVMValueRef dst = LLVMBuildLoad2(
            c->b, c->ptr, cg_gep(c, c->ptr, LLVMGetParam(fn, RUN_OUT), cg_i64(c, i)), "");
        bool again = false;
        for (uint32_t j = 0; j < i; j++)
            again |= g->outputs[j] == v;
        if (g->values[v].producer != GLC_NO_NODE && !g->values[v].is_input && !again) continue;
        const glc_value *val = &g->values[v];
        glc_dim nb = glc_dim_mul(g, glc_value_numel_dim(g, val), (glc_dim)glc_dtype_size(val->dtype));
        if (nb) LLVMBuildMemCpy(c->b, dst, 1, c->vptr[v], 1, cg_dim(c, nb));
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

/* <prefix>_invoke_with(in, dims, out, ws, size, par): the call with glc.par = par. */
static LLVMValueRef build_invoke_with(cg_ctx *c, LLVMValueRef body) {
    char name[256];
    snprintf(name, sizeof name, "%s_invoke_with", c->o->prefix);
    LLVMTypeRef pt[RUN_NPARAMS + 1] = {c->ptr, c->ptr, c->ptr, c->ptr, c->i64, c->ptr};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->i32, pt, RUN_NPARAMS + 1, 0));
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    LLVMValueRef tls = cg_par_tls(c);
    LLVMValueRef old = LLVMBuildLoad2(c->b, c->ptr, tls, "");
    LLVMBuildStore(c->b, LLVMGetParam(fn, RUN_NPARAMS), tls);
    LLVMValueRef args[RUN_NPARAMS];
    for (int i = 0; i < RUN_NPARAMS; i++)
        args[i] = LLVMGetParam(fn, (unsigned)i);
    LLVMValueRef r =
        LLVMBuildCall2(c->b, LLVMGlobalGetValueType(body), body, args, RUN_NPARAMS, "");
    LLVMBuildStore(c->b, old, tls);
    LLVMBuildRet(c->b, r);
    return fn;
}

/* <prefix>_invoke(in, dims, out, ws, size): invoke_with on glc_rt_parallel_default() when
 * it is linked in (else NULL: the calling thread alone). */
static void build_invoke(cg_ctx *c, LLVMValueRef with) {
    char name[256];
    snprintf(name, sizeof name, "%s_invoke", c->o->prefix);
    LLVMTypeRef pt[RUN_NPARAMS] = {c->ptr, c->ptr, c->ptr, c->ptr, c->i64};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->i32, pt, RUN_NPARAMS, 0));
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
    LLVMValueRef args[RUN_NPARAMS + 1];
    for (int i = 0; i < RUN_NPARAMS; i++)
        args[i] = LLVMGetParam(fn, (unsigned)i);
    args[RUN_NPARAMS] = par;
    LLVMBuildRet(c->b,
                 LLVMBuildCall2(c->b, LLVMGlobalGetValueType(with), with, args, RUN_NPARAMS + 1, ""));
}

glc_status cg_model_build(cg_ctx *c) {
    GLC_TRY(layout_workspace(c));
    LLVMValueRef bind = cg_build_bind(c);
    LLVMTypeRef pt[RUN_NPARAMS] = {c->ptr, c->ptr, c->ptr, c->ptr, c->i64};
    LLVMValueRef fn = LLVMAddFunction(c->mod, "run", LLVMFunctionType(c->i32, pt, RUN_NPARAMS, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    bind_pointers(c, fn, bind);
    GLC_TRY(call_kernels(c, fn));
    copy_outputs(c, fn);
    cg_dims_end(c);
    LLVMBuildRet(c->b, LLVMConstInt(c->i32, 0, 0));
    c->syms = NULL;
    build_invoke(c, build_invoke_with(c, fn));
    cg_build_plan(c, bind);
    build_info(c);
    return GLC_OK;
}

/* ---- bodies: a Loop's body as an internal function ------------------------------------ */

/* A context for body b of c's graph: its own value arrays, the module's everything else. */
static glc_status body_ctx(const cg_ctx *c, const glc_graph *b, cg_ctx *s) {
    *s = *c;
    s->g = b;
    uint32_t nv = b->n_values ? b->n_values : 1;
    s->vptr = calloc(nv, sizeof *s->vptr);
    s->ws_off = calloc(nv, sizeof *s->ws_off);
    s->root = calloc(nv, sizeof *s->root);
    s->syms = NULL;
    if (!s->vptr || !s->ws_off || !s->root) {
        free(s->vptr);
        free(s->ws_off);
        free(s->root);
        return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "out of memory");
    }
    return layout_workspace(s);
}

static void body_ctx_fini(cg_ctx *s) {
    free(s->vptr);
    free(s->ws_off);
    free(s->root);
}

glc_dim cg_body_ws_bytes(const cg_ctx *c, const glc_graph *b) {
    cg_ctx s;
    if (body_ctx(c, b, &s) != GLC_OK) return GLC_DIM_ERR;
    glc_dim ws = s.ws_size;
    body_ctx_fini(&s);
    return ws;
}

/* in and out arrays of the body function: every input's and output's pointer. */
static void body_pointers(cg_ctx *c, LLVMValueRef fn) {
    const glc_graph *g = c->g;
    LLVMValueRef in = LLVMGetParam(fn, RUN_IN), out = LLVMGetParam(fn, RUN_OUT);
    for (uint32_t i = 0; i < g->n_inputs; i++)
        c->vptr[g->inputs[i]] =
            LLVMBuildLoad2(c->b, c->ptr, cg_gep(c, c->ptr, in, cg_i64(c, i)), "");
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        glc_value_id v = g->outputs[i];
        LLVMValueRef p = LLVMBuildLoad2(c->b, c->ptr, cg_gep(c, c->ptr, out, cg_i64(c, i)), "");
        if (!c->vptr[v] && g->values[v].producer != GLC_NO_NODE) c->vptr[v] = p;
    }
    other_pointers(c, LLVMGetParam(fn, RUN_WS));
}

glc_status cg_body_build(cg_ctx *c, const glc_graph *b, const char *name, LLVMValueRef *fn) {
    cg_ctx s;
    GLC_TRY(body_ctx(c, b, &s));
    LLVMBasicBlockRef here = LLVMGetInsertBlock(c->b);
    LLVMTypeRef pt[RUN_NPARAMS + 1] = {c->ptr, c->ptr, c->ptr, c->ptr, c->i64, c->ptr};
    char fname[200];
    snprintf(fname, sizeof fname, "body.%.150s", name ? name : "loop");
    *fn = LLVMAddFunction(c->mod, fname, LLVMFunctionType(c->i32, pt, RUN_NPARAMS + 1, 0));
    LLVMSetLinkage(*fn, LLVMInternalLinkage);
    cg_fn_attrs(c, *fn);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, *fn, "entry"));
    s.syms = cg_symbolic(&s) ? LLVMGetParam(*fn, RUN_SYMS) : NULL;
    cg_dims_hoist_begin(&s);
    body_pointers(&s, *fn);
    glc_status st = call_kernels(&s, *fn);
    if (st == GLC_OK) {
        copy_outputs(&s, *fn);
        cg_dims_end(&s);
        LLVMBuildRet(c->b, LLVMConstInt(c->i32, 0, 0));
    }
    c->par_tls = s.par_tls;
    body_ctx_fini(&s);
    LLVMPositionBuilderAtEnd(c->b, here);
    return st;
}
