/*
 * gemm.c -- cg_gemm_emit(), the matrix product behind every heavy kernel (contract in
 * cg_impl.h), in the BLIS style: B in NR-column panels, a register-blocked MR x NR
 * micro-kernel, K and M cache blocking.
 *
 * Layout. NR = NV vectors of VL lanes, tiles of MR rows: VL, and MR x NV for each panel
 * kind (the default panels, or with cg_gemm.panel_gates 3 or 4 panels whose width is a
 * multiple of 3 or 4, for an epilogue that wants the gates of whole units in one tile),
 * come from the target's row of the tiling table (c->isa, isa.c), chosen so that the
 * MR*NV accumulators plus the B vectors fit the register file (AVX-512: VL 16, 12 x 2,
 * NR 32; gates 8 x 3 and 6 x 4, NR 48 and 64), as do the cache blocks below. A row may
 * also give a narrow tile, which a product of default panels and no epilogue takes when
 * it has fewer than GM_FEW_PANELS default panels and the narrow ones pad less (pick_tile:
 * AVX2's 4 x 24 tiles cut N = 256 into 11 panels, 6 x 16 ones into 16, which 2 or 4
 * threads share evenly).
 * A B panel holds NR columns K-major: element (k, j) of panel p at p*K*NR + k*NR + j, the
 * columns past N zero. B comes from one of three sources:
 *   const   b_const given: packed at compile time into a private constant global (raw
 *           bytes, one LLVM constant), shared by every call with the same packed content;
 *           with glc_codegen_options.bf16_weights the panels hold bf16 (rounded to nearest
 *           even) and the micro-kernel widens each B vector to f32 (zero-extend, shift by
 *           16) before its FMAs: half the bytes to stream, the same f32 arithmetic;
 *   packed  runtime B, packed per (K block, panel) into a KC x NR buffer (the caller's
 *           scratch, else an entry alloca) when the rows of A reuse it (M > 2 MR) or when
 *           B's columns are strided;
 *   direct  runtime B with contiguous rows and small M: read in place (masked at the N
 *           edge), since packing would cost as much as the product.
 * A is never packed (a_const is not used): the micro-kernel broadcasts A(i, k) from its
 * strided storage. Scratch, when packing, is one KC x NR buffer of the largest KC whatever
 * K is (and the wider NR of the product's tile with and without an epilogue), so a caller
 * that sized it for any packing product of the same context can pass it.
 *
 * Loop nest (all trip counts static; full blocks are runtime loops, edges emitted once):
 *   for each K block (KC <= the row's kc; the first initialises Y unless accumulating)
 *     for each M block (MC rows: the A block stays in L2)
 *       for each panel (NR columns; packed here if packing; the KC x NR chunk stays in L1)
 *         for each MR-row tile: micro-kernel
 * When all of M is one block and K more than one, the panels go outermost instead (for
 * each panel: for each K block: tiles): a panel's M x NR of Y then stays in L1 between its
 * K blocks rather than making a round trip through L2 or L3 per K block; the A block is
 * read once per (panel, K block) either way. Measured single-threaded (CPU time, this
 * Zen 5): M = 192, N = 2048, K = 1024 (W4's products) 55 -> 60 % of the AVX-512 peak and
 * 85 -> 91 % of the AVX2 one; M = 64, N = 2048, K = 512 (W5's recurrence at batch 64)
 * 61 -> 64 % and 78 -> 87 % (4 x 24 tiles); W4 batch 32 66 -> 75 % (AVX-512).
 * The micro-kernel keeps MR x NV <VL x float> accumulators in SSA phis across the k loop
 * (llvm.fma), loads Y once before (when it accumulates) and stores it once after (masked
 * at the N edge). Rows with y_late (AVX2) start the accumulators at 0 instead, prefetch
 * the tile's Y rows before the k loop and add them after it: Y that comes from L3 or
 * memory (a ConvLSTM's recurrent convolution accumulating onto gates hoisted long
 * before; the bias a convolution's block starts from) then no longer holds up every FMA
 * chain for the load's latency, which a short k loop (K = 64: a 1x1 layer) cannot hide:
 * a 1x1 convolution 64 -> 256 channels over 64 x 64 with bias, one thread, min of 150
 * calls on this Zen 5 (shared, noisy), 1.39-1.40 -> 1.30-1.31 ms. Tiles with fewer
 * accumulators than the row's FMA chains (8; small M: the recurrences) split k over up
 * to 4 accumulator sets to hide the FMA latency, summed at the end.
 *
 * An epilogue (cg_gemm.epilogue) is emitted after each tile's stores in the last K block
 * (a runtime test when the full K blocks are a loop and no shorter block follows), where
 * the tile's Y is still in L1: the recurrences apply their cell update there.
 *
 * Numerics: fused multiply-adds, k in order within a tile except for that split, so the
 * results differ from a float-sequential mul-then-add sum by rounding (the tests compare
 * against a double reference with the (K+2) eps sum|A||B| bound).
 */
#include "cg_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GM_ABLOCK16 32768 /* bf16 dot: max elements of an A block (64 KB, a task's alloca) */
#define GM_A16_SHARED 32768 /* bf16 dot, in tasks: max pairs of a runtime A packed once by the
                               caller (128 KB of its stack) instead of by every task */
#define GM_MAXR 16        /* max micro-tile rows */
#define GM_MAXV 4         /* max vectors per tile row */
#define GM_MAXU 4         /* max k-split accumulator sets */
#define GM_PAR_MIN_FLOPS (1 << 19) /* smaller products run on the calling thread alone */
#define GM_FEW_PANELS 16 /* fewer default panels: a row's narrow tile may balance better */

typedef enum { GM_CONST, GM_PACKED, GM_DIRECT } gm_src;

typedef struct gm_plan {
    int vl, nv, nr, mr;
    int64_t kc; /* K block: K / kc full blocks, then one of K % kc */
    int64_t mc; /* rows of a full M block (a multiple of mr) */
    gm_src src;
} gm_plan;

static int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

/* Whether products run as bf16 dot products (glc_codegen_options.bf16_dot; the target
 * has avx512bf16, checked in cg_target_init). */
static bool dot16(const cg_ctx *c) {
    return c->o->bf16_dot && c->avx512bf16;
}

/* Columns of padding in the last of the panels of width nr over n columns. */
static int64_t pad_cols(int64_t n, int64_t nr) {
    return ceil_div(n, nr) * nr - n;
}

/* The tile of a product: its panel kind's, or for default panels without an epilogue the
 * row's narrow tile when the product has few default panels (under GM_FEW_PANELS) and
 * the narrow panels leave less padding: the threads split a product by panels, so N =
 * 256 as 11 panels of 24 columns (the last of 16) runs 6 panels on one of 2 threads
 * where 16 panels of 16 run 8 on each. */
static cg_tile pick_tile(const cg_isa *isa, const cg_gemm *g) {
    int kind = cg_isa_panel_kind(g->panel_gates);
    cg_tile t = isa->tile[kind], n = isa->narrow;
    if (kind || g->epilogue || !n.mr) return t;
    int64_t nr = (int64_t)isa->vl * t.nv, nn = (int64_t)isa->vl * n.nv;
    if (ceil_div(g->N, nr) < GM_FEW_PANELS && pad_cols(g->N, nn) < pad_cols(g->N, nr)) return n;
    return t;
}

static gm_plan make_plan(const cg_ctx *c, const cg_gemm *g, bool b_const) {
    const cg_isa *isa = c->isa;
    cg_tile t = pick_tile(isa, g);
    gm_plan p = {.vl = isa->vl, .nv = t.nv, .mr = t.mr};
    p.nr = p.vl * p.nv;
    bool d16 = dot16(c); /* K blocks but the last start at even k: whole bf16 pairs */
    int64_t K = g->K > 0 ? g->K : 1;
    int64_t nkb = ceil_div(K, isa->kc);
    p.kc = ceil_div(K, nkb);
    if (d16 && nkb > 1) p.kc += p.kc & 1;
    for (int64_t nb = nkb; nb <= 2 * nkb && nkb > 1; nb++)
        if (K % nb == 0 && !(d16 && (K / nb) % 2)) { /* equal blocks: no tail */
            p.kc = K / nb;
            break;
        }
    int64_t mcmax = (d16 ? GM_ABLOCK16 : isa->ablock) / p.kc / p.mr * p.mr;
    if (mcmax < p.mr) mcmax = p.mr;
    bool rt = g->Mv || g->M < 0; /* rows known at run time (M: a hint, or -1) */
    int64_t M = rt ? mcmax : g->M;
    int64_t nmb = ceil_div(M, mcmax);
    p.mc = rt ? mcmax : ceil_div(ceil_div(M, nmb), p.mr) * p.mr;
    if (!rt && p.mc > M) p.mc = M;
    if (b_const)
        p.src = GM_CONST;
    else if (d16 || g->b_cs != 1 || rt || M > 2 * p.mr)
        p.src = GM_PACKED;
    else
        p.src = GM_DIRECT;
    return p;
}

void cg_gemm_tile(const cg_ctx *c, const cg_gemm *g, int *mr, int *nr) {
    gm_plan p = make_plan(c, g, g->b_const != NULL);
    *mr = p.mr, *nr = p.nr;
}

int64_t cg_gemm_panel_cols(const cg_ctx *c, int panel_gates) {
    cg_gemm g = {.M = 1, .N = 1, .K = 1, .panel_gates = panel_gates};
    return make_plan(c, &g, true).nr;
}

/* Stands for "some epilogue" in cg_gemm_scratch_bytes; never called. */
static void any_epilogue(cg_ctx *c, void *ctx, LLVMValueRef y, LLVMValueRef i0, int64_t rows,
                          LLVMValueRef j0, int64_t w) {
    (void)c, (void)ctx, (void)y, (void)i0, (void)rows, (void)j0, (void)w;
}

uint64_t cg_gemm_scratch_bytes(const cg_ctx *c, const cg_gemm *g) {
    /* Independent of a_const/b_const (callers may size scratch before knowing them) and,
     * when packing, of K: one KC x NR buffer of the largest KC. */
    if ((g->M == 0 && !g->Mv) || g->N <= 0 || g->K <= 0) return 0;
    cg_gemm e = *g; /* a caller may size it before setting the epilogue, or after */
    e.epilogue = e.epilogue ? NULL : any_epilogue;
    gm_plan p = make_plan(c, g, false), q = make_plan(c, &e, false);
    int64_t nr = p.nr > q.nr ? p.nr : q.nr;
    bool packs = p.src == GM_PACKED || q.src == GM_PACKED;
    return packs ? (uint64_t)c->isa->kc * (uint64_t)nr * sizeof(float) : 0;
}

/* ---- LLVM helpers: vector type, intrinsics, masks */

typedef struct gm {
    cg_ctx *c;
    const cg_gemm *g;
    gm_plan p;
    LLVMTypeRef vt;
    LLVMValueRef fma, mload, mstore, prefetch;
    LLVMTypeRef fma_t, mload_t, mstore_t, prefetch_t;
    LLVMValueRef bsrc; /* const global, pack buffer, or NULL (direct: g->b) */
    bool b16;          /* const panels held as bf16 (glc_codegen_options.bf16_weights) */
    bool d16;          /* bf16 dot products (glc_codegen_options.bf16_dot): see "bf16 dot" */
    LLVMValueRef dot;  /* d16: llvm.x86.avx512bf16.dpbf16ps.512 */
    LLVMTypeRef dot_t, vi, vbf;
    LLVMValueRef a16c; /* d16: A as (M, ceil(K/2)) pairs (compile-time global, or packed once
                          before the tasks: emit_split), else NULL */
    LLVMValueRef abuf;       /* d16, runtime A: the M block's pair buffer (mc, ceil(kc/2)) */
    LLVMValueRef a16;        /* d16: A pairs of the current (M, K) block; row i0 - a16_i0 */
    LLVMValueRef a16_i0;     /* d16: the row of A at a16's row 0 (i64) */
    int64_t a16_rs;          /* d16: pairs per a16 row */
    LLVMValueRef p_lo, p_hi; /* in a task: its panels [p_lo, p_hi) (i64); else NULL: all */
} gm;

static LLVMValueRef intrinsic(gm *s, const char *name, LLVMTypeRef *ov, size_t n, LLVMTypeRef *ft) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    *ft = LLVMIntrinsicGetType(s->c->ctx, id, ov, n);
    return LLVMGetIntrinsicDeclaration(s->c->mod, id, ov, n);
}

static void init_types(gm *s) {
    cg_ctx *c = s->c;
    s->vt = LLVMVectorType(c->f32, (unsigned)s->p.vl);
    LLVMTypeRef ov[2] = {s->vt, c->ptr};
    s->fma = intrinsic(s, "llvm.fma", ov, 1, &s->fma_t);
    s->mload = intrinsic(s, "llvm.masked.load", ov, 2, &s->mload_t);
    s->mstore = intrinsic(s, "llvm.masked.store", ov, 2, &s->mstore_t);
    s->prefetch = intrinsic(s, "llvm.prefetch", &c->ptr, 1, &s->prefetch_t);
    if (s->d16) {
        s->dot = intrinsic(s, "llvm.x86.avx512bf16.dpbf16ps.512", NULL, 0, &s->dot_t);
        s->vi = LLVMVectorType(c->i32, 16);
        s->vbf = LLVMVectorType(LLVMBFloatTypeInContext(c->ctx), 32);
    }
}

/* <vl x i1> with the first w lanes set. */
static LLVMValueRef lane_mask(gm *s, int w) {
    LLVMValueRef e[64];
    LLVMTypeRef i1 = LLVMInt1TypeInContext(s->c->ctx);
    for (int i = 0; i < s->p.vl; i++)
        e[i] = LLVMConstInt(i1, i < w, 0);
    return LLVMConstVector(e, (unsigned)s->p.vl);
}

/* Vector at p (f32 pointer); mask NULL: all lanes, else masked with zero fill. */
static LLVMValueRef vload(gm *s, LLVMValueRef p, LLVMValueRef mask) {
    cg_ctx *c = s->c;
    if (!mask) {
        LLVMValueRef v = LLVMBuildLoad2(c->b, s->vt, p, "");
        LLVMSetAlignment(v, 4);
        return v;
    }
    LLVMValueRef args[4] = {p, LLVMConstInt(c->i32, 4, 0), mask, LLVMConstNull(s->vt)};
    return LLVMBuildCall2(c->b, s->mload_t, s->mload, args, 4, "");
}

static void vstore(gm *s, LLVMValueRef v, LLVMValueRef p, LLVMValueRef mask) {
    cg_ctx *c = s->c;
    if (!mask) {
        LLVMSetAlignment(LLVMBuildStore(c->b, v, p), 4);
        return;
    }
    LLVMValueRef args[4] = {v, p, LLVMConstInt(c->i32, 4, 0), mask};
    LLVMBuildCall2(c->b, s->mstore_t, s->mstore, args, 4, "");
}

/* idx*k + add as i64 values (never NULL; add may be NULL for 0). */
static LLVMValueRef lin(cg_ctx *c, LLVMValueRef idx, int64_t k, LLVMValueRef add) {
    LLVMValueRef r = cg_madd(c, idx, k, add);
    return r ? r : cg_i64(c, 0);
}

/* x in every lane of a vl-lane vector of type vt. */
static LLVMValueRef splat_as(gm *s, LLVMTypeRef vt, LLVMValueRef x) {
    cg_ctx *c = s->c;
    LLVMValueRef v = LLVMBuildInsertElement(c->b, LLVMGetPoison(vt), x, cg_i64(c, 0), "");
    LLVMValueRef zm = LLVMConstNull(LLVMVectorType(c->i32, (unsigned)s->p.vl));
    return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(vt), zm, "");
}

static LLVMValueRef splat(gm *s, LLVMValueRef x) {
    return splat_as(s, s->vt, x);
}

static LLVMValueRef vfma(gm *s, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc) {
    LLVMValueRef args[3] = {a, b, acc};
    return LLVMBuildCall2(s->c->b, s->fma_t, s->fma, args, 3, "");
}

/* The vl bf16 values at p as f32: their bits are the upper halves of the floats. */
static LLVMValueRef widen_bf16(gm *s, LLVMValueRef p) {
    cg_ctx *c = s->c;
    unsigned vl = (unsigned)s->p.vl;
    LLVMValueRef h =
        LLVMBuildLoad2(c->b, LLVMVectorType(LLVMInt16TypeInContext(c->ctx), vl), p, "");
    LLVMSetAlignment(h, 2);
    LLVMTypeRef vi = LLVMVectorType(c->i32, vl);
    LLVMValueRef w = LLVMBuildZExt(c->b, h, vi, "");
    LLVMValueRef sh[64];
    for (unsigned i = 0; i < vl; i++)
        sh[i] = LLVMConstInt(c->i32, 16, 0);
    w = LLVMBuildShl(c->b, w, LLVMConstVector(sh, vl), "");
    return LLVMBuildBitCast(c->b, w, s->vt, "");
}

/* ---- micro-kernel */

/* One tile: rows i0.. i0+mr-1, columns j0.. j0+w-1, K block k0.. k0+kc-1. B(k0+k, j0+j) is
 * at bp[k*bks + j] (zero or masked past w). With d16 the steps are bf16 pairs: pair q of
 * column j is the i32 bp[q*bks + j]. */
typedef struct gm_tile {
    LLVMValueRef i0, j0, k0, bp;
    int64_t bks, kc;
    int64_t steps; /* of the k loop: kc, or ceil(kc / 2) pairs with d16 */
    int mr, w;
    LLVMValueRef load_c; /* i1: Y's old value is the initial sum (else 0); may be constant */
    LLVMValueRef last_k; /* i1: the last K block (the epilogue runs); may be constant */
    bool bmask;          /* B's edge vector needs a masked load (direct source) */
} gm_tile;

typedef struct gm_acc {
    LLVMValueRef v[GM_MAXU][GM_MAXR][GM_MAXV];
    int u, nvec;
} gm_acc;

/* d16: acc[set] += A(rows, pair q) . B(pair q, :), one dpbf16ps per accumulator: each
 * lane adds the two products of its column's pair (arow: i32 pair rows). */
static void tile_step16(gm *s, const gm_tile *t, LLVMValueRef *arow, gm_acc *a, int set,
                        LLVMValueRef q) {
    cg_ctx *c = s->c;
    LLVMValueRef bv[GM_MAXV];
    LLVMValueRef bq = lin(c, q, t->bks, NULL);
    for (int v = 0; v < a->nvec; v++) {
        LLVMValueRef w =
            LLVMBuildLoad2(c->b, s->vi, cg_gep(c, c->i32, t->bp, cg_addk(c, bq, v * 16)), "");
        LLVMSetAlignment(w, 4);
        bv[v] = LLVMBuildBitCast(c->b, w, s->vbf, "");
    }
    for (int r = 0; r < t->mr; r++) {
        LLVMValueRef x = LLVMBuildLoad2(c->b, c->i32, cg_gep(c, c->i32, arow[r], q), "");
        LLVMValueRef av = LLVMBuildBitCast(c->b, splat_as(s, s->vi, x), s->vbf, "");
        for (int v = 0; v < a->nvec; v++) {
            LLVMValueRef args[3] = {a->v[set][r][v], av, bv[v]};
            a->v[set][r][v] = LLVMBuildCall2(c->b, s->dot_t, s->dot, args, 3, "");
        }
    }
}

/* acc[set] += A(rows, k) * B(k, :) for one k (i64 value, relative to k0). */
static void tile_step(gm *s, const gm_tile *t, LLVMValueRef *arow, gm_acc *a, int set,
                      LLVMValueRef k, LLVMValueRef emask) {
    cg_ctx *c = s->c;
    if (s->d16) {
        tile_step16(s, t, arow, a, set, k);
        return;
    }
    LLVMValueRef bv[GM_MAXV];
    LLVMValueRef bk = lin(c, k, t->bks, NULL);
    for (int v = 0; v < a->nvec; v++) {
        LLVMValueRef idx = cg_addk(c, bk, (int64_t)v * s->p.vl);
        if (s->b16) {
            bv[v] = widen_bf16(s, cg_gep(c, LLVMInt16TypeInContext(c->ctx), t->bp, idx));
            continue;
        }
        bv[v] =
            vload(s, cg_gep(c, c->f32, t->bp, idx), (v == a->nvec - 1 && t->bmask) ? emask : NULL);
    }
    for (int r = 0; r < t->mr; r++) {
        LLVMValueRef av = splat(s, cg_ldf(c, arow[r], lin(c, k, s->g->a_cs, NULL)));
        for (int v = 0; v < a->nvec; v++)
            a->v[set][r][v] = vfma(s, av, bv[v], a->v[set][r][v]);
    }
}

/* The k loop over kc/u iterations of u steps, accumulators in header phis. */
static void tile_loop(gm *s, const gm_tile *t, LLVMValueRef *arow, gm_acc *a, LLVMValueRef emask) {
    cg_ctx *c = s->c;
    int64_t n = t->steps / a->u;
    if (n <= 0) return;
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMValueRef fn = LLVMGetBasicBlockParent(pre);
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "gemm.k");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, fn, "gemm.kdone");
    LLVMBuildBr(c->b, body);
    LLVMPositionBuilderAtEnd(c->b, body);
    LLVMValueRef iv = LLVMBuildPhi(c->b, c->i64, "k"), zero = cg_i64(c, 0);
    LLVMAddIncoming(iv, &zero, &pre, 1);
    LLVMValueRef phi[GM_MAXU][GM_MAXR][GM_MAXV];
    for (int u = 0; u < a->u; u++)
        for (int r = 0; r < t->mr; r++)
            for (int v = 0; v < a->nvec; v++) {
                phi[u][r][v] = LLVMBuildPhi(c->b, s->vt, "acc");
                LLVMAddIncoming(phi[u][r][v], &a->v[u][r][v], &pre, 1);
                a->v[u][r][v] = phi[u][r][v];
            }
    LLVMValueRef kb = lin(c, iv, a->u, NULL);
    for (int u = 0; u < a->u; u++)
        tile_step(s, t, arow, a, u, cg_addk(c, kb, u), emask);
    LLVMValueRef next = LLVMBuildNSWAdd(c->b, iv, cg_i64(c, 1), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMAddIncoming(iv, &next, &latch, 1);
    for (int u = 0; u < a->u; u++)
        for (int r = 0; r < t->mr; r++)
            for (int v = 0; v < a->nvec; v++)
                LLVMAddIncoming(phi[u][r][v], &a->v[u][r][v], &latch, 1);
    LLVMValueRef br =
        LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, next, cg_i64(c, n), ""), body, done);
    /* the tile is unrolled and vectorised over its accumulators already: the loop passes
     * would only multiply code or spend compile time analysing it */
    cg_loop_no_unroll(c, br, true);
    LLVMPositionBuilderAtEnd(c->b, done);
    for (int u = 0; u < a->u; u++) /* the loop runs at least once: last values are live-out */
        for (int r = 0; r < t->mr; r++)
            for (int v = 0; v < a->nvec; v++) {
                LLVMValueRef lcssa = LLVMBuildPhi(c->b, s->vt, "");
                LLVMAddIncoming(lcssa, &a->v[u][r][v], &latch, 1);
                a->v[u][r][v] = lcssa;
            }
}

/* The initial sum of an accumulator: Y's value at yp if load_c, else 0 (a select when
 * load_c is only known at run time: the first K block of a product that overwrites Y). */
static LLVMValueRef init_acc(gm *s, LLVMValueRef load_c, LLVMValueRef yp, LLVMValueRef mask) {
    if (LLVMIsAConstantInt(load_c))
        return LLVMConstIntGetZExtValue(load_c) ? vload(s, yp, mask) : LLVMConstNull(s->vt);
    return LLVMBuildSelect(s->c->b, load_c, vload(s, yp, mask), LLVMConstNull(s->vt), "");
}

/* Y's old values join the sums after the k loop (the accumulators start at 0; the tile's
 * rows are prefetched before the loop, so the loads hit L1 and do not hold up the FMA
 * chains): the row says so (cg_isa.y_late) and the tile may read Y. */
static bool y_late(const gm *s, const gm_tile *t) {
    bool never = LLVMIsAConstantInt(t->load_c) && !LLVMConstIntGetZExtValue(t->load_c);
    return s->c->isa->y_late && !never;
}

/* A read prefetch of the cache line at p into every level. */
static void prefetch(gm *s, LLVMValueRef p) {
    cg_ctx *c = s->c;
    LLVMValueRef args[4] = {p, LLVMConstInt(c->i32, 0, 0), LLVMConstInt(c->i32, 3, 0),
                            LLVMConstInt(c->i32, 1, 0)};
    LLVMBuildCall2(c->b, s->prefetch_t, s->prefetch, args, 4, "");
}

/* The caller's epilogue on a stored tile, in the last K block only. */
static void tile_epilogue(gm *s, const gm_tile *t) {
    const cg_gemm *g = s->g;
    if (!g->epilogue) return;
    bool known = LLVMIsAConstantInt(t->last_k);
    if (known && !LLVMConstIntGetZExtValue(t->last_k)) return;
    cg_if f;
    if (!known) cg_if_begin(s->c, &f, t->last_k);
    g->epilogue(s->c, g->ep_ctx, g->y, t->i0, t->mr, t->j0, t->w);
    if (!known) {
        cg_if_else(s->c, &f);
        cg_if_end(s->c, &f);
    }
}

static void emit_tile(gm *s, const gm_tile *t) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    gm_acc a = {.nvec = (int)ceil_div(t->w, s->p.vl)};
    int nacc = t->mr * a.nvec;
    int ch = s->c->isa->chains;
    a.u = nacc >= ch ? 1 : ch / nacc > GM_MAXU ? GM_MAXU : ch / nacc;
    if (a.u > t->steps) a.u = (int)t->steps;
    if (a.u < 1) a.u = 1;
    int ew = t->w - (a.nvec - 1) * s->p.vl;
    LLVMValueRef emask = ew < s->p.vl ? lane_mask(s, ew) : NULL;
    LLVMValueRef arow[GM_MAXR], yrow[GM_MAXR];
    LLVMValueRef abase = lin(c, t->i0, g->a_rs, cg_madd(c, t->k0, g->a_cs, NULL));
    if (s->d16) abase = lin(c, LLVMBuildSub(c->b, t->i0, s->a16_i0, ""), s->a16_rs, NULL);
    LLVMValueRef ybase = lin(c, t->i0, g->y_rs, t->j0);
    for (int r = 0; r < t->mr; r++) {
        arow[r] = s->d16 ? cg_gep(c, c->i32, s->a16, cg_addk(c, abase, r * s->a16_rs))
                         : cg_gep(c, c->f32, g->a, cg_addk(c, abase, r * g->a_rs));
        yrow[r] = cg_gep(c, c->f32, g->y, cg_addk(c, ybase, r * g->y_rs));
    }
    bool late = y_late(s, t);
    for (int u = 0; u < a.u; u++)
        for (int r = 0; r < t->mr; r++)
            for (int v = 0; v < a.nvec; v++) {
                LLVMValueRef em = v == a.nvec - 1 ? emask : NULL;
                LLVMValueRef yp = cg_gep(c, c->f32, yrow[r], cg_i64(c, (int64_t)v * s->p.vl));
                if (late && u == 0) prefetch(s, yp);
                bool zero = u > 0 || late;
                a.v[u][r][v] = zero ? LLVMConstNull(s->vt) : init_acc(s, t->load_c, yp, em);
            }
    tile_loop(s, t, arow, &a, emask);
    for (int64_t k = t->steps / a.u * a.u; k < t->steps; k++)
        tile_step(s, t, arow, &a, 0, cg_i64(c, k), emask);
    for (int r = 0; r < t->mr; r++)
        for (int v = 0; v < a.nvec; v++) {
            LLVMValueRef x = a.v[0][r][v];
            for (int u = 1; u < a.u; u++)
                x = LLVMBuildFAdd(c->b, x, a.v[u][r][v], "");
            LLVMValueRef yp = cg_gep(c, c->f32, yrow[r], cg_i64(c, (int64_t)v * s->p.vl));
            LLVMValueRef em = v == a.nvec - 1 ? emask : NULL;
            if (late) x = LLVMBuildFAdd(c->b, x, init_acc(s, t->load_c, yp, em), "");
            vstore(s, x, yp, em);
        }
    tile_epilogue(s, t);
}

/* ---- blocking: K blocks > M blocks > panels > tiles */

/* What a K block's tiles are told: whether Y's old value is the initial sum, whether it is
 * the last block (i1 values, possibly constant). */
typedef struct gm_kb {
    LLVMValueRef load_c, last;
} gm_kb;

/* A counted loop, or just the constant 0 when it runs once. */
static LLVMValueRef loop_begin(cg_ctx *c, cg_loop *l, int64_t n) {
    l->header = NULL;
    return n == 1 ? cg_i64(c, 0) : cg_loop_begin(c, l, n);
}

static void loop_end(cg_ctx *c, cg_loop *l) {
    if (l->header) cg_loop_end(c, l);
}

/* buf[k*nr + j] (buf: s->bsrc) = B(k0+k, j0+j) for k < kc, j < w; 0 for w <= j < nr. The
 * inner loop runs along B's smaller stride. */
static void pack_b(gm *s, LLVMValueRef k0, LLVMValueRef j0, int64_t kc, int w) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    int64_t nr = s->p.nr;
    LLVMValueRef bb = cg_gep(c, c->f32, g->b, lin(c, k0, g->b_rs, lin(c, j0, g->b_cs, NULL)));
    bool j_inner = llabs(g->b_cs) <= llabs(g->b_rs);
    cg_loop lo, li;
    LLVMValueRef o = cg_loop_begin(c, &lo, j_inner ? kc : w);
    LLVMValueRef i = cg_loop_begin(c, &li, j_inner ? w : kc);
    LLVMValueRef k = j_inner ? o : i, j = j_inner ? i : o;
    LLVMValueRef v = cg_ldf(c, bb, lin(c, k, g->b_rs, cg_madd(c, j, g->b_cs, NULL)));
    cg_stf(c, v, s->bsrc, lin(c, k, nr, j));
    cg_loop_end(c, &li);
    cg_loop_end(c, &lo);
    if (w == nr) return;
    LLVMValueRef kz = cg_loop_begin(c, &lo, kc);
    LLVMValueRef jz = cg_loop_begin(c, &li, nr - w);
    cg_stf(c, cg_f32(c, 0.0), s->bsrc, lin(c, kz, nr, cg_addk(c, jz, w)));
    cg_loop_end(c, &li);
    cg_loop_end(c, &lo);
}

/* ---- bf16 dot: operands as pairs of bf16 (k even in the low half, k odd in the high) */

static LLVMValueRef k32(cg_ctx *c, uint32_t v) {
    return LLVMConstInt(c->i32, v, 0);
}

/* The bf16 of float x (rounded to nearest even, NaN kept quiet: cg_bf16) as an i32. */
static LLVMValueRef bf16_bits(cg_ctx *c, LLVMValueRef x) {
    LLVMValueRef u = LLVMBuildBitCast(c->b, x, c->i32, "");
    LLVMValueRef hi = LLVMBuildLShr(c->b, u, k32(c, 16), "");
    LLVMValueRef r = LLVMBuildAdd(c->b, u, k32(c, 0x7fff), "");
    r = LLVMBuildAdd(c->b, r, LLVMBuildAnd(c->b, hi, k32(c, 1), ""), "");
    r = LLVMBuildLShr(c->b, r, k32(c, 16), "");
    LLVMValueRef nan = LLVMBuildFCmp(c->b, LLVMRealUNO, x, x, "");
    return LLVMBuildSelect(c->b, nan, LLVMBuildOr(c->b, hi, k32(c, 0x40), ""), r, "");
}

/* The i32 pair (x_lo, x_hi) of f32 values; x_hi NULL: 0. */
static LLVMValueRef bf16_pair(cg_ctx *c, LLVMValueRef lo, LLVMValueRef hi) {
    LLVMValueRef p = bf16_bits(c, lo);
    if (!hi) return p;
    return LLVMBuildOr(c->b, p, LLVMBuildShl(c->b, bf16_bits(c, hi), k32(c, 16), ""), "");
}

/* dst[q*qs + j*js] = pair(src(2q, j), src(2q+1, j)) for q < ceil(kk/2), j < n, where
 * src(k, j) = src[k*ks + j*sj]; the odd kk's last pair has 0 above. The inner loop runs
 * along the source's smaller stride. */
static void pack_pairs(cg_ctx *c, LLVMValueRef dst, int64_t qs, int64_t js, LLVMValueRef src,
                       int64_t ks, int64_t sj, int64_t kk, int64_t n) {
    cg_loop lq, lj;
    if (kk / 2) {
        bool j_inner = llabs(sj) <= llabs(ks);
        LLVMValueRef o = cg_loop_begin(c, &lq, j_inner ? kk / 2 : n);
        LLVMValueRef i = cg_loop_begin(c, &lj, j_inner ? n : kk / 2);
        LLVMValueRef q = j_inner ? o : i, j = j_inner ? i : o;
        LLVMValueRef e = lin(c, q, 2 * ks, cg_madd(c, j, sj, NULL));
        LLVMValueRef v = bf16_pair(c, cg_ldf(c, src, e), cg_ldf(c, src, cg_addk(c, e, ks)));
        LLVMBuildStore(c->b, v, cg_gep(c, c->i32, dst, lin(c, q, qs, cg_madd(c, j, js, NULL))));
        cg_loop_end(c, &lj);
        cg_loop_end(c, &lq);
    }
    if (kk % 2) {
        LLVMValueRef j = cg_loop_begin(c, &lj, n);
        LLVMValueRef v =
            bf16_pair(c, cg_ldf(c, src, lin(c, j, sj, cg_i64(c, (kk - 1) * ks))), NULL);
        LLVMBuildStore(c->b, v, cg_gep(c, c->i32, dst, lin(c, j, js, cg_i64(c, kk / 2 * qs))));
        cg_loop_end(c, &lj);
    }
}

/* The B panel at j0 (w columns) of the K block at k0 as pairs: bsrc[q*nr + j], zero past w. */
static void pack_b16(gm *s, LLVMValueRef k0, LLVMValueRef j0, int64_t kc, int w) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    int64_t nr = s->p.nr, nq = (kc + 1) / 2;
    LLVMValueRef bb = cg_gep(c, c->f32, g->b, lin(c, k0, g->b_rs, lin(c, j0, g->b_cs, NULL)));
    pack_pairs(c, s->bsrc, nr, 1, bb, g->b_rs, g->b_cs, kc, w);
    if (w == nr) return;
    cg_loop lq, lj;
    LLVMValueRef q = cg_loop_begin(c, &lq, nq);
    LLVMValueRef j = cg_loop_begin(c, &lj, nr - w);
    LLVMBuildStore(c->b, k32(c, 0), cg_gep(c, c->i32, s->bsrc, lin(c, q, nr, cg_addk(c, j, w))));
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lq);
}

/* Points s->a16 at the pairs of A's rows i0.. i0+rows-1, K block k0 (kc): the compile-time
 * global, or packed into s->abuf. */
static void a16_block(gm *s, LLVMValueRef i0, int64_t rows, LLVMValueRef k0, int64_t kc) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    LLVMValueRef q0 = LLVMBuildLShr(c->b, k0, cg_i64(c, 1), ""); /* k0 is even */
    if (s->a16c) {
        s->a16 = cg_gep(c, c->i32, s->a16c, q0);
        s->a16_i0 = cg_i64(c, 0);
        s->a16_rs = (g->K + 1) / 2;
        return;
    }
    s->a16_rs = (s->p.kc + 1) / 2;
    LLVMValueRef ab = cg_gep(c, c->f32, g->a, lin(c, i0, g->a_rs, cg_madd(c, k0, g->a_cs, NULL)));
    pack_pairs(c, s->abuf, 1, s->a16_rs, ab, g->a_cs, g->a_rs, kc, rows);
    s->a16 = s->abuf;
    s->a16_i0 = i0;
}

/* Tiles of rows_v rows (an i64 known at run time) from i0: full tiles in a loop, then
 * the remainder by a switch over its static sizes 1..mr-1. */
static void emit_rows_rt(gm *s, gm_tile *t, LLVMValueRef i0, LLVMValueRef rows_v) {
    cg_ctx *c = s->c;
    int mr = s->p.mr;
    LLVMValueRef nt = LLVMBuildSDiv(c->b, rows_v, cg_i64(c, mr), "");
    cg_loop l;
    LLVMValueRef it = cg_loop_begin_v(c, &l, nt);
    t->i0 = lin(c, it, mr, i0);
    t->mr = mr;
    emit_tile(s, t);
    cg_loop_end(c, &l);
    if (mr == 1) return;
    LLVMValueRef re = LLVMBuildSRem(c->b, rows_v, cg_i64(c, mr), "");
    LLVMValueRef r0 = LLVMBuildNSWAdd(c->b, i0, LLVMBuildNSWMul(c->b, nt, cg_i64(c, mr), ""), "");
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b));
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, fn, "gemm.rdone");
    LLVMValueRef sw = LLVMBuildSwitch(c->b, re, done, (unsigned)(mr - 1));
    for (int r = 1; r < mr; r++) {
        LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(c->ctx, fn, "gemm.rem");
        LLVMAddCase(sw, cg_i64(c, r), bb);
        LLVMPositionBuilderAtEnd(c->b, bb);
        t->i0 = r0;
        t->mr = r;
        emit_tile(s, t);
        LLVMBuildBr(c->b, done);
    }
    LLVMPositionBuilderAtEnd(c->b, done);
}

/* Rows i0.. i0+rows-1 of the panel at column j0 (w valid columns) for one K block; with
 * rows_v the row count is that run-time value instead. */
static void emit_panel(gm *s, LLVMValueRef i0, int64_t rows, LLVMValueRef rows_v,
                       LLVMValueRef j0, int w, LLVMValueRef k0, int64_t kc, const gm_kb *kb) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    gm_tile t = {.j0 = j0,
                 .k0 = k0,
                 .kc = kc,
                 .w = w,
                 .load_c = kb->load_c,
                 .last_k = kb->last,
                 .bks = s->p.nr};
    t.steps = s->d16 ? (kc + 1) / 2 : kc;
    switch (s->p.src) {
    case GM_CONST: /* panel p = j0/nr starts at p*K*nr = j0*K (d16: pairs, j0*ceil(K/2)) */
        if (s->d16) {
            LLVMValueRef q0 = LLVMBuildLShr(c->b, k0, cg_i64(c, 1), "");
            t.bp =
                cg_gep(c, c->i32, s->bsrc, lin(c, j0, (g->K + 1) / 2, lin(c, q0, s->p.nr, NULL)));
            break;
        }
        t.bp = cg_gep(c, s->b16 ? LLVMInt16TypeInContext(c->ctx) : c->f32, s->bsrc,
                      lin(c, j0, g->K, lin(c, k0, s->p.nr, NULL)));
        break;
    case GM_PACKED:
        if (s->d16) {
            pack_b16(s, k0, j0, kc, w);
            t.bp = s->bsrc;
            break;
        }
        pack_b(s, k0, j0, kc, w);
        t.bp = s->bsrc;
        break;
    case GM_DIRECT:
        t.bp = cg_gep(c, c->f32, g->b, lin(c, k0, g->b_rs, j0));
        t.bks = g->b_rs;
        t.bmask = true;
        break;
    }
    if (rows_v) {
        emit_rows_rt(s, &t, i0, rows_v);
        return;
    }
    int64_t nt = rows / s->p.mr;
    int re = (int)(rows % s->p.mr);
    if (nt) {
        cg_loop l;
        LLVMValueRef it = loop_begin(c, &l, nt);
        t.i0 = lin(c, it, s->p.mr, i0);
        t.mr = s->p.mr;
        emit_tile(s, &t);
        loop_end(c, &l);
    }
    if (re) {
        t.i0 = cg_addk(c, i0, nt * s->p.mr);
        t.mr = re;
        emit_tile(s, &t);
    }
}

/* What one panel gets: rows i0.. i0+rows-1 for one K block (emit_mblock), or, panels
 * outermost, every K block of all rows (emit_panels_outer). */
typedef struct gm_pbody {
    void (*fn)(gm *s, const struct gm_pbody *b, LLVMValueRef j0, int w);
    LLVMValueRef i0, k0;
    int64_t rows, kc;
    LLVMValueRef rows_v; /* the row count at run time instead of rows, or NULL */
    const gm_kb *kb;
} gm_pbody;

/* b->fn for each panel: the full ones (in a task, those in [p_lo, p_hi)), then the edge
 * (in a task, if its). */
static void for_panels(gm *s, const gm_pbody *b) {
    cg_ctx *c = s->c;
    int64_t nr = s->p.nr, np = s->g->N / nr;
    int ew = (int)(s->g->N % nr);
    if (s->p_lo) {
        LLVMValueRef npv = cg_i64(c, np);
        LLVMValueRef hi = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, s->p_hi, npv, ""),
                                          s->p_hi, npv, "");
        cg_loop l;
        LLVMValueRef jp = cg_loop_range(c, &l, s->p_lo, hi);
        b->fn(s, b, lin(c, jp, nr, NULL), (int)nr);
        cg_loop_end(c, &l);
        if (ew) {
            cg_if f;
            cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSGT, s->p_hi, npv, ""));
            b->fn(s, b, cg_i64(c, np * nr), ew);
            cg_if_else(c, &f);
            cg_if_end(c, &f);
        }
        return;
    }
    if (np) {
        cg_loop l;
        LLVMValueRef jp = loop_begin(c, &l, np);
        b->fn(s, b, lin(c, jp, nr, NULL), (int)nr);
        loop_end(c, &l);
    }
    if (ew) b->fn(s, b, cg_i64(c, np * nr), ew);
}

static void mblock_panel(gm *s, const gm_pbody *b, LLVMValueRef j0, int w) {
    emit_panel(s, b->i0, b->rows, b->rows_v, j0, w, b->k0, b->kc, b->kb);
}

static void emit_mblock(gm *s, LLVMValueRef i0, int64_t rows, LLVMValueRef rows_v,
                        LLVMValueRef k0, int64_t kc, const gm_kb *kb) {
    if (s->d16) a16_block(s, i0, rows, k0, kc);
    gm_pbody b = {.fn = mblock_panel, .i0 = i0, .k0 = k0, .rows = rows, .rows_v = rows_v,
                  .kc = kc, .kb = kb};
    for_panels(s, &b);
}

static void emit_kblock(gm *s, LLVMValueRef k0, int64_t kc, const gm_kb *kb) {
    cg_ctx *c = s->c;
    int64_t mc = s->p.mc;
    if (s->g->Mv) { /* run-time M: full M blocks in a loop, then the rest's rows */
        LLVMValueRef nm = LLVMBuildSDiv(c->b, s->g->Mv, cg_i64(c, mc), "");
        cg_loop l;
        LLVMValueRef ib = cg_loop_begin_v(c, &l, nm);
        emit_mblock(s, lin(c, ib, mc, NULL), mc, NULL, k0, kc, kb);
        cg_loop_end(c, &l);
        LLVMValueRef i0 = LLVMBuildNSWMul(c->b, nm, cg_i64(c, mc), "");
        LLVMValueRef rest = LLVMBuildNSWSub(c->b, s->g->Mv, i0, "");
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSGT, rest, cg_i64(c, 0), ""));
        emit_mblock(s, i0, 0, rest, k0, kc, kb);
        cg_if_else(c, &f);
        cg_if_end(c, &f);
        return;
    }
    int64_t nm = s->g->M / mc, tail = s->g->M % mc;
    if (nm) {
        cg_loop l;
        LLVMValueRef ib = loop_begin(c, &l, nm);
        emit_mblock(s, lin(c, ib, mc, NULL), mc, NULL, k0, kc, kb);
        loop_end(c, &l);
    }
    if (tail) emit_mblock(s, cg_i64(c, nm * mc), tail, NULL, k0, kc, kb);
}

/* ---- B sources */

uint16_t cg_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest even; overflow goes to inf */
    return (uint16_t)(u >> 16);
}

/* FNV-1a over n bytes. */
static uint64_t fnv1a(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* The compile-time panels of b_const (layout in the header), one private constant per
 * distinct packed content in the module: the global is named by the panel shape and a
 * 64-bit hash of the packed bytes, so products of the same weights share it (the host
 * pointer is not a key: callers may pass temporary copies whose addresses get reused). */
/* The module's private constant named <prefix>.<shape>.<hash of the bytes>: found if an
 * earlier product made the same one, else made from data. */
static LLVMValueRef shared_const(cg_ctx *c, const void *data, size_t bytes, const char *prefix,
                                 const char *shape) {
    char name[128];
    snprintf(name, sizeof name, "gemm.%s.%s.%016llx", prefix, shape,
             (unsigned long long)fnv1a(data, bytes));
    LLVMValueRef g = LLVMGetNamedGlobal(c->mod, name);
    return g ? g : cg_const_bytes(c, data, bytes, name);
}

static glc_status const_panels(gm *s) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    int64_t nr = s->p.nr, np = ceil_div(g->N, nr), K = g->K;
    size_t n = (size_t)(np * K * nr);
    float *buf = calloc(n, sizeof *buf); /* (np, K, nr) */
    if (!buf) return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "out of memory");
    for (int64_t k = 0; k < K; k++)
        for (int64_t col = 0; col < g->N; col++)
            buf[((col / nr) * K + k) * nr + col % nr] = g->b_const[k * g->b_rs + col * g->b_cs];
    size_t bytes = n * sizeof *buf;
    if (s->b16) { /* in place: element i's bf16 goes to bytes 2i, 2i+1 */
        uint16_t *h = (uint16_t *)buf;
        for (size_t i = 0; i < n; i++)
            h[i] = cg_bf16(buf[i]);
        bytes = n * sizeof *h;
    }
    char shape[64];
    snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)np, (long long)K, (long long)nr);
    s->bsrc = shared_const(c, buf, bytes, s->b16 ? "b16" : "b", shape);
    free(buf);
    return GLC_OK;
}

/* The pair of x[0] and, if has_hi, x[stride] (cg_bf16 rounding). */
static uint32_t host_pair(const float *x, int64_t stride, bool has_hi) {
    return cg_bf16(x[0]) | (has_hi ? (uint32_t)cg_bf16(x[stride]) << 16 : 0u);
}

/* d16: the compile-time B panels as pairs, (np, ceil(K/2), nr) i32, zero past N. */
static glc_status const_panels16(gm *s) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    int64_t nr = s->p.nr, np = ceil_div(g->N, nr), nq = (g->K + 1) / 2;
    size_t n = (size_t)(np * nq * nr);
    uint32_t *buf = calloc(n, sizeof *buf);
    if (!buf) return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "out of memory");
    for (int64_t q = 0; q < nq; q++)
        for (int64_t col = 0; col < g->N; col++)
            buf[((col / nr) * nq + q) * nr + col % nr] =
                host_pair(g->b_const + 2 * q * g->b_rs + col * g->b_cs, g->b_rs, 2 * q + 1 < g->K);
    char shape[64];
    snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)np, (long long)nq, (long long)nr);
    s->bsrc = shared_const(c, buf, n * sizeof *buf, "p16", shape);
    free(buf);
    return GLC_OK;
}

/* d16: the compile-time A as pairs, (M, ceil(K/2)) i32. */
static glc_status const_a16(gm *s) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    int64_t nq = (g->K + 1) / 2;
    size_t n = (size_t)(g->M * nq);
    uint32_t *buf = malloc(n * sizeof *buf);
    if (!buf) return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "out of memory");
    for (int64_t i = 0; i < g->M; i++)
        for (int64_t q = 0; q < nq; q++)
            buf[i * nq + q] =
                host_pair(g->a_const + i * g->a_rs + 2 * q * g->a_cs, g->a_cs, 2 * q + 1 < g->K);
    char shape[64];
    snprintf(shape, sizeof shape, "%lldx%lld", (long long)g->M, (long long)nq);
    s->a16c = shared_const(c, buf, n * sizeof *buf, "a16", shape);
    free(buf);
    return GLC_OK;
}

/* d16, runtime A: the M block's pair buffer, an alloca of the current function. */
static LLVMValueRef a16_buffer(gm *s) {
    LLVMTypeRef t = LLVMArrayType2(s->c->i32, (uint64_t)(s->p.mc * ((s->p.kc + 1) / 2)));
    LLVMValueRef b = cg_alloca_entry(s->c, t);
    LLVMSetAlignment(b, 64);
    return b;
}

static void clear_rows(cg_ctx *c, const cg_gemm *g) {
    cg_loop li, lj;
    LLVMValueRef i = cg_loop_begin_v(c, &li, g->Mv ? g->Mv : cg_i64(c, g->M));
    LLVMValueRef j = cg_loop_begin(c, &lj, g->N);
    cg_stf(c, cg_f32(c, 0.0), g->y, lin(c, i, g->y_rs, j));
    cg_loop_end(c, &lj);
    cg_loop_end(c, &li);
}

/* The K blocks (the full ones in one loop, the first overwriting Y unless accumulating,
 * then the shorter last block if K is not a multiple of kc), at the builder position:
 * kblock(s, k0, kc, flags, ctx) emits one. */
typedef void (*gm_kblock_fn)(gm *s, LLVMValueRef k0, int64_t kc, const gm_kb *kb, void *ctx);
static void for_kblocks(gm *s, gm_kblock_fn kblock, void *ctx) {
    cg_ctx *c = s->c;
    const cg_gemm *g = s->g;
    int64_t kc = s->p.kc, nfull = g->K / kc, kl = g->K % kc;
    LLVMTypeRef i1 = LLVMInt1TypeInContext(c->ctx);
    LLVMValueRef yes = LLVMConstInt(i1, 1, 0), acc = g->accumulate ? yes : LLVMConstInt(i1, 0, 0);
    LLVMValueRef no = LLVMConstInt(i1, 0, 0);
    if (nfull) {
        cg_loop l;
        LLVMValueRef t = loop_begin(c, &l, nfull);
        gm_kb kb = {.load_c = acc, .last = kl ? no : yes};
        if (nfull > 1 && !g->accumulate)
            kb.load_c = LLVMBuildICmp(c->b, LLVMIntNE, t, cg_i64(c, 0), "");
        if (nfull > 1 && !kl) kb.last = LLVMBuildICmp(c->b, LLVMIntEQ, t, cg_i64(c, nfull - 1), "");
        kblock(s, lin(c, t, kc, NULL), kc, &kb, ctx);
        loop_end(c, &l);
    }
    gm_kb tail = {.load_c = nfull ? yes : acc, .last = yes};
    if (kl) kblock(s, cg_i64(c, nfull * kc), kl, &tail, ctx);
}

static void kblock_all(gm *s, LLVMValueRef k0, int64_t kc, const gm_kb *kb, void *ctx) {
    (void)ctx;
    emit_kblock(s, k0, kc, kb);
}

typedef struct gm_pj {
    LLVMValueRef j0;
    int w;
} gm_pj;

static void kblock_panel(gm *s, LLVMValueRef k0, int64_t kc, const gm_kb *kb, void *ctx) {
    const gm_pj *pj = ctx;
    emit_panel(s, cg_i64(s->c, 0), s->g->M, s->g->Mv, pj->j0, pj->w, k0, kc, kb);
}

static void panel_kblocks(gm *s, const gm_pbody *b, LLVMValueRef j0, int w) {
    (void)b;
    gm_pj pj = {j0, w};
    for_kblocks(s, kblock_panel, &pj);
}

/* Whether the panels go outermost, each through every K block: when all rows are one M
 * block (so no A block is re-read per panel) and the product has more than one K block,
 * a panel's tiles of Y then stay in L1 from one K block to the next instead of going
 * through L2 (or beyond) once per K block. Not for bf16 dot products, which pack A's
 * pairs per (M block, K block). With run-time rows both orders are emitted and the rows
 * choose (W5's recurrence at a symbolic batch of 64 then runs as the batch-64 model's). */
static bool panels_outer_pays(const gm *s) {
    return !s->d16 && s->g->K > s->p.kc;
}

static bool panels_outer(const gm *s) {
    return panels_outer_pays(s) && !s->g->Mv && s->g->M >= 0 && s->p.mc >= s->g->M;
}

static void emit_product(gm *s) {
    gm_pbody b = {.fn = panel_kblocks};
    if (panels_outer(s)) {
        for_panels(s, &b);
        return;
    }
    if (s->g->Mv && panels_outer_pays(s)) { /* one M block at run time: panels outermost */
        cg_ctx *c = s->c;
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLE, s->g->Mv, cg_i64(c, s->p.mc), ""));
        for_panels(s, &b);
        cg_if_else(c, &f);
        for_kblocks(s, kblock_all, NULL);
        cg_if_end(c, &f);
        return;
    }
    for_kblocks(s, kblock_all, NULL);
}

static LLVMValueRef pack_buffer(gm *s) {
    LLVMTypeRef t = LLVMArrayType2(s->c->f32, (uint64_t)(s->p.kc * s->p.nr));
    LLVMValueRef b = cg_alloca_entry(s->c, t);
    LLVMSetAlignment(b, 64);
    return b;
}

/* ---- threads: a product worth it runs as tasks over column panels (glc_parallel) */

/* The fewest rows for which the product is worth splitting (INT64_MAX: never). */
static int64_t split_min_rows(const gm *s) {
    const cg_gemm *g = s->g;
    if (g->serial || ceil_div(g->N, s->p.nr) < 2) return INT64_MAX;
    double per_row = 2.0 * (double)g->N * (double)g->K;
    return (int64_t)ceil(GM_PAR_MIN_FLOPS / per_row);
}

static bool worth_splitting(const gm *s) {
    return s->g->M >= split_min_rows(s);
}

/* The product on the calling thread (its packing buffers in scratch or allocas). */
static void emit_serial(gm *s) {
    const cg_gemm *g = s->g;
    if (s->p.src == GM_PACKED) s->bsrc = g->scratch ? g->scratch : pack_buffer(s);
    if (s->d16 && !s->a16c) s->abuf = a16_buffer(s);
    emit_product(s);
}

/* The product as tasks over its column panels (cg_par: <caller>.gemm runs panels
 * [lo, hi)); a runtime B is packed into each task's own stack buffer. */
static void emit_split(gm *s) {
    cg_ctx *c = s->c;
    cg_gemm g = *s->g;
    LLVMValueRef shared = NULL;
    int64_t nq = (g.K + 1) / 2;
    if (s->d16 && !s->a16c && g.M * nq <= GM_A16_SHARED) { /* A's pairs once, not per task */
        shared = cg_alloca_entry(c, LLVMArrayType2(c->i32, (uint64_t)(g.M * nq)));
        LLVMSetAlignment(shared, 64);
        pack_pairs(c, shared, 1, nq, g.a, g.a_cs, g.a_rs, g.K, g.M);
    }
    LLVMValueRef *caps[CG_PAR_MAX_CAPS] = {&g.a, &g.b, &g.y, &g.Mv, &shared};
    int ncaps = shared ? 5 : 4;
    for (int k = 0; k < g.ep_ncaps && ncaps < CG_PAR_MAX_CAPS; k++)
        caps[ncaps++] = g.ep_caps[k];
    cg_par par;
    cg_par_begin(c, &par, ceil_div(g.N, s->p.nr), true, caps, ncaps, "gemm");
    gm t = *s;
    t.g = &g;
    t.p_lo = par.lo;
    t.p_hi = par.hi;
    if (shared) t.a16c = shared; /* read like a compile-time A */
    if (t.p.src == GM_PACKED) t.bsrc = pack_buffer(&t);
    if (t.d16 && !t.a16c) t.abuf = a16_buffer(&t);
    emit_product(&t);
    cg_par_end(c, &par);
}

glc_status cg_gemm_emit(cg_ctx *c, const cg_gemm *g) {
    if ((g->M <= 0 && !g->Mv) || g->N <= 0) return GLC_OK;
    if (g->Mv && dot16(c))
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, NULL, "--bf16 with a symbolic number of "
                            "rows in a product is not supported yet; bind the dims");
    if (g->K <= 0) {
        if (!g->accumulate) clear_rows(c, g);
        return GLC_OK;
    }
    gm s = {.c = c, .g = g, .p = make_plan(c, g, g->b_const != NULL)};
    s.d16 = dot16(c);
    s.b16 = !s.d16 && s.p.src == GM_CONST && c->o->bf16_weights;
    init_types(&s);
    if (s.p.src == GM_CONST) GLC_TRY(s.d16 ? const_panels16(&s) : const_panels(&s));
    if (s.d16 && g->a_const) GLC_TRY(const_a16(&s));
    if (g->Mv) { /* run-time M: split when its rows are worth it */
        int64_t rows = split_min_rows(&s);
        if (rows == INT64_MAX) {
            emit_serial(&s);
            return GLC_OK;
        }
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSGE, g->Mv, cg_i64(c, rows), ""));
        emit_split(&s);
        cg_if_else(c, &f);
        gm t = s;
        emit_serial(&t);
        cg_if_end(c, &f);
        return GLC_OK;
    }
    if (worth_splitting(&s)) {
        emit_split(&s);
        return GLC_OK;
    }
    emit_serial(&s);
    return GLC_OK;
}

/* ---- run-time shapes: a plain loop nest (symbolic N or K, rare: weights are constants) */

/* y[i*y_rs + j] (=, or +=) sum_k a[i*a_rs + k*a_cs] * b[k*b_rs + j*b_cs], i-k-j order so
 * the inner loop runs along Y's row (vectorised by LLVM when b's columns are dense). */
void cg_gemm_emit_rt(cg_ctx *c, const cg_gemm_rt *g) {
    cg_loop li, lj, lk, lz;
    LLVMValueRef i = cg_loop_begin_v(c, &li, g->M);
    LLVMValueRef yrow = cg_gep(c, c->f32, g->y, LLVMBuildNSWMul(c->b, i, g->y_rs, ""));
    if (!g->accumulate) {
        LLVMValueRef j = cg_loop_begin_v(c, &lz, g->N);
        cg_stf(c, cg_f32(c, 0.0), yrow, j);
        cg_loop_end(c, &lz);
    }
    LLVMValueRef k = cg_loop_begin_v(c, &lk, g->K);
    LLVMValueRef ai = LLVMBuildNSWAdd(c->b, LLVMBuildNSWMul(c->b, i, g->a_rs, ""),
                                      LLVMBuildNSWMul(c->b, k, g->a_cs, ""), "");
    LLVMValueRef av = cg_ldf(c, g->a, ai);
    LLVMValueRef brow = cg_gep(c, c->f32, g->b, LLVMBuildNSWMul(c->b, k, g->b_rs, ""));
    LLVMValueRef j = cg_loop_begin_v(c, &lj, g->N);
    LLVMValueRef bv = cg_ldf(c, brow, LLVMBuildNSWMul(c->b, j, g->b_cs, ""));
    cg_stf(c, cg_fadd(c, cg_ldf(c, yrow, j), cg_fmul(c, av, bv)), yrow, j);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lk);
    cg_loop_end(c, &li);
}
