/*
 * bcast.c -- the loop nest of an elementwise kernel: the output's elements in row-major
 * order, and for each operand the element numpy broadcasting maps there.
 *
 * cg_bcast_plan() gives every operand its strides aligned to the output's trailing dims
 * (0 where it broadcasts: a size-1 or missing dim), then simplifies the nest: size-1 output
 * dims are dropped and two adjacent dims merge whenever every operand (and the output)
 * steps through them as through one dim (stride of the outer = stride of the inner * its
 * extent). A same-shape op is then one flat loop, and a bias over the last dim two loops;
 * the innermost loop is contiguous or a splat for every operand, so it vectorizes.
 *
 * This is the one place an elementwise kernel reads dims. They may be symbolic (ir/dim.h):
 * extents and strides are dims, compared as interned expressions when merging (B*T*64 is
 * one dim of B*T rows of 64), and become run-time values (cg_dim) in the loops.
 */
#include "cg_impl.h"

#include <string.h>

/* Strides of v (row-major) aligned to an output o, 0 on broadcast dims; rb[i]: v's dim
 * where it is symbolic and differs from the output's (it may be 1 at run time), else 0. */
static void aligned_strides(const glc_graph *g, const glc_value *v, const glc_value *o,
                            glc_dim *s, glc_dim *rb) {
    glc_dim st[GLC_MAX_RANK];
    int r = o->rank;
    glc_dim_strides(g, v->rank, v->dims, st);
    for (int i = 0; i < r; i++) {
        int j = i - (r - v->rank);
        s[i] = (j < 0 || v->dims[j] == 1) ? 0 : st[j];
        rb[i] = j >= 0 && glc_dim_is_sym(v->dims[j]) && v->dims[j] != o->dims[i] ? v->dims[j] : 0;
    }
}

/* Whether dims i (outer) and i + 1 can be one loop for every operand. */
static bool mergeable(const glc_graph *g, const cg_bcast *p, int i) {
    for (int k = 0; k <= p->n; k++)
        if (p->present[k] && (p->rb[k][i] || p->rb[k][i + 1] ||
                              p->st[k][i] != glc_dim_mul(g, p->st[k][i + 1], p->dims[i + 1])))
            return false;
    return true;
}

/* Removes dim i of the nest (its index is always 0, or it folds into its neighbour). */
static void drop_dim(cg_bcast *p, int i) {
    for (int j = i; j + 1 < p->rank; j++) {
        p->dims[j] = p->dims[j + 1];
        for (int k = 0; k <= p->n; k++) {
            p->st[k][j] = p->st[k][j + 1];
            p->rb[k][j] = p->rb[k][j + 1];
        }
    }
    p->rank--;
}

void cg_bcast_plan(const cg_ctx *c, cg_bcast *p, const glc_value *o, const glc_value *const *v,
                   int n) {
    const glc_graph *g = c->g;
    memset(p, 0, sizeof *p);
    p->n = n;
    p->rank = o->rank;
    memcpy(p->dims, o->dims, sizeof p->dims[0] * (size_t)o->rank);
    p->present[0] = true;
    glc_dim_strides(g, o->rank, o->dims, p->st[0]);
    for (int k = 0; k < n; k++) {
        p->present[1 + k] = v[k] != NULL;
        if (v[k]) aligned_strides(g, v[k], o, p->st[1 + k], p->rb[1 + k]);
    }
    for (int i = p->rank - 1; i >= 0; i--)
        if (p->dims[i] == 1) drop_dim(p, i);
    for (int i = p->rank - 2; i >= 0; i--)
        if (mergeable(g, p, i)) { /* one dim of both extents, stepping like the inner one */
            p->dims[i + 1] = glc_dim_mul(g, p->dims[i + 1], p->dims[i]);
            drop_dim(p, i);
        }
}

/* Operand k's stride along loop d: a dim that may be 1 at run time steps by 0 then. */
static LLVMValueRef stride(cg_ctx *c, const cg_bcast *p, int k, int d) {
    LLVMValueRef st = cg_dim(c, p->st[k][d]);
    return p->rb[k][d] ? cg_bcast_stride(c, p->rb[k][d], p->dims[d], st) : st;
}

static void nest(cg_ctx *c, const cg_bcast *p, int d, LLVMValueRef *idx, cg_bcast_body body,
                 void *ctx) {
    if (d == p->rank) {
        body(c, ctx, idx);
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, cg_dim(c, p->dims[d]));
    LLVMValueRef inner[CG_BCAST_MAX + 1];
    for (int k = 0; k <= p->n; k++)
        inner[k] = p->present[k] ? cg_madd_v(c, i, stride(c, p, k, d), idx[k]) : NULL;
    nest(c, p, d + 1, inner, body, ctx);
    cg_loop_end(c, &l);
}

void cg_bcast_emit(cg_ctx *c, const cg_bcast *p, cg_bcast_body body, void *ctx) {
    LLVMValueRef idx[CG_BCAST_MAX + 1];
    for (int k = 0; k <= p->n; k++)
        idx[k] = p->present[k] ? cg_i64(c, 0) : NULL;
    nest(c, p, 0, idx, body, ctx);
}
