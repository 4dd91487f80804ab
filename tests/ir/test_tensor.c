/* test_tensor.c -- shape inference, static operands, infer-time folding and reference
 * kernels of the tensor family (Split, Slice, Squeeze, Unsqueeze, Gather, Shape, Cast,
 * Dropout, Pad, the reductions, ArgMax, ArgMin) against hand-computed values. */
#include "ir_test_util.h"
#include "tensor.h"

#include <math.h>
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

static glc_value_id cst(const char *name, glc_dtype dt, int rank, const int64_t *dims,
                        const void *data) {
    glc_value_id v = glc_graph_add_const(G, name, dt, rank, dims, data);
    assert_int_not_equal(v, 0);
    return v;
}

static glc_value_id i64s(const char *name, int n, const int64_t *v) {
    int64_t d[1] = {n};
    return cst(name, GLC_DT_I64, 1, d, v);
}

static void ints(glc_node_id n, const char *name, int count, const int64_t *v) {
    assert_int_equal(glc_node_set_ints(G, n, name, v, (uint32_t)count), GLC_OK);
}

static void infer_ok(void) {
    if (glc_infer_shapes(G, &D)) fail_msg("infer: %s", D.msg);
}

static void infer_fails(glc_status want, const char *needle) {
    assert_int_equal(glc_infer_shapes(G, &D), want);
    if (!strstr(D.msg, needle)) fail_msg("diag '%s' lacks '%s'", D.msg, needle);
}

/* Infers, verifies and interprets with the graph outputs outs[0..n). */
static void run(const glc_value_id *outs, int n, const void *const *in, void *const *out) {
    for (int i = 0; i < n; i++)
        glc_graph_add_output(G, outs[i]);
    infer_ok();
    if (glc_graph_verify(G, &D)) fail_msg("verify: %s", D.msg);
    if (glc_interp_run(G, in, out, &D)) fail_msg("interp: %s", D.msg);
}

static void run1(glc_value_id y, const void *x, void *out) {
    const void *in[1] = {x};
    void *o[1] = {out};
    run(&y, 1, in, o);
}

/* ---- Slice ------------------------------------------------------------------------ */

static void test_tensor__slice_clamps_out_of_range_starts_and_ends(void **state) {
    (void)state;
    int64_t d[1] = {10};
    glc_value_id in[3] = {tu_input(G, "x", GLC_DT_F32, 1, d), i64s("s", 1, (int64_t[]){-3}),
                          i64s("e", 1, (int64_t[]){1000})};
    glc_value_id y = tu_node(G, GLC_OP_SLICE, "sl", in, 3, NULL);
    float x[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, got[3];
    run1(y, x, got);
    tu_assert_shape(G, y, GLC_DT_F32, 1, (int64_t[]){3});
    tu_assert_floats(got, (float[]){7, 8, 9}, 3);
}

static void test_tensor__slice_negative_step_walks_backwards(void **state) {
    (void)state;
    int64_t d[2] = {2, 6};
    glc_value_id in[5] = {tu_input(G, "x", GLC_DT_F32, 2, d), i64s("s", 1, (int64_t[]){4}),
                          i64s("e", 1, (int64_t[]){0}), i64s("a", 1, (int64_t[]){-1}),
                          i64s("st", 1, (int64_t[]){-2})};
    glc_value_id y = tu_node(G, GLC_OP_SLICE, "sl", in, 5, NULL);
    float x[12], got[4];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    run1(y, x, got);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){2, 2});
    tu_assert_floats(got, (float[]){4, 2, 10, 8}, 4);
}

static void test_tensor__slice_opset1_reads_attributes(void **state) {
    (void)state;
    G->opset = 9;
    int64_t d[2] = {4, 2};
    glc_value_id x = tu_input(G, "x", GLC_DT_I32, 2, d);
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_SLICE, "sl", &x, 1, &nid);
    ints(nid, "starts", 1, (int64_t[]){1});
    ints(nid, "ends", 1, (int64_t[]){3});
    ints(nid, "axes", 1, (int64_t[]){0});
    int32_t xv[8] = {0, 1, 2, 3, 4, 5, 6, 7}, got[4];
    run1(y, xv, got);
    tu_assert_shape(G, y, GLC_DT_I32, 2, (int64_t[]){2, 2});
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], i + 2);
}

static void test_tensor__slice_needs_constant_starts(void **state) {
    (void)state;
    int64_t d[1] = {4}, one[1] = {1};
    glc_value_id in[3] = {tu_input(G, "x", GLC_DT_F32, 1, d),
                          tu_input(G, "starts", GLC_DT_I64, 1, one), i64s("e", 1, one)};
    tu_node(G, GLC_OP_SLICE, "sl", in, 3, NULL);
    infer_fails(
        GLC_E_UNSUPPORTED,
        "Slice: input 1 'starts' must be a constant; bind graph input 'starts' with --bind");
}

/* Split sizes computed from a symbolic shape (Shape(x) for x (2, N)) are not a graph input
 * to bind: the diagnostic names the symbols instead. */
static void test_tensor__split_with_symbolic_sizes_names_the_symbols(void **state) {
    (void)state;
    int64_t d[2] = {2, glc_dim_symbol(G, "N")};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, d);
    glc_value_id shp = tu_node(G, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    tu_node(G, GLC_OP_SPLIT, "split", (glc_value_id[]){x, shp}, 2, NULL);
    infer_fails(GLC_E_UNSUPPORTED, "Split: input 1 'split' holds symbolic dims (computed from "
                                   "shapes) and must be a constant; bind the symbols with --dim");
}

/* Ends computed from a symbolic shape: Slice(x, [0, 1], Shape(x)) for x (2, N) is x[:, 1:],
 * (2, N - 1) for N >= 1. */
static void test_tensor__slice_with_symbolic_ends_slices_by_dims(void **state) {
    (void)state;
    glc_dim n = glc_dim_symbol(G, "N");
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, n});
    glc_value_id shp = tu_node(G, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_value_id y = tu_node(G, GLC_OP_SLICE, "sl",
                             (glc_value_id[]){x, i64s("s", 2, (int64_t[]){0, 1}), shp}, 3, NULL);
    infer_ok();
    assert_int_equal(G->values[y].dims[0], 2);
    assert_true(glc_dim_is_sym(G->values[y].dims[1]));
}

/* PyTorch's flip: Slice(x, [-1], [INT64_MIN + 1], axes [1], steps [-1]) on x (2, N) reverses
 * axis 1; the end, an integer below every dim, is not a symbolic dim (silero's reflect pad). */
static void test_tensor__slice_to_int64_min_walks_back_to_the_front(void **state) {
    (void)state;
    glc_dim n = glc_dim_symbol(G, "N");
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, n});
    glc_value_id in[5] = {x, i64s("s", 1, (int64_t[]){-1}),
                          i64s("e", 1, (int64_t[]){INT64_MIN + 1}), i64s("a", 1, (int64_t[]){1}),
                          i64s("st", 1, (int64_t[]){-1})};
    glc_value_id y = tu_node(G, GLC_OP_SLICE, "flip", in, 5, NULL);
    infer_ok();
    assert_int_equal(G->values[y].dims[0], 2);
    assert_true(glc_dim_is_sym(G->values[y].dims[1]));
}

/* Pads computed from a symbolic shape (Concat([0, 0], Shape(x)) for x (2, N)): the padded
 * shape is (2 + 2, N + N). */
static void test_tensor__pad_with_symbolic_pads_pads_by_dims(void **state) {
    (void)state;
    glc_dim n = glc_dim_symbol(G, "N");
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, n});
    glc_value_id shp = tu_node(G, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_node_id cid;
    glc_value_id cin[2] = {i64s("zeros", 2, (int64_t[]){0, 0}), shp};
    glc_value_id pads = tu_node(G, GLC_OP_CONCAT, "pads", cin, 2, &cid);
    glc_node_set_int(G, cid, "axis", 0);
    glc_value_id y = tu_node(G, GLC_OP_PAD, "pad", (glc_value_id[]){x, pads}, 2, NULL);
    infer_ok();
    assert_int_equal(G->values[y].dims[0], 4);
    assert_int_equal(G->values[y].dims[1], glc_dim_add(G, n, n));
}

static void test_tensor__slice_rejects_zero_step_and_repeated_axes(void **state) {
    (void)state;
    int64_t d[2] = {4, 4};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, d);
    glc_value_id in[5] = {x, i64s("s", 1, (int64_t[]){0}), i64s("e", 1, (int64_t[]){2}),
                          i64s("a", 1, (int64_t[]){0}), i64s("st", 1, (int64_t[]){0})};
    tu_node(G, GLC_OP_SLICE, "sl", in, 5, NULL);
    infer_fails(GLC_E_SHAPE, "steps[0] is 0");
    teardown(NULL);
    setup(NULL);
    x = tu_input(G, "x", GLC_DT_F32, 2, d);
    glc_value_id in2[4] = {x, i64s("s", 2, (int64_t[]){0, 0}), i64s("e", 2, (int64_t[]){1, 1}),
                           i64s("a", 2, (int64_t[]){1, -1})};
    tu_node(G, GLC_OP_SLICE, "sl", in2, 4, NULL);
    infer_fails(GLC_E_SHAPE, "axis -1 is out of range or repeated");
}

/* ---- Split ------------------------------------------------------------------------ */

/* Split node with n outputs; out[] gets them. */
static glc_node_id split_node(const glc_value_id *in, int n_in, int n, glc_value_id *out) {
    for (int k = 0; k < n; k++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", k);
        out[k] = glc_graph_add_value(G, name, GLC_DT_UNDEF, 0, NULL);
    }
    return glc_graph_add_node(G, GLC_OP_SPLIT, "split", in, n_in, out, n);
}

static void test_tensor__split_variable_parts_along_axis_1(void **state) {
    (void)state;
    int64_t d[2] = {2, 6};
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, d), i64s("sp", 2, (int64_t[]){2, 4})};
    glc_value_id out[2];
    glc_node_id nid = split_node(in, 2, 2, out);
    glc_node_set_int(G, nid, "axis", 1);
    float x[12], a[4], b[8];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    const void *xin[1] = {x};
    void *o[2] = {a, b};
    run(out, 2, xin, o);
    tu_assert_shape(G, out[0], GLC_DT_F32, 2, (int64_t[]){2, 2});
    tu_assert_shape(G, out[1], GLC_DT_F32, 2, (int64_t[]){2, 4});
    tu_assert_floats(a, (float[]){0, 1, 6, 7}, 4);
    tu_assert_floats(b, (float[]){2, 3, 4, 5, 8, 9, 10, 11}, 8);
}

static void test_tensor__split_rejects_uneven_equal_parts_and_bad_sums(void **state) {
    (void)state;
    int64_t d[1] = {7};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, d), out[3];
    split_node(&x, 1, 2, out);
    infer_fails(GLC_E_SHAPE, "does not split into 2 equal parts");
    teardown(NULL);
    setup(NULL);
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 1, d), i64s("sp", 2, (int64_t[]){3, 3})};
    split_node(in, 2, 2, out);
    infer_fails(GLC_E_SHAPE, "split sums to 6");
}

static void test_tensor__split_opset11_attribute_and_opset18_num_outputs(void **state) {
    (void)state;
    G->opset = 11;
    int64_t d3[1] = {3}, d7[1] = {7};
    glc_value_id x = tu_input(G, "x", GLC_DT_I64, 1, d3), out[3];
    glc_node_id nid = split_node(&x, 1, 2, out);
    ints(nid, "split", 2, (int64_t[]){1, 2});
    infer_ok();
    tu_assert_shape(G, out[0], GLC_DT_I64, 1, (int64_t[]){1});
    tu_assert_shape(G, out[1], GLC_DT_I64, 1, (int64_t[]){2});
    teardown(NULL);
    setup(NULL);
    G->opset = 18;
    x = tu_input(G, "x", GLC_DT_F32, 1, d7);
    nid = split_node(&x, 1, 3, out);
    glc_node_set_int(G, nid, "num_outputs", 3);
    infer_ok();
    tu_assert_shape(G, out[0], GLC_DT_F32, 1, (int64_t[]){3});
    tu_assert_shape(G, out[2], GLC_DT_F32, 1, (int64_t[]){1});
}

/* ---- Squeeze, Unsqueeze ----------------------------------------------------------- */

static void test_tensor__squeeze_without_axes_drops_every_one(void **state) {
    (void)state;
    int64_t d[4] = {1, 3, 1, 5};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 4, d);
    glc_value_id y = tu_node(G, GLC_OP_SQUEEZE, "sq", &x, 1, NULL);
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){3, 5});
}

static void test_tensor__squeeze_rejects_an_axis_that_is_not_one(void **state) {
    (void)state;
    int64_t d[2] = {1, 3};
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, d), i64s("ax", 1, (int64_t[]){-1})};
    tu_node(G, GLC_OP_SQUEEZE, "sq", in, 2, NULL);
    infer_fails(GLC_E_SHAPE, "axis 1 of input 0 f32[1,3] is not 1");
}

static void test_tensor__unsqueeze_inserts_axes_of_the_output(void **state) {
    (void)state;
    int64_t d[2] = {3, 4};
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, d), i64s("ax", 2, (int64_t[]){-1, 0})};
    glc_value_id y = tu_node(G, GLC_OP_UNSQUEEZE, "us", in, 2, NULL);
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){1, 3, 4, 1});
    teardown(NULL);
    setup(NULL);
    G->opset = 11;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, d);
    glc_node_id nid;
    y = tu_node(G, GLC_OP_UNSQUEEZE, "us", &x, 1, &nid);
    ints(nid, "axes", 2, (int64_t[]){1, 1});
    infer_fails(GLC_E_SHAPE, "axis 1 is out of range or repeated");
}

/* ---- Gather, Shape ---------------------------------------------------------------- */

static void test_tensor__gather_takes_negative_indices_along_axis_1(void **state) {
    (void)state;
    int64_t d[2] = {2, 3}, di[1] = {2};
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, d), tu_input(G, "i", GLC_DT_I32, 1, di)};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_GATHER, "ga", in, 2, &nid);
    glc_node_set_int(G, nid, "axis", 1);
    float x[6] = {0, 1, 2, 3, 4, 5}, got[4];
    int32_t idx[2] = {-1, 0};
    const void *xin[2] = {x, idx};
    void *o[1] = {got};
    run(&y, 1, xin, o);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){2, 2});
    tu_assert_floats(got, (float[]){2, 0, 5, 3}, 4);
    idx[0] = 3; /* out of range at run time: the interpreter reports it */
    assert_int_equal(glc_interp_run(G, xin, o, &D), GLC_E_ARG);
}

static void test_tensor__gather_checks_constant_indices_and_index_dtype(void **state) {
    (void)state;
    int64_t d[2] = {3, 3}, di[2] = {1, 2};
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, d),
                          cst("i", GLC_DT_I64, 2, di, (int64_t[]){0, -4})};
    tu_node(G, GLC_OP_GATHER, "ga", in, 2, NULL);
    infer_fails(GLC_E_SHAPE, "index -4 out of range [-3, 3)");
    teardown(NULL);
    setup(NULL);
    glc_value_id in2[2] = {tu_input(G, "x", GLC_DT_F32, 2, d), tu_input(G, "i", GLC_DT_F32, 2, di)};
    tu_node(G, GLC_OP_GATHER, "ga", in2, 2, NULL);
    infer_fails(GLC_E_SHAPE, "must be i32 or i64");
}

static void test_tensor__shape_start_and_end_clip_to_the_rank(void **state) {
    (void)state;
    int64_t d[3] = {3, 4, 5};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 3, d);
    glc_node_id n1, n2, n3;
    glc_value_id y[3] = {tu_node(G, GLC_OP_SHAPE, "s1", &x, 1, &n1),
                         tu_node(G, GLC_OP_SHAPE, "s2", &x, 1, &n2),
                         tu_node(G, GLC_OP_SHAPE, "s3", &x, 1, &n3)};
    glc_node_set_int(G, n1, "start", -10);
    glc_node_set_int(G, n1, "end", 10);
    glc_node_set_int(G, n2, "start", 1);
    glc_node_set_int(G, n2, "end", -1);
    glc_node_set_int(G, n3, "start", 2);
    glc_node_set_int(G, n3, "end", 1);
    int64_t a[3], b[1], c[1];
    float xv[60] = {0};
    const void *in[1] = {xv};
    void *o[3] = {a, b, c};
    run(y, 3, in, o);
    tu_assert_shape(G, y[1], GLC_DT_I64, 1, (int64_t[]){1});
    tu_assert_shape(G, y[2], GLC_DT_I64, 1, (int64_t[]){0});
    assert_true(a[0] == 3 && a[1] == 4 && a[2] == 5 && b[0] == 4);
}

/* ---- Cast ------------------------------------------------------------------------- */

static glc_value_id cast_of(glc_value_id x, glc_dtype to) {
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_CAST, glc_dtype_name(to), &x, 1, &nid);
    glc_node_set_int(G, nid, "to", to);
    return y;
}

static void test_tensor__cast_float_to_int_truncates_and_saturates(void **state) {
    (void)state;
    int64_t d[1] = {6};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, d);
    glc_value_id y[3] = {cast_of(x, GLC_DT_I32), cast_of(x, GLC_DT_U8), cast_of(x, GLC_DT_BOOL)};
    float xv[6] = {1.9f, -1.9f, NAN, 3e9f, -3e9f, INFINITY};
    int32_t a[6];
    uint8_t b[6], c[6];
    const void *in[1] = {xv};
    void *o[3] = {a, b, c};
    run(y, 3, in, o);
    int32_t wa[6] = {1, -1, 0, INT32_MAX, INT32_MIN, INT32_MAX};
    uint8_t wb[6] = {1, 0, 0, 255, 0, 255};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(a[i], wa[i]);
        assert_int_equal(b[i], wb[i]);
        assert_int_equal(c[i], 1); /* NaN != 0 */
    }
}

static void test_tensor__cast_integers_wrap_and_bools_are_0_or_1(void **state) {
    (void)state;
    int64_t d[1] = {3};
    glc_value_id x = tu_input(G, "x", GLC_DT_I64, 1, d), b = tu_input(G, "b", GLC_DT_BOOL, 1, d);
    glc_value_id y[2] = {cast_of(x, GLC_DT_I8), cast_of(b, GLC_DT_F32)};
    int64_t xv[3] = {300, -1, 127};
    uint8_t bv[3] = {0, 1, 2};
    int8_t a[3];
    float f[3];
    const void *in[2] = {xv, bv};
    void *o[2] = {a, f};
    run(y, 2, in, o);
    assert_true(a[0] == 44 && a[1] == -1 && a[2] == 127);
    tu_assert_floats(f, (float[]){0, 1, 1}, 3);
}

/* Before opset 19 ONNX's Cast truncated to bf16 (its 1.12 node tests expect that); from 19
 * on it rounds to nearest even, as every other store of a bf16 does. */
static void test_tensor__cast_opset1_names_the_type_and_bf16_truncates_before_19(void **state) {
    (void)state;
    G->opset = 1;
    int64_t d[1] = {2};
    glc_value_id x = tu_input(G, "x", GLC_DT_I32, 1, d);
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_CAST, "c", &x, 1, &nid);
    glc_node_set_string(G, nid, "to", "DOUBLE");
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F64, 1, d);
    teardown(NULL);
    setup(NULL);
    G->opset = 13;
    x = tu_input(G, "x", GLC_DT_F32, 1, d);
    float xv[2] = {1.99609375f, -3.0f}; /* 0x3fff8000: exactly half a bf16 ulp above 0x3fff */
    uint16_t got[2];
    run1(cast_of(x, GLC_DT_BF16), xv, got);
    assert_true(got[0] == 0x3fff && got[1] == 0xc040);
    teardown(NULL);
    setup(NULL);
    G->opset = 19;
    x = tu_input(G, "x", GLC_DT_F32, 1, d);
    run1(cast_of(x, GLC_DT_BF16), xv, got);
    assert_true(got[0] == 0x4000 && got[1] == 0xc040); /* the tie to even */
}

static void test_tensor__cast_to_f16_rounds_to_nearest_even(void **state) {
    (void)state;
    int64_t d[1] = {8};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, d);
    glc_value_id h = cast_of(x, GLC_DT_F16), y = cast_of(h, GLC_DT_F32);
    float xv[8] = {1.0f, 65504.0f, 65520.0f, 1e-8f, 0.1f, -2.0f, 5.9604645e-8f, -INFINITY}, back[8];
    uint16_t got[8];
    const void *in[1] = {xv};
    void *o[2] = {got, back};
    glc_value_id outs[2] = {h, y};
    run(outs, 2, in, o);
    uint16_t want[8] = {0x3c00, 0x7bff, 0x7c00, 0x0000, 0x2e66, 0xc000, 0x0001, 0xfc00};
    for (int i = 0; i < 8; i++)
        assert_int_equal(got[i], want[i]);
    tu_assert_floats(
        back, (float[]){1, 65504, INFINITY, 0, 0.0999755859375f, -2, 5.9604645e-8f, -INFINITY}, 8);
}

/* ---- Dropout ---------------------------------------------------------------------- */

static glc_node_id dropout_node(const glc_value_id *in, int n_in, glc_value_id *out) {
    out[0] = glc_graph_add_value(G, "y", GLC_DT_UNDEF, 0, NULL);
    out[1] = glc_graph_add_value(G, "mask", GLC_DT_UNDEF, 0, NULL);
    return glc_graph_add_node(G, GLC_OP_DROPOUT, "do", in, n_in, out, 2);
}

static void test_tensor__dropout_inference_copies_and_masks_ones(void **state) {
    (void)state;
    int64_t d[1] = {3};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, d), out[2];
    dropout_node(&x, 1, out);
    float xv[3] = {1, -2, 3}, y[3];
    uint8_t m[3];
    const void *in[1] = {xv};
    void *o[2] = {y, m};
    run(out, 2, in, o);
    tu_assert_shape(G, out[1], GLC_DT_BOOL, 1, d);
    tu_assert_floats(y, xv, 3);
    assert_true(m[0] == 1 && m[1] == 1 && m[2] == 1);
    teardown(NULL);
    setup(NULL);
    G->opset = 7; /* the mask has the data's type */
    x = tu_input(G, "x", GLC_DT_F32, 1, d);
    glc_node_id nid = dropout_node(&x, 1, out);
    glc_node_set_float(G, nid, "ratio", 0.3f);
    float mf[3];
    o[1] = mf;
    run(out, 2, in, o);
    tu_assert_shape(G, out[1], GLC_DT_F32, 1, d);
    tu_assert_floats(mf, (float[]){1, 1, 1}, 3);
}

static void test_tensor__dropout_training_needs_ratio_zero(void **state) {
    (void)state;
    int64_t d[1] = {3};
    float r5 = 0.5f, r0 = 0;
    uint8_t t = 1;
    glc_value_id in[3] = {tu_input(G, "x", GLC_DT_F32, 1, d), cst("r", GLC_DT_F32, 0, NULL, &r5),
                          cst("t", GLC_DT_BOOL, 0, NULL, &t)},
                 out[2];
    dropout_node(in, 3, out);
    infer_fails(GLC_E_UNSUPPORTED, "Dropout: training_mode with ratio > 0 is random");
    teardown(NULL);
    setup(NULL);
    glc_value_id in0[3] = {tu_input(G, "x", GLC_DT_F32, 1, d), cst("r", GLC_DT_F32, 0, NULL, &r0),
                           cst("t", GLC_DT_BOOL, 0, NULL, &t)};
    dropout_node(in0, 3, out);
    infer_ok();
    teardown(NULL);
    setup(NULL);
    glc_value_id in1[3] = {tu_input(G, "x", GLC_DT_F32, 1, d), cst("r", GLC_DT_F32, 0, NULL, &r0),
                           tu_input(G, "t", GLC_DT_BOOL, 0, NULL)};
    dropout_node(in1, 3, out);
    infer_fails(GLC_E_UNSUPPORTED, "input 2 'training_mode' must be a constant");
}

/* ---- Pad -------------------------------------------------------------------------- */

/* Pads x (2, 3) = 1..6 by pads in `mode`; constant 9 when given. */
static void pad_case(const char *mode, const int64_t *pads, int rank, const int64_t *want_dims,
                     const float *want, int n) {
    int64_t d[2] = {2, 3};
    float nine = 9, x[6] = {1, 2, 3, 4, 5, 6}, got[16];
    glc_value_id in[3] = {tu_input(G, "x", GLC_DT_F32, 2, d), i64s("p", 4, pads),
                          cst("v", GLC_DT_F32, 0, NULL, &nine)};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_PAD, "pad", in, 3, &nid);
    glc_node_set_string(G, nid, "mode", mode);
    run1(y, x, got);
    tu_assert_shape(G, y, GLC_DT_F32, rank, want_dims);
    tu_assert_floats(got, want, n);
    teardown(NULL);
    setup(NULL);
}

static void test_tensor__pad_constant_edge_reflect_wrap_and_crop(void **state) {
    (void)state;
    int64_t pads[4] = {0, 2, 0, 1}, d26[2] = {2, 6}, crop[4] = {0, -1, 0, 0}, d22[2] = {2, 2};
    pad_case("constant", pads, 2, d26, (float[]){9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9}, 12);
    pad_case("edge", pads, 2, d26, (float[]){1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6}, 12);
    pad_case("reflect", pads, 2, d26, (float[]){3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}, 12);
    pad_case("wrap", pads, 2, d26, (float[]){2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4}, 12);
    pad_case("constant", crop, 2, d22, (float[]){2, 3, 5, 6}, 4);
}

static void test_tensor__pad_source_reflects_periodically(void **state) {
    (void)state; /* numpy: np.pad([1,2,3], 7, 'reflect') starts 2 3 2 1 2 3 2 1 */
    int64_t want[8] = {1, 2, 1, 0, 1, 2, 1, 0};
    for (int i = 0; i < 8; i++)
        assert_int_equal(glc_pad_source(GLC_PAD_REFLECT, i - 7, 3), want[i]);
    assert_int_equal(glc_pad_source(GLC_PAD_CONSTANT, 3, 3), -1);
    assert_int_equal(glc_pad_source(GLC_PAD_EDGE, -5, 3), 0);
    assert_int_equal(glc_pad_source(GLC_PAD_WRAP, -1, 3), 2);
}

static void test_tensor__pad_opset2_attributes_and_bad_pads(void **state) {
    (void)state;
    G->opset = 2;
    int64_t d[1] = {2};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, d);
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_PAD, "pad", &x, 1, &nid);
    ints(nid, "pads", 2, (int64_t[]){1, 0});
    glc_node_set_float(G, nid, "value", 1.5f);
    float xv[2] = {7, 8}, got[3];
    run1(y, xv, got);
    tu_assert_floats(got, (float[]){1.5f, 7, 8}, 3);
    teardown(NULL);
    setup(NULL);
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 1, d), i64s("p", 3, (int64_t[]){1, 1, 1})};
    tu_node(G, GLC_OP_PAD, "pad", in, 2, NULL);
    infer_fails(GLC_E_SHAPE, "pads has 3 entries for 1 axes");
}

/* ---- reductions ------------------------------------------------------------------- */

static void test_tensor__reducemean_axes_and_keepdims(void **state) {
    (void)state;
    int64_t d[2] = {2, 3};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, d);
    glc_node_id n1, n2, n3;
    glc_value_id y[3] = {tu_node(G, GLC_OP_REDUCEMEAN, "r1", &x, 1, &n1),
                         tu_node(G, GLC_OP_REDUCEMEAN, "r2", &x, 1, &n2),
                         tu_node(G, GLC_OP_REDUCEMEAN, "r3", &x, 1, &n3)};
    ints(n1, "axes", 1, (int64_t[]){1});
    glc_node_set_int(G, n1, "keepdims", 0);
    ints(n2, "axes", 1, (int64_t[]){-2});
    float xv[6] = {1, 2, 3, 4, 5, 6}, a[2], b[3], c[1];
    const void *in[1] = {xv};
    void *o[3] = {a, b, c};
    run(y, 3, in, o);
    tu_assert_shape(G, y[0], GLC_DT_F32, 1, (int64_t[]){2});
    tu_assert_shape(G, y[1], GLC_DT_F32, 2, (int64_t[]){1, 3});
    tu_assert_shape(G, y[2], GLC_DT_F32, 2, (int64_t[]){1, 1});
    tu_assert_floats(a, (float[]){2, 5}, 2);
    tu_assert_floats(b, (float[]){2.5f, 3.5f, 4.5f}, 3);
    tu_assert_floats(c, (float[]){3.5f}, 1);
}

/* ReduceMean's dtypes come from the op table: ONNX's numeric types, of which glc has f32
 * and f64. */
static void test_tensor__reducemean_other_numeric_dtypes_are_unsupported(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_I32, 2, (int64_t[]){2, 3});
    tu_node(G, GLC_OP_REDUCEMEAN, "r", &x, 1, NULL);
    infer_fails(GLC_E_UNSUPPORTED, "ReduceMean: input 0 i32[2,3]: only f32 or f64 is supported");
    G->values[x].dtype = GLC_DT_BOOL;
    infer_fails(GLC_E_SHAPE, "ReduceMean: input 0 bool[2,3] must be");
}

static void test_tensor__reducemean_opset18_axes_input_and_noop(void **state) {
    (void)state;
    G->opset = 18;
    int64_t d[2] = {2, 3}, zero[1] = {0};
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, d), cst("ax", GLC_DT_I64, 1, zero, "")};
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_REDUCEMEAN, "r", in, 2, &nid);
    glc_node_set_int(G, nid, "noop_with_empty_axes", 1);
    float xv[6] = {1, 2, 3, 4, 5, 6}, got[6];
    run1(y, xv, got);
    tu_assert_shape(G, y, GLC_DT_F32, 2, d);
    tu_assert_floats(got, xv, 6);
}

/* Every RED row over axis 1 of [[1, -2, 3], [4, 5, -6]], without keepdims (opset 11: the
 * axes are an attribute). */
static void test_tensor__each_reduction_over_an_axis(void **state) {
    (void)state;
    G->opset = 11;
    static const glc_op ops[] = {GLC_OP_REDUCESUM, GLC_OP_REDUCEMEAN,      GLC_OP_REDUCEMAX,
                                 GLC_OP_REDUCEMIN, GLC_OP_REDUCEPROD,      GLC_OP_REDUCEL1,
                                 GLC_OP_REDUCEL2,  GLC_OP_REDUCESUMSQUARE, GLC_OP_REDUCELOGSUM,
                                 GLC_OP_REDUCELOGSUMEXP};
    enum { N = sizeof ops / sizeof ops[0] };
    const float want[N][2] = {{2, 3},
                              {2.0f / 3, 1},
                              {3, 5},
                              {-2, -6},
                              {-6, -120},
                              {6, 15},
                              {sqrtf(14), sqrtf(77)},
                              {14, 77},
                              {logf(2), logf(3)},
                              {logf(expf(1) + expf(-2) + expf(3)),
                               logf(expf(4) + expf(5) + expf(-6))}};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, 3}), y[N];
    for (int k = 0; k < N; k++) {
        glc_node_id nid;
        y[k] = tu_node(G, ops[k], glc_op_name(ops[k]), &x, 1, &nid);
        ints(nid, "axes", 1, (int64_t[]){-1});
        glc_node_set_int(G, nid, "keepdims", 0);
    }
    float xv[6] = {1, -2, 3, 4, 5, -6}, got[N][2];
    const void *in[1] = {xv};
    void *o[N];
    for (int k = 0; k < N; k++)
        o[k] = got[k];
    run(y, N, in, o);
    for (int k = 0; k < N; k++) {
        tu_assert_shape(G, y[k], GLC_DT_F32, 1, (int64_t[]){2});
        for (int i = 0; i < 2; i++)
            if (fabsf(got[k][i] - want[k][i]) > 1e-5f * fabsf(want[k][i]))
                fail_msg("%s[%d] = %g, want %g", glc_op_name(ops[k]), i, got[k][i], want[k][i]);
    }
}

/* Reducing an empty axis gives the identity of the combine: 0, 1, -inf, +inf (integers:
 * their lowest and highest values); the mean of nothing is NaN, the log of 0 -inf. */
static void test_tensor__empty_reductions_give_the_identity(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, 0});
    glc_value_id xi = tu_input(G, "xi", GLC_DT_I8, 1, (int64_t[]){0});
    static const glc_op ops[] = {GLC_OP_REDUCESUM,  GLC_OP_REDUCEPROD, GLC_OP_REDUCEMAX,
                                 GLC_OP_REDUCEMIN,  GLC_OP_REDUCEMEAN, GLC_OP_REDUCELOGSUM,
                                 GLC_OP_REDUCEL2};
    const float want[] = {0, 1, -INFINITY, INFINITY, NAN, -INFINITY, 0};
    enum { N = sizeof ops / sizeof ops[0] };
    glc_value_id y[N + 2];
    for (int k = 0; k < N; k++)
        y[k] = tu_node(G, ops[k], glc_op_name(ops[k]), &x, 1, NULL);
    y[N] = tu_node(G, GLC_OP_REDUCEMAX, "imax", &xi, 1, NULL);
    y[N + 1] = tu_node(G, GLC_OP_REDUCEMIN, "imin", &xi, 1, NULL);
    float got[N], none;
    int8_t imax, imin;
    const void *in[2] = {&none, &none}; /* not read */
    void *o[N + 2];
    for (int k = 0; k < N; k++)
        o[k] = &got[k];
    o[N] = &imax;
    o[N + 1] = &imin;
    run(y, N + 2, in, o);
    for (int k = 0; k < N; k++) {
        tu_assert_shape(G, y[k], GLC_DT_F32, 2, (int64_t[]){1, 1});
        if (isnan(want[k]) ? !isnan(got[k]) : got[k] != want[k])
            fail_msg("%s = %g, want %g", glc_op_name(ops[k]), got[k], want[k]);
    }
    assert_int_equal(imax, INT8_MIN);
    assert_int_equal(imin, INT8_MAX);
}

/* ReduceMax and ReduceMin propagate a NaN (as ONNX Runtime's and numpy's do); integers
 * reduce in their own type. */
static void test_tensor__reduce_max_min_keep_nan_and_integers(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, (int64_t[]){3});
    glc_value_id xi = tu_input(G, "xi", GLC_DT_I32, 1, (int64_t[]){3});
    glc_value_id y[4] = {tu_node(G, GLC_OP_REDUCEMAX, "max", &x, 1, NULL),
                         tu_node(G, GLC_OP_REDUCEMIN, "min", &x, 1, NULL),
                         tu_node(G, GLC_OP_REDUCEMAX, "imax", &xi, 1, NULL),
                         tu_node(G, GLC_OP_REDUCESUM, "isum", &xi, 1, NULL)};
    float xv[3] = {1, NAN, 2}, mx, mn;
    int32_t iv[3] = {-7, 40, INT32_MAX}, imx, isum;
    const void *in[2] = {xv, iv};
    void *o[4] = {&mx, &mn, &imx, &isum};
    run(y, 4, in, o);
    assert_true(isnan(mx) && isnan(mn));
    assert_int_equal(imx, INT32_MAX);
    assert_int_equal(isum, (int32_t)((uint32_t)INT32_MAX + 33u)); /* wraps */
}

/* ReduceSum takes its axes as an input from opset 13, the others from opset 18; before,
 * the attribute `axes`. */
static void test_tensor__reduce_axes_input_or_attribute_by_opset(void **state) {
    (void)state;
    int64_t d[2] = {2, 2}, one[1] = {1};
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, d);
    glc_value_id in[2] = {x, cst("ax", GLC_DT_I64, 1, one, one)};
    glc_node_id nmax;
    glc_value_id y[2] = {tu_node(G, GLC_OP_REDUCESUM, "sum", in, 2, NULL),
                         tu_node(G, GLC_OP_REDUCEMAX, "max", &x, 1, &nmax)};
    ints(nmax, "axes", 1, one);
    float xv[4] = {1, 2, -3, 4}, sum[2], mx[2];
    const void *ins[1] = {xv};
    void *o[2] = {sum, mx};
    run(y, 2, ins, o);
    tu_assert_shape(G, y[0], GLC_DT_F32, 2, (int64_t[]){2, 1});
    tu_assert_floats(sum, (float[]){3, 1}, 2);
    tu_assert_floats(mx, (float[]){2, 4}, 2);
}

static void test_tensor__reducesum_opset11_reads_the_attribute(void **state) {
    (void)state;
    G->opset = 11;
    glc_node_id nid;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, 2});
    glc_value_id y = tu_node(G, GLC_OP_REDUCESUM, "sum", &x, 1, &nid);
    ints(nid, "axes", 1, (int64_t[]){0});
    float xv[4] = {1, 2, -3, 4}, got[2];
    run1(y, xv, got);
    tu_assert_floats(got, (float[]){-2, 6}, 2);
}

/* noop_with_empty_axes reduces over no axis: each output is finalize(combine(init, x)),
 * so ReduceSum copies and ReduceSumSquare squares (as ONNX's reference does). */
static void test_tensor__noop_with_empty_axes_reduces_over_no_axis(void **state) {
    (void)state;
    G->opset = 18;
    int64_t d[2] = {2, 2}, zero[1] = {0};
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, d), cst("ax", GLC_DT_I64, 1, zero, "")};
    glc_node_id n1, n2;
    glc_value_id y[2] = {tu_node(G, GLC_OP_REDUCESUM, "sum", in, 2, &n1),
                         tu_node(G, GLC_OP_REDUCESUMSQUARE, "sq", in, 2, &n2)};
    glc_node_set_int(G, n1, "noop_with_empty_axes", 1);
    glc_node_set_int(G, n2, "noop_with_empty_axes", 1);
    float xv[4] = {1, 2, -3, 4}, sum[4], sq[4];
    const void *ins[1] = {xv};
    void *o[2] = {sum, sq};
    run(y, 2, ins, o);
    tu_assert_shape(G, y[1], GLC_DT_F32, 2, d);
    tu_assert_floats(sum, xv, 4);
    tu_assert_floats(sq, (float[]){1, 4, 9, 16}, 4);
}

/* ---- ArgMax, ArgMin ---------------------------------------------------------------- */

/* The first extreme along the axis, or the last with select_last_index; a NaN beats every
 * number (numpy); keepdims keeps the axis as 1. */
static void test_tensor__argmax_argmin_first_last_and_nan(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, 4});
    glc_node_id n[4];
    glc_value_id y[4] = {tu_node(G, GLC_OP_ARGMAX, "max", &x, 1, &n[0]),
                         tu_node(G, GLC_OP_ARGMAX, "maxl", &x, 1, &n[1]),
                         tu_node(G, GLC_OP_ARGMIN, "min", &x, 1, &n[2]),
                         tu_node(G, GLC_OP_ARGMIN, "minl", &x, 1, &n[3])};
    for (int k = 0; k < 4; k++) {
        glc_node_set_int(G, n[k], "axis", -1);
        glc_node_set_int(G, n[k], "select_last_index", k % 2);
    }
    glc_node_set_int(G, n[0], "keepdims", 0);
    float xv[8] = {3, 1, 3, 1, 2, NAN, 5, NAN};
    int64_t got[4][2];
    const void *in[1] = {xv};
    void *o[4] = {got[0], got[1], got[2], got[3]};
    run(y, 4, in, o);
    tu_assert_shape(G, y[0], GLC_DT_I64, 1, (int64_t[]){2});
    tu_assert_shape(G, y[1], GLC_DT_I64, 2, (int64_t[]){2, 1});
    static const int64_t want[4][2] = {{0, 1}, {2, 3}, {1, 1}, {3, 3}};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 2; i++)
            if (got[k][i] != want[k][i])
                fail_msg("output %d[%d] = %lld, want %lld", k, i, (long long)got[k][i],
                         (long long)want[k][i]);
}

static void test_tensor__argmax_of_unsigned_bytes_and_empty_axis(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_U8, 2, (int64_t[]){3, 2});
    glc_node_id nid;
    glc_value_id y = tu_node(G, GLC_OP_ARGMAX, "max", &x, 1, &nid); /* axis 0 */
    uint8_t xv[6] = {1, 200, 255, 7, 128, 7};
    int64_t got[2];
    run1(y, xv, got);
    tu_assert_shape(G, y, GLC_DT_I64, 2, (int64_t[]){1, 2});
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 0);
    glc_graph_destroy(G);
    G = glc_graph_create();
    x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){3, 0});
    tu_node(G, GLC_OP_ARGMIN, "min", &x, 1, &nid);
    glc_node_set_int(G, nid, "axis", 1);
    infer_fails(GLC_E_SHAPE, "ArgMin: axis 1 of input 0 f32[3,0] is empty");
}

/* ---- static operands and infer-time folding --------------------------------------- */

/* x (2,3,4) -> Shape -> Gather [0] -> Concat with [-1] -> Reshape(x, .) = (2, 12). */
static glc_value_id shape_chain(glc_value_id *shp, glc_value_id *x) {
    int64_t d[3] = {2, 3, 4}, one[1] = {1};
    *x = tu_input(G, "x", GLC_DT_F32, 3, d);
    *shp = tu_node(G, GLC_OP_SHAPE, "shape", x, 1, NULL);
    glc_value_id gin[2] = {*shp, cst("zero", GLC_DT_I64, 1, one, (int64_t[]){0})};
    glc_value_id g0 = tu_node(G, GLC_OP_GATHER, "gather", gin, 2, NULL);
    glc_node_id cid;
    glc_value_id cin[2] = {g0, i64s("minus1", 1, (int64_t[]){-1})};
    glc_value_id s = tu_node(G, GLC_OP_CONCAT, "concat", cin, 2, &cid);
    glc_node_set_int(G, cid, "axis", 0);
    glc_value_id rin[2] = {*x, s};
    return tu_node(G, GLC_OP_RESHAPE, "reshape", rin, 2, NULL);
}

static void test_tensor__shape_gather_concat_folds_into_reshape_shape(void **state) {
    (void)state;
    glc_value_id shp, x;
    glc_value_id y = shape_chain(&shp, &x);
    float xv[24], got[24];
    for (int i = 0; i < 24; i++)
        xv[i] = (float)i;
    run1(y, xv, got);
    tu_assert_shape(G, y, GLC_DT_F32, 2, (int64_t[]){2, 12});
    tu_assert_floats(got, xv, 24);
    for (uint32_t k = 0; k < 3; k++)
        assert_true(G->nodes[k].dead); /* Shape, Gather, Concat */
    assert_false(G->nodes[3].dead);
    assert_non_null(G->values[shp].data);
    assert_int_equal(G->values[shp].producer, GLC_NO_NODE);
}

/* x (N, 6), N symbolic: Reshape(x, Concat(Div(Mul(Shape(x), [2, 1]), [2, 2]), [2])) is
 * (N, 3, 2): Mul and Div are evaluated on dims (sym_fold.c), each by its own case. */
static void test_tensor__shape_arithmetic_on_symbolic_dims_multiplies_and_divides(void **state) {
    (void)state;
    glc_dim n = glc_dim_symbol(G, "N");
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){n, 6});
    glc_value_id shp = tu_node(G, GLC_OP_SHAPE, "shape", &x, 1, NULL);
    glc_value_id min[2] = {shp, i64s("two_one", 2, (int64_t[]){2, 1})};
    glc_value_id m = tu_node(G, GLC_OP_MUL, "mul", min, 2, NULL);
    glc_value_id din[2] = {m, i64s("two_two", 2, (int64_t[]){2, 2})};
    glc_value_id q = tu_node(G, GLC_OP_DIV, "div", din, 2, NULL);
    glc_node_id cid;
    glc_value_id cin[2] = {q, i64s("two", 1, (int64_t[]){2})};
    glc_value_id c = tu_node(G, GLC_OP_CONCAT, "concat", cin, 2, &cid);
    glc_node_set_int(G, cid, "axis", 0);
    glc_value_id rin[2] = {x, c};
    glc_value_id y = tu_node(G, GLC_OP_RESHAPE, "reshape", rin, 2, NULL);
    glc_graph_add_output(G, y);
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 3, (int64_t[]){n, 3, 2});
}

static void test_tensor__static_values_follow_producers_but_not_through_shape(void **state) {
    (void)state;
    glc_value_id shp, x;
    shape_chain(&shp, &x);
    bool need[64] = {false};
    assert_true(G->n_values <= 64);
    glc_graph_static_values(G, need);
    assert_true(need[shp]);
    assert_false(need[x]);
    assert_true(glc_op_input_is_static(GLC_OP_SLICE, 4));
    assert_false(glc_op_input_is_static(GLC_OP_SLICE, 0));
    assert_true(glc_op_input_is_static(GLC_OP_RESHAPE, 1));
    assert_false(glc_op_input_is_static(GLC_OP_GATHER, 1));
}

/* The static slots come from ops.def's static_inputs column: exactly these, for every op. */
static void test_tensor__static_input_slots_are_the_op_tables(void **state) {
    (void)state;
    static const struct {
        glc_op op;
        uint32_t slots;
    } want[] = {{GLC_OP_RESHAPE, 0x2},   {GLC_OP_SPLIT, 0x2},      {GLC_OP_SQUEEZE, 0x2},
                {GLC_OP_UNSQUEEZE, 0x2}, {GLC_OP_SLICE, 0x1e},     {GLC_OP_PAD, 0xe},
                {GLC_OP_DROPOUT, 0x6},   {GLC_OP_CONSTANTOFSHAPE, 0x1},
                {GLC_OP_CUMSUM, 0x2},    {GLC_OP_RANGE, 0x7},      {GLC_OP_EXPAND, 0x2},
                {GLC_OP_TILE, 0x2},      {GLC_OP_ONEHOT, 0x2},     {GLC_OP_TOPK, 0x2},
                {GLC_OP_COMPRESS, 0x2},  {GLC_OP_NONZERO, 0x1},    {GLC_OP_UNIQUE, 0x1},
                {GLC_OP_HANNWINDOW, 0x1}, {GLC_OP_HAMMINGWINDOW, 0x1},
                {GLC_OP_BLACKMANWINDOW, 0x1}, {GLC_OP_RESIZE, 0xe},
                {GLC_OP_UPSAMPLE, 0x2}, {GLC_OP_LOOP, 0x1}};
    for (int op = GLC_OP_NONE + 1; op < GLC_OP_COUNT; op++) {
        uint32_t slots = glc_op_table[op].flags & OPF_REDUCE ? 0x2 : 0; /* the axes */
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
            if (want[k].op == (glc_op)op) slots = want[k].slots;
        for (int i = 0; i < 10; i++)
            if (glc_op_input_is_static((glc_op)op, i) != ((slots >> i) & 1))
                fail_msg("%s input %d", glc_op_name((glc_op)op), i);
    }
    assert_false(glc_op_input_is_static(GLC_OP_NONE, 1));
    assert_false(glc_op_input_is_static(GLC_OP_SLICE, -1));
}

static void test_tensor__constant_nodes_nothing_static_needs_are_left_alone(void **state) {
    (void)state;
    int64_t d[1] = {2};
    glc_value_id c = cst("c", GLC_DT_F32, 1, d, (float[]){-1, 2});
    glc_value_id y = tu_node(G, GLC_OP_RELU, "relu", &c, 1, NULL);
    glc_graph_add_output(G, y);
    infer_ok();
    assert_false(G->nodes[0].dead);
    assert_null(G->values[y].data);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_tensor__slice_clamps_out_of_range_starts_and_ends),
        T(test_tensor__static_input_slots_are_the_op_tables),
        T(test_tensor__slice_negative_step_walks_backwards),
        T(test_tensor__slice_opset1_reads_attributes),
        T(test_tensor__slice_needs_constant_starts),
        T(test_tensor__split_with_symbolic_sizes_names_the_symbols),
        T(test_tensor__slice_with_symbolic_ends_slices_by_dims),
        T(test_tensor__pad_with_symbolic_pads_pads_by_dims),
        T(test_tensor__slice_to_int64_min_walks_back_to_the_front),
        T(test_tensor__slice_rejects_zero_step_and_repeated_axes),
        T(test_tensor__split_variable_parts_along_axis_1),
        T(test_tensor__split_rejects_uneven_equal_parts_and_bad_sums),
        T(test_tensor__split_opset11_attribute_and_opset18_num_outputs),
        T(test_tensor__squeeze_without_axes_drops_every_one),
        T(test_tensor__squeeze_rejects_an_axis_that_is_not_one),
        T(test_tensor__unsqueeze_inserts_axes_of_the_output),
        T(test_tensor__gather_takes_negative_indices_along_axis_1),
        T(test_tensor__gather_checks_constant_indices_and_index_dtype),
        T(test_tensor__shape_start_and_end_clip_to_the_rank),
        T(test_tensor__cast_float_to_int_truncates_and_saturates),
        T(test_tensor__cast_integers_wrap_and_bools_are_0_or_1),
        T(test_tensor__cast_opset1_names_the_type_and_bf16_truncates_before_19),
        T(test_tensor__cast_to_f16_rounds_to_nearest_even),
        T(test_tensor__dropout_inference_copies_and_masks_ones),
        T(test_tensor__dropout_training_needs_ratio_zero),
        T(test_tensor__pad_constant_edge_reflect_wrap_and_crop),
        T(test_tensor__pad_source_reflects_periodically),
        T(test_tensor__pad_opset2_attributes_and_bad_pads),
        T(test_tensor__reducemean_axes_and_keepdims),
        T(test_tensor__reducemean_other_numeric_dtypes_are_unsupported),
        T(test_tensor__reducemean_opset18_axes_input_and_noop),
        T(test_tensor__each_reduction_over_an_axis),
        T(test_tensor__empty_reductions_give_the_identity),
        T(test_tensor__reduce_max_min_keep_nan_and_integers),
        T(test_tensor__reduce_axes_input_or_attribute_by_opset),
        T(test_tensor__reducesum_opset11_reads_the_attribute),
        T(test_tensor__noop_with_empty_axes_reduces_over_no_axis),
        T(test_tensor__argmax_argmin_first_last_and_nan),
        T(test_tensor__argmax_of_unsigned_bytes_and_empty_axis),
        T(test_tensor__shape_gather_concat_folds_into_reshape_shape),
        T(test_tensor__shape_arithmetic_on_symbolic_dims_multiplies_and_divides),
        T(test_tensor__static_values_follow_producers_but_not_through_shape),
        T(test_tensor__constant_nodes_nothing_static_needs_are_left_alone),
    };
    return cmocka_run_group_tests_name("tensor", tests, NULL, NULL);
}
