/*
 * winograd.c -- 2-D convolutions as Winograd minimal filtering, F(m x m, r x r) with
 * alpha = m + r - 1 = 6: F(4x4, 3x3) and F(2x2, 5x5). Opt-in (glc_codegen_options.winograd,
 * `glc --winograd`): it multiplies 2.25x (3x3) to 2.8x (5x5) less than im2col but rounds
 * differently (errors measured in BENCHMARKS.md and bounded in test_lower_nn).
 *
 * 1-D, for d of length alpha, g of length r and y_i = sum_j g_j d_{i+j} (correlation, as
 * ONNX Conv), y = A^T [(G g) . (B^T d)]. The matrices come from the Toom-Cook evaluation
 * points 0, 1, -1, 1/2, -2 and infinity: with V_n the alpha x n matrix evaluating a
 * polynomial of n coefficients at those points (the infinity row picks the leading
 * coefficient), linear convolution of h and g is c = V_alpha^-1 [(V_m h) . (V_r g)], and its
 * transpose is the correlation: G = V_r, A^T = V_m^T, B^T = (V_alpha^-1)^T (rows scaled to
 * small integers, G's rows by the inverse). 2-D: Y = A^T [(G g G^T) . (B^T d B)] A.
 *
 * Per sample, the input is copied into a zero-padded plane P (C, Hp, Wp) so that every
 * tile's alpha x alpha window is in bounds; the output is cut into th x tw tiles of m x m.
 * Tiles are processed in blocks of whole tile rows (tb tiles), each in three phases on the
 * thread pool:
 *   input    (tasks over channels c)  V[e][c][t] = (B^T d_{c,t} B)[e]       e < 36
 *   products (tasks over e)           M[e] (M, tb) = U[e] (M, C) * V[e] (C, tb)
 *   output   (tasks over channels mo) y[mo, tile t] = A^T M[.][mo][t] A (+ bias, or +=)
 * U = G g G^T is computed at compile time in double (the weights must be constants) and
 * stored as one constant global (36, M, C). Tiles past the output edge are computed and
 * dropped. Each output element is computed by one task in a fixed order: results do not
 * depend on the thread count.
 */
#include "cg_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WG_A 6                  /* alpha */
#define WG_E (WG_A * WG_A)      /* transformed elements per tile */
#define WG_MIN_C 8              /* fewer input channels: im2col (the products would be tiny) */
#define WG_MIN_M 16             /* fewer output channels: im2col or direct */
#define WG_BUDGET (8u << 20)    /* bytes of V and M of one block */

static const double wg_points[WG_A - 1] = {0, 1, -1, 0.5, -2};

typedef struct wg_mats {
    int m, r;
    double AT[WG_A][WG_A]; /* m x alpha */
    double G[WG_A][WG_A];  /* alpha x r */
    double BT[WG_A][WG_A]; /* alpha x alpha */
} wg_mats;

/* V_n: alpha x n evaluation at the points, then the leading coefficient. */
static void eval_matrix(int n, double v[WG_A][WG_A]) {
    for (int i = 0; i < WG_A; i++)
        for (int j = 0; j < n; j++)
            v[i][j] = i < WG_A - 1 ? pow(wg_points[i], j) : (j == n - 1);
}

/* inv = a^-1 (alpha x alpha) by Gauss-Jordan with partial pivoting. */
static void invert(double a[WG_A][WG_A], double inv[WG_A][WG_A]) {
    for (int i = 0; i < WG_A; i++)
        for (int j = 0; j < WG_A; j++)
            inv[i][j] = i == j;
    for (int col = 0; col < WG_A; col++) {
        int p = col;
        for (int i = col + 1; i < WG_A; i++)
            if (fabs(a[i][col]) > fabs(a[p][col])) p = i;
        for (int j = 0; j < WG_A; j++) {
            double t = a[col][j];
            a[col][j] = a[p][j], a[p][j] = t;
            t = inv[col][j];
            inv[col][j] = inv[p][j], inv[p][j] = t;
        }
        double d = a[col][col];
        for (int j = 0; j < WG_A; j++)
            a[col][j] /= d, inv[col][j] /= d;
        for (int i = 0; i < WG_A; i++) {
            double f = a[i][col];
            if (i == col || f == 0) continue;
            for (int j = 0; j < WG_A; j++)
                a[i][j] -= f * a[col][j], inv[i][j] -= f * inv[col][j];
        }
    }
}

/* The smallest multiplier in 1..720 that makes row[0..n) integers (0 if none does). */
static double integer_scale(const double *row, int n) {
    for (int s = 1; s <= 720; s++) {
        bool ok = true;
        for (int j = 0; j < n && ok; j++)
            ok = fabs(row[j] * s - round(row[j] * s)) < 1e-9;
        if (ok) return s;
    }
    return 0;
}

static void wg_make(int r, wg_mats *w) {
    memset(w, 0, sizeof *w);
    w->r = r;
    w->m = WG_A - r + 1;
    double vm[WG_A][WG_A], va[WG_A][WG_A], inv[WG_A][WG_A];
    eval_matrix(r, w->G);
    eval_matrix(w->m, vm);
    eval_matrix(WG_A, va);
    invert(va, inv);
    for (int i = 0; i < w->m; i++)
        for (int k = 0; k < WG_A; k++)
            w->AT[i][k] = vm[k][i];
    for (int k = 0; k < WG_A; k++) {
        for (int j = 0; j < WG_A; j++)
            w->BT[k][j] = inv[j][k];
        double s = integer_scale(w->BT[k], WG_A);
        if (s == 0) continue; /* not with these points */
        for (int j = 0; j < WG_A; j++)
            w->BT[k][j] = round(w->BT[k][j] * s);
        for (int j = 0; j < r; j++)
            w->G[k][j] /= s;
    }
}

/* ---- plan ----------------------------------------------------------------------------- */

typedef struct wg_plan {
    wg_mats w;
    int64_t C, M, th, tw, hp, wp, nrb, tb;
    uint64_t p_bytes, v_bytes, m_bytes;
} wg_plan;

static uint64_t round64(uint64_t n) {
    return (n + 63) / 64 * 64;
}

bool cg_wino_applies(const cg_ctx *c, const cg_conv *cv) {
    const glc_conv_geom *g = cv->geom;
    if (!c->o->winograd || !cv->w_const || g->nsp != 2 || g->group != 1) return false;
    if (!cg_conv_static(g)) return false; /* symbolic sizes: the run-time paths (conv_rt.c) */
    if (g->c_in < WG_MIN_C || g->c_out < WG_MIN_M) return false;
    int64_t r = g->kernel[0];
    return (r == 3 || r == 5) && g->kernel[1] == r && g->stride[0] == 1 && g->stride[1] == 1 &&
           g->dilation[0] == 1 && g->dilation[1] == 1;
}

static void wg_plan_make(const cg_conv *cv, wg_plan *p) {
    const glc_conv_geom *g = cv->geom;
    memset(p, 0, sizeof *p);
    wg_make((int)g->kernel[0], &p->w);
    int64_t m = p->w.m;
    p->C = g->c_in, p->M = g->c_out;
    p->th = (g->out[0] + m - 1) / m, p->tw = (g->out[1] + m - 1) / m;
    p->hp = p->th * m + WG_A - m, p->wp = p->tw * m + WG_A - m;
    uint64_t per_tile = (uint64_t)WG_E * (uint64_t)(p->C + p->M) * 4;
    p->nrb = 1; /* the most tile rows dividing th within the budget */
    for (int64_t n = p->th; n >= 1; n--)
        if (p->th % n == 0 && (uint64_t)(n * p->tw) * per_tile <= WG_BUDGET) {
            p->nrb = n;
            break;
        }
    p->tb = p->nrb * p->tw;
    p->p_bytes = round64((uint64_t)(p->C * p->hp * p->wp) * 4);
    p->v_bytes = round64((uint64_t)(WG_E * p->C * p->tb) * 4);
    p->m_bytes = round64((uint64_t)(WG_E * p->M * p->tb) * 4);
}

uint64_t cg_wino_scratch_bytes(const cg_conv *cv) {
    wg_plan p;
    wg_plan_make(cv, &p);
    return p.p_bytes + p.v_bytes + p.m_bytes;
}

/* U (36, M, C) = G g G^T of every (mo, c), as a private constant global. */
static LLVMValueRef weights_global(cg_ctx *c, const cg_conv *cv, const wg_plan *p) {
    const wg_mats *w = &p->w;
    int r = w->r;
    size_t n = (size_t)(WG_E * p->M * p->C);
    float *u = malloc(n * sizeof *u);
    if (!u) return NULL;
    for (int64_t mo = 0; mo < p->M; mo++)
        for (int64_t ci = 0; ci < p->C; ci++) {
            const float *gk = cv->w_const + (mo * p->C + ci) * r * r;
            double t[WG_A][WG_A]; /* G g: alpha x r */
            for (int i = 0; i < WG_A; i++)
                for (int j = 0; j < r; j++) {
                    t[i][j] = 0;
                    for (int k = 0; k < r; k++)
                        t[i][j] += w->G[i][k] * gk[k * r + j];
                }
            for (int i = 0; i < WG_A; i++)
                for (int j = 0; j < WG_A; j++) {
                    double s = 0;
                    for (int k = 0; k < r; k++)
                        s += t[i][k] * w->G[j][k];
                    u[((size_t)(i * WG_A + j) * (size_t)p->M + (size_t)mo) * (size_t)p->C +
                      (size_t)ci] = (float)s;
                }
        }
    LLVMValueRef gv = cg_const_bytes(c, u, n * sizeof *u, "wino.u");
    free(u);
    return gv;
}

/* ---- emission ---------------------------------------------------------------------------- */

typedef struct wg_cg {
    cg_ctx *c;
    const cg_conv *a;
    const wg_plan *p;
    LLVMValueRef x, y, bias, pad, v, mo; /* pointers (pad, v, mo: in the scratch) */
    LLVMValueRef xb, yb, ty0;            /* sample offsets, first tile row of the block */
    LLVMValueRef u;                      /* the constant U */
} wg_cg;

/* sum over k < n of coef[k] * v[k], skipping zeros; +-1 as adds and subtractions. */
static LLVMValueRef lincomb(cg_ctx *c, const double *coef, const LLVMValueRef *v, int n) {
    LLVMValueRef s = NULL;
    for (int k = 0; k < n; k++) {
        double a = coef[k];
        if (a == 0) continue;
        LLVMValueRef t = fabs(a) == 1 ? v[k] : cg_fmul(c, cg_f32(c, fabs(a)), v[k]);
        if (!s)
            s = a < 0 ? LLVMBuildFNeg(c->b, t, "") : t;
        else
            s = a < 0 ? LLVMBuildFSub(c->b, s, t, "") : cg_fadd(c, s, t);
    }
    return s ? s : cg_f32(c, 0.0);
}

/* t[k][j] = sum_i M[k][i] x[i][j] for k < rows, j < alpha: the left factor of a tile
 * transform (the right one is lincomb over a row of t). */
static void left_mul(cg_ctx *c, const double M[WG_A][WG_A], int rows, LLVMValueRef x[WG_A][WG_A],
                     LLVMValueRef t[WG_A][WG_A]) {
    for (int k = 0; k < rows; k++)
        for (int j = 0; j < WG_A; j++) {
            LLVMValueRef col[WG_A];
            for (int i = 0; i < WG_A; i++)
                col[i] = x[i][j];
            t[k][j] = lincomb(c, M[k], col, WG_A);
        }
}

/* Channel ci of the sample into its padded plane (loads outside x read the channel's first
 * element and are replaced by zero). */
static void pad_channel(wg_cg *s, LLVMValueRef ci) {
    cg_ctx *c = s->c;
    const glc_conv_geom *g = s->a->geom;
    const wg_plan *p = s->p;
    int64_t pt = g->pad_begin[0], pl = g->pad_begin[1], H = g->in[0], W = g->in[1];
    LLVMValueRef prow0 = cg_madd(c, ci, p->hp * p->wp, NULL);
    LLVMValueRef xc = cg_madd(c, ci, H * W, s->xb);
    cg_loop lr, lq;
    LLVMValueRef py = cg_loop_begin(c, &lr, p->hp);
    LLVMValueRef prow = cg_madd(c, py, p->wp, prow0);
    LLVMValueRef iy = cg_addk(c, py, -pt);
    LLVMValueRef in = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntSGE, iy, cg_i64(c, 0), ""),
                                   LLVMBuildICmp(c->b, LLVMIntSLT, iy, cg_i64(c, H), ""), "");
    LLVMValueRef xrow = cg_madd(c, iy, W, xc);
    LLVMValueRef px = cg_loop_begin(c, &lq, p->wp);
    LLVMValueRef ix = cg_addk(c, px, -pl);
    LLVMValueRef inx = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntSGE, ix, cg_i64(c, 0), ""),
                                    LLVMBuildICmp(c->b, LLVMIntSLT, ix, cg_i64(c, W), ""), "");
    inx = LLVMBuildAnd(c->b, in, inx, "");
    LLVMValueRef xi = LLVMBuildSelect(c->b, inx, cg_iadd(c, xrow, ix), xc, "");
    LLVMValueRef v = LLVMBuildSelect(c->b, inx, cg_ldf(c, s->x, xi), cg_f32(c, 0.0), "");
    cg_stf(c, v, s->pad, cg_iadd(c, prow, px));
    cg_loop_end(c, &lq);
    cg_loop_end(c, &lr);
}

/* Input transform of channel ci over the block's tiles. */
static void input_channel(wg_cg *s, LLVMValueRef ci) {
    cg_ctx *c = s->c;
    const wg_plan *p = s->p;
    int64_t m = p->w.m;
    LLVMValueRef pc = cg_madd(c, ci, p->hp * p->wp, NULL);
    LLVMValueRef vc = cg_madd(c, ci, p->tb, NULL);
    cg_loop lr, lt;
    LLVMValueRef tr = cg_loop_begin(c, &lr, p->nrb);
    LLVMValueRef ty = cg_iadd(c, s->ty0, tr);
    LLVMValueRef prow = cg_madd(c, ty, m * p->wp, pc);
    LLVMValueRef vrow = cg_madd(c, tr, p->tw, vc);
    LLVMValueRef tx = cg_loop_begin(c, &lt, p->tw);
    LLVMValueRef base = cg_madd(c, tx, m, prow);
    LLVMValueRef d[WG_A][WG_A], t[WG_A][WG_A];
    for (int i = 0; i < WG_A; i++)
        for (int j = 0; j < WG_A; j++)
            d[i][j] = cg_ldf(c, s->pad, cg_addk(c, base, i * p->wp + j));
    left_mul(c, p->w.BT, WG_A, d, t); /* t = B^T d */
    LLVMValueRef vt = cg_iadd(c, vrow, tx);
    for (int k = 0; k < WG_A; k++) /* v = t B */
        for (int l = 0; l < WG_A; l++) {
            LLVMValueRef e = lincomb(c, p->w.BT[l], t[k], WG_A);
            cg_stf(c, e, s->v, cg_madd(c, cg_i64(c, k * WG_A + l), p->C * p->tb, vt));
        }
    cg_loop_end(c, &lt);
    cg_loop_end(c, &lr);
}

/* Output transform of output channel mo over the block's tiles. */
static void output_channel(wg_cg *s, LLVMValueRef mo) {
    cg_ctx *c = s->c;
    const glc_conv_geom *g = s->a->geom;
    const wg_plan *p = s->p;
    int64_t m = p->w.m, OH = g->out[0], OW = g->out[1];
    bool edge = OH % m || OW % m;
    LLVMValueRef mrow = cg_madd(c, mo, p->tb, NULL);
    LLVMValueRef yc = cg_madd(c, mo, OH * OW, s->yb);
    LLVMValueRef bias = s->bias ? cg_ldf(c, s->bias, mo) : NULL;
    cg_loop lr, lt;
    LLVMValueRef tr = cg_loop_begin(c, &lr, p->nrb);
    LLVMValueRef ty = cg_iadd(c, s->ty0, tr);
    LLVMValueRef mt0 = cg_madd(c, tr, p->tw, mrow);
    LLVMValueRef tx = cg_loop_begin(c, &lt, p->tw);
    LLVMValueRef mt = cg_iadd(c, mt0, tx);
    LLVMValueRef xm[WG_A][WG_A], t[WG_A][WG_A];
    for (int k = 0; k < WG_A; k++)
        for (int l = 0; l < WG_A; l++)
            xm[k][l] = cg_ldf(c, s->mo, cg_madd(c, cg_i64(c, k * WG_A + l), p->M * p->tb, mt));
    left_mul(c, p->w.AT, (int)m, xm, t); /* t = A^T xm */
    LLVMValueRef oy0 = cg_madd(c, ty, m, NULL), ox0 = cg_madd(c, tx, m, NULL);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            LLVMValueRef v = lincomb(c, p->w.AT[j], t[i], WG_A);
            LLVMValueRef oy = cg_addk(c, oy0, i), ox = cg_addk(c, ox0, j);
            cg_if f;
            if (edge)
                cg_if_begin(c, &f,
                            LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, oy, cg_i64(c, OH), ""),
                                         LLVMBuildICmp(c->b, LLVMIntSLT, ox, cg_i64(c, OW), ""), ""));
            LLVMValueRef yi = cg_iadd(c, cg_madd(c, oy, OW, yc), ox);
            if (bias) v = cg_fadd(c, v, bias);
            if (s->a->accumulate) v = cg_fadd(c, cg_ldf(c, s->y, yi), v);
            cg_stf(c, v, s->y, yi);
            if (edge) cg_if_else(c, &f), cg_if_end(c, &f);
        }
    cg_loop_end(c, &lt);
    cg_loop_end(c, &lr);
}

/* The 36 products of the block, element e in [lo, hi) of a task's range. */
static glc_status products(wg_cg *s, LLVMValueRef lo, LLVMValueRef hi) {
    cg_ctx *c = s->c;
    const wg_plan *p = s->p;
    cg_loop l;
    LLVMValueRef e = cg_loop_range(c, &l, lo, hi);
    cg_gemm gm = {.M = p->M, .N = p->tb, .K = p->C, .a_rs = p->C, .a_cs = 1, .b_rs = p->tb,
                  .b_cs = 1, .y_rs = p->tb, .serial = true};
    gm.a = cg_gep(c, c->f32, s->u, cg_madd(c, e, p->M * p->C, NULL));
    gm.b = cg_gep(c, c->f32, s->v, cg_madd(c, e, p->C * p->tb, NULL));
    gm.y = cg_gep(c, c->f32, s->mo, cg_madd(c, e, p->M * p->tb, NULL));
    glc_status r = cg_gemm_emit(c, &gm);
    cg_loop_end(c, &l);
    return r;
}

/* One block of tile rows [ty0, ty0 + nrb) of the current sample. */
static glc_status block(wg_cg *s) {
    cg_ctx *c = s->c;
    const wg_plan *p = s->p;
    LLVMValueRef *caps[] = {&s->x, &s->y, &s->bias, &s->pad, &s->v, &s->mo, &s->xb, &s->yb,
                            &s->ty0};
    int ncap = (int)(sizeof caps / sizeof caps[0]);
    cg_par par;
    cg_par_begin(c, &par, p->C, true, caps, ncap, "wino.in");
    cg_loop l;
    input_channel(s, cg_loop_range(c, &l, par.lo, par.hi));
    cg_loop_end(c, &l);
    cg_par_end(c, &par);

    cg_par_begin(c, &par, WG_E, true, caps, ncap, "wino.gemm");
    glc_status r = products(s, par.lo, par.hi);
    par.tasks_per_thread = WG_E; /* one product a task: the phase ends within one product */
    cg_par_end(c, &par);

    cg_par_begin(c, &par, p->M, true, caps, ncap, "wino.out");
    output_channel(s, cg_loop_range(c, &l, par.lo, par.hi));
    cg_loop_end(c, &l);
    cg_par_end(c, &par);
    return r;
}

glc_status cg_wino_emit(cg_ctx *c, const cg_conv *cv) {
    const glc_conv_geom *g = cv->geom;
    wg_plan p;
    wg_plan_make(cv, &p);
    wg_cg s = {.c = c, .a = cv, .p = &p, .x = cv->x, .y = cv->y, .bias = cv->bias};
    s.u = weights_global(c, cv, &p);
    if (!s.u) return glc_diag_set(c->d, GLC_E_NOMEM, NULL, "Conv: out of memory");
    s.pad = cv->scratch;
    s.v = cg_gep(c, c->i8, cv->scratch, cg_i64(c, (int64_t)p.p_bytes));
    s.mo = cg_gep(c, c->i8, cv->scratch, cg_i64(c, (int64_t)(p.p_bytes + p.v_bytes)));
    int64_t xn = cv->x_nstride ? cv->x_nstride : g->c_in * g->in[0] * g->in[1];
    int64_t yn = cv->y_nstride ? cv->y_nstride : g->c_out * g->out[0] * g->out[1];
    glc_status r = GLC_OK;
    cg_loop lb, lk;
    LLVMValueRef b = cg_loop_begin_v(c, &lb, cg_dim(c, g->batch)); /* the batch may be symbolic */
    s.xb = cg_madd(c, b, xn, cg_i64(c, 0));
    s.yb = cg_madd(c, b, yn, cg_i64(c, 0));
    LLVMValueRef *caps[] = {&s.x, &s.pad, &s.xb};
    cg_par par;
    cg_par_begin(c, &par, p.C, true, caps, 3, "wino.pad");
    cg_loop l;
    pad_channel(&s, cg_loop_range(c, &l, par.lo, par.hi));
    cg_loop_end(c, &l);
    cg_par_end(c, &par);
    LLVMValueRef kb = cg_loop_begin(c, &lk, p.th / p.nrb);
    s.ty0 = cg_madd(c, kb, p.nrb, cg_i64(c, 0));
    r = block(&s);
    cg_loop_end(c, &lk);
    cg_loop_end(c, &lb);
    return r;
}
