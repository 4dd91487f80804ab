/*
 * lower.c -- per-node dispatch and the helpers shared by the lower_*.c files.
 *
 * cg_lower_node() calls the op's lowering from a table generated from ops.def's kernel
 * column (lower_<kernel>; a row without its lowering does not link). A node none of whose
 * outputs is requested gets an empty kernel. Kernel signature: one pointer per output, then
 * one per input (NULL for an absent optional input), all noalias; then, only for a node
 * whose cg_node_scratch_bytes() is non-zero, a pointer to that much workspace scratch.
 * Shared by the tensor and index families: an index loaded and checked against an axis
 * (cg_load_index). By the recurrent families: the chunking of a hoisted input projection
 * (cg_hoist_chunk_max, cg_chunks_plan).
 */
#include "cg_impl.h"

static bool has_symbolic_dims(const cg_ctx *c, const glc_node *n) {
    for (int i = 0; i < n->n_in; i++) {
        const glc_value *v = glc_node_input(c->g, n, i);
        if (v && (v->sdata || glc_dims_symbolic(v->rank, v->dims))) return true;
    }
    for (int i = 0; i < n->n_out; i++) {
        const glc_value *v = n->out[i] ? &c->g->values[n->out[i]] : NULL;
        if (v && glc_dims_symbolic(v->rank, v->dims)) return true;
    }
    return false;
}

typedef glc_status (*lower_fn)(cg_ctx *c, const glc_node *n, LLVMValueRef *fn);

/* The lowering of every op, from ops.def's kernel column (a missing one fails to link). */
static const lower_fn lowerings[GLC_OP_COUNT] = {
#define OP(id, dom, name, ilo, ihi, olo, ohi, fl, st, ty, kern, inf) [GLC_OP_##id] = lower_##kern,
#include "ops.def"
#undef OP
};

glc_status cg_lower_node(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    if ((int)n->op <= GLC_OP_NONE || n->op >= GLC_OP_COUNT)
        return glc_diag_set(c->d, GLC_E_INVALID_IR, n, "invalid op %d", (int)n->op);
    if (!(glc_op_table[n->op].flags & OPF_SYMBOLIC) && has_symbolic_dims(c, n))
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n, "code generation for %s with symbolic "
                            "dims is not supported yet; bind them with --dim NAME=N or --shape",
                            glc_op_name(n->op));
    bool any = false;
    for (int k = 0; k < n->n_out; k++)
        any = any || n->out[k];
    if (!any) { /* nothing requested: a kernel that does nothing */
        *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
        cg_kernel_end(c);
        return GLC_OK;
    }
    return lowerings[n->op](c, n, fn);
}

/* Conv's scratch is static bytes (a symbolic Conv's too: conv_rt.c's blocks). */
static glc_dim nn_scratch(const cg_ctx *c, const glc_node *n) {
    return (glc_dim)lower_nn_scratch(c, n);
}

/* The ops whose kernels want workspace scratch, each through its family's function; the
 * others keep their temporaries in registers or small allocas. */
static glc_dim (*const scratch_fns[GLC_OP_COUNT])(const cg_ctx *c, const glc_node *n) = {
    [GLC_OP_MDLSTM] = lower_mdlstm_scratch, [GLC_OP_CONVLSTM] = lower_convlstm_scratch,
    [GLC_OP_LSTM] = lower_rnn_scratch, [GLC_OP_GRU] = lower_rnn_scratch,
    [GLC_OP_RNN] = lower_rnn_scratch, [GLC_OP_GRIDLSTM] = lower_gridlstm_scratch,
    [GLC_OP_CONV] = nn_scratch,       [GLC_OP_MAXPOOL] = lower_pool_scratch,
    [GLC_OP_DET] = lower_linalg_scratch,    [GLC_OP_RESIZE] = lower_resize_scratch,
    [GLC_OP_UPSAMPLE] = lower_resize_scratch, [GLC_OP_LOOP] = lower_loop_scratch,
};

glc_dim cg_node_scratch_bytes(const cg_ctx *c, const glc_node *n) {
    if ((int)n->op <= GLC_OP_NONE || n->op >= GLC_OP_COUNT || !scratch_fns[n->op]) return 0;
    return scratch_fns[n->op](c, n);
}

LLVMValueRef cg_load_index(cg_ctx *c, glc_dtype dt, LLVMValueRef idx, LLVMValueRef k,
                           LLVMValueRef dim, LLVMValueRef *ok) {
    LLVMTypeRef it = dt == GLC_DT_I64 ? c->i64 : c->i32;
    LLVMValueRef v = LLVMBuildLoad2(c->b, it, cg_gep(c, it, idx, k), "");
    if (it != c->i64) v = LLVMBuildSExt(c->b, v, c->i64, "");
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, v, cg_i64(c, 0), "");
    v = LLVMBuildSelect(c->b, neg, LLVMBuildAdd(c->b, v, dim, ""), v, "");
    *ok = LLVMBuildICmp(c->b, LLVMIntULT, v, dim, ""); /* also catches v < 0 */
    return LLVMBuildSelect(c->b, *ok, v, cg_i64(c, 0), "");
}

glc_dim cg_hoist_chunk_max(const glc_graph *g, const glc_node *n, glc_dim per_item) {
    int64_t t = glc_attr_int(n, GLC_ATTR_HOIST_STEPS, 1);
    if (t >= 1) return t;
    if (t == 0) return 1;
    return glc_dim_max(g, 1, glc_dim_floordiv(g, GLC_HOIST_BUDGET_FLOATS, per_item));
}

void cg_chunks_plan(const glc_graph *g, glc_dim total, glc_dim max, glc_dim *n_chunks,
                    glc_dim *len, glc_dim *last) {
    if (total == 0) {
        *n_chunks = *len = *last = 0;
        return;
    }
    *n_chunks = glc_dim_ceildiv(g, total, max);
    *len = glc_dim_ceildiv(g, total, *n_chunks);
    *last = glc_dim_sub(g, total, glc_dim_mul(g, glc_dim_sub(g, *n_chunks, 1), *len));
}
