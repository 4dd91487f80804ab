/* test_lower_convlstm_sym.c -- glc.ConvLSTM compiled once with symbolic time and batch:
 * every ConvLSTM fixture of tests/fixtures/glc_ops imported with every input dim symbolic,
 * then X's channel and spatial axes bound to the fixture's sizes (the fresh names `X.<axis>`),
 * so T and N stay symbolic (N is pinned back to a constant where an initial state fixes
 * it); each runs at three (T, N) sizes on random data against the interpreter on a fresh
 * import made static for those dims (glc_graph_bind_inputs). And a hand-built graph whose
 * gates of all samples outgrow the hoisting budget: chunks of steps sized at run time (1:
 * the sample-by-sample steps). */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"
#include "frontend.h"

#include <dirent.h>

#define FIXTURES GLC_TEST_SRC "/fixtures/glc_ops"

/* What a fixture's static import tells: X's dims and the node's layout. */
typedef struct fixture {
    char path[1024];
    int rank, layout;
    int64_t xd[GLC_MAX_RANK];
} fixture;

static void read_fixture(const char *dir, fixture *f) {
    snprintf(f->path, sizeof f->path, "%s/%s/model.onnx", FIXTURES, dir);
    glc_graph *g = NULL;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_import_onnx_file(f->path, &g, &d)) fail_msg("%s: %s", f->path, d.msg);
    const glc_value *x = &g->values[g->inputs[0]];
    assert_string_equal(x->name, "X");
    f->rank = x->rank;
    memcpy(f->xd, x->dims, sizeof f->xd);
    f->layout = 0;
    for (uint32_t k = 0; k < g->n_nodes; k++)
        if (g->nodes[k].op == GLC_OP_CONVLSTM)
            f->layout = (int)glc_attr_int(&g->nodes[k], "layout", 0);
    glc_graph_destroy(g);
}

/* The fixture imported with symbolic T and N: every input dim a symbol, X's axes 2.. bound. */
static glc_graph *import_sym(const fixture *f) {
    char names[GLC_MAX_RANK][16];
    glc_import_dim dims[GLC_MAX_RANK];
    uint32_t n = 0;
    for (int a = 2; a < f->rank; a++, n++) {
        snprintf(names[n], sizeof names[n], "X.%d", a);
        dims[n] = (glc_import_dim){names[n], f->xd[a]};
    }
    glc_import_options o = {.symbolic_inputs = true, .dims = dims, .n_dims = n};
    glc_graph *g = NULL;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_import_onnx_file_opts(f->path, &o, &g, &d)) fail_msg("%s: %s", f->path, d.msg);
    return g;
}

static glc_rt_model *compile_sym(glc_graph *g, const char *file) {
    glc_diag d;
    memset(&d, 0, sizeof d);
    glc_pipeline_options po = {.verify_each = true};
    if (glc_run_pipeline(g, &po, &d)) fail_msg("pipeline: %s", d.msg);
    char path[700];
    snprintf(path, sizeof path, "%s/%s", cg_tmpdir, file);
    glc_codegen_options o = glc_codegen_defaults();
    if (glc_codegen_emit(g, &o, path, &d) != GLC_OK) fail_msg("codegen: %s: %s", d.node, d.msg);
    glc_rt_model *m = NULL;
    char err[256];
    if (glc_rt_model_open(path, NULL, &m, err, sizeof err)) fail_msg("open: %s", err);
    return m;
}

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* Random inputs of the bound graph g: X in [-1, 1), sequence_lens in [0, T]. */
static void fill(const glc_graph *g, int64_t T, void **in, uint64_t *seed) {
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        int64_t n = glc_value_numel(v);
        in[i] = malloc(glc_value_nbytes(v) + 1);
        for (int64_t k = 0; k < n; k++) {
            uint64_t r = rng_next(seed);
            if (v->dtype == GLC_DT_F32)
                ((float *)in[i])[k] = (float)((double)(r >> 11) / 9007199254740992.0 * 2 - 1);
            else
                ((int32_t *)in[i])[k] = (int32_t)(r % (uint64_t)(T + 1));
        }
    }
}

/* One run of fixture f's compiled model m at (T, N) against the interpreter. */
static void run_at(const fixture *f, const glc_rt_model *m, glc_rt_pool *pool, int64_t T,
                   int64_t N) {
    glc_graph *g = import_sym(f);
    int64_t dims[CG_SYM_MAX_IO][GLC_MAX_RANK];
    const int64_t *dp[CG_SYM_MAX_IO];
    int rank[CG_SYM_MAX_IO];
    assert_true(g->n_inputs <= CG_SYM_MAX_IO && g->n_outputs <= CG_SYM_MAX_IO);
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        rank[i] = v->rank;
        dp[i] = dims[i];
        if (i == 0) { /* X */
            memcpy(dims[0], f->xd, sizeof dims[0]);
            dims[0][f->layout ? 1 : 0] = T;
            dims[0][f->layout ? 0 : 1] = N;
        } else { /* sequence_lens */
            dims[i][0] = N;
        }
    }
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_graph_bind_inputs(g, rank, dp, &d)) fail_msg("%s: bind: %s", f->path, d.msg);
    void *in[CG_SYM_MAX_IO], *want[CG_SYM_MAX_IO], *got[CG_SYM_MAX_IO], *got3[CG_SYM_MAX_IO];
    uint64_t seed = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(T * 31 + N);
    fill(g, T, in, &seed);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        size_t nb = glc_value_nbytes(&g->values[g->outputs[i]]) + 1;
        want[i] = calloc(1, nb), got[i] = calloc(1, nb), got3[i] = calloc(1, nb);
    }
    if (glc_interp_run(g, (const void *const *)in, want, &d)) fail_msg("interp: %s", d.msg);
    cg_sym_run_model(m, g, (const void **)in, got, NULL);
    cg_sym_run_model(m, g, (const void **)in, got3, glc_rt_pool_parallel(pool));
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        cg_compare_normwise(v, got[i], want[i], 1e-5);
        if (memcmp(got[i], got3[i], glc_value_nbytes(v)))
            fail_msg("%s (T %lld, N %lld): '%s' differs on 3 threads", f->path, (long long)T,
                     (long long)N, v->name);
        free(want[i]), free(got[i]), free(got3[i]);
    }
    for (uint32_t i = 0; i < g->n_inputs; i++)
        free(in[i]);
    glc_graph_destroy(g);
}

static void
test_lower_convlstm_sym__fixtures_compile_once_for_symbolic_time_and_batch(void **state) {
    (void)state;
    DIR *dir = opendir(FIXTURES);
    assert_non_null(dir);
    glc_rt_pool *pool = NULL;
    assert_int_equal(glc_rt_pool_create(3, &pool), GLC_RT_OK);
    static const int64_t sizes[3][2] = {{1, 1}, {4, 2}, {9, 3}}; /* (T, N) */
    int cases = 0, batch_symbolic = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (strncmp(e->d_name, "convlstm", 8)) continue;
        fixture f;
        read_fixture(e->d_name, &f);
        glc_graph *gs = import_sym(&f);
        const glc_value *x = &gs->values[gs->inputs[0]];
        int tax = f.layout ? 1 : 0, nax = 1 - tax;
        if (!glc_dim_is_sym(x->dims[tax])) fail_msg("%s: T is not symbolic", f.path);
        bool nsym = glc_dim_is_sym(x->dims[nax]); /* else pinned by an initial state */
        int64_t n_static = x->dims[nax];
        glc_rt_model *m = compile_sym(gs, "cl_fixture.so");
        for (int k = 0; k < 3; k++)
            run_at(&f, m, pool, sizes[k][0], nsym ? sizes[k][1] : n_static);
        glc_rt_model_close(m);
        glc_graph_destroy(gs);
        cases++;
        batch_symbolic += nsym;
    }
    closedir(dir);
    glc_rt_pool_destroy(pool);
    print_message("%d fixtures, %d with a symbolic batch\n", cases, batch_symbolic);
    assert_true(cases >= 60);
    assert_true(batch_symbolic >= cases / 2);
}

/* A 2-D ConvLSTM of F = 8 on a 32x32 grid: 32768 gate floats a sample and step, so with N
 * symbolic the hoisting pass leaves the chunk to run time (glc_hoist_steps -1): 8 samples
 * take chunks of 2 steps (5 steps: 2 + 2 + 1), 1 sample all 5, 17 samples 1 (the
 * sample-by-sample steps, chosen at run time). Reverse, sequence_lens. */
static void build_big(glc_graph *g, const void *ctx) {
    (void)ctx;
    g->opset_glc = 1;
    glc_dim T = glc_dim_symbol(g, "T"), N = glc_dim_symbol(g, "N");
    int64_t F = 8, C = 2;
    glc_value_id in[5] = {cg_in(g, "X", GLC_DT_F32, 5, (int64_t[]){T, N, C, 32, 32})};
    int64_t wd[5] = {1, 4 * F, C, 3, 3}, rd[5] = {1, 4 * F, F, 3, 3};
    float *w = malloc(4 * F * F * 9 * sizeof *w), b[64];
    for (int i = 0; i < 4 * F * F * 9; i++)
        w[i] = (float)((i * 7) % 13 - 6) * 0.03f;
    for (int i = 0; i < 64; i++)
        b[i] = (float)((i * 5) % 11 - 5) * 0.05f;
    in[1] = glc_graph_add_const(g, "W", GLC_DT_F32, 5, wd, w);
    in[2] = glc_graph_add_const(g, "R", GLC_DT_F32, 5, rd, w);
    in[3] = glc_graph_add_const(g, "B", GLC_DT_F32, 2, (int64_t[]){1, 8 * F}, b);
    in[4] = cg_in(g, "sequence_lens", GLC_DT_I32, 1, (int64_t[]){N});
    free(w);
    static const char *names[3] = {"Y", "Y_h", "Y_c"};
    glc_value_id out[3];
    for (int k = 0; k < 3; k++)
        out[k] = glc_graph_add_value(g, names[k], GLC_DT_UNDEF, 0, NULL);
    glc_node_id id = glc_graph_add_node(g, GLC_OP_CONVLSTM, "convlstm", in, 5, out, 3);
    glc_node_set_int(g, id, "hidden_size", F);
    glc_node_set_string(g, id, "auto_pad", "SAME_UPPER");
    glc_node_set_string(g, id, "direction", "reverse");
    for (int k = 0; k < 3; k++)
        glc_graph_add_output(g, out[k]);
}

static void test_lower_convlstm_sym__chunks_of_steps_sized_at_run_time(void **state) {
    (void)state;
    cg_sym_dims runs[4] = {{{{5, 8, 2, 32, 32}, {8}}},
                           {{{5, 1, 2, 32, 32}, {1}}},
                           {{{3, 3, 2, 32, 32}, {3}}},
                           {{{4, 17, 2, 32, 32}, {17}}}};
    cg_check_sym_vs_interp(build_big, NULL, "cl_sym_chunks.so", runs, 4, 1e-5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_lower_convlstm_sym__fixtures_compile_once_for_symbolic_time_and_batch),
        cmocka_unit_test(test_lower_convlstm_sym__chunks_of_steps_sized_at_run_time),
    };
    return cmocka_run_group_tests_name("lower_convlstm_sym", tests, cg_group_setup,
                                       cg_group_teardown);
}
