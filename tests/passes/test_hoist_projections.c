/* Tests for passes/hoist_projections.c: the golden dump of an annotated LSTM, the chunk
 * the cache budget gives long sequences (and the whole sequence for a reverse direction
 * with sequence_lens), ConvLSTM and GridLSTM fixtures, running twice (one attribute,
 * overwritten), and a graph without recurrences left unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "frontend.h"
#include "passes.h"

static void run(glc_graph *g) {
    glc_diag d = {0};
    glc_pass_ctx cx = {.diag = &d};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    assert_int_equal(glc_pass_hoist_projections(g, &cx), GLC_OK);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
}

/* An LSTM of S steps, batch N, input 3, hidden H (runtime weights); optional constant
 * sequence_lens (all S) and direction. Returns the graph; the node is node 0. */
static glc_graph *lstm(int64_t S, int64_t N, int64_t H, const char *direction, bool lens) {
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    glc_value_id in[5] = {tb_input(g, "X", 3, (int64_t[]){S, N, 3}),
                          tb_input(g, "W", 3, (int64_t[]){1, 4 * H, 3}),
                          tb_input(g, "R", 3, (int64_t[]){1, 4 * H, H}), 0, 0};
    if (direction && !strcmp(direction, "bidirectional")) {
        g->values[in[1]].dims[0] = 2;
        g->values[in[2]].dims[0] = 2;
    }
    if (lens) {
        int32_t *l = malloc((size_t)N * sizeof *l);
        for (int64_t b = 0; b < N; b++)
            l[b] = (int32_t)S;
        in[4] = glc_graph_add_const(g, "lens", GLC_DT_I32, 1, (int64_t[]){N}, l);
        free(l);
    }
    glc_graph_add_output(g, tb_node(g, GLC_OP_LSTM, "lstm", in, lens ? 5 : 3, "Y"));
    glc_node_set_int(g, 0, "hidden_size", H);
    if (direction) glc_node_set_string(g, 0, "direction", direction);
    return g;
}

static void test_hoist_projections__short_lstm_hoisted_whole(void **state) {
    (void)state;
    glc_graph *g = lstm(4, 2, 5, NULL, false);
    run(g);
    char *after = tb_dump(g);
    const char *want = "graph main (opset 14)\n"
                       "  input  %X: f32[4,2,3]\n"
                       "  input  %W: f32[1,20,3]\n"
                       "  input  %R: f32[1,20,5]\n"
                       "  %Y: f32[4,1,2,5] = LSTM(%X, %W, %R) {hidden_size=5, "
                       "glc_hoist_steps=4}     # node 'lstm'\n"
                       "  output %Y\n";
    assert_string_equal(after, want);
    free(after);
    glc_graph_destroy(g);
}

/* 64 rows x 4 gates x 128 = 32768 floats a step: 2^19 / 32768 = 16 steps a chunk; a
 * reverse direction with sequence_lens is hoisted whole; forward with them is chunked. */
static void test_hoist_projections__long_sequences_in_cache_sized_chunks(void **state) {
    (void)state;
    struct {
        const char *dir;
        bool lens;
        int64_t want;
    } cases[] = {{NULL, false, 16}, {"forward", true, 16}, {"reverse", false, 16},
                 {"reverse", true, 300}, {"bidirectional", true, 300}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        glc_graph *g = lstm(300, 64, 128, cases[k].dir, cases[k].lens);
        run(g);
        assert_int_equal(glc_attr_int(&g->nodes[0], GLC_ATTR_HOIST_STEPS, -1), cases[k].want);
        glc_graph_destroy(g);
    }
}

/* Running twice (or on a model that carries the attribute) leaves one, the pass's. */
static void test_hoist_projections__overwrites_an_existing_attribute(void **state) {
    (void)state;
    glc_graph *g = lstm(4, 2, 5, NULL, false);
    glc_node_set_int(g, 0, GLC_ATTR_HOIST_STEPS, 1000);
    run(g);
    run(g);
    assert_int_equal(tb_attr_count(&g->nodes[0], GLC_ATTR_HOIST_STEPS), 1);
    assert_int_equal(glc_attr_int(&g->nodes[0], GLC_ATTR_HOIST_STEPS, -1), 4);
    glc_graph_destroy(g);
}

static glc_graph *fixture(const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/fixtures/glc_ops/%s/model.onnx", GLC_TEST_SRC, name);
    glc_graph *g = NULL;
    glc_diag d = {0};
    if (glc_import_onnx_file(path, &g, &d) != GLC_OK) fail_msg("%s: %s", path, d.msg);
    return g;
}

/* The small ai.glc fixtures fit the budget: every step (ConvLSTM) and every grid position
 * (GridLSTM) in one chunk. MD-LSTM nodes get no attribute. */
static void test_hoist_projections__glc_ops(void **state) {
    (void)state;
    struct {
        const char *name;
        glc_op op;
        int64_t want;
    } cases[] = {{"convlstm2d_fwd_s0", GLC_OP_CONVLSTM, 0},
                 {"gridlstm2d_l1_s0", GLC_OP_GRIDLSTM, 0},
                 {"mdlstm2d_graves_s0", GLC_OP_MDLSTM, -1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        glc_graph *g = fixture(cases[k].name);
        run(g);
        int seen = 0;
        for (glc_node_id i = 0; i < g->n_nodes; i++) {
            const glc_node *n = &g->nodes[i];
            if (n->op != cases[k].op) continue;
            seen++;
            int64_t want = cases[k].want;
            if (n->op == GLC_OP_CONVLSTM) want = g->values[n->in[0]].dims[0]; /* T */
            if (n->op == GLC_OP_GRIDLSTM) {
                const glc_value *x = &g->values[n->in[0]];
                want = 1; /* X (N, C, S1, .., SK): every position */
                for (int a = 2; a < x->rank; a++)
                    want *= x->dims[a];
            }
            assert_int_equal(glc_attr_int(n, GLC_ATTR_HOIST_STEPS, -1), want);
        }
        assert_true(seen > 0);
        glc_graph_destroy(g);
    }
}

/* A symbolic batch: the chunk is sized at run time (-1), by the budget over the batch. */
static void test_hoist_projections__gridlstm_on_a_symbolic_batch_is_sized_at_run_time(
    void **state) {
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/fixtures/glc_ops/gridlstm2d_l1_s0/model.onnx", GLC_TEST_SRC);
    glc_import_shape sh = {"X", 4, {0, -1, -1, -1}, {"N"}};
    glc_import_options o = {.shapes = &sh, .n_shapes = 1};
    glc_graph *g = NULL;
    glc_diag d = {0};
    if (glc_import_onnx_file_opts(path, &o, &g, &d) != GLC_OK) fail_msg("%s: %s", path, d.msg);
    run(g);
    int seen = 0;
    for (glc_node_id i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == GLC_OP_GRIDLSTM) {
            assert_true(glc_dim_is_sym(g->values[g->nodes[i].in[0]].dims[0]));
            assert_int_equal(glc_attr_int(&g->nodes[i], "glc_hoist_steps", 0), -1);
            seen++;
        }
    assert_int_equal(seen, 1);
    glc_graph_destroy(g);
}

/* No recurrent node: nothing changes. */
static void test_hoist_projections__leaves_other_graphs_unchanged(void **state) {
    (void)state;
    tb_check_plain_graph_unchanged(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hoist_projections__short_lstm_hoisted_whole),
        cmocka_unit_test(test_hoist_projections__long_sequences_in_cache_sized_chunks),
        cmocka_unit_test(test_hoist_projections__overwrites_an_existing_attribute),
        cmocka_unit_test(test_hoist_projections__glc_ops),
        cmocka_unit_test(test_hoist_projections__gridlstm_on_a_symbolic_batch_is_sized_at_run_time),
        cmocka_unit_test(test_hoist_projections__leaves_other_graphs_unchanged),
    };
    return cmocka_run_group_tests_name("hoist_projections", tests, NULL, NULL);
}
