/*
 * rnn_small.c -- one step of an LSTM, GRU or RNN at batches of 1 to RNN_SMALL_MAX_BATCH
 * rows (contract in rnn_small.h), where the hidden product is a matrix-vector product
 * bound by reading R and the GEMM's tiles, panels and separate cell loops are overhead.
 *
 * Layout. R_d is packed at compile time in blocks of VL units (the target's vector
 * length): block p holds, for each k < H, the G gates of units [p*VL, p*VL + VL) side by
 * side, gate-major (G*VL floats per k, units past H zero), so a block's k loop streams
 * G*VL contiguous floats a k, and the whole step reads R once, in order.
 *
 *   for each block p of VL units (the last possibly narrower: masked loads and stores)
 *     for each group of rows (as many as keep their G accumulators in registers)
 *       acc[row][g] = sum over k of h[row, k] * R(gate g of the block's units, k)
 *                     (k split over up to 4 accumulator sets to hide the FMA latency)
 *       the cells of the group's rows on acc: gates = acc + xw + bs, activations, c and
 *       h updates, stores of c, h and Y, all as <VL x float> values
 *
 * With s->wd (the step's input projection, where it would be a one-step chunk) each group
 * first runs a k loop over I: acc += x[row, k] * W(gates of the block, k), W_d packed as
 * R_d, x read from X at the row's time index; GRU with linear_before_reset = 1 sums its h
 * gate's part apart (XH_SLOT), since r multiplies only the hidden part. Then the k loop
 * over H on the same accumulators, and the cells add bs to the sums (no xw).
 *
 * No packing of h, no gh buffer: the cells read the sums from registers. h is read from
 * hr and written to hw (lower_rnn.c alternates two buffers), so no block writes an h a
 * later block still reads. With sequence_lens each row's cells are under its own test
 * (the product still covers every row: they are independent); a row past its length
 * copies its h block from hr to hw and writes zeros to Y. A GRU with linear_before_reset
 * = 0 needs r h whole before its h gate's product: two passes of blocks, the first over
 * the z and r gates of R (2 packed; cells store z and r h), the second over R_h (1 gate;
 * cells: the h gate and the update). Runs on the calling thread (a step of a 128-unit
 * layer is a few microseconds) unless the step reaches RNN_SMALL_SPLIT_FLOPS; then each
 * pass's blocks are the pool's tasks.
 */
#include "rnn_small.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SETS = 4, MAX_ROWS = RNN_SMALL_MAX_BATCH, MAX_GATES = 4 };

/* Steps of at least this many flops split their blocks over the thread pool: LSTM from
 * hidden 256 (2 * 4 * 256^2), GRU from 296, at batch 1. Measured (2-core AVX-512 host
 * shared with other work, medians of 5 alternating `glc bench` runs, T = 50, input 64):
 * LSTM 256 on 2 threads split 410-470 us, one thread 590-710 (AVX2 code: 390-620 against
 * 580-780); LSTM 128 x 2 layers split 196-246 against 215-247, within the noise (AVX2
 * 271-319 against 296-316); LSTM 64 split 28-37 against 26-31 (AVX2 41-56 against 37-46):
 * below this size the pool's hand-off costs what the second core saves. */
#ifndef RNN_SMALL_SPLIT_FLOPS
#define RNN_SMALL_SPLIT_FLOPS (1 << 19)
#endif

/* With --bf16-weights or --bf16 the GEMM step runs (it honours them; this step keeps R in
 * f32). R_d bytes above which 16-lane targets keep the GEMM step: there the product streams R
 * from beyond L2 (1 MiB a core on the host measured) and the GEMM's panels did better:
 * LSTM 256 (1 MiB) at batch 1 on one thread, fastest of 9 runs 352-387 us GEMM against
 * 391-410 small; GRU 256 (768 KiB) 200-204 against 202-220, even; LSTM 128 x 2 layers
 * 198 against 209 (small faster), GRU 128 x 2 138 against 141. With AVX2 code (8 lanes)
 * the small step was faster at every size: LSTM 128 x 2 450 -> 260 us, GRU 128 x 2 365
 * -> 194, LSTM 256 495 -> 470. */
enum { WIDE_R_MAX_BYTES = 768 << 10 };

bool rnn_small_pays(const cg_ctx *c, const glc_rnn_desc *r) {
    int64_t bytes = r->gates * r->hidden * r->hidden * (int64_t)sizeof(float);
    if (c->o->bf16_weights || c->o->bf16_dot) return false; /* R in f32 here: keep the choice */
    return c->isa->vl < 16 || bytes <= WIDE_R_MAX_BYTES;
}

/* What a pass of blocks computes: a whole step, or a GRU (linear_before_reset = 0) step's
 * z, r h (RESET) then h gate and update (CANDIDATE). */
enum pass { PASS_STEP, PASS_RESET, PASS_CANDIDATE };

typedef struct sm {
    cg_ctx *c;
    const rnn_small_step *s;
    int64_t H, G, vl;
    enum pass pass;
    int64_t g0, ng;               /* the pass's gates of R: [g0, g0 + ng) */
    LLVMTypeRef vt;
    LLVMValueRef w;               /* the packed R_d */
    LLVMValueRef wx;              /* the packed W_d (s->wd), or NULL */
    LLVMValueRef fma, mload, mstore;
    LLVMTypeRef fma_t, mload_t, mstore_t;
    LLVMValueRef mask;            /* the block's lanes (NULL: all) */
} sm;

static LLVMValueRef intrinsic(cg_ctx *c, const char *name, LLVMTypeRef *ov, size_t n,
                              LLVMTypeRef *ft) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    *ft = LLVMIntrinsicGetType(c->ctx, id, ov, n);
    return LLVMGetIntrinsicDeclaration(c->mod, id, ov, n);
}

/* v in every lane. */
static LLVMValueRef splat(sm *m, LLVMValueRef v) {
    cg_ctx *c = m->c;
    LLVMValueRef x = LLVMBuildInsertElement(c->b, LLVMGetPoison(m->vt), v, cg_i64(c, 0), "");
    LLVMValueRef zm = LLVMConstNull(LLVMVectorType(c->i32, (unsigned)m->vl));
    return LLVMBuildShuffleVector(c->b, x, LLVMGetPoison(m->vt), zm, "");
}

static LLVMValueRef vconst(sm *m, double v) {
    LLVMValueRef e[64];
    for (int64_t i = 0; i < m->vl; i++)
        e[i] = cg_f32(m->c, v);
    return LLVMConstVector(e, (unsigned)m->vl);
}

/* <vl x i1> with the first n lanes set. */
static LLVMValueRef lanes(sm *m, int64_t n) {
    LLVMValueRef e[64];
    LLVMTypeRef i1 = LLVMInt1TypeInContext(m->c->ctx);
    for (int64_t i = 0; i < m->vl; i++)
        e[i] = LLVMConstInt(i1, i < n, 0);
    return LLVMConstVector(e, (unsigned)m->vl);
}

/* The block's lanes of p[off]: a vector (masked with zeros past the block's units). */
static LLVMValueRef vld(sm *m, LLVMValueRef p, LLVMValueRef off) {
    cg_ctx *c = m->c;
    LLVMValueRef a = cg_gep(c, c->f32, p, off);
    if (!m->mask) {
        LLVMValueRef v = LLVMBuildLoad2(c->b, m->vt, a, "");
        LLVMSetAlignment(v, 4);
        return v;
    }
    LLVMValueRef args[4] = {a, LLVMConstInt(c->i32, 4, 0), m->mask, LLVMConstNull(m->vt)};
    return LLVMBuildCall2(c->b, m->mload_t, m->mload, args, 4, "");
}

static void vst(sm *m, LLVMValueRef v, LLVMValueRef p, LLVMValueRef off) {
    cg_ctx *c = m->c;
    LLVMValueRef a = cg_gep(c, c->f32, p, off);
    if (!m->mask) {
        LLVMSetAlignment(LLVMBuildStore(c->b, v, a), 4);
        return;
    }
    LLVMValueRef args[4] = {v, a, LLVMConstInt(c->i32, 4, 0), m->mask};
    LLVMBuildCall2(c->b, m->mstore_t, m->mstore, args, 4, "");
}

static LLVMValueRef vfma(sm *m, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc) {
    LLVMValueRef args[3] = {a, b, acc};
    return LLVMBuildCall2(m->c->b, m->fma_t, m->fma, args, 3, "");
}

/* ---- the packed weights */

static uint64_t fnv1a(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* The pass's gates of src (G*H, K) in blocks of vl units (layout in the header), one
 * constant per distinct content in the module (the steps emitted for several run-time
 * batches share it). */
static glc_status pack_blocks(sm *m, const char *what, const float *src, int64_t K,
                              LLVMValueRef *out) {
    int64_t H = m->H, G = m->ng, vl = m->vl, nb = (H + vl - 1) / vl;
    const float *rd = src + m->g0 * H * K;
    size_t n = (size_t)(nb * K * G * vl);
    float *w = calloc(n, sizeof *w);
    if (!w) return glc_diag_set(m->c->d, GLC_E_NOMEM, NULL, "out of memory packing %s", what);
    for (int64_t p = 0; p < nb; p++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t g = 0; g < G; g++)
                for (int64_t l = 0; l < vl && p * vl + l < H; l++)
                    w[((p * K + k) * G + g) * vl + l] = rd[(g * H + p * vl + l) * K + k];
    char name[96];
    snprintf(name, sizeof name, "rnn_small.%s.v%lld.%016llx", what, (long long)vl,
             (unsigned long long)fnv1a(w, n * sizeof *w));
    *out = LLVMGetNamedGlobal(m->c->mod, name);
    if (!*out) *out = cg_const_bytes(m->c, w, n * sizeof *w, name);
    free(w);
    return GLC_OK;
}

/* The pass's weights: R_d's gates, and W_d's when the step computes the input projection. */
static glc_status pack_weights(sm *m) {
    GLC_TRY(pack_blocks(m, "R", m->s->rd, m->H, &m->w));
    m->wx = NULL;
    if (m->s->wd) GLC_TRY(pack_blocks(m, "W", m->s->wd, m->s->in, &m->wx));
    return GLC_OK;
}

/* ---- the product of one block for a group of rows */

/* GRU with linear_before_reset = 1 keeps its h gate's input part apart from r (h R_h^T):
 * in the accumulator after the pass's gates. */
enum { XH_SLOT = 3 };

typedef struct acc {
    LLVMValueRef v[MAX_SETS][MAX_ROWS][MAX_GATES];
    int sets, rows, r0;
} acc;

/* What a k loop multiplies: rows of src (row r at off[r]) by the block's packed weights
 * wb (K steps of the pass's gates), gate g summed into slot[g]. */
typedef struct operand {
    LLVMValueRef src, wb, off[MAX_ROWS];
    int64_t K;
    int slot[MAX_GATES];
} operand;

/* acc[set] += src(rows, k) * weights(gates of the block, k). */
static void k_step(sm *m, acc *a, const operand *o, int set, LLVMValueRef k) {
    cg_ctx *c = m->c;
    LLVMValueRef bv[MAX_GATES];
    LLVMValueRef wk = cg_madd(c, k, m->ng * m->vl, NULL);
    for (int g = 0; g < m->ng; g++) {
        LLVMValueRef v =
            LLVMBuildLoad2(c->b, m->vt, cg_gep(c, c->f32, o->wb, cg_addk(c, wk, g * m->vl)), "");
        LLVMSetAlignment(v, (unsigned)(m->vl * 4 > 64 ? 64 : m->vl * 4));
        bv[g] = v;
    }
    for (int r = 0; r < a->rows; r++) {
        LLVMValueRef av = splat(m, cg_ldf(c, o->src, cg_iadd(c, o->off[r], k)));
        for (int g = 0; g < m->ng; g++) {
            LLVMValueRef *v = &a->v[set][r][o->slot[g]];
            *v = vfma(m, av, bv[g], *v);
        }
    }
}

/* The k loop: K / sets iterations of `sets` steps (accumulators in phis), then the rest;
 * the sets' sums end in set 0, the other sets back at zero. */
static void k_loop(sm *m, acc *a, const operand *o) {
    cg_ctx *c = m->c;
    int64_t n = o->K / a->sets;
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMValueRef fn = LLVMGetBasicBlockParent(pre);
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "small.k");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, fn, "small.kdone");
    LLVMBuildBr(c->b, body);
    LLVMPositionBuilderAtEnd(c->b, body);
    LLVMValueRef iv = LLVMBuildPhi(c->b, c->i64, "k"), zero = cg_i64(c, 0);
    LLVMAddIncoming(iv, &zero, &pre, 1);
    LLVMValueRef phi[MAX_SETS][MAX_ROWS][MAX_GATES];
    for (int u = 0; u < a->sets; u++)
        for (int r = 0; r < a->rows; r++)
            for (int g = 0; g < m->ng; g++) {
                LLVMValueRef *v = &a->v[u][r][o->slot[g]];
                phi[u][r][g] = LLVMBuildPhi(c->b, m->vt, "acc");
                LLVMAddIncoming(phi[u][r][g], v, &pre, 1);
                *v = phi[u][r][g];
            }
    LLVMValueRef kb = cg_madd(c, iv, a->sets, NULL);
    for (int u = 0; u < a->sets; u++)
        k_step(m, a, o, u, cg_addk(c, kb, u));
    LLVMValueRef next = LLVMBuildNSWAdd(c->b, iv, cg_i64(c, 1), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMAddIncoming(iv, &next, &latch, 1);
    for (int u = 0; u < a->sets; u++)
        for (int r = 0; r < a->rows; r++)
            for (int g = 0; g < m->ng; g++)
                LLVMAddIncoming(phi[u][r][g], &a->v[u][r][o->slot[g]], &latch, 1);
    LLVMValueRef br =
        LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, next, cg_i64(c, n), ""), body, done);
    cg_loop_no_unroll(c, br, true);
    LLVMPositionBuilderAtEnd(c->b, done);
    for (int u = 0; u < a->sets; u++)
        for (int r = 0; r < a->rows; r++)
            for (int g = 0; g < m->ng; g++) {
                LLVMValueRef *v = &a->v[u][r][o->slot[g]];
                LLVMValueRef lcssa = LLVMBuildPhi(c->b, m->vt, "");
                LLVMAddIncoming(lcssa, v, &latch, 1);
                *v = lcssa;
            }
    for (int64_t k = n * a->sets; k < o->K; k++)
        k_step(m, a, o, 0, cg_i64(c, k));
    for (int r = 0; r < a->rows; r++) /* the sets' sums */
        for (int g = 0; g < m->ng; g++)
            for (int u = 1; u < a->sets; u++) {
                LLVMValueRef *v = &a->v[u][r][o->slot[g]];
                a->v[0][r][o->slot[g]] = LLVMBuildFAdd(c->b, a->v[0][r][o->slot[g]], *v, "");
                *v = LLVMConstNull(m->vt);
            }
}

/* ---- the cells, on vectors of the block's units */

static LLVMValueRef clip(sm *m, LLVMValueRef x) {
    cg_ctx *c = m->c;
    const glc_rnn_desc *r = m->s->r;
    if (!r->has_clip) return x;
    LLVMValueRef lo = vconst(m, -r->clip), hi = vconst(m, r->clip);
    x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, hi, ""), hi, x, "");
}

static LLVMValueRef act(sm *m, int k, LLVMValueRef x) {
    return cg_act_emit(m->c, &m->s->act[k], clip(m, x));
}

/* What a row's cell works on: its sums, offsets and the block's first unit. */
typedef struct cell {
    LLVMValueRef *sum; /* the pass's sums of the block's units (gate g0 first) */
    rnn_small_row w;
    LLVMValueRef u; /* the block's first unit */
} cell;

/* xw + bs of gate g, then + the product's sum; with the input projection in the sum
 * (s->wd), bs + the sum. */
static LLVMValueRef gate(sm *m, const cell *e, int g) {
    cg_ctx *c = m->c;
    LLVMValueRef gu = cg_addk(c, e->u, g * m->H);
    LLVMValueRef v = m->s->wd ? NULL : vld(m, m->s->xw, cg_iadd(c, e->w.xr, gu));
    if (m->s->bs) {
        LLVMValueRef b = vld(m, m->s->bs, gu);
        v = v ? cg_fadd(c, v, b) : b;
    }
    return v ? cg_fadd(c, v, e->sum[g - m->g0]) : e->sum[g - m->g0];
}

/* pre + P_d[g*H + u] * cv (peephole g of i, o, f), or pre without P. */
static LLVMValueRef peep(sm *m, const cell *e, int g, LLVMValueRef pre, LLVMValueRef cv) {
    if (!m->s->p) return pre;
    LLVMValueRef off = cg_addk(m->c, e->u, (m->s->d * 3 + g) * m->H);
    return cg_fadd(m->c, pre, cg_fmul(m->c, vld(m, m->s->p, off), cv));
}

static void put_h(sm *m, const cell *e, LLVMValueRef h) {
    cg_ctx *c = m->c;
    vst(m, h, m->s->hw, cg_iadd(c, e->w.hb, e->u));
    if (e->w.yo) vst(m, h, m->s->y, cg_iadd(c, e->w.yo, e->u));
}

static void lstm_cell(sm *m, const cell *e) {
    cg_ctx *c = m->c;
    LLVMValueRef sj = cg_iadd(c, e->w.hb, e->u);
    LLVMValueRef cv = vld(m, m->s->cs, sj);
    LLVMValueRef i = act(m, 0, peep(m, e, 0, gate(m, e, 0), cv));
    LLVMValueRef f = m->s->r->input_forget ? LLVMBuildFSub(c->b, vconst(m, 1.0), i, "")
                                           : act(m, 0, peep(m, e, 2, gate(m, e, 2), cv));
    LLVMValueRef g = act(m, 1, gate(m, e, 3));
    LLVMValueRef cn = cg_fadd(c, cg_fmul(c, f, cv), cg_fmul(c, i, g));
    LLVMValueRef o = act(m, 0, peep(m, e, 1, gate(m, e, 1), cn));
    vst(m, cn, m->s->cs, sj);
    put_h(m, e, cg_fmul(c, o, cg_act_emit(c, &m->s->act[2], cn)));
}

static void gru_cell(sm *m, const cell *e) {
    cg_ctx *c = m->c;
    int64_t H = m->H;
    LLVMValueRef z = act(m, 0, gate(m, e, 0));
    LLVMValueRef r = act(m, 0, gate(m, e, 1));
    LLVMValueRef hh = e->sum[2]; /* r (h R_h^T + Rb_h) */
    if (m->s->bias)
        hh = cg_fadd(c, hh, vld(m, m->s->bias, cg_addk(c, e->u, m->s->d * 6 * H + 5 * H)));
    hh = cg_fmul(c, r, hh);
    LLVMValueRef gu = cg_addk(c, e->u, 2 * H);
    LLVMValueRef xh = m->s->wd ? e->sum[XH_SLOT] : vld(m, m->s->xw, cg_iadd(c, e->w.xr, gu));
    if (m->s->bs) xh = cg_fadd(c, xh, vld(m, m->s->bs, gu));
    LLVMValueRef ht = act(m, 1, cg_fadd(c, xh, hh));
    LLVMValueRef hv = vld(m, m->s->hr, cg_iadd(c, e->w.hb, e->u));
    LLVMValueRef one_z = LLVMBuildFSub(c->b, vconst(m, 1.0), z, "");
    put_h(m, e, cg_fadd(c, cg_fmul(c, one_z, ht), cg_fmul(c, z, hv)));
}

/* GRU with linear_before_reset = 0, first pass: zs = z, rh = r h (lower_rnn.c's
 * gru_reset; z kept for the second pass). */
static void gru_reset(sm *m, const cell *e) {
    cg_ctx *c = m->c;
    LLVMValueRef sj = cg_iadd(c, e->w.hb, e->u);
    vst(m, act(m, 0, gate(m, e, 0)), m->s->zs, sj);
    vst(m, cg_fmul(c, act(m, 0, gate(m, e, 1)), vld(m, m->s->hr, sj)), m->s->rh, sj);
}

/* Second pass: h gate g(xw_h + Wb_h + Rb_h + rh R_h^T), h = (1 - z) h~ + z h. */
static void gru_candidate(sm *m, const cell *e) {
    cg_ctx *c = m->c;
    LLVMValueRef sj = cg_iadd(c, e->w.hb, e->u);
    LLVMValueRef ht = act(m, 1, gate(m, e, 2));
    LLVMValueRef z = vld(m, m->s->zs, sj), hv = vld(m, m->s->hr, sj);
    LLVMValueRef one_z = LLVMBuildFSub(c->b, vconst(m, 1.0), z, "");
    put_h(m, e, cg_fadd(c, cg_fmul(c, one_z, ht), cg_fmul(c, z, hv)));
}

/* The pass's cells of one live row. */
static void row_cells(sm *m, const cell *e) {
    if (m->pass == PASS_RESET)
        gru_reset(m, e);
    else if (m->pass == PASS_CANDIDATE)
        gru_candidate(m, e);
    else if (m->s->r->op == GLC_OP_LSTM)
        lstm_cell(m, e);
    else if (m->s->r->op == GLC_OP_GRU)
        gru_cell(m, e);
    else
        put_h(m, e, act(m, 0, gate(m, e, 0)));
}

/* A row past its length: h kept (hw = hr), zeros to Y; c stays in place. */
static void past_end(sm *m, const cell *e) {
    cg_ctx *c = m->c;
    LLVMValueRef sj = cg_iadd(c, e->w.hb, e->u);
    vst(m, vld(m, m->s->hr, sj), m->s->hw, sj);
    if (e->w.yz) vst(m, vconst(m, 0.0), m->s->y, cg_iadd(c, e->w.yz, e->u));
}

static void cells(sm *m, acc *a, const rnn_small_row *w, LLVMValueRef u) {
    cg_ctx *c = m->c;
    for (int r = 0; r < a->rows; r++) {
        cell e = {.sum = a->v[0][r], .w = w[r], .u = u};
        if (!e.w.live) {
            row_cells(m, &e);
            continue;
        }
        cg_if f; /* the first pass leaves rows past their length alone */
        cg_if_begin(c, &f, e.w.live);
        row_cells(m, &e);
        cg_if_else(c, &f);
        if (m->pass != PASS_RESET) past_end(m, &e);
        cg_if_end(c, &f);
    }
}

/* ---- blocks */

/* Rows whose G accumulators a group keeps in registers with the G weight vectors, a
 * broadcast of h and a spare: AVX2 (16) LSTM 2, GRU 3; AVX-512 (32) all four. */
static int group_rows(const sm *m) {
    int n = (m->c->isa->vregs - (int)m->ng - 2) / (int)m->ng;
    return n < 1 ? 1 : n > MAX_ROWS ? MAX_ROWS : n;
}

/* The group's input rows times the block's W (wbx): LSTM, RNN and GRU's z and r gates
 * into the product's slots, GRU's h gate (linear_before_reset = 1) into XH_SLOT. A row
 * past its length reads row 0 (its sums are not used; a reverse direction's time index
 * is negative there). */
static void input_product(sm *m, acc *a, const rnn_small_row *w, LLVMValueRef wbx) {
    cg_ctx *c = m->c;
    operand o = {.src = m->s->x, .wb = wbx, .K = m->s->in};
    for (int g = 0; g < m->ng; g++)
        o.slot[g] = m->pass == PASS_STEP && m->s->r->op == GLC_OP_GRU && g == 2 ? XH_SLOT : g;
    for (int r = 0; r < a->rows; r++)
        o.off[r] = w[r].live ? LLVMBuildSelect(c->b, w[r].live, w[r].xi, cg_i64(c, 0), "")
                             : w[r].xi;
    k_loop(m, a, &o);
}

/* Block p (i64) of units [p*vl, p*vl + nu): every group's product, then its cells. */
static void block(sm *m, LLVMValueRef p, int64_t nu) {
    cg_ctx *c = m->c;
    m->mask = nu < m->vl ? lanes(m, nu) : NULL;
    LLVMValueRef wb = cg_gep(c, c->f32, m->w, cg_madd(c, p, m->H * m->ng * m->vl, NULL));
    LLVMValueRef wbx = m->wx ? cg_gep(c, c->f32, m->wx,
                                      cg_madd(c, p, m->s->in * m->ng * m->vl, NULL))
                             : NULL;
    LLVMValueRef u = cg_madd(c, p, m->vl, NULL);
    int per = group_rows(m);
    for (int r0 = 0; r0 < m->s->rows; r0 += per) {
        acc a = {.r0 = r0, .rows = (int)(m->s->rows - r0 < per ? m->s->rows - r0 : per)};
        int nacc = a.rows * (int)m->ng, ch = c->isa->chains;
        a.sets = nacc >= ch ? 1 : ch / nacc > MAX_SETS ? MAX_SETS : ch / nacc;
        if (a.sets > m->H) a.sets = (int)m->H;
        if (m->wx && a.sets > m->s->in) a.sets = (int)m->s->in;
        for (int s = 0; s < a.sets; s++)
            for (int r = 0; r < a.rows; r++)
                for (int g = 0; g < MAX_GATES; g++)
                    a.v[s][r][g] = LLVMConstNull(m->vt);
        rnn_small_row w[MAX_ROWS];
        for (int r = 0; r < a.rows; r++)
            m->s->row(m->s->ctx, cg_i64(c, r0 + r), &w[r]);
        if (m->wx) input_product(m, &a, w, wbx);
        operand o = {.src = m->pass == PASS_CANDIDATE ? m->s->rh : m->s->hr, .wb = wb, .K = m->H};
        for (int g = 0; g < m->ng; g++)
            o.slot[g] = g;
        for (int r = 0; r < a.rows; r++)
            o.off[r] = cg_i64(c, (r0 + r) * m->H);
        k_loop(m, &a, &o);
        cells(m, &a, w, u);
    }
}

/* Blocks [lo, hi) of the step (i64 values; block `full` is the partial one). */
static void blocks(sm *m, LLVMValueRef lo, LLVMValueRef hi, int64_t full, int64_t tail) {
    cg_ctx *c = m->c;
    cg_loop lp;
    LLVMValueRef p = cg_loop_range(c, &lp, lo, hi);
    if (!tail) {
        block(m, p, m->vl);
    } else {
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLT, p, cg_i64(c, full), ""));
        block(m, p, m->vl);
        cg_if_else(c, &f);
        block(m, p, tail);
        cg_if_end(c, &f);
    }
    cg_loop_end(c, &lp);
}

/* The blocks as tasks for the thread pool (cg_par; the caller's values the row callback
 * reads in s->caps). */
static void split_blocks(sm *m, int64_t full, int64_t tail) {
    cg_ctx *c = m->c;
    rnn_small_step t = *m->s;
    LLVMValueRef *caps[CG_PAR_MAX_CAPS] = {&t.xw, &t.bs, &t.bias, &t.p,  &t.cs, &t.hr,  &t.hw,
                                           &t.y,  &t.rh, &t.zs,   &t.x, &m->w, &m->wx};
    int n = 13;
    for (int k = 0; k < t.ncaps && n < CG_PAR_MAX_CAPS; k++)
        caps[n++] = t.caps[k];
    const rnn_small_step *caller = m->s;
    m->s = &t;
    cg_par par;
    cg_par_begin(c, &par, full + (tail > 0), true, caps, n, "small");
    par.min_items = 2;
    blocks(m, par.lo, par.hi, full, tail);
    cg_par_end(c, &par);
    m->s = caller;
}

/* One pass of blocks over gates [g0, g0 + ng) of R: on the pool when the whole step
 * reaches RNN_SMALL_SPLIT_FLOPS. */
static glc_status emit_pass(sm *m, enum pass pass, int64_t g0, int64_t ng) {
    cg_ctx *c = m->c;
    m->pass = pass;
    m->g0 = g0;
    m->ng = ng;
    GLC_TRY(pack_weights(m));
    int64_t full = m->H / m->vl, tail = m->H % m->vl;
    if (2 * m->s->rows * m->G * m->H * m->H >= RNN_SMALL_SPLIT_FLOPS && full + (tail > 0) >= 2) {
        split_blocks(m, full, tail);
        return GLC_OK;
    }
    if (full) {
        cg_loop lp;
        LLVMValueRef p = cg_loop_begin(c, &lp, full);
        block(m, p, m->vl);
        cg_loop_end(c, &lp);
    }
    if (tail) block(m, cg_i64(c, full), tail);
    return GLC_OK;
}

glc_status rnn_small_emit(cg_ctx *c, const rnn_small_step *s) {
    sm m = {.c = c, .s = s, .H = s->r->hidden, .G = s->r->gates, .vl = c->isa->vl};
    if (m.H <= 0 || s->rows <= 0) return GLC_OK;
    m.vt = LLVMVectorType(c->f32, (unsigned)m.vl);
    LLVMTypeRef ov[2] = {m.vt, c->ptr};
    m.fma = intrinsic(c, "llvm.fma", ov, 1, &m.fma_t);
    m.mload = intrinsic(c, "llvm.masked.load", ov, 2, &m.mload_t);
    m.mstore = intrinsic(c, "llvm.masked.store", ov, 2, &m.mstore_t);
    if (s->r->op != GLC_OP_GRU || s->r->linear_before_reset)
        return emit_pass(&m, PASS_STEP, 0, m.G);
    GLC_TRY(emit_pass(&m, PASS_RESET, 0, 2));
    return emit_pass(&m, PASS_CANDIDATE, 2, 1);
}
