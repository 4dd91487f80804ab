/*
 * loops.c -- a tiny loop builder so kernels read like nested for-loops, plus the
 * kernel-function helpers shared by every lower_*.c.
 *
 *   cg_loop l; LLVMValueRef i = cg_loop_begin(c, &l, n);  ...body...  cg_loop_end(c, &l);
 *
 * builds   pre -> header: iv = phi [0, pre], [iv+1, latch]; iv < n ? body : exit
 *          body ... -> latch -> header,   and leaves the builder at exit.
 * The loop is top-tested so n == 0 runs no iteration; O3's loop-rotate turns it into the
 * bottom-tested form the vectorizer wants. Addresses use inbounds GEPs and kernel pointer
 * parameters are noalias, so inner loops vectorize without runtime alias checks.
 */
#include "cg_impl.h"

#include <llvm-c/DebugInfo.h>

#include <stdio.h>

LLVMValueRef cg_i64(cg_ctx *c, int64_t v) {
    return LLVMConstInt(c->i64, (unsigned long long)v, 1);
}

LLVMValueRef cg_f32(cg_ctx *c, double v) {
    return LLVMConstReal(c->f32, v);
}

LLVMValueRef cg_loop_begin(cg_ctx *c, cg_loop *l, int64_t n) {
    return cg_loop_begin_v(c, l, cg_i64(c, n));
}

LLVMValueRef cg_loop_begin_v(cg_ctx *c, cg_loop *l, LLVMValueRef n) {
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMValueRef fn = LLVMGetBasicBlockParent(pre);
    l->header = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "body");
    l->latch = LLVMAppendBasicBlockInContext(c->ctx, fn, "latch");
    l->exit = LLVMAppendBasicBlockInContext(c->ctx, fn, "exit");
    LLVMBuildBr(c->b, l->header);
    LLVMPositionBuilderAtEnd(c->b, l->header);
    l->iv = LLVMBuildPhi(c->b, c->i64, "i");
    LLVMValueRef zero = cg_i64(c, 0);
    LLVMAddIncoming(l->iv, &zero, &pre, 1);
    LLVMValueRef cond = LLVMBuildICmp(c->b, LLVMIntSLT, l->iv, n, "");
    LLVMBuildCondBr(c->b, cond, body, l->exit);
    LLVMPositionBuilderAtEnd(c->b, body);
    return l->iv;
}

LLVMValueRef cg_loop_range(cg_ctx *c, cg_loop *l, LLVMValueRef lo, LLVMValueRef hi) {
    LLVMValueRef i = cg_loop_begin_v(c, l, LLVMBuildNSWSub(c->b, hi, lo, ""));
    return LLVMBuildNSWAdd(c->b, i, lo, "");
}

void cg_loop_end(cg_ctx *c, cg_loop *l) {
    LLVMBuildBr(c->b, l->latch);
    LLVMPositionBuilderAtEnd(c->b, l->latch);
    LLVMValueRef next = LLVMBuildNSWAdd(c->b, l->iv, cg_i64(c, 1), "");
    LLVMBuildBr(c->b, l->header);
    LLVMAddIncoming(l->iv, &next, &l->latch, 1);
    LLVMPositionBuilderAtEnd(c->b, l->exit);
}

/* Gives the loop ending in latch_br the loop ID !{self, props...} (llvm.loop metadata). */
static void set_loop_id(cg_ctx *c, LLVMValueRef latch_br, LLVMMetadataRef *props, int n) {
    LLVMMetadataRef ops[4];
    ops[0] = LLVMTemporaryMDNode(c->ctx, NULL, 0);
    for (int k = 0; k < n; k++)
        ops[k + 1] = props[k];
    LLVMMetadataRef loop = LLVMMDNodeInContext2(c->ctx, ops, (size_t)n + 1);
    LLVMMetadataReplaceAllUsesWith(ops[0], loop); /* the self-reference a loop ID needs */
    LLVMSetMetadata(latch_br, LLVMGetMDKindIDInContext(c->ctx, "llvm.loop", 9),
                    LLVMMetadataAsValue(c->ctx, loop));
}

void cg_loop_no_unroll(cg_ctx *c, LLVMValueRef latch_br, bool no_vectorize) {
    static const char unroll[] = "llvm.loop.unroll.disable", vec[] = "llvm.loop.vectorize.enable";
    LLVMMetadataRef str = LLVMMDStringInContext2(c->ctx, unroll, sizeof unroll - 1);
    LLVMMetadataRef off[2] = {
        LLVMMDStringInContext2(c->ctx, vec, sizeof vec - 1),
        LLVMValueAsMetadata(LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0))};
    LLVMMetadataRef props[2] = {LLVMMDNodeInContext2(c->ctx, &str, 1),
                                LLVMMDNodeInContext2(c->ctx, off, 2)};
    set_loop_id(c, latch_br, props, no_vectorize ? 2 : 1);
}

void cg_loop_interleave(cg_ctx *c, LLVMValueRef latch_br, int count) {
    static const char il[] = "llvm.loop.interleave.count";
    LLVMMetadataRef kv[2] = {LLVMMDStringInContext2(c->ctx, il, sizeof il - 1),
                             LLVMValueAsMetadata(LLVMConstInt(c->i32, (unsigned)count, 0))};
    LLVMMetadataRef prop = LLVMMDNodeInContext2(c->ctx, kv, 2);
    set_loop_id(c, latch_br, &prop, 1);
}

void cg_cell_loop_end(cg_ctx *c, cg_loop *l, int64_t n) {
    cg_loop_end(c, l);
    if (n >= 64) cg_loop_interleave(c, LLVMGetBasicBlockTerminator(l->latch), 2);
}

LLVMValueRef cg_gep(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef base, LLVMValueRef idx) {
    return LLVMBuildInBoundsGEP2(c->b, ty, base, &idx, 1, "");
}

LLVMValueRef cg_madd(cg_ctx *c, LLVMValueRef idx, int64_t k, LLVMValueRef add) {
    if (k == 0) return add;
    LLVMValueRef t = k == 1 ? idx : LLVMBuildNSWMul(c->b, idx, cg_i64(c, k), "");
    return add ? LLVMBuildNSWAdd(c->b, t, add, "") : t;
}

LLVMValueRef cg_madd_v(cg_ctx *c, LLVMValueRef idx, LLVMValueRef k, LLVMValueRef add) {
    if (LLVMIsAConstantInt(k)) return cg_madd(c, idx, LLVMConstIntGetSExtValue(k), add);
    LLVMValueRef t = LLVMBuildNSWMul(c->b, idx, k, "");
    return add ? LLVMBuildNSWAdd(c->b, t, add, "") : t;
}

LLVMValueRef cg_bcast_stride(cg_ctx *c, glc_dim vdim, glc_dim odim, LLVMValueRef st) {
    if (vdim == 1) return cg_i64(c, 0);
    if (vdim == odim || glc_dim_is_const(vdim)) return st;
    LLVMValueRef one = LLVMBuildICmp(c->b, LLVMIntEQ, cg_dim(c, vdim), cg_i64(c, 1), "");
    return LLVMBuildSelect(c->b, one, cg_i64(c, 0), st, "");
}

void cg_strides_dim(cg_ctx *c, int rank, const glc_dim *dims, LLVMValueRef *strides) {
    LLVMValueRef s = cg_i64(c, 1);
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = s;
        s = LLVMBuildNSWMul(c->b, s, cg_dim(c, dims[i]), "");
    }
}

LLVMValueRef cg_kernel_begin(cg_ctx *c, const char *name, int n_ptr) {
    LLVMTypeRef params[257];
    int np = n_ptr + (cg_symbolic(c) ? 1 : 0);
    for (int i = 0; i < np; i++)
        params[i] = c->ptr;
    LLVMTypeRef ft = LLVMFunctionType(c->void_t, params, (unsigned)np, 0);
    char buf[160];
    snprintf(buf, sizeof buf, "k.%s", name ? name : "node");
    LLVMValueRef fn = LLVMAddFunction(c->mod, buf, ft);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    /* A node's kernel runs once per call of the model: inlining it into the entry point
     * gains nothing, and kept apart it is a named symbol (k.<node>) in profiles. */
    unsigned ni = LLVMGetEnumAttributeKindForName("noinline", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, ni, 0));
    unsigned na = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (int i = 0; i < np; i++)
        LLVMAddAttributeAtIndex(fn, (unsigned)i + 1, LLVMCreateEnumAttribute(c->ctx, na, 0));
    c->syms = np > n_ptr ? LLVMGetParam(fn, (unsigned)n_ptr) : NULL;
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
    cg_dims_hoist_begin(c);
    return fn;
}

void cg_kernel_end(cg_ctx *c) {
    cg_dims_end(c);
    LLVMBuildRetVoid(c->b);
}

LLVMTypeRef cg_elem_type(cg_ctx *c, glc_dtype t) {
    switch (t) {
    case GLC_DT_F32:
        return c->f32;
    case GLC_DT_I32:
        return c->i32;
    case GLC_DT_I64:
        return c->i64;
    default:
        return NULL;
    }
}

LLVMTypeRef cg_int_type_of_size(cg_ctx *c, size_t bytes) {
    return LLVMIntTypeInContext(c->ctx, (unsigned)(bytes * 8));
}

LLVMValueRef cg_alloca_entry(cg_ctx *c, LLVMTypeRef ty) {
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(cur));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(b, first);
    else
        LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef a = LLVMBuildAlloca(b, ty, "");
    LLVMDisposeBuilder(b);
    return a;
}

void cg_strides(int rank, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= dims[i];
    }
}

/* ---- small IR builders shared by the kernels (f32 loads/stores, arithmetic, if/else) */

LLVMValueRef cg_ldf(cg_ctx *c, LLVMValueRef p, LLVMValueRef i) {
    return LLVMBuildLoad2(c->b, c->f32, cg_gep(c, c->f32, p, i), "");
}

void cg_stf(cg_ctx *c, LLVMValueRef v, LLVMValueRef p, LLVMValueRef i) {
    LLVMBuildStore(c->b, v, cg_gep(c, c->f32, p, i));
}

LLVMValueRef cg_fadd(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFAdd(c->b, a, b, "");
}

LLVMValueRef cg_fmul(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFMul(c->b, a, b, "");
}

LLVMValueRef cg_iadd(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildNSWAdd(c->b, a, b, "");
}

LLVMValueRef cg_addk(cg_ctx *c, LLVMValueRef i, int64_t k) {
    return k ? LLVMBuildNSWAdd(c->b, i, cg_i64(c, k), "") : i;
}

void cg_if_begin(cg_ctx *c, cg_if *f, LLVMValueRef cond) {
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
    LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->ctx, fn, "then");
    f->els = LLVMAppendBasicBlockInContext(c->ctx, fn, "else");
    f->join = LLVMAppendBasicBlockInContext(c->ctx, fn, "join");
    LLVMBuildCondBr(c->b, cond, then, f->els);
    LLVMPositionBuilderAtEnd(c->b, then);
}

void cg_if_else(cg_ctx *c, cg_if *f) {
    LLVMBuildBr(c->b, f->join);
    LLVMPositionBuilderAtEnd(c->b, f->els);
}

void cg_if_end(cg_ctx *c, cg_if *f) {
    LLVMBuildBr(c->b, f->join);
    LLVMPositionBuilderAtEnd(c->b, f->join);
}

LLVMValueRef cg_const_bytes(cg_ctx *c, const void *data, size_t n, const char *name) {
    LLVMValueRef init = LLVMConstStringInContext2(c->ctx, data, n, 1);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 64);
    return gv;
}
