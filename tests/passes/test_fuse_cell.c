/* Tests for passes/fuse_cell.c: the golden dump of a marked LSTM, which LSTMs, GRUs and
 * RNNs are marked (constant R; no sequence_lens, LSTM batch <= 8, GRU linear_before_reset
 * = 1 and batch 1, RNN any batch; or batch <= 4, for the small step, with the GEMM step's
 * limit), a symbolic batch beyond the limit marked with it (the lowering chooses at run
 * time), running twice (one attribute), and a graph without recurrences left unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "passes.h"

static void run(glc_graph *g) {
    glc_diag d = {0};
    glc_pass_ctx cx = {.diag = &d};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    assert_int_equal(glc_pass_fuse_cell(g, &cx), GLC_OK);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
}

/* A forward op (LSTM, GRU or RNN) of 3 steps, batch N, input 3, hidden 2, in g; R constant
 * unless runtime_r; sequence_lens when lens. The node is node 0. */
static glc_graph *rnn_in(glc_graph *g, glc_op op, bool runtime_r, bool lens, glc_dim N) {
    int64_t G = op == GLC_OP_LSTM ? 4 : op == GLC_OP_GRU ? 3 : 1, H = 2;
    g->opset = 14;
    float r[4 * 2 * 2] = {0};
    glc_value_id in[5] = {tb_input(g, "X", 3, (int64_t[]){3, N, 3}),
                          tb_input(g, "W", 3, (int64_t[]){1, G * H, 3}),
                          runtime_r ? tb_input(g, "R", 3, (int64_t[]){1, G * H, H})
                                    : tb_const_f32(g, "R", 3, (int64_t[]){1, G * H, H}, r),
                          0, 0};
    if (lens) {
        int32_t l[16] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
        in[4] = glc_graph_add_const(g, "lens", GLC_DT_I32, 1, (int64_t[]){N}, l);
    }
    glc_graph_add_output(g, tb_node(g, op, "rnn", in, lens ? 5 : 3, "Y"));
    glc_node_set_int(g, 0, "hidden_size", H);
    return g;
}

static glc_graph *rnn_n(glc_op op, bool runtime_r, bool lens, int64_t N) {
    return rnn_in(glc_graph_create(), op, runtime_r, lens, N);
}

/* The same with a symbolic batch N, bounded by max (0: unbounded). */
static glc_graph *rnn_sym(glc_op op, int64_t max) {
    glc_graph *g = glc_graph_create();
    glc_dim N = glc_dim_symbol(g, "N");
    g->syms[glc_dim_symbol_index(g, N)].max = max;
    return rnn_in(g, op, false, false, N);
}

static glc_graph *rnn(glc_op op, bool runtime_r, bool lens) {
    return rnn_n(op, runtime_r, lens, 2);
}

static void test_fuse_cell__lstm_with_constant_r_marked(void **state) {
    (void)state;
    glc_graph *g = rnn(GLC_OP_LSTM, false, false);
    run(g);
    char *after = tb_dump(g);
    const char *want = "graph main (opset 14)\n"
                       "  input  %X: f32[3,2,3]\n"
                       "  input  %W: f32[1,8,3]\n"
                       "  const  %R: f32[1,8,2] = {0, 0, 0, 0, ...}\n"
                       "  %Y: f32[3,1,2,2] = LSTM(%X, %W, %R) {hidden_size=2, "
                       "glc_fuse_cell=1}     # node 'rnn'\n"
                       "  output %Y\n";
    assert_string_equal(after, want);
    free(after);
    glc_graph_destroy(g);
}

/* Marked without a limit: an LSTM of batch 8, a GRU with linear_before_reset = 1 of batch
 * 1, RNNs of any batch. Marked with glc_fuse_cell_max_batch (the small step takes them at
 * batch <= 4, the GEMM step stays unfused above the limit): sequence_lens at batch 2 and
 * 4 (0), a GRU with linear_before_reset = 0 at batch 1 (0), one with 1 at batch 2 and 4
 * (1). Not: runtime R, an LSTM of batch 9, sequence_lens at batch 5, a GRU with
 * linear_before_reset = 0 at batch 5 or with 1 at batch 5. */
static void test_fuse_cell__which_recurrences_are_marked(void **state) {
    (void)state;
    glc_graph *yes[9] = {rnn_n(GLC_OP_LSTM, false, false, 8), rnn_n(GLC_OP_GRU, false, false, 1),
                         rnn_n(GLC_OP_RNN, false, false, 1),  rnn_n(GLC_OP_RNN, false, false, 64),
                         rnn(GLC_OP_LSTM, false, true),       rnn_n(GLC_OP_RNN, false, true, 4),
                         rnn_n(GLC_OP_GRU, false, false, 1),  rnn_n(GLC_OP_GRU, false, false, 2),
                         rnn_n(GLC_OP_GRU, false, false, 4)};
    int64_t want_max[9] = {-1, -1, -1, -1, 0, 0, 0, 1, 1};
    glc_node_set_int(yes[1], 0, "linear_before_reset", 1);
    glc_node_set_int(yes[7], 0, "linear_before_reset", 1);
    glc_node_set_int(yes[8], 0, "linear_before_reset", 1);
    for (int k = 0; k < 9; k++) {
        run(yes[k]);
        assert_int_equal(glc_attr_int(&yes[k]->nodes[0], GLC_ATTR_FUSE_CELL, -1), 1);
        assert_int_equal(glc_attr_int(&yes[k]->nodes[0], GLC_ATTR_FUSE_CELL_MAX_BATCH, -1),
                         want_max[k]);
        glc_graph_destroy(yes[k]);
    }
    glc_graph *no[7] = {rnn(GLC_OP_LSTM, true, false),       rnn_n(GLC_OP_LSTM, false, true, 5),
                        rnn_n(GLC_OP_LSTM, false, false, 9), rnn_n(GLC_OP_GRU, false, false, 5),
                        rnn_n(GLC_OP_GRU, false, false, 5),  rnn(GLC_OP_RNN, true, false),
                        rnn_n(GLC_OP_RNN, false, true, 5)};
    glc_node_set_int(no[4], 0, "linear_before_reset", 1);
    for (int k = 0; k < 7; k++) {
        run(no[k]);
        assert_null(glc_node_attr(&no[k]->nodes[0], GLC_ATTR_FUSE_CELL));
        glc_graph_destroy(no[k]);
    }
}

/* A symbolic batch: bounded within the limit, fused; unbounded or bounded above it, fused
 * with glc_fuse_cell_max_batch = the limit (LSTM 8, GRU 1), the lowering choosing at run
 * time; an RNN, fused at any batch, gets no limit. */
static void test_fuse_cell__symbolic_batch_fused_up_to_the_limit_at_run_time(void **state) {
    (void)state;
    struct {
        glc_op op;
        int64_t max, want_max; /* want_max -1: no glc_fuse_cell_max_batch */
    } cases[] = {{GLC_OP_LSTM, 0, 8}, {GLC_OP_LSTM, 64, 8}, {GLC_OP_LSTM, 8, -1},
                 {GLC_OP_GRU, 0, 1},  {GLC_OP_GRU, 1, -1},  {GLC_OP_RNN, 0, -1}};
    /* (GRUs here have linear_before_reset = 1) */
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        glc_graph *g = rnn_sym(cases[k].op, cases[k].max);
        if (cases[k].op == GLC_OP_GRU) glc_node_set_int(g, 0, "linear_before_reset", 1);
        run(g);
        assert_int_equal(glc_attr_int(&g->nodes[0], GLC_ATTR_FUSE_CELL, -1), 1);
        assert_int_equal(glc_attr_int(&g->nodes[0], GLC_ATTR_FUSE_CELL_MAX_BATCH, -1),
                         cases[k].want_max);
        glc_graph_destroy(g);
    }
}

/* Running twice (or on a model that carries glc_fuse_cell = 0) leaves one attribute, 1. */
static void test_fuse_cell__overwrites_an_existing_attribute(void **state) {
    (void)state;
    glc_graph *g = rnn(GLC_OP_LSTM, false, false);
    glc_node_set_int(g, 0, GLC_ATTR_FUSE_CELL, 0);
    run(g);
    run(g);
    assert_int_equal(tb_attr_count(&g->nodes[0], GLC_ATTR_FUSE_CELL), 1);
    assert_int_equal(glc_attr_int(&g->nodes[0], GLC_ATTR_FUSE_CELL, -1), 1);
    glc_graph_destroy(g);
}

/* No recurrent node: nothing changes. */
static void test_fuse_cell__leaves_other_graphs_unchanged(void **state) {
    (void)state;
    tb_check_plain_graph_unchanged(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuse_cell__lstm_with_constant_r_marked),
        cmocka_unit_test(test_fuse_cell__which_recurrences_are_marked),
        cmocka_unit_test(test_fuse_cell__symbolic_batch_fused_up_to_the_limit_at_run_time),
        cmocka_unit_test(test_fuse_cell__overwrites_an_existing_attribute),
        cmocka_unit_test(test_fuse_cell__leaves_other_graphs_unchanged),
    };
    return cmocka_run_group_tests_name("fuse_cell", tests, NULL, NULL);
}
