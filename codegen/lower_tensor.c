/*
 * lower_tensor.c -- code generation for the tensor family: Split, Slice, Squeeze,
 * Unsqueeze, Gather, Shape, Dropout, Pad, ReduceMean. Every kernel is specialised
 * to the static shapes and the static operands resolved by ir/tensor.h (the readers
 * shape inference and the interpreter use), and moves elements as integers of the
 * element size unless it computes on them.
 *
 * - Split, Slice: one strided copy nest per output, y[io] = x[ii], where io walks the
 *   output row-major and ii = base + sum_a o_a * step_a * xstride_a (Split: step 1,
 *   base = the part's offset along the axis). The innermost loop is contiguous in the
 *   output.
 * - Squeeze, Unsqueeze (and Reshape, elsewhere): one memcpy.
 * - Gather: for outer o, index j, inner e: y[(o*nidx + j)*inner + e] =
 *   x[(o*dim + v)*inner + e] with v = idx[j] (+ dim if negative); an index outside
 *   [-dim, dim) writes zeros (the interpreter reports it), so no read is out of bounds.
 * - Shape: a memcpy from a constant of the dims.
 * - Dropout (inference, or training with ratio 0): a memcpy, and a mask of ones.
 * - Pad: per axis a constant table maps output coordinate -> input offset
 *   (glc_pad_source(..) * stride, -1 for the constant); the nest sums the offsets of the
 *   current coordinates and, in constant mode, selects the constant where any is -1
 *   (reading offset 0 instead, so no load is out of bounds).
 * - ReduceMean (f32): zero the output, add every input element in row-major order into
 *   its output (reduced axes have output stride 0), divide by the count -- the order the
 *   interpreter uses, so results agree bit for bit.
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

/* ---- strided copies: Split, Slice ---------------------------------------------------- */

typedef struct move {
    LLVMTypeRef ty;
    LLVMValueRef y, x;
    int rank;
    const int64_t *dims;                        /* output dims */
    int64_t so[GLC_MAX_RANK], si[GLC_MAX_RANK]; /* output / input element strides */
} move;

static void move_nest(cg_ctx *c, const move *m, int d, LLVMValueRef io, LLVMValueRef ii) {
    if (d == m->rank) {
        store(c, m->ty, load(c, m->ty, m->x, ii), m->y, io);
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(c, &l, m->dims[d]);
    move_nest(c, m, d + 1, cg_madd(c, i, m->so[d], io), cg_madd(c, i, m->si[d], ii));
    cg_loop_end(c, &l);
}

glc_status lower_split(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    int64_t sizes[256], xs[GLC_MAX_RANK], dims[GLC_MAX_RANK], off = 0;
    int ax;
    GLC_TRY(glc_split_get(c->g, n, &ax, sizes, c->d));
    cg_strides(x->rank, x->dims, xs);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    move m = {.ty = cg_int_type_of_size(c, glc_dtype_size(x->dtype)),
              .rank = x->rank,
              .dims = dims,
              .x = param(*fn, n->n_out)};
    memcpy(dims, x->dims, sizeof dims);
    memcpy(m.si, xs, sizeof xs);
    for (int k = 0; k < n->n_out; k++) {
        dims[ax] = sizes[k];
        if (n->out[k]) {
            m.y = param(*fn, k);
            cg_strides(x->rank, dims, m.so);
            move_nest(c, &m, 0, cg_i64(c, 0), cg_i64(c, off * xs[ax]));
        }
        off += sizes[k];
    }
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_slice(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    glc_slice_geom s;
    GLC_TRY(glc_slice_geom_get(c->g, n, &s, c->d));
    int64_t xs[GLC_MAX_RANK], base = 0;
    cg_strides(x->rank, x->dims, xs);
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    move m = {.ty = cg_int_type_of_size(c, glc_dtype_size(x->dtype)),
              .rank = s.rank,
              .dims = s.out,
              .y = param(*fn, 0),
              .x = param(*fn, 1)};
    cg_strides(s.rank, s.out, m.so);
    for (int a = 0; a < s.rank; a++) {
        m.si[a] = s.step[a] * xs[a];
        if (s.out[a]) base += s.start[a] * xs[a];
    }
    bool empty = false;
    for (int a = 0; a < s.rank; a++)
        empty |= s.out[a] == 0;
    if (!empty) move_nest(c, &m, 0, cg_i64(c, 0), cg_i64(c, base));
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Gather, Shape --------------------------------------------------------------------- */

/* The index idx[j] made non-negative, and whether it was in range. */
static LLVMValueRef gather_index(cg_ctx *c, const glc_value *ix, LLVMValueRef idx, LLVMValueRef j,
                                 int64_t dim, LLVMValueRef *ok) {
    LLVMTypeRef it = ix->dtype == GLC_DT_I64 ? c->i64 : c->i32;
    LLVMValueRef v = load(c, it, idx, j);
    if (it != c->i64) v = LLVMBuildSExt(c->b, v, c->i64, "");
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, v, cg_i64(c, 0), "");
    v = LLVMBuildSelect(c->b, neg, LLVMBuildAdd(c->b, v, cg_i64(c, dim), ""), v, "");
    *ok = LLVMBuildICmp(c->b, LLVMIntULT, v, cg_i64(c, dim), ""); /* also catches v < 0 */
    return LLVMBuildSelect(c->b, *ok, v, cg_i64(c, 0), "");
}

glc_status lower_gather(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0), *ix = glc_node_input(c->g, n, 1);
    int ax = (int)glc_attr_int(n, "axis", 0);
    if (ax < 0) ax += x->rank;
    int64_t outer = 1, inner = 1, dim = x->dims[ax], nidx = glc_value_numel(ix);
    for (int a = 0; a < x->rank; a++) {
        if (a < ax) outer *= x->dims[a];
        if (a > ax) inner *= x->dims[a];
    }
    size_t es = glc_dtype_size(x->dtype);
    LLVMTypeRef ty = cg_int_type_of_size(c, es);
    *fn = cg_kernel_begin(c, n->name, 3);
    LLVMValueRef y = param(*fn, 0), data = param(*fn, 1), idx = param(*fn, 2);
    if (dim == 0) { /* nothing can be read: every index is out of range */
        LLVMBuildMemSet(c->b, y, LLVMConstInt(c->i8, 0, 0),
                        cg_i64(c, outer * nidx * inner * (int64_t)es), 1);
        cg_kernel_end(c);
        return GLC_OK;
    }
    cg_loop lo, lj, le;
    LLVMValueRef o = cg_loop_begin(c, &lo, outer);
    LLVMValueRef j = cg_loop_begin(c, &lj, nidx), ok;
    LLVMValueRef v = gather_index(c, ix, idx, j, dim, &ok);
    LLVMValueRef ybase = cg_madd(c, cg_madd(c, o, nidx, j), inner, NULL);
    LLVMValueRef xbase = cg_madd(c, cg_madd(c, o, dim, v), inner, NULL);
    LLVMValueRef e = cg_loop_begin(c, &le, inner);
    LLVMValueRef val = load(c, ty, data, LLVMBuildNSWAdd(c->b, xbase, e, ""));
    val = LLVMBuildSelect(c->b, ok, val, LLVMConstNull(ty), "");
    store(c, ty, val, y, LLVMBuildNSWAdd(c->b, ybase, e, ""));
    cg_loop_end(c, &le);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lo);
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_shape_of(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    int lo, hi;
    glc_shape_range(n, x->rank, &lo, &hi);
    LLVMValueRef tab = i64_table(c, x->dims + lo, hi - lo);
    if (!tab) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    *fn = cg_kernel_begin(c, n->name, 2);
    memcpy_bytes(c, param(*fn, 0), tab, (uint64_t)(hi - lo) * 8);
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- Dropout -------------------------------------------------------------------------- */

/* 1 as an element of dtype t (f16 and bf16 as their bits). */
static LLVMValueRef one_of(cg_ctx *c, glc_dtype t) {
    if (t == GLC_DT_F32) return LLVMConstReal(c->f32, 1.0);
    if (t == GLC_DT_F64) return LLVMConstReal(LLVMDoubleTypeInContext(c->ctx), 1.0);
    LLVMTypeRef it = cg_int_type_of_size(c, glc_dtype_size(t)); /* bool is i8 in memory */
    return LLVMConstInt(it, t == GLC_DT_F16 ? 0x3c00 : t == GLC_DT_BF16 ? 0x3f80 : 1, 0);
}

glc_status lower_dropout(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    if (n->out[0]) memcpy_bytes(c, param(*fn, 0), param(*fn, n->n_out), glc_value_nbytes(x));
    if (n->n_out > 1 && n->out[1]) {
        LLVMValueRef one = one_of(c, c->g->values[n->out[1]].dtype);
        LLVMTypeRef ty = LLVMTypeOf(one);
        cg_loop l;
        LLVMValueRef i = cg_loop_begin(c, &l, glc_value_numel(x));
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
    LLVMValueRef tab[GLC_MAX_RANK]; /* output coordinate -> input offset, -1 = constant */
    int64_t so[GLC_MAX_RANK];
} pad_cg;

static glc_status pad_tables(cg_ctx *c, const glc_value *x, pad_cg *s) {
    int64_t xs[GLC_MAX_RANK];
    cg_strides(x->rank, x->dims, xs);
    for (int a = 0; a < s->p->rank; a++) {
        int64_t len = s->p->out[a], *t = malloc((size_t)(len ? len : 1) * sizeof *t);
        if (!t) return GLC_E_NOMEM;
        for (int64_t o = 0; o < len; o++) {
            int64_t src = glc_pad_source(s->p->mode, o - s->p->begin[a], x->dims[a]);
            t[o] = src < 0 ? -1 : src * xs[a];
        }
        s->tab[a] = i64_table(c, t, len);
        free(t);
        if (!s->tab[a]) return GLC_E_NOMEM;
    }
    return GLC_OK;
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
    LLVMValueRef i = cg_loop_begin(c, &l, s->p->out[d]);
    LLVMValueRef off = LLVMBuildLoad2(c->b, c->i64, cg_gep(c, c->i64, s->tab[d], i), "");
    LLVMValueRef ok2 = ok;
    if (s->p->mode == GLC_PAD_CONSTANT) {
        LLVMValueRef in = LLVMBuildICmp(c->b, LLVMIntSGE, off, cg_i64(c, 0), "");
        ok2 = ok ? LLVMBuildAnd(c->b, ok, in, "") : in;
    }
    pad_nest(c, s, d + 1, cg_madd(c, i, s->so[d], io), LLVMBuildAdd(c->b, ii, off, ""), ok2);
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
    cg_strides(p.rank, p.out, s.so);
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    s.y = param(*fn, 0);
    s.x = param(*fn, 1);
    if (glc_value_numel(x) == 0) { /* constant mode: the constant everywhere */
        cg_loop l;
        LLVMValueRef i = cg_loop_begin(c, &l, glc_value_numel(y));
        store(c, s.ty, s.value, s.y, i);
        cg_loop_end(c, &l);
    } else if (glc_value_numel(y)) {
        pad_nest(c, &s, 0, cg_i64(c, 0), cg_i64(c, 0), NULL);
    }
    cg_kernel_end(c);
    return GLC_OK;
}

/* ---- ReduceMean ----------------------------------------------------------------------- */

typedef struct red_cg {
    const glc_value *x;
    LLVMValueRef y, xp;
    int64_t xs[GLC_MAX_RANK], ys[GLC_MAX_RANK]; /* ys: 0 on reduced axes */
} red_cg;

static void red_nest(cg_ctx *c, const red_cg *s, int d, LLVMValueRef ix, LLVMValueRef iy) {
    if (d == s->x->rank) {
        LLVMValueRef p = cg_gep(c, c->f32, s->y, iy);
        LLVMValueRef sum = LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->f32, p, ""),
                                         load(c, c->f32, s->xp, ix), "");
        LLVMBuildStore(c->b, sum, p);
        return;
    }
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(c, &l, s->x->dims[d]);
    red_nest(c, s, d + 1, cg_madd(c, i, s->xs[d], ix), cg_madd(c, i, s->ys[d], iy));
    cg_loop_end(c, &l);
}

glc_status lower_reducemean(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    const glc_value *x = glc_node_input(c->g, n, 0), *y = &c->g->values[n->out[0]];
    glc_reduce_geom r;
    GLC_TRY(glc_reduce_geom_get(c->g, n, &r, c->d));
    if (r.noop) return lower_copy(c, n, fn);
    red_cg s = {.x = x};
    int64_t kd[GLC_MAX_RANK];
    for (int a = 0; a < x->rank; a++)
        kd[a] = r.reduce[a] ? 1 : x->dims[a];
    cg_strides(x->rank, x->dims, s.xs);
    cg_strides(x->rank, kd, s.ys);
    for (int a = 0; a < x->rank; a++)
        s.ys[a] = r.reduce[a] ? 0 : s.ys[a];
    *fn = cg_kernel_begin(c, n->name, 1 + n->n_in);
    s.y = param(*fn, 0);
    s.xp = param(*fn, 1);
    int64_t ny = glc_value_numel(y);
    if (ny) LLVMBuildMemSet(c->b, s.y, LLVMConstInt(c->i8, 0, 0), cg_i64(c, ny * 4), 1);
    if (glc_value_numel(x)) red_nest(c, &s, 0, cg_i64(c, 0), cg_i64(c, 0));
    cg_loop l;
    LLVMValueRef i = cg_loop_begin(c, &l, ny);
    LLVMValueRef q = LLVMBuildFDiv(c->b, load(c, c->f32, s.y, i), cg_f32(c, (double)r.count), "");
    store(c, c->f32, q, s.y, i);
    cg_loop_end(c, &l);
    cg_kernel_end(c);
    return GLC_OK;
}
