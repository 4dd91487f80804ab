/*
 * lower_gridlstm.c -- code generation for glc.GridLSTM, specialised to the node's static
 * shapes and attributes. Same equations and clip reading as the reference kernel
 * (ir/interp_gridlstm.c, which follows the spec layer by layer), and the same order: layer by
 * layer, positions in raster order; but all batch rows at once, so that every product is
 * one cg_gemm_emit call with M = N (or more):
 *
 *   hd[p] = X(:, :, p) W_in^T (or X(:, :, p)), md[p] = 0             one product per row n
 *   for l = 1..L:
 *     sh, sm = 0                                           zero above (and left of) the grid
 *     for each chunk of positions [p0, p0 + Pc):
 *       ag[p] = hd[p] Wd[l]^T   for p in the chunk          the depth columns of all K+1
 *                                                           gate blocks: one product
 *       for p in the chunk (raster order):
 *         new row of the grid (K = 2, col = 0): the last-axis slots of sh, sm = 0
 *         A = [sh slot of each scanned axis]                  (N, K*F): the predecessors' h
 *         ag[p] += A Ws[l]^T                                  the scanned columns, one product
 *                                                             (the K scanned blocks only
 *                                                             with priority)
 *         for j < K: cell on ag[p] block j + B[l,j] -> sm/sh slot j (read, then overwrite)
 *         priority:  A = the new sh slots; ag[p] block K += A Ws[l,K]^T
 *         cell on ag[p] block K + B[l,K] -> md[p], hd[p]
 *   Y(n, :, p) = hd[p, n]
 *
 * W[l, j] (4F x (K+1)F) acts on H = [h_0; ..; h_{K-1}; h_depth]: its last F columns (Wd) see
 * hd[p] from layer l-1, known before layer l starts, so that part of every gate block is
 * hoisted out of the recurrence into one product per chunk of positions (at most the node's
 * glc_hoist_steps, which the hoist-projections pass sets to all positions unless ag would
 * exceed its cache budget; absent, as at -O0: 1; the chunks balanced). The gate blocks
 * j = 0..K of a layer lie one after the other in W, so column c of the fused (F or KF) x
 * (K+1)4F operand is W row c of the layer: B(k, c) = W[layer + c*(K+1)F + k], b_rs = 1,
 * b_cs = (K+1)F.
 *
 * State: hd, md (S, N, F) hold the depth state of every position (block (p, l) is the only
 * reader of (p, l-1), so it is overwritten in place). The scanned states need only a band:
 * per axis j < K-1 (axis 0 of K = 2) one slot per column, holding the row above until the
 * block overwrites it with its own state, and for the last axis one slot holding the block to
 * the left; each slot is (N, F). Slot s of sh/sm is at s*N*F; the last axis's is slot
 * (K-1)*cols.
 *
 * A tied node (or one whose W is a run-time input) runs its layers in a run-time loop; an
 * untied node with constant W is unrolled over its layers, so each product gets its layer's
 * weights as constants to pack. The sums are reassociated against the interpreter's column
 * order (the products), so results match it to rounding, not bit for bit.
 *
 * Scratch is workspace (lower_gridlstm_scratch, passed after the inputs), each part starting
 * on a 64-byte boundary: hd, md (S, N, F), ag (Pc, N, (K+1)4F; rows padded by row_stride),
 * sh, sm ((K-1)*cols + 1, N, F), a (N, K*F) (K = 2 only: for K = 1 the one slot is A), tin
 * (S, F; see below), then the products' own scratch.
 *
 * A symbolic batch N (a dim known at run time only; channels, hidden size and grid are
 * static): the parts' sizes and offsets, the loops over batch rows, the products' rows (cg_gemm
 * Mv) and the tasks' counts are evaluated at run time, and the raster order's positions per
 * chunk come from the cache budget over the run-time N (glc_hoist_steps -1). X(n) W_in^T then
 * goes to tin and is copied to hd's rows N*F apart (a product's row stride is static).
 * Static graphs compute the same numbers as before: the same code.
 *
 * That is the raster order. A node marked glc_wavefront (the wavefront pass: K = 2, or K = 1
 * with tied weights) runs its anti-diagonals instead, each diagonal's blocks as one product
 * (emit_wave, below; its scratch parts are sized by plan_wave).
 */
#include "cg_impl.h"
#include "gridlstm.h"

/* Cells (batch x hidden) of one block from which they run as tasks on the thread pool. */
enum { CELLS_PAR_MIN = 4096 };
/* Wavefront products: one per power of two below the most cells of a diagonal, and one for
 * the most (cmax <= 2^30: the grid's positions bound it). */
enum { WAVE_MAX_BUCKETS = 32 };
/* Floats of a wavefront's gathered A from which tasks copy them. */
enum { GATHER_PAR_MIN = 1 << 16 };

/* The plan, shared by lower_gridlstm_scratch() and lower_gridlstm(). The batch (and what
 * depends on it) is a dim: a constant, or an expression of the graph's symbols that the
 * kernel evaluates at run time (cg_dim); everything else is static. */
typedef struct gl_plan {
    glc_gridlstm_desc r;
    const float *wc, *winc; /* W and W_in as host data when constant, else NULL */
    int64_t rows, cols;     /* the grid as rows x cols */
    glc_dim pc, nch, last;  /* positions per chunk, chunks, positions in the last */
    bool unrolled;          /* layers unrolled at compile time (untied, constant W) */
    bool wave;              /* anti-diagonal wavefronts (glc_wavefront; plan_wave) */
    int64_t wu, wv;         /* wave: the grid waved over, u x v (see emit_wave) */
    int64_t cmax, nbucket, bucket[WAVE_MAX_BUCKETS]; /* wave: cells per diagonal, product sizes */
    int64_t a_rs, g_rs; /* row strides of the wave's A and of ag (row_stride) */
    glc_dim off_md, off_ag, off_sh, off_sm, off_a, off_tin, floats; /* scratch parts (floats) */
    glc_dim slot_floats;  /* of sh (and of sm): the scanned state slots */
    uint64_t gemm_bytes; /* the products' scratch, at byte offset floats*4 */
} gl_plan;

enum { P_INPUT, P_DEPTH, P_SCAN, P_PRIO, P_WAVE, P_WAVE_PRIO }; /* the node's products */

static int64_t align16(int64_t n) {
    return (n + 15) / 16 * 16;
}

/* A part of nfl floats (a dim) at *o, which moves past it (whole 64-byte lines). */
static glc_dim part(const glc_graph *g, glc_dim *o, glc_dim nfl) {
    glc_dim at = *o;
    *o = glc_dim_add(g, *o, glc_dim_mul(g, glc_dim_ceildiv(g, nfl, 16), 16));
    return at;
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

static uint64_t max_u64(uint64_t a, uint64_t b) {
    return a > b ? a : b;
}

/* Product `kind` without its pointers, for weight layer wl (0-based, into W): P_INPUT
 * X(n) W_in^T (into hd; a symbolic N: into tin, rows F apart), P_DEPTH for `count`
 * positions, P_SCAN the scanned columns of the scanned blocks (and of the depth block
 * without priority), P_PRIO those of the depth block, P_WAVE and P_WAVE_PRIO for `count`
 * blocks of a diagonal. c: emitting (run-time rows as values), or NULL: planning. */
static cg_gemm product(cg_ctx *c, const glc_graph *gr, const gl_plan *pl, int kind, int64_t wl,
                       glc_dim count) {
    const glc_gridlstm_desc *r = &pl->r;
    int64_t F = r->hidden, K = r->k, K1 = K + 1, KF = K * F;
    glc_dim N = r->batch;
    if (kind == P_INPUT)
        return (cg_gemm){.M = r->grid_size,
                         .N = F,
                         .K = r->channels,
                         .a_rs = 1,
                         .a_cs = r->grid_size,
                         .b_rs = 1,
                         .b_cs = r->channels,
                         .y_rs = glc_dim_is_sym(N) ? F : N * F,
                         .b_const = pl->winc};
    const float *w = pl->wc ? pl->wc + wl * K1 * 4 * F * K1 * F : NULL;
    int64_t blocks = kind == P_WAVE_PRIO ? 1 : r->priority ? K : K1; /* wave: gate blocks */
    if (kind == P_WAVE || kind == P_WAVE_PRIO) { /* count cells: A (count N, K1 F) */
        cg_gemm g = {.N = blocks * 4 * F,
                     .K = K1 * F,
                     .a_rs = pl->a_rs,
                     .a_cs = 1,
                     .b_rs = 1,
                     .b_cs = K1 * F,
                     .y_rs = pl->g_rs,
                     .b_const = w && kind == P_WAVE_PRIO ? w + K * 4 * F * K1 * F : w};
        set_rows(c, gr, &g, glc_dim_mul(gr, count, N));
        return g;
    }
    cg_gemm g = {.K = KF,
                 .a_rs = KF,
                 .a_cs = 1,
                 .b_rs = 1,
                 .b_cs = K1 * F,
                 .y_rs = pl->g_rs,
                 .accumulate = true,
                 .b_const = w};
    set_rows(c, gr, &g, kind == P_DEPTH ? glc_dim_mul(gr, count, N) : N);
    if (kind == P_DEPTH) {
        g.N = K1 * 4 * F, g.K = F, g.a_rs = F, g.accumulate = false;
        if (w) g.b_const = w + KF;
    } else if (kind == P_SCAN) {
        g.N = (r->priority ? K : K1) * 4 * F;
    } else {
        g.N = 4 * F;
        if (w) g.b_const = w + K * 4 * F * K1 * F;
    }
    return g;
}

/* A row stride of at least n floats, whole cache lines, and not a multiple of 1 KiB: the
 * products' tiles read and write 6-12 rows at once, which at a stride of 4 KiB would all
 * fall in one L1 set (W4 batch 8: 18 % slower). */
static int64_t row_stride(int64_t n) {
    n = align16(n);
    return n % 256 ? n : n + 16;
}

/* The wavefront schedule (glc_wavefront set; K = 2, or K = 1 with tied weights): the
 * diagonals of the u x v grid (emit_wave) hold up to cmax = min(u, v) blocks; products of
 * 1, 2, 4, .. blocks (the powers of two below cmax) and of cmax; a diagonal uses the
 * smallest that holds its blocks. */
static void plan_wave(const glc_node *n, gl_plan *pl) {
    const glc_gridlstm_desc *r = &pl->r;
    pl->wu = r->k == 1 ? r->layers : pl->rows;
    pl->wv = r->k == 1 ? r->grid_size : pl->cols;
    pl->cmax = pl->wu < pl->wv ? pl->wu : pl->wv;
    pl->wave = glc_attr_int(n, GLC_ATTR_WAVEFRONT, 0) && (r->k == 2 || r->tied) && pl->cmax >= 1;
    pl->nbucket = 0;
    if (!pl->wave) return;
    for (int64_t b = 1; b < pl->cmax; b *= 2)
        pl->bucket[pl->nbucket++] = b;
    pl->bucket[pl->nbucket++] = pl->cmax;
}

/* Positions per hoisted chunk at most: glc_hoist_steps (passes/hoist_projections.c; -1:
 * the budget over the run-time batch; absent, as at -O0: 1). */
static glc_dim positions_per_chunk(const glc_graph *g, const glc_node *n,
                                   const glc_gridlstm_desc *r) {
    return cg_hoist_chunk_max(g, n, glc_dim_mul(g, r->batch, (r->k + 1) * 4 * r->hidden));
}

static glc_status make_plan(const cg_ctx *c, const glc_node *n, gl_plan *pl, glc_diag *d) {
    const glc_graph *g = c->g;
    GLC_TRY(glc_gridlstm_desc_read(g, n, &pl->r, d));
    const glc_gridlstm_desc *r = &pl->r;
    const glc_value *w = glc_node_input(g, n, GLC_GL_W);
    const glc_value *wi = n->n_in > GLC_GL_W_IN ? glc_node_input(g, n, GLC_GL_W_IN) : NULL;
    pl->wc = w ? w->data : NULL;
    pl->winc = wi ? wi->data : NULL;
    int64_t F = r->hidden, S = r->grid_size, K1 = r->k + 1;
    glc_dim N = r->batch, NF = glc_dim_mul(g, N, F);
    pl->rows = r->k == 2 ? r->grid[0] : 1;
    pl->cols = r->k == 2 ? r->grid[1] : r->grid[0];
    pl->a_rs = row_stride(K1 * F);
    pl->g_rs = row_stride(K1 * 4 * F);
    /* the raster order's chunks: nch of pc positions, the last of `last` */
    cg_chunks_plan(g, S, positions_per_chunk(g, n, r), &pl->nch, &pl->pc, &pl->last);
    pl->unrolled = !r->tied && pl->wc;
    plan_wave(n, pl);
    glc_dim slots = glc_dim_mul(g, (r->k - 1) * pl->cols + 1, NF);
    glc_dim ag = glc_dim_mul(g, glc_dim_mul(g, pl->pc, N), pl->g_rs), a = 0;
    if (r->k == 2) a = glc_dim_mul(g, N, r->k * F);
    if (pl->wave) {
        slots = glc_dim_mul(g, r->k == 1 ? r->layers : pl->rows + pl->cols, NF);
        ag = glc_dim_mul(g, glc_dim_mul(g, pl->cmax, N), pl->g_rs);
        a = glc_dim_mul(g, glc_dim_mul(g, pl->cmax, N), pl->a_rs);
    }
    pl->slot_floats = slots;
    glc_dim o = 0;
    part(g, &o, glc_dim_mul(g, S, NF)); /* hd at 0 */
    pl->off_md = part(g, &o, glc_dim_mul(g, S, NF));
    pl->off_ag = part(g, &o, ag);
    pl->off_sh = part(g, &o, slots);
    pl->off_sm = part(g, &o, slots);
    pl->off_a = part(g, &o, a);
    /* a symbolic N: X(n) W_in^T lands here (S, F), then in hd's rows N*F apart */
    pl->off_tin = part(g, &o, glc_dim_is_sym(N) && r->has_w_in ? S * F : 0);
    pl->floats = glc_dim_max(g, o, 16); /* never empty: the kernel takes the scratch pointer */
    pl->gemm_bytes = 0;
    bool rt = glc_dim_is_sym(N); /* wave: one product of run-time rows, not the buckets */
    for (int64_t b = 0; pl->wave && b < (rt ? 1 : pl->nbucket); b++) {
        glc_dim cnt = rt ? pl->cmax : pl->bucket[b];
        cg_gemm gs[2] = {product(NULL, g, pl, P_WAVE, 0, cnt),
                         product(NULL, g, pl, P_WAVE_PRIO, 0, cnt)};
        for (int k = 0; k < 2; k++)
            pl->gemm_bytes = max_u64(pl->gemm_bytes, cg_gemm_scratch_bytes(c, &gs[k]));
    }
    for (int64_t wl = 0; wl < r->wlayers; wl++) {
        cg_gemm gs[5] = {product(NULL, g, pl, P_INPUT, wl, 0),
                         product(NULL, g, pl, P_DEPTH, wl, pl->pc),
                         product(NULL, g, pl, P_DEPTH, wl, pl->last),
                         product(NULL, g, pl, P_SCAN, wl, 0), product(NULL, g, pl, P_PRIO, wl, 0)};
        for (int k = pl->winc || r->has_w_in ? 0 : 1; k < 5; k++)
            pl->gemm_bytes = max_u64(pl->gemm_bytes, cg_gemm_scratch_bytes(c, &gs[k]));
    }
    if (glc_dim_failed(g)) return glc_diag_set(d, GLC_E_LIMIT, n, "the scratch size overflows");
    return GLC_OK;
}

glc_dim lower_gridlstm_scratch(const cg_ctx *c, const glc_node *n) {
    gl_plan pl;
    glc_diag d;
    if (make_plan(c, n, &pl, &d) != GLC_OK) return 0;
    return glc_dim_add(c->g, glc_dim_mul(c->g, pl.floats, (glc_dim)sizeof(float)),
                       (glc_dim)pl.gemm_bytes);
}

typedef struct gl {
    cg_ctx *c;
    const glc_gridlstm_desc *r;
    const gl_plan *pl;
    LLVMValueRef y;                     /* output Y */
    LLVMValueRef x, w, bias, win;       /* inputs; bias, win NULL if absent */
    LLVMValueRef hd, md, ag, sh, sm, a; /* scratch parts (a: K = 2) */
    LLVMValueRef tin;                   /* scratch: X(n) W_in^T, a symbolic N (or NULL) */
    LLVMValueRef gs;                    /* the products' scratch, or NULL */
    LLVMValueRef wl;                    /* weight layer (0-based), i64 */
    int64_t wl_const;                   /* the same when unrolled, else -1 */
} gl;

static LLVMValueRef fptr(gl *s, LLVMValueRef base, LLVMValueRef off) {
    return cg_gep(s->c, s->c->f32, base, off);
}

static LLVMValueRef fptrk(gl *s, LLVMValueRef base, int64_t off) {
    return off ? fptr(s, base, cg_i64(s->c, off)) : base;
}

/* The same for an offset that is a dim. */
static LLVMValueRef fptrd(gl *s, LLVMValueRef base, glc_dim off) {
    return off ? fptr(s, base, cg_dim(s->c, off)) : base;
}

/* A dim as an i64 value at the builder position (a constant when static). */
static LLVMValueRef dimv(gl *s, glc_dim d) {
    return cg_dim(s->c, d);
}

/* The batch N, and N*F, as i64 values. */
static LLVMValueRef batch(gl *s) {
    return dimv(s, s->r->batch);
}
static LLVMValueRef batch_f(gl *s, int64_t f) {
    return dimv(s, glc_dim_mul(s->c->g, s->r->batch, f));
}

/* dst[doff + q] = src ? src[soff + q] : 0 for q < n (an i64 value). */
static void copy_v(cg_ctx *c, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
                   LLVMValueRef soff, LLVMValueRef n) {
    cg_loop lq;
    LLVMValueRef q = cg_loop_begin_v(c, &lq, n);
    LLVMValueRef v = src ? cg_ldf(c, src, cg_iadd(c, soff, q)) : cg_f32(c, 0.0);
    cg_stf(c, v, dst, cg_iadd(c, doff, q));
    cg_loop_end(c, &lq);
}

static void copy(cg_ctx *c, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
                 LLVMValueRef soff, int64_t n) {
    copy_v(c, dst, doff, src, soff, cg_i64(c, n));
}

/* Tasks over `items` (a dim) rows of min_work work each split when the most rows (the
 * bound of a symbolic count, or any) are worth it; the fewest rows worth them at run
 * time: ceil(min_work / per_row). Static counts: as cg_par_begin. */
static void par_rows(gl *s, cg_par *par, glc_dim items, int64_t per_row, int64_t min_work,
                     LLVMValueRef **caps, int n_caps, const char *name) {
    cg_ctx *c = s->c;
    int64_t most = items;
    if (glc_dim_is_sym(items) && !glc_dim_upper_bound(c->g, items, &most)) most = GLC_DIM_SYM_MAX;
    bool split = most * per_row >= min_work && most > 1;
    cg_par_begin_v(c, par, dimv(s, items), split, caps, n_caps, name);
    par->min_items = (min_work + per_row - 1) / per_row;
    if (par->min_items < 2) par->min_items = 2;
}

static LLVMValueRef clip(gl *s, LLVMValueRef x) {
    cg_ctx *c = s->c;
    if (!s->r->has_clip) return x;
    LLVMValueRef lo = cg_f32(c, -s->r->clip), hi = cg_f32(c, s->r->clip);
    x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, hi, ""), hi, x, "");
}

/* Gate g of the block at ag[aoff..] plus its bias at B[boff..] (no B: none), column q. */
static LLVMValueRef gate(gl *s, LLVMValueRef aoff, LLVMValueRef boff, int g, LLVMValueRef q) {
    cg_ctx *c = s->c;
    LLVMValueRef gq = cg_addk(c, q, g * s->r->hidden);
    LLVMValueRef v = cg_ldf(c, s->ag, cg_iadd(c, aoff, gq));
    if (s->bias) v = cg_fadd(c, v, cg_ldf(c, s->bias, cg_iadd(c, boff, gq)));
    return clip(s, v);
}

/* Unit q of one cell, its gate block at ag[aoff..], bias at B[boff..]: m = f(af) m[mi] +
 * f(ai) g(ac) -> m[mi], f(ao) h(m) -> h[mi]; returns the new h. */
static LLVMValueRef cell(gl *s, LLVMValueRef aoff, LLVMValueRef boff, LLVMValueRef q,
                         LLVMValueRef m, LLVMValueRef h, LLVMValueRef mi) {
    cg_ctx *c = s->c;
    const glc_act *act = s->r->acts;
    LLVMValueRef i = cg_act_emit(c, &act[0], gate(s, aoff, boff, 0, q));
    LLVMValueRef o = cg_act_emit(c, &act[0], gate(s, aoff, boff, 1, q));
    LLVMValueRef f = cg_act_emit(c, &act[0], gate(s, aoff, boff, 2, q));
    LLVMValueRef g = cg_act_emit(c, &act[1], gate(s, aoff, boff, 3, q));
    LLVMValueRef mv = cg_fadd(c, cg_fmul(c, f, cg_ldf(c, m, mi)), cg_fmul(c, i, g));
    cg_stf(c, mv, m, mi);
    LLVMValueRef hv = cg_fmul(c, o, cg_act_emit(c, &act[2], mv));
    cg_stf(c, hv, h, mi);
    return hv;
}

/* The cell of gate block j of every batch row n at the chunk row t of ag:
 * m = f(af) m[moff(n)+q] + f(ai) g(ac) -> m[moff(n)+q], f(ao) h(m) -> h[moff(n)+q]
 * with moff(n) = mbase + n*F. */
static void cells(gl *s, LLVMValueRef t, int j, LLVMValueRef m, LLVMValueRef h,
                  LLVMValueRef mbase) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, K1 = r->k + 1;
    LLVMValueRef *caps[] = {&s->ag, &s->bias, &s->wl, &t, &m, &h, &mbase};
    cg_par par; /* batch rows split into tasks when the cells are worth it */
    par_rows(s, &par, r->batch, F, CELLS_PAR_MIN, caps, 7, "par");
    LLVMValueRef boff = cg_madd(c, s->wl, K1 * 4 * F, cg_i64(c, j * 4 * F));
    cg_loop ln, lq;
    LLVMValueRef n = cg_loop_range(c, &ln, par.lo, par.hi);
    LLVMValueRef aoff =
        cg_madd(c, cg_iadd(c, cg_madd_v(c, t, batch(s), NULL), n), s->pl->g_rs, cg_i64(c, j * 4 * F));
    LLVMValueRef moff = cg_madd(c, n, F, mbase);
    LLVMValueRef q = cg_loop_begin(c, &lq, F);
    cell(s, aoff, boff, q, m, h, cg_iadd(c, moff, q));
    cg_cell_loop_end(c, &lq, F);
    cg_loop_end(c, &ln);
    cg_par_end(c, &par);
}

/* Offset (floats) of slot `slot` of sh/sm. */
static LLVMValueRef slot_off(gl *s, LLVMValueRef slot) {
    return cg_madd_v(s->c, slot, batch_f(s, s->r->hidden), cg_i64(s->c, 0));
}

/* The scanned axis j's slot for column col. */
static LLVMValueRef slot_of(gl *s, int j, LLVMValueRef col) {
    if (j == s->r->k - 1) return slot_off(s, cg_i64(s->c, (s->r->k - 1) * s->pl->cols));
    return slot_off(s, col);
}

/* A: the scanned h of every row, (N, K*F): the last-axis slot itself for K = 1, else the
 * slots copied side by side into s->a. */
static LLVMValueRef gather_a(gl *s, LLVMValueRef col) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden;
    if (r->k == 1) return fptr(s, s->sh, slot_of(s, 0, col));
    cg_loop ln;
    LLVMValueRef n = cg_loop_begin_v(c, &ln, batch(s));
    for (int j = 0; j < r->k; j++)
        copy(c, s->a, cg_madd(c, n, r->k * F, cg_i64(c, j * F)), s->sh,
             cg_madd(c, n, F, slot_of(s, j, col)), F);
    cg_loop_end(c, &ln);
    return s->a;
}

/* Weight pointer (run-time) of layer s->wl plus off floats, and its host data. */
static void weights(gl *s, cg_gemm *g, int64_t off) {
    cg_ctx *c = s->c;
    int64_t F = s->r->hidden, K1 = s->r->k + 1;
    g->b = fptr(s, s->w, cg_madd(c, s->wl, K1 * 4 * F * K1 * F, cg_i64(c, off)));
}

/* Block (p, l) for all rows; t = p - p0 (its ag row), col its column. */
static glc_status emit_block(gl *s, LLVMValueRef p, LLVMValueRef t, LLVMValueRef col) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, K = r->k, K1 = K + 1;
    int64_t wl = s->wl_const < 0 ? 0 : s->wl_const;
    LLVMValueRef agp = fptr(s, s->ag, cg_madd_v(c, t, batch_f(s, s->pl->g_rs), NULL));
    cg_gemm g = product(c, c->g, s->pl, P_SCAN, wl, 0);
    g.a = gather_a(s, col);
    weights(s, &g, 0);
    g.y = agp;
    g.scratch = s->gs;
    GLC_TRY(cg_gemm_emit(c, &g));
    for (int j = 0; j < K; j++) {
        LLVMValueRef so = slot_of(s, j, col);
        cells(s, t, j, fptr(s, s->sm, so), fptr(s, s->sh, so), cg_i64(c, 0));
    }
    if (r->priority) {
        g = product(c, c->g, s->pl, P_PRIO, wl, 0);
        g.a = gather_a(s, col);
        weights(s, &g, K * 4 * F * K1 * F);
        g.y = fptrk(s, agp, K * 4 * F);
        g.scratch = s->gs;
        GLC_TRY(cg_gemm_emit(c, &g));
    }
    cells(s, t, K, s->md, s->hd, cg_madd_v(c, p, batch_f(s, F), NULL));
    return GLC_OK;
}

/* ag = the depth columns of `count` positions from p0 (count_v: that many, a value known
 * at run time only, instead). */
static glc_status emit_depth(gl *s, LLVMValueRef p0, glc_dim count, LLVMValueRef count_v) {
    int64_t F = s->r->hidden, KF = s->r->k * F;
    cg_ctx *c = count_v ? NULL : s->c; /* product() plans the rows; they are set here */
    cg_gemm g = product(c, s->c->g, s->pl, P_DEPTH, s->wl_const < 0 ? 0 : s->wl_const, count);
    if (count_v) g.M = -1, g.Mv = cg_madd_v(s->c, count_v, batch(s), NULL);
    g.a = fptr(s, s->hd, cg_madd_v(s->c, p0, batch_f(s, F), NULL));
    weights(s, &g, KF);
    g.y = s->ag;
    g.scratch = s->gs;
    return cg_gemm_emit(s->c, &g);
}

/* One position of the chunk: a new grid row zeroes the last-axis slots, then the block. */
static glc_status emit_position(gl *s, LLVMValueRef p, LLVMValueRef t) {
    cg_ctx *c = s->c;
    const gl_plan *pl = s->pl;
    LLVMValueRef col = p;
    if (s->r->k == 2) {
        col = LLVMBuildURem(c->b, p, cg_i64(c, pl->cols), "");
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntEQ, col, cg_i64(c, 0), ""));
        LLVMValueRef last = slot_of(s, 1, col);
        copy_v(c, s->sh, last, NULL, NULL, batch_f(s, s->r->hidden));
        copy_v(c, s->sm, last, NULL, NULL, batch_f(s, s->r->hidden));
        cg_if_else(c, &f); /* nothing else */
        cg_if_end(c, &f);
    }
    return emit_block(s, p, t, col);
}

/* Layer s->wl: zero the scanned state, then the chunks of positions. */
static glc_status emit_layer(gl *s) {
    cg_ctx *c = s->c;
    const gl_plan *pl = s->pl;
    int64_t S = s->r->grid_size;
    LLVMValueRef zero = cg_i64(c, 0);
    copy_v(c, s->sh, zero, NULL, NULL, dimv(s, pl->slot_floats));
    copy_v(c, s->sm, zero, NULL, NULL, dimv(s, pl->slot_floats));
    cg_loop lc, lt;
    LLVMValueRef ci = cg_loop_begin_v(c, &lc, dimv(s, pl->nch));
    LLVMValueRef p0 = cg_madd_v(c, ci, dimv(s, pl->pc), NULL);
    LLVMValueRef is_last =
        LLVMBuildICmp(c->b, LLVMIntEQ, ci, dimv(s, glc_dim_sub(c->g, pl->nch, 1)), "");
    if (pl->last == pl->pc) {
        GLC_TRY(emit_depth(s, p0, pl->pc, NULL));
    } else if (glc_dim_is_sym(s->r->batch)) { /* one product of run-time rows */
        LLVMValueRef cnt = LLVMBuildSelect(c->b, is_last, dimv(s, pl->last), dimv(s, pl->pc), "");
        GLC_TRY(emit_depth(s, p0, pl->pc, cnt));
    } else {
        cg_if f;
        cg_if_begin(c, &f, is_last);
        GLC_TRY(emit_depth(s, p0, pl->last, NULL));
        cg_if_else(c, &f);
        GLC_TRY(emit_depth(s, p0, pl->pc, NULL));
        cg_if_end(c, &f);
    }
    LLVMValueRef t = cg_loop_begin_v(c, &lt, dimv(s, pl->pc));
    LLVMValueRef p = cg_iadd(c, p0, t);
    if (pl->last == pl->pc) {
        GLC_TRY(emit_position(s, p, t));
    } else { /* the last chunk is shorter */
        cg_if f;
        cg_if_begin(c, &f, LLVMBuildICmp(c->b, LLVMIntSLT, p, cg_i64(c, S), ""));
        GLC_TRY(emit_position(s, p, t));
        cg_if_else(c, &f); /* nothing else */
        cg_if_end(c, &f);
    }
    cg_loop_end(c, &lt);
    cg_loop_end(c, &lc);
    return GLC_OK;
}

/* ---- the wavefront schedule (plan_wave) ----
 * Block (p, l) needs only its predecessors along the scanned axes and (p, l-1), so the
 * blocks of one anti-diagonal of a u x v grid whose blocks share weights are independent:
 *   K = 1, tied: u = the layers, v = time; block (u, v) is (t, l) = (v, u), one wave for
 *           the whole node; the scanned slot of block (t, l) is layer l's
 *   K = 2:  u = rows, v = columns of one layer (layer by layer); block (r, c) reads the
 *           axis-0 slot of column c (the block above) and the axis-1 slot of row r (the
 *           block to the left)
 * For each diagonal d = u + v in order, blocks u in [lo, lo + count):
 *   gather  A[i N + n] = [the K scanned slots' h of block lo + i, hd at its position]
 *   ag = A W[l]^T (all K + 1 gate blocks; with priority only the K scanned ones)
 *   scanned cells -> sm, sh slots (with priority also A's first K F columns)
 *   priority: ag block K = A W[l, K]^T (A now holds the new scanned h)
 *   depth cells -> md, hd at the position
 * sh, sm hold one (N, F) slot per layer (K = 1) or per column then per row (K = 2), all
 * zero when a wave starts; hd, md are overwritten in place as in the raster order (block
 * (p, l) is the only reader of (p, l-1)). Rows of A and ag are padded (row_stride). A
 * product has M = b N rows for the smallest bucket b >= count; the rows past count N
 * compute on stale A rows (finite: A is zeroed first) and are not read. With a symbolic N
 * the product has the count N rows, known at run time (cg_gemm Mv: no buckets). */

/* Diagonal d's blocks u in [lo, lo + count): lo = max(0, d - v + 1), up to min(u - 1, d). */
static void wave_span(gl *s, LLVMValueRef d, LLVMValueRef *lo, LLVMValueRef *count) {
    cg_ctx *c = s->c;
    LLVMValueRef a = cg_addk(c, d, 1 - s->pl->wv), zero = cg_i64(c, 0);
    LLVMValueRef um = cg_i64(c, s->pl->wu - 1);
    *lo = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, a, zero, ""), a, zero, "");
    LLVMValueRef hi = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, d, um, ""), d, um, "");
    *count = cg_addk(c, LLVMBuildNSWSub(c->b, hi, *lo, ""), 1);
}

/* Block lo + i of diagonal d: the offsets (floats) of its batch row n in its scanned slots
 * (slot[j], into sh/sm) and at its position (*pos, into hd/md). */
static void wave_block(gl *s, LLVMValueRef d, LLVMValueRef lo, LLVMValueRef i, LLVMValueRef n,
                       LLVMValueRef slot[2], LLVMValueRef *pos) {
    cg_ctx *c = s->c;
    int64_t F = s->r->hidden, cols = s->pl->cols;
    LLVMValueRef N = batch(s);
    LLVMValueRef u = cg_iadd(c, lo, i), v = LLVMBuildNSWSub(c->b, d, u, "");
    LLVMValueRef sl[2] = {u, NULL}, p = v; /* K = 1: layer u, time v */
    if (s->r->k == 2) sl[0] = v, sl[1] = cg_addk(c, u, cols), p = cg_madd(c, u, cols, v);
    for (int j = 0; j < s->r->k; j++)
        slot[j] = cg_madd(c, cg_madd_v(c, sl[j], N, n), F, NULL);
    *pos = cg_madd(c, cg_madd_v(c, p, N, n), F, NULL);
}

/* Rows [par.lo, min(par.hi, count N)) of a diagonal's rows: the active part of a task. */
static LLVMValueRef wave_rows_end(gl *s, const cg_par *par, LLVMValueRef count) {
    cg_ctx *c = s->c;
    LLVMValueRef act = cg_madd_v(c, count, batch(s), NULL);
    LLVMValueRef lt = LLVMBuildICmp(c->b, LLVMIntSLT, par->hi, act, "");
    return LLVMBuildSelect(c->b, lt, par->hi, act, "");
}

/* A's rows: tasks over them from GATHER_PAR_MIN floats (W4 batch 32: 2.5 % of the time
 * when serial). */
static void wave_gather(gl *s, LLVMValueRef d, LLVMValueRef lo, LLVMValueRef count) {
    cg_ctx *c = s->c;
    int64_t F = s->r->hidden, K = s->r->k;
    glc_dim rows = glc_dim_mul(c->g, s->pl->cmax, s->r->batch);
    LLVMValueRef *caps[] = {&s->a, &s->sh, &s->hd, &d, &lo, &count};
    cg_par par;
    par_rows(s, &par, rows, (K + 1) * F, GATHER_PAR_MIN, caps, 6, "gather");
    cg_loop lr;
    LLVMValueRef row = cg_loop_range(c, &lr, par.lo, wave_rows_end(s, &par, count)), slot[2], pos;
    LLVMValueRef i = LLVMBuildSDiv(c->b, row, batch(s), "");
    wave_block(s, d, lo, i, LLVMBuildSRem(c->b, row, batch(s), ""), slot, &pos);
    LLVMValueRef aoff = cg_madd(c, row, s->pl->a_rs, NULL);
    for (int j = 0; j < K; j++)
        copy(c, s->a, cg_addk(c, aoff, j * F), s->sh, slot[j], F);
    copy(c, s->a, cg_addk(c, aoff, K * F), s->hd, pos, F);
    cg_loop_end(c, &lr);
    cg_par_end(c, &par);
}

/* Product `kind` (P_WAVE, P_WAVE_PRIO) of count blocks, by the smallest bucket holding them. */
static glc_status wave_product(gl *s, int kind, LLVMValueRef count) {
    cg_ctx *c = s->c;
    const gl_plan *pl = s->pl;
    int64_t F = s->r->hidden, K = s->r->k, col = kind == P_WAVE_PRIO ? K * 4 * F : 0;
    int64_t wl = s->wl_const < 0 ? 0 : s->wl_const;
    if (glc_dim_is_sym(s->r->batch)) { /* one product of the count N rows */
        cg_gemm g = product(NULL, c->g, pl, kind, wl, pl->cmax);
        g.M = -1;
        g.Mv = cg_madd_v(c, count, batch(s), NULL);
        g.a = s->a;
        weights(s, &g, col * (K + 1) * F);
        g.y = fptrk(s, s->ag, col);
        g.scratch = s->gs;
        return cg_gemm_emit(c, &g);
    }
    cg_if f[WAVE_MAX_BUCKETS];
    for (int64_t b = 0; b < pl->nbucket; b++) {
        bool last = b == pl->nbucket - 1;
        LLVMValueRef fits = LLVMBuildICmp(c->b, LLVMIntSLE, count, cg_i64(c, pl->bucket[b]), "");
        if (!last) cg_if_begin(c, &f[b], fits);
        cg_gemm g = product(c, c->g, pl, kind, wl, pl->bucket[b]);
        g.a = s->a;
        weights(s, &g, col * (K + 1) * F);
        g.y = fptrk(s, s->ag, col);
        g.scratch = s->gs;
        GLC_TRY(cg_gemm_emit(c, &g));
        if (!last) cg_if_else(c, &f[b]);
    }
    for (int64_t b = pl->nbucket - 2; b >= 0; b--)
        cg_if_end(c, &f[b]);
    return GLC_OK;
}

/* The cells of gate block j (< K: scanned axis j, K: depth) of the diagonal's blocks: ag
 * row i N + n is block lo + i, batch row n. */
static void wave_cells(gl *s, int j, LLVMValueRef d, LLVMValueRef lo, LLVMValueRef count) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, K = r->k;
    glc_dim rows = glc_dim_mul(c->g, s->pl->cmax, r->batch);
    LLVMValueRef *caps[] = {&s->ag, &s->bias, &s->a, &s->sh, &s->sm, &s->hd,
                            &s->md, &s->wl,   &d,    &lo,    &count};
    cg_par par; /* over the most rows; those past count N do nothing */
    par_rows(s, &par, rows, F, CELLS_PAR_MIN, caps, 11, "par");
    cg_loop lr, lq;
    LLVMValueRef row = cg_loop_range(c, &lr, par.lo, wave_rows_end(s, &par, count)), slot[2], pos;
    LLVMValueRef i = LLVMBuildSDiv(c->b, row, batch(s), "");
    wave_block(s, d, lo, i, LLVMBuildSRem(c->b, row, batch(s), ""), slot, &pos);
    LLVMValueRef moff = j < K ? slot[j] : pos;
    LLVMValueRef aoff = cg_madd(c, row, s->pl->g_rs, cg_i64(c, j * 4 * F));
    LLVMValueRef boff = cg_madd(c, s->wl, (K + 1) * 4 * F, cg_i64(c, j * 4 * F));
    LLVMValueRef q = cg_loop_begin(c, &lq, F);
    LLVMValueRef hv =
        cell(s, aoff, boff, q, j < K ? s->sm : s->md, j < K ? s->sh : s->hd, cg_iadd(c, moff, q));
    if (j < K && r->priority)
        cg_stf(c, hv, s->a, cg_madd(c, row, s->pl->a_rs, cg_addk(c, q, j * F)));
    cg_cell_loop_end(c, &lq, F);
    cg_loop_end(c, &lr);
    cg_par_end(c, &par);
}

/* One wave (plan_wave): the whole node for K = 1, layer s->wl for K = 2. */
static glc_status emit_wave(gl *s) {
    cg_ctx *c = s->c;
    const gl_plan *pl = s->pl;
    const glc_gridlstm_desc *r = s->r;
    int64_t K = r->k;
    LLVMValueRef zero = cg_i64(c, 0), lo, count;
    copy_v(c, s->sh, zero, NULL, NULL, dimv(s, pl->slot_floats));
    copy_v(c, s->sm, zero, NULL, NULL, dimv(s, pl->slot_floats));
    copy_v(c, s->a, zero, NULL, NULL, batch_f(s, pl->cmax * pl->a_rs));
    cg_loop ld;
    LLVMValueRef d = cg_loop_begin(c, &ld, pl->wu + pl->wv - 1);
    wave_span(s, d, &lo, &count);
    wave_gather(s, d, lo, count);
    GLC_TRY(wave_product(s, P_WAVE, count));
    for (int j = 0; j < K; j++)
        wave_cells(s, j, d, lo, count);
    if (r->priority) GLC_TRY(wave_product(s, P_WAVE_PRIO, count));
    wave_cells(s, (int)K, d, lo, count);
    cg_loop_end(c, &ld);
    return GLC_OK;
}

/* hd[p, n] = tin[p] for p < S (a symbolic N: the input product's rows). */
static void emit_tin_rows(gl *s, LLVMValueRef n) {
    cg_ctx *c = s->c;
    int64_t F = s->r->hidden;
    cg_loop lp;
    LLVMValueRef p = cg_loop_begin(c, &lp, s->r->grid_size);
    copy(c, s->hd, cg_madd_v(c, p, batch_f(s, F), cg_madd(c, n, F, NULL)), s->tin,
         cg_madd(c, p, F, NULL), F);
    cg_loop_end(c, &lp);
}

/* hd[p, n] = W_in X(n, :, p) (or X(n, :, p)), md = 0. */
static glc_status emit_input(gl *s) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, C = r->channels, S = r->grid_size;
    cg_loop ln, lq, lp;
    copy_v(c, s->md, cg_i64(c, 0), NULL, NULL, batch_f(s, S * F));
    LLVMValueRef n = cg_loop_begin_v(c, &ln, batch(s));
    if (s->win) { /* rows N*F apart: straight into hd when N is static */
        cg_gemm g = product(c, c->g, s->pl, P_INPUT, 0, 0);
        g.a = fptr(s, s->x, cg_madd(c, n, C * S, NULL));
        g.b = s->win;
        g.y = s->tin ? s->tin : fptr(s, s->hd, cg_madd(c, n, F, NULL));
        g.scratch = s->gs;
        GLC_TRY(cg_gemm_emit(c, &g));
        if (s->tin) emit_tin_rows(s, n);
    } else { /* C == F */
        LLVMValueRef q = cg_loop_begin(c, &lq, F);
        LLVMValueRef p = cg_loop_begin(c, &lp, S);
        LLVMValueRef v = cg_ldf(c, s->x, cg_madd(c, n, C * S, cg_madd(c, q, S, p)));
        cg_stf(c, v, s->hd, cg_madd_v(c, p, batch_f(s, F), cg_madd(c, n, F, q)));
        cg_loop_end(c, &lp);
        cg_loop_end(c, &lq);
    }
    cg_loop_end(c, &ln);
    return GLC_OK;
}

/* Y(n, q, p) = hd[p, n, q]. */
static void emit_output(gl *s) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, S = r->grid_size;
    cg_loop ln, lq, lp;
    LLVMValueRef n = cg_loop_begin_v(c, &ln, batch(s));
    LLVMValueRef q = cg_loop_begin(c, &lq, F);
    LLVMValueRef p = cg_loop_begin(c, &lp, S);
    LLVMValueRef v = cg_ldf(c, s->hd, cg_madd_v(c, p, batch_f(s, F), cg_madd(c, n, F, q)));
    cg_stf(c, v, s->y, cg_madd(c, n, F * S, cg_madd(c, q, S, p)));
    cg_loop_end(c, &lp);
    cg_loop_end(c, &lq);
    cg_loop_end(c, &ln);
}

/* Y absent: nothing to compute (the node has one output, so only a dead node). */
static glc_status emit_body(gl *s) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    glc_status (*layer)(gl *) = s->pl->wave ? emit_wave : emit_layer;
    GLC_TRY(emit_input(s));
    if (s->pl->wave && r->k == 1) { /* tied: one wave over (time, layer) */
        s->wl_const = 0;
        s->wl = cg_i64(c, 0);
        GLC_TRY(emit_wave(s));
    } else if (s->pl->unrolled) {
        for (int64_t l = 0; l < r->layers; l++) {
            s->wl_const = l;
            s->wl = cg_i64(c, l);
            GLC_TRY(layer(s));
        }
    } else {
        cg_loop ll;
        LLVMValueRef l = cg_loop_begin(c, &ll, r->layers);
        s->wl_const = r->tied ? 0 : -1;
        s->wl = r->tied ? cg_i64(c, 0) : l;
        GLC_TRY(layer(s));
        cg_loop_end(c, &ll);
    }
    emit_output(s);
    return GLC_OK;
}

glc_status lower_gridlstm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    gl_plan pl;
    GLC_TRY(make_plan(c, n, &pl, c->d));
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in + 1);
    LLVMValueRef in[4] = {0};
    for (int i = 0; i < n->n_in && i < 4; i++)
        if (n->in[i]) in[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    LLVMValueRef scratch = LLVMGetParam(*fn, (unsigned)(n->n_out + n->n_in));
    gl s = {.c = c,
            .r = &pl.r,
            .pl = &pl,
            .y = n->out[0] ? LLVMGetParam(*fn, 0) : NULL,
            .x = in[GLC_GL_X],
            .w = in[GLC_GL_W],
            .bias = in[GLC_GL_B],
            .win = in[GLC_GL_W_IN]};
    s.hd = scratch;                       /* (S, N, F) */
    s.md = fptrd(&s, scratch, pl.off_md); /* (S, N, F) */
    s.ag = fptrd(&s, scratch, pl.off_ag); /* (Pc, N, (K+1)4F) */
    s.sh = fptrd(&s, scratch, pl.off_sh); /* ((K-1)*cols + 1, N, F) */
    s.sm = fptrd(&s, scratch, pl.off_sm); /* ((K-1)*cols + 1, N, F) */
    s.a = fptrd(&s, scratch, pl.off_a);   /* (N, K*F), K = 2 */
    if (glc_dim_is_sym(pl.r.batch) && s.win) s.tin = fptrd(&s, scratch, pl.off_tin); /* (S, F) */
    s.gs = pl.gemm_bytes ? fptrd(&s, scratch, pl.floats) : NULL;
    if (s.y) GLC_TRY(emit_body(&s));
    cg_kernel_end(c);
    return GLC_OK;
}
