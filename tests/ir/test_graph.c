/* test_graph.c -- graph utilities written by the lead: compaction, arena, attribute
 * getters and the one-line diagnostic format. */
#include "ir_test_util.h"

#include <string.h>

static void test_graph__compact_drops_dead_nodes_and_renumbers(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    glc_diag d = {0};
    int64_t dims[1] = {2};
    glc_value_id x = tu_input(g, "x", GLC_DT_F32, 1, dims);
    glc_value_id unused = glc_graph_add_value(g, "unused", GLC_DT_F32, 1, dims);
    glc_value_id a = tu_node(g, GLC_OP_RELU, "dead_relu", &x, 1, NULL);
    glc_value_id t = tu_node(g, GLC_OP_TANH, "tanh0", &x, 1, NULL);
    glc_graph_add_output(g, t);
    (void)unused;
    (void)a;
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    g->nodes[0].dead = true;
    assert_int_equal(glc_graph_compact(g), GLC_OK);
    assert_int_equal(g->n_nodes, 1);
    assert_string_equal(g->nodes[0].name, "tanh0");
    assert_int_equal(g->n_values, 3); /* none, x, tanh0_out */
    assert_int_equal(glc_graph_find_value(g, "unused"), 0);
    assert_int_equal(glc_graph_find_value(g, "dead_relu_out"), 0);
    glc_value_id nx = glc_graph_find_value(g, "x"), nt = glc_graph_find_value(g, "tanh0_out");
    assert_int_equal(g->nodes[0].in[0], nx);
    assert_int_equal(g->nodes[0].out[0], nt);
    assert_int_equal(g->outputs[0], nt);
    assert_int_equal(g->inputs[0], nx);
    assert_int_equal(g->values[nt].producer, 0);
    assert_int_equal(g->values[nx].producer, GLC_NO_NODE);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
    glc_graph_destroy(g);
}

static void test_graph__compact_keeps_constants_and_optional_absent(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    glc_diag d = {0};
    int64_t dims[2] = {2, 2};
    float w[4] = {1, 0, 0, 1};
    glc_value_id x = tu_input(g, "x", GLC_DT_F32, 2, dims);
    glc_graph_add_const(g, "dropme", GLC_DT_F32, 2, dims, w);
    glc_value_id k = glc_graph_add_const(g, "k", GLC_DT_F32, 2, dims, w);
    glc_value_id in[3] = {x, k, 0};
    glc_value_id y = tu_node(g, GLC_OP_GEMM, "gemm", in, 3, NULL);
    glc_graph_add_output(g, y);
    assert_int_equal(glc_graph_compact(g), GLC_OK);
    assert_int_equal(g->nodes[0].in[2], 0);
    glc_value_id nk = glc_graph_find_value(g, "k");
    assert_int_not_equal(nk, 0);
    assert_memory_equal(g->values[nk].data, w, sizeof w);
    assert_int_equal(glc_graph_find_value(g, "dropme"), 0);
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    assert_int_equal(glc_graph_verify(g, &d), GLC_OK);
    glc_graph_destroy(g);
}

static void test_graph__arena_zeroed_aligned_and_large(void **state) {
    (void)state;
    glc_arena a = {0};
    unsigned char *p = glc_arena_alloc(&a, 13);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    for (int i = 0; i < 13; i++) assert_int_equal(p[i], 0);
    unsigned char *q = glc_arena_alloc(&a, 1u << 20); /* larger than a block */
    assert_non_null(q);
    assert_int_equal((uintptr_t)q % 64, 0);
    q[(1u << 20) - 1] = 7;
    char *s = glc_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    assert_null(glc_arena_strdup(&a, NULL));
    int v[3] = {1, 2, 3};
    int *m = glc_arena_memdup(&a, v, sizeof v);
    assert_memory_equal(m, v, sizeof v);
    glc_arena_release(&a);
}

static void test_graph__attribute_getters_and_defaults(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    int64_t dims[1] = {1};
    glc_value_id x = tu_input(g, "x", GLC_DT_F32, 1, dims);
    glc_node_id n;
    tu_node(g, GLC_OP_RELU, "r", &x, 1, &n);
    char name[8] = "axis";
    assert_int_equal(glc_node_set_int(g, n, name, 3), GLC_OK);
    strcpy(name, "zzzz"); /* the graph must have copied the name */
    glc_node_set_float(g, n, "alpha", 0.25f);
    glc_node_set_string(g, n, "mode", "linear");
    glc_node_set_ints(g, n, "perm", (int64_t[]){2, 0, 1}, 3);
    glc_node_set_floats(g, n, "scales", (float[]){1.5f, 2.5f}, 2);
    const glc_node *nd = &g->nodes[n];
    assert_int_equal(glc_attr_int(nd, "axis", -7), 3);
    assert_int_equal(glc_attr_int(nd, "missing", -7), -7);
    assert_true(glc_attr_float(nd, "alpha", 1.0f) == 0.25f);
    assert_true(glc_attr_float(nd, "missing", 1.0f) == 1.0f);
    assert_string_equal(glc_attr_string(nd, "mode", "x"), "linear");
    assert_string_equal(glc_attr_string(nd, "missing", "dflt"), "dflt");
    uint32_t count = 99;
    const int64_t *perm = glc_attr_ints(nd, "perm", &count);
    assert_int_equal(count, 3);
    assert_int_equal(perm[0], 2);
    assert_int_equal(perm[2], 1);
    const float *sc = glc_attr_floats(nd, "scales", &count);
    assert_int_equal(count, 2);
    assert_true(sc[1] == 2.5f);
    assert_null(glc_attr_ints(nd, "nope", &count));
    assert_int_equal(count, 0);
    assert_null(glc_node_attr(nd, "zzzz"));
    assert_non_null(glc_node_attr(nd, "axis"));
    glc_graph_destroy(g);
}

static void test_graph__diag_format_full_line(void **state) {
    (void)state;
    glc_graph *g = glc_graph_create();
    int64_t dims[1] = {1};
    glc_value_id x = tu_input(g, "x", GLC_DT_F32, 1, dims);
    glc_value_id xx[2] = {x, x};
    tu_node(g, GLC_OP_ADD, "n1", xx, 2, NULL);
    glc_diag d = {0};
    d.file = "m.onnx";
    d.pass = "dce";
    assert_int_equal(glc_diag_set(&d, GLC_E_SHAPE, &g->nodes[0], "msg %d", 7), GLC_E_SHAPE);
    char buf[256];
    glc_diag_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "m.onnx: node 'n1' (Add) [dce]: shape error: msg 7");
    glc_graph_destroy(g);
}

static void test_graph__diag_format_partial_and_truncated(void **state) {
    (void)state;
    glc_diag d = {0};
    glc_diag_set(&d, GLC_E_IO, NULL, "cannot open\nfile");
    char buf[256];
    glc_diag_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "i/o error: cannot open file");
    d.file = "a.onnx";
    glc_diag_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "a.onnx: i/o error: cannot open file");
    d.file = NULL;
    d.pass = "fold";
    glc_diag_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "[fold]: i/o error: cannot open file");
    char small[8];
    glc_diag_format(&d, small, sizeof small);
    assert_string_equal(small, "[fold]:");
}

static void test_graph__shape_str_and_numel(void **state) {
    (void)state;
    char buf[64];
    glc_shape_str(GLC_DT_F32, 2, (int64_t[]){2, 3}, buf, sizeof buf);
    assert_string_equal(buf, "f32[2,3]");
    glc_shape_str(GLC_DT_I64, 0, NULL, buf, sizeof buf);
    assert_string_equal(buf, "i64[]");
    glc_shape_str(GLC_DT_UNDEF, 0, NULL, buf, sizeof buf);
    assert_string_equal(buf, "?");
    glc_value v = {.dtype = GLC_DT_I32, .rank = 0};
    assert_int_equal(glc_value_numel(&v), 1);
    assert_int_equal(glc_value_nbytes(&v), 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph__compact_drops_dead_nodes_and_renumbers),
        cmocka_unit_test(test_graph__compact_keeps_constants_and_optional_absent),
        cmocka_unit_test(test_graph__arena_zeroed_aligned_and_large),
        cmocka_unit_test(test_graph__attribute_getters_and_defaults),
        cmocka_unit_test(test_graph__diag_format_full_line),
        cmocka_unit_test(test_graph__diag_format_partial_and_truncated),
        cmocka_unit_test(test_graph__shape_str_and_numel),
    };
    return cmocka_run_group_tests_name("ir/graph", tests, NULL, NULL);
}
