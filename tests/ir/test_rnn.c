/* test_rnn.c -- LSTM/GRU/RNN shape inference (output shapes, one-line diagnostics naming
 * the input and the expected/given shapes) and the reference kernel on small cases
 * checked by hand (Affine activations keep the arithmetic exact). */
#include "ir_test_util.h"

#include <string.h>

static glc_graph *G;
static glc_diag D;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 14;
    memset(&D, 0, sizeof D);
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

static glc_value_id cst(const char *name, int rank, const int64_t *dims, const float *v) {
    return glc_graph_add_const(G, name, GLC_DT_F32, rank, dims, v);
}

static glc_value_id shaped(const char *name, glc_dtype dt, int rank, const int64_t *dims) {
    return tu_input(G, name, dt, rank, dims);
}

/* A node with inputs in[0..n_in) and the outputs flagged in want (Y, Y_h, Y_c). */
static glc_node_id node(glc_op op, const glc_value_id *in, int n_in, const bool *want,
                        glc_value_id *out) {
    static const char *names[3] = {"Y", "Y_h", "Y_c"};
    int n_out = op == GLC_OP_LSTM ? 3 : 2;
    for (int k = 0; k < n_out; k++)
        out[k] = want[k] ? glc_graph_add_value(G, names[k], GLC_DT_UNDEF, 0, NULL) : 0;
    glc_node_id id = glc_graph_add_node(G, op, "rnn", in, n_in, out, n_out);
    assert_int_not_equal(id, GLC_NO_NODE);
    return id;
}

static void set_acts(glc_node_id id, int n, const char *const *names) {
    glc_attr a = {
        .name = "activations", .kind = GLC_ATTR_STRINGS, .n = (uint32_t)n, .strings = names};
    assert_int_equal(glc_node_set_attr(G, id, &a), GLC_OK);
}

/* Affine(1, 0) for every activation slot: identity, so results are exact sums. */
static void set_identity(glc_node_id id, int n) {
    static const char *const aff[6] = {"Affine", "Affine", "Affine", "Affine", "Affine", "Affine"};
    float one[6] = {1, 1, 1, 1, 1, 1}, zero[6] = {0};
    set_acts(id, n, aff);
    glc_node_set_floats(G, id, "activation_alpha", one, (uint32_t)n);
    glc_node_set_floats(G, id, "activation_beta", zero, (uint32_t)n);
}

static glc_status infer(void) {
    return glc_infer_shapes(G, &D);
}

/* Marks the non-zero outs as graph outputs, infers, runs; outputs in order. */
static void run(const glc_value_id *outs, int n_out, const void *const *inputs, void **bufs) {
    void *ob[3];
    int k = 0;
    for (int i = 0; i < n_out; i++)
        if (outs[i]) {
            glc_graph_add_output(G, outs[i]);
            ob[k++] = bufs[i];
        }
    if (infer()) fail_msg("infer: %s", D.msg);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    if (glc_interp_run(G, inputs, ob, &D)) fail_msg("interp: %s", D.msg);
}

/* ---- shape inference ------------------------------------------------------------- */

static void test_rnn__lstm_bidirectional_layout1_output_shapes(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 3, 4}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){2, 20, 4}),
                          shaped("R", GLC_DT_F32, 3, (int64_t[]){2, 20, 5})};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_LSTM, in, 3, (bool[]){1, 1, 1}, o);
    glc_node_set_string(G, id, "direction", "bidirectional");
    glc_node_set_int(G, id, "layout", 1);
    assert_int_equal(infer(), GLC_OK);
    tu_assert_shape(G, o[0], GLC_DT_F32, 4, (int64_t[]){2, 3, 2, 5});
    tu_assert_shape(G, o[1], GLC_DT_F32, 3, (int64_t[]){2, 2, 5});
    tu_assert_shape(G, o[2], GLC_DT_F32, 3, (int64_t[]){2, 2, 5});
}

static void test_rnn__gru_layout0_hidden_size_attribute_and_only_yh(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){5, 2, 3}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, 12, 3}),
                          shaped("R", GLC_DT_F32, 3, (int64_t[]){1, 12, 4})};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_GRU, in, 3, (bool[]){0, 1, 0}, o);
    glc_node_set_int(G, id, "hidden_size", 4);
    assert_int_equal(infer(), GLC_OK);
    tu_assert_shape(G, o[1], GLC_DT_F32, 3, (int64_t[]){1, 2, 4});
}

/* An LSTM over X (3,2,4), H 5, with input slot `bad` replaced by a value of shape
 * (rank, dims, dt); expects GLC_E_SHAPE and msg containing want. */
static void expect_bad_input(int bad, glc_dtype dt, int rank, const int64_t *dims, const char *want,
                             int64_t layout) {
    static const char *names[8] = {"X",         "W",         "R", "B", "sequence_lens",
                                   "initial_h", "initial_c", "P"};
    int64_t st[3] = {1, 2, 5};
    if (layout) st[0] = 2, st[1] = 1;
    glc_value_id in[8] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){3, 2, 4}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, 20, 4}),
                          shaped("R", GLC_DT_F32, 3, (int64_t[]){1, 20, 5}),
                          shaped("B", GLC_DT_F32, 2, (int64_t[]){1, 40}),
                          shaped("sequence_lens", GLC_DT_I32, 1, (int64_t[]){2}),
                          shaped("initial_h", GLC_DT_F32, 3, st),
                          shaped("initial_c", GLC_DT_F32, 3, st),
                          shaped("P", GLC_DT_F32, 2, (int64_t[]){1, 15})};
    if (layout) G->values[in[0]].dims[0] = 2, G->values[in[0]].dims[1] = 3;
    char nm[32];
    snprintf(nm, sizeof nm, "%s_bad", names[bad]);
    in[bad] = shaped(nm, dt, rank, dims);
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_LSTM, in, 8, (bool[]){1, 1, 1}, o);
    glc_node_set_int(G, id, "layout", layout);
    glc_node_set_int(G, id, "hidden_size", 5);
    assert_int_equal(infer(), GLC_E_SHAPE);
    assert_string_equal(D.node, "rnn");
    if (!strstr(D.msg, want)) fail_msg("diagnostic '%s' lacks '%s'", D.msg, want);
    assert_null(strchr(D.msg, '\n'));
}

static void test_rnn__w_shape_mismatch_names_input_and_shapes(void **state) {
    (void)state;
    expect_bad_input(1, GLC_DT_F32, 3, (int64_t[]){1, 12, 4},
                     "LSTM: input W has shape f32[1,12,4]; expected f32[1,20,4]", 0);
}

static void test_rnn__r_shape_mismatch_names_input_and_shapes(void **state) {
    (void)state;
    expect_bad_input(2, GLC_DT_F32, 3, (int64_t[]){1, 20, 4},
                     "input R has shape f32[1,20,4]; expected f32[1,20,5]", 0);
}

static void test_rnn__b_and_p_shape_mismatch(void **state) {
    (void)state;
    expect_bad_input(3, GLC_DT_F32, 2, (int64_t[]){1, 20},
                     "input B has shape f32[1,20]; expected f32[1,40]", 0);
}

static void test_rnn__p_shape_mismatch(void **state) {
    (void)state;
    expect_bad_input(7, GLC_DT_F32, 2, (int64_t[]){1, 20},
                     "input P has shape f32[1,20]; expected f32[1,15]", 0);
}

static void test_rnn__initial_h_must_be_batch_major_with_layout1(void **state) {
    (void)state;
    expect_bad_input(5, GLC_DT_F32, 3, (int64_t[]){1, 2, 5},
                     "input initial_h has shape f32[1,2,5]; expected f32[2,1,5]", 1);
}

static void test_rnn__sequence_lens_must_be_int32(void **state) {
    (void)state;
    expect_bad_input(4, GLC_DT_I64, 1, (int64_t[]){2},
                     "input sequence_lens has shape i64[2]; expected i32[2]", 0);
}

static void test_rnn__initial_c_wrong_batch(void **state) {
    (void)state;
    expect_bad_input(6, GLC_DT_F32, 3, (int64_t[]){1, 3, 5},
                     "input initial_c has shape f32[1,3,5]; expected f32[1,2,5]", 0);
}

/* An RNN over X (2,1,1), W/R (1,1,1) for the attribute error tests. */
static glc_node_id small_rnn(glc_op op, glc_value_id *o) {
    int G3 = op == GLC_OP_LSTM ? 4 : op == GLC_OP_GRU ? 3 : 1;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 1, 1}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, G3, 1}),
                          shaped("R", GLC_DT_F32, 3, (int64_t[]){1, G3, 1})};
    return node(op, in, 3, (bool[]){1, 1, 0}, o);
}

static void test_rnn__attribute_errors(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = small_rnn(GLC_OP_RNN, o);
    glc_node_set_string(G, id, "direction", "sideways");
    assert_int_equal(infer(), GLC_E_SHAPE);
    assert_non_null(strstr(D.msg, "direction 'sideways'"));
    glc_node_set_string(G, id, "direction", "forward");
    glc_node_set_int(G, id, "layout", 2);
    assert_int_equal(infer(), GLC_E_SHAPE);
    assert_non_null(strstr(D.msg, "layout 2"));
    glc_node_set_int(G, id, "layout", 0);
    glc_node_set_int(G, id, "hidden_size", 3);
    assert_int_equal(infer(), GLC_E_SHAPE); /* R is (1,3,3) for hidden 3 */
    assert_non_null(strstr(D.msg, "input W has shape f32[1,1,1]; expected f32[1,3,1]"));
    glc_node_set_int(G, id, "hidden_size", 1);
    static const char *const two[2] = {"Tanh", "Relu"};
    set_acts(id, 2, two); /* RNN forward takes one */
    assert_int_equal(infer(), GLC_E_SHAPE);
    assert_non_null(strstr(D.msg, "activations lists 2 names; expected 1"));
    set_acts(id, 1, (const char *const[]){"Swish"});
    assert_int_equal(infer(), GLC_E_SHAPE);
    assert_non_null(strstr(D.msg, "unknown activation 'Swish'"));
    set_acts(id, 1, (const char *const[]){"relu"}); /* case-insensitive */
    glc_node_set_float(G, id, "clip", -1.0f);
    assert_int_equal(infer(), GLC_E_SHAPE);
    assert_non_null(strstr(D.msg, "clip"));
    glc_node_set_float(G, id, "clip", 1.0f);
    assert_int_equal(infer(), GLC_OK);
}

static void test_rnn__non_f32_x_is_unsupported(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F64, 3, (int64_t[]){2, 1, 1}),
                          shaped("W", GLC_DT_F64, 3, (int64_t[]){1, 1, 1}),
                          shaped("R", GLC_DT_F64, 3, (int64_t[]){1, 1, 1})};
    glc_value_id o[3];
    node(GLC_OP_RNN, in, 3, (bool[]){1, 1, 0}, o);
    assert_int_equal(infer(), GLC_E_UNSUPPORTED);
}

/* ---- the reference kernel ---------------------------------------------------------- */

/* RNN, I = H = 1, identity activation: h_t = x_t + 0.5 h_{t-1} + (Wb + Rb). */
static void test_rnn__interp_rnn_forward_and_reverse_exact(void **state) {
    (void)state;
    int64_t w3[3] = {1, 1, 1};
    glc_value_id x = shaped("X", GLC_DT_F32, 3, (int64_t[]){3, 1, 1});
    glc_value_id in[4] = {x, cst("W", 3, w3, (float[]){1}), cst("R", 3, w3, (float[]){0.5f}),
                          cst("B", 2, (int64_t[]){1, 2}, (float[]){0.25f, 0.75f})};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_RNN, in, 4, (bool[]){1, 1, 0}, o);
    set_identity(id, 1);
    glc_node_set_string(G, id, "direction", "reverse");
    float xv[3] = {1, 2, 4}, y[3], yh[1];
    run(o, 2, (const void *[]){xv}, (void *[]){y, yh});
    /* reverse: h(2) = 4+1 = 5, h(1) = 2+2.5+1 = 5.5, h(0) = 1+2.75+1 = 4.75 */
    tu_assert_floats(y, (float[]){4.75f, 5.5f, 5}, 3);
    tu_assert_floats(yh, (float[]){4.75f}, 1);
}

/* Bidirectional, sequence_lens {3, 1}: Y zero past a row's length, Y_h the last valid
 * step; the reverse direction starts at len-1. */
static void test_rnn__interp_bidirectional_sequence_lens(void **state) {
    (void)state;
    int64_t w3[3] = {2, 1, 1};
    glc_value_id x = shaped("X", GLC_DT_F32, 3, (int64_t[]){3, 2, 1});
    glc_value_id sl =
        glc_graph_add_const(G, "sl", GLC_DT_I32, 1, (int64_t[]){2}, (int32_t[]){3, 1});
    glc_value_id in[5] = {x, cst("W", 3, w3, (float[]){1, 1}), cst("R", 3, w3, (float[]){1, 1}), 0,
                          sl};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_RNN, in, 5, (bool[]){1, 1, 0}, o);
    set_identity(id, 2);
    glc_node_set_string(G, id, "direction", "bidirectional");
    float xv[6] = {1, 10, 2, 20, 3, 30}; /* (S=3, N=2, I=1) */
    float y[12], yh[4];
    run(o, 2, (const void *[]){xv}, (void *[]){y, yh});
    /* row 0 fwd: 1, 3, 6; bwd: 6, 5, 3 (from t=2 down). row 1 (len 1): fwd 10, bwd 10. */
    float want_y[12] = {1, 10, 6, 10, /* t0: fwd(b0,b1), bwd(b0,b1) */
                        3, 0,  5, 0,  /* t1 */
                        6, 0,  3, 0}; /* t2 */
    tu_assert_floats(y, want_y, 12);
    tu_assert_floats(yh, (float[]){6, 10, 6, 10}, 4);
}

static void test_rnn__interp_clip_bounds_the_activation_input(void **state) {
    (void)state;
    int64_t w3[3] = {1, 1, 1};
    glc_value_id x = shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 1, 1});
    glc_value_id in[3] = {x, cst("W", 3, w3, (float[]){1}), cst("R", 3, w3, (float[]){1})};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_RNN, in, 3, (bool[]){1, 0, 0}, o);
    set_identity(id, 1);
    glc_node_set_float(G, id, "clip", 1.5f);
    float xv[2] = {1, 1}, y[2];
    run(o, 2, (const void *[]){xv}, (void *[]){y});
    tu_assert_floats(y, (float[]){1, 1.5f}, 2); /* 1 + 1 = 2 clipped to 1.5 */
}

static void test_rnn__interp_layout1_is_batch_major(void **state) {
    (void)state;
    int64_t w3[3] = {1, 1, 1};
    glc_value_id x = shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 2, 1}); /* (N, S, I) */
    glc_value_id h0 = shaped("initial_h", GLC_DT_F32, 3, (int64_t[]){2, 1, 1});
    glc_value_id in[6] = {x, cst("W", 3, w3, (float[]){1}), cst("R", 3, w3, (float[]){1}), 0, 0,
                          h0};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_RNN, in, 6, (bool[]){1, 1, 0}, o);
    set_identity(id, 1);
    glc_node_set_int(G, id, "layout", 1);
    float xv[4] = {1, 2, 10, 20}, hv[2] = {100, 200}, y[4], yh[2];
    run(o, 2, (const void *[]){xv, hv}, (void *[]){y, yh});
    tu_assert_floats(y, (float[]){101, 103, 210, 230}, 4); /* (N, S, D, H) */
    tu_assert_floats(yh, (float[]){103, 230}, 2);
}

static double sig(double x) {
    return 1.0 / (1.0 + exp(-x));
}

/* LSTM, H = I = 1, W = R = 0: gates come from B and the peepholes alone. */
static void lstm_one_step(bool input_forget, float *y, float *yh, float *yc) {
    int64_t w3[3] = {1, 4, 1};
    glc_value_id x = shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 1});
    glc_value_id in[8] = {
        x,
        cst("W", 3, w3, (float[]){0, 0, 0, 0}),
        cst("R", 3, w3, (float[]){0, 0, 0, 0}),
        cst("B", 2, (int64_t[]){1, 8}, (float[]){0.1f, 0.2f, 0.3f, 0.4f, 0, 0, 0, 0}),
        0,
        0,
        cst("initial_c", 3, (int64_t[]){1, 1, 1}, (float[]){2}),
        cst("P", 2, (int64_t[]){1, 3}, (float[]){0.5f, -0.25f, 0.125f})};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_LSTM, in, 8, (bool[]){1, 1, 1}, o);
    glc_node_set_int(G, id, "input_forget", input_forget);
    float xv[1] = {7};
    run(o, 3, (const void *[]){xv}, (void *[]){y, yh, yc});
}

static void test_rnn__interp_lstm_gates_peepholes_and_input_forget(void **state) {
    (void)state;
    float y[1], yh[1], yc[1];
    lstm_one_step(false, y, yh, yc);
    double i = sig(0.1 + 0.5 * 2), f = sig(0.3 + 0.125 * 2), g = tanh(0.4);
    double c = f * 2 + i * g, o = sig(0.2 - 0.25 * c), h = o * tanh(c);
    tu_assert_floats(yc, (float[]){(float)c}, 1);
    tu_assert_floats(yh, (float[]){(float)h}, 1);
    tu_assert_floats(y, (float[]){(float)h}, 1);
    teardown(NULL);
    setup(NULL);
    lstm_one_step(true, y, yh, yc);
    c = (1 - i) * 2 + i * g; /* f = 1 - i */
    tu_assert_floats(yc, (float[]){(float)c}, 1);
}

/* GRU, H = I = 1, one step from initial_h = h0: the two linear_before_reset forms. */
static float gru_step(int64_t lbr) {
    int64_t w3[3] = {1, 3, 1};
    glc_value_id x = shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 1});
    glc_value_id in[6] = {x,
                          cst("W", 3, w3, (float[]){0.5f, -0.5f, 1.0f}),
                          cst("R", 3, w3, (float[]){0.25f, 0.75f, -1.5f}),
                          cst("B", 2, (int64_t[]){1, 6}, (float[]){0, 0, 0.1f, 0, 0, 0.3f}),
                          0,
                          cst("initial_h", 3, (int64_t[]){1, 1, 1}, (float[]){0.8f})};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_GRU, in, 6, (bool[]){0, 1, 0}, o);
    glc_node_set_int(G, id, "linear_before_reset", lbr);
    float xv[1] = {0.6f}, yh[1];
    run(o, 2, (const void *[]){xv}, (void *[]){NULL, yh});
    return yh[0];
}

static void test_rnn__interp_gru_linear_before_reset_forms(void **state) {
    (void)state;
    double x = 0.6, h = 0.8;
    double z = sig(0.5 * x + 0.25 * h), r = sig(-0.5 * x + 0.75 * h);
    double h0 = tanh(x + 0.1 + (r * h) * -1.5 + 0.3); /* lbr 0 */
    double h1 = tanh(x + 0.1 + r * (h * -1.5 + 0.3)); /* lbr 1 */
    float got0 = gru_step(0);
    teardown(NULL);
    setup(NULL);
    float got1 = gru_step(1);
    tu_assert_floats(&got0, (float[]){(float)((1 - z) * h0 + z * h)}, 1);
    tu_assert_floats(&got1, (float[]){(float)((1 - z) * h1 + z * h)}, 1);
}

/* Only Y_h requested (Y absent): the kernel must still run. */
static void test_rnn__interp_runs_when_only_yh_is_requested(void **state) {
    (void)state;
    int64_t w3[3] = {1, 1, 1};
    glc_value_id x = shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 1, 1});
    glc_value_id in[3] = {x, cst("W", 3, w3, (float[]){1}), cst("R", 3, w3, (float[]){1})};
    glc_value_id o[3];
    glc_node_id id = node(GLC_OP_RNN, in, 3, (bool[]){0, 1, 0}, o);
    set_identity(id, 1);
    float xv[2] = {1, 2}, yh[1] = {-1};
    run(o, 2, (const void *[]){xv}, (void *[]){NULL, yh});
    tu_assert_floats(yh, (float[]){3}, 1);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_rnn__lstm_bidirectional_layout1_output_shapes),
        T(test_rnn__gru_layout0_hidden_size_attribute_and_only_yh),
        T(test_rnn__w_shape_mismatch_names_input_and_shapes),
        T(test_rnn__r_shape_mismatch_names_input_and_shapes),
        T(test_rnn__b_and_p_shape_mismatch),
        T(test_rnn__p_shape_mismatch),
        T(test_rnn__initial_h_must_be_batch_major_with_layout1),
        T(test_rnn__sequence_lens_must_be_int32),
        T(test_rnn__initial_c_wrong_batch),
        T(test_rnn__attribute_errors),
        T(test_rnn__non_f32_x_is_unsupported),
        T(test_rnn__interp_rnn_forward_and_reverse_exact),
        T(test_rnn__interp_bidirectional_sequence_lens),
        T(test_rnn__interp_clip_bounds_the_activation_input),
        T(test_rnn__interp_layout1_is_batch_major),
        T(test_rnn__interp_lstm_gates_peepholes_and_input_forget),
        T(test_rnn__interp_gru_linear_before_reset_forms),
        T(test_rnn__interp_runs_when_only_yh_is_requested),
    };
#undef T
    return cmocka_run_group_tests_name("rnn", tests, NULL, NULL);
}
