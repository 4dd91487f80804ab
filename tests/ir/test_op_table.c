/* test_op_table.c -- the op table itself (ops.def): every row is consistent, and the
 * type constraints it carries are checked for every node before its infer function. */
#include "ir_test_util.h"

#include <string.h>

static glc_graph *G;
static glc_diag D;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 17;
    memset(&D, 0, sizeof D);
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

static void test_op_table__every_type_signature_fits_its_row(void **state) {
    (void)state;
    for (int op = GLC_OP_NONE + 1; op < GLC_OP_COUNT; op++) {
        const char *why = glc_op_sig_check((glc_op)op);
        if (why) fail_msg("%s: TYPES(.., \"%s\"): %s", glc_op_name((glc_op)op),
                          glc_op_table[op].types.sig, why);
    }
}

static void test_op_table__type_variable_binds_across_inputs(void **state) {
    (void)state;
    glc_value_id ab[2] = {tu_input(G, "a", GLC_DT_F32, 1, (int64_t[]){3}),
                          tu_input(G, "b", GLC_DT_I64, 1, (int64_t[]){3})};
    tu_node(G, GLC_OP_SUB, "s", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Sub: dtype mismatch: input 0 f32[3], input 1 i64[3]");
}

/* Outside ONNX's constraint: a type error; inside it but not implemented: unsupported. */
static void test_op_table__invalid_and_unimplemented_dtypes_differ(void **state) {
    (void)state;
    glc_value_id ab[2] = {tu_input(G, "a", GLC_DT_BOOL, 2, (int64_t[]){2, 2}),
                          tu_input(G, "b", GLC_DT_BOOL, 2, (int64_t[]){2, 2})};
    tu_node(G, GLC_OP_MATMUL, "mm", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "MatMul: input 0 bool[2,2] must be f16, bf16, f32, f64, i32, i64, "
                               "u32 or u64");
    G->values[ab[0]].dtype = G->values[ab[1]].dtype = GLC_DT_I32;
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_UNSUPPORTED);
    assert_string_equal(D.msg, "MatMul: input 0 i32[2,2]: only f32 is supported");
}

static void test_op_table__fixed_slot_types_are_checked(void **state) {
    (void)state;
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, 3}),
                          glc_graph_add_const(G, "s", GLC_DT_F32, 1, (int64_t[]){1},
                                              (float[]){6})};
    glc_node_id n;
    tu_node(G, GLC_OP_RESHAPE, "r", in, 2, &n);
    assert_int_equal(glc_op_check_types(G, &G->nodes[n], &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Reshape: input 1 f32[1] must be i64");
}

static void test_op_table__output_dtype_follows_the_signature(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, (int64_t[]){3});
    glc_node_id n;
    tu_node(G, GLC_OP_SHAPE, "sh", &x, 1, &n);
    assert_int_equal(glc_op_out_dtype(G, &G->nodes[n], 0), GLC_DT_I64);
    tu_node(G, GLC_OP_CAST, "c", &x, 1, &n);
    glc_node_set_int(G, n, "to", GLC_DT_U16);
    assert_int_equal(glc_op_out_dtype(G, &G->nodes[n], 0), GLC_DT_U16);
    tu_node(G, GLC_OP_CAST, "c1", &x, 1, &n);
    glc_node_set_string(G, n, "to", "DOUBLE");
    assert_int_equal(glc_op_out_dtype(G, &G->nodes[n], 0), GLC_DT_F64);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_op_table__every_type_signature_fits_its_row),
        T(test_op_table__type_variable_binds_across_inputs),
        T(test_op_table__invalid_and_unimplemented_dtypes_differ),
        T(test_op_table__fixed_slot_types_are_checked),
        T(test_op_table__output_dtype_follows_the_signature),
    };
    return cmocka_run_group_tests_name("op_table", tests, NULL, NULL);
}
