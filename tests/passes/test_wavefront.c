/* Tests for passes/wavefront.c: the golden dump of a marked GridLSTM (K = 1, tied), the
 * K = 2 grids marked (tied or not), the grids left in raster order (K = 1 untied, one
 * layer or one step; K = 2 with one row or column), running twice (one attribute), and a
 * graph without recurrences left unchanged. */
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
    assert_int_equal(glc_pass_wavefront(g, &cx), GLC_OK);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
}

/* A GridLSTM over K scanned axes of sizes S1 (and S2) (batch 1, hidden = channels = 2),
 * L layers, tied or not, runtime weights. The node is node 0. */
static glc_graph *grid2(int k, int64_t S1, int64_t S2, int64_t L, bool tied) {
    int64_t F = 2, Lw = tied ? 1 : L, K1 = k + 1;
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    int64_t x[4] = {1, F, S1, S2};
    glc_value_id in[2] = {tb_input(g, "X", 2 + k, x),
                          tb_input(g, "W", 4, (int64_t[]){Lw, K1, 4 * F, K1 * F})};
    glc_graph_add_output(g, tb_node(g, GLC_OP_GRIDLSTM, "grid", in, 2, "Y"));
    glc_node_set_int(g, 0, "hidden_size", F);
    glc_node_set_int(g, 0, "num_layers", L);
    if (tied) glc_node_set_int(g, 0, "tied", 1);
    return g;
}

static glc_graph *grid(int k, int64_t S, int64_t L, bool tied) {
    return grid2(k, S, S, L, tied);
}

static void test_wavefront__tied_k1_grid_marked(void **state) {
    (void)state;
    glc_graph *g = grid(1, 5, 3, true);
    run(g);
    char *after = tb_dump(g);
    const char *want = "graph main (opset 14)\n"
                       "  input  %X: f32[1,2,5]\n"
                       "  input  %W: f32[1,2,8,4]\n"
                       "  %Y: f32[1,2,5] = GridLSTM(%X, %W) {hidden_size=2, num_layers=3, "
                       "tied=1, glc_wavefront=1}     # node 'grid'\n"
                       "  output %Y\n";
    assert_string_equal(after, want);
    free(after);
    glc_graph_destroy(g);
}

/* K = 2 grids of at least 2 x 2, tied or not, one layer or more: marked. */
static void test_wavefront__k2_grids_marked(void **state) {
    (void)state;
    glc_graph *gs[3] = {grid2(2, 2, 5, 1, false), grid2(2, 4, 3, 3, true),
                        grid2(2, 3, 3, 2, false)};
    for (int k = 0; k < 3; k++) {
        run(gs[k]);
        assert_int_equal(glc_attr_int(&gs[k]->nodes[0], GLC_ATTR_WAVEFRONT, -1), 1);
        glc_graph_destroy(gs[k]);
    }
}

/* K = 1 untied, one layer or one step; K = 2 with one row or one column: no attribute (K = 1
 * with two steps and two layers: one). */
static void test_wavefront__other_grids_left_alone(void **state) {
    (void)state;
    glc_graph *g2 = grid(1, 2, 2, true);
    run(g2);
    assert_int_equal(glc_attr_int(&g2->nodes[0], GLC_ATTR_WAVEFRONT, -1), 1);
    glc_graph_destroy(g2);
    glc_graph *gs[5] = {grid(1, 5, 3, false), grid(1, 5, 1, true), grid(1, 1, 3, true),
                        grid2(2, 1, 6, 2, false), grid2(2, 6, 1, 2, true)};
    for (int k = 0; k < 5; k++) {
        run(gs[k]);
        assert_null(glc_node_attr(&gs[k]->nodes[0], GLC_ATTR_WAVEFRONT));
        glc_graph_destroy(gs[k]);
    }
}

/* Running twice (or on a model that carries glc_wavefront = 0) leaves one attribute, 1. */
static void test_wavefront__overwrites_an_existing_attribute(void **state) {
    (void)state;
    glc_graph *g = grid(1, 5, 3, true);
    glc_node_set_int(g, 0, GLC_ATTR_WAVEFRONT, 0);
    run(g);
    run(g);
    assert_int_equal(tb_attr_count(&g->nodes[0], GLC_ATTR_WAVEFRONT), 1);
    assert_int_equal(glc_attr_int(&g->nodes[0], GLC_ATTR_WAVEFRONT, -1), 1);
    glc_graph_destroy(g);
}

/* No recurrent node: nothing changes. */
static void test_wavefront__leaves_other_graphs_unchanged(void **state) {
    (void)state;
    tb_check_plain_graph_unchanged(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wavefront__tied_k1_grid_marked),
        cmocka_unit_test(test_wavefront__k2_grids_marked),
        cmocka_unit_test(test_wavefront__other_grids_left_alone),
        cmocka_unit_test(test_wavefront__overwrites_an_existing_attribute),
        cmocka_unit_test(test_wavefront__leaves_other_graphs_unchanged),
    };
    return cmocka_run_group_tests_name("wavefront", tests, NULL, NULL);
}
