/* test_gemm.c -- cg_gemm_emit (codegen/gemm.c) through the glc_codegen_emit_gemms() hook:
 * every shape class of the blocked product (M, N, K around the tile, panel and block
 * edges: 1, 2, 5, 15..17, 31..33, 64, 100, K > 256 for the K-block loop, M*K large for
 * M blocks; one M block with several K blocks takes the panels-outermost order, run as
 * tasks ({100, 65, 257}) or not ({7, 50, 700}: four K blocks)), each in several layouts (row-major, transposed and gapped A/B, compile-time
 * A/B, scratch or alloca pack buffer, accumulate, padded Y rows) against a double
 * reference with the worst-case summation bound |err| <= (K+2) eps sum|A||B| (+ |Y0|). Y's
 * row padding and tail hold values that must survive (masked edge stores). The suite runs
 * for the default target (the host's; 8-lane tiles with
 * GLC_DEFAULT_CPU=x86-64-v3), and for every row of the tiling table (codegen/isa.c) with that row's own
 * tile and panel edges added to the shapes: run where the host can (x86 rows), compiled
 * only elsewhere (the AArch64 row runs under qemu in tests/cross). */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

#include "cg_testing.h"

#include <dlfcn.h>

typedef void (*gemm_fn)(float *, const float *, const float *, void *);

typedef struct shape {
    int64_t M, N, K;
} shape;

static const shape BASE_SHAPES[] = {
    {1, 1, 1},     {2, 5, 15},     {5, 17, 16},   {15, 31, 33},  {16, 33, 17},
    {17, 64, 100}, {31, 100, 5},   {33, 2, 64},   {64, 48, 31},  {100, 65, 257},
    {13, 47, 600}, {1, 2048, 512}, {8, 100, 300}, {25, 31, 1},   {600, 33, 256},
    {3, 16, 0},    {12, 32, 2},    {24, 96, 513}, {40, 70, 521}, {7, 50, 700},
};
enum { N_BASE = sizeof BASE_SHAPES / sizeof BASE_SHAPES[0], N_LAYOUTS = 9 };
enum { ROW_SHAPES = 4 * 3, N_SHAPES = N_BASE + ROW_SHAPES, MAX_ROWS = 8 };

/* The base shapes, then around a row's tiles (MR x NR of each panel kind, and of its
 * narrow tile): one more than a tile each way, two tiles less one, and one tile's rows
 * over three panels. */
static int suite_shapes(const glc_isa_row *r, shape *out) {
    int n = 0;
    for (int k = 0; k < N_BASE; k++)
        out[n++] = BASE_SHAPES[k];
    for (int p = 0; r && p < 4; p++) {
        if (!r->mr[p]) continue;
        int64_t mr = r->mr[p], nr = (int64_t)r->vl * r->nv[p];
        out[n++] = (shape){mr + 1, nr + 1, 37};
        out[n++] = (shape){2 * mr - 1, 2 * nr - 1, 300};
        out[n++] = (shape){mr, 3 * nr, 257};
    }
    return n;
}

/* Host operands of one case: storage sized by the strides. */
typedef struct gcase {
    glc_gemm_test t;
    float *a, *b, *y0;
    size_t na, nb, ny;
} gcase;

static size_t span(int64_t r, int64_t rs, int64_t cn, int64_t cs) {
    return (size_t)((r > 0 ? (r - 1) * rs : 0) + (cn > 0 ? (cn - 1) * cs : 0) + 1);
}

/* Layout l of shape s: 0 row-major runtime; 1 transposed A and B, accumulate; 2 const A and
 * B, padded Y, accumulate; 3 gapped A, padded B rows, alloca buffer; 4 const transposed B;
 * 5 gapped B columns, const A, padded Y; 6 const transposed B (a recurrence's weights),
 * panels of 4 vectors, an epilogue (Y = 2 Y + a[0] per tile); 7 runtime B, accumulate,
 * padded Y, epilogue; 8 as 6 with panels of 3 vectors (a GRU's weights). */
static void make_case(gcase *g, shape s, int l, unsigned *seed) {
    int64_t M = s.M, N = s.N, K = s.K;
    glc_gemm_test t = {
        .M = M, .N = N, .K = K, .a_rs = K, .a_cs = 1, .b_rs = N, .b_cs = 1, .y_rs = N};
    switch (l) {
    case 1:
        t.a_rs = 1, t.a_cs = M, t.b_rs = 1, t.b_cs = K, t.accumulate = true;
        break;
    case 2:
        t.y_rs = N + 3, t.accumulate = true;
        break;
    case 3:
        t.a_rs = 2 * K + 1, t.a_cs = 2, t.b_rs = N + 5, t.no_scratch = true;
        break;
    case 4:
        t.b_rs = 1, t.b_cs = K;
        break;
    case 5:
        t.b_rs = 3 * N, t.b_cs = 3, t.y_rs = N + 1;
        break;
    case 6:
        t.b_rs = 1, t.b_cs = K, t.epilogue = K > 0, t.panel_gates = 4; /* K == 0: no epilogue */
        break;
    case 7:
        t.y_rs = N + 2, t.accumulate = true, t.epilogue = K > 0;
        break;
    case 8:
        t.b_rs = 1, t.b_cs = K, t.epilogue = K > 0, t.panel_gates = 3;
        break;
    }
    g->na = span(M, t.a_rs, K, t.a_cs);
    g->nb = span(K, t.b_rs, N, t.b_cs);
    g->ny = span(M, t.y_rs, N, 1) + 16;
    g->a = malloc(g->na * sizeof(float));
    g->b = malloc(g->nb * sizeof(float));
    g->y0 = malloc(g->ny * sizeof(float));
    for (size_t i = 0; i < g->na; i++)
        g->a[i] = (float)rand_r(seed) / (float)RAND_MAX * 2 - 1;
    for (size_t i = 0; i < g->nb; i++)
        g->b[i] = (float)rand_r(seed) / (float)RAND_MAX * 2 - 1;
    for (size_t i = 0; i < g->ny; i++)
        g->y0[i] = (float)rand_r(seed) / (float)RAND_MAX * 2 - 1;
    if (l == 2 || l == 5) t.a_const = g->a;
    if (l == 2 || l == 4 || l == 6 || l == 8) t.b_const = g->b;
    g->t = t;
}

/* x rounded to bf16 and back (nearest even; test inputs are finite). */
static float bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* What the products round: nothing (f32), compile-time B operands (--bf16-weights), or
 * both operands (--bf16: bf16 dot products). */
typedef enum { MODE_F32, MODE_BF16_WEIGHTS, MODE_BF16_DOT } gmode;

/* Runs kernel k of case g and checks it; returns the number of bad elements. The reference
 * rounds the operands to bf16 as the mode's kernel holds them. */
static int check_case(void *h, int k, const gcase *g, gmode mode) {
    gemm_fn f;
    char sym[64];
    snprintf(sym, sizeof sym, "glc_test_gemm%d", k);
    *(void **)&f = dlsym(h, sym);
    assert_non_null(f);
    const glc_gemm_test *t = &g->t;
    float *y = malloc(g->ny * sizeof *y);
    memcpy(y, g->y0, g->ny * sizeof *y);
    void *scratch = t->scratch_bytes ? aligned_alloc(64, (t->scratch_bytes + 63) / 64 * 64) : NULL;
    f(y, g->a, g->b, scratch);
    free(scratch);
    int bad = 0;
    for (int64_t i = 0; i < t->M; i++)
        for (int64_t j = 0; j < t->y_rs; j++) {
            size_t yi = (size_t)(i * t->y_rs + j);
            if (yi >= g->ny) break;
            if (j >= t->N) { /* padding: untouched */
                bad += y[yi] != g->y0[yi];
                continue;
            }
            double ref = t->accumulate ? g->y0[yi] : 0, mag = fabs(ref);
            for (int64_t q = 0; q < t->K; q++) {
                float av = g->a[i * t->a_rs + q * t->a_cs], bv = g->b[q * t->b_rs + j * t->b_cs];
                if ((mode == MODE_BF16_WEIGHTS && t->b_const) || mode == MODE_BF16_DOT)
                    bv = bf16_round(bv);
                if (mode == MODE_BF16_DOT) av = bf16_round(av);
                double p = (double)av * bv;
                ref += p;
                mag += fabs(p);
            }
            if (t->epilogue) { /* exactly once, on the final sums */
                ref = 2 * ref + g->a[0];
                mag = 2 * mag + fabs(g->a[0]);
            }
            double tol = (double)(t->K + 2) * 1.2e-7 * mag + 1e-30;
            if (fabs(y[yi] - ref) > tol) {
                if (bad < 5)
                    fprintf(stderr,
                            "case %d (M %lld N %lld K %lld): y[%lld,%lld] = %.9g, want %.9g\n", k,
                            (long long)t->M, (long long)t->N, (long long)t->K, (long long)i,
                            (long long)j, y[yi], ref);
                bad++;
            }
        }
    size_t tail = (size_t)(t->M > 0 ? t->M * t->y_rs : 0); /* past the last row: untouched */
    for (size_t yi = tail; yi < g->ny; yi++)
        bad += y[yi] != g->y0[yi];
    free(y);
    return bad;
}

/* Whether the host runs code that needs feature (false off x86, and for NULL). */
static bool host_has(const char *feature) {
#if defined(__x86_64__)
    if (!feature) return false;
    if (!strcmp(feature, "avx512f")) return __builtin_cpu_supports("avx512f");
    if (!strcmp(feature, "avx2"))
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    (void)feature;
    return false;
}

/* The target of a suite: the host (all NULL), a cpu, or a tiling table row's target;
 * run: load and check the kernels (else only compile an object). */
typedef struct suite_target {
    const char *triple, *cpu, *features;
    const glc_isa_row *row; /* its tile edges join the shapes; the row must be chosen */
    bool run;
} suite_target;

/* Compiles every (shape, layout) case for target st and, if st->run, checks them all. */
static void run_suite(const suite_target *st, gmode mode) {
    enum { N_CASES = N_SHAPES * N_LAYOUTS };
    static gcase cases[N_CASES];
    static glc_gemm_test ts[N_CASES];
    shape shapes[N_SHAPES];
    int ns = suite_shapes(st->row, shapes), nc = ns * N_LAYOUTS;
    unsigned seed = 7;
    for (int s = 0; s < ns; s++)
        for (int l = 0; l < N_LAYOUTS; l++) {
            make_case(&cases[s * N_LAYOUTS + l], shapes[s], l, &seed);
            ts[s * N_LAYOUTS + l] = cases[s * N_LAYOUTS + l].t;
        }
    assert_int_equal(cg_make_tmpdir(), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/gemm.%s", cg_tmpdir, st->run ? "so" : "o");
    glc_codegen_options o = glc_codegen_defaults();
    o.triple = st->triple;
    o.cpu = st->cpu;
    o.features = st->features;
    o.emit = st->run ? GLC_EMIT_SO : GLC_EMIT_OBJ;
    o.bf16_weights = mode == MODE_BF16_WEIGHTS;
    o.bf16_dot = mode == MODE_BF16_DOT;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit_gemms(&o, ts, nc, path, &d)) fail_msg("emit_gemms: %s", d.msg);
    if (st->row) assert_string_equal(ts[0].isa, st->row->name);
    int bad = 0, packed = 0;
    void *h = st->run ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (st->run) assert_non_null(h);
    for (int k = 0; k < nc; k++) {
        cases[k].t.scratch_bytes = ts[k].scratch_bytes;
        packed += ts[k].scratch_bytes > 0;
        if (h) bad += check_case(h, k, &cases[k], mode);
    }
    if (h) dlclose(h);
    cg_rm_tmpdir();
    for (int k = 0; k < nc; k++) {
        free(cases[k].a);
        free(cases[k].b);
        free(cases[k].y0);
    }
    assert_true(packed > 0); /* the runtime pack path was exercised */
    assert_int_equal(bad, 0);
}

static void run_host(gmode mode) {
    suite_target st = {.run = true};
    run_suite(&st, mode);
}

static void run_cpu(const char *cpu, gmode mode) {
    suite_target st = {.cpu = cpu, .run = true};
    run_suite(&st, mode);
}

static void test_gemm__all_shapes_and_layouts_match_double_reference(void **state) {
    (void)state;
    run_host(MODE_F32); /* the host's row (AVX-512 tiles, 16 lanes, 12 x 32, on ours) */
}

/* --bf16-weights: compile-time B operands held as bf16; the reference rounds them the same
 * way, so the f32 summation bound still holds (runtime-B layouts are unaffected). */
static void test_gemm__bf16_weights_match_the_rounded_reference(void **state) {
    (void)state;
    run_host(MODE_BF16_WEIGHTS);
    CG_REQUIRE_HOST("avx2");
    CG_REQUIRE_HOST("fma");
    run_cpu("haswell", MODE_BF16_WEIGHTS);
}

/* --bf16: every product as vdpbf16ps on bf16 pairs (odd K padded, A and B packed as pairs
 * at compile or run time); the reference rounds both operands, so the f32 summation bound
 * holds again (vdpbf16ps' products of bf16 are exact in f32). */
static void test_gemm__bf16_dot_products_match_the_rounded_reference(void **state) {
    (void)state;
    cg_require_target("avx512bf16"); /* glc emits vdpbf16ps */
    CG_REQUIRE_HOST("avx512bf16");   /* and this host runs it */
    run_host(MODE_BF16_DOT);
}

/* A target without avx512bf16 is refused with a diagnostic, not compiled some other way. */
static void test_gemm__bf16_dot_needs_avx512bf16(void **state) {
    (void)state;
    glc_gemm_test t = {
        .M = 2, .N = 2, .K = 2, .a_rs = 2, .a_cs = 1, .b_rs = 2, .b_cs = 1, .y_rs = 2};
    assert_int_equal(cg_make_tmpdir(), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/gemm_nobf16.so", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    o.cpu = "haswell";
    o.bf16_dot = true;
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_codegen_emit_gemms(&o, &t, 1, path, &d), GLC_E_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "--bf16 needs avx512bf16"));
    assert_int_equal(access(path, F_OK), -1);
    cg_rm_tmpdir();
}

static void test_gemm__const_panels_shared_by_content_only(void **state) {
    (void)state; /* b0 and b1 hold the same values (one packed global), b2 other values */
    enum { M = 5, N = 40, K = 37 };
    unsigned seed = 3;
    gcase cs[3];
    glc_gemm_test ts[3];
    for (int k = 0; k < 3; k++) {
        make_case(&cs[k], (shape){M, N, K}, 4, &seed);
        if (k == 1) memcpy(cs[1].b, cs[0].b, cs[0].nb * sizeof(float));
        ts[k] = cs[k].t;
    }
    assert_int_equal(cg_make_tmpdir(), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/gemm_share.so", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit_gemms(&o, ts, 3, path, &d)) fail_msg("emit_gemms: %s", d.msg);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    int bad = 0;
    for (int k = 0; k < 3; k++)
        bad += check_case(h, k, &cs[k], MODE_F32);
    dlclose(h);
    cg_rm_tmpdir();
    for (int k = 0; k < 3; k++) {
        free(cs[k].a);
        free(cs[k].b);
        free(cs[k].y0);
    }
    assert_int_equal(bad, 0);
}

/* Every row of the tiling table, with its own tile and panel edges: run where the host
 * can (the x86 rows), compiled for its target elsewhere; each row's example target must
 * select that row. */
static void test_gemm__every_isa_row_matches_double_reference(void **state) {
    (void)state;
    glc_isa_row rows[MAX_ROWS];
    int n = glc_codegen_isa_rows(rows, MAX_ROWS);
    assert_in_range(n, 1, MAX_ROWS);
    for (int k = 0; k < n; k++) {
        suite_target st = {.triple = rows[k].triple,
                           .cpu = rows[k].cpu,
                           .features = rows[k].features,
                           .row = &rows[k],
                           .run = host_has(rows[k].host_feature)};
        fprintf(stderr, "gemm: isa row %s (%s%s%s): %s\n", rows[k].name, rows[k].triple,
                rows[k].cpu[0] ? " " : "", rows[k].cpu, st.run ? "run" : "compiled only");
        run_suite(&st, MODE_F32);
    }
}

/* The table's shapes (the narrow tiles too): the accumulators, B vectors and A broadcast
 * of a tile fit the row's register file; the gate panels hold whole groups of 3 and 4
 * gates; within gemm.c's limits (16 rows, 4 vectors per tile row). */
static void test_gemm__isa_rows_fit_their_register_files(void **state) {
    (void)state;
    glc_isa_row rows[MAX_ROWS];
    int n = glc_codegen_isa_rows(rows, MAX_ROWS);
    for (int k = 0; k < n; k++)
        for (int p = 0; p < 4; p++) {
            const glc_isa_row *r = &rows[k];
            if (p == 3 && !r->mr[p]) continue; /* no narrow tile */
            assert_in_range(r->mr[p], 1, 16);
            assert_in_range(r->nv[p], 1, 4);
            assert_true(r->mr[p] * r->nv[p] + r->nv[p] + 1 <= r->vregs);
            if (p == 1 || p == 2) assert_int_equal(r->vl * r->nv[p] % (p + 2), 0); /* gates */
        }
}

/* AVX2 (x86-64-v3): products of default panels take 4 x 24 tiles, except those with few
 * panels that 6 x 16 ones pad less (N = 256: 16 panels, not 11), unless an epilogue
 * relies on the default panel width; wide products keep 4 x 24. Compiled only. */
static void test_gemm__avx2_narrow_products_take_the_narrow_tile(void **state) {
    (void)state;
    enum { N_T = 4 };
    glc_gemm_test t[N_T] = {
        {.M = 512, .N = 256, .K = 64, .a_rs = 64, .a_cs = 1, .b_rs = 256, .b_cs = 1, .y_rs = 256},
        {.M = 512, .N = 256, .K = 64, .a_rs = 64, .a_cs = 1, .b_rs = 256, .b_cs = 1, .y_rs = 256,
         .epilogue = true},
        {.M = 64, .N = 2048, .K = 64, .a_rs = 64, .a_cs = 1, .b_rs = 2048, .b_cs = 1,
         .y_rs = 2048},
        {.M = 8, .N = 48, .K = 64, .a_rs = 64, .a_cs = 1, .b_rs = 48, .b_cs = 1, .y_rs = 48},
    };
    assert_int_equal(cg_make_tmpdir(), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/gemm_narrow.o", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    o.triple = "x86_64-pc-linux-gnu";
    o.cpu = "x86-64-v3";
    o.emit = GLC_EMIT_OBJ;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit_gemms(&o, t, N_T, path, &d)) fail_msg("emit_gemms: %s", d.msg);
    cg_rm_tmpdir();
    assert_string_equal(t[0].isa, "avx2");
    assert_int_equal(t[0].tile_mr, 6), assert_int_equal(t[0].tile_nr, 16);
    assert_int_equal(t[1].tile_mr, 4), assert_int_equal(t[1].tile_nr, 24);
    assert_int_equal(t[2].tile_mr, 4), assert_int_equal(t[2].tile_nr, 24);
    assert_int_equal(t[3].tile_nr, 24); /* 2 panels of 24 pad nothing */
}

/* The assembly of one accumulating product (M 64, N 48, K 128: one K block) compiled for
 * cpu (and features), or NULL; the caller frees it. Compiled only. */
static char *accumulating_product_asm(const char *cpu, const char *features) {
    glc_gemm_test t = {.M = 64, .N = 48, .K = 128, .a_rs = 128, .a_cs = 1, .b_rs = 48,
                       .b_cs = 1, .y_rs = 48, .accumulate = true};
    assert_int_equal(cg_make_tmpdir(), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/gemm_acc.s", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    o.triple = "x86_64-pc-linux-gnu";
    o.cpu = cpu;
    o.features = features;
    o.emit = GLC_EMIT_ASM;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit_gemms(&o, &t, 1, path, &d)) fail_msg("emit_gemms: %s", d.msg);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    cg_rm_tmpdir();
    return s;
}

/* AVX2 rows (cg_isa.y_late): a tile that accumulates onto Y prefetches Y's rows and adds
 * them after its k loop, so the FMA chains do not wait for Y; the AVX-512 row keeps Y as
 * the accumulators' start (no prefetch). Compiled only. */
static void test_gemm__avx2_accumulating_tiles_prefetch_y(void **state) {
    (void)state;
    char *v3 = accumulating_product_asm("x86-64-v3", NULL);
    char *v4 = accumulating_product_asm("x86-64-v4", "+avx512f");
    assert_non_null(strstr(v3, "prefetcht0"));
    assert_null(strstr(v4, "prefetcht0"));
    free(v3);
    free(v4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm__all_shapes_and_layouts_match_double_reference),
        cmocka_unit_test(test_gemm__bf16_weights_match_the_rounded_reference),
        cmocka_unit_test(test_gemm__bf16_dot_products_match_the_rounded_reference),
        cmocka_unit_test(test_gemm__bf16_dot_needs_avx512bf16),
        cmocka_unit_test(test_gemm__const_panels_shared_by_content_only),
        cmocka_unit_test(test_gemm__every_isa_row_matches_double_reference),
        cmocka_unit_test(test_gemm__isa_rows_fit_their_register_files),
        cmocka_unit_test(test_gemm__avx2_narrow_products_take_the_narrow_tile),
        cmocka_unit_test(test_gemm__avx2_accumulating_tiles_prefetch_y),
    };
    return cmocka_run_group_tests_name("gemm", tests, NULL, NULL);
}
