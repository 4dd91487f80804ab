/*
 * lower_tensor.c -- code generation for the tensor family: Split, Slice, Squeeze,
 * Unsqueeze, Gather, Shape, Dropout, Pad, ArgMax, ArgMin (the reductions:
 * lower_elemwise.c). Every kernel is specialised to the static shapes and the static
 * operands resolved by ir/tensor.h (the readers shape inference and the interpreter use),
 * and moves elements as integers of the element size unless it computes on them.
 *
 * - Split, Slice: one strided copy nest per output, y[io] = x[ii], where io walks the
 *   output row-major and ii = base + sum_a o_a * step_a * xstride_a (Split: step 1,
 *   base = the part's offset along the axis). The innermost loop is contiguous in the
 *   output.
 * - Squeeze, Unsqueeze (and Reshape, elsewhere): one memcpy.
 * - Gather: for outer o, index j, inner e: y[(o*nidx + j)*inner + e] =
 *   x[(o*dim + v)*inner + e] with v = idx[j] (+ dim if negative); an index outside
 *   [-dim, dim) writes zeros (the interpreter reports it), so no read is out of bounds.
 * - Shape: a memcpy from a constant of the dims (symbolic ones: each dim's value, cg_dim).
 * - Dropout (inference, or training with ratio 0): a memcpy, and a mask of ones.
 * - Pad: per axis a constant table maps output coordinate -> input offset
 *   (glc_pad_source(..) * stride, -1 for the constant); the nest sums the offsets of the
 *   current coordinates and, in constant mode, selects the constant where any is -1
 *   (reading offset 0 instead, so no load is out of bounds). An axis whose length, output
 *   length or stride is symbolic computes the same offset in the loop (pad_offset).
 * - ArgMax, ArgMin: per (outer, inner) a scan along the axis keeping the best value and
 *   its index, with the interpreter's comparison (NaN beats every number).
 *
 * Symbolic dims (ir/dim.h): every size, stride and offset is a dim until it is emitted
 * (cg_dim), so a static graph gets the constants, and the code, it always had. A symbolic
 * axis that may be empty at run time (not a bare symbol: a Slice's output, say) branches
 * where the static code decides at compile time: Gather from it writes zeros, Pad of an
 * empty input writes the constant.
 */
#include "cg_impl.h"
#include "tensor.h"

#include <stdlib.h>
#include <string.h>

static LLVMValueRef param(LLVMValueRef fn, int i) {
    return LLVMGetParam(fn, (unsigned)i);
}

static LLVMValueRef load(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef base, LLVMValueRef i) {
    return LLVMBuildLoad2(c->b, ty, cg_gep(c, ty, base, i), "");
}

static void store(cg_ctx *c, LLVMTypeRef ty, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i) {
    LLVMBuildStore(c->b, v, cg_gep(c, ty, base, i));
}

/* A private constant: an i64 table, or raw bytes. */
static LLVMValueRef i64_table(cg_ctx *c, const int64_t *v, int64_t n) {
    LLVMValueRef *e = malloc((size_t)(n ? n : 1) * sizeof *e);
    if (!e) return NULL;
    for (int64_t i = 0; i < n; i++)
        e[i] = cg_i64(c, v[i]);
    LLVMValueRef init = LLVMConstArray2(c->i64, e, (uint64_t)n);
    free(e);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "tensor.tab");
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    return gv;
}

/* One element of `ty` (an integer type of the element size) from little-endian bytes. */
static LLVMValueRef elem_const(LLVMTypeRef ty, const uint8_t *bytes, size_t es) {
    uint64_t v = 0;
    memcpy(&v, bytes, es);
    return LLVMConstInt(ty, v, 0);
}

static void memcpy_bytes(cg_ctx *c, LLVMValueRef dst, LLVMValueRef src, uint64_t n) {
    if (n) LLVMBuildMemCpy(c->b, dst, 1, src, 1, cg_i64(c, (int64_t)n));
}

static void memcpy_dim(cg_ctx *c, LLVMValueRef dst, LLVMValueRef src, glc_dim n) {
    if (n) LLVMBuildMemCpy(c->b, dst, 1, src, 1, cg_dim(c, n));
}

/* ---- strided copies: Split, Slice ---------------------------------------------------- */

typedef struct move {
    LLVMTypeRef ty;
    LLVMValueRef y, x;
    int rank;
    LLVMValueRef dims[GLC_MAX_RANK];                 /* output dims */
    LLVMValueRef so[GLC_MAX_RANK], si[GLC_MAX_RANK]; /* output / input element strides */
} move;

static void move_nest(cg_ctx *c, const move *m, int d, LLVMValueRef io, LLVMValueRef ii) {
    if (d == m->rank) {
        store(c, m->ty, load(c, m->ty, m->x, ii), m->y, io);
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, m->dims[d]);
    move_nest(c, m, d + 1, cg_madd_v(c, i, m->so[d], io), cg_madd_v(c, i, m->si[d], ii));
    cg_loop_end(c, &l);
}

/* m->dims and m->so from the output dims. */
static void move_out(cg_ctx *c, move *m, const glc_dim *dims) {
    for (int a = 0; a < m->rank; a++)
        m->dims[a] = cg_dim(c, dims[a]);
    cg_strides_dim(c, m->rank, dims, m->so);
}

glc_status lower_split(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_dim sizes[256], dims[GLC_MAX_RANK], off = 0;
    int ax;
    GLC_TRY(glc_split_get(c->g, n, &ax, sizes, c->d));
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    move m = {.ty = cg_int_type_of_size(c, glc_dtype_size(x->dtype)),
              .rank = x->rank,
              .x = param(*fn, n->n_out)};
    memcpy(dims, x->dims, sizeof dims);
    cg_strides_dim(c, x->rank, x->dims, m.si);
    for (int k = 0; k < n->n_out; k++) {
        dims[ax] = sizes[k];
        if (n->out[k]) {
            m.y = param(*fn, k);
            move_out(c, &m, dims);
            move_nest(c, &m, 0, cg_i64(c, 0), LLVMBuildNSWMul(c->b, cg_dim(c, off), m.si[ax], ""));
        }
        off = glc_dim_add(c->g, off, sizes[k]);
    }
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_slice(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_slice_geom s;
    GLC_TRY(glc_slice_geom_get(c->g, n, &s, c->d));
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    move m = {.ty = cg_int_type_of_size(c, glc_dtype_size(x->dtype)),
              .rank = s.rank,
              .y = param(*fn, 0),
              .x = param(*fn, 1)};
    LLVMValueRef xs[GLC_MAX_RANK], base = cg_i64(c, 0);
    cg_strides_dim(c, x->rank, x->dims, xs);
    move_out(c, &m, s.out);
    bool empty = false; /* statically: a symbolic length of 0 runs no iteration */
    for (int a = 0; a < s.rank; a++) {
        m.si[a] = LLVMBuildNSWMul(c->b, xs[a], cg_i64(c, s.step[a]), "");
        if (s.out[a])
            base = LLVMBuildNSWAdd(c->b, base,
                                   LLVMBuildNSWMul(c->b, cg_dim(c, s.start[a]), xs[a], ""), "");
        empty |= s.out[a] == 0;
    }
    if (!empty) move_nest(c, &m, 0, cg_i64(c, 0), base);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Gather, Shape --------------------------------------------------------------------- */

typedef struct gather_cg {
    const glc_value *ix;
    LLVMTypeRef ty;
    LLVMValueRef y, data, idx;
    LLVMValueRef outer, inner, dim, nidx;
} gather_cg;

/* The nest of a gather from an axis of at least one element. */
static void gather_nest(cg_ctx *c, const gather_cg *s) {
    cg_loop lo, lj, le;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, s->outer);
    LLVMValueRef j = cg_loop_begin_v(c, &lj, s->nidx), ok;
    LLVMValueRef v = cg_load_index(c, s->ix->dtype, s->idx, j, s->dim, &ok);
    LLVMValueRef ybase = cg_madd_v(c, cg_madd_v(c, o, s->nidx, j), s->inner, NULL);
    LLVMValueRef xbase = cg_madd_v(c, cg_madd_v(c, o, s->dim, v), s->inner, NULL);
    LLVMValueRef e = cg_loop_begin_v(c, &le, s->inner);
    LLVMValueRef val = load(c, s->ty, s->data, LLVMBuildNSWAdd(c->b, xbase, e, ""));
    val = LLVMBuildSelect(c->b, ok, val, LLVMConstNull(s->ty), "");
    store(c, s->ty, val, s->y, LLVMBuildNSWAdd(c->b, ybase, e, ""));
    cg_loop_end(c, &le);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lo);
}

glc_status lower_gather(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_graph *g = c->g;
    const glc_value *x = glc_node_input(g, n, 0), *ix = glc_node_input(g, n, 1);
    int ax = (int)glc_attr_int(n, "axis", 0);
    if (ax < 0) ax += x->rank;
    glc_dim outer = glc_dim_prod(g, x->dims, 0, ax),
            inner = glc_dim_prod(g, x->dims, ax + 1, x->rank);
    glc_dim dim = x->dims[ax], nidx = glc_value_numel_dim(g, ix);
    size_t es = glc_dtype_size(x->dtype);
    /* with nothing to read every index is out of range: zeros */
    glc_dim bytes = glc_dim_mul(g, glc_dim_mul(g, glc_dim_mul(g, outer, nidx), inner), (glc_dim)es);
    *fn = cg_kernel_begin(c, n->name, 3);
    gather_cg s = {.ix = ix,
                   .ty = cg_int_type_of_size(c, es),
                   .y = param(*fn, 0),
                   .data = param(*fn, 1),
                   .idx = param(*fn, 2)};
    s.outer = cg_dim(c, outer), s.inner = cg_dim(c, inner), s.dim = cg_dim(c, dim);
    s.nidx = cg_dim(c, nidx);
    if (dim == 0) {
        LLVMBuildMemSet(c->b, s.y, LLVMConstInt(c->i8, 0, 0), cg_dim(c, bytes), 1);
    } else if (glc_dim_known_ge(g, dim, 1)) {
        gather_nest(c, &s);
    } else { /* a symbolic axis that may be empty at run time */
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLE, s.dim, cg_i64(c, 0), ""));
        LLVMBuildMemSet(c->b, s.y, LLVMConstInt(c->i8, 0, 0), cg_dim(c, bytes), 1);
        cg_if_else(c, &f);
        gather_nest(c, &s);
        cg_if_end(c, &f);
    }
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_shape_of(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    int lo, hi;
    glc_shape_range(n, x->rank, &lo, &hi);
    if (glc_dims_symbolic(hi - lo, x->dims + lo)) { /* the dims' values at run time */
        *fn = cg_kernel_begin(c, n->name, 2);
        for (int k = lo; k < hi; k++)
            store(c, c->i64, cg_dim(c, x->dims[k]), param(*fn, 0), cg_i64(c, k - lo));
        cg_kernel_end(c);
        return GLC_OK;
    }
    LLVMValueRef tab = i64_table(c, x->dims + lo, hi - lo);
    if (!tab) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    *fn = cg_kernel_begin(c, n->name, 2);
    memcpy_bytes(c, param(*fn, 0), tab, (uint64_t)(hi - lo) * 8);
    cg_kernel_end(c);
    return GLC_OK;
}

/* Size: the element count (symbolic: its value at run time). */
glc_status lower_size_of(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    *fn = cg_kernel_begin(c, n->name, 2);
    glc_dim numel = glc_value_numel_dim(c->g, glc_node_input(c->g, n, 0));
    store(c, c->i64, cg_dim(c, numel), param(*fn, 0), cg_i64(c, 0));
    cg_kernel_end(c);
    return GLC_OK;
}

/* 1 as an element of dtype t (f16 and bf16 as their bits). */
static LLVMValueRef one_of(cg_ctx *c, glc_dtype t) {
    if (t == GLC_DT_F32) return LLVMConstReal(c->f32, 1.0);
    if (t == GLC_DT_F64) return LLVMConstReal(LLVMDoubleTypeInContext(c->ctx), 1.0);
    LLVMTypeRef it = cg_int_type_of_size(c, glc_dtype_size(t)); /* bool is i8 in memory */
    return LLVMConstInt(it, t == GLC_DT_F16 ? 0x3c00 : t == GLC_DT_BF16 ? 0x3f80 : 1, 0);
}

/* ---- Dropout -------------------------------------------------------------------------- */

glc_status lower_dropout(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    glc_dim numel = glc_value_numel_dim(c->g, x);
    glc_dim bytes = glc_dim_mul(c->g, numel, (glc_dim)glc_dtype_size(x->dtype));
    if (n->out[0]) memcpy_dim(c, param(*fn, 0), param(*fn, n->n_out), bytes);
    if (n->n_out > 1 && n->out[1]) {
        LLVMValueRef one = one_of(c, c->g->values[n->out[1]].dtype);
        LLVMTypeRef ty = LLVMTypeOf(one);
        cg_loop l;
        LLVMValueRef i = cg_loop_begin_v(c, &l, cg_dim(c, numel));
        store(c, ty, one, param(*fn, 1), i);
        cg_loop_end(c, &l);
    }
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Pad ----------------------------------------------------------------------------- */

typedef struct pad_cg {
    const glc_pad_geom *p;
    LLVMTypeRef ty;
    LLVMValueRef y, x, value;
    /* per axis: a table output coordinate -> input offset (-1 = the constant) when the
     * axis is static, else NULL and the offset is computed (pad_offset) */
    LLVMValueRef tab[GLC_MAX_RANK];
    LLVMValueRef len[GLC_MAX_RANK], xs[GLC_MAX_RANK], out[GLC_MAX_RANK], so[GLC_MAX_RANK];
} pad_cg;

/* Tables of the axes whose length, output length and input stride are all constants. */
static glc_status pad_tables(cg_ctx *c, const glc_value *x, pad_cg *s) {
    for (int a = 0; a < s->p->rank; a++) {
        glc_dim xs = glc_dim_prod(c->g, x->dims, a + 1, x->rank);
        s->tab[a] = NULL;
        if (glc_dim_is_sym(xs) || glc_dim_is_sym(x->dims[a]) || glc_dim_is_sym(s->p->out[a]) ||
            glc_dim_is_sym(s->p->begin[a]))
            continue;
        int64_t len = s->p->out[a], *t = malloc((size_t)(len ? len : 1) * sizeof *t);
        if (!t) return GLC_E_NOMEM;
        for (int64_t o = 0; o < len; o++) {
            int64_t src = glc_pad_source(s->p->mode, o - s->p->begin[a], x->dims[a]);
            t[o] = src < 0 ? -1 : src * xs;
        }
        s->tab[a] = i64_table(c, t, len);
        free(t);
        if (!s->tab[a]) return GLC_E_NOMEM;
    }
    return GLC_OK;
}

/* a mod m in [0, m) for m > 0. */
static LLVMValueRef mod_pos(cg_ctx *c, LLVMValueRef a, LLVMValueRef m) {
    LLVMValueRef k = LLVMBuildSRem(c->b, a, m, "");
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, k, cg_i64(c, 0), "");
    return LLVMBuildSelect(c->b, neg, LLVMBuildNSWAdd(c->b, k, m, ""), k, "");
}

/* glc_pad_source(mode, o - begin, len) * xs along axis a (-1 for the constant), at run time
 * (len >= 1: an empty input never reaches the nest). */
static LLVMValueRef pad_offset(cg_ctx *c, const pad_cg *s, int a, LLVMValueRef o) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef i = LLVMBuildNSWSub(b, o, cg_dim(c, s->p->begin[a]), ""), len = s->len[a];
    LLVMValueRef zero = cg_i64(c, 0), one = cg_i64(c, 1), src = i;
    LLVMValueRef last = LLVMBuildNSWSub(b, len, one, ""), per, k;
    switch (s->p->mode) {
    case GLC_PAD_CONSTANT: {
        LLVMValueRef in = LLVMBuildICmp(b, LLVMIntULT, i, len, ""); /* also i < 0 */
        return LLVMBuildSelect(b, in, LLVMBuildNSWMul(b, i, s->xs[a], ""), cg_i64(c, -1), "");
    }
    case GLC_PAD_EDGE:
        src = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, i, zero, ""), zero, i, "");
        src = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, src, last, ""), last, src, "");
        break;
    case GLC_PAD_REFLECT: /* period 2 (len - 1), mirrored; len 1 reads 0 */
        per = LLVMBuildNSWMul(b, last, cg_i64(c, 2), "");
        per = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, per, one, ""), one, per, "");
        k = mod_pos(c, i, per);
        src = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, k, len, ""), k,
                              LLVMBuildNSWSub(b, per, k, ""), "");
        src = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, len, one, ""), zero, src, "");
        break;
    case GLC_PAD_WRAP:
        src = mod_pos(c, i, len);
        break;
    }
    return LLVMBuildNSWMul(b, src, s->xs[a], "");
}

static void pad_nest(cg_ctx *c, const pad_cg *s, int d, LLVMValueRef io, LLVMValueRef ii,
                     LLVMValueRef ok) {
    if (d == s->p->rank) {
        if (!ok) {
            store(c, s->ty, load(c, s->ty, s->x, ii), s->y, io);
            return;
        }
        LLVMValueRef v = load(c, s->ty, s->x, LLVMBuildSelect(c->b, ok, ii, cg_i64(c, 0), ""));
        store(c, s->ty, LLVMBuildSelect(c->b, ok, v, s->value, ""), s->y, io);
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, s->out[d]);
    LLVMValueRef off = s->tab[d] ? LLVMBuildLoad2(c->b, c->i64, cg_gep(c, c->i64, s->tab[d], i), "")
                                 : pad_offset(c, s, d, i);
    LLVMValueRef ok2 = ok;
    if (s->p->mode == GLC_PAD_CONSTANT) {
        LLVMValueRef in = LLVMBuildICmp(c->b, LLVMIntSGE, off, cg_i64(c, 0), "");
        ok2 = ok ? LLVMBuildAnd(c->b, ok, in, "") : in;
    }
    pad_nest(c, s, d + 1, cg_madd_v(c, i, s->so[d], io), LLVMBuildAdd(c->b, ii, off, ""), ok2);
    cg_loop_end(c, &l);
}

/* y[i] = the constant for i < n. */
static void pad_fill(cg_ctx *c, const pad_cg *s, glc_dim n) {
    cg_loop l;
    LLVMValueRef i = cg_loop_begin_v(c, &l, cg_dim(c, n));
    store(c, s->ty, s->value, s->y, i);
    cg_loop_end(c, &l);
}

glc_status lower_pad(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0), *y = &c->g->values[n->out[0]];
    glc_pad_geom p;
    GLC_TRY(glc_pad_geom_get(c->g, n, &p, c->d));
    size_t es = glc_dtype_size(x->dtype);
    pad_cg s = {.p = &p, .ty = cg_int_type_of_size(c, es)};
    s.value = elem_const(s.ty, p.value, es);
    if (pad_tables(c, x, &s) != GLC_OK) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    s.y = param(*fn, 0);
    s.x = param(*fn, 1);
    cg_strides_dim(c, p.rank, p.out, s.so);
    cg_strides_dim(c, x->rank, x->dims, s.xs);
    for (int a = 0; a < p.rank; a++) {
        s.len[a] = cg_dim(c, x->dims[a]);
        s.out[a] = cg_dim(c, p.out[a]);
    }
    glc_dim nx = glc_value_numel_dim(c->g, x), ny = glc_value_numel_dim(c->g, y);
    if (nx == 0) { /* constant mode: the constant everywhere */
        pad_fill(c, &s, ny);
    } else if (glc_dim_known_ge(c->g, nx, 1)) {
        if (ny) pad_nest(c, &s, 0, cg_i64(c, 0), cg_i64(c, 0), NULL);
    } else { /* an input that may be empty at run time */
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLE, cg_dim(c, nx), cg_i64(c, 0), ""));
        pad_fill(c, &s, ny);
        cg_if_else(c, &f);
        pad_nest(c, &s, 0, cg_i64(c, 0), cg_i64(c, 0), NULL);
        cg_if_end(c, &f);
    }
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- ArgMax, ArgMin ------------------------------------------------------------------ */

/* v beats best, as the interpreter's beats(): the first extreme wins (with `last`, an equal
 * one too); a NaN beats every number, and only a later NaN (with `last`) beats a NaN. */
static LLVMValueRef argext_beats(cg_ctx *c, glc_dtype dt, bool max, bool last, LLVMValueRef v,
                                 LLVMValueRef best) {
    LLVMBuilderRef b = c->b;
    if (!glc_dtype_is_float(dt)) {
        bool s = dt == GLC_DT_I8 || dt == GLC_DT_I16 || dt == GLC_DT_I32 || dt == GLC_DT_I64;
        LLVMIntPredicate p = max ? (s ? LLVMIntSGT : LLVMIntUGT) : (s ? LLVMIntSLT : LLVMIntULT);
        if (last) p = max ? (s ? LLVMIntSGE : LLVMIntUGE) : (s ? LLVMIntSLE : LLVMIntULE);
        return LLVMBuildICmp(b, p, v, best, "");
    }
    LLVMRealPredicate p =
        max ? (last ? LLVMRealOGE : LLVMRealOGT) : (last ? LLVMRealOLE : LLVMRealOLT);
    LLVMValueRef vnan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
    LLVMValueRef bnan = LLVMBuildFCmp(b, LLVMRealUNO, best, best, "");
    LLVMValueRef num = LLVMBuildOr(b, LLVMBuildFCmp(b, p, v, best, ""), vnan, "");
    LLVMValueRef if_nan = last ? vnan : LLVMConstNull(LLVMTypeOf(vnan));
    return LLVMBuildSelect(b, bnan, if_nan, num, "");
}

/* Per (outer, inner): a scan along the axis (stride inner) keeping the best value and its
 * index in registers; y[o * inner + i] = the index. */
glc_status lower_argext(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_argext_geom r;
    GLC_TRY(glc_argext_geom_get(c->g, n, &r, c->d));
    bool max = n->op == GLC_OP_ARGMAX;
    LLVMTypeRef ty = x->dtype == GLC_DT_F32   ? c->f32
                     : x->dtype == GLC_DT_F64 ? LLVMDoubleTypeInContext(c->ctx)
                                              : cg_int_type_of_size(c, glc_dtype_size(x->dtype));
    *fn = cg_kernel_begin(c, n->name, 2);
    LLVMValueRef y = param(*fn, 0), xp = param(*fn, 1);
    LLVMValueRef best = cg_alloca_entry(c, ty), arg = cg_alloca_entry(c, c->i64);
    LLVMValueRef dim = cg_dim(c, r.dim), inner = cg_dim(c, r.inner);
    cg_loop lo, li, lj;
    LLVMValueRef o = cg_loop_begin_v(c, &lo, cg_dim(c, r.outer));
    LLVMValueRef row = LLVMBuildNSWMul(c->b, LLVMBuildNSWMul(c->b, o, dim, ""), inner, "");
    LLVMValueRef i = cg_loop_begin_v(c, &li, inner);
    LLVMValueRef base = LLVMBuildNSWAdd(c->b, row, i, "");
    LLVMBuildStore(c->b, load(c, ty, xp, base), best);
    LLVMBuildStore(c->b, cg_i64(c, 0), arg);
    LLVMValueRef j = cg_loop_range(c, &lj, cg_i64(c, 1), dim);
    LLVMValueRef v = load(c, ty, xp, cg_madd_v(c, j, inner, base));
    LLVMValueRef bv = LLVMBuildLoad2(c->b, ty, best, "");
    LLVMValueRef ba = LLVMBuildLoad2(c->b, c->i64, arg, "");
    LLVMValueRef win = argext_beats(c, x->dtype, max, r.last, v, bv);
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, win, v, bv, ""), best);
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, win, j, ba, ""), arg);
    cg_loop_end(c, &lj);
    store(c, c->i64, LLVMBuildLoad2(c->b, c->i64, arg, ""), y, cg_madd_v(c, o, inner, i));
    cg_loop_end(c, &li);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}
