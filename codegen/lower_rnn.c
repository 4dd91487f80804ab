/*
 * lower_rnn.c -- code generation for the rnn family (ONNX LSTM, GRU, RNN), specialised to
 * the node's static shapes and attributes. Same equations as the reference kernel
 * (ir/interp_rnn.c, which documents them and the ONNX Runtime conventions followed), but
 * time-major and batched, so that every matrix product is one cg_gemm_emit call:
 *
 *   for each direction d (unrolled at compile time: its activations and weights are constants)
 *     hs, cs = initial_h/c (or 0);  bs = Wb_d + Rb_d                hs, cs: (N, H); bs: (G*H)
 *     for each chunk of steps [c0, c0 + Tc):
 *       xw = X(time rows of the chunk) W_d^T                  one product, (rows, I) x (I, G*H)
 *       for each step s of the chunk:
 *         gh = hs R_d^T                                       one product, (N, H) x (H, G*H)
 *         for b < N, s < len(b):  ti = reverse ? len(b)-1-s : s
 *           gates = xw(ti, b) + gh[b] + bs; cell over H (updates hs[b], cs[b]); Y(ti, d, b) = hs[b]
 *         for b < N, s >= len(b): Y(s, d, b) = 0
 *     Y_h(d, b) = hs[b], Y_c(d, b) = cs[b]
 *
 * len(b) = clamp(sequence_lens[b], 0, S), or S without sequence_lens. The input projection
 * does not depend on the recurrence, so it is hoisted out of it: one product per chunk of Tc
 * steps. The hoist-projections pass chooses at most how many (the node's glc_hoist_steps:
 * all S unless xw would exceed its cache budget; absent, as at -O0: 1); the chunks are
 * balanced, the last possibly shorter. A chunk of a reverse direction covers the time indices
 * [max(S - c0 - Tc, 0), S - c0); with sequence_lens a reverse direction's rows do not share
 * their time indices, so it is never chunked. The xw row of (ti, b) in a chunk whose first
 * time index is tb is (ti - tb)*rt + b*rb: layout 0 keeps X's (time, batch) row order (rt = N,
 * rb = 1; the chunk's X rows are contiguous), layout 1 its (batch, time) order (rt = 1,
 * rb = Tc; one product per batch row unless Tc = S).
 *
 * GRU: with linear_before_reset = 1 the h gate is g(xw_h + Wb_h + r (gh_h + Rb_h)), so bs_h
 * holds Wb_h only and Rb_h is added under r. With linear_before_reset = 0 the hidden product
 * covers the z and r gates only; a first pass over the rows computes rh = r hs, a second
 * product gh_h = rh R_h^T, and the cell adds Wb_h + Rb_h through bs_h.
 *
 * Fused step (glc_fuse_cell, set by the fuse-cell pass; constant R, no sequence_lens, for
 * GRU linear_before_reset = 1): R_d^T is packed at compile time with gate-interleaved
 * columns, each column panel holding the G gates of its units (LSTM i, o, f, c of 16 units
 * in 64 columns, GRU z, r, h of 16 in 48, with AVX-512; the widths come from the target's
 * row of the tiling table, isa.c; RNN: the default panels),
 * and the hidden product's epilogue (cg_gemm.epilogue) runs the cells of each tile right
 * after it is stored: one parallel region a step instead of two. The product reads h from
 * one of two buffers and the cells write the other (hs at even steps, hs2 at odd; Y_h
 * copies hs2 back after an odd number of steps); GRU cells read the previous h from the
 * product's buffer. The cells' operations are those of the separate cells; the product
 * may split its k sums differently (small tiles), so the outputs agree to rounding.
 * With a symbolic batch and glc_fuse_cell_max_batch B, both steps are emitted and each
 * step takes the fused one when the run-time batch is at most B (R is then packed both
 * ways): the model runs every batch as the model compiled for that batch would.
 *
 * Small batches: the step of a node marked glc_fuse_cell (constant R) whose batch is at
 * most RNN_SMALL_MAX_BATCH (4) is emitted by rnn_small.c where it pays on the target
 * (rnn_small_pays), whatever glc_fuse_cell_max_batch says: the hidden product as a
 * matrix-vector product over R packed in blocks of one vector of units (all G gates),
 * each block's cells computed on the product's registers right after it (no gh round
 * trip, no tiles, one thread), h alternating between hs and hs2 as in the fused step. It
 * takes sequence_lens (each row's cells under a test of its length; a row past it copies
 * its h to the other buffer and writes Y zeros) and GRU with linear_before_reset = 0 (two
 * passes: z to gh and r h to rh, then rh R_h^T and the update). With a symbolic batch, one
 * such step is emitted per batch 1 .. 4 and chosen at run time; glc_fuse_cell_max_batch
 * then bounds the GEMM-fused step above them (a static batch above it runs unfused).
 * With a static batch, constant W and a static I, where a chunk of the hoisted projection
 * would be one step (Tc = 1: T = 1, as in a --stream model, or glc_hoist_steps 1), the
 * small step computes x W^T itself (pl->xin: W packed as R, the input row read from X, in
 * the product's accumulators; no xw, no input GEMM). At Tc = 50 the hoisted GEMM is faster
 * (its W is read once for all steps): 2-layer LSTM 128, T = 50, 0.33 ms against 0.42.
 *
 * Rows past their length still go through the products (the rows are independent), but the
 * cells skip them, so their state is kept. The bias is added in the cell (one more
 * contiguous load), the sums are reassociated against the interpreter's order, so results
 * match it to rounding. The cells are loops over H with contiguous accesses that LLVM
 * vectorises once the alwaysinline math functions are inlined.
 *
 * Scratch is workspace (lower_rnn_scratch, passed after the inputs), each part starting on
 * a 64-byte boundary: xw (Tc rows of N, G*H; none with xin), gh (N, G*H), hs (N, H), cs
 * (N, H; LSTM), rh (N, H; GRU with linear_before_reset = 0), bs (G*H; with B fed at run
 * time: a constant B's sums are a constant of the module), hs2 (N, H; fused or small), then
 * the products' own scratch (cg_gemm_scratch_bytes, the largest over the node's products).
 * Outputs not requested (n->out[k] == 0) and absent inputs are known statically and
 * generate no code.
 */
#include "cg_impl.h"
#include "rnn.h"
#include "rnn_small.h"

#include <stdlib.h>
#include <string.h>

/* Cells (batch x hidden) of one step from which they run as tasks on the thread pool. */
enum { CELLS_PAR_MIN = 4096 };

/* The plan, shared by lower_rnn_scratch() and lower_rnn(). The time and batch sizes (and
 * what depends on them) are dims: constants, or expressions of the graph's symbols that
 * the kernel evaluates at run time (cg_dim). */
typedef struct rnn_plan {
    glc_rnn_desc r;
    const float *wc, *rc;  /* W and R as host data when constant, else NULL */
    const float *bc;       /* B as host data when constant, else NULL */
    glc_dim tc, nch, last; /* steps per chunk, chunks, steps in the last chunk */
    bool per_row;          /* layout 1 and Tc < S: one input product per batch row */
    glc_dim rt, rb;        /* xw row of (ti, b): (ti - tb)*rt + b*rb */
    bool fused;            /* cells in the hidden product's epilogue (glc_fuse_cell) */
    int64_t fuse_max;      /* >= 0: fused only at run-time batches up to it, else unfused */
    int64_t small;         /* the small step at run-time batches up to it (0: never) */
    bool xin;              /* the small step computes the input projection (no xw) */
    glc_dim off_gh, off_hs, off_cs, off_rh, off_bs, off_hs2, floats; /* scratch (floats) */
    uint64_t gemm_bytes; /* the products' scratch, at byte offset floats*4 */
} rnn_plan;

enum { P_INPUT, P_HIDDEN, P_RESET, P_FUSED }; /* the products of a direction */

static glc_dim align16(const glc_graph *g, glc_dim n) {
    return glc_dim_mul(g, glc_dim_ceildiv(g, n, 16), 16);
}

/* A product's rows M: static, or at run time (c given: its value now; NULL: planning). */
static void set_rows(cg_ctx *c, const glc_graph *g, cg_gemm *p, glc_dim M) {
    if (glc_dim_is_const(M)) {
        p->M = M;
        return;
    }
    int64_t hint;
    p->M = c && glc_dim_upper_bound(g, M, &hint) ? hint : -1;
    p->Mv = c ? cg_dim(c, M) : NULL;
}

static bool lbr0(const glc_rnn_desc *r) {
    return r->op == GLC_OP_GRU && !r->linear_before_reset;
}

/* The panel kind of a fused step's hidden product: panels holding the G gates of whole
 * units side by side (LSTM 4, GRU 3); an RNN's one gate takes the default panels. */
static int fused_panel_gates(const glc_rnn_desc *r) {
    return r->gates > 1 ? (int)r->gates : 0;
}

/* Product `kind` of direction d without its pointers: P_INPUT for `steps` steps of a chunk,
 * P_HIDDEN hs R^T (z and r gates only for lbr0), P_RESET rh R_h^T, P_FUSED hs R^T in the
 * gate-interleaved panels of a fused step. c: emitting (run-time rows as values), or
 * NULL: planning. */
static cg_gemm product(cg_ctx *c, const glc_graph *gr, const rnn_plan *pl, int d, int kind,
                       glc_dim steps) {
    const glc_rnn_desc *r = &pl->r;
    int64_t H = r->hidden, GH = r->gates * H, I = glc_dim_is_const(r->input) ? r->input : 1;
    if (kind == P_INPUT) { /* (a symbolic I takes emit_input's plain loop nest instead) */
        cg_gemm g = {.N = GH,
                         .K = I,
                         .a_rs = I,
                         .a_cs = 1,
                         .b_rs = 1,
                         .b_cs = I,
                         .y_rs = GH,
                         .b_const = pl->wc ? pl->wc + d * GH * I : NULL};
        set_rows(c, gr, &g, pl->per_row ? steps : glc_dim_mul(gr, r->batch, steps));
        return g;
    }
    cg_gemm g = {.N = lbr0(r) ? 2 * H : GH,
                 .K = H,
                 .a_rs = H,
                 .a_cs = 1,
                 .b_rs = 1,
                 .b_cs = H,
                 .y_rs = GH,
                 .b_const = pl->rc ? pl->rc + d * GH * H : NULL,
                 .panel_gates = kind == P_FUSED ? fused_panel_gates(r) : 0};
    set_rows(c, gr, &g, r->batch);
    if (kind == P_RESET) {
        g.N = H;
        if (g.b_const) g.b_const += 2 * H * H;
    }
    return g;
}

static uint64_t max_u64(uint64_t a, uint64_t b) {
    return a > b ? a : b;
}

/* Steps per hoisted chunk at most: glc_hoist_steps (passes/hoist_projections.c; -1: the
 * budget over the run-time batch; absent, as at -O0: 1). */
static glc_dim steps_per_chunk(const glc_graph *g, const glc_node *n, const glc_rnn_desc *r) {
    bool sl = glc_node_input(g, n, GLC_RNN_SEQ_LENS) != NULL;
    if (sl && r->direction != GLC_RNN_FORWARD) return r->seq;
    return cg_hoist_chunk_max(g, n, glc_dim_mul(g, r->batch, r->gates * r->hidden));
}

/* The run-time batches of a marked node the small step takes: up to RNN_SMALL_MAX_BATCH
 * (a symbolic batch: each of them, chosen at run time). */
static int64_t small_batches(glc_dim N) {
    if (glc_dim_is_sym(N)) return RNN_SMALL_MAX_BATCH;
    return N <= RNN_SMALL_MAX_BATCH ? N : 0;
}

static glc_status make_plan(const cg_ctx *c, const glc_node *n, rnn_plan *pl, glc_diag *d) {
    const glc_graph *g = c->g;
    GLC_TRY(glc_rnn_desc_read(g, n, &pl->r, d));
    const glc_rnn_desc *r = &pl->r;
    const glc_value *w = glc_node_input(g, n, GLC_RNN_W), *rw = glc_node_input(g, n, GLC_RNN_R);
    pl->wc = w ? w->data : NULL;
    pl->rc = rw ? rw->data : NULL;
    const glc_value *b = glc_node_input(g, n, GLC_RNN_B);
    pl->bc = b ? b->data : NULL;
    glc_dim S = r->seq, N = r->batch;
    int64_t H = r->hidden, GH = r->gates * H;
    bool sl = glc_node_input(g, n, GLC_RNN_SEQ_LENS) != NULL;
    cg_chunks_plan(g, S, steps_per_chunk(g, n, r), &pl->nch, &pl->tc, &pl->last);
    pl->per_row = r->layout && pl->tc != S;
    pl->rt = r->layout ? 1 : N;
    pl->rb = r->layout ? pl->tc : 1;
    bool marked = glc_attr_int(n, GLC_ATTR_FUSE_CELL, 0) && pl->rc;
    pl->small = marked && rnn_small_pays(c, r) ? small_batches(N) : 0;
    glc_dim most_steps = cg_hoist_chunk_max(g, n, glc_dim_mul(g, N, GH));
    pl->xin = pl->small && glc_dim_is_const(N) && pl->wc && glc_dim_is_const(r->input) &&
              ((glc_dim_is_const(pl->tc) && pl->tc == 1) ||
               (glc_dim_is_const(most_steps) && most_steps == 1));
    glc_dim NH = align16(g, glc_dim_mul(g, N, H));
    glc_dim o = pl->xin ? 0 : align16(g, glc_dim_mul(g, glc_dim_mul(g, pl->tc, N), GH)); /* xw */
    pl->off_gh = o;
    o = glc_dim_add(g, o, align16(g, glc_dim_mul(g, N, GH)));
    pl->off_hs = o;
    o = glc_dim_add(g, o, NH);
    pl->off_cs = o;
    if (r->op == GLC_OP_LSTM) o = glc_dim_add(g, o, NH);
    pl->off_rh = o;
    if (lbr0(r)) o = glc_dim_add(g, o, NH);
    pl->off_bs = o;
    if (glc_node_input(g, n, GLC_RNN_B) && !pl->bc) o = glc_dim_add(g, o, align16(g, GH));
    int64_t most = glc_attr_int(n, GLC_ATTR_FUSE_CELL_MAX_BATCH, -1);
    pl->fused = marked && !sl && !lbr0(r) && (glc_dim_is_sym(N) || most < 0 || N <= most);
    pl->fuse_max = pl->fused && glc_dim_is_sym(N) ? most : -1;
    pl->off_hs2 = o;
    if (pl->fused || pl->small) o = glc_dim_add(g, o, NH);
    pl->floats = glc_dim_max(g, o, 16); /* never empty: the kernel takes the scratch pointer */
    pl->gemm_bytes = 0;
    for (int dir = 0; dir < r->dirs; dir++) {
        bool unfused = !pl->fused || pl->fuse_max >= 0;
        cg_gemm gs[5] = {product(NULL, g, pl, dir, P_INPUT, pl->tc),
                         product(NULL, g, pl, dir, P_INPUT, pl->last),
                         product(NULL, g, pl, dir, unfused ? P_HIDDEN : P_FUSED, 0),
                         product(NULL, g, pl, dir, pl->fused ? P_FUSED : P_HIDDEN, 0),
                         product(NULL, g, pl, dir, P_RESET, 0)};
        for (int k = pl->xin ? 2 : 0; k < (lbr0(r) ? 5 : 4); k++)
            pl->gemm_bytes = max_u64(pl->gemm_bytes, cg_gemm_scratch_bytes(c, &gs[k]));
    }
    if (glc_dim_failed(g)) return glc_diag_set(d, GLC_E_LIMIT, n, "the scratch size overflows");
    return GLC_OK;
}

glc_dim lower_rnn_scratch(const cg_ctx *c, const glc_node *n) {
    rnn_plan pl;
    glc_diag d;
    if (make_plan(c, n, &pl, &d) != GLC_OK) return 0;
    return glc_dim_add(c->g, glc_dim_mul(c->g, pl.floats, (glc_dim)sizeof(float)),
                       (glc_dim)pl.gemm_bytes);
}

typedef struct rg {
    cg_ctx *c;
    const glc_rnn_desc *r;
    const rnn_plan *pl;
    LLVMValueRef y, yh, yc;                     /* outputs, NULL if not requested */
    LLVMValueRef x, w, rw, bias, sl, h0, c0, p; /* inputs, NULL if absent */
    LLVMValueRef xw, gh, hs, cs, rh, bs, gs;    /* scratch parts (gs: the products') */
    LLVMValueRef tb;                            /* time index of the chunk's xw row 0 */
    LLVMValueRef hw;    /* where the cells write h: hs, or (fused) the step's other buffer */
    LLVMValueRef hr;    /* where GRU cells read the previous h: hs, or (fused) the product's A */
    LLVMValueRef hs2;   /* fused or small: the second h buffer */
    LLVMValueRef step;  /* fused or small: the step being emitted */
    int d;              /* direction being emitted */
    const glc_act *act; /* its activations */
    const float *rperm; /* fused: R_d^T with gate-interleaved columns (host, compile time) */
} rg;

/* One batch row's data in a step: offsets (floats) of its xw row, gh row, state row, Y row
 * (yo NULL without Y); its units [j0, j0 + nj) and gh's gate stride gs: gate g of unit j
 * is gh[gr + g*gs + j] (gr = b*G*H, gs = H; fused: the panel's own layout). */
typedef struct row {
    LLVMValueRef xr, gr, hb, yo, j0;
    int64_t nj, gs;
} row;

static LLVMValueRef clip(rg *s, LLVMValueRef x) {
    cg_ctx *c = s->c;
    if (!s->r->has_clip) return x;
    LLVMValueRef lo = cg_f32(c, -s->r->clip), hi = cg_f32(c, s->r->clip);
    x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, hi, ""), hi, x, "");
}

/* act k of this direction applied to clip(x). */
static LLVMValueRef act(rg *s, int k, LLVMValueRef x) {
    return cg_act_emit(s->c, &s->act[k], clip(s, x));
}

/* xw + bs of gate g at column j of row w (bs only with B). */
static LLVMValueRef xpre(rg *s, const row *w, int g, LLVMValueRef j) {
    cg_ctx *c = s->c;
    LLVMValueRef gj = cg_addk(c, j, g * s->r->hidden);
    LLVMValueRef v = cg_ldf(c, s->xw, cg_iadd(c, w->xr, gj));
    return s->bs ? cg_fadd(c, v, cg_ldf(c, s->bs, gj)) : v;
}

/* gh of gate g at column j of row w. */
static LLVMValueRef hpre(rg *s, const row *w, int g, LLVMValueRef j) {
    return cg_ldf(s->c, s->gh, cg_iadd(s->c, w->gr, cg_addk(s->c, j, g * w->gs)));
}

/* The whole pre-activation of gate g: xw + gh + bs. */
static LLVMValueRef gsum(rg *s, const row *w, int g, LLVMValueRef j) {
    return cg_fadd(s->c, xpre(s, w, g, j), hpre(s, w, g, j));
}

/* pre + P_d[g*H + j] * cv (peephole g of i,o,f), or pre without P. */
static LLVMValueRef peep(rg *s, int g, LLVMValueRef j, LLVMValueRef pre, LLVMValueRef cv) {
    if (!s->p) return pre;
    int64_t off = s->d * 3 * s->r->hidden + g * s->r->hidden;
    return cg_fadd(s->c, pre, cg_fmul(s->c, cg_ldf(s->c, s->p, cg_addk(s->c, j, off)), cv));
}

/* hw[hb + j] = h, and Y[yo + j] = h. */
static void put_h(rg *s, const row *w, LLVMValueRef j, LLVMValueRef h) {
    cg_stf(s->c, h, s->hw, cg_iadd(s->c, w->hb, j));
    if (w->yo) cg_stf(s->c, h, s->y, cg_iadd(s->c, w->yo, j));
}

static void lstm_cell(rg *s, const row *w) {
    cg_ctx *c = s->c;
    cg_loop lj;
    LLVMValueRef j = cg_iadd(c, w->j0, cg_loop_begin(c, &lj, w->nj));
    LLVMValueRef sj = cg_iadd(c, w->hb, j);
    LLVMValueRef cv = cg_ldf(c, s->cs, sj);
    LLVMValueRef i = act(s, 0, peep(s, 0, j, gsum(s, w, 0, j), cv));
    LLVMValueRef f = s->r->input_forget ? LLVMBuildFSub(c->b, cg_f32(c, 1.0), i, "")
                                        : act(s, 0, peep(s, 2, j, gsum(s, w, 2, j), cv));
    LLVMValueRef g = act(s, 1, gsum(s, w, 3, j));
    LLVMValueRef cn = cg_fadd(c, cg_fmul(c, f, cv), cg_fmul(c, i, g));
    LLVMValueRef o = act(s, 0, peep(s, 1, j, gsum(s, w, 1, j), cn));
    cg_stf(c, cn, s->cs, sj);
    put_h(s, w, j, cg_fmul(c, o, cg_act_emit(c, &s->act[2], cn)));
    cg_cell_loop_end(c, &lj, w->nj);
}

/* GRU with linear_before_reset = 0, first pass: rh[b] = r hs[b]. */
static void gru_reset(rg *s, const row *w) {
    cg_ctx *c = s->c;
    cg_loop lj;
    LLVMValueRef j = cg_loop_begin(c, &lj, s->r->hidden);
    LLVMValueRef sj = cg_iadd(c, w->hb, j);
    cg_stf(c, cg_fmul(c, act(s, 0, gsum(s, w, 1, j)), cg_ldf(c, s->hs, sj)), s->rh, sj);
    cg_loop_end(c, &lj);
}

static void gru_cell(rg *s, const row *w) {
    cg_ctx *c = s->c;
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden;
    cg_loop lj;
    LLVMValueRef j = cg_iadd(c, w->j0, cg_loop_begin(c, &lj, w->nj));
    LLVMValueRef z = act(s, 0, gsum(s, w, 0, j));
    LLVMValueRef hpre_h = hpre(s, w, 2, j);
    if (r->linear_before_reset) { /* r (h R_h^T + Rb_h) */
        LLVMValueRef rg_ = act(s, 0, gsum(s, w, 1, j));
        if (s->bias)
            hpre_h = cg_fadd(c, hpre_h, cg_ldf(c, s->bias, cg_addk(c, j, s->d * 6 * H + 5 * H)));
        hpre_h = cg_fmul(c, rg_, hpre_h);
    }
    LLVMValueRef ht = act(s, 1, cg_fadd(c, xpre(s, w, 2, j), hpre_h));
    LLVMValueRef hv = cg_ldf(c, s->hr, cg_iadd(c, w->hb, j));
    LLVMValueRef h =
        cg_fadd(c, cg_fmul(c, LLVMBuildFSub(c->b, cg_f32(c, 1.0), z, ""), ht), cg_fmul(c, z, hv));
    put_h(s, w, j, h);
    cg_cell_loop_end(c, &lj, w->nj);
}

static void rnn_cell(rg *s, const row *w) {
    cg_ctx *c = s->c;
    cg_loop lj;
    LLVMValueRef j = cg_iadd(c, w->j0, cg_loop_begin(c, &lj, w->nj));
    put_h(s, w, j, act(s, 0, gsum(s, w, 0, j)));
    cg_loop_end(c, &lj);
}

/* The node's cell (LSTM, GRU or RNN) over the units of row w. */
static void op_cell(rg *s, const row *w) {
    if (s->r->op == GLC_OP_LSTM)
        lstm_cell(s, w);
    else if (s->r->op == GLC_OP_GRU)
        gru_cell(s, w);
    else
        rnn_cell(s, w);
}

/* A dim of the node as an i64 value at the builder position. */
static LLVMValueRef dimv(rg *s, glc_dim d) {
    return cg_dim(s->c, d);
}

/* Element offset of Y(t, d, b, 0) / state(d, b, 0) for runtime t, b. */
static LLVMValueRef y_off(rg *s, LLVMValueRef t, LLVMValueRef b) {
    const glc_rnn_desc *r = s->r;
    const glc_graph *g = s->c->g;
    int64_t D = r->dirs, H = r->hidden;
    if (r->layout)
        return cg_madd_v(s->c, b, dimv(s, glc_dim_mul(g, r->seq, D * H)),
                         cg_madd(s->c, t, D * H, cg_i64(s->c, s->d * H)));
    LLVMValueRef NH = dimv(s, glc_dim_mul(g, r->batch, H));
    return cg_madd_v(s->c, t, LLVMBuildNSWMul(s->c->b, NH, cg_i64(s->c, D), ""),
                     cg_madd(s->c, b, H, LLVMBuildNSWMul(s->c->b, NH, cg_i64(s->c, s->d), "")));
}

static LLVMValueRef state_off(rg *s, LLVMValueRef b) {
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden;
    if (r->layout) return cg_madd(s->c, b, r->dirs * H, cg_i64(s->c, s->d * H));
    return cg_madd(s->c, b, H, dimv(s, glc_dim_mul(s->c->g, r->batch, s->d * H)));
}

/* dst[doff + j] = src ? src[soff + j] : 0 for j < H. */
static void copy_row(rg *s, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
                     LLVMValueRef soff) {
    cg_ctx *c = s->c;
    cg_loop lj;
    LLVMValueRef j = cg_loop_begin(c, &lj, s->r->hidden);
    LLVMValueRef v = src ? cg_ldf(c, src, cg_iadd(c, soff, j)) : cg_f32(c, 0.0);
    cg_stf(c, v, dst, cg_iadd(c, doff, j));
    cg_loop_end(c, &lj);
}

/* min(max(sequence_lens[b], 0), S), or S without sequence_lens. */
static LLVMValueRef seq_len(rg *s, LLVMValueRef b) {
    cg_ctx *c = s->c;
    LLVMValueRef S = dimv(s, s->r->seq);
    if (!s->sl) return S;
    LLVMValueRef v = LLVMBuildLoad2(c->b, c->i32, cg_gep(c, c->i32, s->sl, b), "");
    v = LLVMBuildSExt(c->b, v, c->i64, "");
    v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, cg_i64(c, 0), ""), cg_i64(c, 0), v,
                        "");
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, S, ""), S, v, "");
}

/* The time index of step `step` of a row of length len: step, or len - 1 - step in a
 * reverse direction. */
static LLVMValueRef time_index(rg *s, LLVMValueRef step, LLVMValueRef len) {
    cg_ctx *c = s->c;
    if (!glc_rnn_is_reverse(s->r, s->d)) return step;
    return LLVMBuildNSWSub(c->b, LLVMBuildNSWSub(c->b, len, cg_i64(c, 1), ""), step, "");
}

/* Element offset of X(ti, b, 0) (layout 0; layout 1: X(b, ti, 0)). */
static LLVMValueRef x_off(rg *s, LLVMValueRef ti, LLVMValueRef b) {
    const glc_rnn_desc *r = s->r;
    LLVMValueRef row = r->layout ? cg_madd_v(s->c, b, dimv(s, r->seq), ti)
                                 : cg_madd_v(s->c, ti, dimv(s, r->batch), b);
    return cg_madd_v(s->c, row, dimv(s, r->input), cg_i64(s->c, 0));
}

/* Batch row b at step `step` with length len (step < len), all its units (Y unless
 * no_y). */
static row row_of(rg *s, LLVMValueRef step, LLVMValueRef b, LLVMValueRef len, bool no_y) {
    cg_ctx *c = s->c;
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden, GH = r->gates * H;
    LLVMValueRef ti = time_index(s, step, len);
    LLVMValueRef xrow = cg_madd_v(c, LLVMBuildNSWSub(c->b, ti, s->tb, ""), dimv(s, s->pl->rt),
                                  cg_madd_v(c, b, dimv(s, s->pl->rb), cg_i64(c, 0)));
    return (row){.xr = cg_madd(c, xrow, GH, cg_i64(c, 0)),
                 .gr = cg_madd(c, b, GH, cg_i64(c, 0)),
                 .hb = cg_madd(c, b, H, cg_i64(c, 0)),
                 .yo = s->y && !no_y ? y_off(s, ti, b) : NULL,
                 .j0 = cg_i64(c, 0),
                 .nj = H,
                 .gs = H};
}

/* The cell of batch row b at step `step` with length len (step < len). */
static void emit_row_cell(rg *s, LLVMValueRef step, LLVMValueRef b, LLVMValueRef len, bool reset) {
    row w = row_of(s, step, b, len, reset);
    if (reset)
        gru_reset(s, &w);
    else
        op_cell(s, &w);
}

/* The cells of every batch row at step `step` (reset: GRU's first pass, no Y); batch rows
 * split into tasks for the thread pool when there are enough cells. */
static void emit_cells(rg *s, LLVMValueRef step, bool reset) {
    cg_ctx *c = s->c;
    LLVMValueRef *caps[] = {&s->y,  &s->yh, &s->yc, &s->x,  &s->w,  &s->rw, &s->bias, &s->sl,
                            &s->h0, &s->c0, &s->p,  &s->xw, &s->gh, &s->hs, &s->cs,   &s->rh,
                            &s->bs, &s->gs, &s->tb, &s->hw, &s->hr, &step};
    cg_par par;
    int64_t most; /* a symbolic batch: split when its bound (or none) makes enough cells */
    if (!glc_dim_upper_bound(c->g, s->r->batch, &most)) most = GLC_DIM_SYM_MAX;
    cg_par_begin_v(c, &par, dimv(s, s->r->batch), most * s->r->hidden >= CELLS_PAR_MIN, caps,
                   (int)(sizeof caps / sizeof caps[0]), "par");
    par.min_items = (CELLS_PAR_MIN + s->r->hidden - 1) / s->r->hidden;
    cg_loop lb;
    LLVMValueRef b = cg_loop_range(c, &lb, par.lo, par.hi);
    LLVMValueRef len = seq_len(s, b);
    if (!s->sl) {
        emit_row_cell(s, step, b, len, reset);
    } else {
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLT, step, len, ""));
        emit_row_cell(s, step, b, len, reset);
        cg_if_else(c, &f);
        if (s->y && !reset) copy_row(s, s->y, y_off(s, step, b), NULL, NULL);
        cg_if_end(c, &f);
    }
    cg_loop_end(c, &lb);
    cg_par_end(c, &par);
}

static LLVMValueRef fptr(rg *s, LLVMValueRef base, glc_dim off) {
    return off ? cg_gep(s->c, s->c->f32, base, cg_dim(s->c, off)) : base;
}

/* The gemm epilogue of a fused step: the cells of the tile's batch rows [i0, i0 + rows)
 * and units [j0/G, j0/G + w/G) (column panel p = j0/NR holds the G gates of units
 * [p*NR/G, ..), gate-major: gate g of its unit u at column j0 + g*w/G + u - j0/G). */
static void fused_cells(cg_ctx *c, void *ctx, LLVMValueRef gh, LLVMValueRef i0, int64_t rows,
                        LLVMValueRef j0, int64_t w) {
    rg *s = ctx;
    int64_t G = s->r->gates, nu = w / G;
    LLVMValueRef u0 = G > 1 ? LLVMBuildUDiv(c->b, j0, cg_i64(c, G), "") : j0;
    LLVMValueRef gh_caller = s->gh;
    s->gh = gh;
    cg_loop lr;
    LLVMValueRef b = cg_iadd(c, i0, cg_loop_begin(c, &lr, rows));
    row rw = row_of(s, s->step, b, dimv(s, s->r->seq), false);
    rw.gr = cg_iadd(c, rw.gr, LLVMBuildNSWSub(c->b, j0, u0, ""));
    rw.gs = nu;
    rw.j0 = u0;
    rw.nj = nu;
    op_cell(s, &rw);
    cg_loop_end(c, &lr);
    s->gh = gh_caller;
}

/* R_d^T's columns in the fused order: panel p (NR columns) holds the G gates (LSTM i, o,
 * f, c; GRU z, r, h) of units [p*NR/G, min(H, (p+1)*NR/G)), each gate's units together.
 * Host data for the product's compile-time B: row k of column j at [j*H + k], as R_d. */
static float *interleave_gates(const rg *s) {
    int64_t G = s->r->gates, H = s->r->hidden, GH = G * H;
    int64_t upp = cg_gemm_panel_cols(s->c, fused_panel_gates(s->r)) / G;
    float *out = malloc((size_t)(GH * H) * sizeof *out);
    if (!out) return NULL;
    const float *rd = s->pl->rc + s->d * GH * H;
    for (int64_t j = 0; j < GH; j++) {
        int64_t p = j / (G * upp), q = j % (G * upp), u0 = p * upp;
        int64_t nu = H - u0 < upp ? H - u0 : upp;
        int64_t src = (q / nu) * H + u0 + q % nu;
        memcpy(out + j * H, rd + src * H, (size_t)H * sizeof *out);
    }
    return out;
}

/* A fused step: one product whose epilogue runs the cells. It reads h from one buffer and
 * the cells write the other (hs at even steps, hs2 at odd), so no task writes the h a task
 * still reads; GRU cells read the previous h from the product's. */
static glc_status emit_fused_step(rg *s, LLVMValueRef step) {
    cg_ctx *c = s->c;
    LLVMValueRef odd = LLVMBuildTrunc(c->b, step, LLVMInt1TypeInContext(c->ctx), "");
    cg_gemm g = product(c, c->g, s->pl, s->d, P_FUSED, 0);
    g.a = LLVMBuildSelect(c->b, odd, s->hs2, s->hs, "");
    LLVMValueRef hr_caller = s->hr;
    s->hr = g.a;
    g.b_const = s->rperm;
    g.b = s->rw;
    g.y = s->gh;
    g.scratch = s->gs;
    LLVMValueRef hw_caller = s->hw;
    s->hw = LLVMBuildSelect(c->b, odd, s->hs, s->hs2, "");
    s->step = step;
    LLVMValueRef *caps[] = {&s->y,  &s->p,  &s->xw, &s->cs,   &s->bs,
                            &s->tb, &s->hw, &s->hr, &s->bias, &s->step};
    g.epilogue = fused_cells;
    g.ep_ctx = s;
    g.ep_caps = caps;
    g.ep_ncaps = (int)(sizeof caps / sizeof caps[0]);
    glc_status st = cg_gemm_emit(c, &g);
    s->hw = hw_caller;
    s->hr = hr_caller;
    return st;
}

/* Whether the fused step runs, an i1 (fuse_max >= 0: the run-time batch is at most it). */
static LLVMValueRef fused_now(rg *s) {
    cg_ctx *c = s->c;
    if (s->pl->fuse_max < 0) return LLVMConstInt(LLVMInt1TypeInContext(c->ctx), s->pl->fused, 0);
    return LLVMBuildICmp(c->b, LLVMIntSLE, dimv(s, s->r->batch), cg_i64(c, s->pl->fuse_max), "");
}

/* Whether the steps alternated h between hs and hs2, an i1: fused or small steps ran. */
static LLVMValueRef alternated(rg *s) {
    cg_ctx *c = s->c;
    if (!s->pl->small) return fused_now(s);
    LLVMValueRef small =
        LLVMBuildICmp(c->b, LLVMIntSLE, dimv(s, s->r->batch), cg_i64(c, s->pl->small), "");
    return LLVMBuildOr(c->b, small, fused_now(s), "");
}

/* One unfused step: the hidden products, then the cells. */
static glc_status emit_unfused_step(rg *s, LLVMValueRef step) {
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden, GH = r->gates * H;
    cg_gemm g = product(s->c, s->c->g, s->pl, s->d, P_HIDDEN, 0);
    g.a = s->hs;
    g.b = fptr(s, s->rw, s->d * GH * H);
    g.y = s->gh;
    g.scratch = s->gs;
    GLC_TRY(cg_gemm_emit(s->c, &g));
    if (lbr0(r)) {
        emit_cells(s, step, true);
        g = product(s->c, s->c->g, s->pl, s->d, P_RESET, 0);
        g.a = s->rh;
        g.b = fptr(s, s->rw, s->d * GH * H + 2 * H * H);
        g.y = fptr(s, s->gh, 2 * H);
        g.scratch = s->gs;
        GLC_TRY(cg_gemm_emit(s->c, &g));
    }
    emit_cells(s, step, false);
    return GLC_OK;
}

/* One step, fused or not (both, chosen by the run-time batch, when fuse_max >= 0). */
static glc_status emit_large_step(rg *s, LLVMValueRef step) {
    if (!s->pl->fused) return emit_unfused_step(s, step);
    if (s->pl->fuse_max < 0) return emit_fused_step(s, step);
    cg_if f;
    cg_if_begin(s->c, &f, fused_now(s));
    GLC_TRY(emit_fused_step(s, step));
    cg_if_else(s->c, &f);
    GLC_TRY(emit_unfused_step(s, step));
    cg_if_end(s->c, &f);
    return GLC_OK;
}

/* Batch row b's offsets for the small step (rnn_small.h). */
static void small_row(void *ctx, LLVMValueRef b, rnn_small_row *out) {
    rg *s = ctx;
    cg_ctx *c = s->c;
    LLVMValueRef len = seq_len(s, b);
    row w = row_of(s, s->step, b, len, false);
    *out = (rnn_small_row){.xr = w.xr, .hb = w.hb, .yo = w.yo};
    if (s->pl->xin) out->xi = x_off(s, time_index(s, s->step, len), b);
    if (!s->sl) return;
    out->live = LLVMBuildICmp(c->b, LLVMIntSLT, s->step, len, "");
    out->yz = s->y ? y_off(s, s->step, b) : NULL;
}

/* The step at a batch of `rows` (<= RNN_SMALL_MAX_BATCH) rows: rnn_small.c's
 * matrix-vector product with the cells on its registers; h alternates as in
 * emit_fused_step (a row past its length copies its h across); GRU with
 * linear_before_reset = 0 keeps z in gh. */
static glc_status emit_small_step(rg *s, LLVMValueRef step, int64_t rows) {
    cg_ctx *c = s->c;
    int64_t GH = s->r->gates * s->r->hidden;
    LLVMValueRef odd = LLVMBuildTrunc(c->b, step, LLVMInt1TypeInContext(c->ctx), "");
    s->step = step;
    rnn_small_step k = {.r = s->r, .act = s->act, .d = s->d,
                        .rd = s->pl->rc + s->d * GH * s->r->hidden, .rows = rows,
                        .wd = s->pl->xin ? s->pl->wc + s->d * GH * s->r->input : NULL,
                        .in = s->r->input, .x = s->x,
                        .xw = s->xw, .bs = s->bs, .bias = s->bias, .p = s->p, .cs = s->cs,
                        .hr = LLVMBuildSelect(c->b, odd, s->hs2, s->hs, ""),
                        .hw = LLVMBuildSelect(c->b, odd, s->hs, s->hs2, ""),
                        .rh = s->rh, .zs = s->gh, .y = s->y, .row = small_row, .ctx = s};
    LLVMValueRef *caps[] = {&s->tb, &s->step, &s->sl};
    k.caps = caps;
    k.ncaps = 3;
    return rnn_small_emit(c, &k);
}

/* One step: the small one at batches up to pl->small (chosen at run time when the batch
 * is symbolic), else fused or not (both, chosen by the run-time batch, when fuse_max >=
 * 0). */
static glc_status emit_step(rg *s, LLVMValueRef step) {
    int64_t small = s->pl->small;
    if (glc_dim_is_const(s->r->batch) && small) return emit_small_step(s, step, small);
    cg_if f[RNN_SMALL_MAX_BATCH];
    for (int64_t m = 1; m <= small; m++) { /* a symbolic batch: one step per batch */
        LLVMValueRef is_m =
            LLVMBuildICmp(s->c->b, LLVMIntEQ, dimv(s, s->r->batch), cg_i64(s->c, m), "");
        cg_if_begin(s->c, &f[m - 1], is_m);
        GLC_TRY(emit_small_step(s, step, m));
        cg_if_else(s->c, &f[m - 1]);
    }
    GLC_TRY(emit_large_step(s, step));
    for (int64_t m = small; m >= 1; m--)
        cg_if_end(s->c, &f[m - 1]);
    return GLC_OK;
}

/* xw = the input projection of `steps` steps from time index s->tb. */
static glc_status emit_input(rg *s, glc_dim steps) {
    cg_ctx *c = s->c;
    const glc_graph *gr = c->g;
    const glc_rnn_desc *r = s->r;
    glc_dim I = r->input;
    int64_t GH = r->gates * r->hidden;
    cg_gemm g = product(c, gr, s->pl, s->d, P_INPUT, steps);
    g.b = fptr(s, s->w, glc_dim_mul(gr, I, s->d * GH));
    g.scratch = s->gs;
    LLVMValueRef b = NULL;
    cg_loop lb;
    if (!s->pl->per_row) { /* layout 1 here has Tc = S, tb = 0 */
        g.a = r->layout ? s->x
                        : cg_gep(c, c->f32, s->x,
                                 cg_madd_v(c, s->tb, dimv(s, glc_dim_mul(gr, r->batch, I)),
                                           cg_i64(c, 0)));
        g.y = s->xw;
    } else {
        b = cg_loop_begin_v(c, &lb, dimv(s, r->batch));
        LLVMValueRef row = cg_iadd(c, cg_madd_v(c, b, dimv(s, r->seq), cg_i64(c, 0)), s->tb);
        g.a = cg_gep(c, c->f32, s->x, cg_madd_v(c, row, dimv(s, I), cg_i64(c, 0)));
        g.y = cg_gep(c, c->f32, s->xw,
                     cg_madd_v(c, b, dimv(s, glc_dim_mul(gr, s->pl->tc, GH)), cg_i64(c, 0)));
    }
    if (glc_dim_is_sym(I)) { /* weights fed at run time with a symbolic input size */
        LLVMValueRef m = g.Mv ? g.Mv : cg_i64(c, g.M), k = dimv(s, I), one = cg_i64(c, 1);
        cg_gemm_rt rt = {.M = m, .N = cg_i64(c, GH), .K = k, .a = g.a, .b = g.b, .y = g.y,
                         .a_rs = k, .a_cs = one, .b_rs = one, .b_cs = k, .y_rs = cg_i64(c, GH)};
        cg_gemm_emit_rt(c, &rt);
    } else {
        GLC_TRY(cg_gemm_emit(c, &g));
    }
    if (b) cg_loop_end(c, &lb);
    return GLC_OK;
}

/* The input projection of chunk ci: tc steps, or `last` in the last chunk. */
static glc_status emit_chunk_input(rg *s, LLVMValueRef ci) {
    cg_ctx *c = s->c;
    const rnn_plan *pl = s->pl;
    if (pl->last == pl->tc) return emit_input(s, pl->tc);
    cg_if f;
    LLVMValueRef lastc = LLVMBuildNSWSub(c->b, dimv(s, pl->nch), cg_i64(c, 1), "");
    cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntEQ, ci, lastc, ""));
    GLC_TRY(emit_input(s, pl->last));
    cg_if_else(c, &f);
    GLC_TRY(emit_input(s, pl->tc));
    cg_if_end(c, &f);
    return GLC_OK;
}

/* The chunks of direction s->d: input product, then the steps. */
static glc_status emit_chunks(rg *s) {
    cg_ctx *c = s->c;
    const rnn_plan *pl = s->pl;
    cg_loop lc, lt;
    LLVMValueRef ci = cg_loop_begin_v(c, &lc, dimv(s, pl->nch));
    LLVMValueRef tc = dimv(s, pl->tc), S = dimv(s, s->r->seq);
    LLVMValueRef c0 = cg_madd_v(c, ci, tc, cg_i64(c, 0));
    s->tb = c0;
    if (glc_rnn_is_reverse(s->r, s->d)) { /* max(S - c0 - Tc, 0) */
        LLVMValueRef t = LLVMBuildNSWSub(c->b, LLVMBuildNSWSub(c->b, S, tc, ""), c0, "");
        LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, t, cg_i64(c, 0), "");
        s->tb = LLVMBuildSelect(c->b, neg, cg_i64(c, 0), t, "");
    }
    if (!pl->xin) GLC_TRY(emit_chunk_input(s, ci));
    LLVMValueRef step = cg_iadd(c, c0, cg_loop_begin_v(c, &lt, tc));
    if (pl->last == pl->tc) {
        GLC_TRY(emit_step(s, step));
    } else { /* the last chunk is shorter */
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLT, step, S, ""));
        GLC_TRY(emit_step(s, step));
        cg_if_else(c, &f); /* nothing else */
        cg_if_end(c, &f);
    }
    cg_loop_end(c, &lt);
    cg_loop_end(c, &lc);
    return GLC_OK;
}

/* The gates of direction d whose bs adds Wb and Rb: all but GRU's h gate with
 * linear_before_reset = 1 (its Rb goes under r). */
static int64_t summed_gates_bias(const glc_rnn_desc *r) {
    int64_t GH = r->gates * r->hidden;
    return r->op == GLC_OP_GRU && r->linear_before_reset ? 2 * r->hidden : GH;
}

/* bs of a constant B, computed at compile time: a constant of the module (as the run-time
 * sum would compute it, so outputs do not change). */
static glc_status const_bias_sum(rg *s) {
    cg_ctx *c = s->c;
    int64_t GH = s->r->gates * s->r->hidden, both = summed_gates_bias(s->r);
    const float *wb = s->pl->bc + s->d * 2 * GH, *rb = wb + GH;
    float *bs = malloc((size_t)GH * sizeof *bs);
    if (!bs) return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "out of memory summing B");
    for (int64_t j = 0; j < GH; j++)
        bs[j] = j < both ? wb[j] + rb[j] : wb[j];
    s->bs = cg_const_bytes(c, bs, (size_t)GH * sizeof *bs, "rnn.bs");
    free(bs);
    return GLC_OK;
}

/* bs = Wb_d + Rb_d (Wb_d alone for GRU's h gate with linear_before_reset = 1). */
static void emit_bias_sum(rg *s) {
    cg_ctx *c = s->c;
    const glc_rnn_desc *r = s->r;
    int64_t GH = r->gates * r->hidden, both = summed_gates_bias(r);
    int64_t wb = s->d * 2 * GH;
    cg_loop lj, lk;
    LLVMValueRef j = cg_loop_begin(c, &lj, both);
    cg_stf(c,
           cg_fadd(c, cg_ldf(c, s->bias, cg_addk(c, j, wb)),
                   cg_ldf(c, s->bias, cg_addk(c, j, wb + GH))),
           s->bs, j);
    cg_loop_end(c, &lj);
    LLVMValueRef k = cg_addk(c, cg_loop_begin(c, &lk, GH - both), both);
    cg_stf(c, cg_ldf(c, s->bias, cg_addk(c, k, wb)), s->bs, k);
    cg_loop_end(c, &lk);
}

static glc_status emit_direction(rg *s) {
    cg_ctx *c = s->c;
    const glc_rnn_desc *r = s->r;
    int64_t H = r->hidden;
    cg_loop lb, lb3;
    LLVMValueRef b = cg_loop_begin_v(c, &lb, dimv(s, r->batch));
    LLVMValueRef so = state_off(s, b), hb = cg_madd(c, b, H, cg_i64(c, 0));
    copy_row(s, s->hs, hb, s->h0, so);
    if (r->op == GLC_OP_LSTM) copy_row(s, s->cs, hb, s->c0, so);
    cg_loop_end(c, &lb);
    if (s->pl->bc)
        GLC_TRY(const_bias_sum(s));
    else if (s->bias)
        emit_bias_sum(s);
    GLC_TRY(emit_chunks(s));
    if (!s->yh && !s->yc) return GLC_OK;
    if ((s->pl->fused || s->pl->small) && (glc_dim_is_sym(r->seq) || r->seq % 2)) {
        cg_if f; /* an odd number of fused or small steps: the last step (even) wrote hs2 */
        LLVMValueRef odd = LLVMBuildTrunc(c->b, dimv(s, r->seq), LLVMInt1TypeInContext(c->ctx), "");
        cg_if_begin(c, &f, LLVMBuildAnd(c->b, odd, alternated(s), ""));
        cg_loop lh;
        LLVMValueRef k = cg_loop_begin_v(c, &lh, dimv(s, glc_dim_mul(c->g, r->batch, H)));
        cg_stf(c, cg_ldf(c, s->hs2, k), s->hs, k);
        cg_loop_end(c, &lh);
        cg_if_else(c, &f);
        cg_if_end(c, &f);
    }
    b = cg_loop_begin_v(c, &lb3, dimv(s, r->batch));
    so = state_off(s, b);
    hb = cg_madd(c, b, H, cg_i64(c, 0));
    if (s->yh) copy_row(s, s->yh, so, s->hs, hb);
    if (s->yc) copy_row(s, s->yc, so, s->cs, hb);
    cg_loop_end(c, &lb3);
    return GLC_OK;
}

glc_status lower_rnn(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    rnn_plan pl;
    GLC_TRY(make_plan(c, n, &pl, c->d));
    const glc_rnn_desc *r = &pl.r;
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + 1);
    LLVMValueRef o[3] = {0}, in[8] = {0};
    for (int k = 0; k < n->n_out && k < 3; k++)
        if (n->out[k]) o[k] = LLVMGetParam(*fn, (unsigned)k);
    for (int i = 0; i < n->n_in && i < 8; i++)
        if (n->in[i]) in[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    LLVMValueRef scratch = LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in));
    rg s = {.c = c,
            .r = r,
            .pl = &pl,
            .y = o[0],
            .yh = o[1],
            .yc = o[2],
            .x = in[GLC_RNN_X],
            .w = in[GLC_RNN_W],
            .rw = in[GLC_RNN_R],
            .bias = in[GLC_RNN_B],
            .sl = in[GLC_RNN_SEQ_LENS],
            .h0 = in[GLC_RNN_INIT_H],
            .c0 = in[GLC_RNN_INIT_C],
            .p = in[GLC_RNN_P]};
    s.xw = scratch;                                      /* (Tc rows of N, G*H) */
    s.gh = fptr(&s, scratch, pl.off_gh);                 /* (N, G*H) */
    s.hs = fptr(&s, scratch, pl.off_hs);                 /* (N, H) */
    s.cs = fptr(&s, scratch, pl.off_cs);                 /* (N, H), LSTM */
    s.rh = fptr(&s, scratch, pl.off_rh);                 /* (N, H), GRU lbr0 */
    s.bs = s.bias && !pl.bc ? fptr(&s, scratch, pl.off_bs) : NULL; /* (G*H) */
    s.hs2 = fptr(&s, scratch, pl.off_hs2);               /* (N, H), fused */
    s.gs = pl.gemm_bytes ? fptr(&s, scratch, pl.floats) : NULL;
    s.hw = s.hs;
    s.hr = s.hs;
    for (s.d = 0; s.d < r->dirs; s.d++) {
        s.act = &r->acts[s.d * r->acts_per_dir];
        if (pl.fused && !(s.rperm = interleave_gates(&s)))
            return glc_diag_set(c->d, GLC_E_NOMEM, n, "LSTM: out of memory");
        glc_status st = emit_direction(&s);
        free((void *)s.rperm);
        s.rperm = NULL;
        GLC_TRY(st);
    }
    cg_kernel_end(c);
    return GLC_OK;
}
