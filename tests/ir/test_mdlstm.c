/* test_mdlstm.c -- glc.MDLSTM shape inference (output shape; one-line diagnostics naming
 * the op, the input or attribute, and the expected and given shapes), the reference kernel
 * on small cases checked by hand (Affine activations keep the arithmetic exact), and the
 * spec's consistency rule: rank 1, graves, no peepholes equals ONNX LSTM with
 * R_onnx = R[:, 0] and B_onnx = [B, 0] (and, beyond the spec's one direction, directions 2
 * equals a bidirectional LSTM, extents equal sequence_lens). */
#include "ir_test_util.h"

#include <stdlib.h>
#include <string.h>

static glc_graph *G;
static glc_diag D;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 14;
    G->opset_glc = 1;
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

static glc_node_id node(const glc_value_id *in, int n_in, glc_value_id *y) {
    *y = glc_graph_add_value(G, "Y", GLC_DT_UNDEF, 0, NULL);
    glc_node_id id = glc_graph_add_node(G, GLC_OP_MDLSTM, "md", in, n_in, y, 1);
    assert_int_not_equal(id, GLC_NO_NODE);
    return id;
}

static void set_acts(glc_node_id id, const char *const *names, const float *alpha,
                     const float *beta) {
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 3, .strings = names};
    assert_int_equal(glc_node_set_attr(G, id, &a), GLC_OK);
    if (alpha) glc_node_set_floats(G, id, "activation_alpha", alpha, 3);
    if (beta) glc_node_set_floats(G, id, "activation_beta", beta, 3);
}

/* f, g, h = Affine(1, 0), Affine(1, 0), Affine(1, hb). */
static void set_identity(glc_node_id id, float hb) {
    static const char *const aff[3] = {"Affine", "Affine", "Affine"};
    set_acts(id, aff, (float[]){1, 1, 1}, (float[]){0, 0, hb});
}

static glc_status infer(void) {
    return glc_infer_shapes(G, &D);
}

static void run(glc_value_id y, const void *const *inputs, float *out) {
    glc_graph_add_output(G, y);
    if (infer()) fail_msg("infer: %s", D.msg);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    if (glc_interp_run(G, inputs, (void *[]){out}, &D)) fail_msg("interp: %s", D.msg);
}

static void expect_error(glc_status s, const char *want) {
    assert_int_equal(infer(), s);
    assert_string_equal(D.node, "md");
    assert_string_equal(D.op, "MDLSTM");
    if (!strstr(D.msg, want)) fail_msg("diagnostic '%s' lacks '%s'", D.msg, want);
    assert_null(strchr(D.msg, '\n'));
}

/* ---- shape inference ------------------------------------------------------------- */

static void test_mdlstm__rank2_four_directions_output_shape(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){2, 3, 5, 7}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){4, 20, 3}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){4, 2, 20, 4})},
                 y;
    glc_node_id id = node(in, 3, &y);
    glc_node_set_int(G, id, "hidden_size", 4);
    glc_node_set_int(G, id, "directions", 4);
    assert_int_equal(infer(), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 5, (int64_t[]){2, 4, 4, 5, 7});
}

static void test_mdlstm__rank3_stable_and_spatial_gate_counts(void **state) {
    (void)state;
    /* rank 3 spatial: G = 6; every input given, extents int64 (N, 3) */
    glc_value_id in[6] = {shaped("X", GLC_DT_F32, 5, (int64_t[]){1, 2, 3, 4, 5}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){8, 12, 2}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){8, 3, 12, 2}),
                          shaped("B", GLC_DT_F32, 2, (int64_t[]){8, 12}),
                          0,
                          shaped("ext", GLC_DT_I64, 2, (int64_t[]){1, 3})},
                 y;
    glc_node_id id = node(in, 6, &y);
    glc_node_set_int(G, id, "hidden_size", 2);
    glc_node_set_int(G, id, "directions", 8);
    glc_node_set_string(G, id, "cell", "spatial");
    assert_int_equal(infer(), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 6, (int64_t[]){1, 8, 2, 3, 4, 5});
}

/* A rank-2 graves node, X (2,3,4,5), F 2, D 1 (G 5), with slot `bad` replaced. */
static void expect_bad_input(int bad, glc_dtype dt, int rank, const int64_t *dims,
                             const char *want) {
    glc_value_id in[6] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){2, 3, 4, 5}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, 10, 3}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 2, 10, 2}),
                          shaped("B", GLC_DT_F32, 2, (int64_t[]){1, 10}),
                          shaped("P", GLC_DT_F32, 2, (int64_t[]){1, 8}),
                          shaped("ext", GLC_DT_I64, 2, (int64_t[]){2, 2})},
                 y;
    in[bad] = shaped("bad", dt, rank, dims);
    glc_node_id id = node(in, 6, &y);
    glc_node_set_int(G, id, "hidden_size", 2);
    expect_error(GLC_E_SHAPE, want);
}

static void test_mdlstm__w_shape_mismatch_names_input_and_shapes(void **state) {
    (void)state;
    expect_bad_input(1, GLC_DT_F32, 3, (int64_t[]){1, 8, 3},
                     "MDLSTM: input W has shape f32[1,8,3]; expected f32[1,10,3]");
}

static void test_mdlstm__r_shape_mismatch_names_input_and_shapes(void **state) {
    (void)state;
    expect_bad_input(2, GLC_DT_F32, 3, (int64_t[]){1, 10, 2},
                     "MDLSTM: input R has shape f32[1,10,2]; expected f32[1,2,10,2]");
}

static void test_mdlstm__b_shape_mismatch_names_input_and_shapes(void **state) {
    (void)state;
    expect_bad_input(3, GLC_DT_F32, 2, (int64_t[]){1, 20},
                     "MDLSTM: input B has shape f32[1,20]; expected f32[1,10]");
}

static void test_mdlstm__p_shape_mismatch_names_input_and_shapes(void **state) {
    (void)state;
    expect_bad_input(4, GLC_DT_F32, 2, (int64_t[]){1, 6},
                     "MDLSTM: input P has shape f32[1,6]; expected f32[1,8]");
}

static void test_mdlstm__extents_must_be_int64_n_by_r(void **state) {
    (void)state;
    expect_bad_input(5, GLC_DT_I32, 2, (int64_t[]){2, 2},
                     "MDLSTM: input extents has shape i32[2,2]; expected i64[2,2]");
}

static void test_mdlstm__extents_wrong_batch(void **state) {
    (void)state;
    expect_bad_input(5, GLC_DT_I64, 2, (int64_t[]){3, 2},
                     "MDLSTM: input extents has shape i64[3,2]; expected i64[2,2]");
}

/* X (1,1,3), W/R for F 1, D 1 graves (G 4): the attribute tests' node. */
static glc_node_id small(glc_value_id *y) {
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 3}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, 4, 1}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 1, 4, 1})};
    return node(in, 3, y);
}

static void test_mdlstm__hidden_size_is_required(void **state) {
    (void)state;
    glc_value_id y;
    glc_node_id id = small(&y);
    expect_error(GLC_E_SHAPE, "MDLSTM: attribute hidden_size is missing");
    glc_node_set_int(G, id, "hidden_size", 0);
    expect_error(GLC_E_SHAPE, "MDLSTM: hidden_size 0; expected a positive value");
}

static void test_mdlstm__hidden_size_of_another_type_is_an_error(void **state) {
    (void)state;
    glc_value_id y;
    glc_node_id id = small(&y);
    glc_node_set_float(G, id, "hidden_size", 1.0f);
    expect_error(GLC_E_SHAPE, "MDLSTM: attribute hidden_size must be an int");
}

static void test_mdlstm__directions_out_of_range(void **state) {
    (void)state;
    glc_value_id y;
    glc_node_id id = small(&y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_int(G, id, "directions", 3);
    expect_error(GLC_E_SHAPE, "MDLSTM: directions 3; expected 1..2 for spatial rank 1");
    glc_node_set_int(G, id, "directions", 0);
    expect_error(GLC_E_SHAPE, "MDLSTM: directions 0; expected 1..2 for spatial rank 1");
}

static void test_mdlstm__unknown_cell(void **state) {
    (void)state;
    glc_value_id y;
    glc_node_id id = small(&y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_string(G, id, "cell", "peephole");
    expect_error(GLC_E_SHAPE, "MDLSTM: cell 'peephole'; expected graves, stable or spatial");
}

static void test_mdlstm__stable_cell_needs_rank_2(void **state) {
    (void)state;
    glc_value_id y;
    glc_node_id id = small(&y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_string(G, id, "cell", "stable");
    expect_error(GLC_E_SHAPE,
                 "MDLSTM: cell 'stable' needs spatial rank 2; input X has spatial rank 1");
}

static void test_mdlstm__peepholes_only_with_graves(void **state) {
    (void)state;
    glc_value_id in[5] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 3}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, 4, 1}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 1, 4, 1}), 0,
                          shaped("P", GLC_DT_F32, 2, (int64_t[]){1, 3})},
                 y;
    glc_node_id id = node(in, 5, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_string(G, id, "cell", "spatial");
    expect_error(GLC_E_SHAPE, "MDLSTM: input P (peepholes) is given with cell 'spatial'; "
                              "peepholes are defined for cell 'graves' only");
    glc_node_set_string(G, id, "cell", "graves");
    assert_int_equal(infer(), GLC_OK);
}

static void test_mdlstm__spatial_rank_must_be_1_to_3(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 2, (int64_t[]){1, 3}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, 4, 3}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 1, 4, 1})},
                 y;
    glc_node_id id = node(in, 3, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    expect_error(GLC_E_SHAPE, "MDLSTM: input X has shape f32[1,3]; expected [N, C, S1..SR] with "
                              "spatial rank R in 1..3");
    G->values[in[0]].rank = 6;
    for (int k = 0; k < 6; k++)
        G->values[in[0]].dims[k] = 1;
    expect_error(GLC_E_SHAPE, "input X has shape f32[1,1,1,1,1,1]; expected [N, C, S1..SR]");
}

static void test_mdlstm__clip_and_activation_errors(void **state) {
    (void)state;
    glc_value_id y;
    glc_node_id id = small(&y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_float(G, id, "clip", 0.0f);
    expect_error(GLC_E_SHAPE, "MDLSTM: clip 0; expected a positive value");
    glc_node_set_float(G, id, "clip", 1.0f);
    set_acts(id, (const char *const[]){"Sigmoid", "Swish", "Tanh"}, NULL, NULL);
    expect_error(GLC_E_SHAPE, "MDLSTM: unknown activation 'Swish'");
}

static void test_mdlstm__non_f32_x_is_unsupported(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F64, 3, (int64_t[]){1, 1, 3}),
                          shaped("W", GLC_DT_F32, 3, (int64_t[]){1, 4, 1}),
                          shaped("R", GLC_DT_F32, 4, (int64_t[]){1, 1, 4, 1})},
                 y;
    glc_node_id id = node(in, 3, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    expect_error(GLC_E_UNSUPPORTED, "MDLSTM: input X is f64; only f32 is supported");
}

/* ---- the reference kernel ---------------------------------------------------------- */

/* Graves, identity activations, C = F = 1, W = 1, R = 0, X = 1: every gate is 1, so
 * c_p = 1 + c_up + c_left and h_p = c_p: c counts lattice paths from the scan's corner. */
static void test_mdlstm__interp_four_scan_directions_start_at_their_corners(void **state) {
    (void)state;
    float w[20], r[40] = {0};
    for (int k = 0; k < 20; k++)
        w[k] = 1;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){1, 1, 2, 2}),
                          cst("W", 3, (int64_t[]){4, 5, 1}, w),
                          cst("R", 4, (int64_t[]){4, 2, 5, 1}, r)},
                 y;
    glc_node_id id = node(in, 3, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_int(G, id, "directions", 4);
    set_identity(id, 0);
    float x[4] = {1, 1, 1, 1}, out[16];
    run(y, (const void *[]){x}, out);
    float want[16] = {1, 2, 2, 5,  /* k0 from top-left */
                      2, 1, 5, 2,  /* k1 from top-right (columns reversed) */
                      2, 5, 1, 2,  /* k2 from bottom-left (rows reversed) */
                      5, 2, 2, 1}; /* k3 from bottom-right */
    tu_assert_floats(out, want, 16);
}

/* As above with N = 2 and extents {2,2}, {1,2}: sample 1 has one valid row, so its second
 * row is zero and a bottom-up scan starts at row 0 with zero state. */
static void test_mdlstm__interp_extents_zero_outside_and_restart_reversed_scans(void **state) {
    (void)state;
    float w[15], r[30] = {0};
    for (int k = 0; k < 15; k++)
        w[k] = 1;
    glc_value_id ext =
        glc_graph_add_const(G, "ext", GLC_DT_I64, 2, (int64_t[]){2, 2}, (int64_t[]){2, 2, 1, 2});
    glc_value_id in[6] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){2, 1, 2, 2}),
                          cst("W", 3, (int64_t[]){3, 5, 1}, w),
                          cst("R", 4, (int64_t[]){3, 2, 5, 1}, r),
                          0,
                          0,
                          ext},
                 y;
    glc_node_id id = node(in, 6, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_int(G, id, "directions", 3);
    set_identity(id, 0);
    float x[8] = {1, 1, 1, 1, 1, 1, 1, 1}, out[24];
    run(y, (const void *[]){x}, out);
    float want[24] = {1, 2, 2, 5, 2, 1, 5, 2, 2, 5, 1, 2,  /* sample 0, k = 0, 1, 2 */
                      1, 2, 0, 0, 2, 1, 0, 0, 1, 2, 0, 0}; /* sample 1 */
    tu_assert_floats(out, want, 24);
}

static void test_mdlstm__interp_rejects_extents_outside_the_grid(void **state) {
    (void)state;
    glc_value_id ext =
        glc_graph_add_const(G, "ext", GLC_DT_I64, 2, (int64_t[]){1, 1}, (int64_t[]){4});
    glc_value_id in[6] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 3}),
                          cst("W", 3, (int64_t[]){1, 4, 1}, (float[]){1, 1, 1, 1}),
                          cst("R", 4, (int64_t[]){1, 1, 4, 1}, (float[]){0, 0, 0, 0}),
                          0,
                          0,
                          ext},
                 y;
    glc_node_id id = node(in, 6, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_graph_add_output(G, y);
    assert_int_equal(infer(), GLC_OK);
    float x[3] = {1, 1, 1}, out[3];
    assert_int_equal(glc_interp_run(G, (const void *[]){x}, (void *[]){out}, &D), GLC_E_ARG);
    assert_non_null(strstr(D.msg, "MDLSTM: extents[0, 0] = 4 is outside [0, 3]"));
}

/* Stable, identity activations, W blocks i,o,f,l,c = 1,1,1,0.25,1, R = 0, X = 1:
 * c_p = 1 + (0.25 c_up + 0.75 c_left), h_p = c_p. */
static void test_mdlstm__interp_stable_cell_blends_up_and_left(void **state) {
    (void)state;
    float r[10] = {0};
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){1, 1, 2, 2}),
                          cst("W", 3, (int64_t[]){1, 5, 1}, (float[]){1, 1, 1, 0.25f, 1}),
                          cst("R", 4, (int64_t[]){1, 2, 5, 1}, r)},
                 y;
    glc_node_id id = node(in, 3, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_string(G, id, "cell", "stable");
    set_identity(id, 0);
    float x[4] = {1, 1, 1, 1}, out[4];
    run(y, (const void *[]){x}, out);
    /* (0,1) = 1 + 0.75*1, (1,0) = 1 + 0.25*1, (1,1) = 1 + 0.25*1.75 + 0.75*1.25 */
    tu_assert_floats(out, (float[]){1, 1.75f, 1.25f, 2.375f}, 4);
}

/* Rank 1, W blocks i,o,f,c = 1, 0.5, 1, 1, h = Affine(1, 1), c = 1, 2, 3:
 * graves h = o (c + 1), spatial h = o c + 1. */
static void cell_h_case(const char *cell, const float *want) {
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 3}),
                          cst("W", 3, (int64_t[]){1, 4, 1}, (float[]){1, 0.5f, 1, 1}),
                          cst("R", 4, (int64_t[]){1, 1, 4, 1}, (float[]){0, 0, 0, 0})},
                 y;
    glc_node_id id = node(in, 3, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_string(G, id, "cell", cell);
    set_identity(id, 1);
    float x[3] = {1, 1, 1}, out[3];
    run(y, (const void *[]){x}, out);
    tu_assert_floats(out, want, 3);
}

static void test_mdlstm__interp_spatial_cell_puts_the_output_gate_inside_h(void **state) {
    (void)state;
    cell_h_case("spatial", (float[]){1.5f, 2, 2.5f});
    teardown(NULL);
    setup(NULL);
    cell_h_case("graves", (float[]){1, 1.5f, 2});
}

/* Rank 1 graves with peepholes P = (0.5, 0.5, 0.25), identity activations, X = W = 1:
 *   p0: i = 1, c = 1, o = 1 + 0.5 = 1.5, h = 1.5
 *   p1: i = 1.5, f = 1.25, c = 1.5 + 1.25 = 2.75, o = 2.375, h = 6.53125 */
static void test_mdlstm__interp_graves_peepholes(void **state) {
    (void)state;
    glc_value_id in[5] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 2}),
                          cst("W", 3, (int64_t[]){1, 4, 1}, (float[]){1, 1, 1, 1}),
                          cst("R", 4, (int64_t[]){1, 1, 4, 1}, (float[]){0, 0, 0, 0}), 0,
                          cst("P", 2, (int64_t[]){1, 3}, (float[]){0.5f, 0.5f, 0.25f})},
                 y;
    glc_node_id id = node(in, 5, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    set_identity(id, 0);
    float x[2] = {1, 1}, out[2];
    run(y, (const void *[]){x}, out);
    tu_assert_floats(out, (float[]){1.5f, 6.53125f}, 2);
}

/* Rank 1 graves, R = 0.5, B = 0, identity activations, W = 1, X = (1, 2):
 *   p0: a = 1, c = 1, h = 1
 *   p1: a = 2 + 0.5 * 1 = 2.5, c = 2.5 * 2.5 + 2.5 * 1 = 8.75, h = 2.5 * 8.75 = 21.875 */
static void test_mdlstm__interp_recurrent_weights_feed_the_previous_h(void **state) {
    (void)state;
    glc_value_id in[4] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 2}),
                          cst("W", 3, (int64_t[]){1, 4, 1}, (float[]){1, 1, 1, 1}),
                          cst("R", 4, (int64_t[]){1, 1, 4, 1}, (float[]){0.5f, 0.5f, 0.5f, 0.5f}),
                          cst("B", 2, (int64_t[]){1, 4}, (float[]){0, 0, 0, 0})},
                 y;
    glc_node_id id = node(in, 4, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    set_identity(id, 0);
    float x[2] = {1, 2}, out[2];
    run(y, (const void *[]){x}, out);
    tu_assert_floats(out, (float[]){1, 21.875f}, 2);
}

/* clip 0.9 bounds the gate inputs (all 1 -> 0.9) but not h's argument (c1 > 0.9):
 *   c0 = 0.81, h0 = 0.729; c1 = 0.81 + 0.9 * 0.81 = 1.539, h1 = 0.9 * 1.539 */
static void test_mdlstm__interp_clip_bounds_gates_not_the_cell_state(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 2}),
                          cst("W", 3, (int64_t[]){1, 4, 1}, (float[]){1, 1, 1, 1}),
                          cst("R", 4, (int64_t[]){1, 1, 4, 1}, (float[]){0, 0, 0, 0})},
                 y;
    glc_node_id id = node(in, 3, &y);
    glc_node_set_int(G, id, "hidden_size", 1);
    glc_node_set_float(G, id, "clip", 0.9f);
    set_identity(id, 0);
    float x[2] = {1, 1}, out[2];
    run(y, (const void *[]){x}, out);
    tu_assert_floats(out, (float[]){0.9f * 0.81f, 0.9f * 1.539f}, 2);
}

/* ---- consistency with ONNX LSTM ------------------------------------------------------ */

enum { CN = 3, CC = 2, CF = 3, CS = 5 };

static void fill(float *v, int n, unsigned *seed) {
    for (int i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = (float)((*seed >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
}

typedef struct md_case {
    int dirs;
    bool extents;
    bool acts; /* HardSigmoid/Tanh/Softsign with clip 0.8, else defaults */
} md_case;

/* Runs MDLSTM on (N, C, S) and the equivalent LSTM on (S, N, C); compares Y. */
static void compare_with_lstm(const md_case *mc) {
    int D = mc->dirs, G4 = 4 * CF;
    unsigned seed = 99;
    float *w = malloc(sizeof(float) * (size_t)(D * G4 * CC)),
          *r = malloc(sizeof(float) * (size_t)(D * G4 * CF));
    float *b = malloc(sizeof(float) * (size_t)(D * G4)),
          *b8 = calloc((size_t)(D * 2 * G4), sizeof(float));
    float x[CN * CC * CS], xt[CS * CN * CC], ymd[CN * 2 * CF * CS], yl[CS * 2 * CN * CF];
    fill(w, D * G4 * CC, &seed);
    fill(r, D * G4 * CF, &seed);
    fill(b, D * G4, &seed);
    fill(x, CN * CC * CS, &seed);
    for (int d = 0; d < D; d++)
        memcpy(b8 + d * 2 * G4, b + d * G4, sizeof(float) * (size_t)G4); /* [Wb = B, Rb = 0] */
    for (int n = 0; n < CN; n++)
        for (int c = 0; c < CC; c++)
            for (int s = 0; s < CS; s++)
                xt[(s * CN + n) * CC + c] = x[(n * CC + c) * CS + s];
    int64_t lens64[CN] = {5, 2, 0};
    int32_t lens32[CN] = {5, 2, 0};
    static const char *const acts[6] = {"HardSigmoid", "Tanh", "Softsign",
                                        "HardSigmoid", "Tanh", "Softsign"};
    /* MDLSTM */
    glc_value_id in[6] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){CN, CC, CS}),
                          cst("W", 3, (int64_t[]){D, G4, CC}, w),
                          cst("R", 4, (int64_t[]){D, 1, G4, CF}, r),
                          cst("B", 2, (int64_t[]){D, G4}, b),
                          0,
                          mc->extents ? glc_graph_add_const(G, "ext", GLC_DT_I64, 2,
                                                            (int64_t[]){CN, 1}, lens64)
                                      : 0},
                 y;
    glc_node_id id = node(in, mc->extents ? 6 : 4, &y);
    glc_node_set_int(G, id, "hidden_size", CF);
    glc_node_set_int(G, id, "directions", D);
    if (mc->acts) {
        set_acts(id, acts, NULL, NULL);
        glc_node_set_float(G, id, "clip", 0.8f);
    }
    run(y, (const void *[]){x}, ymd);
    /* LSTM (forward, or bidirectional for two directions) */
    teardown(NULL);
    setup(NULL);
    glc_value_id lin[5] = {
        shaped("X", GLC_DT_F32, 3, (int64_t[]){CS, CN, CC}), cst("W", 3, (int64_t[]){D, G4, CC}, w),
        cst("R", 3, (int64_t[]){D, G4, CF}, r), cst("B", 2, (int64_t[]){D, 2 * G4}, b8),
        mc->extents ? glc_graph_add_const(G, "sl", GLC_DT_I32, 1, (int64_t[]){CN}, lens32) : 0};
    glc_value_id ly = glc_graph_add_value(G, "Y", GLC_DT_UNDEF, 0, NULL);
    glc_node_id lid = glc_graph_add_node(G, GLC_OP_LSTM, "lstm", lin, mc->extents ? 5 : 4, &ly, 1);
    glc_node_set_int(G, lid, "hidden_size", CF);
    if (D == 2) glc_node_set_string(G, lid, "direction", "bidirectional");
    if (mc->acts) {
        glc_attr a = {.name = "activations",
                      .kind = GLC_ATTR_STRINGS,
                      .n = 3u * (unsigned)D,
                      .strings = acts};
        glc_node_set_attr(G, lid, &a);
        glc_node_set_float(G, lid, "clip", 0.8f);
    }
    run(ly, (const void *[]){xt}, yl);
    /* MDLSTM Y (N, D, F, S) vs LSTM Y (S, D, N, F) */
    for (int n = 0; n < CN; n++)
        for (int d = 0; d < D; d++)
            for (int f = 0; f < CF; f++)
                for (int s = 0; s < CS; s++) {
                    float got = ymd[((n * D + d) * CF + f) * CS + s];
                    float want = yl[((s * D + d) * CN + n) * CF + f];
                    if (fabsf(got - want) > 1e-6f * (1.0f + fabsf(want)))
                        fail_msg("n %d d %d f %d s %d: MDLSTM %.9g, LSTM %.9g", n, d, f, s,
                                 (double)got, (double)want);
                }
    free(w);
    free(r);
    free(b);
    free(b8);
}

static void test_mdlstm__rank1_graves_one_direction_equals_onnx_lstm(void **state) {
    (void)state;
    compare_with_lstm(&(md_case){.dirs = 1});
}

static void test_mdlstm__rank1_two_directions_equal_bidirectional_lstm(void **state) {
    (void)state;
    compare_with_lstm(&(md_case){.dirs = 2, .acts = true});
}

static void test_mdlstm__rank1_extents_equal_sequence_lens(void **state) {
    (void)state;
    compare_with_lstm(&(md_case){.dirs = 2, .extents = true});
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_mdlstm__rank2_four_directions_output_shape),
        T(test_mdlstm__rank3_stable_and_spatial_gate_counts),
        T(test_mdlstm__w_shape_mismatch_names_input_and_shapes),
        T(test_mdlstm__r_shape_mismatch_names_input_and_shapes),
        T(test_mdlstm__b_shape_mismatch_names_input_and_shapes),
        T(test_mdlstm__p_shape_mismatch_names_input_and_shapes),
        T(test_mdlstm__extents_must_be_int64_n_by_r),
        T(test_mdlstm__extents_wrong_batch),
        T(test_mdlstm__hidden_size_is_required),
        T(test_mdlstm__hidden_size_of_another_type_is_an_error),
        T(test_mdlstm__directions_out_of_range),
        T(test_mdlstm__unknown_cell),
        T(test_mdlstm__stable_cell_needs_rank_2),
        T(test_mdlstm__peepholes_only_with_graves),
        T(test_mdlstm__spatial_rank_must_be_1_to_3),
        T(test_mdlstm__clip_and_activation_errors),
        T(test_mdlstm__non_f32_x_is_unsupported),
        T(test_mdlstm__interp_four_scan_directions_start_at_their_corners),
        T(test_mdlstm__interp_extents_zero_outside_and_restart_reversed_scans),
        T(test_mdlstm__interp_rejects_extents_outside_the_grid),
        T(test_mdlstm__interp_stable_cell_blends_up_and_left),
        T(test_mdlstm__interp_spatial_cell_puts_the_output_gate_inside_h),
        T(test_mdlstm__interp_graves_peepholes),
        T(test_mdlstm__interp_recurrent_weights_feed_the_previous_h),
        T(test_mdlstm__interp_clip_bounds_gates_not_the_cell_state),
        T(test_mdlstm__rank1_graves_one_direction_equals_onnx_lstm),
        T(test_mdlstm__rank1_two_directions_equal_bidirectional_lstm),
        T(test_mdlstm__rank1_extents_equal_sequence_lens),
    };
    return cmocka_run_group_tests_name("mdlstm", tests, NULL, NULL);
}
