/*
 * test_import_if.c -- ONNX If at import (frontend/import_if.c): with a compile-time
 * condition the branch it selects is inlined; with a run-time one both branches, their
 * nodes guarded by the condition, and a Where per output; refusals name what to bind. Fixtures from tests/fixtures/frontend/gen_fixtures.py (if_nested,
 * if_input, if_const, if_malformed, if_shapes, if_nested_rt); the expected values of
 * if_nested (NotAnOp replaced by Neg), if_input, if_const and if_nested_rt were checked
 * against ONNX Runtime when they were written.
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

/* A run-time If imports both branches: with x's dims symbolic no condition of if_nested
 * folds, and if_b's then branch has an op glc does not know. */
static void test_import_if__run_time_if_needs_both_branches_supported(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    glc_import_options o = {.symbolic_inputs = true};
    assert_int_equal(import("if_nested.onnx", &o, &g, &d), GLC_E_UNSUPPORTED);
    assert_null(g);
    assert_non_null(strstr(d.msg, "unsupported operators: ::NotAnOp (node #0) in then_branch "
                                  "of If 'if_b' (in a branch of If 'if_b': glc compiles both "
                                  "branches of an If whose condition is not known at compile "
                                  "time; it depends on symbolic dims ('last' is [x.1])"));
}

/* Branches whose outputs differ in shape are refused at run time, saying how to fix the
 * condition at compile time; fixed, the If imports. */
static void test_import_if__branches_of_different_shapes_need_a_compile_time_condition(
    void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("if_shape_sym.onnx", NULL, &g, &d), GLC_E_UNSUPPORTED);
    assert_null(g);
    assert_string_equal(d.node, "the_if");
    assert_string_equal(d.msg, "If: output 0 is f32[2*n,3] in then_branch and f32[n,3] in "
                               "else_branch: glc runs an If at run time only when its branches "
                               "agree; the condition 'c' is not known at compile time (it "
                               "depends on symbolic dims ('n0' is [n]): bind them with --dim "
                               "NAME=N or --shape INPUT=D0xD1x...)");
    assert_int_equal(import("if_shape_flag.onnx", NULL, &g, &d), GLC_E_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "the condition 'flag' is not known at compile time (it "
                                  "depends on graph input 'flag': bind it with --bind "
                                  "flag=FILE.npy)"));
    glc_import_dim n2 = {"n", 2};
    glc_import_options o = {.dims = &n2, .n_dims = 1};
    assert_int_equal(import("if_shape_sym.onnx", &o, &g, &d), GLC_OK);
    const glc_value *y = &g->values[g->outputs[0]];
    assert_int_equal(y->dims[0], 4);
    glc_graph_destroy(g);
}

static int guarded_nodes(const glc_graph *g, glc_value_id c, bool when) {
    int k = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const glc_node *n = &g->nodes[i];
        k += !n->dead && n->n_guards == 1 && n->guard[0] == c &&
             (n->guard_false & 1) == !when;
    }
    return k;
}

/* A condition known only at run time: both branches, guarded by it, and a Where; the
 * interpreter runs the one it selects. */
static void test_import_if__input_condition_guards_both_branches(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("if_input.onnx", NULL, &g, &d), GLC_OK);
    glc_value_id flag = glc_graph_find_value(g, "flag");
    assert_int_equal(live_nodes_of(g, GLC_OP_IF), 0);
    assert_int_equal(live_nodes_of(g, GLC_OP_WHERE), 1);
    assert_int_equal(guarded_nodes(g, flag, true), 1);  /* Add */
    assert_int_equal(guarded_nodes(g, flag, false), 1); /* Sub */
    const float x[3] = {1, 2, 3}, want_t[3] = {2, 3, 4}, want_f[3] = {0, 1, 2};
    float y[3];
    for (uint8_t f = 0; f < 2; f++) {
        assert_int_equal(glc_interp_run(g, (const void *[]){&f, x}, (void *[]){y}, &d), GLC_OK);
        assert_memory_equal(y, f ? want_t : want_f, sizeof y);
    }
    glc_graph_destroy(g);
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

/* Run-time Ifs nested: the inner branches' nodes carry both conditions; the interpreter
 * gives ONNX Runtime's outputs for every pair (a, b). */
static void test_import_if__nested_run_time_ifs_guard_with_both_conditions(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("if_nested_rt.onnx", NULL, &g, &d), GLC_OK);
    int two_guards = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        two_guards += g->nodes[i].n_guards == 2;
    assert_int_equal(two_guards, 2); /* Add if a && b, Sub if a && !b */
    const float x[3] = {1, 2, 3};
    const float want[4][3] = {{-1, -2, -3}, {0, 2, 4}, {-1, -2, -3}, {4, 6, 8}};
    for (uint8_t k = 0; k < 4; k++) {
        uint8_t a = k & 1, b = k >> 1;
        float y[3];
        assert_int_equal(glc_interp_run(g, (const void *[]){&a, &b, x}, (void *[]){y}, &d),
                         GLC_OK);
        assert_memory_equal(y, want[k], sizeof y);
    }
    glc_graph_destroy(g);
}

/* The raw import (no inference) replaces the If as well: the condition is no static
 * operand, so the conformance runner feeds it at run time. */
static void test_import_if__skip_infer_leaves_the_condition_a_run_time_input(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d;
    glc_import_options o = {.skip_infer = true};
    assert_int_equal(import("if_input.onnx", &o, &g, &d), GLC_OK);
    assert_int_equal(live_nodes_of(g, GLC_OP_IF), 0);
    assert_int_equal(live_nodes_of(g, GLC_OP_WHERE), 1);
    bool *need = calloc(g->n_values, sizeof *need);
    assert_non_null(need);
    glc_graph_static_values(g, need);
    assert_false(need[glc_graph_find_value(g, "flag")]);
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
        cmocka_unit_test(test_import_if__run_time_if_needs_both_branches_supported),
        cmocka_unit_test(
            test_import_if__branches_of_different_shapes_need_a_compile_time_condition),
        cmocka_unit_test(test_import_if__input_condition_guards_both_branches),
        cmocka_unit_test(test_import_if__nested_run_time_ifs_guard_with_both_conditions),
        cmocka_unit_test(test_import_if__bound_condition_selects_the_branch),
        cmocka_unit_test(test_import_if__skip_infer_leaves_the_condition_a_run_time_input),
        cmocka_unit_test(test_import_if__constant_condition_selects_a_branch_of_its_own_shape),
        cmocka_unit_test(test_import_if__malformed_if_is_refused_naming_the_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
