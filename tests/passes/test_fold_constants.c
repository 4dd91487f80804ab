/* Tests for passes/fold_constants.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build.h"
#include "passes.h"

static glc_status run(glc_graph *g, glc_diag *d) {
    glc_pipeline_options o = {.verify_each = true};
    glc_pass_ctx cx = {.opt = &o, .diag = d};
    GLC_TRY(glc_infer_shapes(g, d));
    GLC_TRY(glc_pass_fold_constants(g, &cx));
    return glc_graph_verify(g, d);
}

/* x + (a * b) where a, b constant: the Mul folds, the Add stays. */
static void test_fold_constants__folds_constant_subexpression(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    float a[2] = {1, 2}, b[2] = {3, 4};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_value_id ab[2] = {tb_const_f32(g, "a", 1, d2, a), tb_const_f32(g, "b", 1, d2, b)};
    glc_value_id m = tb_node(g, GLC_OP_MUL, "mul", ab, 2, "m");
    glc_value_id xm[2] = {x, m};
    glc_value_id y = tb_node(g, GLC_OP_ADD, "add", xm, 2, "y");
    glc_graph_add_output(g, y);
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(tb_live_nodes(g, GLC_OP_NONE), 1);
    assert_int_equal(g->nodes[0].op, GLC_OP_ADD);
    const glc_value *folded = &g->values[g->nodes[0].in[1]];
    assert_non_null(folded->data);
    assert_float_equal(((const float *)folded->data)[0], 3.0f, 0);
    assert_float_equal(((const float *)folded->data)[1], 8.0f, 0);
    glc_graph_destroy(g);
}

/* A chain of constant nodes collapses in one sweep: Reshape(Transpose(c)). */
static void test_fold_constants__folds_chains_in_one_sweep(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d23[2] = {2, 3}, d1[1] = {1}, d6[1] = {6}, shape[1] = {6};
    float c[6] = {1, 2, 3, 4, 5, 6};
    glc_value_id cv = tb_const_f32(g, "c", 2, d23, c);
    glc_value_id t = tb_node(g, GLC_OP_TRANSPOSE, "tr", &cv, 1, "t");
    glc_value_id rin[2] = {t, tb_const_i64(g, "shape", 1, d1, shape)};
    glc_value_id r = tb_node(g, GLC_OP_RESHAPE, "rs", rin, 2, "r");
    glc_value_id x = tb_input(g, "x", 1, d6);
    glc_value_id xr[2] = {x, r};
    glc_graph_add_output(g, tb_node(g, GLC_OP_ADD, "add", xr, 2, "y"));
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(tb_live_nodes(g, GLC_OP_NONE), 1);
    const float *f = g->values[g->nodes[0].in[1]].data;
    float want[6] = {1, 4, 2, 5, 3, 6};
    for (int i = 0; i < 6; i++) assert_float_equal(f[i], want[i], 0);
    glc_graph_destroy(g);
}

/* x + Pad(c, 2^25 - 1 zeros): folding would allocate 128 MiB, so the Pad stays a node. */
static void test_fold_constants__leaves_nodes_with_huge_outputs(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d1[1] = {1}, d2[1] = {2}, dbig[1] = {1 << 25}, pads[2] = {(1 << 25) - 1, 0};
    float c[1] = {1};
    glc_value_id pin[2] = {tb_const_f32(g, "c", 1, d1, c), tb_const_i64(g, "pads", 1, d2, pads)};
    glc_value_id p = tb_node(g, GLC_OP_PAD, "pad", pin, 2, "p");
    glc_value_id xp[2] = {tb_input(g, "x", 1, dbig), p};
    glc_graph_add_output(g, tb_node(g, GLC_OP_ADD, "add", xp, 2, "y"));
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(tb_live_nodes(g, GLC_OP_PAD), 1);
    assert_null(g->values[p].data);
    glc_graph_destroy(g);
}

static void test_fold_constants__leaves_graph_without_constant_nodes_unchanged(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_value_id r = tb_node(g, GLC_OP_RELU, "relu", &x, 1, "r");
    glc_graph_add_output(g, tb_node(g, GLC_OP_TANH, "tanh", &r, 1, "y"));
    glc_diag d = {0};
    uint32_t nv = g->n_values;
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(tb_live_nodes(g, GLC_OP_NONE), 2);
    assert_int_equal(g->n_values, nv);
    glc_graph_destroy(g);
}

/* A node that computes a graph output keeps its node, so the output keeps a producer. */
static void test_fold_constants__keeps_nodes_that_write_graph_outputs(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    float a[2] = {-1, 2};
    glc_value_id c = tb_const_f32(g, "a", 1, d2, a);
    glc_graph_add_output(g, tb_node(g, GLC_OP_RELU, "relu", &c, 1, "y"));
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(tb_live_nodes(g, GLC_OP_RELU), 1);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_constants__folds_constant_subexpression),
        cmocka_unit_test(test_fold_constants__folds_chains_in_one_sweep),
        cmocka_unit_test(test_fold_constants__leaves_nodes_with_huge_outputs),
        cmocka_unit_test(test_fold_constants__leaves_graph_without_constant_nodes_unchanged),
        cmocka_unit_test(test_fold_constants__keeps_nodes_that_write_graph_outputs),
    };
    return cmocka_run_group_tests_name("fold_constants", tests, NULL, NULL);
}
