/*
 * lower_resize.c -- code generation for Resize and Upsample, f32 (geometry: ir/resize.h).
 *
 * Resize is separable, so every resized axis a has a table of taps per output coordinate:
 * idx (o, taps) i64 input indices, w (o, taps) f32 weights and, for tf_crop_and_resize,
 * ok (o) f32: 1, or 0 where the coordinate is extrapolated. The kernel is
 *
 *   for each output coordinate (o_0, ..., o_{r-1}):            -- row-major, y in order
 *     acc = sum over t_a in [0, taps_a) for each resized axis a (nested, constant counts):
 *             prod_a w_a[o_a, t_a] * x[..., idx_a[o_a, t_a], ...]   (a copied axis reads o_a)
 *     y = prod_a ok_a[o_a] == 0 ? extrapolation_value : acc
 *
 * A nearest axis has one tap of weight 1; bilinear on NCHW is 2 x 2 taps with constant
 * trip counts, which LLVM unrolls. An axis whose input and output sizes are static gets
 * its tables at compile time, from glc_resize_taps, as private constants. An axis with a
 * symbolic size has its tables built at the start of every run into the node scratch, by
 * IR that repeats glc_resize_taps's coordinate maths in double (the scale is the constant
 * of the scales input, or out / in when sizes are given), so both agree with the
 * interpreter to rounding.
 */
#include "cg_impl.h"
#include "resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct resize_cg {
    const glc_resize_geom *rg;
    LLVMTypeRef f64;
    LLVMValueRef x, y;
    LLVMValueRef idx[GLC_MAX_RANK], w[GLC_MAX_RANK], ok[GLC_MAX_RANK]; /* tables; ok may be NULL */
    LLVMValueRef in[GLC_MAX_RANK], out[GLC_MAX_RANK], xs[GLC_MAX_RANK], ys[GLC_MAX_RANK];
    LLVMValueRef o[GLC_MAX_RANK]; /* current output coordinates */
    LLVMValueRef acc;             /* f32 accumulator (alloca) */
} resize_cg;

static bool axis_static(const glc_resize_geom *rg, int a) {
    return glc_dim_is_const(rg->in[a]) && glc_dim_is_const(rg->out[a]);
}

static bool has_ok(const glc_resize_geom *rg) {
    return rg->ctm == GLC_CTM_TF_CROP_AND_RESIZE;
}

/* ---- static axes: tables at compile time -------------------------------------------- */

static glc_status static_tables(cg_ctx *c, resize_cg *s, int a) {
    const glc_resize_geom *rg = s->rg;
    int64_t out = rg->out[a], k = rg->taps[a], m = out * k + 1;
    int64_t *idx = malloc((size_t)m * sizeof *idx);
    float *w = malloc((size_t)m * sizeof *w), *ok = malloc((size_t)(out + 1) * sizeof *ok);
    double wd[GLC_RESIZE_MAX_TAPS];
    if (!idx || !w || !ok) {
        free(idx), free(w), free(ok);
        return GLC_E_NOMEM;
    }
    for (int64_t o = 0; o < out; o++) {
        ok[o] = glc_resize_taps(rg, a, rg->in[a], out, o, idx + o * k, wd) ? 0.0f : 1.0f;
        for (int64_t t = 0; t < k; t++)
            w[o * k + t] = (float)wd[t];
    }
    s->idx[a] = cg_const_bytes(c, idx, (size_t)m * sizeof *idx, "resize.idx");
    s->w[a] = cg_const_bytes(c, w, (size_t)m * sizeof *w, "resize.w");
    s->ok[a] = has_ok(rg) ? cg_const_bytes(c, ok, (size_t)(out + 1) * sizeof *ok, "resize.ok")
                          : NULL;
    free(idx), free(w), free(ok);
    return GLC_OK;
}

/* ---- symbolic axes: the same tables built at run time ---------------------------------- */

static LLVMValueRef fk(resize_cg *s, double v) {
    return LLVMConstReal(s->f64, v);
}

static LLVMValueRef intr1(cg_ctx *c, resize_cg *s, const char *name, LLVMValueRef v) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &s->f64, 1);
    LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, &s->f64, 1);
    return LLVMBuildCall2(c->b, ft, f, &v, 1, "");
}

#define FADD(l, r) LLVMBuildFAdd(c->b, l, r, "")
#define FSUB(l, r) LLVMBuildFSub(c->b, l, r, "")
#define FMUL(l, r) LLVMBuildFMul(c->b, l, r, "")
#define FDIV(l, r) LLVMBuildFDiv(c->b, l, r, "")
#define FCMP(p, l, r) LLVMBuildFCmp(c->b, p, l, r, "")
#define SEL(q, l, r) LLVMBuildSelect(c->b, q, l, r, "")

/* The source coordinate of output y (f64) on axis a; *ext: extrapolated (i1) or NULL. */
static LLVMValueRef source(cg_ctx *c, resize_cg *s, int a, LLVMValueRef y, LLVMValueRef sc,
                           LLVMValueRef *ext) {
    const glc_resize_geom *rg = s->rg;
    LLVMValueRef inw = LLVMBuildSIToFP(c->b, s->in[a], s->f64, "");
    LLVMValueRef w = FMUL(sc, inw), one = fk(s, 1), in1 = FSUB(inw, one);
    LLVMValueRef w_is_1 = FCMP(LLVMRealOEQ, w, one);
    LLVMValueRef hp = FSUB(FDIV(FADD(y, fk(s, 0.5)), sc), fk(s, 0.5));
    double lo = rg->roi_lo[a], hi = rg->roi_hi[a];
    LLVMValueRef x;
    *ext = NULL;
    switch (rg->ctm) {
    case GLC_CTM_HALF_PIXEL: return hp;
    case GLC_CTM_HALF_PIXEL_SYMMETRIC: {
        LLVMValueRef outw = LLVMBuildSIToFP(c->b, s->out[a], s->f64, "");
        LLVMValueRef off = FMUL(FDIV(inw, fk(s, 2)), FSUB(one, FDIV(outw, w)));
        return FADD(off, hp);
    }
    case GLC_CTM_PYTORCH_HALF_PIXEL: return SEL(w_is_1, fk(s, -0.5), hp);
    case GLC_CTM_ALIGN_CORNERS: return SEL(w_is_1, fk(s, 0), FDIV(FMUL(y, in1), FSUB(w, one)));
    case GLC_CTM_ASYMMETRIC: return FDIV(y, sc);
    case GLC_CTM_TF_HALF_PIXEL_FOR_NN: return FDIV(FADD(y, fk(s, 0.5)), sc);
    case GLC_CTM_TF_CROP_AND_RESIZE:
        x = SEL(w_is_1, FDIV(FMUL(fk(s, hi - lo), in1), fk(s, 2)),
                FDIV(FMUL(FMUL(y, fk(s, hi - lo)), in1), FSUB(w, one)));
        x = FADD(x, FMUL(fk(s, lo), in1));
        *ext = LLVMBuildOr(c->b, FCMP(LLVMRealOLT, x, fk(s, 0)), FCMP(LLVMRealOGT, x, in1), "");
        return x;
    }
    return hp;
}

/* x rounded by the nearest mode (glc_resize_taps's rule). */
static LLVMValueRef nearest(cg_ctx *c, resize_cg *s, LLVMValueRef x, LLVMValueRef sc) {
    LLVMValueRef f = intr1(c, s, "llvm.floor", x), r = FSUB(x, f), f1 = FADD(f, fk(s, 1));
    LLVMValueRef half = fk(s, 0.5), v = f;
    switch (s->rg->nearest) {
    case GLC_NEAREST_ROUND_PREFER_FLOOR: v = SEL(FCMP(LLVMRealOLE, r, half), f, f1); break;
    case GLC_NEAREST_ROUND_PREFER_CEIL: v = SEL(FCMP(LLVMRealOLT, r, half), f, f1); break;
    case GLC_NEAREST_FLOOR: v = f; break;
    case GLC_NEAREST_CEIL: v = f1; break;
    case GLC_NEAREST_SIMPLE:
        v = SEL(FCMP(LLVMRealOLT, sc, fk(s, 1)), intr1(c, s, "llvm.ceil", x),
                intr1(c, s, "llvm.trunc", x));
        break;
    }
    return SEL(FCMP(LLVMRealOEQ, r, fk(s, 0)), x, v);
}

/* The linear or cubic kernel at u. */
static LLVMValueRef kernel(cg_ctx *c, resize_cg *s, LLVMValueRef u) {
    u = intr1(c, s, "llvm.fabs", u);
    LLVMValueRef one = fk(s, 1), z = fk(s, 0);
    if (s->rg->mode == GLC_RESIZE_LINEAR) return SEL(FCMP(LLVMRealOLT, u, one), FSUB(one, u), z);
    double A = s->rg->cubic_a;
    LLVMValueRef near = FADD(FMUL(FMUL(FSUB(FMUL(fk(s, A + 2), u), fk(s, A + 3)), u), u), one);
    LLVMValueRef far = FSUB(
        FMUL(FADD(FMUL(FSUB(FMUL(fk(s, A), u), fk(s, 5 * A)), u), fk(s, 8 * A)), u), fk(s, 4 * A));
    return SEL(FCMP(LLVMRealOLE, u, one), near, SEL(FCMP(LLVMRealOLT, u, fk(s, 2)), far, z));
}

/* Taps of output o of axis a (k of them) into idx[], w[] as values. */
static void taps(cg_ctx *c, resize_cg *s, int a, LLVMValueRef x, LLVMValueRef sc,
                 LLVMValueRef *idx, LLVMValueRef *w) {
    const glc_resize_geom *rg = s->rg;
    int k = rg->taps[a];
    if (rg->mode == GLC_RESIZE_NEAREST) {
        idx[0] = LLVMBuildFPToSI(c->b, nearest(c, s, x, sc), c->i64, "");
        w[0] = fk(s, 1);
        return;
    }
    LLVMValueRef f = intr1(c, s, "llvm.floor", x);
    LLVMValueRef whole = LLVMBuildZExt(c->b, FCMP(LLVMRealOEQ, x, f), c->i64, "");
    LLVMValueRef start = LLVMBuildSub(
        c->b, cg_addk(c, LLVMBuildFPToSI(c->b, f, c->i64, ""), 1 - k / 2), whole, "");
    LLVMValueRef sa = rg->antialias ? SEL(FCMP(LLVMRealOLT, sc, fk(s, 1)), sc, fk(s, 1))
                                    : fk(s, 1);
    for (int t = 0; t < k; t++) {
        idx[t] = cg_addk(c, start, t);
        LLVMValueRef u = FSUB(LLVMBuildSIToFP(c->b, idx[t], s->f64, ""), x);
        w[t] = kernel(c, s, FMUL(sa, u));
    }
}

/* exclude_outside, normalisation and clamping of the k taps (glc_resize_taps's order). */
static void finish_taps(cg_ctx *c, resize_cg *s, int a, LLVMValueRef *idx, LLVMValueRef *w) {
    const glc_resize_geom *rg = s->rg;
    int k = rg->taps[a];
    LLVMValueRef sum = fk(s, 0), z = cg_i64(c, 0), top = cg_addk(c, s->in[a], -1);
    for (int t = 0; t < k; t++) {
        if (rg->exclude_outside) {
            LLVMValueRef out = LLVMBuildOr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, idx[t], z, ""),
                                           LLVMBuildICmp(c->b, LLVMIntSGT, idx[t], top, ""), "");
            w[t] = SEL(out, fk(s, 0), w[t]);
        }
        sum = FADD(sum, w[t]);
    }
    sum = SEL(FCMP(LLVMRealOEQ, sum, fk(s, 0)), fk(s, 1), sum);
    for (int t = 0; t < k; t++) {
        if (rg->antialias || rg->exclude_outside) w[t] = FDIV(w[t], sum);
        idx[t] = SEL(LLVMBuildICmp(c->b, LLVMIntSLT, idx[t], z, ""), z, idx[t]);
        idx[t] = SEL(LLVMBuildICmp(c->b, LLVMIntSGT, idx[t], top, ""), top, idx[t]);
    }
}

/* Fills the scratch tables of symbolic axis a (idx, w, ok already point into scratch). */
static void runtime_tables(cg_ctx *c, resize_cg *s, int a) {
    const glc_resize_geom *rg = s->rg;
    int k = rg->taps[a];
    LLVMValueRef sc = rg->scale[a] != 0
                          ? fk(s, rg->scale[a])
                          : FDIV(LLVMBuildSIToFP(c->b, s->out[a], s->f64, ""),
                                 LLVMBuildSIToFP(c->b, s->in[a], s->f64, ""));
    cg_loop l;
    LLVMValueRef o = cg_loop_begin_v(c, &l, s->out[a]), ext;
    LLVMValueRef x = source(c, s, a, LLVMBuildSIToFP(c->b, o, s->f64, ""), sc, &ext);
    LLVMValueRef idx[GLC_RESIZE_MAX_TAPS], w[GLC_RESIZE_MAX_TAPS];
    taps(c, s, a, x, sc, idx, w);
    finish_taps(c, s, a, idx, w);
    for (int t = 0; t < k; t++) {
        LLVMValueRef at = cg_madd(c, o, k, cg_i64(c, t));
        LLVMBuildStore(c->b, idx[t], cg_gep(c, c->i64, s->idx[a], at));
        cg_stf(c, LLVMBuildFPTrunc(c->b, w[t], c->f32, ""), s->w[a], at);
    }
    if (s->ok[a]) cg_stf(c, SEL(ext, cg_f32(c, 0), cg_f32(c, 1)), s->ok[a], o);
    cg_loop_end(c, &l);
}

/* Scratch bytes of the symbolic axes' tables: idx (8 k out), w (4 k out), ok (4 out). */
static glc_dim scratch_bytes(const glc_graph *g, const glc_resize_geom *rg) {
    glc_dim b = 0;
    for (int a = 0; a < rg->rank; a++) {
        if (!rg->resized[a] || axis_static(rg, a)) continue;
        b = glc_dim_add(g, b, glc_dim_mul(g, rg->out[a], 16 * rg->taps[a] + 8));
    }
    return b;
}

glc_dim lower_resize_scratch(const cg_ctx *c, const glc_node *n) {
    glc_resize_geom rg;
    glc_diag d = {0};
    if (glc_resize_geom_get(c->g, n, &rg, &d) != GLC_OK) return 0;
    return scratch_bytes(c->g, &rg);
}

/* Points the symbolic axes' tables into scratch (each axis: idx, then w, then ok). */
static void place_tables(cg_ctx *c, resize_cg *s, LLVMValueRef scratch) {
    const glc_resize_geom *rg = s->rg;
    LLVMValueRef off = cg_i64(c, 0);
    for (int a = 0; a < rg->rank; a++) {
        if (!rg->resized[a] || axis_static(rg, a)) continue;
        LLVMValueRef n = LLVMBuildNSWMul(c->b, s->out[a], cg_i64(c, rg->taps[a]), "");
        s->idx[a] = cg_gep(c, c->i8, scratch, off);
        off = cg_madd(c, n, 8, off);
        s->w[a] = cg_gep(c, c->i8, scratch, off);
        off = cg_madd(c, n, 8, off); /* 4 k out of weights, padded to keep idx aligned */
        s->ok[a] = has_ok(rg) ? cg_gep(c, c->i8, scratch, off) : NULL;
        off = cg_madd(c, s->out[a], 8, off);
        runtime_tables(c, s, a);
    }
}

/* ---- the kernel ------------------------------------------------------------------------ */

/* Tap loops from axis a on: xoff the input offset so far, wp the weight product. */
static void emit_taps(cg_ctx *c, resize_cg *s, int a, LLVMValueRef xoff, LLVMValueRef wp) {
    const glc_resize_geom *rg = s->rg;
    if (a == rg->rank) {
        LLVMValueRef v = cg_ldf(c, s->x, xoff), cur = LLVMBuildLoad2(c->b, c->f32, s->acc, "");
        LLVMBuildStore(c->b, cg_fadd(c, cur, wp ? cg_fmul(c, wp, v) : v), s->acc);
        return;
    }
    if (!rg->resized[a]) {
        emit_taps(c, s, a + 1, cg_madd_v(c, s->o[a], s->xs[a], xoff), wp);
        return;
    }
    cg_loop l;
    int k = rg->taps[a];
    LLVMValueRef t = k == 1 ? cg_i64(c, 0) : cg_loop_begin(c, &l, k);
    LLVMValueRef at = cg_madd(c, s->o[a], k, t);
    LLVMValueRef ix = LLVMBuildLoad2(c->b, c->i64, cg_gep(c, c->i64, s->idx[a], at), "");
    bool unit = rg->mode == GLC_RESIZE_NEAREST && !rg->exclude_outside; /* weight 1 */
    LLVMValueRef w = unit ? NULL : cg_ldf(c, s->w[a], at);
    LLVMValueRef wn = !w ? wp : wp ? cg_fmul(c, wp, w) : w;
    emit_taps(c, s, a + 1, cg_madd_v(c, ix, s->xs[a], xoff), wn);
    if (k != 1) cg_loop_end(c, &l);
}

/* The output element at the current coordinates, yoff its offset. */
static void emit_element(cg_ctx *c, resize_cg *s, LLVMValueRef yoff) {
    const glc_resize_geom *rg = s->rg;
    LLVMBuildStore(c->b, cg_f32(c, 0), s->acc);
    emit_taps(c, s, 0, cg_i64(c, 0), NULL);
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->f32, s->acc, "");
    if (has_ok(rg)) {
        LLVMValueRef okp = cg_f32(c, 1);
        for (int a = 0; a < rg->rank; a++)
            if (rg->resized[a]) okp = cg_fmul(c, okp, cg_ldf(c, s->ok[a], s->o[a]));
        v = SEL(LLVMBuildFCmp(c->b, LLVMRealOEQ, okp, cg_f32(c, 0), ""),
                cg_f32(c, rg->extrapolation), v);
    }
    cg_stf(c, v, s->y, yoff);
}

static void emit_outputs(cg_ctx *c, resize_cg *s, int a, LLVMValueRef yoff) {
    if (a == s->rg->rank) {
        emit_element(c, s, yoff);
        return;
    }
    cg_loop l;
    s->o[a] = cg_loop_begin_v(c, &l, s->out[a]);
    emit_outputs(c, s, a + 1, cg_madd_v(c, s->o[a], s->ys[a], yoff));
    cg_loop_end(c, &l);
}

glc_status lower_resize(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_resize_geom rg;
    GLC_TRY(glc_resize_geom_get(c->g, n, &rg, c->d));
    bool scratch = scratch_bytes(c->g, &rg) != 0;
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + (scratch ? 1 : 0));
    if (!n->out[0]) {
        cg_kernel_end(c);
        return GLC_OK;
    }
    resize_cg s = {.rg = &rg, .f64 = LLVMDoubleTypeInContext(c->ctx)};
    s.y = LLVMGetParam(*fn, 0);
    s.x = LLVMGetParam(*fn, (unsigned)n->n_out);
    for (int a = 0; a < rg.rank; a++) {
        s.in[a] = cg_dim(c, rg.in[a]);
        s.out[a] = cg_dim(c, rg.out[a]);
        if (rg.resized[a] && axis_static(&rg, a) && static_tables(c, &s, a) != GLC_OK)
            return glc_diag_set(c->d, GLC_E_NOMEM, n, "%s: out of memory", glc_op_name(n->op));
    }
    cg_strides_dim(c, rg.rank, rg.in, s.xs);
    cg_strides_dim(c, rg.rank, rg.out, s.ys);
    s.acc = cg_alloca_entry(c, c->f32);
    if (scratch) place_tables(c, &s, LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in)));
    emit_outputs(c, &s, 0, cg_i64(c, 0));
    cg_kernel_end(c);
    return GLC_OK;
}
