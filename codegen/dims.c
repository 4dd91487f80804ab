/*
 * dims.c -- symbolic dimensions (ir/dim.h) as LLVM values.
 *
 * A compiled model with symbols keeps their values in an i64 array (the `syms` of the
 * running call: an alloca of <prefix>_invoke's body, passed to every kernel as its last
 * parameter and captured by every task). cg_dim() emits a dim at the builder position: a
 * constant as itself, an expression by its canonical form c0 + sum coef * prod atoms, the
 * symbols loaded from c->syms. For a graph without symbols every dim is a constant, so the
 * code is what it was before symbols existed.
 *
 * cg_dim() computes in plain (nsw) i64 arithmetic: the run-time check of the input dims
 * (model.c) has evaluated every value's size, every workspace offset and the workspace
 * size with cg_dim_checked() first, which flags overflow and non-positive divisors, so a
 * kernel's dims, all bounded by those sizes, cannot overflow.
 */
#include "cg_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct dim_eval {
    cg_ctx *c;
    LLVMValueRef *bad;   /* i1 accumulator, or NULL: unchecked */
    LLVMValueRef *atoms; /* by atom id, those emitted so far (straight-line code, so each
                          * dominates the rest): shared subexpressions are emitted once,
                          * not once per path to them; NULL until needed, or on OOM */
    bool tried;
} dim_eval;

static LLVMValueRef eval(dim_eval *e, glc_dim d);

/* a op b with overflow flagged into *bad (checked) or nsw (unchecked). */
static LLVMValueRef arith(dim_eval *e, char op, LLVMValueRef a, LLVMValueRef b) {
    cg_ctx *c = e->c;
    if (!e->bad)
        return op == '+' ? LLVMBuildNSWAdd(c->b, a, b, "") : LLVMBuildNSWMul(c->b, a, b, "");
    const char *name = op == '+' ? "llvm.sadd.with.overflow" : "llvm.smul.with.overflow";
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef ov[1] = {c->i64};
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->mod, id, ov, 1);
    LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, ov, 1);
    LLVMValueRef args[2] = {a, b};
    LLVMValueRef r = LLVMBuildCall2(c->b, ft, fn, args, 2, "");
    *e->bad = LLVMBuildOr(c->b, *e->bad, LLVMBuildExtractValue(c->b, r, 1, ""), "");
    return LLVMBuildExtractValue(c->b, r, 0, "");
}

/* floor(a / b); a divisor <= 0 is flagged (checked) and replaced by 1. */
static LLVMValueRef floordiv(dim_eval *e, LLVMValueRef a, LLVMValueRef b) {
    cg_ctx *c = e->c;
    LLVMValueRef one = cg_i64(c, 1), zero = cg_i64(c, 0);
    LLVMValueRef bad = LLVMBuildICmp(c->b, LLVMIntSLE, b, zero, "");
    if (e->bad) *e->bad = LLVMBuildOr(c->b, *e->bad, bad, "");
    b = LLVMBuildSelect(c->b, bad, one, b, "");
    LLVMValueRef q = LLVMBuildSDiv(c->b, a, b, ""), r = LLVMBuildSRem(c->b, a, b, "");
    LLVMValueRef adj = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntNE, r, zero, ""),
                                    LLVMBuildICmp(c->b, LLVMIntSLT, a, zero, ""), "");
    return LLVMBuildSub(c->b, q, LLVMBuildZExt(c->b, adj, c->i64, ""), "");
}

static LLVMValueRef atom_value(dim_eval *e, const glc_dim_atom *a);

static LLVMValueRef atom(dim_eval *e, uint32_t id) {
    const glc_dim_atom *a = glc_dim_get_atom(e->c->g, id);
    if (a->kind == GLC_DA_SYM) return atom_value(e, a); /* a load: not worth a memo */
    if (!e->tried) {
        e->tried = true;
        e->atoms = calloc(glc_dim_n_atoms(e->c->g), sizeof *e->atoms);
    }
    if (e->atoms && e->atoms[id]) return e->atoms[id];
    LLVMValueRef v = atom_value(e, a);
    if (e->atoms) e->atoms[id] = v;
    return v;
}

static LLVMValueRef atom_value(dim_eval *e, const glc_dim_atom *a) {
    cg_ctx *c = e->c;
    if (a->kind == GLC_DA_SYM)
        return LLVMBuildLoad2(c->b, c->i64, cg_gep(c, c->i64, c->syms, cg_i64(c, a->sym)), "");
    LLVMValueRef x = eval(e, a->a), y = eval(e, a->b), neg;
    switch (a->kind) {
    case GLC_DA_SYM: break;
    case GLC_DA_FLOORDIV: return floordiv(e, x, y);
    case GLC_DA_CEILDIV: /* -floor(-x / y) */
        neg = LLVMBuildNeg(c->b, x, "");
        return LLVMBuildNeg(c->b, floordiv(e, neg, y), "");
    case GLC_DA_MOD:
        return LLVMBuildSub(c->b, x, LLVMBuildMul(c->b, y, floordiv(e, x, y), ""), "");
    case GLC_DA_MAX:
        return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, x, y, ""), x, y, "");
    case GLC_DA_MIN:
        return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, x, y, ""), x, y, "");
    }
    return cg_i64(c, 0);
}

static LLVMValueRef eval(dim_eval *e, glc_dim d) {
    cg_ctx *c = e->c;
    if (glc_dim_is_const(d)) return cg_i64(c, d);
    const glc_dim_expr *x = glc_dim_get_expr(c->g, d);
    LLVMValueRef s = NULL;
    for (uint32_t i = 0; x && i < x->n_terms; i++) {
        const glc_dim_term *t = &x->terms[i];
        LLVMValueRef p = NULL;
        for (uint32_t k = 0; k < t->deg; k++) {
            LLVMValueRef v = atom(e, t->atoms[k]);
            p = p ? arith(e, '*', p, v) : v;
        }
        if (t->coef != 1) p = arith(e, '*', p, cg_i64(c, t->coef));
        s = s ? arith(e, '+', s, p) : p;
    }
    if (!s) return cg_i64(c, x ? x->c0 : 0);
    return x->c0 ? arith(e, '+', s, cg_i64(c, x->c0)) : s;
}

LLVMValueRef cg_dim(cg_ctx *c, glc_dim d) {
    dim_eval e = {.c = c};
    LLVMValueRef v = eval(&e, d);
    free(e.atoms);
    return v;
}

LLVMValueRef cg_dim_checked(cg_ctx *c, glc_dim d, LLVMValueRef *bad) {
    dim_eval e = {.c = c, .bad = bad};
    LLVMValueRef v = eval(&e, d);
    free(e.atoms);
    return v;
}

bool cg_symbolic(const cg_ctx *c) {
    return c->g && glc_graph_root(c->g)->n_syms > 0;
}
