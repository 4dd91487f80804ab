/*
 * dims.c -- symbolic dimensions (ir/dim.h) as LLVM values.
 *
 * A compiled model with symbols keeps their values in an i64 array (the `syms` of the
 * running call: an alloca of <prefix>_invoke's body, passed to every kernel as its last
 * parameter and captured by every task). cg_dim() emits a dim: a constant as itself, an
 * expression by its canonical form c0 + sum coef * prod atoms, the symbols loaded from
 * c->syms. For a graph without symbols every dim is a constant, so the code is what it
 * was before symbols existed.
 *
 * Each distinct expression is emitted once per function. A function whose symbols are
 * valid from its start (a kernel, a task's body, a Loop body, `run` after glc.bind) opens
 * a scope (cg_dims_hoist_begin): a block of its own right after the entry, which dominates
 * the rest of the function; cg_dim() emits each expression and each non-symbol atom there
 * the first time it is asked for and returns that value at every later use. Without that,
 * a dim such as `2*max(floor((floor((W + 1) / 2) + 1) / 2), ...)` was re-emitted at every
 * use (every workspace offset, every kernel loop bound), and PP-OCRv3's detector gave LLVM
 * 800k lines of IR. glc.bind, straight-line code that flags overflow, memoises its checked
 * dims at the builder (cg_dims_memo_begin) instead: each is computed and flagged once.
 * A function without a scope (plan, or one whose c->syms is not the scope's) gets the
 * expression at the builder position, as before.
 *
 * cg_dim() computes in plain (nsw) i64 arithmetic: the run-time check of the input dims
 * (model.c) has evaluated every value's size, every workspace offset and the workspace
 * size with cg_dim_checked() first, which flags overflow and non-positive divisors, so a
 * kernel's dims, all bounded by those sizes, cannot overflow. Nothing cg_dim() emits can
 * trap (a divisor <= 0 is replaced by 1), so computing a dim at a function's start that
 * only a guarded branch uses is safe.
 */
#include "cg_impl.h"

#include <stdlib.h>
#include <string.h>

/* The memo of one function: values of expressions (key: the glc_dim, negative) and of
 * atoms (key: the atom id, non-negative), in an open-addressing table. */
typedef struct dim_slot {
    int64_t key;
    LLVMValueRef v; /* NULL: empty */
} dim_slot;

typedef struct cg_dim_scope {
    const glc_graph *g;
    LLVMValueRef fn, syms;
    LLVMBuilderRef b; /* before the branch that ends the scope's block; NULL: memo at the
                       * builder (checked straight-line code) */
    bool checked;
    dim_slot *slot;
    uint32_t cap, n;
} cg_dim_scope;

struct cg_dim_scopes {
    cg_dim_scope *s; /* a stack: the innermost function last */
    int n, cap;
};

static uint32_t slot_hash(int64_t key, uint32_t cap) {
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32) & (cap - 1);
}

static LLVMValueRef memo_get(const cg_dim_scope *s, int64_t key) {
    if (!s || !s->cap) return NULL;
    for (uint32_t i = slot_hash(key, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slot[i].v) return NULL;
        if (s->slot[i].key == key) return s->slot[i].v;
    }
}

/* Records key -> v; on OOM it records nothing (the value is then emitted again). */
static void memo_put(cg_dim_scope *s, int64_t key, LLVMValueRef v) {
    if (!s) return;
    if (2 * (s->n + 1) > s->cap) {
        uint32_t cap = s->cap ? 2 * s->cap : 64;
        dim_slot *t = calloc(cap, sizeof *t);
        if (!t) return;
        for (uint32_t k = 0; k < s->cap; k++) {
            if (!s->slot[k].v) continue;
            uint32_t i = slot_hash(s->slot[k].key, cap);
            while (t[i].v)
                i = (i + 1) & (cap - 1);
            t[i] = s->slot[k];
        }
        free(s->slot);
        s->slot = t;
        s->cap = cap;
    }
    uint32_t i = slot_hash(key, s->cap);
    while (s->slot[i].v)
        i = (i + 1) & (s->cap - 1);
    s->slot[i] = (dim_slot){key, v};
    s->n++;
}

static LLVMValueRef current_fn(cg_ctx *c) {
    LLVMBasicBlockRef bb = LLVMGetInsertBlock(c->b);
    return bb ? LLVMGetBasicBlockParent(bb) : NULL;
}

glc_status cg_dims_init(cg_ctx *c) {
    c->dscopes = calloc(1, sizeof *c->dscopes);
    return c->dscopes ? GLC_OK : glc_diag_set(c->d, GLC_E_NOMEM, NULL, "out of memory");
}

static bool push_scope(cg_ctx *c, cg_dim_scope s) {
    struct cg_dim_scopes *ss = c->dscopes;
    if (!ss) return false;
    if (ss->n == ss->cap) {
        int cap = ss->cap ? 2 * ss->cap : 8;
        cg_dim_scope *t = realloc(ss->s, (size_t)cap * sizeof *t);
        if (!t) return false;
        ss->s = t;
        ss->cap = cap;
    }
    ss->s[ss->n++] = s;
    return true;
}

void cg_dims_hoist_begin(cg_ctx *c) {
    LLVMValueRef fn = current_fn(c);
    if (!cg_symbolic(c) || !c->syms || !fn) return;
    LLVMBasicBlockRef dims = LLVMAppendBasicBlockInContext(c->ctx, fn, "dims");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "body");
    LLVMBuildBr(c->b, dims);
    LLVMPositionBuilderAtEnd(c->b, dims);
    LLVMValueRef br = LLVMBuildBr(c->b, body);
    LLVMPositionBuilderAtEnd(c->b, body);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMPositionBuilderBefore(b, br);
    if (!push_scope(c, (cg_dim_scope){.g = c->g, .fn = fn, .syms = c->syms, .b = b}))
        LLVMDisposeBuilder(b);
}

void cg_dims_memo_begin(cg_ctx *c) {
    LLVMValueRef fn = current_fn(c);
    if (!cg_symbolic(c) || !c->syms || !fn) return;
    push_scope(c, (cg_dim_scope){.g = c->g, .fn = fn, .syms = c->syms, .checked = true});
}

static void scope_fini(cg_dim_scope *s) {
    if (s->b) LLVMDisposeBuilder(s->b);
    free(s->slot);
}

void cg_dims_end(cg_ctx *c) {
    struct cg_dim_scopes *ss = c->dscopes;
    LLVMValueRef fn = current_fn(c);
    for (int i = ss ? ss->n - 1 : -1; i >= 0; i--) {
        if (ss->s[i].fn != fn) continue;
        scope_fini(&ss->s[i]);
        memmove(&ss->s[i], &ss->s[i + 1], (size_t)(ss->n - i - 1) * sizeof *ss->s);
        ss->n--;
        return;
    }
}

void cg_dims_fini(cg_ctx *c) {
    struct cg_dim_scopes *ss = c->dscopes;
    if (!ss) return;
    for (int i = 0; i < ss->n; i++)
        scope_fini(&ss->s[i]);
    free(ss->s);
    free(ss);
    c->dscopes = NULL;
}

/* The scope of the function at the builder, for these symbols and this graph. */
static cg_dim_scope *find_scope(cg_ctx *c) {
    struct cg_dim_scopes *ss = c->dscopes;
    if (!ss || !ss->n || !c->syms) return NULL;
    LLVMValueRef fn = current_fn(c);
    for (int i = ss->n - 1; i >= 0; i--)
        if (ss->s[i].fn == fn && ss->s[i].syms == c->syms && ss->s[i].g == c->g) return &ss->s[i];
    return NULL;
}

typedef struct dim_eval {
    cg_ctx *c;
    LLVMValueRef *bad;   /* i1 accumulator, or NULL: unchecked */
    cg_dim_scope *memo;  /* the function's memo, or NULL */
    cg_dim_scope local;  /* without one: this call's, for the atoms (shared subexpressions
                          * are emitted once, not once per path to them) */
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
    if (a->kind == GLC_DA_SYM && !e->memo) return atom_value(e, a); /* a load: no memo */
    cg_dim_scope *m = e->memo ? e->memo : &e->local;
    LLVMValueRef v = memo_get(m, id);
    if (v) return v;
    v = atom_value(e, a);
    memo_put(m, id, v);
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

static LLVMValueRef eval_expr(dim_eval *e, glc_dim d) {
    cg_ctx *c = e->c;
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

static LLVMValueRef eval(dim_eval *e, glc_dim d) {
    if (glc_dim_is_const(d)) return cg_i64(e->c, d);
    LLVMValueRef v = memo_get(e->memo, d);
    if (v) return v;
    v = eval_expr(e, d);
    memo_put(e->memo, d, v);
    return v;
}

static LLVMValueRef dim_value(cg_ctx *c, glc_dim d, LLVMValueRef *bad) {
    if (glc_dim_is_const(d)) return cg_i64(c, d);
    dim_eval e = {.c = c, .bad = bad, .memo = find_scope(c)};
    if (e.memo && e.memo->checked != (bad != NULL)) e.memo = NULL;
    LLVMBuilderRef at = c->b;
    if (e.memo && e.memo->b) c->b = e.memo->b;
    LLVMValueRef v = eval(&e, d);
    c->b = at;
    free(e.local.slot);
    return v;
}

LLVMValueRef cg_dim(cg_ctx *c, glc_dim d) {
    return dim_value(c, d, NULL);
}

LLVMValueRef cg_dim_checked(cg_ctx *c, glc_dim d, LLVMValueRef *bad) {
    return dim_value(c, d, bad);
}

bool cg_symbolic(const cg_ctx *c) {
    return c->g && glc_graph_root(c->g)->n_syms > 0;
}
