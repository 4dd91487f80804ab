/*
 * dim.c -- symbolic dimensions: symbols, canonical interned expressions, constraints
 * (the model is in dim.h).
 *
 * Canonical form. An expression is c0 + sum of terms coef * monomial, a monomial being a
 * sorted list of atom ids (with repeats: B*B), the terms sorted by (degree, atoms) with
 * distinct monomials and non-zero coefficients. Atoms are interned too (a symbol, or a
 * function of two interned dims), so an expression's canonical bytes identify it and a
 * hash table maps them to its id. Arithmetic works on a scratch polynomial (poly) and
 * interns the result; a result without terms is returned as the constant.
 *
 * Bounds. Every symbol is taken to lie in [1, its --max-dim, else GLC_DIM_SYM_MAX] (the
 * planning call checks it); interval arithmetic over those ranges decides max/min and
 * the requirements, so max(T - 1, 0) is T - 1 and min(T, 2^63 - 1) is T.
 *
 * Division by a positive constant b splits the dividend into the terms whose coefficient
 * b divides (divided exactly) and the rest r: floor((b*q + r) / b) = q + floor(r / b), with
 * c0 reduced modulo b first, so floor((2*T + 3) / 2) becomes T + 1 + floor(1 / 2) = T + 1
 * and floor((W + 1) / 2) stays an atom. Division by a symbolic expression is exact when
 * the divisor is one term dividing every term of the dividend, else an atom.
 */
#include "ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The graph whose tables hold g's symbols and expressions: its root (a Loop body has none
 * of its own). */
static inline glc_graph *rt(const glc_graph *g) {
    return glc_graph_root(g);
}

/* The table is reached through the graph's pointer and never moves, so the arithmetic
 * takes a const graph: interning is memoisation, not a change of the graph. Term arrays
 * live in malloc'ed chunks the table owns. */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    glc_dim_term terms[];
} chunk;

struct glc_dim_table {
    glc_dim_expr *exprs; /* exprs[0] is unused: id 0 is GLC_DIM_ERR */
    uint32_t n_exprs, cap_exprs;
    glc_dim_atom *atoms;
    uint32_t n_atoms, cap_atoms;
    uint32_t *eslot, *aslot; /* open addressing: id + 1, 0 = empty */
    uint32_t ecap, acap;
    chunk *chunks;
    bool error; /* sticky: see glc_dim_failed */
    glc_dim_constraint *cons;
    uint32_t n_cons, cap_cons;
    char **strs; /* the constraints' strings, owned */
    uint32_t n_strs, cap_strs;
    /* atom ranges (range_of), memoised by atom id: without it a chain of maxima of
     * offsets sharing subexpressions takes exponential time. Valid for the symbols'
     * bounds hashed in memo_bounds. */
    int64_t (*memo)[2];
    uint8_t *memo_ok;
    uint32_t cap_memo;
    uint64_t memo_bounds;
};

/* ---- overflow-checked int64 arithmetic ------------------------------------------- */

static bool add_ok(int64_t a, int64_t b, int64_t *r) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return false;
    *r = a + b;
    return true;
}

static bool mul_ok(int64_t a, int64_t b, int64_t *r) {
    if (a == 0 || b == 0) {
        *r = 0;
        return true;
    }
    if ((a == -1 && b == INT64_MIN) || (b == -1 && a == INT64_MIN)) return false;
    int64_t p = (int64_t)((uint64_t)a * (uint64_t)b);
    if (p / b != a) return false;
    *r = p;
    return true;
}

static int64_t floor_div(int64_t a, int64_t b) { /* b > 0 */
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b) { /* b > 0 */
    int64_t m = a % b;
    return m < 0 ? m + b : m;
}

/* ---- the table ---------------------------------------------------------------------- */

static glc_dim fail(const glc_graph *g) {
    if (rt(g)->dimtab) rt(g)->dimtab->error = true;
    return GLC_DIM_ERR;
}

bool glc_dim_failed(const glc_graph *g) {
    return !rt(g)->dimtab || rt(g)->dimtab->error;
}

void glc_dim_clear_error(const glc_graph *g) {
    if (rt(g)->dimtab) rt(g)->dimtab->error = false;
}

struct glc_dim_table *glc_dim_table_create(void) {
    return calloc(1, sizeof(struct glc_dim_table));
}

void glc_dim_table_destroy(struct glc_dim_table *t) {
    if (!t) return;
    for (chunk *c = t->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    for (uint32_t i = 0; i < t->n_strs; i++)
        free(t->strs[i]);
    free(t->strs);
    free(t->cons);
    free(t->exprs);
    free(t->atoms);
    free(t->memo);
    free(t->memo_ok);
    free(t->eslot);
    free(t->aslot);
    free(t);
}

static bool grow_array(void **p, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return true;
    uint32_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > (1u << 30)) return false;
        n *= 2;
    }
    void *q = realloc(*p, (size_t)n * elem);
    if (!q) return false;
    *p = q;
    *cap = n;
    return true;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static uint64_t expr_hash(int64_t c0, uint32_t n, const glc_dim_term *t) {
    uint64_t h = fnv(1469598103934665603ull, &c0, sizeof c0);
    for (uint32_t i = 0; i < n; i++) {
        h = fnv(h, &t[i].coef, sizeof t[i].coef);
        h = fnv(h, &t[i].deg, sizeof t[i].deg);
        h = fnv(h, t[i].atoms, t[i].deg * sizeof t[i].atoms[0]);
    }
    return h;
}

static bool term_eq(const glc_dim_term *a, const glc_dim_term *b) {
    return a->coef == b->coef && a->deg == b->deg &&
           !memcmp(a->atoms, b->atoms, a->deg * sizeof a->atoms[0]);
}

static bool expr_eq(const glc_dim_expr *e, int64_t c0, uint32_t n, const glc_dim_term *t) {
    if (e->c0 != c0 || e->n_terms != n) return false;
    for (uint32_t i = 0; i < n; i++)
        if (!term_eq(&e->terms[i], &t[i])) return false;
    return true;
}

/* Rebuilds an open-addressing index of the ids [first, count) (slots hold id + 1). */
static bool rehash(uint32_t **slot, uint32_t *cap, uint32_t first, uint32_t count,
                   uint64_t (*hash)(void *, uint32_t), void *ctx) {
    uint32_t n = *cap ? *cap * 2 : 64;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) return false;
    for (uint32_t id = first; id < count; id++) {
        uint32_t i = (uint32_t)hash(ctx, id) & (n - 1);
        while (s[i]) i = (i + 1) & (n - 1);
        s[i] = id + 1;
    }
    free(*slot);
    *slot = s;
    *cap = n;
    return true;
}

static uint64_t expr_hash_id(void *ctx, uint32_t id) {
    const glc_dim_expr *e = &((struct glc_dim_table *)ctx)->exprs[id];
    return expr_hash(e->c0, e->n_terms, e->terms);
}

static uint64_t atom_hash(const glc_dim_atom *a) {
    uint64_t h = fnv(1469598103934665603ull, &a->kind, sizeof a->kind);
    h = fnv(h, &a->sym, sizeof a->sym);
    h = fnv(h, &a->a, sizeof a->a);
    return fnv(h, &a->b, sizeof a->b);
}

static uint64_t atom_hash_id(void *ctx, uint32_t id) {
    return atom_hash(&((struct glc_dim_table *)ctx)->atoms[id]);
}

/* n terms copied into the table's chunks; NULL on OOM. */
static glc_dim_term *store_terms(struct glc_dim_table *T, const glc_dim_term *t, uint32_t n) {
    chunk *c = T->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 256 ? n : 256;
        c = malloc(sizeof *c + cap * sizeof c->terms[0]);
        if (!c) return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = T->chunks;
        T->chunks = c;
    }
    glc_dim_term *dst = c->terms + c->used;
    memcpy(dst, t, n * sizeof *t);
    c->used += n;
    return dst;
}

/* The id of the expression (c0, terms), made if new; 0 on OOM. */
static uint32_t intern_expr(const glc_graph *g, int64_t c0, uint32_t n, const glc_dim_term *t) {
    struct glc_dim_table *T = rt(g)->dimtab;
    if (!T) return 0;
    if (T->n_exprs == 0) T->n_exprs = 1;
    if (2 * (T->n_exprs + 1) > T->ecap &&
        !rehash(&T->eslot, &T->ecap, 1, T->n_exprs, expr_hash_id, T))
        return 0;
    uint32_t i = (uint32_t)expr_hash(c0, n, t) & (T->ecap - 1);
    for (; T->eslot[i]; i = (i + 1) & (T->ecap - 1))
        if (expr_eq(&T->exprs[T->eslot[i] - 1], c0, n, t)) return T->eslot[i] - 1;
    if (T->n_exprs >= (uint32_t)1 << 31 ||
        !grow_array((void **)&T->exprs, &T->cap_exprs, T->n_exprs + 1, sizeof *T->exprs))
        return 0;
    glc_dim_term *copy = store_terms(T, t, n);
    if (!copy) return 0;
    uint32_t id = T->n_exprs++;
    T->exprs[id] = (glc_dim_expr){.c0 = c0, .n_terms = n, .terms = copy};
    T->eslot[i] = id + 1;
    return id;
}

/* The id of atom a, made if new; UINT32_MAX on OOM. */
static uint32_t intern_atom(const glc_graph *g, const glc_dim_atom *a) {
    struct glc_dim_table *T = rt(g)->dimtab;
    if (!T) return UINT32_MAX;
    if (2 * (T->n_atoms + 1) > T->acap &&
        !rehash(&T->aslot, &T->acap, 0, T->n_atoms, atom_hash_id, T))
        return UINT32_MAX;
    uint32_t i = (uint32_t)atom_hash(a) & (T->acap - 1);
    for (; T->aslot[i]; i = (i + 1) & (T->acap - 1)) {
        const glc_dim_atom *o = &T->atoms[T->aslot[i] - 1];
        if (o->kind == a->kind && o->sym == a->sym && o->a == a->a && o->b == a->b)
            return T->aslot[i] - 1;
    }
    if (!grow_array((void **)&T->atoms, &T->cap_atoms, T->n_atoms + 1, sizeof *T->atoms))
        return UINT32_MAX;
    uint32_t id = T->n_atoms++;
    T->atoms[id] = *a;
    T->aslot[i] = id + 1;
    return id;
}

const glc_dim_expr *glc_dim_get_expr(const glc_graph *g, glc_dim d) {
    if (glc_dim_is_const(d) || !rt(g)->dimtab) return NULL;
    uint64_t id = (uint64_t)(d - GLC_DIM_EXPR_BASE);
    return id > 0 && id < rt(g)->dimtab->n_exprs ? &rt(g)->dimtab->exprs[id] : NULL;
}

uint32_t glc_dim_n_atoms(const glc_graph *g) {
    return rt(g)->dimtab ? rt(g)->dimtab->n_atoms : 0;
}

const glc_dim_atom *glc_dim_get_atom(const glc_graph *g, uint32_t atom) {
    return rt(g)->dimtab && atom < rt(g)->dimtab->n_atoms ? &rt(g)->dimtab->atoms[atom] : NULL;
}

/* ---- scratch polynomials --------------------------------------------------------- */

#define POLY_MAX_TERMS 64

typedef struct poly {
    int64_t c0;
    uint32_t n;
    glc_dim_term t[POLY_MAX_TERMS];
    bool bad; /* overflow or too many terms/degree */
} poly;

static int term_cmp(const void *pa, const void *pb) {
    const glc_dim_term *a = pa, *b = pb;
    if (a->deg != b->deg) return a->deg < b->deg ? -1 : 1;
    for (uint32_t i = 0; i < a->deg; i++)
        if (a->atoms[i] != b->atoms[i]) return a->atoms[i] < b->atoms[i] ? -1 : 1;
    return 0;
}

static bool same_monomial(const glc_dim_term *a, const glc_dim_term *b) {
    return a->deg == b->deg && !memcmp(a->atoms, b->atoms, a->deg * sizeof a->atoms[0]);
}

/* p += coef * monomial(m) (m's own coef ignored). */
static void poly_add_term(poly *p, int64_t coef, const glc_dim_term *m) {
    if (coef == 0) return;
    for (uint32_t i = 0; i < p->n; i++)
        if (same_monomial(&p->t[i], m)) {
            if (!add_ok(p->t[i].coef, coef, &p->t[i].coef)) p->bad = true;
            return;
        }
    if (p->n == POLY_MAX_TERMS) {
        p->bad = true;
        return;
    }
    p->t[p->n] = *m;
    p->t[p->n++].coef = coef;
}

static bool poly_of(const glc_graph *g, glc_dim d, poly *p) {
    p->n = 0;
    p->bad = false;
    if (glc_dim_is_const(d)) {
        p->c0 = d;
        return true;
    }
    const glc_dim_expr *e = glc_dim_get_expr(g, d);
    if (!e || e->n_terms > POLY_MAX_TERMS) return false;
    p->c0 = e->c0;
    p->n = e->n_terms;
    memcpy(p->t, e->terms, e->n_terms * sizeof *e->terms);
    return true;
}

/* The dim of p: the constant when p has no terms, else the interned expression. */
static glc_dim poly_dim(const glc_graph *g, poly *p) {
    if (p->bad) return fail(g);
    uint32_t k = 0;
    for (uint32_t i = 0; i < p->n; i++)
        if (p->t[i].coef) p->t[k++] = p->t[i];
    p->n = k;
    if (!k) return p->c0 >= GLC_DIM_EXPR_LIMIT ? p->c0 : fail(g);
    qsort(p->t, k, sizeof p->t[0], term_cmp);
    uint32_t id = intern_expr(g, p->c0, k, p->t);
    return id ? GLC_DIM_EXPR_BASE + (int64_t)id : fail(g);
}

/* r = a + s * b (s = 1 or -1). */
static void poly_axpy(poly *r, const poly *a, int64_t s, const poly *b) {
    *r = *a;
    int64_t c;
    if (!mul_ok(s, b->c0, &c) || !add_ok(r->c0, c, &r->c0)) r->bad = true;
    for (uint32_t i = 0; i < b->n; i++) {
        if (mul_ok(s, b->t[i].coef, &c)) poly_add_term(r, c, &b->t[i]);
        else r->bad = true; /* c was not set */
    }
    r->bad |= a->bad || b->bad;
}

/* m = monomial a * monomial b (sorted merge); false past the maximum degree. */
static bool mono_mul(const glc_dim_term *a, const glc_dim_term *b, glc_dim_term *m) {
    if (a->deg + b->deg > GLC_DIM_MAX_DEGREE) return false;
    uint32_t i = 0, j = 0, k = 0;
    while (i < a->deg || j < b->deg)
        m->atoms[k++] = (j >= b->deg || (i < a->deg && a->atoms[i] <= b->atoms[j]))
                            ? a->atoms[i++]
                            : b->atoms[j++];
    m->deg = k;
    return true;
}

static void poly_mul(poly *r, const poly *a, const poly *b) {
    r->n = 0;
    r->bad = a->bad || b->bad;
    if (!mul_ok(a->c0, b->c0, &r->c0)) r->bad = true;
    glc_dim_term one = {.deg = 0};
    for (uint32_t i = 0; i < a->n; i++) { /* a's terms * b.c0 */
        int64_t c;
        if (mul_ok(a->t[i].coef, b->c0, &c)) poly_add_term(r, c, &a->t[i]);
        else r->bad = true;
    }
    for (uint32_t j = 0; j < b->n; j++) {
        int64_t c;
        if (mul_ok(b->t[j].coef, a->c0, &c)) poly_add_term(r, c, &b->t[j]);
        else r->bad = true;
        for (uint32_t i = 0; i < a->n; i++) {
            glc_dim_term m = one;
            if (!mono_mul(&a->t[i], &b->t[j], &m) || !mul_ok(a->t[i].coef, b->t[j].coef, &c)) {
                r->bad = true;
                return;
            }
            poly_add_term(r, c, &m);
        }
    }
}

/* ---- symbols and atoms ------------------------------------------------------------- */

int glc_dim_find_symbol(const glc_graph *g, const char *name) {
    for (uint32_t i = 0; i < rt(g)->n_syms; i++)
        if (!strcmp(rt(g)->syms[i].name, name)) return (int)i;
    return -1;
}

static glc_dim atom_dim(const glc_graph *g, const glc_dim_atom *a) {
    uint32_t id = intern_atom(g, a);
    if (id == UINT32_MAX) return fail(g);
    poly p = {.c0 = 0, .n = 1};
    p.t[0] = (glc_dim_term){.coef = 1, .deg = 1, .atoms = {id}};
    return poly_dim(g, &p);
}

glc_dim glc_dim_symbol(glc_graph *g, const char *name) {
    int k = glc_dim_find_symbol(g, name);
    glc_graph *r = rt(g); /* a body's symbols are its root's, names in the root's arena */
    if (k < 0) {
        if (!grow_array((void **)&r->syms, &r->cap_syms, r->n_syms + 1, sizeof *r->syms))
            return fail(g);
        const char *copy = glc_arena_strdup(&r->arena, name);
        if (!copy) return fail(g);
        k = (int)r->n_syms++;
        r->syms[k] = (glc_symbol){.name = copy};
    }
    return atom_dim(g, &(glc_dim_atom){.kind = GLC_DA_SYM, .sym = (uint32_t)k});
}

int glc_dim_symbol_index(const glc_graph *g, glc_dim d) {
    const glc_dim_expr *e = glc_dim_get_expr(g, d);
    if (!e || e->c0 || e->n_terms != 1 || e->terms[0].coef != 1 || e->terms[0].deg != 1)
        return -1;
    const glc_dim_atom *a = glc_dim_get_atom(g, e->terms[0].atoms[0]);
    return a && a->kind == GLC_DA_SYM ? (int)a->sym : -1;
}

/* ---- arithmetic ----------------------------------------------------------------------- */

static glc_dim binop_poly(const glc_graph *g, glc_dim a, glc_dim b, int op) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_DIM_ERR;
    poly pa, pb, r;
    if (!poly_of(g, a, &pa) || !poly_of(g, b, &pb)) return fail(g);
    if (op == '*')
        poly_mul(&r, &pa, &pb);
    else
        poly_axpy(&r, &pa, op == '+' ? 1 : -1, &pb);
    return poly_dim(g, &r);
}

glc_dim glc_dim_add(const glc_graph *g, glc_dim a, glc_dim b) {
    return binop_poly(g, a, b, '+');
}

glc_dim glc_dim_sub(const glc_graph *g, glc_dim a, glc_dim b) {
    return binop_poly(g, a, b, '-');
}

glc_dim glc_dim_mul(const glc_graph *g, glc_dim a, glc_dim b) {
    return binop_poly(g, a, b, '*');
}

glc_dim glc_dim_prod(const glc_graph *g, const glc_dim *dims, int lo, int hi) {
    glc_dim p = 1;
    for (int i = lo; i < hi; i++)
        p = glc_dim_mul(g, p, dims[i]);
    return p;
}

void glc_dim_strides(const glc_graph *g, int rank, const glc_dim *dims, glc_dim *st) {
    glc_dim s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        st[i] = s;
        s = glc_dim_mul(g, s, dims[i]);
    }
}

/* The quotient of a by the one-term divisor b when b divides every term of a and a has
 * no constant; false otherwise. */
static bool exact_div(const poly *a, const poly *b, poly *q) {
    if (b->c0 || b->n != 1 || a->c0 || a->n == 0) return false;
    const glc_dim_term *d = &b->t[0];
    q->c0 = 0;
    q->n = 0;
    q->bad = false;
    for (uint32_t i = 0; i < a->n; i++) {
        const glc_dim_term *t = &a->t[i];
        if (t->coef % d->coef) return false;
        glc_dim_term m = {.deg = 0}; /* t's atoms minus d's (both sorted) */
        uint32_t j = 0;
        for (uint32_t k = 0; k < t->deg; k++)
            if (j < d->deg && t->atoms[k] == d->atoms[j])
                j++;
            else
                m.atoms[m.deg++] = t->atoms[k];
        if (j < d->deg) return false;
        poly_add_term(q, t->coef / d->coef, &m);
    }
    /* a term whose atoms were all divided out is a constant */
    for (uint32_t i = 0; i < q->n; i++)
        if (q->t[i].deg == 0) {
            q->c0 = q->t[i].coef;
            q->t[i].coef = 0;
        }
    return true;
}

static glc_dim func_atom(const glc_graph *g, glc_dim_atom_kind k, glc_dim a, glc_dim b) {
    return atom_dim(g, &(glc_dim_atom){.kind = k, .a = a, .b = b});
}

/* floor(a / b) for a constant b > 0 (see the file comment). */
static glc_dim floordiv_const(const glc_graph *g, const poly *a, int64_t b) {
    poly q = {.c0 = floor_div(a->c0, b)}, r = {.c0 = floor_mod(a->c0, b)};
    for (uint32_t i = 0; i < a->n; i++)
        if (a->t[i].coef % b == 0)
            poly_add_term(&q, a->t[i].coef / b, &a->t[i]);
        else
            poly_add_term(&r, a->t[i].coef, &a->t[i]);
    glc_dim qd = poly_dim(g, &q);
    if (r.n == 0) return qd; /* floor(r.c0 / b) = 0: 0 <= r.c0 < b */
    return glc_dim_add(g, qd, func_atom(g, GLC_DA_FLOORDIV, poly_dim(g, &r), b));
}

glc_dim glc_dim_floordiv(const glc_graph *g, glc_dim a, glc_dim b) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_DIM_ERR;
    if (glc_dim_is_const(b) && b <= 0) return fail(g);
    if (glc_dim_is_const(a) && glc_dim_is_const(b)) return floor_div(a, b);
    poly pa, pb, q;
    if (!poly_of(g, a, &pa) || !poly_of(g, b, &pb)) return fail(g);
    if (glc_dim_is_const(b)) return floordiv_const(g, &pa, b);
    if (exact_div(&pa, &pb, &q)) return poly_dim(g, &q);
    return func_atom(g, GLC_DA_FLOORDIV, a, b);
}

glc_dim glc_dim_ceildiv(const glc_graph *g, glc_dim a, glc_dim b) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_DIM_ERR;
    if (glc_dim_is_const(b)) {
        if (b <= 0) return fail(g);
        return glc_dim_floordiv(g, glc_dim_add(g, a, b - 1), b);
    }
    poly pa, pb, q;
    if (!poly_of(g, a, &pa) || !poly_of(g, b, &pb)) return fail(g);
    if (exact_div(&pa, &pb, &q)) return poly_dim(g, &q);
    return func_atom(g, GLC_DA_CEILDIV, a, b);
}

glc_dim glc_dim_mod(const glc_graph *g, glc_dim a, glc_dim b) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_DIM_ERR;
    if (glc_dim_is_const(b)) {
        if (b <= 0) return fail(g);
        if (glc_dim_is_const(a)) return floor_mod(a, b);
        return glc_dim_sub(g, a, glc_dim_mul(g, b, glc_dim_floordiv(g, a, b)));
    }
    poly pa, pb, q;
    if (!poly_of(g, a, &pa) || !poly_of(g, b, &pb)) return fail(g);
    if (exact_div(&pa, &pb, &q)) return 0;
    return func_atom(g, GLC_DA_MOD, a, b);
}

/* ---- bounds: interval arithmetic over the symbols' ranges ---------------------------- */

#define BOUND_INF ((int64_t)1 << 62) /* saturation: "unbounded" */

static int64_t sat(int64_t x) {
    return x > BOUND_INF ? BOUND_INF : x < -BOUND_INF ? -BOUND_INF : x;
}

static int64_t sat_add(int64_t a, int64_t b) {
    int64_t r; /* both within +-2^62, the sum within +-2^63: one step from overflow */
    if (!add_ok(a, b, &r)) return a > 0 ? BOUND_INF : -BOUND_INF;
    return sat(r);
}

static int64_t sat_mul(int64_t a, int64_t b) {
    int64_t r;
    if (!mul_ok(a, b, &r)) return (a < 0) != (b < 0) ? -BOUND_INF : BOUND_INF;
    return sat(r);
}

typedef struct range {
    int64_t lo, hi;
} range;

static range range_of(const glc_graph *g, glc_dim d);

static range mul_range(range a, range b) {
    int64_t c[4] = {sat_mul(a.lo, b.lo), sat_mul(a.lo, b.hi), sat_mul(a.hi, b.lo),
                    sat_mul(a.hi, b.hi)};
    range r = {c[0], c[0]};
    for (int i = 1; i < 4; i++) {
        if (c[i] < r.lo) r.lo = c[i];
        if (c[i] > r.hi) r.hi = c[i];
    }
    return r;
}

/* floor (or ceil) of a / b over the corners, for b >= 1. */
static range div_range(range a, range b, bool ceil) {
    if (b.lo < 1) return (range){-BOUND_INF, BOUND_INF};
    int64_t c[4] = {a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi}; /* truncated */
    range r = {c[0], c[0]};
    for (int i = 1; i < 4; i++) {
        if (c[i] < r.lo) r.lo = c[i];
        if (c[i] > r.hi) r.hi = c[i];
    }
    return (range){sat_add(r.lo, -1), sat_add(r.hi, ceil ? 1 : 0)}; /* floor/ceil slack */
}

static range atom_range_of(const glc_graph *g, const glc_dim_atom *a) {
    if (a->kind == GLC_DA_SYM) {
        int64_t mx = rt(g)->syms[a->sym].max;
        return (range){1, mx > 0 ? mx : GLC_DIM_SYM_MAX};
    }
    range x = range_of(g, a->a), y = range_of(g, a->b);
    switch (a->kind) {
    case GLC_DA_SYM: break;
    case GLC_DA_FLOORDIV: return div_range(x, y, false);
    case GLC_DA_CEILDIV: return div_range(x, y, true);
    case GLC_DA_MOD: return y.lo >= 1 ? (range){0, y.hi - 1} : (range){-BOUND_INF, BOUND_INF};
    case GLC_DA_MAX: return (range){x.lo > y.lo ? x.lo : y.lo, x.hi > y.hi ? x.hi : y.hi};
    case GLC_DA_MIN: return (range){x.lo < y.lo ? x.lo : y.lo, x.hi < y.hi ? x.hi : y.hi};
    }
    return (range){-BOUND_INF, BOUND_INF};
}

/* FNV-1a over the symbols' bounds: what atom ranges depend on. */
static uint64_t bounds_hash(const glc_graph *g) {
    const glc_graph *r = rt(g);
    uint64_t h = 1469598103934665603ull ^ r->n_syms;
    for (uint32_t i = 0; i < r->n_syms; i++) h = (h ^ (uint64_t)r->syms[i].max) * 1099511628211ull;
    return h;
}

/* The memo of table T, grown to its atoms and cleared if the bounds changed; false if it
 * cannot be (out of memory: ranges are then computed afresh). */
static bool memo_ready(const glc_graph *g, struct glc_dim_table *T) {
    uint64_t h = bounds_hash(g);
    if (h != T->memo_bounds && T->memo_ok) memset(T->memo_ok, 0, T->cap_memo);
    T->memo_bounds = h;
    if (T->n_atoms <= T->cap_memo) return true;
    uint32_t cap = T->n_atoms * 2;
    int64_t(*m)[2] = realloc(T->memo, cap * sizeof *m);
    if (!m) return false;
    T->memo = m;
    uint8_t *ok = realloc(T->memo_ok, cap);
    if (!ok) return false;
    memset(ok + T->cap_memo, 0, cap - T->cap_memo);
    T->memo_ok = ok;
    T->cap_memo = cap;
    return true;
}

static range atom_range(const glc_graph *g, uint32_t id) {
    struct glc_dim_table *T = rt(g)->dimtab;
    const glc_dim_atom *a = glc_dim_get_atom(g, id);
    if (!a) return (range){-BOUND_INF, BOUND_INF};
    if (a->kind == GLC_DA_SYM || !memo_ready(g, T)) return atom_range_of(g, a);
    if (T->memo_ok[id]) return (range){T->memo[id][0], T->memo[id][1]};
    range r = atom_range_of(g, a);
    T->memo[id][0] = r.lo, T->memo[id][1] = r.hi;
    T->memo_ok[id] = 1;
    return r;
}

static range range_of(const glc_graph *g, glc_dim d) {
    if (glc_dim_is_const(d)) return (range){sat(d), sat(d)};
    const glc_dim_expr *e = glc_dim_get_expr(g, d);
    if (!e) return (range){-BOUND_INF, BOUND_INF};
    range r = {sat(e->c0), sat(e->c0)};
    for (uint32_t i = 0; i < e->n_terms; i++) {
        range t = {e->terms[i].coef, e->terms[i].coef};
        for (uint32_t k = 0; k < e->terms[i].deg; k++)
            t = mul_range(t, atom_range(g, e->terms[i].atoms[k]));
        r.lo = sat_add(r.lo, t.lo);
        r.hi = sat_add(r.hi, t.hi);
    }
    return r;
}

bool glc_dim_nonneg(const glc_graph *g, glc_dim d) {
    return d != GLC_DIM_ERR && range_of(g, d).lo >= 0;
}

bool glc_dim_known_ge(const glc_graph *g, glc_dim a, glc_dim b) {
    if (a == b) return true;
    bool err = glc_dim_failed(g);
    glc_dim diff = glc_dim_sub(g, a, b);
    if (!err) glc_dim_clear_error(g); /* a failed proof is not an error */
    return diff != GLC_DIM_ERR && glc_dim_nonneg(g, diff);
}

static glc_dim minmax(const glc_graph *g, glc_dim a, glc_dim b, bool max) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_DIM_ERR;
    if (glc_dim_known_ge(g, a, b)) return max ? a : b;
    if (glc_dim_known_ge(g, b, a)) return max ? b : a;
    glc_dim lo = a < b ? a : b, hi = a < b ? b : a; /* commutative: one canonical order */
    return func_atom(g, max ? GLC_DA_MAX : GLC_DA_MIN, lo, hi);
}

glc_dim glc_dim_max(const glc_graph *g, glc_dim a, glc_dim b) {
    return minmax(g, a, b, true);
}

glc_dim glc_dim_min(const glc_graph *g, glc_dim a, glc_dim b) {
    return minmax(g, a, b, false);
}

bool glc_dims_symbolic(int rank, const glc_dim *dims) {
    for (int i = 0; i < rank; i++)
        if (glc_dim_is_sym(dims[i])) return true;
    return false;
}

/* ---- evaluation ------------------------------------------------------------------------ */

static bool eval(const glc_graph *g, glc_dim d, const int64_t *syms, int64_t *out);

static bool eval_atom(const glc_graph *g, const glc_dim_atom *a, const int64_t *syms,
                      int64_t *out) {
    int64_t x, y;
    if (a->kind == GLC_DA_SYM) {
        if (syms[a->sym] < 0) return false;
        *out = syms[a->sym];
        return true;
    }
    if (!eval(g, a->a, syms, &x) || !eval(g, a->b, syms, &y)) return false;
    switch (a->kind) {
    case GLC_DA_SYM: return false;
    case GLC_DA_FLOORDIV:
        if (y <= 0) return false;
        *out = floor_div(x, y);
        return true;
    case GLC_DA_CEILDIV:
        if (y <= 0) return false;
        *out = -floor_div(-x, y);
        return true;
    case GLC_DA_MOD:
        if (y <= 0) return false;
        *out = floor_mod(x, y);
        return true;
    case GLC_DA_MAX: *out = x > y ? x : y; return true;
    case GLC_DA_MIN: *out = x < y ? x : y; return true;
    }
    return false;
}

static bool eval(const glc_graph *g, glc_dim d, const int64_t *syms, int64_t *out) {
    if (glc_dim_is_const(d)) {
        *out = d;
        return true;
    }
    const glc_dim_expr *e = glc_dim_get_expr(g, d);
    if (!e) return false;
    int64_t s = e->c0;
    for (uint32_t i = 0; i < e->n_terms; i++) {
        int64_t t = e->terms[i].coef, v;
        for (uint32_t k = 0; k < e->terms[i].deg; k++)
            if (!eval_atom(g, glc_dim_get_atom(g, e->terms[i].atoms[k]), syms, &v) ||
                !mul_ok(t, v, &t))
                return false;
        if (!add_ok(s, t, &s)) return false;
    }
    *out = s;
    return true;
}

bool glc_dim_eval(const glc_graph *g, glc_dim d, const int64_t *syms, int64_t *out) {
    return eval(g, d, syms, out);
}

bool glc_dim_upper_bound(const glc_graph *g, glc_dim d, int64_t *out) {
    if (glc_dim_is_const(d)) {
        *out = d;
        return true;
    }
    int64_t *mx = malloc((rt(g)->n_syms ? rt(g)->n_syms : 1) * sizeof *mx);
    if (!mx) return false;
    for (uint32_t i = 0; i < rt(g)->n_syms; i++)
        mx[i] = rt(g)->syms[i].max > 0 ? rt(g)->syms[i].max : -1; /* -1: unbounded, eval fails */
    bool ok = eval(g, d, mx, out);
    free(mx);
    return ok;
}

/* ---- printing ------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, k;
} sbuf;

/* Appends fmt formatted with a if fmt takes a string (%s), else with n. The format picks
 * the argument, so a %s never gets the number (gcc -O3 flagged that branch). */
static void put(sbuf *s, const char *fmt, const char *a, long long n) {
    if (s->k >= s->len) return;
    int w = strstr(fmt, "%s") ? snprintf(s->p + s->k, s->len - s->k, fmt, a ? a : "")
                              : snprintf(s->p + s->k, s->len - s->k, fmt, n);
    if (w > 0) s->k += (size_t)w;
    if (s->k >= s->len) s->k = s->len - 1;
}

static void str_dim(const glc_graph *g, glc_dim d, sbuf *s, bool paren);

static void str_atom(const glc_graph *g, uint32_t id, sbuf *s) {
    const glc_dim_atom *a = glc_dim_get_atom(g, id);
    if (!a) {
        put(s, "?", NULL, 0);
        return;
    }
    static const char *const fn[] = {"", "floor", "ceil", "", "max", "min"};
    switch (a->kind) {
    case GLC_DA_SYM: put(s, "%s", rt(g)->syms[a->sym].name, 0); return;
    case GLC_DA_FLOORDIV:
    case GLC_DA_CEILDIV:
        put(s, "%s(", fn[a->kind], 0);
        str_dim(g, a->a, s, true);
        put(s, " / ", NULL, 0);
        str_dim(g, a->b, s, true);
        put(s, ")", NULL, 0);
        return;
    case GLC_DA_MOD:
        put(s, "(", NULL, 0);
        str_dim(g, a->a, s, true);
        put(s, " mod ", NULL, 0);
        str_dim(g, a->b, s, true);
        put(s, ")", NULL, 0);
        return;
    case GLC_DA_MAX:
    case GLC_DA_MIN:
        put(s, "%s(", fn[a->kind], 0);
        str_dim(g, a->a, s, false);
        put(s, ", ", NULL, 0);
        str_dim(g, a->b, s, false);
        put(s, ")", NULL, 0);
        return;
    }
}

static void str_dim(const glc_graph *g, glc_dim d, sbuf *s, bool paren) {
    if (d == GLC_DIM_ERR) {
        put(s, "<error>", NULL, 0);
        return;
    }
    if (glc_dim_is_const(d)) {
        put(s, "%lld", NULL, (long long)d);
        return;
    }
    const glc_dim_expr *e = glc_dim_get_expr(g, d);
    if (!e) {
        put(s, "?", NULL, 0);
        return;
    }
    bool sum = e->n_terms + (e->c0 != 0) > 1 || (e->n_terms == 1 && e->terms[0].coef < 0);
    if (paren && sum) put(s, "(", NULL, 0);
    for (uint32_t i = 0; i < e->n_terms; i++) {
        const glc_dim_term *t = &e->terms[i];
        int64_t c = t->coef;
        if (i) put(s, c < 0 ? " - " : " + ", NULL, 0);
        else if (c < 0) put(s, "-", NULL, 0);
        long long mag = c < 0 ? -(long long)c : (long long)c;
        if (mag != 1) put(s, "%lld*", NULL, mag);
        for (uint32_t k = 0; k < t->deg; k++) {
            if (k) put(s, "*", NULL, 0);
            str_atom(g, t->atoms[k], s);
        }
    }
    if (e->c0) put(s, e->c0 < 0 ? " - %lld" : " + %lld", NULL,
                   e->c0 < 0 ? -(long long)e->c0 : (long long)e->c0);
    if (paren && sum) put(s, ")", NULL, 0);
}

char *glc_dim_str(const glc_graph *g, glc_dim d, char *buf, size_t len) {
    if (!len) return buf;
    sbuf s = {.p = buf, .len = len};
    buf[0] = 0;
    str_dim(g, d, &s, false);
    return buf;
}

/* ---- constraints ----------------------------------------------------------------------- */

static const char *keep_str(struct glc_dim_table *T, const char *s) {
    if (!grow_array((void **)&T->strs, &T->cap_strs, T->n_strs + 1, sizeof *T->strs)) return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) T->strs[T->n_strs++] = memcpy(c, s, n);
    return c;
}

static int record(const glc_graph *g, glc_dim_rel rel, glc_dim a, glc_dim b,
                  const struct glc_node *n, const char *what) {
    struct glc_dim_table *T = rt(g)->dimtab;
    for (uint32_t i = 0; i < T->n_cons; i++)
        if (T->cons[i].rel == rel && T->cons[i].a == a && T->cons[i].b == b) return GLC_OK;
    if (!grow_array((void **)&T->cons, &T->cap_cons, T->n_cons + 1, sizeof *T->cons))
        return GLC_E_NOMEM;
    glc_dim_constraint *c = &T->cons[T->n_cons];
    c->rel = rel;
    c->a = a;
    c->b = b;
    c->node = keep_str(T, n && n->name ? n->name : "");
    c->what = keep_str(T, what ? what : "");
    if (!c->node || !c->what) return GLC_E_NOMEM;
    T->n_cons++;
    return GLC_OK;
}

const glc_dim_constraint *glc_dim_constraints(const glc_graph *g, uint32_t *n) {
    *n = rt(g)->dimtab ? rt(g)->dimtab->n_cons : 0;
    return rt(g)->dimtab ? rt(g)->dimtab->cons : NULL;
}

int glc_dim_require_eq(const glc_graph *g, glc_dim a, glc_dim b, const struct glc_node *n,
                       const char *what) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_E_SHAPE;
    if (a == b) return GLC_OK;
    if (glc_dim_is_const(a) && glc_dim_is_const(b)) return GLC_E_SHAPE;
    bool err = glc_dim_failed(g);
    glc_dim diff = glc_dim_sub(g, a, b);
    if (!err) glc_dim_clear_error(g);
    if (glc_dim_is_const(diff)) return GLC_E_SHAPE; /* a non-zero constant apart */
    return record(g, GLC_DIM_EQ, a, b, n, what);
}

int glc_dim_require_ge(const glc_graph *g, glc_dim a, glc_dim b, const struct glc_node *n,
                       const char *what) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_E_SHAPE;
    if (glc_dim_known_ge(g, a, b)) return GLC_OK;
    if (glc_dim_is_const(a) && glc_dim_is_const(b)) return GLC_E_SHAPE;
    bool err = glc_dim_failed(g);
    glc_dim below = glc_dim_sub(g, glc_dim_sub(g, b, a), 1); /* b - a - 1 >= 0: never */
    if (!err) glc_dim_clear_error(g);
    if (below != GLC_DIM_ERR && glc_dim_nonneg(g, below)) return GLC_E_SHAPE;
    return record(g, GLC_DIM_GE, a, b, n, what);
}

int glc_dim_require_bcast(const glc_graph *g, glc_dim a, glc_dim b, const struct glc_node *n,
                          const char *what) {
    if (a == GLC_DIM_ERR || b == GLC_DIM_ERR) return GLC_E_SHAPE;
    if (a == b || a == 1 || b == 1) return GLC_OK;
    if (glc_dim_is_const(a) && glc_dim_is_const(b)) return GLC_E_SHAPE;
    return record(g, GLC_DIM_BCAST, a, b, n, what);
}

glc_dim glc_dim_bcast(const glc_graph *g, glc_dim a, glc_dim b) {
    if (a == b || b == 1) return a;
    if (a == 1) return b;
    if (glc_dim_is_const(a) && a != 0) return a; /* b must be a (or 1) */
    if (glc_dim_is_const(b) && b != 0) return b;
    return glc_dim_max(g, a, b);
}

bool glc_dim_rel_holds(glc_dim_rel rel, int64_t x, int64_t y) {
    switch (rel) {
    case GLC_DIM_EQ: return x == y;
    case GLC_DIM_GE: return x >= y;
    case GLC_DIM_BCAST: return x == y || x == 1 || y == 1;
    }
    return false;
}

const char *glc_dim_rel_str(glc_dim_rel rel) {
    switch (rel) {
    case GLC_DIM_EQ: return "==";
    case GLC_DIM_GE: return ">=";
    case GLC_DIM_BCAST: return "broadcasts with";
    }
    return "?";
}
