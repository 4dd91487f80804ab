/*
 * lower_elemwise.c -- Add/Sub/Mul/Div (numpy broadcasting; f32, i32, i64), Relu, Sigmoid,
 * Tanh, and the plain copies (Identity, Reshape, Flatten).
 *
 * Binary ops loop over the output shape, outermost first; each input is indexed with its
 * row-major strides aligned to the output's trailing dims, stride 0 where it broadcasts.
 * The innermost loop is therefore contiguous (or a splat) for every operand and vectorizes.
 * Integer Div is sdiv with a zero divisor giving 0 (no trap).
 * Relu keeps NaN: x < 0 ? 0 : x.
 */
#include "cg_impl.h"

#include <string.h>

typedef struct bin_state {
    glc_op op;
    LLVMTypeRef ty;
    bool is_float;
    LLVMValueRef out, a, b;
    LLVMValueRef so[GLC_MAX_RANK], sa[GLC_MAX_RANK], sb[GLC_MAX_RANK];
} bin_state;

/* Strides of v aligned to an output of rank r (0 on broadcast and missing dims). */
static void bstrides(cg_ctx *c, const glc_value *v, int r, LLVMValueRef *s) {
    LLVMValueRef st[GLC_MAX_RANK];
    cg_strides_dim(c, v->rank, v->dims, st);
    for (int i = 0; i < r; i++) {
        int j = i - (r - v->rank);
        s[i] = (j < 0 || v->dims[j] == 1) ? cg_i64(c, 0) : st[j];
    }
}

static LLVMValueRef bin_op(cg_ctx *c, const bin_state *s, LLVMValueRef x, LLVMValueRef y) {
    LLVMBuilderRef b = c->b;
    switch (s->op) {
    case GLC_OP_ADD:
        return s->is_float ? LLVMBuildFAdd(b, x, y, "") : LLVMBuildAdd(b, x, y, "");
    case GLC_OP_SUB:
        return s->is_float ? LLVMBuildFSub(b, x, y, "") : LLVMBuildSub(b, x, y, "");
    case GLC_OP_MUL:
        return s->is_float ? LLVMBuildFMul(b, x, y, "") : LLVMBuildMul(b, x, y, "");
    default:
        break; /* only the four binary ops reach here */
    }
    if (s->is_float) return LLVMBuildFDiv(b, x, y, "");
    LLVMValueRef zero = LLVMConstInt(s->ty, 0, 0), one = LLVMConstInt(s->ty, 1, 0);
    LLVMValueRef z = LLVMBuildICmp(b, LLVMIntEQ, y, zero, "");
    LLVMValueRef q = LLVMBuildSDiv(b, x, LLVMBuildSelect(b, z, one, y, ""), "");
    return LLVMBuildSelect(b, z, zero, q, "");
}

static void bin_nest(cg_ctx *c, const bin_state *s, int r, const int64_t *dims, int d,
                     LLVMValueRef io, LLVMValueRef ia, LLVMValueRef ib) {
    if (d == r) {
        LLVMValueRef x = LLVMBuildLoad2(c->b, s->ty, cg_gep(c, s->ty, s->a, ia), "");
        LLVMValueRef y = LLVMBuildLoad2(c->b, s->ty, cg_gep(c, s->ty, s->b, ib), "");
        LLVMBuildStore(c->b, bin_op(c, s, x, y), cg_gep(c, s->ty, s->out, io));
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, cg_dim(c, dims[d]));
    bin_nest(c, s, r, dims, d + 1, cg_madd_v(c, i, s->so[d], io), cg_madd_v(c, i, s->sa[d], ia),
             cg_madd_v(c, i, s->sb[d], ib));
    cg_loop_end(c, &l);
}

glc_status lower_binary(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *o = &c->g->values[n->out[0]];
    const glc_value *a = glc_node_input(c->g, n, 0), *bv = glc_node_input(c->g, n, 1);
    bin_state s = {.op = n->op, .ty = cg_elem_type(c, o->dtype)};
    if (!s.ty || a->dtype != o->dtype || bv->dtype != o->dtype)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "dtype %s not supported",
                            glc_dtype_name(o->dtype));
    s.is_float = o->dtype == GLC_DT_F32;
    *fn = cg_kernel_begin(c, n->name, 3);
    s.out = LLVMGetParam(*fn, 0);
    s.a = LLVMGetParam(*fn, 1);
    s.b = LLVMGetParam(*fn, 2);
    cg_strides_dim(c, o->rank, o->dims, s.so);
    bstrides(c, a, o->rank, s.sa);
    bstrides(c, bv, o->rank, s.sb);
    LLVMValueRef z = cg_i64(c, 0);
    bin_nest(c, &s, o->rank, o->dims, 0, z, z, z);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_unary(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *o = &c->g->values[n->out[0]];
    LLVMTypeRef ty = cg_elem_type(c, o->dtype);
    bool fl = o->dtype == GLC_DT_F32;
    if (!ty || (!fl && n->op != GLC_OP_RELU))
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "dtype %s not supported",
                            glc_dtype_name(o->dtype));
    *fn = cg_kernel_begin(c, n->name, 2);
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, cg_dim(c, glc_value_numel_dim(c->g, o)));
    LLVMValueRef x = LLVMBuildLoad2(c->b, ty, cg_gep(c, ty, LLVMGetParam(*fn, 1), i), "");
    LLVMValueRef y = NULL, zero = LLVMConstNull(ty);
    if (n->op == GLC_OP_RELU) {
        LLVMValueRef neg = fl ? LLVMBuildFCmp(c->b, LLVMRealOLT, x, zero, "")
                              : LLVMBuildICmp(c->b, LLVMIntSLT, x, zero, "");
        y = LLVMBuildSelect(c->b, neg, zero, x, "");
    } else if (n->op == GLC_OP_SIGMOID) {
        y = cg_math_sigmoid(c, x);
    } else {
        y = cg_math_tanh(c, x);
    }
    LLVMBuildStore(c->b, y, cg_gep(c, ty, LLVMGetParam(*fn, 0), i));
    cg_loop_end(c, &l);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_copy(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *o = &c->g->values[n->out[0]];
    *fn = cg_kernel_begin(c, n->name, n->n_in + 1);
    glc_dim bytes = glc_dim_mul(c->g, glc_value_numel_dim(c->g, o), (glc_dim)glc_dtype_size(o->dtype));
    if (bytes)
        LLVMBuildMemCpy(c->b, LLVMGetParam(*fn, 0), 1, LLVMGetParam(*fn, 1), 1, cg_dim(c, bytes));
    cg_kernel_end(c);
    return GLC_OK;
}
