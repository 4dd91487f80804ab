/* test_verify.c -- the verifier accepts well-formed graphs and names the broken node. */
#include "ir_test_util.h"

#include <string.h>

static glc_graph *G;
static glc_diag D;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 13;
    memset(&D, 0, sizeof D);
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

/* x -> relu -> tanh -> out. */
static void build_chain(glc_value_id *x, glc_value_id *r, glc_value_id *t) {
    int64_t dims[2] = {1, 4};
    *x = tu_input(G, "x", GLC_DT_F32, 2, dims);
    *r = tu_node(G, GLC_OP_RELU, "relu0", x, 1, NULL);
    *t = tu_node(G, GLC_OP_TANH, "tanh0", r, 1, NULL);
    glc_graph_add_output(G, *t);
}

static void test_verify__accepts_inferred_chain(void **state) {
    (void)state;
    glc_value_id x, r, t;
    build_chain(&x, &r, &t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
}

static void test_verify__missing_shape_rejected(void **state) {
    (void)state;
    glc_value_id x, r, t;
    build_chain(&x, &r, &t);
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_string_equal(D.node, "relu0");
    assert_non_null(strstr(D.msg, "dtype"));
}

static void test_verify__out_of_order_node_rejected(void **state) {
    (void)state;
    glc_value_id x, r, t;
    build_chain(&x, &r, &t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    /* swap the two nodes: tanh0 now reads relu0's output before it is defined */
    glc_node tmp = G->nodes[0];
    G->nodes[0] = G->nodes[1];
    G->nodes[1] = tmp;
    G->values[r].producer = 1;
    G->values[t].producer = 0;
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_string_equal(D.node, "tanh0");
    assert_non_null(strstr(D.msg, "before its definition"));
}

static void test_verify__value_used_without_definition_rejected(void **state) {
    (void)state;
    int64_t dims[1] = {3};
    glc_value_id orphan = glc_graph_add_value(G, "orphan", GLC_DT_F32, 1, dims);
    tu_node(G, GLC_OP_RELU, "relu0", &orphan, 1, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_string_equal(D.node, "relu0");
}

static void test_verify__absent_required_input_rejected(void **state) {
    (void)state;
    int64_t dims[2] = {2, 2};
    glc_value_id a = tu_input(G, "a", GLC_DT_F32, 2, dims);
    glc_value_id in3[3] = {a, a, 0}, in_bad[2] = {a, 0};
    glc_value_id y = tu_node(G, GLC_OP_GEMM, "gemm_ok", in3, 3, NULL);
    glc_graph_add_output(G, y);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    glc_value_id z = glc_graph_add_value(G, "z", GLC_DT_F32, 2, dims);
    glc_graph_add_node(G, GLC_OP_GEMM, "gemm_bad", in_bad, 2, &z, 1);
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_string_equal(D.node, "gemm_bad");
}

static void test_verify__consuming_dead_output_rejected(void **state) {
    (void)state;
    glc_value_id x, r, t;
    build_chain(&x, &r, &t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    G->nodes[0].dead = true;
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_string_equal(D.node, "tanh0");
    assert_non_null(strstr(D.msg, "dead"));
}

static void test_verify__value_produced_twice_rejected(void **state) {
    (void)state;
    glc_value_id x, r, t;
    build_chain(&x, &r, &t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    glc_graph_add_node(G, GLC_OP_RELU, "dup", &x, 1, &r, 1);
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_string_equal(D.node, "dup");
}

static void test_verify__bad_arity_and_ids_rejected(void **state) {
    (void)state;
    glc_value_id x, r, t;
    build_chain(&x, &r, &t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    G->nodes[1].in[0] = 999;
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_non_null(strstr(D.msg, "out of range"));
    G->nodes[1].in[0] = r;
    G->nodes[1].n_in = 0;
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_non_null(strstr(D.msg, "arity"));
}

static void test_verify__negative_dim_and_bad_output_rejected(void **state) {
    (void)state;
    glc_value_id x, r, t;
    build_chain(&x, &r, &t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    G->values[r].dims[1] = -1;
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    G->values[r].dims[1] = 4;
    glc_value_id never = glc_graph_add_value(G, "never", GLC_DT_F32, 0, NULL);
    glc_graph_add_output(G, never);
    assert_int_equal(glc_graph_verify(G, &D), GLC_E_INVALID_IR);
    assert_non_null(strstr(D.msg, "never"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_verify__accepts_inferred_chain),
        T(test_verify__missing_shape_rejected),
        T(test_verify__out_of_order_node_rejected),
        T(test_verify__value_used_without_definition_rejected),
        T(test_verify__absent_required_input_rejected),
        T(test_verify__consuming_dead_output_rejected),
        T(test_verify__value_produced_twice_rejected),
        T(test_verify__bad_arity_and_ids_rejected),
        T(test_verify__negative_dim_and_bad_output_rejected),
    };
    return cmocka_run_group_tests_name("ir/verify", tests, NULL, NULL);
}
