/* test_infer.c -- shape inference: the ONNX shape rules and their error messages. */
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

static glc_value_id in(const char *name, glc_dtype dt, int rank, int64_t d0, int64_t d1,
                       int64_t d2, int64_t d3) {
    int64_t dims[4] = {d0, d1, d2, d3};
    return tu_input(G, name, dt, rank, dims);
}

static void test_infer__add_broadcasts_numpy_style(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 3, 2, 1, 4, 0), b = in("b", GLC_DT_F32, 2, 3, 1, 0, 0);
    glc_value_id ab[2] = {a, b};
    glc_value_id y = tu_node(G, GLC_OP_ADD, "add0", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 3, (int64_t[]){2, 3, 4});
}

static void test_infer__add_incompatible_names_both_shapes(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, 2, 3, 0, 0), b = in("b", GLC_DT_F32, 1, 4, 0, 0, 0);
    glc_value_id ab[2] = {a, b};
    tu_node(G, GLC_OP_ADD, "add0", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Add: cannot broadcast input 0 f32[2,3] with input 1 f32[4]");
    assert_string_equal(D.node, "add0");
    assert_string_equal(D.op, "Add");
}

static void test_infer__binary_dtype_mismatch_is_shape_error(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 1, 3, 0, 0, 0), b = in("b", GLC_DT_I64, 1, 3, 0, 0, 0);
    glc_value_id ab[2] = {a, b};
    tu_node(G, GLC_OP_MUL, "m", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_non_null(strstr(D.msg, "i64[3]"));
}

static void test_infer__unknown_input_dtype_rejected(void **state) {
    (void)state;
    glc_value_id u = glc_graph_add_value(G, "u", GLC_DT_UNDEF, 0, NULL);
    tu_node(G, GLC_OP_RELU, "r", &u, 1, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_non_null(strstr(D.msg, "'u'"));
}

static void test_infer__arity_checked_against_op_table(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 1, 3, 0, 0, 0);
    tu_node(G, GLC_OP_ADD, "add1", &a, 1, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
}

static void test_infer__gemm_trans_and_c_broadcast(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, 4, 2, 0, 0), b = in("b", GLC_DT_F32, 2, 3, 4, 0, 0);
    glc_value_id c = in("c", GLC_DT_F32, 1, 3, 0, 0, 0);
    glc_value_id abc[3] = {a, b, c};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_GEMM, "gemm0", abc, 3, &nid);
    glc_node_set_int(G, nid, "transA", 1);
    glc_node_set_int(G, nid, "transB", 1);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){2, 3});
}

static void test_infer__gemm_bad_c_rejected(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, 2, 4, 0, 0), b = in("b", GLC_DT_F32, 2, 4, 3, 0, 0);
    glc_value_id c = in("c", GLC_DT_F32, 1, 2, 0, 0, 0);
    glc_value_id abc[3] = {a, b, c};
    tu_node(G, GLC_OP_GEMM, "gemm0", abc, 3, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Gemm: input 2 f32[2] does not broadcast to [2,3]");
}

static void test_infer__matmul_1d_and_batched(void **state) {
    (void)state;
    glc_value_id v = in("v", GLC_DT_F32, 1, 4, 0, 0, 0);
    glc_value_id m = in("m", GLC_DT_F32, 3, 5, 4, 3, 0);
    glc_value_id b = in("b", GLC_DT_F32, 4, 2, 1, 3, 6);
    glc_value_id vm[2] = {v, m}, mv[2] = {m, v}, mb[2] = {m, b};
    glc_value_id y1 = tu_node(G, GLC_OP_MATMUL, "mm1", vm, 2, NULL);
    glc_value_id y3 = tu_node(G, GLC_OP_MATMUL, "mm3", mb, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y1, GLC_DT_F32, 2, (int64_t[]){5, 3});
    tu_assert_shape(G, y3, GLC_DT_F32, 4, (int64_t[]){2, 5, 4, 6});
    tu_node(G, GLC_OP_MATMUL, "mm2", mv, 2, NULL); /* [5,4,3] @ [4]: 3 != 4 */
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "MatMul: cannot multiply input 0 f32[5,4,3] by input 1 f32[4]");
}

static glc_value_id shape_const(const char *name, int n, const int64_t *v) {
    int64_t dims[1] = {n};
    return glc_graph_add_const(G, name, GLC_DT_I64, 1, dims, v);
}

static void test_infer__reshape_zero_copies_and_minus_one_infers(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 3, 2, 3, 4, 0);
    glc_value_id s = shape_const("s", 2, (int64_t[]){0, -1});
    glc_value_id xs[2] = {x, s};
    glc_value_id y = tu_node(G, GLC_OP_RESHAPE, "r", xs, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){2, 12});
}

static void test_infer__reshape_allowzero_keeps_zero(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 2, 0, 3, 0, 0);
    glc_value_id s = shape_const("s", 2, (int64_t[]){3, 0});
    glc_value_id xs[2] = {x, s};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_RESHAPE, "r", xs, 2, &nid);
    glc_node_set_int(G, nid, "allowzero", 1);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){3, 0});
}

static void test_infer__reshape_needs_constant_shape(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 1, 6, 0, 0, 0), s = in("s", GLC_DT_I64, 1, 2, 0, 0, 0);
    glc_value_id xs[2] = {x, s};
    tu_node(G, GLC_OP_RESHAPE, "r", xs, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_UNSUPPORTED);
    assert_string_equal(D.msg, "Reshape: input 1 'shape' must be a constant; bind graph input 's' "
                               "with --bind");
}

static void test_infer__reshape_bad_count_and_two_minus_ones(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 1, 6, 0, 0, 0);
    glc_value_id s1 = shape_const("s1", 2, (int64_t[]){4, 2});
    glc_value_id xs[2] = {x, s1};
    tu_node(G, GLC_OP_RESHAPE, "r1", xs, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    G->nodes[0].dead = true;
    xs[1] = shape_const("s2", 2, (int64_t[]){-1, -1});
    tu_node(G, GLC_OP_RESHAPE, "r2", xs, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.node, "r2");
}

static void test_infer__flatten_negative_axis(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 4, 2, 3, 4, 5);
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_FLATTEN, "f", &x, 1, &nid);
    glc_node_set_int(G, nid, "axis", -1);
    glc_value_id y0 = tu_node(G, GLC_OP_FLATTEN, "f0", &x, 1, &nid);
    glc_node_set_int(G, nid, "axis", 0);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){24, 5});
    tu_assert_shape(G, y0, GLC_DT_F32, 2, (int64_t[]){1, 120});
}

static void test_infer__transpose_default_reverses_and_perm_checked(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_I32, 3, 2, 3, 4, 0);
    glc_value_id y = tu_node(G, GLC_OP_TRANSPOSE, "t", &x, 1, NULL);
    glc_node_id nid;
    glc_value_id z = tu_node(G, GLC_OP_TRANSPOSE, "t2", &x, 1, &nid);
    glc_node_set_ints(G, nid, "perm", (int64_t[]){1, 0, 2}, 3);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_I32, 3, (int64_t[]){4, 3, 2});
    tu_assert_shape(G, z, GLC_DT_I32, 3, (int64_t[]){3, 2, 4});
    tu_node(G, GLC_OP_TRANSPOSE, "t3", &x, 1, &nid);
    glc_node_set_ints(G, nid, "perm", (int64_t[]){1, 1, 2}, 3);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
}

static void test_infer__concat_negative_axis_and_mismatch(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, 2, 3, 0, 0), b = in("b", GLC_DT_F32, 2, 2, 5, 0, 0);
    glc_value_id ab[2] = {a, b};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_CONCAT, "c", ab, 2, &nid);
    glc_node_set_int(G, nid, "axis", -1);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){2, 8});
    tu_node(G, GLC_OP_CONCAT, "c0", ab, 2, &nid);
    glc_node_set_int(G, nid, "axis", 0);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg,
                        "Concat: input 0 f32[2,3] and input 1 f32[2,5] differ outside axis 0");
}

static void test_infer__softmax_axis_range_by_opset(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 2, 2, 3, 0, 0);
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_SOFTMAX, "s", &x, 1, &nid);
    glc_node_set_int(G, nid, "axis", 2);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    G->opset = 11; /* before 13, axis == rank is a legal (degenerate) coercion */
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){2, 3});
}

static void test_infer__matmul_overflow_is_limit(void **state) {
    (void)state;
    int64_t big = INT64_C(1) << 40;
    glc_value_id a = in("a", GLC_DT_F32, 2, big, 1, 0, 0), b = in("b", GLC_DT_F32, 2, 1, big, 0, 0);
    glc_value_id ab[2] = {a, b};
    tu_node(G, GLC_OP_MATMUL, "mm", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_LIMIT);
}

static void test_infer__relu_takes_ints_sigmoid_does_not(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_I32, 1, 5, 0, 0, 0);
    glc_value_id y = tu_node(G, GLC_OP_RELU, "relu", &x, 1, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_I32, 1, (int64_t[]){5});
    tu_node(G, GLC_OP_SIGMOID, "sig", &x, 1, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Sigmoid: input 0 i32[5] must be f16, bf16, f32 or f64");
}

static void test_infer__broadcast_shape_helper(void **state) {
    (void)state;
    int r;
    int64_t out[GLC_MAX_RANK];
    assert_true(glc_broadcast_shape(2, (int64_t[]){5, 1}, 3, (int64_t[]){2, 1, 7}, &r, out));
    assert_int_equal(r, 3);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 5);
    assert_int_equal(out[2], 7);
    assert_true(glc_broadcast_shape(0, NULL, 1, (int64_t[]){0}, &r, out));
    assert_int_equal(out[0], 0);
    assert_false(glc_broadcast_shape(1, (int64_t[]){3}, 1, (int64_t[]){0}, &r, out));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_infer__add_broadcasts_numpy_style),
        T(test_infer__add_incompatible_names_both_shapes),
        T(test_infer__binary_dtype_mismatch_is_shape_error),
        T(test_infer__unknown_input_dtype_rejected),
        T(test_infer__arity_checked_against_op_table),
        T(test_infer__gemm_trans_and_c_broadcast),
        T(test_infer__gemm_bad_c_rejected),
        T(test_infer__matmul_1d_and_batched),
        T(test_infer__reshape_zero_copies_and_minus_one_infers),
        T(test_infer__reshape_allowzero_keeps_zero),
        T(test_infer__reshape_needs_constant_shape),
        T(test_infer__reshape_bad_count_and_two_minus_ones),
        T(test_infer__flatten_negative_axis),
        T(test_infer__transpose_default_reverses_and_perm_checked),
        T(test_infer__concat_negative_axis_and_mismatch),
        T(test_infer__softmax_axis_range_by_opset),
        T(test_infer__matmul_overflow_is_limit),
        T(test_infer__relu_takes_ints_sigmoid_does_not),
        T(test_infer__broadcast_shape_helper),
    };
    return cmocka_run_group_tests_name("ir/infer", tests, NULL, NULL);
}
