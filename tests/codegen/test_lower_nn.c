/* test_lower_nn.c -- Conv, BatchNormalization, LeakyRelu, HardSigmoid and LogSoftmax
 * compiled to a shared object: against hand-computed values (groups, dilations, 3-D,
 * SAME_LOWER, asymmetric pads, windows wholly in the padding) and against the reference
 * interpreter on random data (both last-axis schemes of the direct path: segments for short
 * kernels, per-tap loops for long ones; and the matrix-product path: im2col blocks with and
 * without a remainder, 1-D blocks clipping taps, 3-D, groups unrolled and looped, the 1x1
 * path reading x directly, runtime weights), plus the compile-and-run time of a small 2-D
 * convolution. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

static glc_graph *G;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    G->opset = 17;
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cg_winograd = false;
    glc_graph_destroy(G);
    return 0;
}

/* Window attributes of a Conv; zero-length lists are left unset. */
typedef struct conv_attrs {
    int64_t strides[3], dilations[3], pads[6], group;
    bool has_strides, has_dilations, has_pads, kernel_shape;
    const char *auto_pad;
} conv_attrs;

/* Numbers a deterministic pattern of small floats, so big cases need no big literals. */
static void pattern(float *v, int64_t n, int mul, int mod, float scale) {
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((i * mul) % mod - mod / 2) * scale;
}

/* y = Conv(x, w[, b]) with x a graph input; w and b constants (or, when w is NULL, graph
 * inputs too). Returns the node. */
static glc_node_id conv(int rank, const int64_t *xd, const int64_t *wd, const float *w,
                        const float *b, bool b_input, const conv_attrs *a) {
    int k = rank - 2;
    glc_value_id in[3] = {cg_in(G, "x", GLC_DT_F32, rank, xd)};
    in[1] = w ? glc_graph_add_const(G, "w", GLC_DT_F32, rank, wd, w)
              : cg_in(G, "w", GLC_DT_F32, rank, wd);
    if (b) in[2] = glc_graph_add_const(G, "b", GLC_DT_F32, 1, wd, b);
    if (b_input) in[2] = cg_in(G, "b", GLC_DT_F32, 1, wd);
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, GLC_OP_CONV, "conv", in, b || b_input ? 3 : 2, &n));
    if (a->group) glc_node_set_int(G, n, "group", a->group);
    if (a->has_strides) glc_node_set_ints(G, n, "strides", a->strides, (uint32_t)k);
    if (a->has_dilations) glc_node_set_ints(G, n, "dilations", a->dilations, (uint32_t)k);
    if (a->has_pads) glc_node_set_ints(G, n, "pads", a->pads, (uint32_t)(2 * k));
    if (a->auto_pad) glc_node_set_string(G, n, "auto_pad", a->auto_pad);
    if (a->kernel_shape) glc_node_set_ints(G, n, "kernel_shape", wd + 2, (uint32_t)k);
    return n;
}

/* Compiles, runs on the single input x and compares output 0 with want exactly (the
 * cases use small integers, exact in any summation order) and with the interpreter. */
static void check_values(const float *x, const float *want, const char *file) {
    assert_int_equal(G->n_outputs, 1);
    void *got, *ref;
    cg_run_both(G, file, (const void *[]){x}, &got, &ref);
    const glc_value *v = &G->values[G->outputs[0]];
    size_t nb = glc_value_nbytes(v);
    cg_compare(v, got, want); /* names the first difference */
    if (memcmp(got, want, nb)) fail_msg("compiled output differs from the expected values");
    if (memcmp(ref, want, nb)) fail_msg("interpreter differs from the expected values");
    free(got);
    free(ref);
}

/* ---- Conv, hand-computed ------------------------------------------------------------ */

static const float ONES[27] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

static void iota(float *v, int n) {
    for (int i = 0; i < n; i++)
        v[i] = (float)i;
}

static void test_lower_nn__conv_basic_with_padding(void **state) {
    (void)state;
    conv_attrs a = {.pads = {1, 1, 1, 1}, .has_pads = true, .kernel_shape = true};
    conv(4, (int64_t[]){1, 1, 5, 5}, (int64_t[]){1, 1, 3, 3}, ONES, NULL, false, &a);
    float x[25], y[25] = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                          117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    iota(x, 25);
    check_values(x, y, "conv_basic.so");
}

static void test_lower_nn__conv_groups_with_channel_multiplier_and_bias(void **state) {
    (void)state;
    conv_attrs a = {.group = 2}; /* m0, m1 read channel 0; m2, m3 channel 1 */
    float w[4] = {1, 2, 3, 4}, b[4] = {0, 0.5f, 0, -1};
    conv(3, (int64_t[]){1, 2, 2}, (int64_t[]){4, 1, 1}, w, b, false, &a);
    float x[4] = {1, 2, 3, 4}, y[8] = {1, 2, 2.5f, 4.5f, 9, 12, 11, 15};
    check_values(x, y, "conv_groups.so");
}

static void test_lower_nn__conv_depthwise_2d(void **state) {
    (void)state;
    conv_attrs a = {.group = 2, .pads = {0, 1, 0, 1}, .has_pads = true};
    float w[8] = {1, 1, 1, 1, 1, -1, 0, 0}; /* ch0: 2x2 box sum; ch1: x[i,j] - x[i,j+1] */
    conv(4, (int64_t[]){1, 2, 2, 3}, (int64_t[]){2, 1, 2, 2}, w, NULL, false, &a);
    float x[12] = {1, 2, 3, 4, 5, 6, 0, 1, 3, 6, 10, 15};
    /* ch0 padded cols: [0 1 2 3 0; 0 4 5 6 0] -> 5 12 16 9; ch1: [0 0 1 3 0] -> 0 -1 -2 3 */
    float y[8] = {5, 12, 16, 9, 0, -1, -2, 3};
    check_values(x, y, "conv_depthwise.so");
}

static void test_lower_nn__conv_dilated_2d(void **state) {
    (void)state;
    conv_attrs a = {.dilations = {2, 2}, .has_dilations = true};
    float w[4] = {1, 2, 3, 4};
    conv(4, (int64_t[]){1, 1, 5, 5}, (int64_t[]){1, 1, 2, 2}, w, NULL, false, &a);
    float x[25], y[9] = {82, 92, 102, 132, 142, 152, 182, 192, 202}; /* 50i + 10j + 82 */
    iota(x, 25);
    check_values(x, y, "conv_dilated.so");
}

static void test_lower_nn__conv_3d(void **state) {
    (void)state;
    conv_attrs a = {0};
    conv(5, (int64_t[]){1, 1, 2, 3, 3}, (int64_t[]){1, 1, 2, 2, 2}, ONES, NULL, false, &a);
    float x[18], y[4] = {52, 60, 76, 84};
    iota(x, 18);
    check_values(x, y, "conv_3d.so");
}

static void test_lower_nn__conv_same_lower_puts_the_odd_pad_first(void **state) {
    (void)state;
    conv_attrs a = {.auto_pad = "SAME_LOWER"};
    conv(4, (int64_t[]){1, 1, 3, 3}, (int64_t[]){1, 1, 2, 2}, ONES, NULL, false, &a);
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[9] = {1, 3, 5, 5, 12, 16, 11, 24, 28};
    check_values(x, y, "conv_same_lower.so");
}

static void test_lower_nn__conv_same_lower_strided_onnx_example(void **state) {
    (void)state;
    conv_attrs a = {.auto_pad = "SAME_LOWER", .strides = {2, 2}, .has_strides = true};
    conv(4, (int64_t[]){1, 1, 5, 5}, (int64_t[]){1, 1, 3, 3}, ONES, NULL, false, &a);
    float x[25], y[9] = {12, 27, 24, 63, 108, 81, 72, 117, 84};
    iota(x, 25);
    check_values(x, y, "conv_same_lower_s2.so");
}

static void test_lower_nn__conv_asymmetric_pads(void **state) {
    (void)state;
    conv_attrs a = {.pads = {2, 0}, .has_pads = true};
    float w[3] = {1, 10, 100};
    conv(3, (int64_t[]){1, 1, 4}, (int64_t[]){1, 1, 3}, w, NULL, false, &a);
    float x[4] = {1, 2, 3, 4}, y[4] = {100, 210, 321, 432};
    check_values(x, y, "conv_asym.so");
}

static void test_lower_nn__conv_strided_asymmetric_pads_2d(void **state) {
    (void)state;
    conv_attrs a = {.pads = {1, 0, 1, 0}, .has_pads = true, .strides = {2, 2}, .has_strides = true};
    conv(4, (int64_t[]){1, 1, 7, 5}, (int64_t[]){1, 1, 3, 3}, ONES, NULL, false, &a);
    float x[35], y[8] = {21, 33, 99, 117, 189, 207, 171, 183};
    iota(x, 35);
    check_values(x, y, "conv_asym_2d.so");
}

static void test_lower_nn__conv_window_wholly_in_padding_gives_the_bias(void **state) {
    (void)state;
    conv_attrs a = {.pads = {1, 2, 3, 1}, .has_pads = true};
    float w[1] = {1}, b[1] = {5};
    conv(4, (int64_t[]){1, 1, 1, 2}, (int64_t[]){1, 1, 1, 1}, w, b, false, &a);
    float x[2] = {1, 2}; /* out (1+1+3, 2+2+1) = (5, 5); only row 1, cols 2..3 read x */
    float y[25];
    for (int i = 0; i < 25; i++)
        y[i] = 5;
    y[7] = 6;
    y[8] = 7;
    check_values(x, y, "conv_all_pad.so");
}

/* ---- Conv, random data against the interpreter ---------------------------------------- */

static float *weights(int64_t n, int mul) {
    float *w = malloc((size_t)n * sizeof *w);
    pattern(w, n, mul, 13, 0.125f);
    return w;
}

static void conv_random(int rank, const int64_t *xd, const int64_t *wd, bool bias,
                        const conv_attrs *a, const char *file) {
    int64_t nw = 1;
    for (int i = 0; i < rank; i++)
        nw *= wd[i];
    float *w = weights(nw, 7), *b = bias ? weights(wd[0], 5) : NULL;
    conv(rank, xd, wd, w, b, false, a);
    free(w);
    free(b);
    cg_check_vs_interp_tol(G, file, 1e-5); /* sums of up to 1728 products: norm-wise */
}

static void test_lower_nn__conv_depthwise_strided_vs_interp(void **state) {
    (void)state;
    conv_attrs a = {
        .group = 6, .pads = {1, 2, 1, 0}, .has_pads = true, .strides = {1, 2}, .has_strides = true};
    conv_random(4, (int64_t[]){2, 6, 9, 11}, (int64_t[]){6, 1, 3, 3}, true, &a, "dw.so");
}

/* Direct convolutions of a million multiply-adds or more run as tasks over (sample,
 * output channel, row of axis 0): a Conv3D of one output channel, like W2's head (2 x 3600
 * outputs x 16 x 27 = 3.1M), and a strided depthwise 2-D one with a channel multiplier (3 x
 * 96 x 70 x 45 outputs x 9 = 8.2M), checked against the interpreter and across thread
 * counts. */
static void test_lower_nn__conv_direct_split_into_tasks(void **state) {
    (void)state;
    conv_attrs a3 = {.pads = {1, 1, 1, 1, 1, 1}, .has_pads = true};
    conv_random(5, (int64_t[]){2, 16, 9, 20, 20}, (int64_t[]){1, 16, 3, 3, 3}, true, &a3,
                "dsplit3.so");
    teardown(state), setup(state);
    conv_attrs a2 = {.group = 48, .pads = {1, 1, 1, 1}, .has_pads = true, .strides = {1, 2},
                     .has_strides = true};
    conv_random(4, (int64_t[]){3, 48, 70, 90}, (int64_t[]){96, 1, 3, 3}, false, &a2,
                "dsplit2.so");
}

static void test_lower_nn__conv_grouped_dilated_asymmetric_vs_interp(void **state) {
    (void)state;
    conv_attrs a = {.group = 2,
                    .pads = {2, 0, 1, 3},
                    .has_pads = true,
                    .strides = {2, 1},
                    .has_strides = true,
                    .dilations = {2, 3},
                    .has_dilations = true};
    conv_random(4, (int64_t[]){1, 4, 13, 17}, (int64_t[]){6, 2, 3, 2}, true, &a, "grp.so");
}

static void test_lower_nn__conv_3d_strided_vs_interp(void **state) {
    (void)state;
    conv_attrs a = {
        .pads = {1, 0, 1, 0, 1, 2}, .has_pads = true, .strides = {1, 2, 1}, .has_strides = true};
    conv_random(5, (int64_t[]){1, 3, 5, 6, 7}, (int64_t[]){4, 3, 2, 3, 3}, true, &a, "c3d.so");
}

static void test_lower_nn__conv_3d_same_upper_vs_interp(void **state) {
    (void)state;
    conv_attrs a = {.auto_pad = "SAME_UPPER", .strides = {2, 1, 2}, .has_strides = true};
    conv_random(5, (int64_t[]){2, 2, 3, 5, 7}, (int64_t[]){3, 2, 2, 3, 4}, false, &a,
                "c3d_same.so");
}

static void test_lower_nn__conv_1d_same_lower_dilated_strided_vs_interp(void **state) {
    (void)state;
    conv_attrs a = {.auto_pad = "SAME_LOWER",
                    .strides = {3},
                    .has_strides = true,
                    .dilations = {2},
                    .has_dilations = true};
    conv_random(3, (int64_t[]){2, 3, 20}, (int64_t[]){5, 3, 4}, true, &a, "c1d.so");
}

static void test_lower_nn__conv_long_last_axis_kernel_uses_tap_loops_vs_interp(void **state) {
    (void)state; /* k_L = 11 > MAX_TAP_UNROLL: per-tap ow loops with table bounds */
    conv_attrs a = {.pads = {0, 4, 1, 6},
                    .has_pads = true,
                    .strides = {1, 2},
                    .has_strides = true,
                    .dilations = {2, 1},
                    .has_dilations = true};
    conv_random(4, (int64_t[]){2, 2, 5, 30}, (int64_t[]){3, 2, 2, 11}, true, &a, "long.so");
}

static void test_lower_nn__conv_valid_with_runtime_weights_and_bias(void **state) {
    (void)state;
    conv_attrs a = {.auto_pad = "VALID", .strides = {1, 2}, .has_strides = true};
    conv(4, (int64_t[]){2, 3, 6, 9}, (int64_t[]){5, 3, 2, 3}, NULL, NULL, true, &a);
    cg_check_vs_interp(G, "valid_rt.so");
}

static void test_lower_nn__conv_3x32x32_16_filters_vs_interp(void **state) {
    (void)state; /* speed is measured by bench/, not here */
    conv_attrs a = {.pads = {1, 1, 1, 1}, .has_pads = true};
    conv_random(4, (int64_t[]){1, 3, 32, 32}, (int64_t[]){16, 3, 3, 3}, true, &a, "perf.so");
}

/* ---- Winograd F(4x4, 3x3) and F(2x2, 5x5) (--winograd), against the interpreter ------- */

static void test_lower_nn__winograd_3x3_edge_tiles_bias_two_samples(void **state) {
    (void)state; /* 13 x 11 outputs: partial 4x4 tiles on both axes; M = 20 */
    cg_winograd = true;
    conv_attrs a = {.pads = {1, 1, 1, 1}, .has_pads = true};
    conv_random(4, (int64_t[]){2, 16, 13, 11}, (int64_t[]){20, 16, 3, 3}, true, &a, "wg3.so");
}

static void test_lower_nn__winograd_5x5_same_no_bias(void **state) {
    (void)state; /* 9 x 7: odd sizes against 2x2 tiles */
    cg_winograd = true;
    conv_attrs a = {.auto_pad = "SAME_UPPER"};
    conv_random(4, (int64_t[]){1, 8, 9, 7}, (int64_t[]){16, 8, 5, 5}, false, &a, "wg5.so");
}

static void test_lower_nn__winograd_valid_and_asymmetric_pads(void **state) {
    (void)state;
    cg_winograd = true;
    conv_attrs v = {.auto_pad = "VALID"};
    conv_random(4, (int64_t[]){1, 12, 10, 14}, (int64_t[]){24, 12, 3, 3}, true, &v, "wgv.so");
    teardown(state), setup(state);
    cg_winograd = true;
    conv_attrs a = {.pads = {2, 0, 1, 3}, .has_pads = true};
    conv_random(4, (int64_t[]){2, 9, 8, 6}, (int64_t[]){17, 9, 5, 5}, true, &a, "wga.so");
}

static void test_lower_nn__winograd_blocks_of_tile_rows(void **state) {
    (void)state; /* 50 x 50 tiles of 3.4 KB: two blocks of 25 tile rows within 8 MiB */
    cg_winograd = true;
    conv_attrs a = {.pads = {2, 2, 2, 2}, .has_pads = true};
    conv_random(4, (int64_t[]){1, 8, 100, 100}, (int64_t[]){16, 8, 5, 5}, true, &a, "wgb.so");
}

static void test_lower_nn__winograd_flag_leaves_other_convolutions_alone(void **state) {
    (void)state; /* strided, grouped and runtime-weight convolutions take the usual paths */
    cg_winograd = true;
    conv_attrs s = {.pads = {1, 1, 1, 1}, .has_pads = true, .strides = {2, 2}, .has_strides = true};
    conv_random(4, (int64_t[]){1, 16, 12, 12}, (int64_t[]){16, 16, 3, 3}, true, &s, "wgs.so");
    teardown(state), setup(state);
    cg_winograd = true;
    conv_attrs a = {.pads = {1, 1, 1, 1}, .has_pads = true};
    conv(4, (int64_t[]){1, 16, 8, 8}, (int64_t[]){16, 16, 3, 3}, NULL, NULL, false, &a);
    cg_check_vs_interp_tol(G, "wgr.so", 1e-5);
}

/* ---- Conv as matrix products (>= 4 output channels per group), against the interpreter --- */

static void test_lower_nn__gemm_conv_im2col_blocks_with_a_remainder(void **state) {
    (void)state; /* kc 1600 x 40 outputs a row: 16 rows a 4 MiB block; 37 rows = 2 x 16 + 5 */
    conv_attrs a = {.pads = {2, 2, 2, 2}, .has_pads = true};
    conv_random(4, (int64_t[]){1, 64, 37, 40}, (int64_t[]){8, 64, 5, 5}, true, &a, "g_rem.so");
}

static void test_lower_nn__gemm_conv_im2col_blocks_dividing_the_rows(void **state) {
    (void)state; /* 16 rows fit, 40 rows: blocks of 10, no remainder; two samples */
    conv_attrs a = {.pads = {2, 1, 2, 3}, .has_pads = true};
    conv_random(4, (int64_t[]){2, 64, 40, 40}, (int64_t[]){4, 64, 5, 5}, false, &a, "g_div.so");
}

static void test_lower_nn__gemm_conv_1d_blocks_clip_taps_to_the_block(void **state) {
    (void)state; /* 1-D: the blocked axis is the last; 1103 outputs = 819 + 284 */
    conv_attrs a = {.pads = {3, 1}, .has_pads = true, .dilations = {2}, .has_dilations = true};
    conv_random(3, (int64_t[]){2, 256, 1107}, (int64_t[]){6, 256, 5}, true, &a, "g_1d.so");
}

static void test_lower_nn__gemm_conv_3d_blocked_strided_dilated(void **state) {
    (void)state; /* kc 1728 x 110 outputs a row: blocks of 3 of the 9 rows of axis 0 */
    conv_attrs a = {.pads = {1, 1, 1, 1, 1, 1}, .has_pads = true};
    conv_random(5, (int64_t[]){1, 64, 9, 10, 11}, (int64_t[]){4, 64, 3, 3, 3}, true, &a, "g_3d.so");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 17;
    conv_attrs b = {.pads = {0, 2, 1, 1, 0, 2},
                    .has_pads = true,
                    .strides = {2, 1, 3},
                    .has_strides = true,
                    .dilations = {1, 2, 2},
                    .has_dilations = true};
    conv_random(5, (int64_t[]){2, 3, 7, 8, 12}, (int64_t[]){5, 3, 2, 3, 3}, true, &b, "g_3ds.so");
}

static void test_lower_nn__gemm_conv_2d_stride_dilation_asymmetric_pads(void **state) {
    (void)state;
    conv_attrs a = {.pads = {0, 3, 2, 1},
                    .has_pads = true,
                    .strides = {2, 3},
                    .has_strides = true,
                    .dilations = {3, 2},
                    .has_dilations = true};
    conv_random(4, (int64_t[]){3, 5, 17, 19}, (int64_t[]){6, 5, 3, 4}, true, &a, "g_sdp.so");
}

static void test_lower_nn__gemm_conv_groups_unrolled_and_looped(void **state) {
    (void)state; /* 2 groups of 4 (one product each); 10 groups of 4 (a runtime loop) */
    conv_attrs a = {.group = 2, .pads = {1, 1, 1, 1}, .has_pads = true};
    conv_random(4, (int64_t[]){2, 6, 8, 9}, (int64_t[]){8, 3, 3, 3}, true, &a, "g_grp2.so");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 17;
    conv_attrs b = {.group = 10, .strides = {2, 1}, .has_strides = true};
    conv_random(4, (int64_t[]){1, 20, 9, 7}, (int64_t[]){40, 2, 2, 3}, true, &b, "g_grp10.so");
}

static void test_lower_nn__gemm_conv_1x1_reads_x_directly(void **state) {
    (void)state; /* 1x1, stride 1, no pads: x is B; with groups; strided 1x1 takes im2col */
    conv_attrs a = {0};
    conv_random(4, (int64_t[]){2, 16, 7, 9}, (int64_t[]){8, 16, 1, 1}, true, &a, "g_1x1.so");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 17;
    conv_attrs b = {.group = 2};
    conv_random(5, (int64_t[]){2, 6, 3, 4, 5}, (int64_t[]){8, 3, 1, 1, 1}, false, &b, "g_1x1g.so");
    glc_graph_destroy(G);
    G = glc_graph_create();
    G->opset = 17;
    conv_attrs d = {.strides = {2, 2}, .has_strides = true};
    conv_random(4, (int64_t[]){1, 5, 7, 8}, (int64_t[]){4, 5, 1, 1}, true, &d, "g_1x1s.so");
}

static void test_lower_nn__gemm_conv_runtime_weights_with_groups(void **state) {
    (void)state;
    conv_attrs a = {.group = 2, .pads = {1, 0, 0, 1}, .has_pads = true};
    conv(4, (int64_t[]){2, 4, 6, 7}, (int64_t[]){8, 2, 2, 3}, NULL, NULL, true, &a);
    cg_check_vs_interp(G, "g_rt.so");
}

static void test_lower_nn__gemm_conv_hand_computed_exact(void **state) {
    (void)state; /* 4 identical all-ones 3x3 filters over iota: the basic case, 4 times */
    conv_attrs a = {.pads = {1, 1, 1, 1}, .has_pads = true};
    float w[36];
    for (int i = 0; i < 36; i++)
        w[i] = 1;
    conv(4, (int64_t[]){1, 1, 5, 5}, (int64_t[]){4, 1, 3, 3}, w, NULL, false, &a);
    float x[25], y1[25] = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                           117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    float y[100];
    for (int m = 0; m < 4; m++)
        memcpy(y + 25 * m, y1, sizeof y1);
    iota(x, 25);
    check_values(x, y, "g_hand.so");
}

/* ---- BatchNormalization -------------------------------------------------------------- */

/* BN of x (rank, xd) with constant parameters of shape (pr, pd); outputs flagged in want. */
static glc_node_id batchnorm(int rank, const int64_t *xd, int pr, const int64_t *pd,
                             const bool *want, int n_out) {
    int64_t np = 1;
    for (int i = 0; i < pr; i++)
        np *= pd[i];
    glc_value_id in[5] = {cg_in(G, "x", GLC_DT_F32, rank, xd)}, out[3] = {0, 0, 0};
    static const char *names[4] = {"scale", "B", "mean", "var"};
    static const char *onames[3] = {"y", "running_mean", "running_var"};
    float *p = malloc((size_t)np * sizeof *p);
    for (int i = 0; i < 4; i++) {
        pattern(p, np, 3 + 2 * i, 11, 0.25f);
        for (int64_t k = 0; i == 3 && k < np; k++)
            p[k] = p[k] * p[k] + 0.5f; /* var > 0 */
        in[i + 1] = glc_graph_add_const(G, names[i], GLC_DT_F32, pr, pd, p);
    }
    free(p);
    for (int k = 0; k < n_out; k++)
        out[k] = want[k] ? glc_graph_add_value(G, onames[k], GLC_DT_UNDEF, 0, NULL) : 0;
    glc_node_id n = glc_graph_add_node(G, GLC_OP_BATCHNORM, "bn", in, 5, out, n_out);
    for (int k = 0; k < n_out; k++)
        if (out[k]) glc_graph_add_output(G, out[k]);
    return n;
}

static void test_lower_nn__batchnorm_inference_vs_interp(void **state) {
    (void)state;
    glc_node_id n = batchnorm(4, (int64_t[]){2, 5, 3, 7}, 1, (int64_t[]){5}, (bool[]){1}, 1);
    glc_node_set_float(G, n, "epsilon", 1e-3f);
    cg_check_vs_interp(G, "bn_inf.so");
}

static void test_lower_nn__batchnorm_training_mode_vs_interp(void **state) {
    (void)state;
    glc_node_id n = batchnorm(4, (int64_t[]){3, 4, 5, 6}, 1, (int64_t[]){4}, (bool[]){1, 1, 1}, 3);
    glc_node_set_int(G, n, "training_mode", 1);
    glc_node_set_float(G, n, "momentum", 0.7f);
    cg_check_vs_interp(G, "bn_train.so");
}

static void test_lower_nn__batchnorm_training_running_mean_alone(void **state) {
    (void)state;
    glc_node_id n = batchnorm(3, (int64_t[]){2, 3, 8}, 1, (int64_t[]){3}, (bool[]){0, 1, 0}, 3);
    glc_node_set_int(G, n, "training_mode", 1);
    cg_check_vs_interp(G, "bn_rmean.so");
}

static void test_lower_nn__batchnorm_opset7_spatial_0_vs_interp(void **state) {
    (void)state;
    G->opset = 7;
    glc_node_id n = batchnorm(4, (int64_t[]){2, 3, 2, 4}, 3, (int64_t[]){3, 2, 4}, (bool[]){1}, 1);
    glc_node_set_int(G, n, "spatial", 0);
    cg_check_vs_interp(G, "bn_sp0.so");
}

/* ---- LeakyRelu, HardSigmoid, LogSoftmax ------------------------------------------------ */

static glc_node_id unary(glc_op op, int rank, const int64_t *dims) {
    glc_value_id x = cg_in(G, "x", GLC_DT_F32, rank, dims);
    glc_node_id n;
    glc_graph_add_output(G, cg_node(G, op, "u", &x, 1, &n));
    return n;
}

static void test_lower_nn__leakyrelu_vs_interp(void **state) {
    (void)state;
    glc_node_id n = unary(GLC_OP_LEAKYRELU, 2, (int64_t[]){7, 19});
    glc_node_set_float(G, n, "alpha", 0.3f);
    cg_check_vs_interp(G, "leaky.so");
}

static void test_lower_nn__hardsigmoid_clamps_vs_interp(void **state) {
    (void)state;
    glc_node_id n = unary(GLC_OP_HARDSIGMOID, 3, (int64_t[]){3, 4, 9});
    glc_node_set_float(G, n, "alpha", 0.4f); /* inputs in [-2, 2] reach both clamps */
    glc_node_set_float(G, n, "beta", 0.6f);
    cg_check_vs_interp(G, "hsig.so");
}

static void test_lower_nn__logsoftmax_axes_vs_interp(void **state) {
    (void)state;
    static const int64_t axes[4] = {0, 1, -1, 2};
    for (int i = 0; i < 4; i++) {
        teardown(NULL);
        setup(NULL);
        glc_node_id n = unary(GLC_OP_LOGSOFTMAX, 3, (int64_t[]){3, 4, 5});
        glc_node_set_int(G, n, "axis", axes[i]);
        char file[32];
        snprintf(file, sizeof file, "lsm%d.so", i);
        cg_check_vs_interp(G, file);
    }
}

static void test_lower_nn__logsoftmax_legacy_flattens_trailing_axes(void **state) {
    (void)state;
    G->opset = 11;
    glc_node_id n = unary(GLC_OP_LOGSOFTMAX, 4, (int64_t[]){2, 3, 4, 5});
    glc_node_set_int(G, n, "axis", 1);
    cg_check_vs_interp(G, "lsm_legacy.so");
}

static void test_lower_nn__logsoftmax_large_numbers(void **state) {
    (void)state;
    unary(GLC_OP_LOGSOFTMAX, 2, (int64_t[]){2, 3});
    glc_rt_model *m = cg_compile(G, "lsm_big.so");
    float x[6] = {0, 1, 2, 10000, 10001, 10002}, y[6];
    const void *in[1] = {x};
    void *out[1] = {y};
    const glc_model_desc *mi = glc_rt_model_desc(m);
    void *ws = mi->workspace_size ? aligned_alloc(64, (mi->workspace_size + 63) / 64 * 64) : NULL;
    assert_int_equal(glc_rt_model_run(m, in, NULL, out, ws, mi->workspace_size), GLC_RT_OK);
    free(ws);
    float a = -2.40760596f; /* -log(1 + e + e^2) */
    float want[6] = {a, a + 1, a + 2, a, a + 1, a + 2};
    for (int i = 0; i < 6; i++)
        assert_true(fabsf(y[i] - want[i]) <= 1e-6f);
    glc_rt_model_close(m);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_lower_nn__conv_basic_with_padding),
        T(test_lower_nn__conv_groups_with_channel_multiplier_and_bias),
        T(test_lower_nn__conv_depthwise_2d),
        T(test_lower_nn__conv_dilated_2d),
        T(test_lower_nn__conv_3d),
        T(test_lower_nn__conv_same_lower_puts_the_odd_pad_first),
        T(test_lower_nn__conv_same_lower_strided_onnx_example),
        T(test_lower_nn__conv_asymmetric_pads),
        T(test_lower_nn__conv_strided_asymmetric_pads_2d),
        T(test_lower_nn__conv_window_wholly_in_padding_gives_the_bias),
        T(test_lower_nn__conv_depthwise_strided_vs_interp),
        T(test_lower_nn__conv_direct_split_into_tasks),
        T(test_lower_nn__conv_grouped_dilated_asymmetric_vs_interp),
        T(test_lower_nn__conv_3d_strided_vs_interp),
        T(test_lower_nn__conv_3d_same_upper_vs_interp),
        T(test_lower_nn__conv_1d_same_lower_dilated_strided_vs_interp),
        T(test_lower_nn__conv_long_last_axis_kernel_uses_tap_loops_vs_interp),
        T(test_lower_nn__conv_valid_with_runtime_weights_and_bias),
        T(test_lower_nn__conv_3x32x32_16_filters_vs_interp),
        T(test_lower_nn__winograd_3x3_edge_tiles_bias_two_samples),
        T(test_lower_nn__winograd_5x5_same_no_bias),
        T(test_lower_nn__winograd_valid_and_asymmetric_pads),
        T(test_lower_nn__winograd_blocks_of_tile_rows),
        T(test_lower_nn__winograd_flag_leaves_other_convolutions_alone),
        T(test_lower_nn__gemm_conv_im2col_blocks_with_a_remainder),
        T(test_lower_nn__gemm_conv_im2col_blocks_dividing_the_rows),
        T(test_lower_nn__gemm_conv_1d_blocks_clip_taps_to_the_block),
        T(test_lower_nn__gemm_conv_3d_blocked_strided_dilated),
        T(test_lower_nn__gemm_conv_2d_stride_dilation_asymmetric_pads),
        T(test_lower_nn__gemm_conv_groups_unrolled_and_looped),
        T(test_lower_nn__gemm_conv_1x1_reads_x_directly),
        T(test_lower_nn__gemm_conv_runtime_weights_with_groups),
        T(test_lower_nn__gemm_conv_hand_computed_exact),
        T(test_lower_nn__batchnorm_inference_vs_interp),
        T(test_lower_nn__batchnorm_training_mode_vs_interp),
        T(test_lower_nn__batchnorm_training_running_mean_alone),
        T(test_lower_nn__batchnorm_opset7_spatial_0_vs_interp),
        T(test_lower_nn__leakyrelu_vs_interp),
        T(test_lower_nn__hardsigmoid_clamps_vs_interp),
        T(test_lower_nn__logsoftmax_axes_vs_interp),
        T(test_lower_nn__logsoftmax_legacy_flattens_trailing_axes),
        T(test_lower_nn__logsoftmax_large_numbers),
    };
#undef T
    return cmocka_run_group_tests_name("lower_nn", tests, cg_group_setup, cg_group_teardown);
}
