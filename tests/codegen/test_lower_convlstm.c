/* test_lower_convlstm.c -- compiled glc.ConvLSTM (codegen/lower_convlstm.c) against the
 * reference interpreter on random data, over the attribute space: spatial rank 1/2/3,
 * strides, dilations, explicit pads and every auto_pad, even recurrent kernels, directions,
 * layouts, sequence_lens (with 0), initial states, peepholes, clip, activations, every
 * subset of outputs, a grid large enough that the input convolution is hoisted in
 * several (ragged) chunks of steps, and constant weights (the products pack them) with
 * 1x1 kernels and a recurrent im2col in blocks with a remainder. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

typedef struct cfg {
    int rank;
    int64_t T, N, C, F;
    int64_t S[3], k[3], rk[3];
    const int64_t *strides, *dilations, *pads; /* NULL = attribute absent */
    const char *auto_pad, *direction;          /* NULL = attribute absent */
    int layout;
    bool bias, h0, c0, peep, kernel_shape;
    const int32_t *seq_lens; /* constant, N entries, or NULL */
    bool want[3];            /* Y, Y_h, Y_c */
    float clip;              /* 0 = none */
    const char *const *acts; /* n_acts names or NULL */
    int n_acts;
    const float *alpha, *beta;
    int n_alpha, n_beta;
    bool const_w; /* W, R and B as constants (packable weights) instead of inputs */
    int64_t hoist; /* glc_hoist_steps to set (0: the hoist-projections pass chooses) */
} cfg;

static void add_attrs(glc_graph *g, glc_node_id id, const cfg *c) {
    int R = c->rank;
    glc_node_set_int(g, id, "hidden_size", c->F);
    if (c->hoist) glc_node_set_int(g, id, GLC_ATTR_HOIST_STEPS, c->hoist);
    if (c->direction) glc_node_set_string(g, id, "direction", c->direction);
    if (c->layout) glc_node_set_int(g, id, "layout", c->layout);
    if (c->auto_pad) glc_node_set_string(g, id, "auto_pad", c->auto_pad);
    if (c->strides) glc_node_set_ints(g, id, "strides", c->strides, (uint32_t)R);
    if (c->dilations) glc_node_set_ints(g, id, "dilations", c->dilations, (uint32_t)R);
    if (c->pads) glc_node_set_ints(g, id, "pads", c->pads, (uint32_t)(2 * R));
    if (c->kernel_shape) glc_node_set_ints(g, id, "kernel_shape", c->k, (uint32_t)R);
    if (c->clip > 0) glc_node_set_float(g, id, "clip", c->clip);
    if (c->acts) {
        glc_attr a = {.name = "activations",
                      .kind = GLC_ATTR_STRINGS,
                      .n = (uint32_t)c->n_acts,
                      .strings = c->acts};
        glc_node_set_attr(g, id, &a);
    }
    if (c->alpha) glc_node_set_floats(g, id, "activation_alpha", c->alpha, (uint32_t)c->n_alpha);
    if (c->beta) glc_node_set_floats(g, id, "activation_beta", c->beta, (uint32_t)c->n_beta);
}

/* A constant of small deterministic values in [-0.3, 0.3]. */
static glc_value_id weights_const(glc_graph *g, const char *name, int rank, const int64_t *dims,
                                  int mul) {
    int64_t n = 1;
    for (int a = 0; a < rank; a++)
        n *= dims[a];
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((i * mul) % 13 - 6) * 0.05f;
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, rank, dims, v);
    free(v);
    return id;
}

/* The state grid S' is not known before inference: build the node without the inputs
 * whose shape depends on it, infer, then rebuild with them (same attributes). */
static void build(glc_graph *g, const cfg *c, const int64_t *sp, glc_value_id *out) {
    int R = c->rank;
    int64_t D = c->direction && !strcmp(c->direction, "bidirectional") ? 2 : 1, F = c->F;
    int64_t x[6] = {c->T, c->N, c->C}, w[6] = {D, 4 * F, c->C}, r[6] = {D, 4 * F, F};
    int64_t st[6] = {D, c->N, F}, p[5] = {D, 3 * F};
    if (c->layout) x[0] = c->N, x[1] = c->T, st[0] = c->N, st[1] = D;
    for (int a = 0; a < R; a++) {
        x[3 + a] = c->S[a], w[3 + a] = c->k[a], r[3 + a] = c->rk[a];
        st[3 + a] = p[2 + a] = sp ? sp[a] : 1;
    }
    glc_value_id in[8] = {0};
    in[0] = cg_in(g, "X", GLC_DT_F32, 3 + R, x);
    if (c->const_w) {
        in[1] = weights_const(g, "W", 3 + R, w, 7);
        in[2] = weights_const(g, "R", 3 + R, r, 5);
        if (c->bias) in[3] = weights_const(g, "B", 2, (int64_t[]){D, 8 * F}, 3);
    } else {
        in[1] = cg_in(g, "W", GLC_DT_F32, 3 + R, w);
        in[2] = cg_in(g, "R", GLC_DT_F32, 3 + R, r);
        if (c->bias) in[3] = cg_in(g, "B", GLC_DT_F32, 2, (int64_t[]){D, 8 * F});
    }
    if (c->seq_lens)
        in[4] =
            glc_graph_add_const(g, "sequence_lens", GLC_DT_I32, 1, (int64_t[]){c->N}, c->seq_lens);
    if (sp && c->h0) in[5] = cg_in(g, "initial_h", GLC_DT_F32, 3 + R, st);
    if (sp && c->c0) in[6] = cg_in(g, "initial_c", GLC_DT_F32, 3 + R, st);
    if (sp && c->peep) in[7] = cg_in(g, "P", GLC_DT_F32, 2 + R, p);
    int n_in = 8;
    while (n_in > 3 && !in[n_in - 1])
        n_in--;
    static const char *names[3] = {"Y", "Y_h", "Y_c"};
    for (int k = 0; k < 3; k++)
        out[k] = c->want[k] ? glc_graph_add_value(g, names[k], GLC_DT_UNDEF, 0, NULL) : 0;
    glc_node_id id = glc_graph_add_node(g, GLC_OP_CONVLSTM, "convlstm", in, n_in, out, 3);
    add_attrs(g, id, c);
}

static void check(const cfg *c, const char *file) {
    /* Pass 1: find S' from a node with every output and no grid-shaped inputs. */
    glc_graph *g = glc_graph_create();
    g->opset = 13, g->opset_glc = 1;
    cfg c1 = *c;
    c1.want[0] = c1.want[1] = c1.want[2] = true;
    glc_value_id out[3];
    build(g, &c1, NULL, out);
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_infer_shapes(g, &d)) fail_msg("infer: %s", d.msg);
    int64_t sp[3];
    for (int a = 0; a < c->rank; a++)
        sp[a] = g->values[out[1]].dims[3 + a];
    glc_graph_destroy(g);
    /* Pass 2: the real graph. */
    g = glc_graph_create();
    g->opset = 13, g->opset_glc = 1;
    build(g, c, sp, out);
    for (int k = 0; k < 3; k++)
        if (out[k]) glc_graph_add_output(g, out[k]);
    cg_check_vs_interp(g, file);
    glc_graph_destroy(g);
}

static const int32_t LENS3[3] = {3, 0, 2}, LENS2[2] = {1, 4};

static void test_lower_convlstm__rank2_forward_all_inputs_strides_dilations_pads(void **state) {
    (void)state;
    static const int64_t strides[2] = {2, 1}, dil[2] = {1, 2}, pads[4] = {1, 0, 0, 2};
    cfg c = {2, 3, 2, 3, 4, {7, 6}, {3, 2}, {3, 3}, .strides = strides, .dilations = dil,
             .pads = pads, .bias = 1, .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}};
    check(&c, "cl_fwd.so");
}

static void test_lower_convlstm__rank1_bidir_layout1_seqlens_clip_one_triple(void **state) {
    (void)state;
    static const char *const acts[3] = {"HardSigmoid", "Tanh", "Softsign"};
    static const float al[1] = {0.3f}, be[1] = {0.45f};
    cfg c = {1, 4, 3, 2, 3, {9}, {3}, {2}, .auto_pad = "SAME_UPPER",
             .direction = "bidirectional", .layout = 1, .bias = 1, .h0 = 1, .c0 = 1, .peep = 1,
             .seq_lens = LENS3, .want = {1, 1, 1}, .clip = 0.7f, .acts = acts, .n_acts = 3,
             .alpha = al, .beta = be, .n_alpha = 1, .n_beta = 1};
    check(&c, "cl_bidir.so");
}

static void test_lower_convlstm__rank3_reverse_same_upper_strided_only_yc(void **state) {
    (void)state;
    static const int64_t strides[3] = {1, 2, 2};
    cfg c = {3, 3, 3, 2, 2, {3, 5, 4}, {3, 1, 3}, {3, 2, 3}, .strides = strides,
             .auto_pad = "SAME_UPPER", .direction = "reverse", .bias = 1, .seq_lens = LENS3,
             .want = {0, 0, 1}, .kernel_shape = 1};
    check(&c, "cl_rev3.so");
}

static void test_lower_convlstm__rank2_same_lower_even_kernels_acts_only_yh(void **state) {
    (void)state;
    static const int64_t strides[2] = {2, 2};
    static const char *const acts[6] = {"Sigmoid",   "Tanh", "Tanh",
                                        "LeakyRelu", "Elu",  "ScaledTanh"};
    static const float al[3] = {0.1f, 0.7f, 0.9f}, be[1] = {1.2f};
    cfg c = {2, 3, 2, 2, 3, {7, 5}, {2, 4}, {2, 4}, .strides = strides,
             .auto_pad = "SAME_LOWER", .direction = "bidirectional", .h0 = 1,
             .want = {0, 1, 0}, .acts = acts, .n_acts = 6, .alpha = al, .beta = be,
             .n_alpha = 3, .n_beta = 1};
    check(&c, "cl_lower.so");
}

static void test_lower_convlstm__rank2_valid_layout1_peepholes_y_and_yc(void **state) {
    (void)state;
    cfg c = {2, 2, 2, 1, 2, {5, 4}, {3, 3}, {1, 3}, .auto_pad = "VALID", .layout = 1,
             .c0 = 1, .peep = 1, .seq_lens = LENS2, .want = {1, 0, 1}};
    check(&c, "cl_valid.so");
}

/* N 2, 4F 8, S' 64x64: one step of gates is 65536 floats, so the 2^19-float gate budget
 * holds 8 of the 10 steps and the input convolution runs in chunks of 8 and 2 (reverse, so
 * a sample's steps cross the chunk boundary). */
static void test_lower_convlstm__large_grid_hoists_input_conv_in_ragged_chunks(void **state) {
    (void)state;
    static const int32_t lens[2] = {10, 9};
    cfg c = {2, 10, 2, 2, 2, {64, 64}, {3, 3}, {3, 3}, .auto_pad = "SAME_UPPER", .bias = 1,
             .direction = "reverse",
             .h0 = 1, .c0 = 1, .seq_lens = lens, .want = {1, 1, 1}};
    check(&c, "cl_chunks.so");
}

/* Constant weights (packed by the products), bidirectional: the recurrent im2col of 800 rows
 * x 32 outputs a row takes 40 of the 45 rows a block, then a remainder of 5. */
static void test_lower_convlstm__const_weights_bidir_recurrent_im2col_in_blocks(void **state) {
    (void)state;
    cfg c = {2, 2, 1, 3, 32, {45, 32}, {3, 3}, {5, 5}, .auto_pad = "SAME_UPPER",
             .direction = "bidirectional", .bias = 1, .h0 = 1, .want = {1, 1, 1},
             .const_w = 1};
    check(&c, "cl_const_blocks.so");
}

/* F x 48 x 48 = 9216 cell elements a sample: the cell runs as tasks (runs of 256), with
 * peepholes, layout 1 and sequence lengths (the default pool, then 1 and 3 threads). */
static void test_lower_convlstm__cell_split_into_tasks_with_peepholes(void **state) {
    (void)state;
    cfg c = {2, 3, 2, 2, 4, {48, 48}, {3, 3}, {3, 3}, .auto_pad = "SAME_UPPER", .layout = 1,
             .bias = 1, .c0 = 1, .peep = 1, .seq_lens = LENS2, .want = {1, 1, 1}};
    check(&c, "cl_cell_tasks.so");
}

/* 1x1 kernels: both convolutions read their operand directly (no im2col). */
static void test_lower_convlstm__const_weights_1x1_kernels_layout1(void **state) {
    (void)state;
    cfg c = {2, 3, 2, 5, 4, {5, 6}, {1, 1}, {1, 1}, .layout = 1, .bias = 1, .c0 = 1,
             .peep = 1, .seq_lens = LENS2, .want = {1, 1, 1}, .const_w = 1};
    check(&c, "cl_1x1.so");
}

/* Rank 1 with constant weights, a strided dilated input convolution, no bias. */
static void test_lower_convlstm__const_weights_rank1_strided_dilated(void **state) {
    (void)state;
    static const int64_t strides[1] = {2}, dil[1] = {2}, pads[2] = {2, 1};
    cfg c = {1, 3, 2, 3, 8, {23}, {3}, {3}, .strides = strides, .dilations = dil,
             .pads = pads, .direction = "reverse", .want = {1, 1, 0}, .const_w = 1};
    check(&c, "cl_r1.so");
}

/* --winograd: the 3x3 input convolution as F(4x4, 3x3) (hoisted over steps, so its batch is
 * steps x samples), the 5x5 recurrent one as F(2x2, 5x5) accumulating into the gates; 11 x 9
 * gives partial tiles; bidirectional, layout 1, sequence lengths. */
static void test_lower_convlstm__winograd_input_and_recurrent_convolutions(void **state) {
    (void)state;
    cfg c = {2, 3, 2, 8, 16, {11, 9}, {3, 3}, {5, 5}, .auto_pad = "SAME_UPPER", .layout = 1,
             .direction = "bidirectional", .bias = 1, .h0 = 1, .c0 = 1, .seq_lens = LENS2,
             .want = {1, 1, 1}, .const_w = 1};
    cg_winograd = true;
    check(&c, "cl_wino.so");
    cg_winograd = false;
}

/* glc_hoist_steps 1 (as at -O0, or when one step's gates pass the cache budget): per step
 * each sample runs its input convolution, recurrent convolution and cell in turn; 2: the
 * input convolutions hoisted in chunks of 2 of 3 steps (ragged). Bidirectional with layout
 * 1 and sequence_lens, and reverse rank 3. */
static void test_lower_convlstm__hoist_steps_one_runs_each_sample_through(void **state) {
    (void)state;
    for (int64_t h = 1; h <= 2; h++) {
        cfg a = {1, 3, 3, 2, 3, {9}, {3}, {2}, .auto_pad = "SAME_UPPER",
                 .direction = "bidirectional", .layout = 1, .bias = 1, .h0 = 1, .c0 = 1,
                 .peep = 1, .seq_lens = LENS3, .want = {1, 1, 1}, .hoist = h};
        check(&a, h == 1 ? "cl_h1_bidir.so" : "cl_h2_bidir.so");
        static const int64_t strides[3] = {1, 2, 2};
        cfg b = {3, 3, 3, 2, 2, {3, 5, 4}, {3, 1, 3}, {3, 2, 3}, .strides = strides,
                 .auto_pad = "SAME_UPPER", .direction = "reverse", .bias = 1,
                 .seq_lens = LENS3, .want = {1, 1, 1}, .const_w = 1, .hoist = h};
        check(&b, h == 1 ? "cl_h1_rev3.so" : "cl_h2_rev3.so");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_convlstm__rank2_forward_all_inputs_strides_dilations_pads),
        cmocka_unit_test(test_lower_convlstm__rank1_bidir_layout1_seqlens_clip_one_triple),
        cmocka_unit_test(test_lower_convlstm__rank3_reverse_same_upper_strided_only_yc),
        cmocka_unit_test(test_lower_convlstm__rank2_same_lower_even_kernels_acts_only_yh),
        cmocka_unit_test(test_lower_convlstm__rank2_valid_layout1_peepholes_y_and_yc),
        cmocka_unit_test(test_lower_convlstm__large_grid_hoists_input_conv_in_ragged_chunks),
        cmocka_unit_test(test_lower_convlstm__const_weights_bidir_recurrent_im2col_in_blocks),
        cmocka_unit_test(test_lower_convlstm__const_weights_1x1_kernels_layout1),
        cmocka_unit_test(test_lower_convlstm__cell_split_into_tasks_with_peepholes),
        cmocka_unit_test(test_lower_convlstm__const_weights_rank1_strided_dilated),
        cmocka_unit_test(test_lower_convlstm__winograd_input_and_recurrent_convolutions),
        cmocka_unit_test(test_lower_convlstm__hoist_steps_one_runs_each_sample_through),
    };
    return cmocka_run_group_tests_name("lower_convlstm", tests, cg_group_setup, cg_group_teardown);
}
