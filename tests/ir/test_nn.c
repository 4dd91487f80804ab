/* test_nn.c -- shape inference and reference kernels of Conv, BatchNormalization,
 * LeakyRelu, HardSigmoid and LogSoftmax against hand-computed values. */
#include "conv.h"
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

/* Conv on an f32 input x of shape (rank, xd) and weights of shape wd, constant w or (w
 * NULL) a second input, and a constant bias of length wd[0] if b != NULL. */
static glc_value_id conv_node(int rank, const int64_t *xd, const int64_t *wd, const float *w,
                              const float *b, glc_node_id *nid) {
    glc_value_id in[3];
    in[0] = tu_input(G, "x", GLC_DT_F32, rank, xd);
    in[1] = w ? glc_graph_add_const(G, "w", GLC_DT_F32, rank, wd, w)
              : tu_input(G, "w", GLC_DT_F32, rank, wd);
    if (b) in[2] = glc_graph_add_const(G, "b", GLC_DT_F32, 1, wd, b);
    return tu_node(G, GLC_OP_CONV, "conv", in, b ? 3 : 2, nid);
}

/* Runs the graph (one f32 input x) with outputs outs[0..n_out) into bufs. */
static void run(const glc_value_id *outs, int n_out, const float *x, void *const *bufs) {
    for (int i = 0; i < n_out; i++)
        glc_graph_add_output(G, outs[i]);
    infer_ok();
    assert_int_equal(glc_graph_verify(G, &D), GLC_OK);
    const void *in[1] = {x};
    if (glc_interp_run(G, in, bufs, &D)) fail_msg("interp: %s", D.msg);
}

static void run1(glc_value_id y, const float *x, float *out) {
    void *bufs[1] = {out};
    run(&y, 1, x, bufs);
}

static float W9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};

/* ---- Conv: shapes and errors --------------------------------------------------------- */

static void test_nn__conv_infers_strided_asymmetric_padded_shape(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = conv_node(4, (int64_t[]){2, 3, 7, 5}, (int64_t[]){4, 3, 3, 3}, NULL, NULL, &n);
    ints(n, "pads", 4, (int64_t[]){1, 0, 1, 0});
    ints(n, "strides", 2, (int64_t[]){2, 2});
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){2, 4, 4, 2});
}

static void test_nn__conv_kernel_shape_is_optional_and_comes_from_w(void **state) {
    (void)state;
    glc_value_id y =
        conv_node(5, (int64_t[]){1, 2, 4, 5, 6}, (int64_t[]){3, 2, 2, 3, 4}, NULL, NULL, NULL);
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 5, (int64_t[]){1, 3, 3, 3, 3});
}

static void test_nn__conv_same_lower_puts_the_odd_pad_first(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = conv_node(4, (int64_t[]){1, 1, 5, 6}, (int64_t[]){1, 1, 2, 3}, NULL, NULL, &n);
    ints(n, "strides", 2, (int64_t[]){2, 1});
    ints(n, "dilations", 2, (int64_t[]){1, 2});
    glc_node_set_string(G, n, "auto_pad", "SAME_LOWER");
    infer_ok();
    tu_assert_shape(G, y, GLC_DT_F32, 4, (int64_t[]){1, 1, 3, 6});
    glc_conv_geom cg;
    assert_int_equal(glc_conv_geom_get(G, &G->nodes[n], &cg, &D), GLC_OK);
    /* H: total (3-1)*2 + 2 - 5 = 1 -> (1, 0); W: effective kernel 5, total 4 -> (2, 2). */
    assert_int_equal(cg.pad_begin[0], 1);
    assert_int_equal(cg.pad_end[0], 0);
    assert_int_equal(cg.pad_begin[1], 2);
    assert_int_equal(cg.pad_end[1], 2);
}

static void test_nn__conv_geom_resolve_same_upper_puts_the_odd_pad_last(void **state) {
    (void)state;
    glc_conv_geom cg = {
        .nsp = 2, .in = {5, 4}, .kernel = {2, 3}, .stride = {1, 3}, .dilation = {1, 1}};
    assert_true(glc_conv_geom_resolve(G, NULL, &cg, "SAME_UPPER"));
    assert_int_equal(cg.out[0], 5);
    assert_int_equal(cg.pad_begin[0], 0);
    assert_int_equal(cg.pad_end[0], 1);
    assert_int_equal(cg.out[1], 2); /* total (2-1)*3 + 3 - 4 = 2 */
    assert_int_equal(cg.pad_begin[1], 1);
    assert_int_equal(cg.pad_end[1], 1);
    cg.kernel[1] = 5;
    assert_false(glc_conv_geom_resolve(G, NULL, &cg, "VALID"));
}

static void test_nn__conv_rejects_channels_that_do_not_match_group(void **state) {
    (void)state;
    glc_node_id n;
    conv_node(4, (int64_t[]){1, 4, 5, 5}, (int64_t[]){6, 4, 3, 3}, NULL, NULL, &n);
    glc_node_set_int(G, n, "group", 2);
    infer_fails(GLC_E_SHAPE, "input 1 f32[6,4,3,3] must be (M, C/group, k...)");
    assert_string_equal(D.node, "conv");
}

static void test_nn__conv_rejects_out_channels_not_a_multiple_of_group(void **state) {
    (void)state;
    glc_node_id n;
    conv_node(3, (int64_t[]){1, 4, 5}, (int64_t[]){3, 2, 3}, NULL, NULL, &n);
    glc_node_set_int(G, n, "group", 2);
    infer_fails(GLC_E_SHAPE, "M a multiple of group 2");
}

static void test_nn__conv_rejects_a_bias_of_the_wrong_length(void **state) {
    (void)state;
    glc_value_id in[3] = {tu_input(G, "x", GLC_DT_F32, 3, (int64_t[]){1, 2, 5}),
                          tu_input(G, "w", GLC_DT_F32, 3, (int64_t[]){3, 2, 3}),
                          tu_input(G, "b", GLC_DT_F32, 1, (int64_t[]){2})};
    tu_node(G, GLC_OP_CONV, "conv", in, 3, NULL);
    infer_fails(GLC_E_SHAPE, "input 2 f32[2] must be (3)");
}

static void test_nn__conv_rejects_kernel_shape_disagreeing_with_w(void **state) {
    (void)state;
    glc_node_id n;
    conv_node(4, (int64_t[]){1, 1, 5, 5}, (int64_t[]){1, 1, 3, 3}, NULL, NULL, &n);
    ints(n, "kernel_shape", 2, (int64_t[]){3, 2});
    infer_fails(GLC_E_SHAPE, "kernel_shape (2 values) does not match");
}

static void test_nn__conv_rejects_a_window_larger_than_the_padded_input(void **state) {
    (void)state;
    glc_node_id n;
    conv_node(4, (int64_t[]){1, 1, 4, 4}, (int64_t[]){1, 1, 2, 3}, NULL, NULL, &n);
    ints(n, "dilations", 2, (int64_t[]){1, 2}); /* effective 5 > 4 */
    infer_fails(GLC_E_SHAPE, "axis 1: window 5 (kernel 3, dilation 2) does not fit input 0 "
                             "f32[1,1,4,4]");
}

static void test_nn__conv_rejects_pads_with_auto_pad_and_unknown_auto_pad(void **state) {
    (void)state;
    glc_node_id n;
    conv_node(3, (int64_t[]){1, 1, 5}, (int64_t[]){1, 1, 3}, NULL, NULL, &n);
    ints(n, "pads", 2, (int64_t[]){1, 1});
    glc_node_set_string(G, n, "auto_pad", "SAME_UPPER");
    infer_fails(GLC_E_SHAPE, "cannot be combined with auto_pad SAME_UPPER");
    G->nodes[n].attrs[G->nodes[n].n_attrs - 1].s = "SAME";
    infer_fails(GLC_E_SHAPE, "unknown auto_pad 'SAME'");
}

static void test_nn__conv_rejects_inputs_without_spatial_axes_and_f64(void **state) {
    (void)state;
    glc_value_id in[2] = {tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){1, 2}),
                          tu_input(G, "w", GLC_DT_F32, 2, (int64_t[]){1, 2})};
    tu_node(G, GLC_OP_CONV, "conv", in, 2, NULL);
    infer_fails(GLC_E_SHAPE, "at least one spatial axis");
    G->values[in[0]].dtype = GLC_DT_F64;
    infer_fails(GLC_E_UNSUPPORTED, "input 0 f64[1,2]: only f32 is supported");
}

/* The shape of v with symbol names, e.g. "f32[N,4,4,floor((W + 1) / 2)]". */
static const char *shape_of(glc_value_id v) {
    static char buf[256];
    glc_value_shape_str(G, &G->values[v], buf, sizeof buf);
    return buf;
}

static void test_nn__conv_symbolic_batch_and_width_give_output_expressions(void **state) {
    (void)state;
    glc_dim N = glc_dim_symbol(G, "N"), W = glc_dim_symbol(G, "W");
    glc_node_id n;
    glc_value_id y = conv_node(4, (int64_t[]){N, 3, 7, W}, (int64_t[]){4, 3, 3, 3}, NULL, NULL, &n);
    ints(n, "strides", 2, (int64_t[]){2, 2});
    glc_node_set_string(G, n, "auto_pad", "SAME_UPPER");
    infer_ok();
    assert_string_equal(shape_of(y), "f32[N,4,4,floor((W + 1) / 2)]");
    glc_conv_geom cg;
    assert_int_equal(glc_conv_geom_get(G, &G->nodes[n], &cg, &D), GLC_OK);
    assert_int_equal(cg.pad_begin[0], 1); /* static axis: static pads */
    assert_true(glc_dim_is_sym(cg.pad_begin[1]));
}

static void test_nn__conv_symbolic_weights_take_kernel_shape_and_record_constraints(void **state) {
    (void)state;
    glc_dim M = glc_dim_symbol(G, "M"), C = glc_dim_symbol(G, "C"), K = glc_dim_symbol(G, "K");
    glc_node_id n;
    glc_value_id y = conv_node(3, (int64_t[]){2, C, 9}, (int64_t[]){M, C, K}, NULL, NULL, &n);
    ints(n, "kernel_shape", 1, (int64_t[]){3});
    infer_ok();
    assert_string_equal(shape_of(y), "f32[2,M,7]");
    uint32_t nc;
    const glc_dim_constraint *c = glc_dim_constraints(G, &nc);
    bool pinned = false;
    for (uint32_t i = 0; i < nc; i++)
        pinned = pinned || (c[i].rel == GLC_DIM_EQ && c[i].a == K && c[i].b == 3);
    assert_true(pinned); /* K == 3: the importer binds it and re-imports (frontend/import.c) */
}

static void test_nn__conv_symbolic_kernel_without_kernel_shape_stays_symbolic(void **state) {
    (void)state;
    glc_dim K = glc_dim_symbol(G, "K"), W = glc_dim_symbol(G, "W");
    glc_node_id n;
    glc_value_id y = conv_node(3, (int64_t[]){1, 2, W}, (int64_t[]){3, 2, K}, NULL, NULL, &n);
    ints(n, "pads", 2, (int64_t[]){1, 1});
    infer_ok();
    assert_string_equal(shape_of(y), "f32[1,3,-K + W + 3]");
}

static void test_nn__batchnorm_symbolic_parameters_must_equal_the_channels(void **state) {
    (void)state;
    glc_dim C = glc_dim_symbol(G, "C"), S = glc_dim_symbol(G, "S");
    glc_value_id in[5] = {tu_input(G, "x", GLC_DT_F32, 3, (int64_t[]){2, C, 5})};
    static const char *names[4] = {"scale", "B", "mean", "var"};
    for (int i = 0; i < 4; i++)
        in[i + 1] = tu_input(G, names[i], GLC_DT_F32, 1, i ? (int64_t[]){C} : (int64_t[]){S});
    glc_value_id y = tu_node(G, GLC_OP_BATCHNORM, "bn", in, 5, NULL);
    infer_ok();
    assert_string_equal(shape_of(y), "f32[2,C,5]");
    uint32_t nc;
    glc_dim_constraints(G, &nc);
    assert_int_equal(nc, 1); /* S == C, checked at run time */
}

/* ---- Conv: values -------------------------------------------------------------------- */

static void test_nn__conv_basic_with_padding(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = conv_node(4, (int64_t[]){1, 1, 5, 5}, (int64_t[]){1, 1, 3, 3}, W9, NULL, &n);
    ints(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    float x[25], got[25], want[25] = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                      117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    for (int i = 0; i < 25; i++)
        x[i] = (float)i;
    run1(y, x, got);
    tu_assert_floats(got, want, 25);
}

static void test_nn__conv_groups_and_channel_multiplier(void **state) {
    (void)state;
    glc_node_id n; /* group 2, M = 4: m0, m1 read channel 0, m2, m3 channel 1 */
    float w[4] = {1, 2, 3, 4}, b[4] = {0, 0.5f, 0, -1};
    glc_value_id y = conv_node(3, (int64_t[]){1, 2, 2}, (int64_t[]){4, 1, 1}, w, b, &n);
    glc_node_set_int(G, n, "group", 2);
    float x[4] = {1, 2, 3, 4}, got[8], want[8] = {1, 2, 2.5f, 4.5f, 9, 12, 11, 15};
    run1(y, x, got);
    tu_assert_floats(got, want, 8);
}

static void test_nn__conv_dilated_2d(void **state) {
    (void)state;
    glc_node_id n;
    float w[4] = {1, 2, 3, 4};
    glc_value_id y = conv_node(4, (int64_t[]){1, 1, 5, 5}, (int64_t[]){1, 1, 2, 2}, w, NULL, &n);
    ints(n, "dilations", 2, (int64_t[]){2, 2});
    float x[25], got[9], want[9] = {82, 92, 102, 132, 142, 152, 182, 192, 202};
    for (int i = 0; i < 25; i++)
        x[i] = (float)i;
    run1(y, x, got); /* x[i,j] + 2x[i,j+2] + 3x[i+2,j] + 4x[i+2,j+2] = 50i + 10j + 82 */
    tu_assert_floats(got, want, 9);
}

static void test_nn__conv_3d(void **state) {
    (void)state;
    float w[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    glc_value_id y =
        conv_node(5, (int64_t[]){1, 1, 2, 3, 3}, (int64_t[]){1, 1, 2, 2, 2}, w, NULL, NULL);
    float x[18], got[4], want[4] = {52, 60, 76, 84};
    for (int i = 0; i < 18; i++)
        x[i] = (float)i;
    run1(y, x, got);
    tu_assert_floats(got, want, 4);
}

static void test_nn__conv_same_lower_values(void **state) {
    (void)state;
    glc_node_id n;
    glc_value_id y = conv_node(4, (int64_t[]){1, 1, 3, 3}, (int64_t[]){1, 1, 2, 2}, W9, NULL, &n);
    glc_node_set_string(G, n, "auto_pad", "SAME_LOWER");
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, got[9], want[9] = {1, 3, 5, 5, 12, 16, 11, 24, 28};
    run1(y, x, got);
    tu_assert_floats(got, want, 9);
}

static void test_nn__conv_asymmetric_pads_and_pads_beyond_the_kernel(void **state) {
    (void)state;
    glc_node_id n;
    float w[3] = {1, 10, 100};
    glc_value_id y = conv_node(3, (int64_t[]){1, 1, 4}, (int64_t[]){1, 1, 3}, w, NULL, &n);
    ints(n, "pads", 2, (int64_t[]){2, 0});
    float x[4] = {1, 2, 3, 4}, got[4], want[4] = {100, 210, 321, 432};
    run1(y, x, got);
    tu_assert_floats(got, want, 4);
}

static void test_nn__conv_window_wholly_in_padding_gives_the_bias(void **state) {
    (void)state;
    glc_node_id n;
    float w[1] = {1}, b[1] = {5};
    glc_value_id y = conv_node(3, (int64_t[]){1, 1, 2}, (int64_t[]){1, 1, 1}, w, b, &n);
    ints(n, "pads", 2, (int64_t[]){2, 1});
    float x[2] = {1, 2}, got[5], want[5] = {5, 5, 6, 7, 5};
    run1(y, x, got);
    tu_assert_floats(got, want, 5);
}

/* ---- BatchNormalization -------------------------------------------------------------- */

/* BN on x (rank, xd) with constant parameters p[4][...] of shape (pr, pd). */
static glc_node_id bn_node(int rank, const int64_t *xd, int pr, const int64_t *pd,
                           const float *const *p, glc_value_id *outs, int n_out) {
    glc_value_id in[5] = {tu_input(G, "x", GLC_DT_F32, rank, xd)};
    static const char *names[4] = {"scale", "B", "mean", "var"};
    for (int i = 0; i < 4; i++)
        in[i + 1] = glc_graph_add_const(G, names[i], GLC_DT_F32, pr, pd, p[i]);
    static const char *onames[3] = {"y", "running_mean", "running_var"};
    for (int k = 0; k < n_out; k++)
        outs[k] = outs[k] ? glc_graph_add_value(G, onames[k], GLC_DT_UNDEF, 0, NULL) : 0;
    glc_node_id n = glc_graph_add_node(G, GLC_OP_BATCHNORM, "bn", in, 5, outs, n_out);
    assert_int_not_equal(n, GLC_NO_NODE);
    return n;
}

static void test_nn__batchnorm_inference(void **state) {
    (void)state;
    float s[2] = {1, 2}, b[2] = {0, 1}, m[2] = {1, -1}, v[2] = {4, 0.25f};
    glc_value_id y = 1;
    glc_node_id n =
        bn_node(3, (int64_t[]){1, 2, 2}, 1, (int64_t[]){2}, (const float *[]){s, b, m, v}, &y, 1);
    glc_node_set_float(G, n, "epsilon", 0.0f);
    float x[4] = {3, 5, 0, 1}, got[4], want[4] = {1, 2, 5, 9};
    run1(y, x, got); /* (3-1)/2, (5-1)/2; 2*(0+1)/0.5+1, 2*(1+1)/0.5+1 */
    tu_assert_floats(got, want, 4);
}

static void test_nn__batchnorm_training_mode_uses_batch_statistics(void **state) {
    (void)state;
    G->opset = 15;
    float s[1] = {2}, b[1] = {1}, m[1] = {1}, v[1] = {3};
    glc_value_id outs[3] = {1, 1, 1};
    glc_node_id n =
        bn_node(3, (int64_t[]){2, 1, 2}, 1, (int64_t[]){1}, (const float *[]){s, b, m, v}, outs, 3);
    glc_node_set_int(G, n, "training_mode", 1);
    glc_node_set_float(G, n, "epsilon", 0.0f);
    glc_node_set_float(G, n, "momentum", 0.5f);
    infer_ok();
    tu_assert_shape(G, outs[1], GLC_DT_F32, 1, (int64_t[]){1});
    /* batch mean 2.5, variance 1.25: y = (x - 2.5) * 2 / sqrt(1.25) + 1 */
    float x[4] = {1, 2, 3, 4}, y[4], rm, rv;
    float want[4] = {-1.6832816f, 0.1055728f, 1.8944272f, 3.6832816f};
    run(outs, 3, x, (void *[]){y, &rm, &rv});
    tu_assert_floats(y, want, 4);
    tu_assert_floats(&rm, (float[]){1.75f}, 1);  /* 1 * 0.5 + 2.5 * 0.5 */
    tu_assert_floats(&rv, (float[]){2.125f}, 1); /* 3 * 0.5 + 1.25 * 0.5 */
}

static void test_nn__batchnorm_training_running_var_alone(void **state) {
    (void)state;
    G->opset = 14;
    float s[1] = {2}, b[1] = {1}, m[1] = {1}, v[1] = {3};
    glc_value_id outs[3] = {0, 0, 1};
    glc_node_id n =
        bn_node(3, (int64_t[]){2, 1, 2}, 1, (int64_t[]){1}, (const float *[]){s, b, m, v}, outs, 3);
    glc_node_set_int(G, n, "training_mode", 1);
    float x[4] = {1, 2, 3, 4}, rv; /* momentum 0.9: 3 * 0.9 + 1.25 * 0.1 */
    run(&outs[2], 1, x, (void *[]){&rv});
    tu_assert_floats(&rv, (float[]){2.825f}, 1);
}

static void test_nn__batchnorm_opset7_spatial_0_has_per_position_parameters(void **state) {
    (void)state;
    G->opset = 7;
    float s[4] = {1, 1, 2, 2}, b[4] = {0, 1, 0, 1}, m[4] = {1, 2, 3, 4}, v[4] = {1, 1, 1, 1};
    glc_value_id y = 1;
    glc_node_id n = bn_node(3, (int64_t[]){1, 2, 2}, 2, (int64_t[]){2, 2},
                            (const float *[]){s, b, m, v}, &y, 1);
    glc_node_set_int(G, n, "spatial", 0);
    glc_node_set_float(G, n, "epsilon", 0.0f);
    float x[4] = {2, 2, 2, 2}, got[4], want[4] = {1, 1, -2, -3};
    run1(y, x, got);
    tu_assert_floats(got, want, 4);
}

static void test_nn__batchnorm_rejects_parameters_of_the_wrong_shape(void **state) {
    (void)state;
    float p[3] = {0};
    glc_value_id y = 1;
    bn_node(4, (int64_t[]){1, 2, 3, 3}, 1, (int64_t[]){3}, (const float *[]){p, p, p, p}, &y, 1);
    infer_fails(GLC_E_SHAPE, "input 1 (scale) f32[3] must be (C) for input 0 f32[1,2,3,3]");
}

static void test_nn__batchnorm_running_stats_need_training_mode(void **state) {
    (void)state;
    G->opset = 15;
    float p[2] = {1, 1};
    glc_value_id outs[3] = {1, 1, 1};
    bn_node(3, (int64_t[]){1, 2, 3}, 1, (int64_t[]){2}, (const float *[]){p, p, p, p}, outs, 3);
    infer_fails(GLC_E_SHAPE, "only with training_mode = 1");
}

static void test_nn__batchnorm_training_outputs_before_opset14_unsupported(void **state) {
    (void)state;
    G->opset = 9;
    float p[2] = {1, 1};
    glc_value_id outs[3] = {1, 1, 0};
    bn_node(3, (int64_t[]){1, 2, 3}, 1, (int64_t[]){2}, (const float *[]){p, p, p, p}, outs, 2);
    infer_fails(GLC_E_UNSUPPORTED, "training outputs before opset 14");
}

/* ---- LeakyRelu, HardSigmoid, LogSoftmax ------------------------------------------------ */

static void test_nn__leakyrelu_default_alpha_and_nan(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, (int64_t[]){4});
    glc_value_id y = tu_node(G, GLC_OP_LEAKYRELU, "lr", &x, 1, NULL);
    float xv[4] = {-2, 0, 3, NAN}, got[4];
    run1(y, xv, got);
    tu_assert_floats(got, (float[]){-0.02f, 0, 3}, 3);
    assert_true(isnan(got[3]));
}

static void test_nn__hardsigmoid_defaults_and_attributes(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 1, (int64_t[]){5});
    glc_node_id n;
    glc_value_id y = tu_node(G, GLC_OP_HARDSIGMOID, "hs", &x, 1, &n);
    float xv[5] = {-3, -1, 0, 1, 3}, got[5];
    run1(y, xv, got); /* 0.2x + 0.5 clamped */
    tu_assert_floats(got, (float[]){0, 0.3f, 0.5f, 0.7f, 1}, 5);
    glc_node_set_float(G, n, "alpha", 0.5f);
    glc_node_set_float(G, n, "beta", 0.25f);
    const void *in[1] = {xv};
    void *out[1] = {got};
    assert_int_equal(glc_interp_run(G, in, out, &D), GLC_OK);
    tu_assert_floats(got, (float[]){0, 0, 0.25f, 0.75f, 1}, 5);
}

static void test_nn__logsoftmax_is_stable_for_large_inputs(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, 3});
    glc_value_id y = tu_node(G, GLC_OP_LOGSOFTMAX, "lsm", &x, 1, NULL);
    float xv[6] = {0, 1, 2, 10000, 10001, 10002}, got[6];
    run1(y, xv, got);
    float a = -2.4076059f, b = -1.4076059f, c = -0.4076059f; /* log(1 + e + e^2) = 2.4076059 */
    tu_assert_floats(got, (float[]){a, b, c, a, b, c}, 6);
}

static void test_nn__logsoftmax_axis_semantics_change_at_opset13(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 3, (int64_t[]){1, 2, 2});
    glc_node_id n;
    glc_value_id y = tu_node(G, GLC_OP_LOGSOFTMAX, "lsm", &x, 1, &n);
    glc_node_set_int(G, n, "axis", 1);
    float xv[4] = {0, 0, 1, 1}, got[4];
    run1(y, xv, got);                         /* opset 13: over axis 1 only, pairs (0, 1) */
    float p = -0.31326169f, q = -1.31326169f; /* log(1 / (1 + e^-1)), log(1 / (1 + e)) */
    tu_assert_floats(got, (float[]){q, q, p, p}, 4);
    G->opset = 11; /* legacy: flattened over the last 2 axes as one row of 4 */
    const void *in[1] = {xv};
    void *out[1] = {got};
    assert_int_equal(glc_interp_run(G, in, out, &D), GLC_OK);
    float r = -2.00640887f, s = -1.00640887f; /* log(1/(2 + 2e)), log(e/(2 + 2e)) */
    tu_assert_floats(got, (float[]){r, r, s, s}, 4);
}

static void test_nn__logsoftmax_rejects_out_of_range_axis(void **state) {
    (void)state;
    glc_value_id x = tu_input(G, "x", GLC_DT_F32, 2, (int64_t[]){2, 3});
    glc_node_id n;
    tu_node(G, GLC_OP_LOGSOFTMAX, "lsm", &x, 1, &n);
    glc_node_set_int(G, n, "axis", 2);
    infer_fails(GLC_E_SHAPE, "LogSoftmax: axis 2 out of range for input 0 f32[2,3]");
    G->opset = 11; /* axis == rank is allowed before 13 */
    infer_ok();
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_nn__conv_infers_strided_asymmetric_padded_shape),
        T(test_nn__conv_kernel_shape_is_optional_and_comes_from_w),
        T(test_nn__conv_same_lower_puts_the_odd_pad_first),
        T(test_nn__conv_geom_resolve_same_upper_puts_the_odd_pad_last),
        T(test_nn__conv_rejects_channels_that_do_not_match_group),
        T(test_nn__conv_rejects_out_channels_not_a_multiple_of_group),
        T(test_nn__conv_rejects_a_bias_of_the_wrong_length),
        T(test_nn__conv_rejects_kernel_shape_disagreeing_with_w),
        T(test_nn__conv_rejects_a_window_larger_than_the_padded_input),
        T(test_nn__conv_rejects_pads_with_auto_pad_and_unknown_auto_pad),
        T(test_nn__conv_rejects_inputs_without_spatial_axes_and_f64),
        T(test_nn__conv_symbolic_batch_and_width_give_output_expressions),
        T(test_nn__conv_symbolic_weights_take_kernel_shape_and_record_constraints),
        T(test_nn__conv_symbolic_kernel_without_kernel_shape_stays_symbolic),
        T(test_nn__conv_basic_with_padding),
        T(test_nn__conv_groups_and_channel_multiplier),
        T(test_nn__conv_dilated_2d),
        T(test_nn__conv_3d),
        T(test_nn__conv_same_lower_values),
        T(test_nn__conv_asymmetric_pads_and_pads_beyond_the_kernel),
        T(test_nn__conv_window_wholly_in_padding_gives_the_bias),
        T(test_nn__batchnorm_inference),
        T(test_nn__batchnorm_training_mode_uses_batch_statistics),
        T(test_nn__batchnorm_training_running_var_alone),
        T(test_nn__batchnorm_opset7_spatial_0_has_per_position_parameters),
        T(test_nn__batchnorm_rejects_parameters_of_the_wrong_shape),
        T(test_nn__batchnorm_symbolic_parameters_must_equal_the_channels),
        T(test_nn__batchnorm_running_stats_need_training_mode),
        T(test_nn__batchnorm_training_outputs_before_opset14_unsupported),
        T(test_nn__leakyrelu_default_alpha_and_nan),
        T(test_nn__hardsigmoid_defaults_and_attributes),
        T(test_nn__logsoftmax_is_stable_for_large_inputs),
        T(test_nn__logsoftmax_axis_semantics_change_at_opset13),
        T(test_nn__logsoftmax_rejects_out_of_range_axis),
    };
#undef T
    return cmocka_run_group_tests_name("nn", tests, NULL, NULL);
}
