/*
 * test_import_if.c -- ONNX If with a compile-time condition, inlined at import
 * (frontend/import_if.c), and the refusal of one whose condition is not known
 * (ir/control.c). Fixtures from tests/fixtures/frontend/gen_fixtures.py (if_nested,
 * if_input, if_const, if_malformed); the expected values of if_nested (NotAnOp replaced by
 * Neg), if_input and if_const were checked against ONNX Runtime when they were written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX GLC_TEST_SRC "/fixtures/frontend/"

static glc_status import(const char *name, const glc_import_options *o, glc_graph **g,
                         glc_diag *d) {
    char path[512];
    snprintf(path, sizeof path, FIX "%s", name);
    memset(d, 0, sizeof *d);
    return glc_import_onnx_file_opts(path, o, g, d);
}

static int live_nodes_of(const glc_graph *g, glc_op op) {
    int k = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        k += !g->nodes[i].dead && g->nodes[i].op == op;
    return k;
}

/* The shapes fold both conditions (and the nested one); only the selected branches are
 * imported (if_b's then branch has an op glc does not know), and each 't' is its own. */
static void test_import_if__static_conditions_inline_the_selected_branches(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("if_nested.onnx", NULL, &g, &d), GLC_OK);
    assert_int_equal(live_nodes_of(g, GLC_OP_IF), 0);
    assert_int_equal(live_nodes_of(g, GLC_OP_RELU), 1);
    assert_int_equal(live_nodes_of(g, GLC_OP_NEG), 0);
    assert_int_equal(live_nodes_of(g, GLC_OP_SUB), 0);
    assert_int_not_equal(glc_graph_find_value(g, "t"), 0);
    assert_int_not_equal(glc_graph_find_value(g, "t~1"), 0);
    const float x[6] = {-3, -2, -1, 0, 1, 2};
    float y[6], y2[6];
    assert_int_equal(glc_interp_run(g, (const void *[]){x}, (void *[]){y, y2}, &d), GLC_OK);
    const float want_y[6] = {0, 0, 2, 1, 3, 5}, want_y2[6] = {-3, -4, -3, 0, 2, 6};
    assert_memory_equal(y, want_y, sizeof y);
    assert_memory_equal(y2, want_y2, sizeof y2);
    glc_graph_destroy(g);
}

static void test_import_if__symbolic_condition_says_to_bind_the_dims(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    glc_import_options o = {.symbolic_inputs = true};
    assert_int_equal(import("if_nested.onnx", &o, &g, &d), GLC_E_UNSUPPORTED);
    assert_null(g);
    assert_string_equal(d.node, "if_a");
    assert_non_null(strstr(d.msg, "If: the condition 'c' is not known at compile time (it "
                                  "depends on symbolic dims ('last' is [x.1]): bind them with "
                                  "--dim NAME=N or --shape"));
}

static void test_import_if__input_condition_says_to_bind_it(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("if_input.onnx", NULL, &g, &d), GLC_E_UNSUPPORTED);
    assert_null(g);
    assert_string_equal(d.op, "If");
    assert_non_null(strstr(d.msg, "If: the condition 'flag' is not known at compile time (it "
                                  "depends on graph input 'flag': bind it with --bind "
                                  "flag=FILE.npy)"));
}

static void run_bound(bool flag, const float *want) {
    uint8_t v = flag;
    glc_host_tensor t = {.dtype = GLC_DT_BOOL, .rank = 0, .data = &v, .nbytes = 1};
    glc_import_binding b = {"flag", &t};
    glc_import_options o = {.bind = &b, .n_bind = 1};
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("if_input.onnx", &o, &g, &d), GLC_OK);
    assert_int_equal(live_nodes_of(g, GLC_OP_IF), 0);
    assert_int_equal(g->n_inputs, 1);
    const float x[3] = {1, 2, 3};
    float y[3];
    assert_int_equal(glc_interp_run(g, (const void *[]){x}, (void *[]){y}, &d), GLC_OK);
    assert_memory_equal(y, want, sizeof y);
    glc_graph_destroy(g);
}

static void test_import_if__bound_condition_selects_the_branch(void **state) {
    (void)state;
    run_bound(true, (const float[]){2, 3, 4});
    run_bound(false, (const float[]){0, 1, 2});
}

/* The raw import keeps the If, so glc_graph_static_values asks for its condition. */
static void test_import_if__skip_infer_marks_the_condition_static(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    glc_import_options o = {.skip_infer = true};
    assert_int_equal(import("if_input.onnx", &o, &g, &d), GLC_OK);
    assert_int_equal(live_nodes_of(g, GLC_OP_IF), 1);
    bool *need = calloc(g->n_values, sizeof *need);
    assert_non_null(need);
    glc_graph_static_values(g, need);
    assert_true(need[glc_graph_find_value(g, "flag")]);
    assert_false(need[glc_graph_find_value(g, "x")]);
    free(need);
    glc_graph_destroy(g);
}

/* Constant conditions, with or without inference; the branches' outputs differ in shape
 * (ONNX allows it), and the output takes the shape of the branch selected. */
static void check_const(bool skip_infer) {
    glc_graph *g = NULL;
    glc_diag d;
    glc_import_options o = {.skip_infer = skip_infer};
    assert_int_equal(import("if_const.onnx", &o, &g, &d), GLC_OK);
    assert_int_equal(live_nodes_of(g, GLC_OP_IF), 0);
    assert_int_equal(live_nodes_of(g, GLC_OP_CONCAT), 1);
    if (skip_infer) assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    const glc_value *y = &g->values[g->outputs[0]], *y2 = &g->values[g->outputs[1]];
    assert_int_equal(y->rank, 2);
    assert_int_equal(y->dims[0], 4);
    assert_int_equal(y2->rank, 2);
    assert_int_equal(y2->dims[0], 2);
    const float x[6] = {-3, -2, -1, 0, 1, 2};
    float yv[12], y2v[6];
    assert_int_equal(glc_interp_run(g, (const void *[]){x}, (void *[]){yv, y2v}, &d), GLC_OK);
    for (int i = 0; i < 12; i++)
        assert_true(yv[i] == 2 * x[i % 6]);
    assert_memory_equal(y2v, x, sizeof x);
    glc_graph_destroy(g);
}

static void test_import_if__constant_condition_selects_a_branch_of_its_own_shape(void **state) {
    (void)state;
    check_const(false);
    check_const(true);
}

static void expect_refused(const char *model, glc_status want, const char *msg) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import(model, NULL, &g, &d), want);
    assert_null(g);
    assert_string_equal(d.node, "the_if");
    if (!strstr(d.msg, msg)) fail_msg("%s: got '%s'", model, d.msg);
}

static void test_import_if__malformed_if_is_refused_naming_the_node(void **state) {
    (void)state;
    expect_refused("if_no_else.onnx", GLC_E_PARSE,
                   "If needs graph attributes then_branch and else_branch");
    expect_refused("if_arity.onnx", GLC_E_PARSE, "If: then_branch has 2 outputs; the node has 1");
    expect_refused("if_branch_input.onnx", GLC_E_PARSE,
                   "If: then_branch has 1 inputs; a branch takes none");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_if__static_conditions_inline_the_selected_branches),
        cmocka_unit_test(test_import_if__symbolic_condition_says_to_bind_the_dims),
        cmocka_unit_test(test_import_if__input_condition_says_to_bind_it),
        cmocka_unit_test(test_import_if__bound_condition_selects_the_branch),
        cmocka_unit_test(test_import_if__skip_infer_marks_the_condition_static),
        cmocka_unit_test(test_import_if__constant_condition_selects_a_branch_of_its_own_shape),
        cmocka_unit_test(test_import_if__malformed_if_is_refused_naming_the_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
