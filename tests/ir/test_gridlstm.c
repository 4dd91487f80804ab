/* test_gridlstm.c -- glc.GridLSTM shape inference (output shapes; one-line diagnostics naming
 * the op, the input or attribute and the expected/given shapes), the reference kernel on
 * small cases checked by hand (Affine activations keep the arithmetic exact), and a
 * consistency test: K = 1, L = 1 equals the same network stacked by hand from standard ops
 * (an ONNX LSTM over time on W_in x, followed by the depth cell). */
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

/* A GridLSTM node over in[0..n_in) with hidden_size F and num_layers L (< 0: not set). */
static glc_node_id grid(const glc_value_id *in, int n_in, int64_t F, int64_t L, glc_value_id *y) {
    glc_node_id id;
    *y = tu_node(G, GLC_OP_GRIDLSTM, "grid", in, n_in, &id);
    if (F >= 0) glc_node_set_int(G, id, "hidden_size", F);
    if (L >= 0) glc_node_set_int(G, id, "num_layers", L);
    return id;
}

static glc_status infer(void) {
    return glc_infer_shapes(G, &D);
}

/* infer() fails with status st and a one-line message containing want. */
static void expect_error(glc_status st, const char *want) {
    assert_int_equal(infer(), st);
    assert_string_equal(D.node, "grid");
    if (!strstr(D.msg, want)) fail_msg("diagnostic '%s' lacks '%s'", D.msg, want);
    assert_null(strchr(D.msg, '\n'));
}

/* ---- shape inference ------------------------------------------------------------- */

static void test_gridlstm__k1_output_shape_with_w_in_and_tied_weights(void **state) {
    (void)state;
    glc_value_id in[4] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 5, 7}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 2, 12, 6}),
                          shaped("B", GLC_DT_F32, 3, (int64_t[]){1, 2, 12}),
                          shaped("W_in", GLC_DT_F32, 2, (int64_t[]){3, 5})};
    glc_value_id y;
    glc_node_id id = grid(in, 4, 3, 4, &y);
    glc_node_set_int(G, id, "tied", 1);
    assert_int_equal(infer(), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 3, (int64_t[]){2, 3, 7});
}

static void test_gridlstm__k2_output_shape_without_w_in_or_bias(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){1, 2, 3, 4}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){2, 3, 8, 6})};
    glc_value_id y;
    grid(in, 2, 2, 2, &y);
    assert_int_equal(infer(), GLC_OK);
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){1, 2, 3, 4});
}

/* K = 1, F = 3, L = 2, C = 5 with W_in; slot `bad` replaced by a value of shape dims. */
static glc_node_id k1_with_bad(int bad, int rank, const int64_t *dims) {
    static const char *names[4] = {"X", "W", "B", "W_in"};
    glc_value_id in[4] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 5, 7}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){2, 2, 12, 6}),
                          shaped("B", GLC_DT_F32, 3, (int64_t[]){2, 2, 12}),
                          shaped("W_in", GLC_DT_F32, 2, (int64_t[]){3, 5})};
    if (bad >= 0) {
        char nm[32];
        snprintf(nm, sizeof nm, "%s_bad", names[bad]);
        in[bad] = shaped(nm, GLC_DT_F32, rank, dims);
    }
    glc_value_id y;
    return grid(in, 4, 3, 2, &y);
}

static void test_gridlstm__w_shape_mismatch_names_input_and_both_shapes(void **state) {
    (void)state;
    k1_with_bad(1, 4, (int64_t[]){2, 2, 12, 3});
    expect_error(GLC_E_SHAPE, "GridLSTM: input W has shape f32[2,2,12,3]; expected f32[2,2,12,6] "
                              "([Lw, K+1, 4F, (K+1)F] with Lw = L = 2, K = 1, F = 3)");
}

static void test_gridlstm__tied_w_must_have_one_layer(void **state) {
    (void)state;
    glc_node_id id = k1_with_bad(-1, 0, NULL);
    glc_node_set_int(G, id, "tied", 1);
    expect_error(GLC_E_SHAPE, "GridLSTM: input W has shape f32[2,2,12,6]; expected f32[1,2,12,6] "
                              "([Lw, K+1, 4F, (K+1)F] with Lw = 1 (tied), L = 2, K = 1, F = 3)");
}

static void test_gridlstm__w_rank_and_k2_dimension_count(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){1, 2, 3, 4}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 2, 8, 4})};
    glc_value_id y;
    grid(in, 2, 2, 1, &y);
    expect_error(GLC_E_SHAPE, "input W has shape f32[1,2,8,4]; expected f32[1,3,8,6]");
}

static void test_gridlstm__b_shape_mismatch(void **state) {
    (void)state;
    k1_with_bad(2, 2, (int64_t[]){2, 12});
    expect_error(GLC_E_SHAPE, "GridLSTM: input B has shape f32[2,12]; expected f32[2,2,12] "
                              "([Lw, K+1, 4F] with Lw = L = 2, K = 1, F = 3)");
}

static void test_gridlstm__w_in_shape_mismatch(void **state) {
    (void)state;
    k1_with_bad(3, 2, (int64_t[]){5, 3});
    expect_error(GLC_E_SHAPE, "GridLSTM: input W_in has shape f32[5,3]; expected f32[3,5]");
}

static void test_gridlstm__without_w_in_channels_must_equal_hidden_size(void **state) {
    (void)state;
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){2, 5, 7}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){2, 2, 12, 6}), 0};
    glc_value_id y;
    grid(in, 3, 3, 2, &y);
    expect_error(GLC_E_SHAPE, "GridLSTM: input X has shape f32[2,5,7] with C = 5; expected C = "
                              "hidden_size = 3 when W_in is absent");
}

static void test_gridlstm__x_rank_gives_k_1_or_2_only(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 5, (int64_t[]){1, 2, 2, 2, 2}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 4, 8, 8})};
    glc_value_id y;
    grid(in, 2, 2, 1, &y);
    expect_error(GLC_E_SHAPE, "GridLSTM: input X has shape f32[1,2,2,2,2]; expected rank 3 or 4 "
                              "([N, C, S1..SK] with K = 1 or 2 scanned axes), got K = 3");
}

static void test_gridlstm__x_rank_2_is_k_0(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 2, (int64_t[]){1, 2}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 1, 8, 2})};
    glc_value_id y;
    grid(in, 2, 2, 1, &y);
    expect_error(GLC_E_SHAPE, "got K = 0");
}

static void test_gridlstm__hidden_size_and_num_layers_are_required(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 2, 3}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 2, 8, 4})};
    glc_value_id y;
    glc_node_id id = grid(in, 2, -1, 1, &y);
    expect_error(GLC_E_SHAPE, "GridLSTM: attribute hidden_size (int) is required");
    glc_node_set_int(G, id, "hidden_size", 0);
    expect_error(GLC_E_SHAPE, "GridLSTM: hidden_size 0; expected a value >= 1");
    glc_node_set_int(G, id, "hidden_size", 2);
    glc_node_set_int(G, id, "num_layers", -2);
    expect_error(GLC_E_SHAPE, "GridLSTM: num_layers -2; expected a value >= 1");
    glc_node_set_float(G, id, "num_layers", 1.0f);
    expect_error(GLC_E_SHAPE, "GridLSTM: attribute num_layers (int) is required");
    glc_node_set_int(G, id, "num_layers", 1);
    assert_int_equal(infer(), GLC_OK);
}

static void test_gridlstm__num_layers_missing(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 2, 3}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 2, 8, 4})};
    glc_value_id y;
    grid(in, 2, 2, -1, &y);
    expect_error(GLC_E_SHAPE, "GridLSTM: attribute num_layers (int) is required");
}

static void test_gridlstm__flag_clip_and_activation_errors(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 2, 3}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 2, 8, 4})};
    glc_value_id y;
    glc_node_id id = grid(in, 2, 2, 1, &y);
    glc_node_set_int(G, id, "tied", 2);
    expect_error(GLC_E_SHAPE, "GridLSTM: tied 2; expected 0 or 1");
    glc_node_set_int(G, id, "tied", 0);
    glc_node_set_int(G, id, "priority", -1);
    expect_error(GLC_E_SHAPE, "GridLSTM: priority -1; expected 0 or 1");
    glc_node_set_int(G, id, "priority", 0);
    glc_node_set_float(G, id, "clip", -1.0f);
    expect_error(GLC_E_SHAPE, "GridLSTM: clip -1; expected a positive value");
    glc_node_set_float(G, id, "clip", 2.0f);
    static const char *const two[2] = {"Sigmoid", "Tanh"};
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 2, .strings = two};
    glc_node_set_attr(G, id, &a);
    expect_error(GLC_E_SHAPE, "GridLSTM: activations lists 2 names; expected 3");
    static const char *const bad[3] = {"Sigmoid", "Tanh", "Cosh"};
    a.n = 3, a.strings = bad;
    glc_node_set_attr(G, id, &a);
    expect_error(GLC_E_SHAPE, "GridLSTM: unknown activation 'Cosh'");
}

static void test_gridlstm__non_f32_x_is_unsupported(void **state) {
    (void)state;
    glc_value_id in[2] = {shaped("X", GLC_DT_I32, 3, (int64_t[]){1, 2, 3}),
                          shaped("W", GLC_DT_F32, 4, (int64_t[]){1, 2, 8, 4})};
    glc_value_id y;
    grid(in, 2, 2, 1, &y);
    expect_error(GLC_E_UNSUPPORTED, "GridLSTM: input X is i32; only f32 is supported");
}

/* ---- the reference kernel ---------------------------------------------------------- */

/* Affine(1, 0) for f, g and h: every value below is an exact float. */
static void set_identity(glc_node_id id) {
    static const char *const aff[3] = {"Affine", "Affine", "Affine"};
    glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 3, .strings = aff};
    assert_int_equal(glc_node_set_attr(G, id, &a), GLC_OK);
}

static void run(glc_value_id y, const void *const *inputs, float *out) {
    glc_graph_add_output(G, y);
    if (infer()) fail_msg("infer: %s", D.msg);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    if (glc_interp_run(G, inputs, (void *[]){out}, &D)) fail_msg("interp: %s", D.msg);
}

/* K = 1, F = 1, C = 1, S = 2, x = (1, 2); W[0,0] rows (1, 1), W[0,1] rows (1, 0.5):
 *   p=0: a = 0 + 1 = 1, m0 = 1, h0 = 1.  priority 1: a = 1 + 0.5 = 1.5, md = 2.25, hd = 3.375
 *   p=1: a = 1 + 2 = 3, m0 = 3*1 + 3*3 = 12, h0 = 36.   a = 36 + 1 = 37, md = 1369, hd = 50653
 *   priority 0: the depth reads H: p=0 a = 0.5 -> 0.125;  p=1 a = 1 + 1 = 2 -> 8. */
static void k1_exact(int64_t priority, const float *want) {
    float w[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5f, 1, 0.5f, 1, 0.5f, 1, 0.5f};
    glc_value_id in[2] = {shaped("X", GLC_DT_F32, 3, (int64_t[]){1, 1, 2}),
                          cst("W", 4, (int64_t[]){1, 2, 4, 2}, w)};
    glc_value_id y;
    glc_node_id id = grid(in, 2, 1, 1, &y);
    glc_node_set_int(G, id, "priority", priority);
    set_identity(id);
    float x[2] = {1, 2}, out[2] = {-1, -1};
    run(y, (const void *[]){x}, out);
    tu_assert_floats(out, want, 2);
}

static void test_gridlstm__interp_k1_priority_depth_sees_new_h(void **state) {
    (void)state;
    k1_exact(1, (float[]){3.375f, 50653.0f});
}

static void test_gridlstm__interp_k1_priority0_depth_reads_shared_h(void **state) {
    (void)state;
    k1_exact(0, (float[]){0.125f, 8.0f});
}

/* K = 2 on a 2x2 grid, F = C = 1, L = 1, priority 1, f = g = h = Affine(1, 0), x = 0.
 * Every gate of axis 0 has W row (1, 0, 0) and bias .5 (a = h_0 of the block above + .5),
 * of axis 1 (0, 1, 0) and bias .5 (a = h_1 of the block to the left + .5), of depth
 * (1, 10, 0) and no bias (a = h_0(p) + 10 h_1(p), the new states). A cell with all gates a
 * gives m = a m_prev + a^2, h = a m:
 *   first along an axis: a = .5, m = .25, h = .125
 *   second:              a = .625, m = .625*.25 + .390625 = .546875, h = .341796875
 * so h_0(r, c) = h_r and h_1(r, c) = h_c; depth: m = a^2, Y = a^3. The weights 1 and 10
 * tell the axes apart. */
static void test_gridlstm__interp_k2_axes_read_the_block_above_and_left(void **state) {
    (void)state;
    const float rows[3][3] = {{1, 0, 0}, {0, 1, 0}, {1, 10, 0}};
    float w[3 * 4 * 3], b[3 * 4];
    for (int j = 0; j < 3; j++)
        for (int g = 0; g < 4; g++) {
            for (int k = 0; k < 3; k++)
                w[(j * 4 + g) * 3 + k] = rows[j][k];
            b[j * 4 + g] = j < 2 ? 0.5f : 0.0f;
        }
    glc_value_id in[3] = {shaped("X", GLC_DT_F32, 4, (int64_t[]){1, 1, 2, 2}),
                          cst("W", 4, (int64_t[]){1, 3, 4, 3}, w),
                          cst("B", 3, (int64_t[]){1, 3, 4}, b)};
    glc_value_id y;
    glc_node_id id = grid(in, 3, 1, 1, &y);
    set_identity(id);
    float x[4] = {0}, out[4];
    run(y, (const void *[]){x}, out);
    const double h[2] = {0.125, 0.341796875};
    float want[4];
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++) {
            double a = h[r] + 10 * h[c];
            want[r * 2 + c] = (float)(a * a * a);
        }
    tu_assert_floats(out, want, 4);
}

/* ---- consistency with a hand-stacked network ---------------------------------------- */

static float rnd(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f; /* [-1, 1) */
}

static glc_value_id op(glc_op o, const char *name, const glc_value_id *in, int n_in) {
    return tu_node(G, o, name, in, n_in, NULL);
}

static glc_value_id transpose(const char *name, glc_value_id x, const int64_t *perm) {
    glc_node_id id;
    glc_value_id y = tu_node(G, GLC_OP_TRANSPOSE, name, &x, 1, &id);
    glc_node_set_ints(G, id, "perm", perm, 3);
    return y;
}

enum { CN = 2, CC = 3, CS = 5, CF = 4 };

/* The reference for K = 1, L = 1, priority 1, with W_in:
 *   xin = X^T W_in^T                           [S, N, F]   h_depth(p, 0)
 *   hs  = LSTM(xin; W = W[0,0][:, F:], R = W[0,0][:, :F], B = (B[0,0], 0))   the time axis
 *   a_g = [hs, xin] W[0,1][g]^T + B[0,1][g]    for the gates g = i, o, c
 *   Y   = (f(a_o) h(f(a_i) g(a_c)))^T          m_depth(p, 0) = 0 leaves the forget gate out */
static glc_value_id stacked(glc_value_id x, const float *W, const float *B, const float *Win) {
    float winT[CC * CF], wl[4 * CF * CF], rl[4 * CF * CF], bl[8 * CF] = {0};
    for (int f = 0; f < CF; f++)
        for (int c = 0; c < CC; c++)
            winT[c * CF + f] = Win[f * CC + c];
    for (int r = 0; r < 4 * CF; r++)
        for (int k = 0; k < CF; k++) {
            rl[r * CF + k] = W[r * 2 * CF + k];      /* acts on h_0(p - 1) */
            wl[r * CF + k] = W[r * 2 * CF + CF + k]; /* acts on h_depth(p, 0) */
        }
    memcpy(bl, B, 4 * CF * sizeof(float));
    glc_value_id xt = transpose("xt", x, (int64_t[]){2, 0, 1});
    glc_value_id xin = op(GLC_OP_MATMUL, "xin",
                          (glc_value_id[]){xt, cst("winT", 2, (int64_t[]){CC, CF}, winT)}, 2);
    glc_value_id lstm = op(GLC_OP_LSTM, "lstm",
                           (glc_value_id[]){xin, cst("wl", 3, (int64_t[]){1, 4 * CF, CF}, wl),
                                            cst("rl", 3, (int64_t[]){1, 4 * CF, CF}, rl),
                                            cst("bl", 2, (int64_t[]){1, 8 * CF}, bl)},
                           4);
    glc_value_id shp = glc_graph_add_const(G, "shp", GLC_DT_I64, 1, (int64_t[]){3},
                                           (int64_t[]){CS, CN, CF});
    glc_value_id hs = op(GLC_OP_RESHAPE, "hs", (glc_value_id[]){lstm, shp}, 2);
    glc_node_id cat_id;
    glc_value_id cat = tu_node(G, GLC_OP_CONCAT, "cat", (glc_value_id[]){hs, xin}, 2, &cat_id);
    glc_node_set_int(G, cat_id, "axis", 2);
    glc_value_id act[4];
    const glc_op fn[4] = {GLC_OP_SIGMOID, GLC_OP_SIGMOID, GLC_OP_SIGMOID, GLC_OP_TANH};
    const float *wd = W + 4 * CF * 2 * CF, *bd = B + 4 * CF; /* W[0,1], B[0,1] */
    for (int g = 0; g < 4; g++) {
        float wg[2 * CF * CF];
        for (int k = 0; k < 2 * CF; k++)
            for (int f = 0; f < CF; f++)
                wg[k * CF + f] = wd[(g * CF + f) * 2 * CF + k];
        char nm[4][16];
        for (int i = 0; i < 4; i++)
            snprintf(nm[i], sizeof nm[i], "%c%d", "wbmz"[i], g);
        glc_value_id mm = op(GLC_OP_MATMUL, nm[2],
                             (glc_value_id[]){cat, cst(nm[0], 2, (int64_t[]){2 * CF, CF}, wg)}, 2);
        glc_value_id pre = op(GLC_OP_ADD, nm[3],
                              (glc_value_id[]){mm, cst(nm[1], 1, (int64_t[]){CF}, bd + g * CF)}, 2);
        snprintf(nm[0], sizeof nm[0], "act%d", g);
        act[g] = op(fn[g], nm[0], &pre, 1);
    }
    glc_value_id m = op(GLC_OP_MUL, "m", (glc_value_id[]){act[0], act[3]}, 2);
    glc_value_id tm = op(GLC_OP_TANH, "tm", &m, 1);
    glc_value_id h = op(GLC_OP_MUL, "h", (glc_value_id[]){act[1], tm}, 2);
    return transpose("yref", h, (int64_t[]){1, 2, 0});
}

static void test_gridlstm__k1_l1_equals_lstm_over_time_then_depth_cell(void **state) {
    (void)state;
    float W[2 * 4 * CF * 2 * CF], B[2 * 4 * CF], Win[CF * CC], x[CN * CC * CS];
    unsigned seed = 7;
    for (size_t i = 0; i < sizeof W / sizeof *W; i++) W[i] = rnd(&seed);
    for (size_t i = 0; i < sizeof B / sizeof *B; i++) B[i] = rnd(&seed);
    for (size_t i = 0; i < sizeof Win / sizeof *Win; i++) Win[i] = rnd(&seed);
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) x[i] = rnd(&seed);
    glc_value_id X = shaped("X", GLC_DT_F32, 3, (int64_t[]){CN, CC, CS});
    glc_value_id in[4] = {X, cst("W", 4, (int64_t[]){1, 2, 4 * CF, 2 * CF}, W),
                          cst("B", 3, (int64_t[]){1, 2, 4 * CF}, B),
                          cst("W_in", 2, (int64_t[]){CF, CC}, Win)};
    glc_value_id yg;
    grid(in, 4, CF, 1, &yg);
    glc_value_id yr = stacked(X, W, B, Win);
    glc_graph_add_output(G, yg);
    glc_graph_add_output(G, yr);
    if (infer()) fail_msg("infer: %s", D.msg);
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    tu_assert_shape(G, yr, GLC_DT_F32, 3, (int64_t[]){CN, CF, CS});
    float got[CN * CF * CS], want[CN * CF * CS];
    if (glc_interp_run(G, (const void *[]){x}, (void *[]){got, want}, &D))
        fail_msg("interp: %s", D.msg);
    tu_assert_floats(got, want, CN * CF * CS);
    float spread = 0; /* the outputs are not all ~0: the test can see a wrong gate */
    for (int i = 0; i < CN * CF * CS; i++) spread = fmaxf(spread, fabsf(want[i]));
    assert_true(spread > 0.05f);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_gridlstm__k1_output_shape_with_w_in_and_tied_weights),
        T(test_gridlstm__k2_output_shape_without_w_in_or_bias),
        T(test_gridlstm__w_shape_mismatch_names_input_and_both_shapes),
        T(test_gridlstm__tied_w_must_have_one_layer),
        T(test_gridlstm__w_rank_and_k2_dimension_count),
        T(test_gridlstm__b_shape_mismatch),
        T(test_gridlstm__w_in_shape_mismatch),
        T(test_gridlstm__without_w_in_channels_must_equal_hidden_size),
        T(test_gridlstm__x_rank_gives_k_1_or_2_only),
        T(test_gridlstm__x_rank_2_is_k_0),
        T(test_gridlstm__hidden_size_and_num_layers_are_required),
        T(test_gridlstm__num_layers_missing),
        T(test_gridlstm__flag_clip_and_activation_errors),
        T(test_gridlstm__non_f32_x_is_unsupported),
        T(test_gridlstm__interp_k1_priority_depth_sees_new_h),
        T(test_gridlstm__interp_k1_priority0_depth_reads_shared_h),
        T(test_gridlstm__interp_k2_axes_read_the_block_above_and_left),
        T(test_gridlstm__k1_l1_equals_lstm_over_time_then_depth_cell),
    };
#undef T
    return cmocka_run_group_tests_name("gridlstm", tests, NULL, NULL);
}
