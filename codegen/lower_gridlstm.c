/*
 * lower_gridlstm.c -- code generation for glc.GridLSTM, specialised to the node's static
 * shapes and attributes. Same equations and clip reading as the reference kernel
 * (ir/interp_gridlstm.c, which follows the spec layer by layer), but position-major, so that
 * the state of all layers lives in a few small buffers:
 *
 *   for each batch row b:
 *     st_h, st_m = 0
 *     for each grid row r (K = 2: S1 rows of S2 columns; K = 1: one row of S1 columns):
 *       last-axis slots of st_h, st_m = 0                      zero left of the grid
 *       for each column col (p = r*cols + col):
 *         xp = X(b, :, p);  hd = W_in xp (or xp);  md = 0      h_depth(p, 0), m_depth(p, 0)
 *         for l = 0..L-1 (a run-time loop; its weight offset is l*(K+1)*4F*(K+1)F, or 0 tied):
 *           H = [st_h slot of each scanned axis; hd]           the predecessors' h
 *           for j < K:  a = W[l,j] H + B[l,j];  cell on st_m/st_h slot j (read, then overwrite)
 *           priority: H[jF..] = the new st_h slots
 *           a = W[l,K] H + B[l,K];  cell on md/hd
 *         Y(b, :, p) = hd
 *
 * State slots (per layer l, for h and m alike; F floats each):
 *   axis j < K-1 (axis 0 of K = 2): one slot per column; when block (p, l) reads slot col it
 *     holds the row above (zero for row 0), and the block overwrites it with its own state.
 *   axis K-1 (the last axis): one slot; it holds the block to the left (zeroed at the start
 *     of each row) and is overwritten likewise.
 * So a layer needs ((K-1)*cols + 1)*F floats of h and as many of m. All scratch is in
 * entry-block allocas, at most MAX_STACK_FLOATS (beyond: GLC_E_UNSUPPORTED; a workspace slot
 * is a later step). Gate rows are dot products over contiguous W rows whose sum may be
 * reassociated (the `reassoc` flag lets LLVM vectorize the reduction: ~14x on a 32x32 grid,
 * F = 32), so results match the interpreter to rounding, not bit for bit. The cell and the
 * copies are loops over F with contiguous accesses. No anti-diagonal wavefront yet: the grid
 * is walked in raster order (correct for any K; the wavefront is a later optimisation).
 */
#include "cg_impl.h"
#include "gridlstm.h"

/* Scratch is on the stack: refuse (GLC_E_UNSUPPORTED) beyond 1 MiB rather than overflow. */
enum { MAX_STACK_FLOATS = 1 << 18 };

typedef struct gl {
    cg_ctx *c;
    const glc_gridlstm_desc *r;
    LLVMValueRef y;               /* output Y */
    LLVMValueRef x, w, bias, win; /* inputs; bias, win NULL if absent */
    LLVMValueRef st_h, st_m;      /* (L, (K-1)*cols + 1, F) scanned-axis state slots */
    LLVMValueRef hd, md, xp;      /* (F) (F) (C) */
    LLVMValueRef H, a, acc;       /* ((K+1)F) (4F) (1) */
    int64_t rows, cols;           /* the grid as rows x cols */
    int64_t layer_floats;         /* ((K-1)*cols + 1)*F */
} gl;

/* dst[doff + q] = src ? src[soff + q] : 0 for q < n. */
static void copy(cg_ctx *c, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
                 LLVMValueRef soff, int64_t n) {
    cg_loop lq;
    LLVMValueRef q = cg_loop_begin(c, &lq, n);
    LLVMValueRef v = src ? cg_ldf(c, src, cg_iadd(c, soff, q)) : cg_f32(c, 0.0);
    cg_stf(c, v, dst, cg_iadd(c, doff, q));
    cg_loop_end(c, &lq);
}

static LLVMValueRef clip(gl *s, LLVMValueRef x) {
    cg_ctx *c = s->c;
    if (!s->r->has_clip) return x;
    LLVMValueRef lo = cg_f32(c, -s->r->clip), hi = cg_f32(c, s->r->clip);
    x = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, x, lo, ""), lo, x, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, x, hi, ""), hi, x, "");
}

/* out[j] = dot(v[0..K), M[moff + j*K ..]) (+ bias[boff + j]) for j < rows. */
static void gemv(gl *s, LLVMValueRef out, LLVMValueRef v, LLVMValueRef m, LLVMValueRef moff,
                 LLVMValueRef bias, LLVMValueRef boff, int64_t K, int64_t rows) {
    cg_ctx *c = s->c;
    cg_loop lj, lk;
    LLVMValueRef j = cg_loop_begin(c, &lj, rows);
    LLVMBuildStore(c->b, cg_f32(c, 0.0), s->acc);
    LLVMValueRef row = cg_madd(c, j, K, moff);
    LLVMValueRef k = cg_loop_begin(c, &lk, K);
    LLVMValueRef pr = cg_fmul(c, cg_ldf(c, m, cg_iadd(c, row, k)), cg_ldf(c, v, k));
    LLVMValueRef sum = cg_fadd(c, LLVMBuildLoad2(c->b, c->f32, s->acc, ""), pr);
    LLVMSetFastMathFlags(sum, LLVMFastMathAllowReassoc); /* a vectorizable reduction */
    LLVMBuildStore(c->b, sum, s->acc);
    cg_loop_end(c, &lk);
    LLVMValueRef acc = LLVMBuildLoad2(c->b, c->f32, s->acc, "");
    if (bias) acc = cg_fadd(c, acc, cg_ldf(c, bias, cg_iadd(c, boff, j)));
    cg_stf(c, acc, out, j);
    cg_loop_end(c, &lj);
}

/* a = W[l, j] H + B[l, j] for the run-time layer index l (0-based). */
static void gates(gl *s, LLVMValueRef l, int j) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, K1 = r->k + 1;
    LLVMValueRef wl = r->tied ? cg_i64(c, 0) : l;
    LLVMValueRef woff = cg_madd(c, wl, K1 * 4 * F * K1 * F, cg_i64(c, j * 4 * F * K1 * F));
    LLVMValueRef boff = cg_madd(c, wl, K1 * 4 * F, cg_i64(c, j * 4 * F));
    gemv(s, s->a, s->H, s->w, woff, s->bias, boff, K1 * F, 4 * F);
}

/* The cell on s->a: m = f(af) m[moff+q] + f(ai) g(ac) -> m[moff+q], f(ao) h(m) -> h[hoff+q]. */
static void cell(gl *s, LLVMValueRef m, LLVMValueRef moff, LLVMValueRef h, LLVMValueRef hoff) {
    cg_ctx *c = s->c;
    const glc_act *act = s->r->acts;
    int64_t F = s->r->hidden;
    cg_loop lq;
    LLVMValueRef q = cg_loop_begin(c, &lq, F);
    LLVMValueRef i = cg_act_emit(c, &act[0], clip(s, cg_ldf(c, s->a, q)));
    LLVMValueRef o = cg_act_emit(c, &act[0], clip(s, cg_ldf(c, s->a, cg_addk(c, q, F))));
    LLVMValueRef f = cg_act_emit(c, &act[0], clip(s, cg_ldf(c, s->a, cg_addk(c, q, 2 * F))));
    LLVMValueRef g = cg_act_emit(c, &act[1], clip(s, cg_ldf(c, s->a, cg_addk(c, q, 3 * F))));
    LLVMValueRef mi = cg_iadd(c, moff, q);
    LLVMValueRef mv = cg_fadd(c, cg_fmul(c, f, cg_ldf(c, m, mi)), cg_fmul(c, i, g));
    cg_stf(c, mv, m, mi);
    cg_stf(c, cg_fmul(c, o, cg_act_emit(c, &act[2], mv)), h, cg_iadd(c, hoff, q));
    cg_loop_end(c, &lq);
}

/* Offset of layer l's state slot of axis j at column col. */
static LLVMValueRef slot(gl *s, LLVMValueRef l, int j, LLVMValueRef col) {
    cg_ctx *c = s->c;
    int64_t F = s->r->hidden;
    LLVMValueRef base = cg_madd(c, l, s->layer_floats, NULL);
    if (j == s->r->k - 1) return cg_addk(c, base, j * s->cols * F); /* the last axis: one slot */
    return cg_iadd(c, base, cg_madd(c, col, F, cg_i64(c, j * s->cols * F)));
}

/* Blocks (p, 1..L) at column col, starting from hd = h_depth(p, 0), md = 0. */
static void emit_layers(gl *s, LLVMValueRef col) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden;
    LLVMValueRef zero = cg_i64(c, 0);
    cg_loop ll;
    LLVMValueRef l = cg_loop_begin(c, &ll, r->layers);
    for (int j = 0; j < r->k; j++)
        copy(c, s->H, cg_i64(c, j * F), s->st_h, slot(s, l, j, col), F);
    copy(c, s->H, cg_i64(c, r->k * F), s->hd, zero, F);
    for (int j = 0; j < r->k; j++) {
        gates(s, l, j);
        LLVMValueRef sl = slot(s, l, j, col);
        cell(s, s->st_m, sl, s->st_h, sl);
    }
    if (r->priority)
        for (int j = 0; j < r->k; j++)
            copy(c, s->H, cg_i64(c, j * F), s->st_h, slot(s, l, j, col), F);
    gates(s, l, r->k);
    cell(s, s->md, zero, s->hd, zero);
    cg_loop_end(c, &ll);
}

/* hd = W_in X(b, :, p) (or X(b, :, p) itself), md = 0; xoff = offset of X(b, 0, p). */
static void emit_input(gl *s, LLVMValueRef xoff) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, C = r->channels, S = r->grid_size;
    cg_loop lc;
    LLVMValueRef ch = cg_loop_begin(c, &lc, C);
    cg_stf(c, cg_ldf(c, s->x, cg_madd(c, ch, S, xoff)), s->xp, ch);
    cg_loop_end(c, &lc);
    LLVMValueRef zero = cg_i64(c, 0);
    if (s->win)
        gemv(s, s->hd, s->xp, s->win, zero, NULL, NULL, C, F);
    else
        copy(c, s->hd, zero, s->xp, zero, F);
    copy(c, s->md, zero, NULL, NULL, F);
}

static void emit_row(gl *s, LLVMValueRef b) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t F = r->hidden, C = r->channels, S = r->grid_size;
    cg_loop lr, ll, lcol, lq;
    LLVMValueRef row = cg_loop_begin(c, &lr, s->rows);
    LLVMValueRef l = cg_loop_begin(c, &ll, r->layers); /* zero left of the grid */
    copy(c, s->st_h, slot(s, l, r->k - 1, NULL), NULL, NULL, F);
    copy(c, s->st_m, slot(s, l, r->k - 1, NULL), NULL, NULL, F);
    cg_loop_end(c, &ll);
    LLVMValueRef col = cg_loop_begin(c, &lcol, s->cols);
    LLVMValueRef p = cg_madd(c, row, s->cols, col);
    emit_input(s, cg_madd(c, b, C * S, p));
    emit_layers(s, col);
    LLVMValueRef yoff = cg_madd(c, b, F * S, p); /* Y(b, q, p) = hd[q] */
    LLVMValueRef q = cg_loop_begin(c, &lq, F);
    cg_stf(c, cg_ldf(c, s->hd, q), s->y, cg_madd(c, q, S, yoff));
    cg_loop_end(c, &lq);
    cg_loop_end(c, &lcol);
    cg_loop_end(c, &lr);
}

static LLVMValueRef scratch(cg_ctx *c, int64_t n) {
    return cg_alloca_entry(c, LLVMArrayType2(c->f32, (uint64_t)(n > 0 ? n : 1)));
}

/* Y absent: nothing to compute (the node has one output, so only a dead node). */
static void emit_body(gl *s) {
    cg_ctx *c = s->c;
    const glc_gridlstm_desc *r = s->r;
    int64_t state = r->layers * s->layer_floats;
    cg_loop lb;
    LLVMValueRef b = cg_loop_begin(c, &lb, r->batch);
    copy(c, s->st_h, cg_i64(c, 0), NULL, NULL, state); /* zero above the grid */
    copy(c, s->st_m, cg_i64(c, 0), NULL, NULL, state);
    emit_row(s, b);
    cg_loop_end(c, &lb);
}

glc_status lower_gridlstm(cg_ctx *c, const glc_node *n, LLVMValueRef *fn) {
    glc_gridlstm_desc r;
    GLC_TRY(glc_gridlstm_desc_read(c->g, n, &r, c->d));
    int64_t F = r.hidden, K1 = r.k + 1;
    gl s = {.c = c, .r = &r, .rows = r.k == 2 ? r.grid[0] : 1};
    s.cols = r.k == 2 ? r.grid[1] : r.grid[0];
    s.layer_floats = ((r.k - 1) * s.cols + 1) * F;
    int64_t floats = 2 * r.layers * s.layer_floats + (2 + K1 + 4) * F + r.channels;
    if (floats > MAX_STACK_FLOATS)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, n,
                            "%s: %lld floats of state scratch exceed the %d-float stack budget "
                            "(layers %lld, hidden %lld, columns %lld)",
                            glc_op_name(n->op), (long long)floats, MAX_STACK_FLOATS,
                            (long long)r.layers, (long long)F, (long long)s.cols);
    *fn = cg_kernel_begin(c, n->name, n->n_out + n->n_in);
    LLVMValueRef in[4] = {0};
    for (int i = 0; i < n->n_in && i < 4; i++)
        if (n->in[i]) in[i] = LLVMGetParam(*fn, (unsigned)(n->n_out + i));
    s.y = n->out[0] ? LLVMGetParam(*fn, 0) : NULL;
    s.x = in[GLC_GL_X];
    s.w = in[GLC_GL_W];
    s.bias = in[GLC_GL_B];
    s.win = in[GLC_GL_W_IN];
    s.st_h = scratch(c, r.layers * s.layer_floats); /* (L, (K-1)*cols + 1, F) */
    s.st_m = scratch(c, r.layers * s.layer_floats);
    s.hd = scratch(c, F);                           /* (F) */
    s.md = scratch(c, F);                           /* (F) */
    s.xp = scratch(c, r.channels);                  /* (C) */
    s.H = scratch(c, K1 * F);                       /* ((K+1)F) */
    s.a = scratch(c, 4 * F);                        /* (4F) */
    s.acc = cg_alloca_entry(c, c->f32);
    if (s.y) emit_body(&s);
    cg_kernel_end(c);
    return GLC_OK;
}
