/* test_lower_nn_sym.c -- the nn family (Conv, BatchNormalization, LeakyRelu, HardSigmoid,
 * LogSoftmax) on symbolic dims: each graph compiled once with symbols for batch, spatial
 * sizes (and, where the ONNX node tests feed them, weight and parameter dims), then run at
 * several sizes against the reference interpreter on the graph made static for them
 * (cg_test_util.h's cg_check_sym_vs_interp). */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

static void pattern(float *v, int64_t n, int mul, int mod, float scale) {
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((i * mul) % mod - mod / 2) * scale;
}

/* ---- BatchNormalization, LeakyRelu, HardSigmoid, LogSoftmax ---------------------------- */

/* BatchNormalization of x (N, C, W) with N and W symbols; C static with constant
 * parameters, or (param_inputs) a symbol C with the four parameters graph inputs of a
 * symbol P of their own (as the node tests in --dynamic mode). */
typedef struct bn_case {
    bool training, param_inputs;
} bn_case;

static void build_bn(glc_graph *g, const void *ctx) {
    const bn_case *k = ctx;
    glc_dim N = glc_dim_symbol(g, "N"), W = glc_dim_symbol(g, "W");
    glc_dim C = k->param_inputs ? glc_dim_symbol(g, "C") : 3, P = glc_dim_symbol(g, "P");
    glc_value_id in[5] = {cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){N, C, W})}, out[3] = {0};
    static const char *names[4] = {"scale", "B", "mean", "var"};
    static const char *onames[3] = {"y", "running_mean", "running_var"};
    float p[3];
    for (int i = 0; i < 4; i++) {
        pattern(p, 3, 3 + 2 * i, 11, 0.25f);
        for (int j = 0; i == 3 && j < 3; j++)
            p[j] = p[j] * p[j] + 0.5f; /* var > 0 */
        in[i + 1] = k->param_inputs
                        ? cg_in(g, names[i], GLC_DT_F32, 1, (int64_t[]){P})
                        : glc_graph_add_const(g, names[i], GLC_DT_F32, 1, (int64_t[]){3}, p);
    }
    int n_out = k->training ? 3 : 1;
    for (int j = 0; j < n_out; j++)
        out[j] = glc_graph_add_value(g, onames[j], GLC_DT_UNDEF, 0, NULL);
    glc_node_id n = glc_graph_add_node(g, GLC_OP_BATCHNORM, "bn", in, 5, out, n_out);
    if (k->training) glc_node_set_int(g, n, "training_mode", 1);
    for (int j = 0; j < n_out; j++)
        glc_graph_add_output(g, out[j]);
}

static void test_lower_nn_sym__batchnorm_symbolic_batch_and_width(void **state) {
    (void)state;
    cg_sym_dims runs[3] = {{{{1, 3, 5}}}, {{{4, 3, 17}}}, {{{2, 3, 1}}}};
    bn_case k = {.training = false};
    cg_check_sym_vs_interp(build_bn, &k, "bn_sym.so", runs, 3, 0);
}

static void test_lower_nn_sym__batchnorm_training_mode_counts_at_run_time(void **state) {
    (void)state;
    cg_sym_dims runs[2] = {{{{3, 3, 4}}}, {{{1, 3, 9}}}};
    bn_case k = {.training = true};
    cg_check_sym_vs_interp(build_bn, &k, "bn_sym_train.so", runs, 2, 0);
}

static void test_lower_nn_sym__batchnorm_symbolic_channels_and_parameters(void **state) {
    (void)state;
    cg_sym_dims runs[2] = {{{{2, 4, 3}, {4}, {4}, {4}, {4}}}, {{{1, 7, 2}, {7}, {7}, {7}, {7}}}};
    bn_case k = {.param_inputs = true};
    cg_check_sym_vs_interp(build_bn, &k, "bn_sym_params.so", runs, 2, 0);
}

/* op on x (A, 5, B) with A and B symbols; axis for LogSoftmax (opset 17, or 11: legacy). */
typedef struct unary_case {
    glc_op op;
    int64_t axis;
    int64_t opset;
} unary_case;

static void build_unary(glc_graph *g, const void *ctx) {
    const unary_case *k = ctx;
    if (k->opset) g->opset = k->opset;
    glc_dim A = glc_dim_symbol(g, "A"), B = glc_dim_symbol(g, "B");
    glc_value_id x = cg_in(g, "x", GLC_DT_F32, 3, (int64_t[]){A, 5, B});
    glc_node_id n;
    glc_graph_add_output(g, cg_node(g, k->op, "u", &x, 1, &n));
    if (k->op == GLC_OP_LOGSOFTMAX) glc_node_set_int(g, n, "axis", k->axis);
    if (k->op == GLC_OP_HARDSIGMOID) glc_node_set_float(g, n, "alpha", 0.4f);
}

static void test_lower_nn_sym__leakyrelu_and_hardsigmoid_symbolic_extent(void **state) {
    (void)state;
    cg_sym_dims runs[3] = {{{{1, 5, 1}}}, {{{3, 5, 7}}}, {{{2, 5, 40}}}};
    unary_case k = {.op = GLC_OP_LEAKYRELU};
    cg_check_sym_vs_interp(build_unary, &k, "leaky_sym.so", runs, 3, 0);
    k.op = GLC_OP_HARDSIGMOID;
    cg_check_sym_vs_interp(build_unary, &k, "hsig_sym.so", runs, 3, 0);
}

static void test_lower_nn_sym__logsoftmax_every_axis_and_legacy(void **state) {
    (void)state;
    cg_sym_dims runs[2] = {{{{2, 5, 3}}}, {{{4, 5, 1}}}};
    static const int64_t axes[3] = {0, 1, -1};
    for (int i = 0; i < 3; i++) {
        unary_case k = {.op = GLC_OP_LOGSOFTMAX, .axis = axes[i]};
        cg_check_sym_vs_interp(build_unary, &k, "lsm_sym.so", runs, 2, 0);
    }
    unary_case k = {.op = GLC_OP_LOGSOFTMAX, .axis = 1, .opset = 11};
    cg_check_sym_vs_interp(build_unary, &k, "lsm_sym_legacy.so", runs, 2, 0);
}

/* ---- Conv ------------------------------------------------------------------------------ */

/* Dims below 0 in a conv_case are symbols. */
enum { SN = -1, SW = -2, SH = -3, SM = -4, SC = -5, SK = -6, SD = -7 };
static const char *const SYM_NAMES[7] = {"N", "W", "H", "M", "C", "K", "D"};

/* y = Conv(x, w[, b]); w constant (a pattern) unless w_input, b constant when bias, a graph
 * input when bias_input. Zero attributes are left unset. */
typedef struct conv_case {
    int rank;
    int64_t xd[5], wd[5];
    bool w_input, bias, bias_input;
    int64_t strides[3], dilations[3], pads[6], group;
    const char *auto_pad;
} conv_case;

static glc_dim dim_of(glc_graph *g, int64_t d) {
    return d < 0 ? glc_dim_symbol(g, SYM_NAMES[-d - 1]) : d;
}

static void build_conv(glc_graph *g, const void *ctx) {
    const conv_case *k = ctx;
    int r = k->rank, sp = r - 2;
    int64_t xd[5], wd[5], nw = 1;
    for (int i = 0; i < r; i++) {
        xd[i] = dim_of(g, k->xd[i]);
        wd[i] = dim_of(g, k->wd[i]);
        nw *= k->wd[i] > 0 ? k->wd[i] : 1;
    }
    glc_value_id in[3] = {cg_in(g, "x", GLC_DT_F32, r, xd)};
    float *w = malloc((size_t)nw * sizeof *w), b[64];
    pattern(w, nw, 7, 13, 0.125f);
    pattern(b, 64, 5, 13, 0.125f);
    in[1] = k->w_input ? cg_in(g, "w", GLC_DT_F32, r, wd)
                       : glc_graph_add_const(g, "w", GLC_DT_F32, r, wd, w);
    free(w);
    if (k->bias) in[2] = glc_graph_add_const(g, "b", GLC_DT_F32, 1, wd, b);
    if (k->bias_input) in[2] = cg_in(g, "b", GLC_DT_F32, 1, wd);
    glc_node_id n;
    glc_graph_add_output(g,
                         cg_node(g, GLC_OP_CONV, "conv", in, k->bias || k->bias_input ? 3 : 2, &n));
    if (k->group) glc_node_set_int(g, n, "group", k->group);
    if (k->strides[0]) glc_node_set_ints(g, n, "strides", k->strides, (uint32_t)sp);
    if (k->dilations[0]) glc_node_set_ints(g, n, "dilations", k->dilations, (uint32_t)sp);
    bool pads = false;
    for (int i = 0; i < 2 * sp; i++)
        pads = pads || k->pads[i];
    if (pads) glc_node_set_ints(g, n, "pads", k->pads, (uint32_t)(2 * sp));
    if (k->auto_pad) glc_node_set_string(g, n, "auto_pad", k->auto_pad);
}

static void test_lower_nn_sym__conv_symbolic_batch_im2col_products(void **state) {
    (void)state;
    conv_case k = {
        .rank = 4, .xd = {SN, 8, 9, 11}, .wd = {16, 8, 3, 3}, .bias = true, .pads = {1, 1, 1, 1}};
    cg_sym_dims runs[3] = {{{{1, 8, 9, 11}}}, {{{3, 8, 9, 11}}}, {{{2, 8, 9, 11}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_n.so", runs, 3, 1e-5);
}

static void test_lower_nn_sym__conv_symbolic_batch_direct_split_at_run_time(void **state) {
    (void)state; /* 576 multiply-adds an item: tasks from 1821 items, N >= 2 */
    conv_case k = {.rank = 4,
                   .xd = {SN, 16, 64, 64},
                   .wd = {16, 1, 3, 3},
                   .group = 16,
                   .bias = true,
                   .pads = {1, 1, 1, 1}};
    cg_sym_dims runs[2] = {{{{1, 16, 64, 64}}}, {{{2, 16, 64, 64}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_dw.so", runs, 2, 0);
}

static void test_lower_nn_sym__conv_symbolic_batch_winograd(void **state) {
    (void)state;
    cg_winograd = true;
    conv_case k = {.rank = 4,
                   .xd = {SN, 16, 13, 11},
                   .wd = {20, 16, 3, 3},
                   .bias = true,
                   .pads = {1, 1, 1, 1}};
    cg_sym_dims runs[2] = {{{{1, 16, 13, 11}}}, {{{2, 16, 13, 11}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_wg.so", runs, 2, 1e-5);
    cg_winograd = false;
}

static void test_lower_nn_sym__conv_symbolic_width_products_with_runtime_rows(void **state) {
    (void)state; /* an OCR recogniser's line image: height static, width symbolic */
    conv_case k = {
        .rank = 4, .xd = {SN, 3, 8, SW}, .wd = {16, 3, 3, 3}, .bias = true, .pads = {1, 1, 1, 1}};
    cg_sym_dims runs[3] = {{{{1, 3, 8, 5}}}, {{{2, 3, 8, 37}}}, {{{1, 3, 8, 130}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_w.so", runs, 3, 1e-5);
    cg_winograd = true; /* Winograd leaves symbolic sizes to the run-time products */
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_w_wg.so", runs, 3, 1e-5);
    cg_winograd = false;
}

static void test_lower_nn_sym__conv_symbolic_width_blocks_end_inside_a_line(void **state) {
    (void)state; /* kc 2304: blocks of 448 positions; 4 x 150 outputs = 448 + 152 */
    conv_case k = {.rank = 4,
                   .xd = {1, 256, 8, SW},
                   .wd = {8, 256, 3, 3},
                   .bias = true,
                   .strides = {2, 1},
                   .dilations = {1, 2},
                   .pads = {1, 2, 0, 1}};
    cg_sym_dims runs[2] = {{{{1, 256, 8, 151}}}, {{{1, 256, 8, 3}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_blk.so", runs, 2, 1e-5);
}

static void test_lower_nn_sym__conv_symbolic_width_groups_runtime_weights(void **state) {
    (void)state;
    conv_case k = {.rank = 4,
                   .xd = {SN, 16, 5, SW},
                   .wd = {16, 8, 2, 3},
                   .group = 2,
                   .w_input = true,
                   .bias_input = true,
                   .pads = {0, 1, 1, 0}};
    cg_sym_dims runs[2] = {{{{2, 16, 5, 9}, {16, 8, 2, 3}, {16}}},
                          {{{1, 16, 5, 2}, {16, 8, 2, 3}, {16}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_grp.so", runs, 2, 1e-5);
}

static void test_lower_nn_sym__conv_1d_same_upper_strided_symbolic_pads(void **state) {
    (void)state;
    conv_case k = {
        .rank = 3, .xd = {SN, 4, SW}, .wd = {8, 4, 5}, .strides = {2}, .auto_pad = "SAME_UPPER"};
    cg_sym_dims runs[3] = {{{{1, 4, 1}}}, {{{2, 4, 9}}}, {{{1, 4, 50}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_1d.so", runs, 3, 1e-5);
}

static void test_lower_nn_sym__conv_3d_symbolic_depth(void **state) {
    (void)state;
    conv_case k = {.rank = 5,
                   .xd = {1, 2, SH, 5, 6},
                   .wd = {6, 2, 2, 3, 3},
                   .bias = true,
                   .pads = {0, 1, 1, 1, 0, 1}};
    cg_sym_dims runs[2] = {{{{1, 2, 2, 5, 6}}}, {{{1, 2, 7, 5, 6}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_3d.so", runs, 2, 1e-5);
}

static void test_lower_nn_sym__conv_depthwise_symbolic_width_direct(void **state) {
    (void)state; /* 1 output channel per group: the run-time direct nest, bit for bit */
    conv_case k = {.rank = 4,
                   .xd = {SN, 4, 6, SW},
                   .wd = {4, 1, 3, 5},
                   .group = 4,
                   .bias = true,
                   .strides = {1, 2},
                   .dilations = {2, 1},
                   .pads = {1, 2, 0, 3}};
    cg_sym_dims runs[3] = {{{{1, 4, 6, 1}}}, {{{2, 4, 6, 8}}}, {{{1, 4, 6, 33}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_dwd.so", runs, 3, 0);
}

static void test_lower_nn_sym__conv_symbolic_kernel_and_channels_direct(void **state) {
    (void)state; /* weights fed at run time with symbolic dims, as the node tests in --dynamic */
    conv_case k = {.rank = 4,
                   .xd = {SN, SC, SH, SW},
                   .wd = {SM, SC, SK, SK},
                   .w_input = true,
                   .bias_input = true,
                   .strides = {1, 2},
                   .pads = {1, 0, 1, 2}};
    cg_sym_dims runs[3] = {{{{1, 2, 5, 6}, {3, 2, 3, 3}, {3}}},
                          {{{2, 3, 4, 9}, {2, 3, 2, 2}, {2}}},
                          {{{1, 1, 1, 7}, {1, 1, 1, 1}, {1}}}};
    cg_check_sym_vs_interp(build_conv, &k, "conv_sym_all.so", runs, 3, 0);
    conv_case gk = {.rank = 3,
                    .xd = {SN, SC, SW},
                    .wd = {SM, SD, SK},
                    .w_input = true,
                    .group = 2,
                    .auto_pad = "SAME_LOWER",
                    .strides = {2}};
    cg_sym_dims gruns[2] = {{{{1, 4, 7}, {4, 2, 3}}}, {{{2, 6, 10}, {2, 3, 4}}}};
    cg_check_sym_vs_interp(build_conv, &gk, "conv_sym_allg.so", gruns, 2, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_nn_sym__batchnorm_symbolic_batch_and_width),
        cmocka_unit_test(test_lower_nn_sym__batchnorm_training_mode_counts_at_run_time),
        cmocka_unit_test(test_lower_nn_sym__batchnorm_symbolic_channels_and_parameters),
        cmocka_unit_test(test_lower_nn_sym__leakyrelu_and_hardsigmoid_symbolic_extent),
        cmocka_unit_test(test_lower_nn_sym__logsoftmax_every_axis_and_legacy),
        cmocka_unit_test(test_lower_nn_sym__conv_symbolic_batch_im2col_products),
        cmocka_unit_test(test_lower_nn_sym__conv_symbolic_batch_direct_split_at_run_time),
        cmocka_unit_test(test_lower_nn_sym__conv_symbolic_batch_winograd),
        cmocka_unit_test(test_lower_nn_sym__conv_symbolic_width_products_with_runtime_rows),
        cmocka_unit_test(test_lower_nn_sym__conv_symbolic_width_blocks_end_inside_a_line),
        cmocka_unit_test(test_lower_nn_sym__conv_symbolic_width_groups_runtime_weights),
        cmocka_unit_test(test_lower_nn_sym__conv_1d_same_upper_strided_symbolic_pads),
        cmocka_unit_test(test_lower_nn_sym__conv_3d_symbolic_depth),
        cmocka_unit_test(test_lower_nn_sym__conv_depthwise_symbolic_width_direct),
        cmocka_unit_test(test_lower_nn_sym__conv_symbolic_kernel_and_channels_direct),
    };
    return cmocka_run_group_tests_name("lower_nn_sym", tests, cg_group_setup, cg_group_teardown);
}
