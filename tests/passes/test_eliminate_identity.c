/* Tests for passes/eliminate_identity.c. */
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
    GLC_TRY(glc_pass_eliminate_identity(g, &cx));
    return glc_graph_verify(g, d);
}

static void test_eliminate_identity__rewires_users_to_the_input(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_value_id i = tb_node(g, GLC_OP_IDENTITY, "id", &x, 1, "i");
    glc_graph_add_output(g, tb_node(g, GLC_OP_RELU, "relu", &i, 1, "y"));
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->nodes[0].op, GLC_OP_RELU);
    assert_string_equal(g->values[g->nodes[0].in[0]].name, "x");
    glc_graph_destroy(g);
}

static void test_eliminate_identity__keeps_identity_that_writes_a_graph_output(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_graph_add_output(g, tb_node(g, GLC_OP_IDENTITY, "id", &x, 1, "y"));
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(tb_live_nodes(g, GLC_OP_IDENTITY), 1);
    glc_graph_destroy(g);
}

static void test_eliminate_identity__leaves_graph_without_identity_unchanged(void **state) {
    glc_graph *g = glc_graph_create();
    int64_t d2[1] = {2};
    glc_value_id x = tb_input(g, "x", 1, d2);
    glc_graph_add_output(g, tb_node(g, GLC_OP_RELU, "relu", &x, 1, "y"));
    uint32_t nv = g->n_values;
    glc_diag d = {0};
    assert_int_equal(run(g, &d), GLC_OK);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->n_values, nv);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eliminate_identity__rewires_users_to_the_input),
        cmocka_unit_test(test_eliminate_identity__keeps_identity_that_writes_a_graph_output),
        cmocka_unit_test(test_eliminate_identity__leaves_graph_without_identity_unchanged),
    };
    return cmocka_run_group_tests_name("eliminate_identity", tests, NULL, NULL);
}
