/*
 * lower_mdlstm.c -- code generation for glc.MDLSTM (ir/mdlstm.h), specialised to the
 * node's static shapes and attributes. Same equations as the reference kernel
 * (ir/interp_mdlstm.c, which documents them); the heavy work is two kinds of matrix
 * products through cg_gemm_emit.
 *
 * Compile time: the kernel holds ONE copy of the per-direction code, in a run-time loop
 * over the directions k (not unrolled: llvm.loop.unroll.disable), with k's reversal bits,
 * weight slices and output offsets computed from k. Unrolling the D (up to 8) directions
 * at compile time multiplied the IR that LLVM optimises and compiles by D (W3: 4.2 s of
 * compile time, now ~1.3 s). The weights are therefore run-time pointers to the products;
 * the recurrent one is laid out in RP-column panels (Rp, below) so its memory-bound
 * small-M products still read B as a sequential stream, as compile-time packing did.
 *
 * For each direction k (reversal bits: bit 2 - s of k reverses slot s):
 *   1. Input projection over all positions, one product per sample n:
 *        xw[n, pos, :] = X(n, :, pos)^T Wt_k     (npos x C) (C x G*F), X read channel-major,
 *        Wt_k(ch, g) = W_k(g, ch)                (bias is added in the cell epilogue)
 *      (the emitter packs Wt_k per call: C x G*F floats, little next to the product)
 *   2. The recurrence as wavefronts. Scan coordinates (i0, i1, i2) (slot s runs from its
 *      end when reversed); for i0 in order, the 2-D anti-diagonals dg = i1 + i2 in order.
 *      A cell depends only on (i0-1, i1, i2), (i0, i1-1, i2), (i0, i1, i2-1), so the
 *      L <= Lmax = min(S1, S2) cells of one diagonal, for every sample, are independent.
 *      Rank 1 and 3 fit this too (rank 1: slots 0 and 1 have size 1, L = 1).
 *      For each diagonal:
 *        gather  H[t*N + n, d*F .. d*F+F) = h of the predecessor along axis d, or zeros
 *                when it is outside the grid                       H: (Mp, R*F)
 *        product G = H Rt_k, Rt_k(d*F + f, g) = R_k,d(g, f)        G: (Mp, npan*RP)
 *                as ceil(L*N / chunk) products of `chunk` rows (the most rows, up to 32,
 *                that the emitter multiplies without packing B, padding Lmax*N least)
 *                times npan products of RP columns, B = panel p of Rp_k: (R*F, RP),
 *                contiguous, zero past G*F. Rows past L*N of the last chunk hold stale
 *                but finite values and are ignored; so are G's columns past G*F.
 *                A symbolic batch N (known at run time only; the rest is static): the
 *                most such rows as `chunk`, floor(L*N / chunk) products, then one of
 *                chunk/2 rows for a rest up to that, else chunk (rec_chunk)
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
 * Weights: a constant W (R) is transposed (packed into Rp) at compile time into a private
 * global; otherwise the kernel does it into scratch at the start of each call.
 * Scratch (lower_mdlstm_scratch, passed after the inputs; every part 64-byte aligned; the
 * sizes are dims, evaluated at run time when N is symbolic):
 * product scratch, xw (N, npos, G*F), hs and cs (N, npos, Fp), H (Mp, R*F), G (Mp,
 * npan*RP), a zero row (Fp), bp (D*G*F + D*(2+R)*F), then Wt (D, C, G*F) and
 * Rp (D, npan, R*F, RP) when not constant.
 */
#include "cg_impl.h"
#include "mdlstm.h"

#include <stdio.h>
#include <stdlib.h>

/* Byte offsets of the scratch parts and the product shapes of one node. The batch (and
 * what depends on it) is a dim: a constant, or an expression of the graph's symbols that
 * the kernel evaluates at run time (cg_dim). */
typedef struct md_plan {
    int64_t lmax;    /* cells per diagonal (max) */
    glc_dim m;       /* rows Lmax*N of a diagonal */
    int64_t chunk;   /* rows of one recurrent product (the diagonal runs ceil(rows/chunk)) */
    bool rt_rows;    /* symbolic N: whole chunks, then one product of chunk/2 or chunk rows */
    glc_dim mp;      /* m rounded up to a multiple of chunk: the rows of H and G */
    int64_t gf, rf;  /* G*F, R*F */
    int64_t fp;      /* F rounded up to CELL_LANES: the row length of hs, cs */
    int64_t npan, gw; /* RP-column panels of Rt_k, ceil(G*F / RP); row length npan*RP of G */
    uint64_t gemm;    /* product scratch (offset 0) */
    glc_dim xw, hs, cs, h, g; /* offsets in a lane (gemm .. g: one direction's state) */
    glc_dim lane_bytes;       /* a lane's size; lanes follow one another from offset 0 */
    int64_t lanes;            /* directions that may run at once (one per task) */
    glc_dim zero, bp, wt, rt, total; /* shared parts, after the lanes */
    cg_gemm proj, rec; /* LLVM values and constants left NULL */
} md_plan;

static glc_dim up64(const glc_graph *g, glc_dim b) {
    return glc_dim_mul(g, glc_dim_ceildiv(g, b, 64), 64);
}

/* A part of nfl floats (a dim) at *o, which moves past it (64-byte aligned). */
static glc_dim part(const glc_graph *g, glc_dim *o, glc_dim nfl) {
    glc_dim at = *o;
    *o = glc_dim_add(g, *o, up64(g, glc_dim_mul(g, nfl, (glc_dim)sizeof(float))));
    return at;
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

/* Directions that run at once, as tasks on the thread pool, each on its own lane of the
 * per-direction scratch (xw, hs, cs, H, G): the lanes cost that much workspace each. */
enum { MD_LANES = 2 };

/* Columns of a panel of the recurrent weights Rp (see pack_r_host): each panel is one
 * product of N = RP whose B rows are contiguous and whose panels follow one another, so
 * the memory-bound small-M products stream B sequentially. */
enum { RP = 32 };

/* Rows of one recurrent product: a row count the emitter multiplies without packing its
 * runtime B (scratch 0), so a diagonal's product reads R_k in place; of those, the one
 * that pads m least (ceil(m/chunk)*chunk rows), the larger on a tie. m itself (packing)
 * if there is none. A symbolic m (rec->M < 0) takes the most such rows: the diagonal then
 * runs whole chunks and one product of chunk/2 or chunk rows for the rest (rt_rows), so
 * it pads less than chunk/2 rows, about one micro-tile's (the emitter multiplies without
 * packing up to two tiles of rows). */
static int64_t rec_chunk(const cg_ctx *c, const cg_gemm *rec) {
    int64_t best = 0, best_rows = 0;
    for (int64_t ch = rec->M < 0 || rec->M > 32 ? 32 : rec->M; ch >= 1; ch--) {
        cg_gemm g = *rec;
        g.M = ch;
        if (cg_gemm_scratch_bytes(c, &g) != 0) continue;
        if (rec->M < 0) return ch;
        int64_t rows = (rec->M + ch - 1) / ch * ch;
        if (!best || rows < best_rows) best = ch, best_rows = rows;
    }
    return best ? best : rec->M < 0 ? 1 : rec->M;
}

static void plan(const cg_ctx *c, const glc_node *n, const glc_mdlstm_desc *r, md_plan *p) {
    const glc_graph *g = c->g;
    int64_t F = r->hidden, np = r->npos;
    glc_dim N = r->batch;
    p->gf = r->gates * F;
    p->rf = r->rank * F;
    p->fp = (F + CELL_LANES - 1) / CELL_LANES * CELL_LANES;
    int64_t pad = p->fp - F; /* lanes read past the end of a G*F or (2+R)*F row */
    p->lmax = r->size[1] < r->size[2] ? r->size[1] : r->size[2];
    p->m = glc_dim_mul(g, p->lmax, N);
    p->rt_rows = glc_dim_is_sym(p->m);
    p->proj = (cg_gemm){.M = np, .N = p->gf, .K = r->channels, .a_rs = 1, .a_cs = np,
                        .b_rs = p->gf, .b_cs = 1, .y_rs = p->gf};
    p->npan = (p->gf + RP - 1) / RP;
    p->gw = p->npan * RP;
    p->rec = (cg_gemm){.M = p->rt_rows ? -1 : p->m, .N = RP, .K = p->rf, .a_rs = p->rf,
                       .a_cs = 1, .b_rs = RP, .b_cs = 1, .y_rs = p->gw};
    p->chunk = p->rt_rows || p->m > 0 ? rec_chunk(c, &p->rec) : 1;
    p->rec.M = p->chunk;
    p->mp = glc_dim_mul(g, glc_dim_ceildiv(g, p->m, p->chunk), p->chunk);
    uint64_t gp = cg_gemm_scratch_bytes(c, &p->proj), gr = cg_gemm_scratch_bytes(c, &p->rec);
    if (p->rt_rows && p->chunk > 1) { /* the half-chunk product too */
        cg_gemm half = p->rec;
        half.M = p->chunk / 2;
        uint64_t gh = cg_gemm_scratch_bytes(c, &half);
        gr = gr > gh ? gr : gh;
    }
    glc_dim o = up64(g, (glc_dim)(gp > gr ? gp : gr));
    p->gemm = 0;
    glc_dim per_sample = np * p->fp;
    p->xw = part(g, &o, glc_dim_add(g, glc_dim_mul(g, N, np * p->gf), pad));
    p->hs = part(g, &o, glc_dim_mul(g, N, per_sample));
    p->cs = part(g, &o, glc_dim_mul(g, N, per_sample));
    p->h = part(g, &o, glc_dim_mul(g, p->mp, p->rf));
    p->g = part(g, &o, glc_dim_add(g, glc_dim_mul(g, p->mp, p->gw), pad));
    p->lane_bytes = o;
    p->lanes = r->dirs < MD_LANES ? r->dirs : MD_LANES;
    o = glc_dim_mul(g, p->lanes, p->lane_bytes);
    p->zero = part(g, &o, p->fp);
    p->bp = part(g, &o, r->dirs * (p->gf + (2 + r->rank) * F) + pad);
    p->wt = o;
    if (!const_f32(c, n, GLC_MD_W)) part(g, &o, r->dirs * r->channels * p->gf);
    p->rt = o;
    if (!const_f32(c, n, GLC_MD_R)) part(g, &o, r->dirs * p->npan * p->rf * RP);
    p->total = o;
}

glc_dim lower_mdlstm_scratch(const cg_ctx *c, const glc_node *n) {
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
    md_weight wt, rt; /* Wt (D, C, G*F), Rp (D, npan, R*F, RP): scratch or constant global */
    LLVMValueRef cell_fn;                     /* the per-row cell helper */
    bool has_bias, has_peep;
    LLVMValueRef k;                           /* current direction (i64, run time) */
    LLVMValueRef rev[3];                      /* i1: slot reversed in direction k; NULL never */
} mg;

/* ---- small builders ------------------------------------------------------------------ */

static LLVMValueRef fptr(cg_ctx *c, LLVMValueRef base, LLVMValueRef idx) {
    return cg_gep(c, c->f32, base, idx);
}

/* The batch N as an i64 value at the builder position (a constant when static). */
static LLVMValueRef batch(mg *s) {
    return cg_dim(s->c, s->r->batch);
}

static void zero_floats(cg_ctx *c, LLVMValueRef p, int64_t n) {
    if (n > 0) LLVMBuildMemSet(c->b, p, LLVMConstInt(c->i8, 0, 0), cg_i64(c, n * 4), 4);
}

/* The same for a count known only at run time (a dim), as zero_floats when constant. */
static void zero_floats_dim(cg_ctx *c, LLVMValueRef p, glc_dim n) {
    if (glc_dim_is_const(n)) {
        zero_floats(c, p, n);
        return;
    }
    LLVMValueRef bytes = LLVMBuildNSWMul(c->b, cg_dim(c, n), cg_i64(c, 4), "");
    LLVMBuildMemSet(c->b, p, LLVMConstInt(c->i8, 0, 0), bytes, 4);
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

/* Rp(k, p, d*F + f, j) = R(k, d, p*RP + j, f), 0 for p*RP + j >= G*F: the panels of
 * Rt_k(d*F + f, g) = R(k, d, g, f). Index of element (k, d, g, f) of R in Rp: */
static int64_t rp_index(const md_plan *p, int64_t F, int64_t k, int64_t d, int64_t g, int64_t f) {
    return ((k * p->npan + g / RP) * p->rf + d * F + f) * RP + g % RP;
}

/* Rp as host data (NULL when out of memory). */
static float *pack_r_host(const float *src, const glc_mdlstm_desc *r, const md_plan *p) {
    int64_t F = r->hidden;
    float *dst = calloc((size_t)(r->dirs * p->npan * p->rf * RP) + 1, sizeof *dst);
    if (!dst) return NULL;
    for (int64_t k = 0; k < r->dirs; k++)
        for (int64_t d = 0; d < r->rank; d++)
            for (int64_t g = 0; g < p->gf; g++)
                for (int64_t f = 0; f < F; f++)
                    dst[rp_index(p, F, k, d, g, f)] = src[((k * r->rank + d) * p->gf + g) * F + f];
    return dst;
}

/* The same packing at run time (R not constant), into dst. */
static void emit_pack_r(cg_ctx *c, LLVMValueRef dst, LLVMValueRef src, const glc_mdlstm_desc *r,
                        const md_plan *p) {
    int64_t F = r->hidden;
    zero_floats(c, dst, r->dirs * p->npan * p->rf * RP);
    cg_loop ls, lg, lf;
    LLVMValueRef sl = cg_loop_begin(c, &ls, r->dirs * r->rank); /* k*R + d */
    LLVMValueRef k = LLVMBuildUDiv(c->b, sl, cg_i64(c, r->rank), "");
    LLVMValueRef d = LLVMBuildURem(c->b, sl, cg_i64(c, r->rank), "");
    LLVMValueRef g = cg_loop_begin(c, &lg, p->gf);
    LLVMValueRef pan = cg_madd(c, k, p->npan, LLVMBuildUDiv(c->b, g, cg_i64(c, RP), ""));
    LLVMValueRef base = cg_madd(c, cg_madd(c, pan, p->rf, cg_madd(c, d, F, cg_i64(c, 0))), RP,
                                LLVMBuildURem(c->b, g, cg_i64(c, RP), ""));
    LLVMValueRef from = cg_madd(c, cg_madd(c, sl, p->gf, g), F, NULL);
    LLVMValueRef f = cg_loop_begin(c, &lf, F);
    cg_stf(c, cg_ldf(c, src, cg_iadd(c, from, f)), dst, cg_madd(c, f, RP, base));
    cg_loop_end(c, &lf);
    cg_loop_end(c, &lg);
    cg_loop_end(c, &ls);
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


/* Wt (in GLC_MD_W) or Rp (GLC_MD_R) as a constant global when the weight is constant. */
static glc_status weight_host(cg_ctx *c, const glc_node *n, int in, const glc_mdlstm_desc *r,
                              const md_plan *p, md_weight *w) {
    const float *v = const_f32(c, n, in);
    w->host = NULL;
    w->ptr = NULL;
    if (!v) return GLC_OK;
    bool is_w = in == GLC_MD_W;
    w->host = is_w ? transpose_host(v, r->dirs, p->gf, r->channels) : pack_r_host(v, r, p);
    if (!w->host) return glc_diag_set(c->d, GLC_E_NOMEM, n, "out of memory");
    int64_t count = is_w ? r->dirs * r->channels * p->gf : r->dirs * p->npan * p->rf * RP;
    w->ptr = cg_const_bytes(c, w->host, (size_t)count * sizeof *w->host,
                            is_w ? "mdlstm.wt" : "mdlstm.rp");
    return GLC_OK;
}

/* ---- 1. input projection --------------------------------------------------------------- */

/* xw of direction k: Wt_k is known only at run time, so the emitter packs it per call
 * (C x G*F floats, little next to the npos x C x G*F product). */
static glc_status emit_projection(mg *s) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t GF = s->pl->gf, C = r->channels, np = r->npos;
    cg_loop ln;
    LLVMValueRef n = cg_loop_begin_v(c, &ln, batch(s));
    cg_gemm g = s->pl->proj;
    g.a = fptr(c, s->x, cg_madd(c, n, C * np, cg_i64(c, 0)));
    g.b = fptr(c, s->wt.ptr, cg_madd(c, s->k, C * GF, cg_i64(c, 0)));
    g.y = fptr(c, s->xw, cg_madd(c, n, np * GF, cg_i64(c, 0)));
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
        mp.p[sl] = i[sl];
        if (s->rev[sl])
            mp.p[sl] = LLVMBuildSelect(
                c->b, s->rev[sl], LLVMBuildNSWSub(c->b, cg_i64(c, r->size[sl] - 1), i[sl], ""),
                i[sl], "");
        mp.pos = cg_madd(c, mp.p[sl], r->stride[sl], mp.pos);
    }
    for (int d = 0; d < r->rank; d++) {
        int sl = 3 - r->rank + d;
        LLVMValueRef st = cg_i64(c, -r->stride[sl]);
        if (s->rev[sl]) st = LLVMBuildSelect(c->b, s->rev[sl], cg_i64(c, r->stride[sl]), st, "");
        mp.valid[d] = LLVMBuildICmp(c->b, LLVMIntSGT, i[sl], cg_i64(c, 0), "");
        mp.q[d] = LLVMBuildSelect(c->b, mp.valid[d], cg_iadd(c, mp.pos, st), mp.pos, "");
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
    LLVMValueRef t = cg_loop_begin_v(c, &lt, cnt);
    md_pos mp = diag_cell(s, i0, dg, lo, t);
    LLVMValueRef n = cg_loop_begin_v(c, &ln, batch(s));
    LLVMValueRef row = cg_madd(c, cg_madd_v(c, t, batch(s), n), RF, NULL);
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
    a[CL_G] = fptr(c, s->g, cg_madd(c, row, s->pl->gw, NULL));
    a[CL_XW] = fptr(c, s->xw, cg_madd(c, cg_madd(c, n, r->npos, mp->pos), GF, NULL));
    a[CL_B] = fptr(c, s->bp, cg_madd(c, s->k, GF, cg_i64(c, 0)));
    a[CL_P] = fptr(c, s->bp, cg_madd(c, s->k, (2 + r->rank) * F, cg_i64(c, D * GF)));
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
    int64_t F = s->pl->fp;
    cg_loop lt, ln;
    LLVMValueRef t = cg_loop_begin_v(c, &lt, cnt);
    md_pos mp = diag_cell(s, i0, dg, lo, t);
    LLVMValueRef n = cg_loop_begin_v(c, &ln, batch(s));
    LLVMValueRef row = cg_madd_v(c, t, batch(s), n);
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

/* G rows [ci*unit, ci*unit + rows) = the same rows of H times Rt_k, panel by panel,
 * reading Rt_k in place: k is known only at run time, and so the emitter cannot pack it
 * at compile time. */
static glc_status emit_chunk_product(mg *s, LLVMValueRef ci, int64_t unit, int64_t rows) {
    cg_ctx *c = s->c;
    const md_plan *pl = s->pl;
    cg_loop lp;
    LLVMValueRef pan = cg_loop_begin(c, &lp, pl->npan);
    cg_gemm g = pl->rec;
    g.M = rows;
    g.a = fptr(c, s->h, cg_madd(c, ci, unit * pl->rf, cg_i64(c, 0)));
    g.b = fptr(c, s->rt.ptr, cg_madd(c, cg_madd(c, s->k, pl->npan, pan), pl->rf * RP, NULL));
    g.y = fptr(c, s->g, cg_madd(c, ci, unit * pl->gw, cg_madd(c, pan, RP, NULL)));
    g.scratch = s->gs;
    GLC_TRY(cg_gemm_emit(c, &g));
    cg_loop_end(c, &lp);
    return GLC_OK;
}

/* G = H Rt_k over the diagonal's cnt*N rows, in products of `chunk` rows (rows past
 * cnt*N of the last one are stale but finite). A symbolic N (rt_rows) runs the whole
 * chunks, then the rest in one product of chunk/2 rows, or chunk when it is longer. */
static glc_status emit_recurrent_products(mg *s, LLVMValueRef cnt) {
    cg_ctx *c = s->c;
    int64_t ch = s->pl->chunk;
    LLVMValueRef rows = cg_madd_v(c, cnt, batch(s), NULL);
    LLVMValueRef nch = s->pl->rt_rows ? LLVMBuildSDiv(c->b, rows, cg_i64(c, ch), "")
                                      : LLVMBuildSDiv(c->b, cg_addk(c, rows, ch - 1),
                                                      cg_i64(c, ch), "");
    cg_loop lc;
    LLVMValueRef ci = cg_loop_begin_v(c, &lc, nch);
    GLC_TRY(emit_chunk_product(s, ci, ch, ch));
    cg_loop_end(c, &lc);
    if (!s->pl->rt_rows) return GLC_OK;
    LLVMValueRef rest = LLVMBuildNSWSub(c->b, rows, LLVMBuildNSWMul(c->b, nch, cg_i64(c, ch), ""), "");
    cg_if some, small;
    cg_if_begin(c, &some, LLVMBuildICmp(c->b, LLVMIntSGT, rest, cg_i64(c, 0), ""));
    if (ch > 1) {
        cg_if_begin(c, &small, LLVMBuildICmp(c->b, LLVMIntSLE, rest, cg_i64(c, ch / 2), ""));
        GLC_TRY(emit_chunk_product(s, nch, ch, ch / 2));
        cg_if_else(c, &small);
    }
    GLC_TRY(emit_chunk_product(s, nch, ch, ch));
    if (ch > 1) cg_if_end(c, &small);
    cg_if_else(c, &some); /* nothing else */
    cg_if_end(c, &some);
    return GLC_OK;
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
    GLC_TRY(emit_recurrent_products(s, cnt));
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
    LLVMValueRef yb = cg_madd(c, cg_madd(c, n, r->dirs, s->k), F * np, p0);
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
    LLVMValueRef n = cg_loop_begin_v(c, &ln, batch(s));
    LLVMValueRef t = cg_loop_begin(c, &lt, full);
    emit_y_tile(s, n, cg_madd(c, t, Y_TILE, NULL), Y_TILE);
    cg_loop_end(c, &lt);
    if (rest) emit_y_tile(s, n, cg_i64(c, full * Y_TILE), rest);
    cg_loop_end(c, &ln);
}

/* ---- the kernel ---------------------------------------------------------------------------- */

static LLVMValueRef scratch_part(cg_ctx *c, LLVMValueRef scratch, glc_dim off) {
    return LLVMBuildGEP2(c->b, c->i8, scratch, (LLVMValueRef[]){cg_dim(c, off)}, 1, "");
}

/* Lane `lane` of the per-direction scratch: pointers, and the parts no product writes
 * zeroed (rows of H past a short diagonal stay finite; padding read by padding lanes). */
static void use_lane(mg *s, LLVMValueRef scratch, LLVMValueRef lane) {
    cg_ctx *c = s->c;
    const md_plan *p = s->pl;
    LLVMValueRef off = cg_madd_v(c, lane, cg_dim(c, p->lane_bytes), NULL);
    LLVMValueRef base = LLVMBuildGEP2(c->b, c->i8, scratch, &off, 1, "lane");
    s->gs = p->xw != 0 ? base : NULL; /* product scratch, if the emitter wants any */
    s->xw = scratch_part(c, base, p->xw);
    s->hs = scratch_part(c, base, p->hs);
    s->cs = scratch_part(c, base, p->cs);
    s->h = scratch_part(c, base, p->h);
    s->g = scratch_part(c, base, p->g);
    int64_t pad = p->fp - s->r->hidden;
    const glc_graph *g = c->g;
    zero_floats_dim(c, s->h, glc_dim_mul(g, p->mp, p->rf));
    zero_floats(c, fptr(c, s->xw, cg_dim(c, glc_dim_mul(g, s->r->batch, s->r->npos * p->gf))), pad);
    zero_floats(c, fptr(c, s->g, cg_dim(c, glc_dim_mul(g, p->mp, p->gw))), pad);
}

/* One copy of the projection, the recurrence and the output, in run-time loops: over the
 * lanes (tasks on the thread pool), and in each over its directions k (lane l has
 * [l*D/lanes, (l+1)*D/lanes)): slot sl is reversed when bit 2 - sl of k is set
 * (glc_mdlstm_slot_reversed); padding slots never are. */
static glc_status emit_directions(mg *s, LLVMValueRef scratch) {
    cg_ctx *c = s->c;
    const glc_mdlstm_desc *r = s->r;
    int64_t lanes = s->pl->lanes;
    LLVMValueRef *caps[] = {&s->y,  &s->x,      &s->bias,   &s->p,  &s->ext,
                            &s->bp, &s->zero, &s->wt.ptr, &s->rt.ptr, &scratch};
    cg_par par;
    cg_par_begin(c, &par, lanes, lanes > 1, caps, (int)(sizeof caps / sizeof caps[0]), "par");
    cg_loop ll, lk;
    LLVMValueRef lane = cg_loop_range(c, &ll, par.lo, par.hi);
    use_lane(s, scratch, lane);
    LLVMValueRef k0 = LLVMBuildUDiv(c->b, cg_madd(c, lane, r->dirs, NULL), cg_i64(c, lanes), "");
    LLVMValueRef k1 = LLVMBuildUDiv(c->b, cg_madd(c, lane, r->dirs, cg_i64(c, r->dirs)),
                                    cg_i64(c, lanes), "");
    s->k = cg_loop_range(c, &lk, k0, k1);
    for (int sl = 0; sl < 3; sl++) {
        s->rev[sl] = NULL;
        if (sl < 3 - r->rank) continue;
        LLVMValueRef bit = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, s->k, cg_i64(c, 2 - sl), ""),
                                        cg_i64(c, 1), "");
        s->rev[sl] = LLVMBuildICmp(c->b, LLVMIntNE, bit, cg_i64(c, 0), "");
    }
    GLC_TRY(emit_projection(s));
    GLC_TRY(emit_wavefronts(s));
    emit_y(s);
    cg_loop_end(c, &lk);
    /* the direction loop's body is large and runs a few times: unrolling it would only
     * multiply the code the optimiser and code generator process */
    cg_loop_no_unroll(c, LLVMGetBasicBlockTerminator(lk.latch), false);
    cg_loop_end(c, &ll);
    cg_par_end(c, &par);
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
    s->zero = scratch_part(c, scratch, p->zero);
    s->bp = scratch_part(c, scratch, p->bp);
    zero_floats(c, s->zero, p->fp);
    emit_bias_peep(s, p);
    const glc_mdlstm_desc *r = s->r;
    if (!s->wt.ptr) {
        s->wt.ptr = scratch_part(c, scratch, p->wt);
        emit_transpose(c, s->wt.ptr, in[GLC_MD_W], r->dirs, p->gf, r->channels);
    }
    if (!s->rt.ptr) {
        s->rt.ptr = scratch_part(c, scratch, p->rt);
        emit_pack_r(c, s->rt.ptr, in[GLC_MD_R], r, p);
    }
    GLC_TRY(emit_directions(s, scratch));
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
    glc_status st = weight_host(c, n, GLC_MD_W, &r, &p, &s.wt);
    if (st == GLC_OK) st = weight_host(c, n, GLC_MD_R, &r, &p, &s.rt);
    if (st == GLC_OK) {
        emit_cell_fn(&s, n->name);
        st = emit_kernel(&s, n, fn);
    }
    free(s.wt.host);
    free(s.rt.host);
    return st;
}
