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

/* An input that gives only its dtype ('_': neither read nor broadcast) is a required one. */
static void test_op_table__type_only_inputs_are_required(void **state) {
    (void)state;
    for (int op = GLC_OP_NONE + 1; op < GLC_OP_COUNT; op++)
        for (int i = 0; i < 3; i++)
            if (glc_op_input_type_only((glc_op)op, i) && glc_op_table[op].in_min < i + 1)
                fail_msg("%s: type-only input %d is optional", glc_op_name((glc_op)op), i);
    assert_false(glc_op_input_type_only(GLC_OP_ADD, 1));
    assert_false(glc_op_input_type_only(GLC_OP_NONE, 0));
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

static void test_op_table__every_attribute_spec_parses(void **state) {
    (void)state;
    for (int op = GLC_OP_NONE + 1; op < GLC_OP_COUNT; op++) {
        const char *why = glc_ew_spec_check((glc_op)op);
        if (why) fail_msg("%s: \"%s\": %s", glc_op_name((glc_op)op), glc_ew_attr_spec((glc_op)op), why);
        bool ew = (glc_op_table[op].flags & OPF_ELEMWISE) != 0;
        assert_int_equal(ew, glc_ew_attr_spec((glc_op)op) != NULL);
    }
}

/* One elementwise node on x with attributes set by the caller; infers and returns status. */
static glc_node_id ew_node(glc_op op, glc_dtype dt) {
    glc_value_id x = tu_input(G, "x", dt, 1, (int64_t[]){4});
    glc_node_id n;
    tu_node(G, op, "e", &x, 1, &n);
    return n;
}

static void test_op_table__elementwise_attributes_are_held_to_the_spec(void **state) {
    (void)state;
    glc_node_id n = ew_node(GLC_OP_LEAKYRELU, GLC_DT_F32);
    glc_node_set_int(G, n, "alpha", 2);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "LeakyRelu: attribute 'alpha' must be a float");
    teardown(NULL);
    setup(NULL);
    n = ew_node(GLC_OP_HARDSIGMOID, GLC_DT_F32);
    glc_node_set_float(G, n, "gamma", 2);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_UNSUPPORTED);
    assert_string_equal(D.msg, "HardSigmoid: attribute 'gamma' is not supported");
    teardown(NULL);
    setup(NULL);
    n = ew_node(GLC_OP_RELU, GLC_DT_F32);
    glc_node_set_ints(G, n, "consumed_inputs", (int64_t[]){0}, 1); /* legacy, harmless */
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
}

static void test_op_table__enumerated_attributes_name_their_values(void **state) {
    (void)state;
    glc_node_id n = ew_node(GLC_OP_GELU, GLC_DT_F32);
    glc_node_set_string(G, n, "approximate", "fast");
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Gelu: attribute 'approximate' is 'fast'; expected none or tanh");
    G->nodes[n].attrs[0].s = "tanh";
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    assert_true(glc_ew_attr_is(&G->nodes[n], "approximate", "tanh"));
    double v;
    assert_true(glc_ew_attr_num(&G->nodes[n], "approximate", &v) == false);
}

static void test_op_table__required_attributes_must_be_there(void **state) {
    (void)state;
    glc_value_id ab[2] = {tu_input(G, "a", GLC_DT_U32, 1, (int64_t[]){3}),
                          tu_input(G, "b", GLC_DT_U32, 1, (int64_t[]){3})};
    glc_node_id n;
    tu_node(G, GLC_OP_BITSHIFT, "sh", ab, 2, &n);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "BitShift: attribute 'direction' is required");
    glc_node_set_string(G, n, "direction", "UP");
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "BitShift: attribute 'direction' is 'UP'; expected LEFT or RIGHT");
}

static void test_op_table__cast_needs_a_tensor_dtype(void **state) {
    (void)state;
    glc_node_id n = ew_node(GLC_OP_CAST, GLC_DT_F32);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Cast: attribute 'to' is required");
    glc_node_set_int(G, n, "to", GLC_DT_STRING);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_UNSUPPORTED);
    assert_string_equal(D.msg, "Cast: to string is not supported");
    G->nodes[n].attrs[0].i = 42;
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_SHAPE);
    assert_string_equal(D.msg, "Cast: attribute 'to' names no tensor dtype");
}

static void test_op_table__elementwise_inputs_broadcast_together(void **state) {
    (void)state;
    glc_value_id ab[2] = {tu_input(G, "a", GLC_DT_U8, 3, (int64_t[]){2, 1, 4}),
                          tu_input(G, "b", GLC_DT_U8, 2, (int64_t[]){3, 1})};
    glc_value_id y = tu_node(G, GLC_OP_DIV, "d", ab, 2, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_U8, 3, (int64_t[]){2, 3, 4});
}

static void test_op_table__variadic_elementwise_ops_take_up_to_64_inputs(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, (int64_t[]){2}), in[65];
    for (int i = 0; i < 65; i++)
        in[i] = x;
    tu_node(G, GLC_OP_SUM, "s", in, 64, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_node(G, GLC_OP_SUM, "s65", in, 65, NULL);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_E_UNSUPPORTED);
    assert_string_equal(D.msg, "Sum: 65 inputs; glc takes at most 64");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_op_table__every_type_signature_fits_its_row),
        T(test_op_table__type_variable_binds_across_inputs),
        T(test_op_table__invalid_and_unimplemented_dtypes_differ),
        T(test_op_table__fixed_slot_types_are_checked),
        T(test_op_table__output_dtype_follows_the_signature),
        T(test_op_table__type_only_inputs_are_required),
        T(test_op_table__every_attribute_spec_parses),
        T(test_op_table__elementwise_attributes_are_held_to_the_spec),
        T(test_op_table__enumerated_attributes_name_their_values),
        T(test_op_table__required_attributes_must_be_there),
        T(test_op_table__cast_needs_a_tensor_dtype),
        T(test_op_table__elementwise_inputs_broadcast_together),
        T(test_op_table__variadic_elementwise_ops_take_up_to_64_inputs),
    };
    return cmocka_run_group_tests_name("op_table", tests, NULL, NULL);
}
