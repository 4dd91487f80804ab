/*
 * test_lower_loop.c -- Loop compiled (codegen/lower_control.c, model.c's bodies) against the
 * reference interpreter: an RNN written as a Loop (scan output, captured inputs, a constant
 * copied into the body), a loop its condition ends (two carried values, no scan output),
 * nested Loops, a Scan with every attribute, a hoisted loop, a body reading the main graph's
 * shape arithmetic, a run-time If in a body, each after the pass pipeline, static and with
 * every input dim symbolic (one compiled model run at other dims); an early exit with scan
 * outputs returns GLC_RT_E_SHAPE. Fixtures: tests/fixtures/frontend/loop_*.onnx and
 * scan_dirs.onnx (gen_fixtures.py).
 */
#include "cg_test_util.h"
#include "frontend.h"

#define FIX GLC_TEST_SRC "/fixtures/frontend/"

static glc_graph *load(const char *name, bool symbolic) {
    char path[512];
    snprintf(path, sizeof path, FIX "%s.onnx", name);
    glc_import_options o = {.symbolic_inputs = symbolic};
    glc_graph *g = NULL;
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_import_onnx_file_opts(path, &o, &g, &d)) fail_msg("%s: %s", path, d.msg);
    glc_pipeline_options po = {.verify_each = true};
    if (glc_run_pipeline(g, &po, &d)) fail_msg("%s: pipeline: %s", name, d.msg);
    return g;
}

static void check_symbolic(const char *name, int n_runs, const int64_t (*dims)[3][2]);

static int count_loops(const glc_graph *g) {
    int k = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        k += !g->nodes[i].dead && g->nodes[i].op == GLC_OP_LOOP;
    return k;
}

static void check_static(const char *name) {
    glc_graph *g = load(name, false);
    assert_int_equal(count_loops(g), 1); /* compiled, not folded away */
    char file[64];
    snprintf(file, sizeof file, "%s.so", name);
    cg_check_vs_interp(g, file);
    glc_graph_destroy(g);
}

static void test_lower_loop__rnn_as_a_loop_matches_the_interpreter(void **state) {
    (void)state;
    check_static("loop_rnn");
}

static void test_lower_loop__condition_ends_the_loop_as_interpreted(void **state) {
    (void)state;
    check_static("loop_while");
}

static void test_lower_loop__nested_loops_match_the_interpreter(void **state) {
    (void)state;
    check_static("loop_nested");
}

/* After hoist-loop-invariants moved a product and a carried weight out of the body. */
static void test_lower_loop__hoisted_loop_matches_the_interpreter(void **state) {
    (void)state;
    check_static("loop_invariant");
}

static void test_lower_loop__scan_with_axes_and_directions_matches_the_interpreter(void **state) {
    (void)state;
    check_static("scan_dirs");
    const int64_t dims[2][3][2] = {{{2}, {3, 2}, {2, 3}}, {{5}, {7, 5}, {5, 7}}};
    check_symbolic("scan_dirs", 2, dims);
}

/* The body's Reshape takes its shape from the main graph's Shape(x), folded into a constant
 * or, with symbolic dims, a shape tensor of them that the body reads. */
static void test_lower_loop__body_static_operands_come_from_the_main_graph(void **state) {
    (void)state;
    check_static("loop_reshape");
    const int64_t dims[2][3][2] = {{{2, 3}, {6}}, {{4, 5}, {20}}};
    check_symbolic("loop_reshape", 2, dims);
}

/* A run-time If in the body (on the iteration number): guarded nodes in the body function.
 * v0 = (1, -3): (1, -3) + 1 + 1, then * 2 * 2: (12, -4). */
static void test_lower_loop__run_time_if_in_a_body(void **state) {
    (void)state;
    check_static("loop_if");
    glc_graph *g = load("loop_if", false);
    glc_rt_model *m = cg_compile(g, "loop_if_values.so");
    const glc_model_desc *mi = glc_rt_model_desc(m);
    float v0[2] = {1, -3}, v[2];
    void *ws = mi->workspace_size ? aligned_alloc(64, (mi->workspace_size + 63) / 64 * 64) : NULL;
    assert_int_equal(glc_rt_model_run(m, (const void *[]){v0}, NULL, (void *[]){v}, ws,
                                      mi->workspace_size),
                     GLC_RT_OK);
    assert_true(v[0] == 12 && v[1] == -4);
    free(ws);
    glc_rt_model_close(m);
    glc_graph_destroy(g);
}

/* One model compiled with symbolic input dims, run at dims other than the file's: the
 * interpreter runs the same import bound to them (glc_graph_bind_inputs, bodies too). */
static void check_symbolic(const char *name, int n_runs, const int64_t (*dims)[3][2]) {
    glc_graph *gs = load(name, true);
    char file[64];
    snprintf(file, sizeof file, "%s_sym.so", name);
    glc_rt_model *m = cg_compile(gs, file);
    glc_rt_pool *pool = NULL;
    assert_int_equal(glc_rt_pool_create(3, &pool), GLC_RT_OK);
    unsigned seed = 99;
    for (int r = 0; r < n_runs; r++) {
        glc_graph *g = load(name, true);
        int rank[3];
        const int64_t *dp[3];
        for (uint32_t i = 0; i < g->n_inputs; i++) {
            rank[i] = g->values[g->inputs[i]].rank;
            dp[i] = dims[r][i];
        }
        glc_diag d;
        memset(&d, 0, sizeof d);
        if (glc_graph_bind_inputs(g, rank, dp, &d)) fail_msg("bind: %s", d.msg);
        cg_sym_check_run(m, g, cg_fill, &seed, 0, pool, r);
        glc_graph_destroy(g);
    }
    glc_rt_pool_destroy(pool);
    glc_rt_model_close(m);
    glc_graph_destroy(gs);
}

static void test_lower_loop__symbolic_dims_reach_the_body(void **state) {
    (void)state;
    /* loop_rnn: x [T, 3] (T >= 4: the body gathers rows 0..3), h0 [3], b [3] */
    const int64_t rnn[2][3][2] = {{{4, 3}, {3}, {3}}, {{9, 3}, {3}, {3}}};
    check_symbolic("loop_rnn", 2, rnn);
    /* loop_nested: s [n], b [n] */
    const int64_t nested[2][3][2] = {{{2}, {2}}, {{17}, {17}}};
    check_symbolic("loop_nested", 2, nested);
}

/* The condition ends the loop after 3 of M = 5 iterations with a scan output. */
static void test_lower_loop__early_exit_with_scan_outputs_is_a_shape_error(void **state) {
    (void)state;
    glc_graph *g = load("loop_early_exit", false);
    glc_rt_model *m = cg_compile(g, "loop_early_exit.so");
    const glc_model_desc *mi = glc_rt_model_desc(m);
    float x[2] = {1, 2}, y[2], ys[10];
    void *ws = mi->workspace_size ? aligned_alloc(64, (mi->workspace_size + 63) / 64 * 64) : NULL;
    assert_int_equal(glc_rt_model_run(m, (const void *[]){x}, NULL, (void *[]){y, ys}, ws,
                                      mi->workspace_size),
                     GLC_RT_E_SHAPE);
    free(ws);
    glc_rt_model_close(m);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_loop__rnn_as_a_loop_matches_the_interpreter),
        cmocka_unit_test(test_lower_loop__condition_ends_the_loop_as_interpreted),
        cmocka_unit_test(test_lower_loop__nested_loops_match_the_interpreter),
        cmocka_unit_test(test_lower_loop__hoisted_loop_matches_the_interpreter),
        cmocka_unit_test(test_lower_loop__symbolic_dims_reach_the_body),
        cmocka_unit_test(test_lower_loop__scan_with_axes_and_directions_matches_the_interpreter),
        cmocka_unit_test(test_lower_loop__body_static_operands_come_from_the_main_graph),
        cmocka_unit_test(test_lower_loop__run_time_if_in_a_body),
        cmocka_unit_test(test_lower_loop__early_exit_with_scan_outputs_is_a_shape_error),
    };
    return cmocka_run_group_tests(tests, cg_group_setup, cg_group_teardown);
}
