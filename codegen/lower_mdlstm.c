/*
 * lower_mdlstm.c -- code generation for glc.MDLSTM (ir/mdlstm.h), specialised to the
 * node's static shapes and attributes. Same equations and float operation order as the
 * reference kernel (ir/interp_mdlstm.c, which documents them), scheduled for speed later:
 *
 *   1. Input projection, all directions and positions up front (one GEMM per (k, n)):
 *        xw[k, n, pos, :] = W_k x(n, :, pos) + B_k               xw: (D, N, npos, G*F)
 *   2. The recurrence, per direction k (a runtime loop; reversal bits are selects):
 *        R = 2: anti-diagonal wavefronts in scan coordinates (i, j):
 *          for s in 0 .. S1+S2-2, for i in [max(0, s-S2+1), min(s, S1-1)], j = s - i
 *        R = 1, 3: a row-major odometer over the scan coordinates
 *      and at each position p (all positions of one wavefront are independent: the
 *      loop that a later issue vectorises or threads), for each sample n:
 *        outside extents: hs = cs = 0, Y = 0
 *        else: a = xw[k, n, p] + sum_d R_k,d h_{p_d}   (gate GEMV; axis d skipped when
 *              p is the first along d, i.e. its predecessor is outside the grid)
 *              cell over F -> hs, cs (N, npos, F) and Y(n, k, :, p)
 *      A predecessor outside the sample's extents holds zeros (written when it was
 *      visited), which makes it act as the outside of the grid. Extents are compared as
 *      signed i64 against the position, so an out-of-range value behaves as if clamped to
 *      [0, S_d] (the interpreter rejects it; a kernel has no status to return).
 *
 * Scratch is workspace (lower_mdlstm_scratch, passed after the inputs): xw, hs, cs and
 * one gate row a (G*F), all f32. Loops are scalar and simple; a contiguous innermost
 * loop everywhere except the projection's dot product over C (X is channel-major).
 */
#include "cg_impl.h"
#include "mdlstm.h"

typedef struct mg {
    cg_ctx *c;
    const glc_mdlstm_desc *r;
    LLVMValueRef y, x, w, rw, bias, p, ext; /* params; NULL if absent / not requested */
    LLVMValueRef xw, hs, cs, a, acc;        /* scratch; acc is a one-float alloca */
    LLVMValueRef k;                         /* current direction (i64) */
    LLVMValueRef rev[3];                    /* i1: slot reversed in direction k */
} mg;

/* Offsets (floats) of the scratch parts. */
static int64_t xw_floats(const glc_mdlstm_desc *r) {
    return r->dirs * r->batch * r->npos * r->gates * r->hidden;
}

static int64_t state_floats(const glc_mdlstm_desc *r) {
    return r->batch * r->npos * r->hidden;
}

uint64_t lower_mdlstm_scratch(const cg_ctx *c, const glc_node *n) {
    glc_mdlstm_desc r;
    glc_diag d;
    if (glc_mdlstm_desc_read(c->g, n, &r, &d) != GLC_OK) return 0;
    int64_t floats = xw_floats(&r) + 2 * state_floats(&r) + r.gates * r.hidden;
    return (uint64_t)floats * sizeof(float);
}

/* ---- small builders ------------------------------------------------------------------ */

/* A top-tested loop with a runtime trip count n (cg_loop_begin's, for a value). */
static LLVMValueRef loop_begin_n(cg_ctx *c, cg_loop *l, LLVMValueRef n) {
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMValueRef fn = LLVMGetBasicBlockParent(pre);
    l->header = LLVMAppendBasicBlockInContext(c->ctx, fn, "loop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "body");
    l->latch = LLVMAppendBasicBlockInContext(c->ctx, fn, "latch");
    l->exit = LLVMAppendBasicBlockInContext(c->ctx, fn, "exit");
    LLVMBuildBr(c->b, l->header);
    LLVMPositionBuilderAtEnd(c->b, l->header);
    l->iv = LLVMBuildPhi(c->b, c->i64, "i");
    LLVMValueRef zero = cg_i64(c, 0);
    LLVMAddIncoming(l->iv, &zero, &pre, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, l->iv, n, ""), body, l->exit);
    LLVMPositionBuilderAtEnd(c->b, body);
    return l->iv;
}

static LLVMValueRef clip(mg *s, LLVMValueRef x) {
    cg_ctx *c = s->c;
    if (!s->r->has_clip) return x;
    LLVMValueRef lo = cg_f32(c, -s->r->clip), hi = cg_f32(c, s->r->clip);
    x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, hi, ""), hi, x, "");
}

/* f (k = 0) or g (1) of clip(x); h (2) of x, never clipped. */
static LLVMValueRef act(mg *s, int k, LLVMValueRef x) {
    return cg_act_emit(s->c, &s->r->acts[k], k == 2 ? x : clip(s, x));
}

/* ---- 1. input projection --------------------------------------------------------------- */

static void emit_projection(mg *s) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t GF = r->gates * r->hidden, C = r->channels, np = r->npos;
    cg_loop lk, ln, lp, lg, lc;
    LLVMValueRef k = cg_loop_begin(c, &lk, r->dirs);
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    LLVMValueRef xn = cg_madd(c, n, C * np, NULL);                       /* X(n, 0, 0) */
    LLVMValueRef row = cg_madd(c, cg_madd(c, k, r->batch, n), np, NULL); /* (k, n, 0) */
    LLVMValueRef pos = cg_loop_begin(c, &lp, np);
    LLVMValueRef xo = cg_iadd(c, row, pos);
    LLVMValueRef g = cg_loop_begin(c, &lg, GF);
    LLVMValueRef kg = cg_madd(c, k, GF, g);
    LLVMBuildStore(c->b, cg_f32(c, 0.0), s->acc);
    LLVMValueRef ch = cg_loop_begin(c, &lc, C);
    LLVMValueRef wv = cg_ldf(c, s->w, cg_madd(c, kg, C, ch));
    LLVMValueRef xv = cg_ldf(c, s->x, cg_madd(c, ch, np, cg_iadd(c, xn, pos)));
    LLVMBuildStore(c->b, cg_fadd(c, LLVMBuildLoad2(c->b, c->f32, s->acc, ""), cg_fmul(c, wv, xv)),
                   s->acc);
    cg_loop_end(c, &lc);
    LLVMValueRef a = LLVMBuildLoad2(c->b, c->f32, s->acc, "");
    a = cg_fadd(c, a, s->bias ? cg_ldf(c, s->bias, kg) : cg_f32(c, 0.0));
    cg_stf(c, a, s->xw, cg_madd(c, xo, GF, g));
    cg_loop_end(c, &lg);
    cg_loop_end(c, &lp);
    cg_loop_end(c, &ln);
    cg_loop_end(c, &lk);
}

/* ---- 2. the recurrence ------------------------------------------------------------------ */

/* One position as seen by one sample: offsets and predecessor validity. */
typedef struct md_pos {
    LLVMValueRef pos;      /* row-major position index */
    LLVMValueRef p[3];     /* slot coordinates */
    LLVMValueRef i[3];     /* scan step counts */
    LLVMValueRef valid[3]; /* per spatial axis d: predecessor inside the grid (i1) */
    LLVMValueRef q[3];     /* per axis: predecessor position (pos itself when not valid) */
} md_pos;

/* a[g] += R_k,d[g, :] . hs[n, q_d, :] for every g, when axis d's predecessor is valid. */
static void emit_recurrent(mg *s, const md_pos *mp, LLVMValueRef n, int d) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t F = r->hidden, GF = r->gates * F;
    cg_if f;
    cg_if_begin(c, &f, mp->valid[d]);
    LLVMValueRef hb = cg_madd(c, cg_madd(c, n, r->npos, mp->q[d]), F, NULL);
    LLVMValueRef rb = cg_madd(c, cg_madd(c, s->k, r->rank, cg_i64(c, d)), GF, NULL);
    cg_loop lg, lf;
    LLVMValueRef g = cg_loop_begin(c, &lg, GF);
    LLVMValueRef rrow = cg_madd(c, cg_iadd(c, rb, g), F, NULL);
    LLVMBuildStore(c->b, cg_f32(c, 0.0), s->acc);
    LLVMValueRef j = cg_loop_begin(c, &lf, F);
    LLVMValueRef pr = cg_fmul(c, cg_ldf(c, s->rw, cg_iadd(c, rrow, j)), cg_ldf(c, s->hs, cg_iadd(c, hb, j)));
    LLVMBuildStore(c->b, cg_fadd(c, LLVMBuildLoad2(c->b, c->f32, s->acc, ""), pr), s->acc);
    cg_loop_end(c, &lf);
    cg_stf(c, cg_fadd(c, cg_ldf(c, s->a, g), LLVMBuildLoad2(c->b, c->f32, s->acc, "")), s->a, g);
    cg_loop_end(c, &lg);
    cg_if_else(c, &f);
    cg_if_end(c, &f);
}

/* P_k[blk*F + j] * v, or NULL without peepholes. */
static LLVMValueRef peep(mg *s, int blk, LLVMValueRef j, LLVMValueRef v) {
    if (!s->p) return NULL;
    cg_ctx *c = s->c;
    int64_t F = s->r->hidden;
    LLVMValueRef off = cg_madd(c, s->k, (2 + s->r->rank) * F, cg_i64(c, blk * F));
    return cg_fmul(c, cg_ldf(c, s->p, cg_iadd(c, off, j)), v);
}

static LLVMValueRef plus(cg_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return b ? cg_fadd(c, a, b) : a;
}

/* The cell at (n, p) for hidden unit j; cd[d] predecessors' c. Returns h, sets *cn. */
static LLVMValueRef emit_cell_unit(mg *s, LLVMValueRef j, const LLVMValueRef *cd,
                                   LLVMValueRef *cn) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t F = r->hidden;
    int R = r->rank, bc = glc_mdlstm_block_c(r);
#define A(blk) cg_ldf(c, s->a, cg_addk(c, j, (int64_t)(blk)*F))
    if (r->cell == GLC_MD_STABLE) {
        LLVMValueRef lam = act(s, 0, A(3));
        LLVMValueRef blend = cg_fadd(c, cg_fmul(c, lam, cd[0]),
                                  cg_fmul(c, LLVMBuildFSub(c->b, cg_f32(c, 1.0), lam, ""), cd[1]));
        *cn = cg_fadd(c, cg_fmul(c, act(s, 0, A(0)), act(s, 1, A(4))), cg_fmul(c, act(s, 0, A(2)), blend));
        return cg_fmul(c, act(s, 0, A(1)), act(s, 2, *cn));
    }
    LLVMValueRef csum = cg_f32(c, 0.0);
    for (int d = 0; d < R; d++)
        csum = cg_fadd(c, csum, cd[d]);
    LLVMValueRef v = cg_fmul(c, act(s, 0, plus(c, A(0), peep(s, 0, j, csum))), act(s, 1, A(bc)));
    for (int d = 0; d < R; d++)
        v = cg_fadd(c, v, cg_fmul(c, act(s, 0, plus(c, A(2 + d), peep(s, 2 + d, j, cd[d]))), cd[d]));
    *cn = v;
    if (r->cell == GLC_MD_GRAVES)
        return cg_fmul(c, act(s, 0, plus(c, A(1), peep(s, 1, j, v))), act(s, 2, v));
    return act(s, 2, cg_fmul(c, act(s, 0, A(1)), v));
#undef A
}

/* Y(n, k, j, pos) = v, if Y is requested. */
static void store_y(mg *s, LLVMValueRef v, LLVMValueRef n, LLVMValueRef j, LLVMValueRef pos) {
    if (!s->y) return;
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    LLVMValueRef nk = cg_madd(c, n, r->dirs, s->k);
    LLVMValueRef off = cg_madd(c, cg_madd(c, nk, r->hidden, j), r->npos, pos);
    cg_stf(c, v, s->y, off);
}

/* Sample n inside its extents at mp: gates, then the cell over F. */
static void emit_compute(mg *s, const md_pos *mp, LLVMValueRef n) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t F = r->hidden, GF = r->gates * F, np = r->npos;
    LLVMValueRef xrow =
        cg_madd(c, cg_madd(c, cg_madd(c, s->k, r->batch, n), np, mp->pos), GF, NULL);
    cg_loop lg, lj;
    LLVMValueRef g = cg_loop_begin(c, &lg, GF);
    cg_stf(c, cg_ldf(c, s->xw, cg_iadd(c, xrow, g)), s->a, g);
    cg_loop_end(c, &lg);
    for (int d = 0; d < r->rank; d++)
        emit_recurrent(s, mp, n, d);
    LLVMValueRef nb = cg_madd(c, n, np, NULL);
    LLVMValueRef here = cg_madd(c, cg_iadd(c, nb, mp->pos), F, NULL);
    LLVMValueRef j = cg_loop_begin(c, &lj, F);
    LLVMValueRef cd[3];
    for (int d = 0; d < r->rank; d++) {
        LLVMValueRef v = cg_ldf(c, s->cs, cg_iadd(c, cg_madd(c, cg_iadd(c, nb, mp->q[d]), F, NULL), j));
        cd[d] = LLVMBuildSelect(c->b, mp->valid[d], v, cg_f32(c, 0.0), "");
    }
    LLVMValueRef cn, h = emit_cell_unit(s, j, cd, &cn);
    cg_stf(c, cn, s->cs, cg_iadd(c, here, j));
    cg_stf(c, h, s->hs, cg_iadd(c, here, j));
    store_y(s, h, n, j, mp->pos);
    cg_loop_end(c, &lj);
}

/* Sample n outside its extents at mp: zero state and output. */
static void emit_outside(mg *s, const md_pos *mp, LLVMValueRef n) {
    cg_ctx *c = s->c;
    int64_t F = s->r->hidden;
    LLVMValueRef here = cg_madd(c, cg_madd(c, n, s->r->npos, mp->pos), F, NULL);
    cg_loop lj;
    LLVMValueRef j = cg_loop_begin(c, &lj, F);
    cg_stf(c, cg_f32(c, 0.0), s->cs, cg_iadd(c, here, j));
    cg_stf(c, cg_f32(c, 0.0), s->hs, cg_iadd(c, here, j));
    store_y(s, cg_f32(c, 0.0), n, j, mp->pos);
    cg_loop_end(c, &lj);
}

/* p_d < extents[n, d] for every spatial axis d. */
static LLVMValueRef emit_inside(mg *s, const md_pos *mp, LLVMValueRef n) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    LLVMValueRef in = NULL;
    for (int d = 0; d < r->rank; d++) {
        LLVMValueRef e = LLVMBuildLoad2(
            c->b, c->i64, cg_gep(c, c->i64, s->ext, cg_madd(c, n, r->rank, cg_i64(c, d))), "");
        LLVMValueRef ok = LLVMBuildICmp(c->b, LLVMIntSLT, mp->p[3 - r->rank + d], e, "");
        in = in ? LLVMBuildAnd(c->b, in, ok, "") : ok;
    }
    return in;
}

/* The position with scan step counts i[3] (slot order), for every sample. */
static void emit_position(mg *s, LLVMValueRef *i) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    md_pos mp = {.pos = cg_i64(c, 0)};
    for (int sl = 0; sl < 3; sl++) {
        mp.i[sl] = i[sl];
        LLVMValueRef back = LLVMBuildNSWSub(c->b, cg_i64(c, r->size[sl] - 1), i[sl], "");
        mp.p[sl] = s->rev[sl] ? LLVMBuildSelect(c->b, s->rev[sl], back, i[sl], "") : i[sl];
        mp.pos = cg_madd(c, mp.p[sl], r->stride[sl], mp.pos);
    }
    for (int d = 0; d < r->rank; d++) {
        int sl = 3 - r->rank + d;
        int64_t st_ = r->stride[sl];
        mp.valid[d] = LLVMBuildICmp(c->b, LLVMIntSGT, i[sl], cg_i64(c, 0), "");
        LLVMValueRef step = LLVMBuildSelect(c->b, s->rev[sl], cg_i64(c, st_), cg_i64(c, -st_), "");
        mp.q[d] = LLVMBuildSelect(c->b, mp.valid[d], cg_iadd(c, mp.pos, step), mp.pos, "");
    }
    cg_loop ln;
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    if (s->ext) {
        cg_if f;
        cg_if_begin(c, &f, emit_inside(s, &mp, n));
        emit_compute(s, &mp, n);
        cg_if_else(c, &f);
        emit_outside(s, &mp, n);
        cg_if_end(c, &f);
    } else {
        emit_compute(s, &mp, n);
    }
    cg_loop_end(c, &ln);
}

/* R = 2: anti-diagonals s = i + j of the scan coordinates, in order. */
static void emit_wavefronts(mg *s) {
    cg_ctx *c = s->c;
    int64_t S1 = s->r->size[1], S2 = s->r->size[2];
    if (S1 == 0 || S2 == 0) return;
    cg_loop ld_, lt;
    LLVMValueRef dg = cg_loop_begin(c, &ld_, S1 + S2 - 1);
    LLVMValueRef lo = LLVMBuildNSWSub(c->b, dg, cg_i64(c, S2 - 1), "");
    lo = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, lo, cg_i64(c, 0), ""), cg_i64(c, 0),
                         lo, "");
    LLVMValueRef hi =
        LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, dg, cg_i64(c, S1 - 1), ""), dg,
                        cg_i64(c, S1 - 1), "");
    LLVMValueRef cnt = cg_addk(c, LLVMBuildNSWSub(c->b, hi, lo, ""), 1);
    LLVMValueRef t = loop_begin_n(c, &lt, cnt); /* the positions of one wavefront */
    LLVMValueRef i1 = cg_iadd(c, lo, t);
    LLVMValueRef i[3] = {cg_i64(c, 0), i1, LLVMBuildNSWSub(c->b, dg, i1, "")};
    emit_position(s, i);
    cg_loop_end(c, &lt);
    cg_loop_end(c, &ld_);
}

/* R = 1, 3: row-major over the scan coordinates (the interpreter's order). */
static void emit_odometer(mg *s) {
    cg_ctx *c = s->c;
    cg_loop l[3];
    LLVMValueRef i[3];
    for (int sl = 0; sl < 3; sl++)
        i[sl] = cg_loop_begin(c, &l[sl], s->r->size[sl]);
    emit_position(s, i);
    for (int sl = 2; sl >= 0; sl--)
        cg_loop_end(c, &l[sl]);
}

static void emit_directions(mg *s) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    cg_loop lk;
    s->k = cg_loop_begin(c, &lk, r->dirs);
    for (int sl = 0; sl < 3; sl++) {
        s->rev[sl] = NULL; /* padding slots are never reversed */
        if (sl < 3 - r->rank) continue;
        LLVMValueRef bit =
            LLVMBuildAnd(c->b, LLVMBuildAShr(c->b, s->k, cg_i64(c, 2 - sl), ""), cg_i64(c, 1), "");
        s->rev[sl] = LLVMBuildICmp(c->b, LLVMIntNE, bit, cg_i64(c, 0), "");
    }
    if (r->rank == 2)
        emit_wavefronts(s);
    else
        emit_odometer(s);
    cg_loop_end(c, &lk);
}

glc_status lower_mdlstm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_mdlstm_desc r;
    GLC_TRY(glc_mdlstm_desc_read(c->g, n, &r, c->d));
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + 1);
    LLVMValueRef in[6] = {0};
    for (int i = 0; i < n->n_in && i < 6; i++)
        if (n->in[i]) in[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    LLVMValueRef scratch = LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in));
    mg s = {.c = c,
            .r = &r,
            .y = n->n_out > 0 && n->out[0] ? LLVMGetParam(*fn, 0) : NULL,
            .x = in[GLC_MD_X],
            .w = in[GLC_MD_W],
            .rw = in[GLC_MD_R],
            .bias = in[GLC_MD_B],
            .p = in[GLC_MD_P],
            .ext = in[GLC_MD_EXTENTS]};
    int64_t xwf = xw_floats(&r), sf = state_floats(&r);
    s.xw = scratch;                                            /* (D, N, npos, G*F) */
    s.hs = cg_gep(c, c->f32, scratch, cg_i64(c, xwf));         /* (N, npos, F) */
    s.cs = cg_gep(c, c->f32, scratch, cg_i64(c, xwf + sf));    /* (N, npos, F) */
    s.a = cg_gep(c, c->f32, scratch, cg_i64(c, xwf + 2 * sf)); /* (G*F) */
    s.acc = cg_alloca_entry(c, c->f32);
    emit_projection(&s);
    emit_directions(&s);
    cg_kernel_end(c);
    return GLC_OK;
}
