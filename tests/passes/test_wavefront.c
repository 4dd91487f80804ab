/* Tests for passes/wavefront.c: the golden dump of a marked GridLSTM (K = 1, tied), the
 * grids left in raster order (untied, K = 2, one layer, one step), running twice (one
 * attribute), and a graph without recurrences left unchanged. */
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

/* A GridLSTM over K scanned axes of size S (batch 1, hidden = channels = 2), L layers,
 * tied or not, runtime weights. The node is node 0. */
static glc_graph *grid(int k, int64_t S, int64_t L, bool tied) {
    int64_t F = 2, Lw = tied ? 1 : L, K1 = k + 1;
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    int64_t x[4] = {1, F, S, S};
    glc_value_id in[2] = {tb_input(g, "X", 2 + k, x),
                          tb_input(g, "W", 4, (int64_t[]){Lw, K1, 4 * F, K1 * F})};
    glc_graph_add_output(g, tb_node(g, GLC_OP_GRIDLSTM, "grid", in, 2, "Y"));
    glc_node_set_int(g, 0, "hidden_size", F);
    glc_node_set_int(g, 0, "num_layers", L);
    if (tied) glc_node_set_int(g, 0, "tied", 1);
    return g;
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

/* Untied weights, K = 2, one layer, one step: no attribute (two steps and layers: one). */
static void test_wavefront__other_grids_left_alone(void **state) {
    (void)state;
    glc_graph *g2 = grid(1, 2, 2, true);
    run(g2);
    assert_int_equal(glc_attr_int(&g2->nodes[0], "glc_wavefront", -1), 1);
    glc_graph_destroy(g2);
    glc_graph *gs[4] = {grid(1, 5, 3, false), grid(2, 3, 3, true), grid(1, 5, 1, true),
                        grid(1, 1, 3, true)};
    for (int k = 0; k < 4; k++) {
        run(gs[k]);
        assert_null(glc_node_attr(&gs[k]->nodes[0], "glc_wavefront"));
        glc_graph_destroy(gs[k]);
    }
}

/* Running twice (or on a model that carries glc_wavefront = 0) leaves one attribute, 1. */
static void test_wavefront__overwrites_an_existing_attribute(void **state) {
    (void)state;
    glc_graph *g = grid(1, 5, 3, true);
    glc_node_set_int(g, 0, "glc_wavefront", 0);
    run(g);
    run(g);
    int found = 0;
    for (uint16_t i = 0; i < g->nodes[0].n_attrs; i++)
        found += !strcmp(g->nodes[0].attrs[i].name, "glc_wavefront");
    assert_int_equal(found, 1);
    assert_int_equal(glc_attr_int(&g->nodes[0], "glc_wavefront", -1), 1);
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
        cmocka_unit_test(test_wavefront__other_grids_left_alone),
        cmocka_unit_test(test_wavefront__overwrites_an_existing_attribute),
        cmocka_unit_test(test_wavefront__leaves_other_graphs_unchanged),
    };
    return cmocka_run_group_tests_name("wavefront", tests, NULL, NULL);
}
