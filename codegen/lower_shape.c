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
 *
 * Symbolic dims: sizes and strides are dims (ir/dim.h) until they are emitted (cg_dim),
 * so the merging of axes works on expressions too (B*T == T*B), and a static graph gets
 * exactly the constants it always had. A symbolic Transpose whose size may reach
 * TR_PAR_MIN_BYTES is emitted twice, split and serial, chosen by its size at run time.
 */
#include "cg_impl.h"

glc_status lower_copy(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *o = &c->g->values[n->out[0]];
    *fn = cg_kernel_begin(c, n->name, n->n_in + 1);
    glc_dim bytes = glc_dim_mul(c->g, glc_value_numel_dim(c->g, o), (glc_dim)glc_dtype_size(o->dtype));
    if (bytes)
        LLVMBuildMemCpy(c->b, LLVMGetParam(*fn, 0), 1, LLVMGetParam(*fn, 1), 1, cg_dim(c, bytes));
    cg_kernel_end(c);
    return GLC_OK;
}

static void tr_nest(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef y, LLVMValueRef x, int r,
                    const LLVMValueRef *dims, const LLVMValueRef *so, const LLVMValueRef *si, int d,
                    LLVMValueRef io, LLVMValueRef ii) {
    if (d == r) {
        LLVMValueRef v = LLVMBuildLoad2(c->b, ty, cg_gep(c, ty, x, ii), "");
        LLVMBuildStore(c->b, v, cg_gep(c, ty, y, io));
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, dims[d]);
    tr_nest(c, ty, y, x, r, dims, so, si, d + 1, cg_madd_v(c, i, so[d], io),
            cg_madd_v(c, i, si[d], ii));
    cg_loop_end(c, &l);
    /* only the innermost loop may be unrolled: fully unrolled outer loops of copies make
     * blocks of thousands of moves that the machine scheduler takes seconds over (W6's
     * [16,32,32,64] transpose: 3 s) */
    if (d + 1 < r) cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(l.latch), false);
}

enum { TR_PAR_MIN_BYTES = 1 << 20 };

/* Row-major strides of dims, as dims. */
static void dim_strides(const glc_graph *g, int r, const glc_dim *dims, glc_dim *s) {
    glc_dim k = 1;
    for (int i = r - 1; i >= 0; i--) {
        s[i] = k;
        k = glc_dim_mul(g, k, dims[i]);
    }
}

/* Drops size-1 axes and merges axis k+1 into k where both tensors hold them contiguously
 * (equal expressions are equal dims, so this works on symbolic ones); returns the new
 * rank (at least 1). */
static int tr_simplify(const glc_graph *g, int r, glc_dim *dims, glc_dim *so, glc_dim *si) {
    int m = 0;
    for (int k = 0; k < r; k++) {
        if (dims[k] == 1) continue;
        if (m > 0 && so[m - 1] == glc_dim_mul(g, so[k], dims[k]) &&
            si[m - 1] == glc_dim_mul(g, si[k], dims[k])) {
            dims[m - 1] = glc_dim_mul(g, dims[m - 1], dims[k]);
            so[m - 1] = so[k], si[m - 1] = si[k];
            continue;
        }
        dims[m] = dims[k], so[m] = so[k], si[m] = si[k];
        m++;
    }
    if (m == 0) dims[0] = 1, so[0] = si[0] = 1, m = 1;
    return m;
}

typedef struct tr_plan {
    LLVMTypeRef ty;
    int r;
    glc_dim dims[GLC_MAX_RANK], so[GLC_MAX_RANK], si[GLC_MAX_RANK];
} tr_plan;

/* The copy, its outermost loop split into tasks when split (the dims are emitted inside
 * the task body, which has its own copy of the symbols). */
static void tr_emit(cg_ctx *c, const tr_plan *t, LLVMValueRef y, LLVMValueRef x, bool split) {
    LLVMValueRef *caps[] = {&y, &x}, dims[GLC_MAX_RANK], so[GLC_MAX_RANK], si[GLC_MAX_RANK];
    cg_par par;
    if (glc_dim_is_const(t->dims[0]))
        cg_par_begin(c, &par, t->dims[0], split, caps, 2, "par");
    else
        cg_par_begin_v(c, &par, cg_dim(c, t->dims[0]), split, caps, 2, "par");
    for (int k = 0; k < t->r; k++) {
        dims[k] = cg_dim(c, t->dims[k]);
        so[k] = cg_dim(c, t->so[k]);
        si[k] = cg_dim(c, t->si[k]);
    }
    LLVMValueRef z = cg_i64(c, 0);
    cg_loop l;
    LLVMValueRef i = cg_loop_range(c, &l, par.lo, par.hi);
    tr_nest(c, t->ty, y, x, t->r, dims, so, si, 1, cg_madd_v(c, i, so[0], z),
            cg_madd_v(c, i, si[0], z));
    cg_loop_end(c, &l);
    if (t->r > 1) cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(l.latch), false);
    cg_par_end(c, &par);
}

glc_status lower_transpose(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *X = glc_node_input(g, n, 0), *Y = &g->values[n->out[0]];
    tr_plan t = {.ty = cg_int_type_of_size(c, glc_dtype_size(Y->dtype))};
    uint32_t np = 0;
    const int64_t *perm = glc_attr_ints(n, "perm", &np);
    glc_dim xs[GLC_MAX_RANK];
    dim_strides(g, X->rank, X->dims, xs);
    dim_strides(g, Y->rank, Y->dims, t.so);
    for (int k = 0; k < Y->rank; k++) {
        t.si[k] = xs[perm && np ? perm[k] : Y->rank - 1 - k];
        t.dims[k] = Y->dims[k];
    }
    t.r = tr_simplify(g, Y->rank, t.dims, t.so, t.si); /* a scalar becomes one axis of 1 */
    glc_dim bytes = glc_dim_mul(g, glc_value_numel_dim(g, Y), (glc_dim)glc_dtype_size(Y->dtype));
    int64_t most = bytes;
    bool split = glc_dim_is_const(bytes)
                     ? bytes >= TR_PAR_MIN_BYTES
                     : !glc_dim_upper_bound(g, bytes, &most) || most >= TR_PAR_MIN_BYTES;
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMValueRef y = LLVMGetParam(*fn, 0), x = LLVMGetParam(*fn, 1);
    if (glc_dim_is_const(bytes) || !split) {
        tr_emit(c, &t, y, x, split);
    } else { /* split from TR_PAR_MIN_BYTES at run time */
        cg_if f;
        cg_if_begin(
            c, &f,
            LLVMBuildICmp(c->b, LLVMIntSGE, cg_dim(c, bytes), cg_i64(c, TR_PAR_MIN_BYTES), ""));
        tr_emit(c, &t, y, x, true);
        cg_if_else(c, &f);
        tr_emit(c, &t, y, x, false);
        cg_if_end(c, &f);
    }
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_concat(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *Y = &g->values[n->out[0]];
    LLVMTypeRef ty = cg_int_type_of_size(c, glc_dtype_size(Y->dtype));
    int64_t ax = glc_attr_int(n, "axis", 0);
    if (ax < 0) ax += Y->rank;
    glc_dim inner = glc_dim_prod(g, Y->dims, (int)ax + 1, Y->rank), off = 0;
    *fn = cg_kernel_begin(c, n->name, n->n_in + 1);
    LLVMValueRef outer = cg_dim(c, glc_dim_prod(g, Y->dims, 0, (int)ax));
    LLVMValueRef yblk = cg_dim(c, glc_dim_mul(g, Y->dims[ax], inner));
    for (int k = 0; k < n->n_in; k++) {
        const glc_value *X = glc_node_input(g, n, k);
        glc_dim blkd = glc_dim_mul(g, X->dims[ax], inner);
        LLVMValueRef blk = cg_dim(c, blkd), offv = cg_dim(c, off);
        cg_loop lo, lj;
        LLVMValueRef o = cg_loop_begin_v(c, &lo, outer);
        LLVMValueRef j = cg_loop_begin_v(c, &lj, blk);
        LLVMValueRef v = LLVMBuildLoad2(
            c->b, ty, cg_gep(c, ty, LLVMGetParam(*fn, (unsigned)k + 1), cg_madd_v(c, o, blk, j)),
            "");
        LLVMValueRef yi = cg_madd_v(c, o, yblk, LLVMBuildNSWAdd(c->b, j, offv, ""));
        LLVMBuildStore(c->b, v, cg_gep(c, ty, LLVMGetParam(*fn, 0), yi));
        cg_loop_end(c, &lj);
        cg_loop_end(c, &lo);
        cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(lo.latch), false); /* as Transpose */
        off = glc_dim_add(g, off, blkd);
    }
    cg_kernel_end(c);
    return GLC_OK;
}
