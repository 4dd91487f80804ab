/* test_convlstm.c -- glc.ConvLSTM shape inference (output grids from the ONNX Conv rules,
 * one-line diagnostics naming the op, the input or attribute and the expected/given shapes)
 * and the reference kernel on small cases checked by hand (Affine activations keep the
 * arithmetic exact). The numpy-oracle fixtures (tests/fixtures/glc_ops) cover the rest. */
#include "ir_test_util.h"

#include <string.h>

static glc_graph *G;
static glc_diag D;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 13;
    G->opset_glc = 1;
    memset(&D, 0, sizeof D);
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

static glc_value_id shaped(const char *name, glc_dtype dt, int rank, const int64_t *dims) {
    return tu_input(G, name, dt, rank, dims);
}

/* A ConvLSTM node with inputs in[0..n_in) and all three outputs. */
static glc_node_id node(const glc_value_id *in, int n_in, glc_value_id *out) {
    static const char *names[3] = {"Y", "Y_h", "Y_c"};
    for (int k = 0; k < 3; k++)
        out[k] = glc_graph_add_value(G, names[k], GLC_DT_UNDEF, 0, NULL);
    glc_node_id id = glc_graph_add_node(G, GLC_OP_CONVLSTM, "cl", in, n_in, out, 3);
    assert_int_not_equal(id, GLC_NO_NODE);
    return id;
}

/* The valid base case: X [2,1,2,5,5], F 3, W [1,12,2,3,3], R [1,12,3,3,3], no pads, so
 * S' = 3x3; B [1,24], sequence_lens [1], initial_h/c [1,1,3,3,3], P [1,9,3,3].
 * Input slot `bad` (if >= 0) is replaced by (dt, rank, dims); returns the node. */
static glc_node_id base(int bad, glc_dtype dt, int rank, const int64_t *dims, glc_value_id *o) {
    static const char *names[8] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c",
                                   "P"};
    glc_value_id in[8] = {shaped("X", GLC_DT_F32, 5, (int64_t[]){2, 1, 2, 5, 5}),
                          shaped("W", GLC_DT_F32, 5, (int64_t[]){1, 12, 2, 3, 3}),
                          shaped("R", GLC_DT_F32, 5, (int64_t[]){1, 12, 3, 3, 3}),
                          shaped("B", GLC_DT_F32, 2, (int64_t[]){1, 24}),
                          shaped("sequence_lens", GLC_DT_I32, 1, (int64_t[]){1}),
                          shaped("initial_h", GLC_DT_F32, 5, (int64_t[]){1, 1, 3, 3, 3}),
                          shaped("initial_c", GLC_DT_F32, 5, (int64_t[]){1, 1, 3, 3, 3}),
                          shaped("P", GLC_DT_F32, 4, (int64_t[]){1, 9, 3, 3})};
    if (bad >= 0) {
        char nm[32];
        snprintf(nm, sizeof nm, "%s_bad", names[bad]);
        in[bad] = shaped(nm, dt, rank, dims);
    }
    glc_node_id id = node(in, 8, o);
    glc_node_set_int(G, id, "hidden_size", 3);
    return id;
}

/* Inference fails with status s and exactly the message want (one line, node named). */
static void expect_msg(glc_status s, const char *want) {
    assert_int_equal(glc_infer_shapes(G, &D), s);
    assert_string_equal(D.node, "cl");
    assert_string_equal(D.msg, want);
    assert_null(strchr(D.msg, '\n'));
}

/* ---- shape inference ------------------------------------------------------------- */

static void test_convlstm__valid_base_output_shapes(void **state) {
    (void)state;
    glc_value_id o[3];
    base(-1, 0, 0, NULL, o);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, o[0], GLC_DT_F32, 6, (int64_t[]){2, 1, 1, 3, 3, 3});
    tu_assert_shape(G, o[1], GLC_DT_F32, 5, (int64_t[]){1, 1, 3, 3, 3});
    tu_assert_shape(G, o[2], GLC_DT_F32, 5, (int64_t[]){1, 1, 3, 3, 3});
}

static void test_convlstm__bidir_layout1_same_lower_strided_shapes(void **state) {
    (void)state;
    /* X [N=2, T=4, C=1, 7x6], kernel 2x2, strides 2 -> S' = ceil(7/2) x ceil(6/2) = 4x3 */
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 5, (int64_t[]){2, 4, 1, 7, 6}),
                          shaped("W", GLC_DT_F32, 5, (int64_t[]){2, 8, 1, 2, 2}),
                          shaped("R", GLC_DT_F32, 5, (int64_t[]){2, 8, 2, 2, 3})};
    glc_value_id o[3];
    glc_node_id id = node(in, 3, o);
    glc_node_set_int(G, id, "hidden_size", 2);
    glc_node_set_int(G, id, "layout", 1);
    glc_node_set_string(G, id, "direction", "bidirectional");
    glc_node_set_string(G, id, "auto_pad", "SAME_LOWER");
    glc_node_set_ints(G, id, "strides", (int64_t[]){2, 2}, 2);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, o[0], GLC_DT_F32, 6, (int64_t[]){2, 4, 2, 2, 4, 3});
    tu_assert_shape(G, o[1], GLC_DT_F32, 5, (int64_t[]){2, 2, 2, 4, 3});
}

static void test_convlstm__rank1_dilated_pads_shapes(void **state) {
    (void)state;
    /* S 10, k 3, dilation 2 (span 5), pads 1/0, stride 2 -> (11 - 5) / 2 + 1 = 4 */
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){3, 2, 1, 10}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 3}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 1})};
    glc_value_id o[3];
    glc_node_id id = node(in, 3, o);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_ints(G, id, "dilations", (int64_t[]){2}, 1);
    glc_node_set_ints(G, id, "strides", (int64_t[]){2}, 1);
    glc_node_set_ints(G, id, "pads", (int64_t[]){1, 0}, 2);
    assert_int_equal(glc_infer_shapes(G, &D), GLC_OK);
    tu_assert_shape(G, o[0], GLC_DT_F32, 5, (int64_t[]){3, 1, 2, 1, 4});
}

/* ---- input shape diagnostics ------------------------------------------------------- */

static void test_convlstm__x_rank_must_give_1_to_3_spatial_axes(void **state) {
    (void)state;
    glc_value_id o[3];
    base(0, GLC_DT_F32, 3, (int64_t[]){2, 1, 2}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input X has shape f32[2,1,2]; expected rank 4, 5 or 6 "
                            "(T, N, C and 1 to 3 spatial axes)");
}

static void test_convlstm__x_rank_7_is_rejected(void **state) {
    (void)state;
    glc_value_id o[3];
    base(0, GLC_DT_F32, 7, (int64_t[]){2, 1, 2, 3, 3, 3, 3}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input X has shape f32[2,1,2,3,3,3,3]; expected rank 4, 5 "
                            "or 6 (T, N, C and 1 to 3 spatial axes)");
}

static void test_convlstm__non_f32_x_is_unsupported(void **state) {
    (void)state;
    glc_value_id o[3];
    base(0, GLC_DT_I64, 5, (int64_t[]){2, 1, 2, 5, 5}, o);
    expect_msg(GLC_E_UNSUPPORTED, "ConvLSTM: input X is i64; only f32 is supported");
}

static void test_convlstm__w_channels_mismatch(void **state) {
    (void)state;
    glc_value_id o[3];
    base(1, GLC_DT_F32, 5, (int64_t[]){1, 12, 3, 3, 3}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input W has shape f32[1,12,3,3,3]; expected "
                            "f32[1,12,2] followed by 2 kernel dims >= 1");
}

static void test_convlstm__w_kernel_rank_mismatch(void **state) {
    (void)state;
    glc_value_id o[3];
    base(1, GLC_DT_F32, 4, (int64_t[]){1, 12, 2, 3}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input W has shape f32[1,12,2,3]; expected "
                            "f32[1,12,2] followed by 2 kernel dims >= 1");
}

static void test_convlstm__r_hidden_mismatch(void **state) {
    (void)state;
    glc_value_id o[3];
    base(2, GLC_DT_F32, 5, (int64_t[]){1, 12, 4, 3, 3}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input R has shape f32[1,12,4,3,3]; expected "
                            "f32[1,12,3] followed by 2 kernel dims >= 1");
}

static void test_convlstm__b_must_be_d_by_8f(void **state) {
    (void)state;
    glc_value_id o[3];
    base(3, GLC_DT_F32, 2, (int64_t[]){1, 12}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input B has shape f32[1,12]; expected f32[1,24]");
}

static void test_convlstm__sequence_lens_must_be_int32(void **state) {
    (void)state;
    glc_value_id o[3];
    base(4, GLC_DT_I64, 1, (int64_t[]){1}, o);
    expect_msg(GLC_E_SHAPE,
               "ConvLSTM: input sequence_lens has shape i64[1]; expected i32[1]");
}

static void test_convlstm__initial_h_must_have_the_output_grid(void **state) {
    (void)state;
    glc_value_id o[3];
    base(5, GLC_DT_F32, 5, (int64_t[]){1, 1, 3, 5, 5}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input initial_h has shape f32[1,1,3,5,5]; expected "
                            "f32[1,1,3,3,3]");
}

static void test_convlstm__initial_c_is_batch_major_with_layout1(void **state) {
    (void)state;
    glc_value_id o[3];
    /* layout 1: X [N=1, T=2, ...], states [N, D, F, S'] = [1,1,3,3,3]; give [2,...] */
    glc_node_id id = base(6, GLC_DT_F32, 5, (int64_t[]){2, 1, 3, 3, 3}, o);
    glc_node_set_int(G, id, "layout", 1);
    G->values[G->nodes[id].in[0]].dims[0] = 1;
    G->values[G->nodes[id].in[0]].dims[1] = 2;
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input initial_c has shape f32[2,1,3,3,3]; expected "
                            "f32[1,1,3,3,3]");
}

static void test_convlstm__p_is_per_channel_and_position(void **state) {
    (void)state;
    glc_value_id o[3];
    base(7, GLC_DT_F32, 2, (int64_t[]){1, 9}, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input P has shape f32[1,9]; expected f32[1,9,3,3]");
}

static void test_convlstm__bidirectional_needs_d_2_weights(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_string(G, id, "direction", "bidirectional");
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input W has shape f32[1,12,2,3,3]; expected "
                            "f32[2,12,2] followed by 2 kernel dims >= 1");
}

/* ---- attribute diagnostics ---------------------------------------------------------- */

static void test_convlstm__hidden_size_is_required(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){2, 1, 1, 4}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 1}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 1})};
    glc_value_id o[3];
    node(in, 3, o);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: attribute hidden_size is required");
}

static void test_convlstm__hidden_size_must_be_positive(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    G->nodes[id].attrs[0].i = 0;
    expect_msg(GLC_E_SHAPE, "ConvLSTM: hidden_size 0; expected a positive value");
}

static void test_convlstm__bad_direction(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_string(G, id, "direction", "sideways");
    expect_msg(GLC_E_SHAPE,
               "ConvLSTM: direction 'sideways'; expected forward, reverse or bidirectional");
}

static void test_convlstm__bad_layout(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_int(G, id, "layout", 2);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: layout 2; expected 0 or 1");
}

static void test_convlstm__bad_auto_pad(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_string(G, id, "auto_pad", "SAME");
    expect_msg(GLC_E_SHAPE,
               "ConvLSTM: auto_pad 'SAME'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER");
}

static void test_convlstm__pads_with_auto_pad_is_rejected(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_string(G, id, "auto_pad", "SAME_UPPER");
    glc_node_set_ints(G, id, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    expect_msg(GLC_E_SHAPE,
               "ConvLSTM: pads given together with auto_pad 'SAME_UPPER'; expected one of them");
}

static void test_convlstm__kernel_shape_must_match_w(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_ints(G, id, "kernel_shape", (int64_t[]){3, 2}, 2);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: kernel_shape [3,2] does not match input W of shape "
                            "f32[1,12,2,3,3]; expected 2 values equal to W's kernel dims");
}

static void test_convlstm__kernel_shape_length_must_be_rank(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_ints(G, id, "kernel_shape", (int64_t[]){3, 3, 3}, 3);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: kernel_shape [3,3,3] does not match input W of shape "
                            "f32[1,12,2,3,3]; expected 2 values equal to W's kernel dims");
}

static void test_convlstm__strides_count_and_values(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_ints(G, id, "strides", (int64_t[]){1, 0}, 2);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: strides [1,0]; expected 2 values >= 1");
}

static void test_convlstm__negative_pads(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_ints(G, id, "pads", (int64_t[]){0, -1, 0, 0}, 4);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: pads [0,-1,0,0]; expected 4 values >= 0");
}

static void test_convlstm__dilations_count(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_ints(G, id, "dilations", (int64_t[]){1}, 1);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: dilations [1]; expected 2 values >= 1");
}

static void test_convlstm__empty_output_grid(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_ints(G, id, "dilations", (int64_t[]){1, 3}, 2);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: input X spatial axis 1 has size 5 (padded 5) but the "
                            "input kernel spans 7; expected an output size >= 1");
}

static void test_convlstm__activations_count(void **state) {
    (void)state;
    static const char *const acts[4] = {"Sigmoid", "Tanh", "Tanh", "Tanh"};
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 4, .strings = acts};
    glc_node_set_attr(G, id, &a);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: activations lists 4 names; expected 3");
}

static void test_convlstm__unknown_activation(void **state) {
    (void)state;
    static const char *const acts[3] = {"Sigmoid", "Gelu", "Tanh"};
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 3, .strings = acts};
    glc_node_set_attr(G, id, &a);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: unknown activation 'Gelu'");
}

static void test_convlstm__clip_must_be_positive(void **state) {
    (void)state;
    glc_value_id o[3];
    glc_node_id id = base(-1, 0, 0, NULL, o);
    glc_node_set_float(G, id, "clip", -1.0f);
    expect_msg(GLC_E_SHAPE, "ConvLSTM: clip -1; expected a positive value");
}

/* ---- the reference kernel ------------------------------------------------------------ */

static void set_identity_acts(glc_node_id id) {
    static const char *const aff[3] = {"Affine", "Affine", "Affine"};
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 3, .strings = aff};
    glc_node_set_attr(G, id, &a);
    glc_node_set_floats(G, id, "activation_alpha", (float[]){1, 1, 1}, 3);
    glc_node_set_floats(G, id, "activation_beta", (float[]){0, 0, 0}, 3);
}

static void run(const glc_value_id *o, const void *const *inputs, void **bufs) {
    for (int k = 0; k < 3; k++)
        glc_graph_add_output(G, o[k]);
    if (glc_infer_shapes(G, &D)) fail_msg("infer: %s", D.msg);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    if (glc_interp_run(G, inputs, bufs, &D)) fail_msg("interp: %s", D.msg);
}

/* T 2, N 1, C 1, F 1, S 2, 1-wide kernels, identity activations:
 *   G = (Wi x, Wo x, Wf x, Wc x + Rc h) with W = (1, 2, .5, 1), R = (0, 0, 0, 1)
 *   c = f c + i g, h = o c.
 * t0: x (1, 2): i (1, 2) f (.5, 1) g (1, 2) c (1, 4) o (2, 4) h (2, 16)
 * t1: x (2, 0): i (2, 0) f (1, 0) g (2+2, 0+16) c (1+8, 0) o (4, 0) h (36, 0) */
static void test_convlstm__interp_identity_cell_by_hand(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){2, 1, 1, 2}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 1}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 1})};
    glc_value_id o[3];
    glc_node_id id = node(in, 3, o);
    glc_node_set_int(G, id, "hidden_size", 1);
    set_identity_acts(id);
    float x[4] = {1, 2, 2, 0}, w[4] = {1, 2, 0.5f, 1}, r[4] = {0, 0, 0, 1};
    float y[4], yh[2], yc[2];
    run(o, (const void *[]){x, w, r}, (void *[]){y, yh, yc});
    tu_assert_floats(y, (float[]){2, 16, 36, 0}, 4);
    tu_assert_floats(yh, (float[]){36, 0}, 2);
    tu_assert_floats(yc, (float[]){9, 0}, 2);
}

/* Recurrent kernel 2 (SAME_UPPER: pad 0 before, 1 after) mixes the right neighbour; reverse
 * with sequence_lens 1 of T 2: one step at t 0, Y(1) = 0, peepholes and bias added.
 * W = 0 so G = B + R * h0 (+ P c0): with h0 = (1, 2), R_g = (a_g, b_g) over taps (p, p+1):
 *   Gc = (1*1 + 1*2, 1*2 + 0) + Bc = (3, 2) + 1;  i = Pi c0 + Bi;  f = Pf c0 + Bf
 * with c0 = (1, 1), Pi = Pf = Po = 1, Bi = Bf = Bo = 0 (Wb) + 0 (Rb), Ri = Rf = Ro = 0:
 *   i = 1, f = 1, g = (4, 3), c = 1 + (4, 3) = (5, 4), o = 0 + c = (5, 4), h = o c = (25, 16) */
static void test_convlstm__interp_reverse_seqlens_peepholes_even_recurrent_kernel(void **state) {
    (void)state;
    glc_value_id in[8] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){2, 1, 1, 2}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 1}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 4, 1, 2}),
                          shaped("B", GLC_DT_F32, 2, (int64_t[]){1, 8}),
                          shaped("sequence_lens", GLC_DT_I32, 1, (int64_t[]){1}),
                          shaped("initial_h", GLC_DT_F32, 4, (int64_t[]){1, 1, 1, 2}),
                          shaped("initial_c", GLC_DT_F32, 4, (int64_t[]){1, 1, 1, 2}),
                          shaped("P", GLC_DT_F32, 3, (int64_t[]){1, 3, 2})};
    glc_value_id o[3];
    glc_node_id id = node(in, 8, o);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_string(G, id, "direction", "reverse");
    set_identity_acts(id);
    float x[4] = {5, 5, 5, 5}, w[4] = {0}, r[8] = {0, 0, 0, 0, 0, 0, 1, 1};
    float b[8] = {0, 0, 0, 0.5f, 0, 0, 0, 0.5f};
    int32_t sl[1] = {1};
    float h0[2] = {1, 2}, c0[2] = {1, 1}, p[6] = {1, 1, 1, 1, 1, 1};
    float y[4] = {7, 7, 7, 7}, yh[2], yc[2];
    run(o, (const void *[]){x, w, r, b, sl, h0, c0, p}, (void *[]){y, yh, yc});
    tu_assert_floats(y, (float[]){25, 16, 0, 0}, 4);
    tu_assert_floats(yh, (float[]){25, 16}, 2);
    tu_assert_floats(yc, (float[]){5, 4}, 2);
}

/* Bidirectional with one activation triple: both directions use it; layout 1. */
static void test_convlstm__interp_bidir_shares_one_activation_triple(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){1, 2, 1, 1}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){2, 4, 1, 1}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){2, 4, 1, 1})};
    glc_value_id o[3];
    glc_node_id id = node(in, 3, o);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_int(G, id, "layout", 1);
    glc_node_set_string(G, id, "direction", "bidirectional");
    set_identity_acts(id);
    /* x (t0 1, t1 2), all W 1, R 0: per step c = x c + x x, h = x c.
     * forward: t0 c 1 h 1; t1 c 2 + 4 = 6, h 12.  reverse: t1 c 4 h 8; t0 c 4 + 1 = 5 h 5. */
    float x[2] = {1, 2}, w[8] = {1, 1, 1, 1, 1, 1, 1, 1}, r[8] = {0};
    float y[4], yh[2], yc[2];
    run(o, (const void *[]){x, w, r}, (void *[]){y, yh, yc});
    tu_assert_floats(y, (float[]){1, 5, 12, 8}, 4); /* [N, T, D, F, S] */
    tu_assert_floats(yh, (float[]){12, 5}, 2);
    tu_assert_floats(yc, (float[]){6, 5}, 2);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_convlstm__valid_base_output_shapes),
        T(test_convlstm__bidir_layout1_same_lower_strided_shapes),
        T(test_convlstm__rank1_dilated_pads_shapes),
        T(test_convlstm__x_rank_must_give_1_to_3_spatial_axes),
        T(test_convlstm__x_rank_7_is_rejected),
        T(test_convlstm__non_f32_x_is_unsupported),
        T(test_convlstm__w_channels_mismatch),
        T(test_convlstm__w_kernel_rank_mismatch),
        T(test_convlstm__r_hidden_mismatch),
        T(test_convlstm__b_must_be_d_by_8f),
        T(test_convlstm__sequence_lens_must_be_int32),
        T(test_convlstm__initial_h_must_have_the_output_grid),
        T(test_convlstm__initial_c_is_batch_major_with_layout1),
        T(test_convlstm__p_is_per_channel_and_position),
        T(test_convlstm__bidirectional_needs_d_2_weights),
        T(test_convlstm__hidden_size_is_required),
        T(test_convlstm__hidden_size_must_be_positive),
        T(test_convlstm__bad_direction),
        T(test_convlstm__bad_layout),
        T(test_convlstm__bad_auto_pad),
        T(test_convlstm__pads_with_auto_pad_is_rejected),
        T(test_convlstm__kernel_shape_must_match_w),
        T(test_convlstm__kernel_shape_length_must_be_rank),
        T(test_convlstm__strides_count_and_values),
        T(test_convlstm__negative_pads),
        T(test_convlstm__dilations_count),
        T(test_convlstm__empty_output_grid),
        T(test_convlstm__activations_count),
        T(test_convlstm__unknown_activation),
        T(test_convlstm__clip_must_be_positive),
        T(test_convlstm__interp_identity_cell_by_hand),
        T(test_convlstm__interp_reverse_seqlens_peepholes_even_recurrent_kernel),
        T(test_convlstm__interp_bidir_shares_one_activation_triple),
    };
#undef T
    return cmocka_run_group_tests_name("convlstm", tests, NULL, NULL);
}
