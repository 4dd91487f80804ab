/*
 * lower_mdlstm.c -- code generation for glc.MDLSTM (ir/mdlstm.h), specialised to the
 * node's static shapes and attributes. Same equations as the reference kernel
 * (ir/interp_mdlstm.c, which documents them); the heavy work is two kinds of matrix
 * products through cg_gemm_emit, and directions are unrolled at compile time so every
 * weight operand is a constant slice (packed by the emitter when the weight is constant).
 *
 * Per direction k (reversal bits known at compile time):
 *   1. Input projection over all positions, one product per sample n:
 *        xw[n, pos, :] = X(n, :, pos)^T Wt_k     (npos x C) (C x G*F), X read channel-major,
 *        Wt_k(ch, g) = W_k(g, ch)                (bias is added in the cell epilogue)
 *   2. The recurrence as wavefronts. Scan coordinates (i0, i1, i2) (slot s runs from its
 *      end when reversed); for i0 in order, the 2-D anti-diagonals dg = i1 + i2 in order.
 *      A cell depends only on (i0-1, i1, i2), (i0, i1-1, i2), (i0, i1, i2-1), so the
 *      L <= Lmax = min(S1, S2) cells of one diagonal, for every sample, are independent.
 *      Rank 1 and 3 fit this too (rank 1: slots 0 and 1 have size 1, L = 1).
 *      For each diagonal:
 *        gather  H[t*N + n, d*F .. d*F+F) = h of the predecessor along axis d, or zeros
 *                when it is outside the grid                       H: (Lmax*N, R*F)
 *        product G = H Rt_k, Rt_k(d*F + f, g) = R_k,d(g, f)        G: (Lmax*N, G*F)
 *                (one product of static M = Lmax*N rows; rows t >= L hold stale but
 *                finite values and are ignored)
 *        epilogue per row (t, n), t < L: outside the sample's extents hs = cs = 0, else
 *                a = (xw + B_k) + G, then the cell -> hs, cs; the cell is one noinline
 *                helper per node (k.<node>.cell) whose noalias pointer parameters let its
 *                loop over the hidden units vectorize
 *   3. Y(n, k, :, :) = transpose of hs[n] (tiles of positions), when Y is requested.
 * A predecessor outside the sample's extents holds zeros (written when it was visited),
 * which makes it act as the outside of the grid. Extents are compared as signed i64
 * against the position, so an out-of-range value behaves as if clamped to [0, S_d] (the
 * interpreter rejects it; a kernel has no status to return).
 *
 * Lane padding: the cell loop runs over Fp = F rounded up to CELL_LANES, so it has no
 * scalar remainder. hs and cs rows are Fp long; the extra lanes read finite neighbouring
 * values (the next gate block, or padding added after xw, G and the B/P copy bp) and write
 * only into the padding of hs/cs rows, which the gather and Y never read.
 *
 * Float order differs from the interpreter only in the sums: the projection's sum over C
 * is the product's, and the recurrent terms are summed over all axes first, then added to
 * (W x + B).
 *
 * Weights: a constant W or R is transposed at compile time into a private global and its
 * host copy is passed to the product as b_const (packed there); otherwise the kernel
 * transposes it into scratch at the start of each call.
 * Scratch (lower_mdlstm_scratch, passed after the inputs; every part 64-byte aligned):
 * product scratch, xw (N, npos, G*F), hs and cs (N, npos, Fp), H, G, a zero row (Fp),
 * bp (D*G*F + D*(2+R)*F), then Wt (D, C, G*F) and Rt (D, R*F, G*F) when not constant.
 */
#include "cg_impl.h"
#include "mdlstm.h"

#include <stdio.h>
#include <stdlib.h>

/* Byte offsets of the scratch parts and the product shapes of one node. */
typedef struct md_plan {
    int64_t lmax, m;  /* cells per diagonal (max), product rows Lmax*N */
    int64_t gf, rf;   /* G*F, R*F */
    int64_t fp;       /* F rounded up to CELL_LANES: the row length of hs, cs */
    uint64_t gemm;    /* product scratch (offset 0) */
    uint64_t xw, hs, cs, h, g, zero, bp, wt, rt, total;
    cg_gemm proj, rec; /* LLVM values and constants left NULL */
} md_plan;

static uint64_t up64(uint64_t b) {
    return (b + 63) / 64 * 64;
}

static const float *const_f32(const cg_ctx *c, const glc_node *n, int i) {
    if (i >= n->n_in || !n->in[i]) return NULL;
    const glc_value *v = glc_node_input(c->g, n, i);
    return v ? v->data : NULL;
}

/* The cell loop runs over F rounded up to this many lanes (a multiple of every vector
 * width), so it has no scalar remainder; the extra lanes compute garbage from finite
 * neighbouring values into padding that nothing else reads. */
enum { CELL_LANES = 16 };

static void plan(const cg_ctx *c, const glc_node *n, const glc_mdlstm_desc *r, md_plan *p) {
    int64_t F = r->hidden, N = r->batch, np = r->npos;
    p->gf = r->gates * F;
    p->rf = r->rank * F;
    p->fp = (F + CELL_LANES - 1) / CELL_LANES * CELL_LANES;
    int64_t pad = p->fp - F; /* lanes read past the end of a G*F or (2+R)*F row */
    p->lmax = r->size[1] < r->size[2] ? r->size[1] : r->size[2];
    p->m = p->lmax * N;
    /* b_const here only says whether W / R are constant (the transposed copies that the
     * kernel passes are made later). */
    p->proj = (cg_gemm){.M = np, .N = p->gf, .K = r->channels, .a_rs = 1, .a_cs = np,
                        .b_rs = p->gf, .b_cs = 1, .y_rs = p->gf,
                        .b_const = const_f32(c, n, GLC_MD_W)};
    p->rec = (cg_gemm){.M = p->m, .N = p->gf, .K = p->rf, .a_rs = p->rf, .a_cs = 1,
                       .b_rs = p->gf, .b_cs = 1, .y_rs = p->gf,
                       .b_const = const_f32(c, n, GLC_MD_R)};
    uint64_t gp = cg_gemm_scratch_bytes(c, &p->proj), gr = cg_gemm_scratch_bytes(c, &p->rec);
    uint64_t f = sizeof(float), o = up64(gp > gr ? gp : gr);
    p->gemm = 0;
    p->xw = o, o += up64((uint64_t)(N * np * p->gf + pad) * f);
    p->hs = o, o += up64((uint64_t)(N * np * p->fp) * f);
    p->cs = o, o += up64((uint64_t)(N * np * p->fp) * f);
    p->h = o, o += up64((uint64_t)(p->m * p->rf) * f);
    p->g = o, o += up64((uint64_t)(p->m * p->gf + pad) * f);
    p->zero = o, o += up64((uint64_t)p->fp * f);
    p->bp = o, o += up64((uint64_t)(r->dirs * (p->gf + (2 + r->rank) * F) + pad) * f);
    p->wt = o;
    if (!p->proj.b_const) o += up64((uint64_t)(r->dirs * r->channels * p->gf) * f);
    p->rt = o;
    if (!p->rec.b_const) o += up64((uint64_t)(r->dirs * p->rf * p->gf) * f);
    p->total = o;
}

uint64_t lower_mdlstm_scratch(const cg_ctx *c, const glc_node *n) {
    glc_mdlstm_desc r;
    glc_diag d;
    if (glc_mdlstm_desc_read(c->g, n, &r, &d) != GLC_OK) return 0;
    md_plan p;
    plan(c, n, &r, &p);
    return p.total;
}

/* A transposed weight: a constant global plus its host data when the weight is constant
 * (host is then freed by lower_mdlstm), else scratch filled at run time (host NULL). */
typedef struct md_weight {
    LLVMValueRef ptr;
    float *host;
} md_weight;

typedef struct mg {
    cg_ctx *c;
    const glc_mdlstm_desc *r;
    const md_plan *pl;
    LLVMValueRef y, x, bias, p, ext;          /* params; NULL if absent / not requested */
    LLVMValueRef gs, xw, hs, cs, h, g, zero;  /* scratch parts */
    LLVMValueRef bp; /* B (D, G*F) then P (D, (2+R)*F), zeros when absent, padded */
    md_weight wt, rt; /* Wt (D, C, G*F), Rt (D, R*F, G*F): scratch or constant global */
    LLVMValueRef cell_fn;                     /* the per-row cell helper */
    bool has_bias, has_peep;
    int k;                                    /* current direction */
    bool rev[3];                              /* slot reversed in direction k */
} mg;

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

static LLVMValueRef fptr(cg_ctx *c, LLVMValueRef base, LLVMValueRef idx) {
    return cg_gep(c, c->f32, base, idx);
}

static void zero_floats(cg_ctx *c, LLVMValueRef p, int64_t n) {
    if (n > 0) LLVMBuildMemSet(c->b, p, LLVMConstInt(c->i8, 0, 0), cg_i64(c, n * 4), 4);
}

static void copy_floats(cg_ctx *c, LLVMValueRef dst, LLVMValueRef src, int64_t n) {
    if (n > 0) LLVMBuildMemCpy(c->b, dst, 4, src, 4, cg_i64(c, n * 4));
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

/* ---- the cell helper -------------------------------------------------------------------- */

/* Pointers of one row of the cell helper k.<node>.cell(h, c, g, xw, b, p, cp0, cp1, cp2),
 * all noalias f32: h, c (F) the outputs; g the gate product row, xw the projection row,
 * b the bias row (G*F, unused without bias), p the peepholes ((2+R)*F, unused without),
 * cp[d] the predecessors' c (F; the zero row when outside the grid). */
enum { CL_H, CL_C, CL_G, CL_XW, CL_B, CL_P, CL_CP, CL_NPARAM = CL_CP + 3 };

typedef struct cell_args {
    LLVMValueRef v[CL_NPARAM];
    LLVMValueRef j;
} cell_args;

/* Pre-activation of gate block blk at unit j: (xw + b) + g. */
static LLVMValueRef gate(mg *s, const cell_args *a, int blk) {
    cg_ctx *c = s->c;
    LLVMValueRef i = cg_addk(c, a->j, (int64_t)blk * s->r->hidden);
    LLVMValueRef v = cg_ldf(c, a->v[CL_XW], i);
    if (s->has_bias) v = cg_fadd(c, v, cg_ldf(c, a->v[CL_B], i));
    return cg_fadd(c, v, cg_ldf(c, a->v[CL_G], i));
}

/* x + P[blk*F + j] * v, or x without peepholes. */
static LLVMValueRef peep(mg *s, const cell_args *a, LLVMValueRef x, int blk, LLVMValueRef v) {
    if (!s->has_peep) return x;
    cg_ctx *c = s->c;
    LLVMValueRef pv = cg_ldf(c, a->v[CL_P], cg_addk(c, a->j, (int64_t)blk * s->r->hidden));
    return cg_fadd(c, x, cg_fmul(c, pv, v));
}

/* The cell for hidden unit j; cd[d] predecessors' c. Returns h, sets *cn. */
static LLVMValueRef cell_unit(mg *s, const cell_args *a, const LLVMValueRef *cd,
                              LLVMValueRef *cn) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int R = r->rank, bc = glc_mdlstm_block_c(r);
    if (r->cell == GLC_MD_STABLE) {
        LLVMValueRef lam = act(s, 0, gate(s, a, 3));
        LLVMValueRef blend = cg_fadd(c, cg_fmul(c, lam, cd[0]),
                                     cg_fmul(c, LLVMBuildFSub(c->b, cg_f32(c, 1.0), lam, ""), cd[1]));
        *cn = cg_fadd(c, cg_fmul(c, act(s, 0, gate(s, a, 0)), act(s, 1, gate(s, a, 4))),
                      cg_fmul(c, act(s, 0, gate(s, a, 2)), blend));
        return cg_fmul(c, act(s, 0, gate(s, a, 1)), act(s, 2, *cn));
    }
    LLVMValueRef csum = cg_f32(c, 0.0);
    for (int d = 0; d < R; d++)
        csum = cg_fadd(c, csum, cd[d]);
    LLVMValueRef v =
        cg_fmul(c, act(s, 0, peep(s, a, gate(s, a, 0), 0, csum)), act(s, 1, gate(s, a, bc)));
    for (int d = 0; d < R; d++)
        v = cg_fadd(c, v, cg_fmul(c, act(s, 0, peep(s, a, gate(s, a, 2 + d), 2 + d, cd[d])), cd[d]));
    *cn = v;
    if (r->cell == GLC_MD_GRAVES)
        return cg_fmul(c, act(s, 0, peep(s, a, gate(s, a, 1), 1, v)), act(s, 2, v));
    return act(s, 2, cg_fmul(c, act(s, 0, gate(s, a, 1)), v));
}

/* Emits k.<node>.cell; leaves the builder unpositioned (the caller starts its kernel). */
static void emit_cell_fn(mg *s, const char *node) {
    cg_ctx *c = s->c;
    char name[128];
    snprintf(name, sizeof name, "%s.cell", node ? node : "mdlstm");
    s->cell_fn = cg_kernel_begin(c, name, CL_NPARAM);
    /* one copy per node instead of one per direction: a call costs little next to a row */
    unsigned ni = LLVMGetEnumAttributeKindForName("noinline", 8);
    LLVMAddAttributeAtIndex(s->cell_fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(c->ctx, ni, 0));
    cell_args a;
    for (int i = 0; i < CL_NPARAM; i++)
        a.v[i] = LLVMGetParam(s->cell_fn, (unsigned)i);
    cg_loop lj;
    a.j = cg_loop_begin(c, &lj, s->pl->fp);
    LLVMValueRef cd[3];
    for (int d = 0; d < s->r->rank; d++)
        cd[d] = cg_ldf(c, a.v[CL_CP + d], a.j);
    LLVMValueRef cn, h = cell_unit(s, &a, cd, &cn);
    cg_stf(c, cn, a.v[CL_C], a.j);
    cg_stf(c, h, a.v[CL_H], a.j);
    cg_loop_end(c, &lj);
    cg_kernel_end(c);
}

/* ---- weights ----------------------------------------------------------------------------- */

/* Each of `count` (rows x cols) slabs of src transposed in place of the slab, as host data
 * (NULL when out of memory): dst[(s*cols + j)*rows + i] = src[(s*rows + i)*cols + j].
 * Wt(k, ch, g) = W(k, g, ch) is count D; Rt(k, d*F + f, g) = R(k, d, g, f) is count D*R. */
static float *transpose_host(const float *src, int64_t count, int64_t rows, int64_t cols) {
    float *dst = malloc((size_t)(count * rows * cols) * sizeof *dst + 1);
    if (!dst) return NULL;
    for (int64_t s = 0; s < count; s++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                dst[(s * cols + j) * rows + i] = src[(s * rows + i) * cols + j];
    return dst;
}

static LLVMValueRef private_floats(cg_ctx *c, const float *data, int64_t n, const char *name) {
    LLVMValueRef init = LLVMConstStringInContext2(c->ctx, (const char *)data,
                                                  (size_t)n * sizeof *data, 1);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 64);
    return gv;
}

/* The same transposition at run time (a weight that is not constant), into dst. */
static void emit_transpose(cg_ctx *c, LLVMValueRef dst, LLVMValueRef src, int64_t count,
                           int64_t rows, int64_t cols) {
    cg_loop ls, li, lj;
    LLVMValueRef sl = cg_loop_begin(c, &ls, count);
    LLVMValueRef i = cg_loop_begin(c, &li, rows);
    LLVMValueRef from = cg_madd(c, cg_madd(c, sl, rows, i), cols, NULL);
    LLVMValueRef j = cg_loop_begin(c, &lj, cols);
    LLVMValueRef to = cg_madd(c, cg_madd(c, sl, cols, j), rows, i);
    cg_stf(c, cg_ldf(c, src, cg_iadd(c, from, j)), dst, to);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
    cg_loop_end(c, &ls);
}


static glc_status weight_host(cg_ctx *c, const glc_node *n, int in, int64_t count,
                              int64_t rows, int64_t cols, md_weight *w) {
    const float *v = const_f32(c, n, in);
    w->host = NULL;
    w->ptr = NULL;
    if (!v) return GLC_OK;
    w->host = transpose_host(v, count, rows, cols);
    if (!w->host) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    w->ptr = private_floats(c, w->host, count * rows * cols, in == GLC_MD_W ? "mdlstm.wt" : "mdlstm.rt");
    return GLC_OK;
}

/* ---- 1. input projection --------------------------------------------------------------- */

static glc_status emit_projection(mg *s) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t GF = s->pl->gf, C = r->channels, np = r->npos;
    cg_loop ln;
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    cg_gemm g = s->pl->proj;
    g.a = fptr(c, s->x, cg_madd(c, n, C * np, NULL));
    g.b = fptr(c, s->wt.ptr, cg_i64(c, s->k * C * GF));
    g.b_const = s->wt.host ? s->wt.host + s->k * C * GF : NULL;
    g.y = fptr(c, s->xw, cg_madd(c, n, np * GF, NULL));
    g.scratch = s->gs;
    GLC_TRY(cg_gemm_emit(c, &g));
    cg_loop_end(c, &ln);
    return GLC_OK;
}

/* ---- 2. the recurrence ------------------------------------------------------------------ */

/* One cell of a diagonal: position and predecessors (valid: inside the grid). */
typedef struct md_pos {
    LLVMValueRef pos;      /* row-major position index */
    LLVMValueRef p[3];     /* slot coordinates */
    LLVMValueRef valid[3]; /* per spatial axis d (i1) */
    LLVMValueRef q[3];     /* per axis: predecessor position (pos itself when not valid) */
} md_pos;

static md_pos cell_pos(mg *s, const LLVMValueRef *i) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    md_pos mp = {.pos = cg_i64(c, 0)};
    for (int sl = 0; sl < 3; sl++) {
        mp.p[sl] = s->rev[sl] ? LLVMBuildNSWSub(c->b, cg_i64(c, r->size[sl] - 1), i[sl], "")
                              : i[sl];
        mp.pos = cg_madd(c, mp.p[sl], r->stride[sl], mp.pos);
    }
    for (int d = 0; d < r->rank; d++) {
        int sl = 3 - r->rank + d;
        int64_t st = s->rev[sl] ? r->stride[sl] : -r->stride[sl];
        mp.valid[d] = LLVMBuildICmp(c->b, LLVMIntSGT, i[sl], cg_i64(c, 0), "");
        mp.q[d] = LLVMBuildSelect(c->b, mp.valid[d], cg_addk(c, mp.pos, st), mp.pos, "");
    }
    return mp;
}

/* &state[n, q, 0] of hs or cs, or the zero row when !valid. */
static LLVMValueRef state_row(mg *s, LLVMValueRef st, LLVMValueRef n, LLVMValueRef q,
                              LLVMValueRef valid) {
    cg_ctx *c = s->c;
    LLVMValueRef row = cg_madd(c, cg_madd(c, n, s->r->npos, q), s->pl->fp, NULL);
    LLVMValueRef ptr = fptr(c, st, row);
    return valid ? LLVMBuildSelect(c->b, valid, ptr, s->zero, "") : ptr;
}

/* Scan coordinates of cell t of diagonal dg (first row lo) in slice i0. */
static md_pos diag_cell(mg *s, LLVMValueRef i0, LLVMValueRef dg, LLVMValueRef lo, LLVMValueRef t) {
    LLVMValueRef i1 = cg_iadd(s->c, lo, t);
    LLVMValueRef i[3] = {i0, i1, LLVMBuildNSWSub(s->c->b, dg, i1, "")};
    return cell_pos(s, i);
}

/* H rows of the diagonal's cells: predecessors' h, or zeros. */
static void emit_gather(mg *s, LLVMValueRef i0, LLVMValueRef dg, LLVMValueRef lo, LLVMValueRef cnt) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t F = r->hidden, RF = s->pl->rf;
    cg_loop lt, ln;
    LLVMValueRef t = loop_begin_n(c, &lt, cnt);
    md_pos mp = diag_cell(s, i0, dg, lo, t);
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    LLVMValueRef row = cg_madd(c, cg_madd(c, t, r->batch, n), RF, NULL);
    for (int d = 0; d < r->rank; d++)
        copy_floats(c, fptr(c, s->h, cg_addk(c, row, d * F)),
                    state_row(s, s->hs, n, mp.q[d], mp.valid[d]), F);
    cg_loop_end(c, &ln);
    cg_loop_end(c, &lt);
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

/* The cell of sample n at mp, whose gate product is G row `row`. */
static void emit_cell_call(mg *s, const md_pos *mp, LLVMValueRef n, LLVMValueRef row) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t GF = s->pl->gf, F = r->hidden, D = r->dirs;
    LLVMValueRef a[CL_NPARAM];
    a[CL_H] = state_row(s, s->hs, n, mp->pos, NULL);
    a[CL_C] = state_row(s, s->cs, n, mp->pos, NULL);
    a[CL_G] = fptr(c, s->g, cg_madd(c, row, GF, NULL));
    a[CL_XW] = fptr(c, s->xw, cg_madd(c, cg_madd(c, n, r->npos, mp->pos), GF, NULL));
    a[CL_B] = fptr(c, s->bp, cg_i64(c, s->k * GF));
    a[CL_P] = fptr(c, s->bp, cg_i64(c, D * GF + s->k * (2 + r->rank) * F));
    for (int d = 0; d < 3; d++)
        a[CL_CP + d] = d < r->rank ? state_row(s, s->cs, n, mp->q[d], mp->valid[d]) : s->zero;
    LLVMTypeRef pt[CL_NPARAM];
    for (int i = 0; i < CL_NPARAM; i++)
        pt[i] = c->ptr;
    LLVMBuildCall2(c->b, LLVMFunctionType(c->void_t, pt, CL_NPARAM, 0), s->cell_fn, a,
                   CL_NPARAM, "");
}

/* Epilogue of the diagonal: every (t < cnt, n) row. */
static void emit_cells(mg *s, LLVMValueRef i0, LLVMValueRef dg, LLVMValueRef lo, LLVMValueRef cnt) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t F = s->pl->fp;
    cg_loop lt, ln;
    LLVMValueRef t = loop_begin_n(c, &lt, cnt);
    md_pos mp = diag_cell(s, i0, dg, lo, t);
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    LLVMValueRef row = cg_madd(c, t, r->batch, n);
    if (s->ext) {
        cg_if f;
        cg_if_begin(c, &f, emit_inside(s, &mp, n));
        emit_cell_call(s, &mp, n, row);
        cg_if_else(c, &f);
        zero_floats(c, state_row(s, s->hs, n, mp.pos, NULL), F);
        zero_floats(c, state_row(s, s->cs, n, mp.pos, NULL), F);
        cg_if_end(c, &f);
    } else {
        emit_cell_call(s, &mp, n, row);
    }
    cg_loop_end(c, &ln);
    cg_loop_end(c, &lt);
}

/* For each slice i0 and anti-diagonal dg of slots 1, 2: gather, product, epilogue. */
static glc_status emit_wavefronts(mg *s) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t S1 = r->size[1], S2 = r->size[2];
    if (r->npos == 0) return GLC_OK;
    cg_loop l0, ld;
    LLVMValueRef i0 = cg_loop_begin(c, &l0, r->size[0]);
    LLVMValueRef dg = cg_loop_begin(c, &ld, S1 + S2 - 1);
    LLVMValueRef lo = LLVMBuildNSWSub(c->b, dg, cg_i64(c, S2 - 1), "");
    lo = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, lo, cg_i64(c, 0), ""), cg_i64(c, 0),
                         lo, "");
    LLVMValueRef hi =
        LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, dg, cg_i64(c, S1 - 1), ""), dg,
                        cg_i64(c, S1 - 1), "");
    LLVMValueRef cnt = cg_addk(c, LLVMBuildNSWSub(c->b, hi, lo, ""), 1);
    emit_gather(s, i0, dg, lo, cnt);
    cg_gemm g = s->pl->rec;
    g.a = s->h;
    int64_t slab = s->pl->rf * s->pl->gf;
    g.b = fptr(c, s->rt.ptr, cg_i64(c, s->k * slab));
    g.b_const = s->rt.host ? s->rt.host + s->k * slab : NULL;
    g.y = s->g;
    g.scratch = s->gs;
    GLC_TRY(cg_gemm_emit(c, &g));
    emit_cells(s, i0, dg, lo, cnt);
    cg_loop_end(c, &ld);
    cg_loop_end(c, &l0);
    return GLC_OK;
}

/* ---- 3. output ----------------------------------------------------------------------------- */

enum { Y_TILE = 16 };

/* Y(n, k, j, p0 + u) = hs[n, p0 + u, j] for u < w, j < F. */
static void emit_y_tile(mg *s, LLVMValueRef n, LLVMValueRef p0, int64_t w) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t F = r->hidden, np = r->npos;
    LLVMValueRef yb = cg_madd(c, cg_madd(c, n, r->dirs, cg_i64(c, s->k)), F * np, p0);
    LLVMValueRef hb = cg_madd(c, cg_madd(c, n, np, p0), s->pl->fp, NULL);
    cg_loop lj, lu;
    LLVMValueRef j = cg_loop_begin(c, &lj, F);
    LLVMValueRef yj = cg_madd(c, j, np, yb), hj = cg_iadd(c, hb, j);
    LLVMValueRef u = cg_loop_begin(c, &lu, w);
    cg_stf(c, cg_ldf(c, s->hs, cg_madd(c, u, s->pl->fp, hj)), s->y, cg_iadd(c, yj, u));
    cg_loop_end(c, &lu);
    cg_loop_end(c, &lj);
}

static void emit_y(mg *s) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    if (!s->y) return;
    int64_t np = r->npos, full = np / Y_TILE, rest = np % Y_TILE;
    cg_loop ln, lt;
    LLVMValueRef n = cg_loop_begin(c, &ln, r->batch);
    LLVMValueRef t = cg_loop_begin(c, &lt, full);
    emit_y_tile(s, n, cg_madd(c, t, Y_TILE, NULL), Y_TILE);
    cg_loop_end(c, &lt);
    if (rest) emit_y_tile(s, n, cg_i64(c, full * Y_TILE), rest);
    cg_loop_end(c, &ln);
}

/* ---- the kernel ---------------------------------------------------------------------------- */

static glc_status emit_directions(mg *s) {
    const glc_mdlstm_desc *r = s->r;
    for (int k = 0; k < r->dirs; k++) {
        s->k = k;
        for (int sl = 0; sl < 3; sl++) /* padding slots are never reversed */
            s->rev[sl] = sl >= 3 - r->rank && glc_mdlstm_slot_reversed(k, sl);
        GLC_TRY(emit_projection(s));
        GLC_TRY(emit_wavefronts(s));
        emit_y(s);
    }
    return GLC_OK;
}

/* bp = B, P (or zeros), and zeros in the padding. */
static void emit_bias_peep(mg *s, const md_plan *p) {
    cg_ctx *c = s->c;
    int64_t nb = s->r->dirs * p->gf, np_ = s->r->dirs * (2 + s->r->rank) * s->r->hidden;
    zero_floats(c, s->bp, nb + np_ + p->fp - s->r->hidden);
    if (s->bias) copy_floats(c, s->bp, s->bias, nb);
    if (s->p) copy_floats(c, fptr(c, s->bp, cg_i64(c, nb)), s->p, np_);
}

static LLVMValueRef scratch_part(cg_ctx *c, LLVMValueRef scratch, uint64_t off) {
    return LLVMBuildGEP2(c->b, c->i8, scratch, (LLVMValueRef[]){cg_i64(c, (int64_t)off)}, 1, "");
}

static glc_status emit_kernel(mg *s, const glc_node *n, LLVMValueRef *fn) {
    cg_ctx *c = s->c;
    const md_plan *p = s->pl;
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + 1);
    LLVMValueRef in[6] = {0};
    for (int i = 0; i < n->n_in && i < 6; i++)
        if (n->in[i]) in[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    LLVMValueRef scratch = LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in));
    s->y = n->n_out > 0 && n->out[0] ? LLVMGetParam(*fn, 0) : NULL;
    s->x = in[GLC_MD_X];
    s->bias = in[GLC_MD_B];
    s->p = in[GLC_MD_P];
    s->ext = in[GLC_MD_EXTENTS];
    s->gs = p->xw > 0 ? scratch : NULL; /* product scratch, if the emitter wants any */
    s->xw = scratch_part(c, scratch, p->xw);
    s->hs = scratch_part(c, scratch, p->hs);
    s->cs = scratch_part(c, scratch, p->cs);
    s->h = scratch_part(c, scratch, p->h);
    s->g = scratch_part(c, scratch, p->g);
    s->zero = scratch_part(c, scratch, p->zero);
    s->bp = scratch_part(c, scratch, p->bp);
    zero_floats(c, s->zero, p->fp);
    emit_bias_peep(s, p);
    zero_floats(c, s->h, p->m * p->rf); /* rows past a short diagonal stay finite */
    int64_t pad = p->fp - s->r->hidden; /* padding after xw and G (read by padding lanes) */
    zero_floats(c, fptr(c, s->xw, cg_i64(c, s->r->batch * s->r->npos * p->gf)), pad);
    zero_floats(c, fptr(c, s->g, cg_i64(c, p->m * p->gf)), pad);
    const glc_mdlstm_desc *r = s->r;
    if (!s->wt.ptr) {
        s->wt.ptr = scratch_part(c, scratch, p->wt);
        emit_transpose(c, s->wt.ptr, in[GLC_MD_W], r->dirs, p->gf, r->channels);
    }
    if (!s->rt.ptr) {
        s->rt.ptr = scratch_part(c, scratch, p->rt);
        emit_transpose(c, s->rt.ptr, in[GLC_MD_R], r->dirs * r->rank, p->gf, r->hidden);
    }
    GLC_TRY(emit_directions(s));
    cg_kernel_end(c);
    return GLC_OK;
}

glc_status lower_mdlstm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_mdlstm_desc r;
    GLC_TRY(glc_mdlstm_desc_read(c->g, n, &r, c->d));
    md_plan p;
    plan(c, n, &r, &p);
    mg s = {.c = c, .r = &r, .pl = &p};
    s.has_bias = n->n_in > GLC_MD_B && n->in[GLC_MD_B];
    s.has_peep = n->n_in > GLC_MD_P && n->in[GLC_MD_P];
    glc_status st = weight_host(c, n, GLC_MD_W, r.dirs, p.gf, r.channels, &s.wt);
    if (st == GLC_OK)
        st = weight_host(c, n, GLC_MD_R, r.dirs * r.rank, p.gf, r.hidden, &s.rt);
    if (st == GLC_OK) {
        emit_cell_fn(&s, n->name);
        st = emit_kernel(&s, n, fn);
    }
    free(s.wt.host);
    free(s.rt.host);
    return st;
}
