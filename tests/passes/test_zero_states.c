/* Tests for passes/zero_states.c: an LSTM's initial state built by ConstantOfShape(0)
 * (through a Slice, as PyTorch exports it) or given as a zero constant becomes absent;
 * a non-zero fill or a graph input is kept; a plain graph is unchanged. */
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
    assert_int_equal(glc_pass_zero_states(g, &cx), GLC_OK);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
}

/* LSTM (3 steps, batch 2, input 3, hidden 2) whose initial_h is h0. */
static glc_node_id lstm_with(glc_graph *g, glc_value_id h0) {
    float w[8 * 3] = {0}, r[8 * 2] = {0};
    glc_value_id in[6] = {tb_input(g, "X", 3, (int64_t[]){3, 2, 3}),
                          tb_const_f32(g, "W", 3, (int64_t[]){1, 8, 3}, w),
                          tb_const_f32(g, "R", 3, (int64_t[]){1, 8, 2}, r), 0, 0, h0};
    glc_graph_add_output(g, tb_node(g, GLC_OP_LSTM, "lstm", in, 6, "Y"));
    glc_node_id k = g->n_nodes - 1;
    glc_node_set_int(g, k, "hidden_size", 2);
    return k;
}

/* ConstantOfShape([2, 2, 2]) with the given f32 value (NULL: the default 0), sliced to
 * its first direction. */
static glc_value_id filled(glc_graph *g, const float *value) {
    glc_value_id shp = tb_const_i64(g, "shp", 1, (int64_t[]){3}, (int64_t[]){2, 2, 2});
    glc_value_id full = tb_node(g, GLC_OP_CONSTANTOFSHAPE, "zeros", &shp, 1, "full");
    if (value) {
        glc_tensor *t = glc_arena_alloc(&g->arena, sizeof *t);
        *t = (glc_tensor){.dtype = GLC_DT_F32, .rank = 1, .dims = {1},
                          .data = glc_arena_memdup(&g->arena, value, sizeof *value)};
        glc_attr a = {.name = "value", .kind = GLC_ATTR_TENSOR, .t = t};
        glc_node_set_attr(g, g->n_nodes - 1, &a);
    }
    glc_value_id sl[3] = {full, tb_const_i64(g, "s", 1, (int64_t[]){1}, (int64_t[]){0}),
                          tb_const_i64(g, "e", 1, (int64_t[]){1}, (int64_t[]){1})};
    return tb_node(g, GLC_OP_SLICE, "slice", sl, 3, "h0");
}

static void test_zero_states__constant_of_shape_zero_through_slice_is_dropped(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    glc_node_id k = lstm_with(g, filled(g, NULL));
    run(g);
    assert_int_equal(g->nodes[k].in[5], 0);
    glc_graph_destroy(g);
}

static void test_zero_states__zero_constant_is_dropped(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    float z[4] = {0};
    glc_node_id k = lstm_with(g, tb_const_f32(g, "h0", 3, (int64_t[]){1, 2, 2}, z));
    run(g);
    assert_int_equal(g->nodes[k].in[5], 0);
    glc_graph_destroy(g);
}

static void test_zero_states__non_zero_fill_and_inputs_are_kept(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    float one = 1.0f;
    glc_node_id k = lstm_with(g, filled(g, &one));
    run(g);
    assert_int_not_equal(g->nodes[k].in[5], 0);
    glc_graph_destroy(g);
    g = glc_graph_create();
    g->opset = 14;
    k = lstm_with(g, tb_input(g, "h0", 3, (int64_t[]){1, 2, 2}));
    run(g);
    assert_int_not_equal(g->nodes[k].in[5], 0);
    glc_graph_destroy(g);
}

static void zero_states(glc_graph *g) {
    glc_diag d = {0};
    glc_pass_ctx cx = {.diag = &d};
    assert_int_equal(glc_pass_zero_states(g, &cx), GLC_OK);
}

static void test_zero_states__plain_graph_unchanged(void **state) {
    (void)state;
    tb_check_plain_graph_unchanged(zero_states);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_states__constant_of_shape_zero_through_slice_is_dropped),
        cmocka_unit_test(test_zero_states__zero_constant_is_dropped),
        cmocka_unit_test(test_zero_states__non_zero_fill_and_inputs_are_kept),
        cmocka_unit_test(test_zero_states__plain_graph_unchanged),
    };
    return cmocka_run_group_tests_name("zero_states", tests, NULL, NULL);
}
