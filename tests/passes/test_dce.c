/* Tests for passes/dce.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build.h"
#include "passes.h"

static glc_status run(glc_graph *g, glc_diag *d) {
    glc_pass_ctx cx = {.diag = d};
    GLC_TRY(glc_infer_shapes(g, d));
    GLC_TRY(glc_pass_dce(g, &cx));
    return glc_graph_verify(g, d);
}

static void test_dce__removes_nodes_no_output_depends_on(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_value_id unused = tb_node(g, GLC_OP_SIGMOID, "dead1", &x, 1, "u");
    tb_node(g, GLC_OP_TANH, "dead2", &unused, 1, "u2");
    glc_graph_add_output(g, tb_node(g, GLC_OP_RELU, "relu", &x, 1, "y"));
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->nodes[0].op, GLC_OP_RELU);
    assert_int_equal(glc_graph_find_value(g, "u"), 0);
    assert_int_equal(glc_graph_find_value(g, "u2"), 0);
    glc_graph_destroy(g);
}

static void test_dce__keeps_unused_graph_inputs(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    tb_input(g, "unused_input", 1, d2);
    glc_graph_add_output(g, tb_node(g, GLC_OP_RELU, "relu", &x, 1, "y"));
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(g->n_inputs, 2);
    assert_string_equal(g->values[g->inputs[1]].name, "unused_input");
    glc_graph_destroy(g);
}

static void test_dce__leaves_fully_used_graph_unchanged(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_value_id r = tb_node(g, GLC_OP_RELU, "relu", &x, 1, "r");
    glc_graph_add_output(g, tb_node(g, GLC_OP_TANH, "tanh", &r, 1, "y"));
    uint32_t nv = g->n_values;
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(g->n_values, nv);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dce__removes_nodes_no_output_depends_on),
        cmocka_unit_test(test_dce__keeps_unused_graph_inputs),
        cmocka_unit_test(test_dce__leaves_fully_used_graph_unchanged),
    };
    return cmocka_run_group_tests_name("dce", tests, NULL, NULL);
}
