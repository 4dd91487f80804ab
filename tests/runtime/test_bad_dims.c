/*
 * test_bad_dims.c -- a compiled model with symbolic dims refuses bad input dims without
 * touching a buffer (issue 20, item 1; best run under ASan+UBSan, build-asan).
 *
 * Four models, each compiled once in-process (cg_test_util.h): an LSTM on X (T, N, 3);
 * an Add of x (N, 4) and y (N, 4), one symbol N; x (A, B) reshaped to (A*B/6, 6) and
 * multiplied by w (J, P) (constraints: A*B divisible by 6, J == 6); the Add again with
 * N bounded by 8 (--max-dim N=8). For each, buffers are allocated for one valid call
 * (inputs exactly sized, outputs and workspace with GUARD bytes after them, all filled
 * with a known byte), then plan() and invoke() get bad dims: two inputs' N differing,
 * negative, zero, INT64_MIN/MAX, beyond the bound, a product whose byte size overflows
 * int64, a static dim changed, a constraint broken; and a workspace smaller than the one
 * planned. Each must return its documented status (GLC_RT_E_SHAPE, GLC_RT_E_WORKSPACE,
 * GLC_RT_E_ARG) and leave every output byte, guard byte and workspace byte as it was, and
 * plan() must not write its outputs. The valid calls at two sizes must succeed, match the
 * reference interpreter and keep the guards.
 */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

#define GUARD 64
#define FILL 0xA5
#define BIG (((int64_t)1 << 31) - 1) /* GLC_DIM_SYM_MAX: the largest value a symbol takes */

/* ---- the models ---------------------------------------------------------------------- */

static void fill_const(float *p, int64_t n, int mul) {
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)((i * mul) % 13 - 6) * 0.05f;
}

/* LSTM on X (T, N, 3), hidden 4; outputs Y (T, 1, N, 4) and Y_h (1, N, 4). */
static void build_lstm(glc_graph *g, const void *ctx) {
    (void)ctx;
    glc_dim T = glc_dim_symbol(g, "T"), N = glc_dim_symbol(g, "N");
    float w[16 * 4], b[32];
    glc_value_id in[4] = {cg_in(g, "X", GLC_DT_F32, 3, (int64_t[]){T, N, 3})};
    fill_const(w, 16 * 3, 5);
    in[1] = glc_graph_add_const(g, "W", GLC_DT_F32, 3, (int64_t[]){1, 16, 3}, w);
    fill_const(w, 16 * 4, 7);
    in[2] = glc_graph_add_const(g, "R", GLC_DT_F32, 3, (int64_t[]){1, 16, 4}, w);
    fill_const(b, 32, 3);
    in[3] = glc_graph_add_const(g, "B", GLC_DT_F32, 2, (int64_t[]){1, 32}, b);
    glc_value_id out[2] = {glc_graph_add_value(g, "Y", GLC_DT_UNDEF, 0, NULL),
                           glc_graph_add_value(g, "Y_h", GLC_DT_UNDEF, 0, NULL)};
    glc_node_id n = glc_graph_add_node(g, GLC_OP_LSTM, "lstm", in, 4, out, 2);
    glc_node_set_int(g, n, "hidden_size", 4);
    glc_graph_add_output(g, out[0]);
    glc_graph_add_output(g, out[1]);
}

/* x (N, 4) + y (N, 4); N bounded by *max when ctx is given. */
static void build_add(glc_graph *g, const void *ctx) {
    glc_dim N = glc_dim_symbol(g, "N");
    if (ctx) g->syms[glc_dim_symbol_index(g, N)].max = *(const int64_t *)ctx;
    glc_value_id in[2] = {cg_in(g, "x", GLC_DT_F32, 2, (int64_t[]){N, 4}),
                          cg_in(g, "y", GLC_DT_F32, 2, (int64_t[]){N, 4})};
    glc_graph_add_output(g, cg_node(g, GLC_OP_ADD, "add", in, 2, NULL));
}

/* x (A, B) -> Reshape [-1, 6] -> (A*B/6, 6) -> MatMul w (J, P) -> (A*B/6, P). */
static void build_reshape_matmul(glc_graph *g, const void *ctx) {
    (void)ctx;
    glc_dim A = glc_dim_symbol(g, "A"), B = glc_dim_symbol(g, "B");
    glc_dim J = glc_dim_symbol(g, "J"), P = glc_dim_symbol(g, "P");
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 2, (int64_t[]){A, B});
    glc_value_id w = cg_in(g, "w", GLC_DT_F32, 2, (int64_t[]){J, P});
    glc_value_id shape =
        glc_graph_add_const(g, "shape", GLC_DT_I64, 1, (int64_t[]){2}, (int64_t[]){-1, 6});
    glc_value_id r = cg_node(g, GLC_OP_RESHAPE, "flat", (glc_value_id[]){x, shape}, 2, NULL);
    glc_graph_add_output(g, cg_node(g, GLC_OP_MATMUL, "mm", (glc_value_id[]){r, w}, 2, NULL));
}

/* ---- buffers for one valid call -------------------------------------------------------- */

typedef struct io {
    uint32_t n_in, n_out;
    void *in[CG_SYM_MAX_IO], *out[CG_SYM_MAX_IO];
    uint64_t out_size[CG_SYM_MAX_IO];
    void *ws;
    uint64_t ws_size;
} io;

static const int64_t *const *dims_of(const cg_sym_dims *r, const int64_t **buf) {
    for (int i = 0; i < CG_SYM_MAX_IO; i++)
        buf[i] = r->dims[i];
    return buf;
}

static size_t nbytes(const glc_tensor_info *t, const int64_t *dims) {
    size_t n = 4; /* every tensor here is f32 */
    for (int a = 0; a < t->rank; a++)
        n *= (size_t)dims[a];
    return n;
}

static void *filled(size_t n) {
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    memset(p, FILL, n);
    return p;
}

/* Plans m at the valid dims r and allocates: inputs exactly, outputs and workspace with
 * GUARD bytes after them, everything FILL but the inputs (random floats). */
static void io_alloc(const glc_rt_model *m, const cg_sym_dims *r, io *b) {
    const glc_model_desc *md = glc_rt_model_desc(m);
    const int64_t *dbuf[CG_SYM_MAX_IO];
    int64_t od[CG_SYM_MAX_IO][GLC_MAX_RANK], *odp[CG_SYM_MAX_IO];
    for (int i = 0; i < CG_SYM_MAX_IO; i++)
        odp[i] = od[i];
    memset(b, 0, sizeof *b);
    assert_int_equal(glc_rt_model_plan(m, dims_of(r, dbuf), odp, &b->ws_size), GLC_RT_OK);
    b->n_in = md->n_inputs, b->n_out = md->n_outputs;
    unsigned seed = 17;
    for (uint32_t i = 0; i < b->n_in; i++) {
        size_t n = nbytes(&md->inputs[i], r->dims[i]);
        float *p = filled(n);
        for (size_t k = 0; k < n / 4; k++)
            p[k] = (float)rand_r(&seed) / (float)RAND_MAX - 0.5f;
        b->in[i] = p;
    }
    for (uint32_t j = 0; j < b->n_out; j++) {
        b->out_size[j] = nbytes(&md->outputs[j], od[j]);
        b->out[j] = filled(b->out_size[j] + GUARD);
    }
    b->ws = filled(b->ws_size + GUARD);
}

static void io_free(io *b) {
    for (uint32_t i = 0; i < b->n_in; i++)
        free(b->in[i]);
    for (uint32_t j = 0; j < b->n_out; j++)
        free(b->out[j]);
    free(b->ws);
}

/* Whether n bytes at p are all FILL. */
static bool untouched(const void *p, uint64_t n) {
    const unsigned char *c = p;
    for (uint64_t i = 0; i < n; i++)
        if (c[i] != FILL) return false;
    return true;
}

static void expect_untouched(const io *b, const char *what) {
    for (uint32_t j = 0; j < b->n_out; j++)
        if (!untouched(b->out[j], b->out_size[j] + GUARD))
            fail_msg("%s: output %u was written", what, j);
    if (!untouched(b->ws, b->ws_size + GUARD)) fail_msg("%s: the workspace was written", what);
}

/* ---- the checks ------------------------------------------------------------------------- */

/* plan() and invoke() with dims r (on b's buffers, workspace size ws_size) give want;
 * nothing is written: not plan()'s outputs, not a buffer. */
static void expect_refused_ws(const glc_rt_model *m, io *b, const cg_sym_dims *r,
                              uint64_t ws_size, glc_rt_status want, const char *what) {
    const int64_t *dbuf[CG_SYM_MAX_IO];
    const int64_t *const *dims = dims_of(r, dbuf);
    if (want == GLC_RT_E_SHAPE) {
        int64_t od[CG_SYM_MAX_IO][GLC_MAX_RANK], *odp[CG_SYM_MAX_IO];
        for (int i = 0; i < CG_SYM_MAX_IO; i++)
            odp[i] = od[i];
        memset(od, FILL, sizeof od);
        uint64_t wss;
        memset(&wss, FILL, sizeof wss);
        glc_rt_status s = glc_rt_model_plan(m, dims, odp, &wss);
        if (s != want) fail_msg("%s: plan gave %d, want %d", what, (int)s, (int)want);
        if (!untouched(od, sizeof od) || !untouched(&wss, sizeof wss))
            fail_msg("%s: a refused plan wrote its outputs", what);
    }
    glc_rt_status s = glc_rt_model_run(m, (const void *const *)b->in, dims, b->out, b->ws, ws_size);
    if (s != want) fail_msg("%s: invoke gave %d, want %d", what, (int)s, (int)want);
    s = glc_rt_model_run_with(m, (const void *const *)b->in, dims, b->out, b->ws, ws_size, NULL);
    if (s != want) fail_msg("%s: invoke_with gave %d, want %d", what, (int)s, (int)want);
    expect_untouched(b, what);
}

static void expect_refused(const glc_rt_model *m, io *b, const cg_sym_dims *r, const char *what) {
    expect_refused_ws(m, b, r, b->ws_size, GLC_RT_E_SHAPE, what);
}

/* The valid call on b's buffers succeeds and keeps the guards; then b is FILLed again. */
static void expect_ok(const glc_rt_model *m, io *b, const cg_sym_dims *r) {
    const int64_t *dbuf[CG_SYM_MAX_IO];
    assert_int_equal(glc_rt_model_run(m, (const void *const *)b->in, dims_of(r, dbuf), b->out,
                                      b->ws, b->ws_size),
                     GLC_RT_OK);
    for (uint32_t j = 0; j < b->n_out; j++) {
        assert_true(untouched((char *)b->out[j] + b->out_size[j], GUARD));
        assert_false(untouched(b->out[j], b->out_size[j])); /* it did write */
        memset(b->out[j], FILL, b->out_size[j]);
    }
    assert_true(untouched((char *)b->ws + b->ws_size, GUARD));
    memset(b->ws, FILL, b->ws_size);
}

/* Missing arrays are GLC_RT_E_ARG, also with b's valid dims. */
static void expect_null_dims_refused(const glc_rt_model *m, io *b) {
    const int64_t *none[CG_SYM_MAX_IO] = {0};
    uint64_t wss;
    assert_int_equal(glc_rt_model_plan(m, NULL, NULL, &wss), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_model_plan(m, none, NULL, &wss), GLC_RT_E_ARG);
    assert_int_equal(glc_rt_model_run(m, (const void *const *)b->in, NULL, b->out, b->ws, b->ws_size),
                     GLC_RT_E_ARG);
    assert_int_equal(glc_rt_model_run(m, (const void *const *)b->in, none, b->out, b->ws, b->ws_size),
                     GLC_RT_E_ARG);
    expect_untouched(b, "NULL dims");
}

/* A workspace smaller than planned (by one byte, NULL) is GLC_RT_E_WORKSPACE; so is the
 * workspace planned for b's dims when a valid call at bigger dims needs more. For a
 * model that has a workspace. */
static void expect_short_ws_refused(const glc_rt_model *m, io *b, const cg_sym_dims *valid,
                                    const cg_sym_dims *bigger) {
    assert_true(b->ws_size > 0);
    expect_refused_ws(m, b, valid, b->ws_size - 1, GLC_RT_E_WORKSPACE, "ws - 1");
    const int64_t *dbuf[CG_SYM_MAX_IO];
    assert_int_equal(glc_rt_model_run(m, (const void *const *)b->in, dims_of(valid, dbuf), b->out,
                                      NULL, b->ws_size),
                     GLC_RT_E_WORKSPACE);
    expect_untouched(b, "NULL ws");
    uint64_t need;
    assert_int_equal(glc_rt_model_plan(m, dims_of(bigger, dbuf), NULL, &need), GLC_RT_OK);
    assert_true(need > b->ws_size);
    expect_refused_ws(m, b, bigger, b->ws_size, GLC_RT_E_WORKSPACE, "ws of smaller dims");
}

/* Compiles build's graph (symbolic) to file and opens it. */
static glc_rt_model *compile_sym(cg_sym_builder build, const void *ctx, const char *file) {
    glc_graph *g = cg_sym_graph(build, ctx, NULL);
    glc_rt_model *m = cg_compile(g, file);
    glc_graph_destroy(g);
    return m;
}

/* ---- the tests ---------------------------------------------------------------------------- */

static void test_bad_dims__lstm_symbolic_batch_and_time(void **state) {
    (void)state;
    cg_sym_dims good[2] = {{{{5, 2, 3}}}, {{{3, 7, 3}}}};
    cg_check_sym_vs_interp(build_lstm, NULL, "lstm_good.so", good, 2, 0);
    glc_rt_model *m = compile_sym(build_lstm, NULL, "lstm.so");
    io b;
    io_alloc(m, &good[0], &b);
    expect_ok(m, &b, &good[0]);
    static const struct {
        int64_t d[3];
        const char *what;
    } bad[] = {
        {{-1, 2, 3}, "T negative"},        {{5, -2, 3}, "N negative"},
        {{0, 2, 3}, "T zero"},             {{5, 0, 3}, "N zero"},
        {{5, 2, 4}, "static I changed"},   {{5, 2, 0}, "static I zero"},
        {{5, 2, -3}, "static I negative"}, {{INT64_MIN, 2, 3}, "T INT64_MIN"},
        {{5, INT64_MAX, 3}, "N INT64_MAX"}, {{BIG + 1, 2, 3}, "T beyond 2^31 - 1"},
        {{BIG, BIG, 3}, "T*N*16 bytes overflow int64"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cg_sym_dims r = {{{bad[k].d[0], bad[k].d[1], bad[k].d[2]}}};
        expect_refused(m, &b, &r, bad[k].what);
    }
    expect_null_dims_refused(m, &b);
    expect_short_ws_refused(m, &b, &good[0], &good[1]);
    expect_ok(m, &b, &good[0]); /* still fine after all that */
    io_free(&b);
    glc_rt_model_close(m);
}

static void test_bad_dims__add_inputs_sharing_a_symbol(void **state) {
    (void)state;
    cg_sym_dims good[2] = {{{{3, 4}, {3, 4}}}, {{{11, 4}, {11, 4}}}};
    cg_check_sym_vs_interp(build_add, NULL, "add_good.so", good, 2, 0);
    glc_rt_model *m = compile_sym(build_add, NULL, "add.so");
    io b;
    io_alloc(m, &good[0], &b);
    expect_ok(m, &b, &good[0]);
    static const struct {
        int64_t x[2], y[2];
        const char *what;
    } bad[] = {
        {{3, 4}, {2, 4}, "N differs (y smaller)"},
        {{2, 4}, {3, 4}, "N differs (x smaller)"},
        {{3, 4}, {1, 4}, "N differs (y 1: no broadcasting of a shared symbol)"},
        {{-3, 4}, {-3, 4}, "N negative in both"},
        {{0, 4}, {0, 4}, "N zero in both"},
        {{3, 4}, {3, 5}, "static dim of y changed"},
        {{BIG + 1, 4}, {BIG + 1, 4}, "N beyond 2^31 - 1"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cg_sym_dims r = {{{bad[k].x[0], bad[k].x[1]}, {bad[k].y[0], bad[k].y[1]}}};
        expect_refused(m, &b, &r, bad[k].what);
    }
    expect_null_dims_refused(m, &b);
    expect_ok(m, &b, &good[0]);
    io_free(&b);
    glc_rt_model_close(m);
}

static void test_bad_dims__reshape_matmul_constraints_tie_symbols(void **state) {
    (void)state;
    /* x (A, B) -> (A*B/6, 6) @ w (6, P) */
    cg_sym_dims good[2] = {{{{4, 3}, {6, 5}}}, {{{2, 9}, {6, 2}}}};
    cg_check_sym_vs_interp(build_reshape_matmul, NULL, "rm_good.so", good, 2, 0);
    glc_rt_model *m = compile_sym(build_reshape_matmul, NULL, "rm.so");
    io b;
    io_alloc(m, &good[0], &b);
    expect_ok(m, &b, &good[0]);
    static const struct {
        int64_t x[2], w[2];
        const char *what;
    } bad[] = {
        {{4, 3}, {5, 5}, "J != 6"},
        {{4, 3}, {7, 5}, "J != 6 (bigger)"},
        {{5, 1}, {6, 5}, "A*B not divisible by 6"},
        {{4, 3}, {6, 0}, "P zero"},
        {{4, 3}, {6, -1}, "P negative"},
        {{-4, -3}, {6, 5}, "A, B negative (product positive)"},
        {{BIG, BIG - 1}, {6, 5}, "A*B*4 bytes overflow int64"},
        /* (A*B/6) * P * 4 = (2^30 + 1) * (2^31 - 1) * 4 = 2^63 + 2^32 - 4 */
        {{6, ((int64_t)1 << 30) + 1}, {6, BIG}, "output bytes just over INT64_MAX"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cg_sym_dims r = {{{bad[k].x[0], bad[k].x[1]}, {bad[k].w[0], bad[k].w[1]}}};
        expect_refused(m, &b, &r, bad[k].what);
    }
    expect_null_dims_refused(m, &b);
    /* Just below the overflow: (2^30) * (2^31 - 1) * 4 = 2^63 - 2^32 bytes plan fine. */
    const int64_t x_edge[2] = {6, (int64_t)1 << 30}, w_edge[2] = {6, BIG};
    const int64_t *edge[2] = {x_edge, w_edge};
    int64_t od[2], *odp[1] = {od};
    uint64_t wss = 1;
    assert_int_equal(glc_rt_model_plan(m, edge, odp, &wss), GLC_RT_OK);
    assert_true(od[0] == (int64_t)1 << 30 && od[1] == BIG && wss == 0);
    expect_ok(m, &b, &good[0]);
    io_free(&b);
    glc_rt_model_close(m);
}

static void test_bad_dims__max_dim_bounds_a_symbol(void **state) {
    (void)state;
    const int64_t max = 8;
    cg_sym_dims good[2] = {{{{1, 4}, {1, 4}}}, {{{8, 4}, {8, 4}}}};
    cg_check_sym_vs_interp(build_add, &max, "addmax_good.so", good, 2, 0);
    glc_rt_model *m = compile_sym(build_add, &max, "addmax.so");
    const glc_model_desc *md = glc_rt_model_desc(m);
    assert_int_equal(md->outputs[0].size_bytes, 8 * 4 * 4); /* the worst case */
    assert_int_equal(md->outputs[0].max_dims[0], 8);
    io b;
    io_alloc(m, &good[1], &b); /* the worst case's buffers */
    expect_ok(m, &b, &good[1]);
    expect_ok(m, &b, &good[0]);
    static const int64_t bad[] = {9, 16, BIG, BIG + 1, INT64_MAX, 0, -8};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cg_sym_dims r = {{{bad[k], 4}, {bad[k], 4}}};
        char what[64];
        snprintf(what, sizeof what, "N = %lld with --max-dim N=8", (long long)bad[k]);
        expect_refused(m, &b, &r, what);
    }
    cg_sym_dims mixed = {{{8, 4}, {9, 4}}};
    expect_refused(m, &b, &mixed, "x's N 8, y's 9");
    io_free(&b);
    glc_rt_model_close(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_dims__lstm_symbolic_batch_and_time),
        cmocka_unit_test(test_bad_dims__add_inputs_sharing_a_symbol),
        cmocka_unit_test(test_bad_dims__reshape_matmul_constraints_tie_symbols),
        cmocka_unit_test(test_bad_dims__max_dim_bounds_a_symbol),
    };
    return cmocka_run_group_tests_name("bad_dims", tests, cg_group_setup, cg_group_teardown);
}
