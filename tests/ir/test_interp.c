/* test_interp.c -- the reference interpreter against hand-computed values, every op. */
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

static glc_value_id in(const char *name, glc_dtype dt, int rank, const int64_t *dims) {
    return tu_input(G, name, dt, rank, dims);
}

/* Marks y the only output, infers, verifies and runs with the given input buffers. */
static void run(glc_value_id y, const void *const *inputs, void *out) {
    glc_graph_add_output(G, y);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    void *outs[1] = {out};
    glc_status s = glc_interp_run(G, inputs, outs, &D);
    if (s) fail_msg("interp: %s", D.msg);
}

static void test_interp__add_broadcasts_row_and_column(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, (int64_t[]){2, 1});
    glc_value_id b = in("b", GLC_DT_F32, 1, (int64_t[]){3});
    glc_value_id ab[2] = {a, b};
    glc_value_id y = tu_node(G, GLC_OP_ADD, "add", ab, 2, NULL);
    float av[2] = {10, 20}, bv[3] = {1, 2, 3}, out[6];
    run(y, (const void *[]){av, bv}, out);
    tu_assert_floats(out, (float[]){11, 12, 13, 21, 22, 23}, 6);
}

static void test_interp__sub_mul_div_f32(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 1, (int64_t[]){3});
    glc_value_id b = in("b", GLC_DT_F32, 0, NULL);
    glc_value_id ab[2] = {a, b};
    glc_value_id s = tu_node(G, GLC_OP_SUB, "sub", ab, 2, NULL);
    glc_value_id sb[2] = {s, b};
    glc_value_id m = tu_node(G, GLC_OP_MUL, "mul", sb, 2, NULL);
    glc_value_id mb[2] = {m, b};
    glc_value_id y = tu_node(G, GLC_OP_DIV, "div", mb, 2, NULL);
    float av[3] = {4, 6, 8}, bv[1] = {2}, out[3];
    run(y, (const void *[]){av, bv}, out); /* ((a-2)*2)/2 */
    tu_assert_floats(out, (float[]){2, 4, 6}, 3);
}

static void test_interp__i64_arithmetic_truncating_div(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_I64, 1, (int64_t[]){4});
    glc_value_id b = in("b", GLC_DT_I64, 1, (int64_t[]){4});
    glc_value_id ab[2] = {a, b};
    glc_value_id q = tu_node(G, GLC_OP_DIV, "div", ab, 2, NULL);
    glc_value_id qb[2] = {q, b};
    glc_value_id y = tu_node(G, GLC_OP_MUL, "mul", qb, 2, NULL);
    int64_t av[4] = {7, -7, INT64_C(5000000000), 9}, bv[4] = {2, 2, 3, -4}, out[4];
    run(y, (const void *[]){av, bv}, out); /* (a/b)*b */
    assert_int_equal(out[0], 6);
    assert_int_equal(out[1], -6);
    assert_int_equal(out[2], INT64_C(4999999998));
    assert_int_equal(out[3], 8);
}

static void test_interp__i32_add_sub(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_I32, 1, (int64_t[]){2});
    glc_value_id ab[2] = {a, a};
    glc_value_id s = tu_node(G, GLC_OP_ADD, "add", ab, 2, NULL);
    glc_value_id sa[2] = {s, a};
    glc_value_id y = tu_node(G, GLC_OP_SUB, "sub", sa, 2, NULL);
    int32_t av[2] = {5, -3}, out[2];
    run(y, (const void *[]){av}, out);
    assert_int_equal(out[0], 5);
    assert_int_equal(out[1], -3);
}

static void test_interp__relu_sigmoid_tanh(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 1, (int64_t[]){3});
    glc_value_id r = tu_node(G, GLC_OP_RELU, "relu", &x, 1, NULL);
    glc_value_id s = tu_node(G, GLC_OP_SIGMOID, "sig", &x, 1, NULL);
    glc_value_id t = tu_node(G, GLC_OP_TANH, "tanh", &x, 1, NULL);
    glc_graph_add_output(G, r);
    glc_graph_add_output(G, s);
    glc_graph_add_output(G, t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    float xv[3] = {-1, 0, 2}, ro[3], so[3], to[3];
    assert_int_equal(glc_interp_run(G, (const void *[]){xv}, (void *[]){ro, so, to}, &D), GLC_OK);
    tu_assert_floats(ro, (float[]){0, 0, 2}, 3);
    tu_assert_floats(so, (float[]){0.26894142f, 0.5f, 0.88079708f}, 3);
    tu_assert_floats(to, (float[]){-0.76159416f, 0.0f, 0.96402758f}, 3);
}

static void test_interp__softmax_opset13_single_axis(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 2, (int64_t[]){2, 2});
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, &nid);
    glc_node_set_int(G, nid, "axis", 0);
    float xv[4] = {0, 1000, 0, 1000}, out[4]; /* columns are equal: 0.5 each; big values stable */
    run(y, (const void *[]){xv}, out);
    tu_assert_floats(out, (float[]){0.5f, 0.5f, 0.5f, 0.5f}, 4);
}

static void test_interp__softmax_default_axis_is_last(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 2, (int64_t[]){1, 3});
    glc_value_id y = tu_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, NULL);
    float xv[3] = {1, 2, 3}, out[3];
    run(y, (const void *[]){xv}, out);
    tu_assert_floats(out, (float[]){0.09003057f, 0.24472847f, 0.66524096f}, 3);
}

static void test_interp__softmax_legacy_axis_flattens_trailing_dims(void **state) {
    (void)state;
    G->opset = 11;
    glc_value_id x = in("x", GLC_DT_F32, 3, (int64_t[]){2, 1, 2});
    glc_value_id y = tu_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, NULL); /* axis 1: rows of 2 */
    float xv[4] = {1, 2, 3, 3}, out[4];
    run(y, (const void *[]){xv}, out);
    tu_assert_floats(out, (float[]){0.26894142f, 0.73105858f, 0.5f, 0.5f}, 4);
}

/* f64 rows are computed in double: steps of 1e-12 (below f32's resolution) still count. */
static void test_interp__softmax_f64_strided_axis_computes_in_double(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F64, 2, (int64_t[]){3, 2});
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_SOFTMAX, "sm", &x, 1, &nid);
    glc_node_set_int(G, nid, "axis", 0); /* rows of 3, spaced 2 apart */
    double xv[6] = {1, 700, 1 + 1e-12, 700 - 1e-12, 1 + 2e-12, 650}, out[6];
    run(y, (const void *[]){xv}, out);
    for (int j = 0; j < 2; j++) {
        double mx = fmax(fmax(xv[j], xv[2 + j]), xv[4 + j]), sum = 0;
        for (int k = 0; k < 3; k++) sum += exp(xv[2 * k + j] - mx);
        for (int k = 0; k < 3; k++) assert_true(out[2 * k + j] == exp(xv[2 * k + j] - mx) / sum);
    }
    assert_true(out[0] < out[2] && out[2] < out[4]);
}

static void test_interp__gemm_trans_alpha_beta_c_broadcast(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, (int64_t[]){2, 2}); /* A^T is used */
    glc_value_id b = in("b", GLC_DT_F32, 2, (int64_t[]){3, 2}); /* B^T is used */
    glc_value_id c = in("c", GLC_DT_F32, 1, (int64_t[]){3});
    glc_value_id abc[3] = {a, b, c};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_GEMM, "gemm", abc, 3, &nid);
    glc_node_set_int(G, nid, "transA", 1);
    glc_node_set_int(G, nid, "transB", 1);
    glc_node_set_float(G, nid, "alpha", 2.0f);
    glc_node_set_float(G, nid, "beta", 0.5f);
    /* A^T = [[1,3],[2,4]], B^T = [[1,0,1],[0,1,1]]: A^T B^T = [[1,3,4],[2,4,6]] */
    float av[4] = {1, 2, 3, 4}, bv[6] = {1, 0, 0, 1, 1, 1}, cv[3] = {10, 20, 30}, out[6];
    run(y, (const void *[]){av, bv, cv}, out);
    tu_assert_floats(out, (float[]){7, 16, 23, 9, 18, 27}, 6);
}

static void test_interp__gemm_without_c_column_c(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, (int64_t[]){2, 2});
    glc_value_id b = in("b", GLC_DT_F32, 2, (int64_t[]){2, 1});
    glc_value_id c = in("c", GLC_DT_F32, 2, (int64_t[]){2, 1});
    glc_value_id abc[3] = {a, b, c}, ab_[3] = {a, b, 0};
    glc_value_id y1 = tu_node(G, GLC_OP_GEMM, "g1", abc, 3, NULL);
    glc_value_id y2 = tu_node(G, GLC_OP_GEMM, "g2", ab_, 3, NULL);
    glc_graph_add_output(G, y1);
    glc_graph_add_output(G, y2);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    float av[4] = {1, 2, 3, 4}, bv[2] = {1, 1}, cv[2] = {100, 200}, o1[2], o2[2];
    assert_int_equal(glc_interp_run(G, (const void *[]){av, bv, cv}, (void *[]){o1, o2}, &D),
                     GLC_OK);
    tu_assert_floats(o1, (float[]){103, 207}, 2);
    tu_assert_floats(o2, (float[]){3, 7}, 2);
}

static void test_interp__matmul_1d_promotion(void **state) {
    (void)state;
    glc_value_id v = in("v", GLC_DT_F32, 1, (int64_t[]){2});
    glc_value_id m = in("m", GLC_DT_F32, 2, (int64_t[]){2, 3});
    glc_value_id vm[2] = {v, m};
    glc_value_id y = tu_node(G, GLC_OP_MATMUL, "mm", vm, 2, NULL);
    float vv[2] = {1, 2}, mv[6] = {1, 2, 3, 4, 5, 6}, out[3];
    run(y, (const void *[]){vv, mv}, out);
    tu_assert_floats(out, (float[]){9, 12, 15}, 3);
}

static void test_interp__matmul_batched_broadcast(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 3, (int64_t[]){2, 1, 2}); /* two [1,2] rows */
    glc_value_id b = in("b", GLC_DT_F32, 2, (int64_t[]){2, 2});    /* shared */
    glc_value_id ab[2] = {a, b};
    glc_value_id y = tu_node(G, GLC_OP_MATMUL, "mm", ab, 2, NULL);
    float av[4] = {1, 0, 2, 3}, bv[4] = {1, 2, 3, 4}, out[4];
    run(y, (const void *[]){av, bv}, out);
    tu_assert_floats(out, (float[]){1, 2, 11, 16}, 4);
}

static void test_interp__matmul_matrix_by_vector(void **state) {
    (void)state;
    glc_value_id m = in("m", GLC_DT_F32, 3, (int64_t[]){2, 2, 2});
    glc_value_id v = in("v", GLC_DT_F32, 1, (int64_t[]){2});
    glc_value_id mv[2] = {m, v};
    glc_value_id y = tu_node(G, GLC_OP_MATMUL, "mm", mv, 2, NULL);
    float mvv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, vv[2] = {1, -1}, out[4];
    run(y, (const void *[]){mvv, vv}, out);
    tu_assert_floats(out, (float[]){-1, -1, -1, -1}, 4);
}

static void test_interp__reshape_zero_and_minus_one(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_I64, 3, (int64_t[]){2, 2, 2});
    glc_value_id s = glc_graph_add_const(G, "s", GLC_DT_I64, 1, (int64_t[]){2},
                                         (int64_t[]){0, -1});
    glc_value_id xs[2] = {x, s};
    glc_value_id y = tu_node(G, GLC_OP_RESHAPE, "r", xs, 2, NULL);
    int64_t xv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
    run(y, (const void *[]){xv}, out);
    tu_assert_shape(G, y, GLC_DT_I64, 2, (int64_t[]){2, 4});
    assert_memory_equal(out, xv, sizeof xv);
}

static void test_interp__flatten_and_identity_copy(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 3, (int64_t[]){1, 2, 2});
    glc_value_id f = tu_node(G, GLC_OP_FLATTEN, "f", &x, 1, NULL);
    glc_value_id y = tu_node(G, GLC_OP_IDENTITY, "id", &f, 1, NULL);
    float xv[4] = {1, 2, 3, 4}, out[4];
    run(y, (const void *[]){xv}, out);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){1, 4});
    tu_assert_floats(out, xv, 4);
}

static void test_interp__transpose_perm(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_I32, 3, (int64_t[]){2, 3, 1});
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_TRANSPOSE, "t", &x, 1, &nid);
    glc_node_set_ints(G, nid, "perm", (int64_t[]){1, 2, 0}, 3);
    int32_t xv[6] = {0, 1, 2, 3, 4, 5}, out[6], want[6] = {0, 3, 1, 4, 2, 5};
    run(y, (const void *[]){xv}, out);
    tu_assert_shape(G, y, GLC_DT_I32, 3, (int64_t[]){3, 1, 2});
    assert_memory_equal(out, want, sizeof want);
}

static void test_interp__transpose_default_reverses(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 2, (int64_t[]){2, 3});
    glc_value_id y = tu_node(G, GLC_OP_TRANSPOSE, "t", &x, 1, NULL);
    float xv[6] = {0, 1, 2, 3, 4, 5}, out[6];
    run(y, (const void *[]){xv}, out);
    tu_assert_floats(out, (float[]){0, 3, 1, 4, 2, 5}, 6);
}

static void test_interp__concat_negative_axis(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 2, (int64_t[]){2, 1});
    glc_value_id b = glc_graph_add_const(G, "b", GLC_DT_F32, 2, (int64_t[]){2, 2},
                                         (float[]){5, 6, 7, 8});
    glc_value_id ab[2] = {a, b};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_CONCAT, "c", ab, 2, &nid);
    glc_node_set_int(G, nid, "axis", -1);
    float av[2] = {1, 2}, out[6];
    run(y, (const void *[]){av}, out);
    tu_assert_floats(out, (float[]){1, 5, 6, 2, 7, 8}, 6);
}

static void test_interp__outputs_that_are_inputs_consts_or_consumed(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F32, 1, (int64_t[]){2});
    glc_value_id k = glc_graph_add_const(G, "k", GLC_DT_F32, 1, (int64_t[]){2}, (float[]){3, 4});
    glc_value_id xk[2] = {x, k};
    glc_value_id s = tu_node(G, GLC_OP_ADD, "add", xk, 2, NULL);
    glc_value_id ss[2] = {s, s};
    glc_value_id m = tu_node(G, GLC_OP_MUL, "mul", ss, 2, NULL);
    glc_graph_add_output(G, s);
    glc_graph_add_output(G, m);
    glc_graph_add_output(G, x);
    glc_graph_add_output(G, k);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    float xv[2] = {1, 2}, os[2], om[2], ox[2], ok[2];
    assert_int_equal(glc_interp_run(G, (const void *[]){xv}, (void *[]){os, om, ox, ok}, &D),
                     GLC_OK);
    tu_assert_floats(os, (float[]){4, 6}, 2);
    tu_assert_floats(om, (float[]){16, 36}, 2);
    tu_assert_floats(ox, xv, 2);
    tu_assert_floats(ok, (float[]){3, 4}, 2);
}

static void test_interp__elementwise_ops_compute_f64_in_double(void **state) {
    (void)state;
    glc_value_id x = in("x", GLC_DT_F64, 1, (int64_t[]){3});
    glc_value_id y = tu_node(G, GLC_OP_RELU, "relu", &x, 1, NULL);
    glc_value_id t = tu_node(G, GLC_OP_TANH, "tanh", &x, 1, NULL);
    glc_graph_add_output(G, y);
    glc_graph_add_output(G, t);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    double xv[3] = {-1, 2, 1e-300}, out[3], th[3];
    assert_int_equal(glc_interp_run(G, (const void *[]){xv}, (void *[]){out, th}, &D), GLC_OK);
    assert_true(out[0] == 0 && out[1] == 2 && out[2] == 1e-300);
    assert_true(th[1] == tanh(2.0) && th[2] == 1e-300);
}

static void test_interp__node_api_runs_one_node(void **state) {
    (void)state;
    glc_value_id a = in("a", GLC_DT_F32, 1, (int64_t[]){2});
    glc_value_id ab[2] = {a, a};
    tu_node(G, GLC_OP_MUL, "mul", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    float av[2] = {3, -2}, out[2];
    assert_int_equal(glc_interp_node(G, &G->nodes[0], (const void *[]){av, av}, (void *[]){out}, &D),
                     GLC_OK);
    tu_assert_floats(out, (float[]){9, 4}, 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_interp__add_broadcasts_row_and_column),
        T(test_interp__sub_mul_div_f32),
        T(test_interp__i64_arithmetic_truncating_div),
        T(test_interp__i32_add_sub),
        T(test_interp__relu_sigmoid_tanh),
        T(test_interp__softmax_opset13_single_axis),
        T(test_interp__softmax_default_axis_is_last),
        T(test_interp__softmax_legacy_axis_flattens_trailing_dims),
        T(test_interp__softmax_f64_strided_axis_computes_in_double),
        T(test_interp__gemm_trans_alpha_beta_c_broadcast),
        T(test_interp__gemm_without_c_column_c),
        T(test_interp__matmul_1d_promotion),
        T(test_interp__matmul_batched_broadcast),
        T(test_interp__matmul_matrix_by_vector),
        T(test_interp__reshape_zero_and_minus_one),
        T(test_interp__flatten_and_identity_copy),
        T(test_interp__transpose_perm),
        T(test_interp__transpose_default_reverses),
        T(test_interp__concat_negative_axis),
        T(test_interp__outputs_that_are_inputs_consts_or_consumed),
        T(test_interp__elementwise_ops_compute_f64_in_double),
        T(test_interp__node_api_runs_one_node),
    };
    return cmocka_run_group_tests_name("ir/interp", tests, NULL, NULL);
}
