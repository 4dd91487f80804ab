/*
 * lower_shape.c -- the plain copies (Identity, Reshape, Flatten, Squeeze, Unsqueeze: one
 * memcpy, when model.c does not make them views), Transpose and Concat, dtype-generic
 * (elements moved as integers of the element size).
 *
 * Transpose loops over the output shape (innermost contiguous in the output); input index
 * = sum_k iv_k * in_stride[perm[k]] (perm defaults to reversed). Output axes of size 1 are
 * dropped and neighbours that are contiguous in both tensors merged (W6's [H, N, W, C] ->
 * [N, H, W, C] becomes a copy of runs of W*C), and from TR_PAR_MIN_BYTES the outermost
 * loop runs as tasks on the thread pool. Concat copies, for each input, (outer,
 * dims[axis] * inner) blocks to the output at the running axis offset.
 */
#include "cg_impl.h"

glc_status lower_copy(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *o = &c->g->values[n->out[0]];
    *fn = cg_kernel_begin(c, n->name, n->n_in + 1);
    uint64_t bytes = glc_value_nbytes(o);
    if (bytes)
        LLVMBuildMemCpy(c->b, LLVMGetParam(*fn, 0), 1, LLVMGetParam(*fn, 1), 1,
                        cg_i64(c, (int64_t)bytes));
    cg_kernel_end(c);
    return GLC_OK;
}

static void tr_nest(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef y, LLVMValueRef x, int r,
                    const int64_t *dims, const int64_t *so, const int64_t *si, int d,
                    LLVMValueRef io, LLVMValueRef ii) {
    if (d == r) {
        LLVMValueRef v = LLVMBuildLoad2(c->b, ty, cg_gep(c, ty, x, ii), "");
        LLVMBuildStore(c->b, v, cg_gep(c, ty, y, io));
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(c, &l, dims[d]);
    tr_nest(c, ty, y, x, r, dims, so, si, d + 1, cg_madd(c, i, so[d], io),
            cg_madd(c, i, si[d], ii));
    cg_loop_end(c, &l);
    /* only the innermost loop may be unrolled: fully unrolled outer loops of copies make
     * blocks of thousands of moves that the machine scheduler takes seconds over (W6's
     * [16,32,32,64] transpose: 3 s) */
    if (d + 1 < r) cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(l.latch), false);
}

enum { TR_PAR_MIN_BYTES = 1 << 20 };

/* Drops size-1 axes and merges axis k+1 into k where both tensors hold them contiguously;
 * returns the new rank (at least 1). */
static int tr_simplify(int r, int64_t *dims, int64_t *so, int64_t *si) {
    int m = 0;
    for (int k = 0; k < r; k++) {
        if (dims[k] == 1) continue;
        if (m > 0 && so[m - 1] == so[k] * dims[k] && si[m - 1] == si[k] * dims[k]) {
            dims[m - 1] *= dims[k];
            so[m - 1] = so[k], si[m - 1] = si[k];
            continue;
        }
        dims[m] = dims[k], so[m] = so[k], si[m] = si[k];
        m++;
    }
    if (m == 0) dims[0] = 1, so[0] = si[0] = 1, m = 1;
    return m;
}

glc_status lower_transpose(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *X = glc_node_input(c->g, n, 0), *Y = &c->g->values[n->out[0]];
    LLVMTypeRef ty = cg_int_type_of_size(c, glc_dtype_size(Y->dtype));
    uint32_t np = 0;
    const int64_t *perm = glc_attr_ints(n, "perm", &np);
    int64_t xs[GLC_MAX_RANK], si[GLC_MAX_RANK], so[GLC_MAX_RANK], dims[GLC_MAX_RANK];
    cg_strides(X->rank, X->dims, xs);
    cg_strides(Y->rank, Y->dims, so);
    for (int k = 0; k < Y->rank; k++) {
        si[k] = xs[perm && np ? perm[k] : Y->rank - 1 - k];
        dims[k] = Y->dims[k];
    }
    int r = tr_simplify(Y->rank, dims, so, si); /* a scalar becomes one axis of 1 */
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMValueRef y = LLVMGetParam(*fn, 0), x = LLVMGetParam(*fn, 1), z = cg_i64(c, 0);
    LLVMValueRef *caps[] = {&y, &x};
    cg_par par;
    cg_par_begin(c, &par, dims[0], glc_value_nbytes(Y) >= TR_PAR_MIN_BYTES, caps, 2, "par");
    cg_loop l;
    LLVMValueRef i = cg_loop_range(c, &l, par.lo, par.hi);
    tr_nest(c, ty, y, x, r, dims, so, si, 1, cg_madd(c, i, so[0], z), cg_madd(c, i, si[0], z));
    cg_loop_end(c, &l);
    if (r > 1) cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(l.latch), false);
    cg_par_end(c, &par);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_concat(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *Y = &c->g->values[n->out[0]];
    LLVMTypeRef ty = cg_int_type_of_size(c, glc_dtype_size(Y->dtype));
    int64_t ax = glc_attr_int(n, "axis", 0);
    if (ax < 0) ax += Y->rank;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < Y->rank; i++) {
        if (i < ax) outer *= Y->dims[i];
        if (i > ax) inner *= Y->dims[i];
    }
    int64_t yblk = Y->dims[ax] * inner, off = 0;
    *fn = cg_kernel_begin(c, n->name, n->n_in + 1);
    for (int k = 0; k < n->n_in; k++) {
        const glc_value *X = glc_node_input(c->g, n, k);
        int64_t blk = X->dims[ax] * inner;
        cg_loop lo, lj;
        LLVMValueRef o = cg_loop_begin(c, &lo, outer);
        LLVMValueRef j = cg_loop_begin(c, &lj, blk);
        LLVMValueRef v = LLVMBuildLoad2(
            c->b, ty, cg_gep(c, ty, LLVMGetParam(*fn, (unsigned)k + 1), cg_madd(c, o, blk, j)), "");
        LLVMValueRef yi = cg_madd(c, o, yblk, LLVMBuildNSWAdd(c->b, j, cg_i64(c, off), ""));
        LLVMBuildStore(c->b, v, cg_gep(c, ty, LLVMGetParam(*fn, 0), yi));
        cg_loop_end(c, &lj);
        cg_loop_end(c, &lo);
        cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(lo.latch), false); /* as Transpose */
        off += blk;
    }
    cg_kernel_end(c);
    return GLC_OK;
}
