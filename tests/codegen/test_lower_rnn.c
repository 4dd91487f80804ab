/* test_lower_rnn.c -- compiled LSTM/GRU/RNN (codegen/lower_rnn.c) against the reference
 * interpreter on random data, over the attribute space: directions, layouts,
 * sequence_lens, initial states, peepholes, clip, input_forget, activations,
 * linear_before_reset, and every subset of outputs; odd sizes, and sequences long enough
 * that the hoisted input projection runs in chunks; fused cells with a symbolic batch,
 * chosen at run time. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

typedef struct cfg {
    glc_op op;
    int64_t S, N, I, H;
    const char *direction; /* NULL = default */
    int layout;
    bool bias, h0, c0, peep;
    const int32_t *seq_lens; /* constant, N entries, or NULL */
    bool want[3];            /* Y, Y_h, Y_c */
    float clip;              /* 0 = none */
    int input_forget, lbr;
    const char *const *acts; /* n_acts names or NULL */
    int n_acts;
    const float *alpha, *beta;
    int n_alpha, n_beta;
    bool const_w; /* W, R as constants U(-1, 1)/sqrt(K): a contractive recurrence, so long
                     sequences do not amplify rounding */
    int64_t hoist; /* glc_hoist_steps to set (0: the hoist-projections pass chooses) */
    int fuse;      /* glc_fuse_cell to set: 1, or 0 when -1 (0: the fuse-cell pass chooses) */
    bool const_b;  /* B (with bias) a constant: its sums made at compile time */
} cfg;

/* A constant of dims (rank 2 or 3, the last K) of U(-1, 1)/sqrt(K). */
static glc_value_id uniform_const(glc_graph *g, const char *name, int rank, const int64_t *dims) {
    unsigned seed = 77;
    int64_t n = 1, K = dims[rank - 1];
    for (int a = 0; a < rank; a++)
        n *= dims[a];
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = ((float)rand_r(&seed) / (float)RAND_MAX * 2.0f - 1.0f) / sqrtf((float)K);
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, rank, dims, v);
    free(v);
    return id;
}

/* W or R (D, G*H, K) as a constant of U(-1, 1)/sqrt(K). */
static glc_value_id small_weight(glc_graph *g, const char *name, int64_t D, int64_t GH,
                                 int64_t K) {
    return uniform_const(g, name, 3, (int64_t[]){D, GH, K});
}

static void add_attrs(glc_graph *g, glc_node_id id, const cfg *c) {
    if (c->direction) glc_node_set_string(g, id, "direction", c->direction);
    if (c->layout) glc_node_set_int(g, id, "layout", c->layout);
    glc_node_set_int(g, id, "hidden_size", c->H);
    if (c->hoist) glc_node_set_int(g, id, GLC_ATTR_HOIST_STEPS, c->hoist);
    if (c->fuse) glc_node_set_int(g, id, GLC_ATTR_FUSE_CELL, c->fuse > 0);
    if (c->clip > 0) glc_node_set_float(g, id, "clip", c->clip);
    if (c->input_forget) glc_node_set_int(g, id, "input_forget", 1);
    if (c->lbr) glc_node_set_int(g, id, "linear_before_reset", 1);
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

/* The graph of case c: inputs, the node, its requested outputs. */
static glc_graph *build(const cfg *c) {
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    int64_t D = c->direction && !strcmp(c->direction, "bidirectional") ? 2 : 1;
    int64_t G = c->op == GLC_OP_LSTM ? 4 : c->op == GLC_OP_GRU ? 3 : 1, GH = G * c->H;
    int64_t x[3] = {c->S, c->N, c->I}, st[3] = {D, c->N, c->H};
    if (c->layout) x[0] = c->N, x[1] = c->S, st[0] = c->N, st[1] = D;
    glc_value_id in[8] = {0};
    in[0] = cg_in(g, "X", GLC_DT_F32, 3, x);
    if (c->const_w) {
        in[1] = small_weight(g, "W", D, GH, c->I);
        in[2] = small_weight(g, "R", D, GH, c->H);
    } else {
        in[1] = cg_in(g, "W", GLC_DT_F32, 3, (int64_t[]){D, GH, c->I});
        in[2] = cg_in(g, "R", GLC_DT_F32, 3, (int64_t[]){D, GH, c->H});
    }
    if (c->bias && c->const_b)
        in[3] = uniform_const(g, "B", 2, (int64_t[]){D, 2 * GH});
    else if (c->bias)
        in[3] = cg_in(g, "B", GLC_DT_F32, 2, (int64_t[]){D, 2 * GH});
    if (c->seq_lens)
        in[4] =
            glc_graph_add_const(g, "sequence_lens", GLC_DT_I32, 1, (int64_t[]){c->N}, c->seq_lens);
    if (c->h0) in[5] = cg_in(g, "initial_h", GLC_DT_F32, 3, st);
    if (c->c0) in[6] = cg_in(g, "initial_c", GLC_DT_F32, 3, st);
    if (c->peep) in[7] = cg_in(g, "P", GLC_DT_F32, 2, (int64_t[]){D, 3 * c->H});
    int n_in = 8;
    while (n_in > 3 && !in[n_in - 1])
        n_in--;
    static const char *names[3] = {"Y", "Y_h", "Y_c"};
    glc_value_id out[3] = {0};
    int n_out = c->op == GLC_OP_LSTM ? 3 : 2;
    for (int k = 0; k < n_out; k++)
        if (c->want[k]) out[k] = glc_graph_add_value(g, names[k], GLC_DT_UNDEF, 0, NULL);
    glc_node_id id = glc_graph_add_node(g, c->op, "rnn", in, n_in, out, n_out);
    add_attrs(g, id, c);
    for (int k = 0; k < n_out; k++)
        if (out[k]) glc_graph_add_output(g, out[k]);
    return g;
}

static void check(const cfg *c, const char *file) {
    glc_graph *g = build(c);
    cg_check_vs_interp(g, file);
    glc_graph_destroy(g);
}

static const int32_t LENS3[3] = {4, 1, 3}, LENS2[2] = {2, 5};

static const int32_t LENS5[5] = {3, 1, 2, 3, 0};

/* N H = 5*1024 cells per step reach CELLS_PAR_MIN: the cells of the 5 batch rows run as
 * tasks (sequence_lens, both directions; GRU's reset pass too), checked against the
 * interpreter and bitwise across thread counts (cg_check_thread_invariance). */
static void test_lower_rnn__cells_split_into_tasks(void **state) {
    (void)state;
    cfg lstm = {GLC_OP_LSTM, 3, 5, 8, 1024, .direction = "bidirectional", .bias = 1, .h0 = 1,
                .seq_lens = LENS5, .want = {1, 1, 1}, .const_w = true};
    check(&lstm, "lstm_tasks.so");
    cfg gru = {GLC_OP_GRU, 3, 5, 8, 1024, .direction = "reverse", .bias = 1,
               .seq_lens = LENS5, .want = {1, 1, 0}, .const_w = true};
    check(&gru, "gru_tasks.so");
}

static void test_lower_rnn__lstm_forward_all_inputs_and_outputs(void **state) {
    (void)state;
    cfg c = {GLC_OP_LSTM, 5, 3, 4, 7, .bias = 1, .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}};
    check(&c, "lstm_fwd.so");
}

static void test_lower_rnn__lstm_bidirectional_layout1_seq_lens_clip(void **state) {
    (void)state;
    cfg c = {
        GLC_OP_LSTM,       4,           3,       3,       5,         .direction = "bidirectional",
        .layout = 1,       .bias = 1,   .h0 = 1, .c0 = 1, .peep = 1, .seq_lens = LENS3,
        .want = {1, 1, 1}, .clip = 0.8f};
    check(&c, "lstm_bidir.so");
}

static void test_lower_rnn__lstm_reverse_input_forget_activations_only_yc(void **state) {
    (void)state;
    static const char *const acts[3] = {"HardSigmoid", "ScaledTanh", "Softsign"};
    static const float al[2] = {0.3f, 1.2f}, be[2] = {0.4f, 0.7f};
    cfg c = {GLC_OP_LSTM,
             5,
             2,
             3,
             4,
             .direction = "reverse",
             .bias = 1,
             .seq_lens = LENS2,
             .want = {0, 0, 1},
             .input_forget = 1,
             .acts = acts,
             .n_acts = 3,
             .alpha = al,
             .beta = be,
             .n_alpha = 2,
             .n_beta = 2};
    check(&c, "lstm_rev.so");
}

static void test_lower_rnn__lstm_unbounded_activations_only_yh(void **state) {
    (void)state;
    static const char *const acts[6] = {"Sigmoid", "Tanh", "Tanh", "LeakyRelu", "Relu", "Softplus"};
    static const float al[1] = {0.2f};
    cfg c = {GLC_OP_LSTM,
             3,
             2,
             3,
             3,
             .direction = "bidirectional",
             .want = {0, 1, 0},
             .acts = acts,
             .n_acts = 6,
             .alpha = al,
             .n_alpha = 1};
    check(&c, "lstm_acts.so");
}

static void test_lower_rnn__gru_both_reset_forms_bidirectional_seq_lens(void **state) {
    (void)state;
    for (int lbr = 0; lbr < 2; lbr++) {
        cfg c = {GLC_OP_GRU,
                 4,
                 3,
                 5,
                 6,
                 .direction = "bidirectional",
                 .bias = 1,
                 .h0 = 1,
                 .seq_lens = LENS3,
                 .want = {1, 1, 0},
                 .lbr = lbr};
        check(&c, lbr ? "gru_lbr1.so" : "gru_lbr0.so");
    }
}

static void test_lower_rnn__gru_layout1_reverse_clip_activations(void **state) {
    (void)state;
    static const char *const acts[2] = {"HardSigmoid", "Elu"};
    static const float al[2] = {0.25f, 0.9f}, be[1] = {0.45f};
    cfg c = {GLC_OP_GRU,
             5,
             2,
             3,
             4,
             .direction = "reverse",
             .layout = 1,
             .h0 = 1,
             .seq_lens = LENS2,
             .want = {1, 0, 0},
             .clip = 0.6f,
             .acts = acts,
             .n_acts = 2,
             .alpha = al,
             .beta = be,
             .n_alpha = 2,
             .n_beta = 1};
    check(&c, "gru_rev.so");
}

static void test_lower_rnn__rnn_all_directions_and_layouts(void **state) {
    (void)state;
    static const char *const dirs[3] = {"forward", "reverse", "bidirectional"};
    static const char *const acts[2] = {"ThresholdedRelu", "Affine"};
    static const float al[2] = {0.1f, 0.7f}, be[1] = {0.2f};
    char file[64];
    for (int d = 0; d < 3; d++)
        for (int layout = 0; layout < 2; layout++) {
            cfg c = {GLC_OP_RNN,
                     3,
                     3,
                     2,
                     5,
                     .direction = dirs[d],
                     .layout = layout,
                     .bias = 1,
                     .h0 = layout,
                     .seq_lens = d == 1 ? NULL : LENS3,
                     .want = {1, 1, 0},
                     .clip = d == 0 ? 0.9f : 0};
            if (d == 2) c.acts = acts, c.n_acts = 2, c.alpha = al, c.beta = be;
            if (d == 2) c.n_alpha = 2, c.n_beta = 1, c.S = 4;
            snprintf(file, sizeof file, "rnn_%d_%d.so", d, layout);
            check(&c, file);
        }
}

/* Odd sizes everywhere (batch 13, hidden 19, input 11): the products' row and column
 * remainders; bidirectional with sequence_lens, so reverse rows of different lengths read
 * different time indices of the hoisted projection. */
static void test_lower_rnn__lstm_odd_sizes_bidirectional_seq_lens(void **state) {
    (void)state;
    static const int32_t lens[13] = {7, 1, 0, 7, 3, 9, 5, 7, 2, 6, 7, 4, 8};
    cfg c = {GLC_OP_LSTM, 7, 13, 11, 19, .direction = "bidirectional", .bias = 1, .h0 = 1,
             .c0 = 1, .peep = 1, .seq_lens = lens, .want = {1, 1, 1}};
    check(&c, "lstm_odd.so");
}

/* The hoisted projection in chunks (xw = Tc*N*G*H floats capped at 2^19): N*G*H = 40*128 =
 * 5120 floats per step, so 250 steps run as chunks of 84, 84, 82; forward with
 * sequence_lens (chunked) and a short row. */
static void test_lower_rnn__lstm_chunked_projection_seq_lens(void **state) {
    (void)state;
    static int32_t lens[40];
    for (int b = 0; b < 40; b++)
        lens[b] = b == 3 ? 0 : 250 - 7 * b;
    cfg c = {GLC_OP_LSTM, 250, 40, 6, 32, .bias = 1, .h0 = 1, .seq_lens = lens,
             .want = {1, 1, 1}, .const_w = 1};
    check(&c, "lstm_chunk.so");
}

/* Chunks in layout 1 (one projection per batch row) and both directions (the reverse
 * chunks cover time indices from the end, the last one shorter): N*G*H = 48*96 = 4608
 * floats per step, 230 steps as 77, 77, 76; GRU in both reset forms. */
static void test_lower_rnn__gru_chunked_layout1_bidirectional(void **state) {
    (void)state;
    for (int lbr = 0; lbr < 2; lbr++) {
        cfg c = {GLC_OP_GRU, 230, 48, 5, 32, .direction = "bidirectional", .layout = 1,
                 .bias = 1, .h0 = 1, .want = {1, 1, 0}, .lbr = lbr, .const_w = 1};
        check(&c, lbr ? "gru_chunk1.so" : "gru_chunk0.so");
    }
}

/* A reverse RNN in chunks, layout 0: N*H = 100*64 = 6400 floats per step, 170 steps as
 * 57, 57, 56. */
static void test_lower_rnn__rnn_chunked_reverse(void **state) {
    (void)state;
    cfg c = {GLC_OP_RNN, 170, 100, 3, 64, .direction = "reverse", .bias = 1,
             .want = {1, 1, 0}, .const_w = 1};
    check(&c, "rnn_chunk.so");
}

/* The lowering follows glc_hoist_steps whatever it is: one step at a time (as at -O0),
 * chunks of 3 of 8 steps (3, 3, 2 balanced), all steps, more than all; forward and
 * bidirectional, both layouts, with sequence_lens (a reverse direction with them is
 * hoisted whole whatever the attribute says). */
static void test_lower_rnn__hoist_steps_chosen_by_the_attribute(void **state) {
    (void)state;
    static const int32_t lens[5] = {8, 3, 0, 6, 8};
    static const int64_t hoist[4] = {1, 3, 8, 50};
    for (int k = 0; k < 4; k++)
        for (int layout = 0; layout < 2; layout++) {
            cfg l = {GLC_OP_LSTM, 8, 5, 6, 7, .direction = layout ? "bidirectional" : NULL,
                     .layout = layout, .bias = 1, .h0 = 1, .seq_lens = lens,
                     .want = {1, 1, 1}, .hoist = hoist[k]};
            char f[64];
            snprintf(f, sizeof f, "lstm_hoist%d_%d.so", k, layout);
            check(&l, f);
            cfg gr = {GLC_OP_GRU, 8, 5, 6, 7, .direction = "reverse", .layout = layout,
                      .bias = 1, .want = {1, 1, 0}, .hoist = hoist[k]};
            snprintf(f, sizeof f, "gru_hoist%d_%d.so", k, layout);
            check(&gr, f);
        }
}

/* ... and the attribute is what sizes the hoisted projections: the workspace holds
 * Tc*N*G*H floats of them (N*G*H = 5*28 = 140 a step: 144 floats for 1 step, 1120 for 8). */
static void test_lower_rnn__hoist_steps_size_the_projection_buffer(void **state) {
    (void)state;
    uint64_t ws[2];
    for (int k = 0; k < 2; k++) {
        cfg c = {GLC_OP_LSTM, 8, 5, 6, 7, .bias = 1, .want = {1, 0, 0}, .hoist = k ? 8 : 1};
        glc_graph *g = build(&c);
        glc_rt_model *m = cg_compile(g, k ? "lstm_ws8.so" : "lstm_ws1.so");
        ws[k] = glc_rt_model_desc(m)->workspace_size;
        glc_rt_model_close(m);
        glc_graph_destroy(g);
    }
    assert_true(ws[1] >= ws[0] + (1120 - 144) * sizeof(float));
}

/* The n cases cs with constant weights and glc_fuse_cell = 1, checked as <stem><k>.so; then
 * the cases avx2[0..n_avx2) also compiled for 256-bit vectors (haswell), where the host
 * runs them. */
static void check_fused(cfg *cs, size_t n, const char *stem, const size_t *avx2, size_t n_avx2) {
    char f[64];
    for (size_t k = 0; k < n; k++) {
        cs[k].const_w = true;
        cs[k].fuse = 1;
        snprintf(f, sizeof f, "%s%zu.so", stem, k);
        check(&cs[k], f);
    }
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        print_message("%s: the haswell builds skipped: this host cannot run avx2+fma code\n",
                      stem);
        return;
    }
    cg_cpu = "haswell";
    for (size_t k = 0; k < n_avx2; k++) {
        snprintf(f, sizeof f, "%s_avx2_%zu.so", stem, avx2[k]);
        check(&cs[avx2[k]], f);
    }
    cg_cpu = NULL;
#else
    (void)avx2, (void)n_avx2;
#endif
}

/* LSTM cells in the hidden product's epilogue (glc_fuse_cell = 1; constant R, no
 * sequence_lens): every direction and layout, initial states, peepholes, clip,
 * input_forget, other activations, odd and even step counts (h alternates between two
 * buffers), hidden sizes around the column panel (16 units with AVX-512: 7, 13, 16, 40),
 * batches around the 6-row tile (3, 5, 12, 13, 25), hidden 300 and 512 (K blocks: the
 * cells run after the last one only), projections in chunks; two of them also compiled for
 * 256-bit vectors (haswell). */
static void test_lower_rnn__lstm_cells_fused_into_the_product(void **state) {
    (void)state;
    static const char *const acts[3] = {"HardSigmoid", "ScaledTanh", "Softsign"};
    static const float al[2] = {0.3f, 1.2f}, be[2] = {0.4f, 0.7f};
    cfg cs[] = {
        {GLC_OP_LSTM, 5, 3, 4, 7, .bias = 1, .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}},
        {GLC_OP_LSTM, 4, 13, 5, 13, .direction = "bidirectional", .layout = 1, .bias = 1,
         .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}, .clip = 0.8f},
        {GLC_OP_LSTM, 6, 12, 3, 16, .direction = "reverse", .bias = 1, .want = {0, 0, 1},
         .input_forget = 1, .acts = acts, .n_acts = 3, .alpha = al, .beta = be, .n_alpha = 2,
         .n_beta = 2},
        {GLC_OP_LSTM, 9, 25, 6, 40, .direction = "bidirectional", .h0 = 1, .want = {1, 1, 0},
         .hoist = 4},
        {GLC_OP_LSTM, 3, 5, 7, 300, .bias = 1, .h0 = 1, .c0 = 1, .want = {1, 1, 1}},
        {GLC_OP_LSTM, 2, 4, 3, 512, .layout = 1, .bias = 1, .c0 = 1, .want = {1, 0, 1}},
    };
    check_fused(cs, sizeof cs / sizeof cs[0], "lstm_fused", (size_t[]){0, 1}, 2);
}

/* GRU (linear_before_reset = 1) and RNN cells in the hidden product's epilogue
 * (glc_fuse_cell = 1): the GRU's z, r, h gates of 16 units per 48-column panel (8-row
 * tiles), the RNN's default 32-column panels (12-row tiles); both directions and layouts,
 * initial h, clip, other activations, odd and even step counts, hidden sizes around the
 * panels (GRU 7, 16, 40, 300; RNN 13, 32, 70), batches around the tiles; a GRU with
 * linear_before_reset = 0 carrying the attribute keeps its separate cells. Also for
 * 256-bit vectors (haswell: 8-unit GRU panels, 4-row tiles). */
static void test_lower_rnn__gru_and_rnn_cells_fused_into_the_product(void **state) {
    (void)state;
    static const char *const acts[2] = {"HardSigmoid", "Softsign"};
    static const float al[2] = {0.3f, 1.2f}, be[2] = {0.4f, 0.7f};
    cfg cs[] = {
        {GLC_OP_GRU, 5, 3, 4, 7, .bias = 1, .h0 = 1, .want = {1, 1, 0}, .lbr = 1},
        {GLC_OP_GRU, 4, 9, 5, 16, .direction = "bidirectional", .layout = 1, .bias = 1,
         .h0 = 1, .want = {1, 1, 0}, .lbr = 1, .clip = 0.8f},
        {GLC_OP_GRU, 6, 17, 3, 40, .direction = "reverse", .bias = 1, .want = {0, 1, 0},
         .lbr = 1, .acts = acts, .n_acts = 2, .alpha = al, .beta = be, .n_alpha = 2,
         .n_beta = 2, .hoist = 2},
        {GLC_OP_GRU, 3, 2, 7, 300, .bias = 1, .h0 = 1, .want = {1, 1, 0}, .lbr = 1},
        {GLC_OP_RNN, 5, 5, 4, 13, .bias = 1, .h0 = 1, .want = {1, 1, 0}},
        {GLC_OP_RNN, 4, 13, 6, 32, .direction = "bidirectional", .layout = 1, .bias = 1,
         .want = {1, 1, 0}, .clip = 0.9f},
        {GLC_OP_RNN, 7, 25, 3, 70, .direction = "reverse", .h0 = 1, .want = {1, 0, 0},
         .acts = acts + 1, .n_acts = 1},
        {GLC_OP_GRU, 4, 3, 4, 9, .bias = 1, .h0 = 1, .want = {1, 1, 0}},
    };
    check_fused(cs, sizeof cs / sizeof cs[0], "gru_rnn_fused", (size_t[]){1, 6}, 2);
}

/* LLVM features emits_small_step compiles for with cg_cpu (NULL: the CPU's own), and
 * whether with --bf16-weights. */
static const char *ir_features;
static bool ir_bf16_weights;

/* Whether case c's LLVM IR after optimisation (the fuse-cell pass marking the node unless
 * c sets glc_fuse_cell) has a line holding `needle`. */
static bool ir_has(const cfg *c, const char *file, const char *needle) {
    glc_graph *g = build(c);
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_infer_shapes(g, &d) || glc_graph_verify(g, &d)) fail_msg("graph: %s", d.msg);
    glc_pass_ctx cx = {.diag = &d};
    if (!c->fuse && glc_pass_fuse_cell(g, &cx)) fail_msg("fuse-cell: %s", d.msg);
    char path[700];
    snprintf(path, sizeof path, "%s/%s", cg_tmpdir, file);
    glc_codegen_options o = glc_codegen_defaults();
    o.cpu = cg_cpu;
    o.features = ir_features;
    o.bf16_weights = ir_bf16_weights;
    o.emit = GLC_EMIT_LLVM;
    if (glc_codegen_emit(g, &o, path, &d) != GLC_OK) fail_msg("codegen: %s", d.msg);
    glc_graph_destroy(g);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Whether case c's module holds rnn_small.c's packed R (the IR names the global): the
 * small-batch step was emitted. */
static bool emits_small_step(const cfg *c, const char *file) {
    return ir_has(c, file, "rnn_small.R");
}

/* Whether its blocks run as the pool's tasks (the IR defines their function). */
static bool splits_small_step(const cfg *c, const char *file) {
    return ir_has(c, file, ".small.task(");
}

/* Whether the host can run code for cpu v of {the host's, x86-64-v3}; says so if not. */
static bool runs_cpu(int v) {
#if defined(__x86_64__)
    if (v && (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))) {
        print_message("small step: x86-64-v3 skipped: this host cannot run avx2+fma\n");
        return false;
    }
    return true;
#else
    return !v;
#endif
}

/* Cases cs (constant W and R; glc_fuse_cell as the fuse-cell pass chooses) at the host's
 * vector width and for x86-64-v3: each takes the small step (checked in the IR) and
 * matches the interpreter. */
static void check_small(cfg *cs, size_t n, const char *tag) {
    static const char *const cpus[2] = {NULL, "x86-64-v3"};
    for (int v = 0; v < 2 && runs_cpu(v); v++) {
        cg_cpu = cpus[v];
        char f[96];
        for (size_t k = 0; k < n; k++) {
            cs[k].const_w = true;
            snprintf(f, sizeof f, "%s%d_%zu", tag, v, k);
            if (!emits_small_step(&cs[k], f)) fail_msg("%s: case %zu: no small step", tag, k);
            strcat(f, ".so");
            check(&cs[k], f);
        }
    }
    cg_cpu = NULL;
}

/* The small-batch step (rnn_small.c: fused cells, batch <= 4): LSTM, GRU
 * (linear_before_reset = 1) and RNN at batches 1 to 4, against the interpreter: both
 * directions and layouts, initial h and c, peepholes, clip, input_forget, other
 * activations, odd and even step counts, hidden sizes that leave a partial vector of
 * units (7, 13, 20, 40) or none (16, 32, 64), projections in chunks; at the host's vector
 * width and for x86-64-v3 (8 lanes, where the host runs AVX2). Every case takes the small
 * step and batch 5 the GEMM one (checked in the emitted IR). */
static void test_lower_rnn__small_batch_step(void **state) {
    (void)state;
    static const char *const acts[3] = {"HardSigmoid", "ScaledTanh", "Softsign"};
    static const float al[2] = {0.3f, 1.2f}, be[2] = {0.4f, 0.7f};
    cfg cs[] = {
        {GLC_OP_LSTM, 5, 1, 4, 7, .bias = 1, .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}},
        {GLC_OP_LSTM, 4, 2, 5, 20, .direction = "bidirectional", .layout = 1, .bias = 1,
         .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}, .clip = 0.8f},
        {GLC_OP_LSTM, 6, 3, 3, 16, .direction = "reverse", .bias = 1, .want = {1, 0, 1},
         .input_forget = 1, .acts = acts, .n_acts = 3, .alpha = al, .beta = be, .n_alpha = 2,
         .n_beta = 2},
        {GLC_OP_LSTM, 9, 4, 6, 40, .direction = "bidirectional", .h0 = 1, .c0 = 1,
         .want = {1, 1, 1}, .hoist = 4},
        {GLC_OP_LSTM, 3, 1, 7, 64, .bias = 1, .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}},
        {GLC_OP_GRU, 5, 1, 4, 13, .bias = 1, .h0 = 1, .want = {1, 1, 0}, .lbr = 1},
        {GLC_OP_GRU, 4, 3, 5, 32, .direction = "bidirectional", .layout = 1, .bias = 1,
         .h0 = 1, .want = {1, 1, 0}, .lbr = 1, .clip = 0.9f},
        {GLC_OP_GRU, 7, 4, 3, 20, .direction = "reverse", .want = {0, 1, 0}, .lbr = 1,
         .acts = acts + 1, .n_acts = 2, .alpha = al + 1, .beta = be + 1, .n_alpha = 1,
         .n_beta = 1},
        {GLC_OP_RNN, 5, 1, 4, 13, .bias = 1, .h0 = 1, .want = {1, 1, 0}},
        {GLC_OP_RNN, 4, 2, 6, 32, .direction = "bidirectional", .layout = 1, .bias = 1,
         .want = {1, 1, 0}, .clip = 0.9f},
        {GLC_OP_RNN, 6, 4, 3, 9, .direction = "reverse", .h0 = 1, .want = {1, 0, 0},
         .acts = acts + 2, .n_acts = 1},
    };
    size_t n = sizeof cs / sizeof cs[0];
    static const char *const cpus[2] = {NULL, "x86-64-v3"};
    for (int v = 0; v < 2; v++) {
#if defined(__x86_64__)
        if (v && (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))) {
            print_message("small batch: x86-64-v3 skipped: this host cannot run avx2+fma\n");
            break;
        }
#else
        if (v) break;
#endif
        cg_cpu = cpus[v];
        char f[64];
        for (size_t k = 0; k < n; k++) {
            cs[k].const_w = true;
            cs[k].fuse = 1;
            assert_true(emits_small_step(&cs[k], "small.ll"));
            snprintf(f, sizeof f, "small%d_%zu.so", v, k);
            check(&cs[k], f);
        }
        cfg five = cs[0];
        five.N = 5;
        assert_false(emits_small_step(&five, "small5.ll"));
    }
    cg_cpu = NULL;
}

/* Where the small step pays (rnn_small_pays): with AVX-512 code an LSTM of hidden 256 (R_d
 * 1 MiB) keeps the GEMM step, hidden 128 and a GRU of 256 (768 KiB) take the small one;
 * with AVX2 code every size does, unless --bf16-weights. (IR only: the host need not run
 * the code.) */
static void test_lower_rnn__small_step_only_where_it_pays(void **state) {
    (void)state;
    cfg c = {GLC_OP_LSTM, 2, 1, 3, 256, .bias = 1, .want = {1, 0, 0}, .const_w = true,
             .fuse = 1};
    cg_cpu = "x86-64-v4";
    ir_features = "+avx512f";
    assert_false(emits_small_step(&c, "pays.ll"));
    c.H = 128;
    assert_true(emits_small_step(&c, "pays.ll"));
    cfg gru = {GLC_OP_GRU, 2, 1, 3, 256, .bias = 1, .want = {1, 0, 0}, .lbr = 1,
               .const_w = true, .fuse = 1};
    assert_true(emits_small_step(&gru, "pays.ll"));
    cg_cpu = "x86-64-v3";
    ir_features = NULL;
    c.H = 256;
    assert_true(emits_small_step(&c, "pays.ll"));
    ir_bf16_weights = true; /* the GEMM step keeps R as bf16: the option holds */
    assert_false(emits_small_step(&c, "pays.ll"));
    ir_bf16_weights = false;
    cg_cpu = NULL;
}

/* sequence_lens at batches 1 to 4 (a row of length 0, rows shorter than S, one longer
 * than S, one of S): the small step tests each row's length (Y zero past it, Y_h and Y_c
 * the last valid step's) in every direction: LSTM with every input, both layouts, clip,
 * peepholes, input_forget, only Y_h; GRU with both reset forms; RNN; odd and even S,
 * projections in chunks (forward only: a reverse direction's rows do not share time
 * indices); a step split over the pool (GRU hidden 256 at batch 2). */
static void test_lower_rnn__small_step_with_sequence_lens(void **state) {
    (void)state;
    static const int32_t l1[1] = {3}, l2[2] = {5, 0}, l3[3] = {2, 9, 4}, l4[4] = {1, 4, 0, 5};
    static const int32_t *const lens[4] = {l1, l2, l3, l4};
    for (int64_t n = 1; n <= 4; n++) {
        const int32_t *sl = lens[n - 1];
        cfg cs[] = {
            {GLC_OP_LSTM, 5, n, 4, 20, .direction = "bidirectional", .layout = (int)(n % 2),
             .bias = 1, .h0 = 1, .c0 = 1, .peep = 1, .seq_lens = sl, .want = {1, 1, 1},
             .clip = 0.8f},
            {GLC_OP_LSTM, 6, n, 3, 16, .bias = 1, .seq_lens = sl, .want = {1, 1, 1},
             .input_forget = 1, .hoist = 4},
            {GLC_OP_LSTM, 5, n, 3, 9, .direction = "reverse", .h0 = 1, .seq_lens = sl,
             .want = {0, 1, 0}},
            {GLC_OP_GRU, 5, n, 4, 13, .direction = "reverse", .bias = 1, .h0 = 1,
             .seq_lens = sl, .want = {1, 1, 0}, .lbr = 1},
            {GLC_OP_GRU, 4, n, 4, 20, .direction = "bidirectional", .bias = 1, .h0 = 1,
             .seq_lens = sl, .want = {1, 1, 0}, .layout = 1},
            {GLC_OP_GRU, 5, n, 3, 8, .bias = 1, .seq_lens = sl, .want = {1, 1, 0}, .hoist = 2},
            {GLC_OP_RNN, 5, n, 6, 9, .direction = "reverse", .layout = 1, .h0 = 1,
             .seq_lens = sl, .want = {1, 1, 0}},
            {GLC_OP_RNN, 4, n, 5, 24, .direction = "bidirectional", .bias = 1, .seq_lens = sl,
             .want = {1, 1, 0}},
        };
        char tag[32];
        snprintf(tag, sizeof tag, "small_sl%lld_", (long long)n);
        check_small(cs, sizeof cs / sizeof cs[0], tag);
    }
    cfg split = {GLC_OP_GRU, 3, 2, 5, 256, .direction = "bidirectional", .bias = 1, .h0 = 1,
                 .seq_lens = l2, .want = {1, 1, 0}};
    check_small(&split, 1, "small_sl_split");
    assert_true(splits_small_step(&split, "small_sl_split.ll"));
}

/* Whether case c's small step computes the input projection itself (the IR holds
 * rnn_small.c's packed W). */
static bool small_step_projects_input(const cfg *c, const char *file) {
    return ir_has(c, file, "rnn_small.W");
}

/* Cases cs with their S steps and glc_hoist_steps `hoist` at the host's vector width and
 * for x86-64-v3: the small step computes the input projection (in_step) or reads the
 * hoisted one, as the IR shows, and matches the interpreter. */
static void check_input_in_step(cfg *cs, size_t n, int64_t S, int64_t hoist, bool in_step,
                                const char *tag) {
    static const char *const cpus[2] = {NULL, "x86-64-v3"};
    for (int v = 0; v < 2 && runs_cpu(v); v++) {
        cg_cpu = cpus[v];
        char f[96];
        for (size_t k = 0; k < n; k++) {
            cs[k].S = S;
            cs[k].hoist = hoist;
            cs[k].const_w = true;
            snprintf(f, sizeof f, "%s%d_%zu", tag, v, k);
            if (!emits_small_step(&cs[k], f)) fail_msg("%s: case %zu: no small step", tag, k);
            if (small_step_projects_input(&cs[k], f) != in_step)
                fail_msg("%s: case %zu: input projection %s the step", tag, k,
                         in_step ? "not in" : "in");
            strcat(f, ".so");
            check(&cs[k], f);
        }
    }
    cg_cpu = NULL;
}

/* The small step computing x W^T itself, in its own accumulators over W packed as R (no
 * hoisted GEMM, no xw), where a chunk of the projection is one step: T = 1 (a streamed
 * step) and T = 4 with glc_hoist_steps 1; at batches 1 to 4, with and without
 * sequence_lens (lengths 0, within and past S): LSTM with every input, GRU with both reset
 * forms, RNN, forward, reverse and bidirectional, both layouts, hidden sizes with and
 * without a partial vector (input sizes that run the k loop at least twice: in one pass
 * LLVM may fold the packed W into the code, and the IR check miss it). The T = 4 cases
 * with the projection hoisted over all steps keep the GEMM projection. */
static void test_lower_rnn__small_step_computes_the_input_projection(void **state) {
    (void)state;
    static const int32_t l1[1] = {3}, l2[2] = {1, 0}, l3[3] = {2, 5, 0}, l4[4] = {0, 4, 1, 3};
    static const int32_t *const lens[4] = {l1, l2, l3, l4};
    for (int64_t n = 1; n <= 4; n++) {
        const int32_t *sl = lens[n - 1];
        cfg cs[] = {
            {GLC_OP_LSTM, 1, n, 5, 20, .direction = "bidirectional", .layout = (int)(n % 2),
             .bias = 1, .h0 = 1, .c0 = 1, .peep = 1, .want = {1, 1, 1}},
            {GLC_OP_LSTM, 1, n, 7, 16, .bias = 1, .seq_lens = sl, .want = {1, 1, 1},
             .clip = 0.8f},
            {GLC_OP_GRU, 1, n, 4, 13, .direction = "bidirectional", .bias = 1, .h0 = 1,
             .seq_lens = sl, .want = {1, 1, 0}, .lbr = 1},
            {GLC_OP_GRU, 1, n, 6, 16, .direction = "reverse", .layout = 1, .bias = 1, .h0 = 1,
             .want = {1, 1, 0}, .lbr = 1},
            {GLC_OP_GRU, 1, n, 4, 20, .direction = "bidirectional", .bias = 1, .h0 = 1,
             .seq_lens = sl, .want = {1, 1, 0}},
            {GLC_OP_GRU, 1, n, 11, 9, .layout = 1, .bias = 1, .want = {1, 1, 0}},
            {GLC_OP_RNN, 1, n, 13, 24, .direction = "reverse", .bias = 1, .h0 = 1,
             .seq_lens = sl, .want = {1, 1, 0}},
        };
        size_t k = sizeof cs / sizeof cs[0];
        char tag[32];
        snprintf(tag, sizeof tag, "xin_t1_%lld_", (long long)n);
        check_input_in_step(cs, k, 1, 0, true, tag);
        snprintf(tag, sizeof tag, "xin_t4_%lld_", (long long)n);
        check_input_in_step(cs, k, 4, 1, true, tag);
        snprintf(tag, sizeof tag, "xin_hoisted_%lld_", (long long)n);
        check_input_in_step(cs, k, 4, 4, false, tag);
    }
}

/* Case c compiled and run with every output byte 0xff (NaN) beforehand, against the
 * interpreter: the code writes every element (cg_check_vs_interp's outputs start at 0,
 * which would hide a missing zero). */
static void check_writes_all(const cfg *c, const char *file) {
    glc_graph *g = build(c);
    glc_rt_model *m = cg_compile(g, file);
    const glc_model_desc *mi = glc_rt_model_desc(m);
    void *in[8], *out[3], *want[3];
    unsigned seed = 99;
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        in[i] = malloc(glc_value_nbytes(&g->values[g->inputs[i]]) + 1);
        cg_fill(&g->values[g->inputs[i]], in[i], &seed);
    }
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        size_t n = glc_value_nbytes(&g->values[g->outputs[i]]);
        memset(out[i] = malloc(n + 1), 0xff, n);
        want[i] = calloc(1, n + 1);
    }
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_interp_run(g, (const void *const *)in, want, &d)) fail_msg("interp: %s", d.msg);
    void *ws = aligned_alloc(64, (mi->workspace_size + 63) / 64 * 64 + 64);
    assert_int_equal(glc_rt_model_run(m, (const void *const *)in, NULL, out, ws,
                                      mi->workspace_size),
                     GLC_RT_OK);
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        cg_compare(&g->values[g->outputs[i]], out[i], want[i]);
        free(out[i]);
        free(want[i]);
    }
    for (uint32_t i = 0; i < g->n_inputs; i++)
        free(in[i]);
    free(ws);
    glc_rt_model_close(m);
    glc_graph_destroy(g);
}

/* Y past each row's length is written as zeros by the small step, not left as it was
 * (outputs NaN beforehand): LSTM bidirectional and GRU (linear_before_reset = 0) reverse
 * at batch 3, a row of length 0. */
static void test_lower_rnn__small_step_writes_zeros_past_the_length(void **state) {
    (void)state;
    static const int32_t lens[3] = {2, 0, 4};
    cfg cs[] = {
        {GLC_OP_LSTM, 4, 3, 5, 20, .direction = "bidirectional", .bias = 1, .seq_lens = lens,
         .want = {1, 1, 1}, .const_w = true},
        {GLC_OP_GRU, 4, 3, 5, 13, .direction = "reverse", .bias = 1, .seq_lens = lens,
         .want = {1, 1, 0}, .const_w = true},
    };
    for (size_t k = 0; k < 2; k++) {
        assert_true(emits_small_step(&cs[k], "zeros.ll"));
        check_writes_all(&cs[k], k ? "zeros1.so" : "zeros0.so");
    }
}

/* GRU with linear_before_reset = 0 (two passes: z and r h, then the h gate) and GRU with
 * linear_before_reset = 1 at batches 2 to 4, where the fuse-cell pass keeps the GEMM step
 * unfused: the small step at batches 1 to 4, every direction, both layouts, initial h,
 * clip, other activations, a partial vector of units or none, odd and even S, projections
 * in chunks, a step split over the pool (hidden 256 at batch 2). */
static void test_lower_rnn__small_step_gru_both_reset_forms(void **state) {
    (void)state;
    static const char *const acts[2] = {"HardSigmoid", "Softsign"};
    static const float al[1] = {0.3f}, be[1] = {0.4f};
    for (int64_t n = 1; n <= 4; n++) {
        cfg cs[] = {
            {GLC_OP_GRU, 5, n, 4, 13, .bias = 1, .h0 = 1, .want = {1, 1, 0}},
            {GLC_OP_GRU, 4, n, 5, 32, .direction = "bidirectional", .layout = 1, .bias = 1,
             .h0 = 1, .want = {1, 1, 0}, .clip = 0.9f},
            {GLC_OP_GRU, 7, n, 3, 20, .direction = "reverse", .want = {1, 1, 0},
             .acts = acts, .n_acts = 2, .alpha = al, .beta = be, .n_alpha = 1, .n_beta = 1,
             .hoist = 3},
            {GLC_OP_GRU, 4, n, 6, 16, .direction = "reverse", .bias = 1, .want = {1, 1, 0},
             .lbr = 1},
            {GLC_OP_GRU, 5, n, 3, 40, .direction = "bidirectional", .h0 = 1, .want = {0, 1, 0},
             .lbr = 1},
        };
        char tag[32];
        snprintf(tag, sizeof tag, "small_gru%lld_", (long long)n);
        check_small(cs, sizeof cs / sizeof cs[0], tag);
    }
    cfg split = {GLC_OP_GRU, 3, 2, 5, 256, .bias = 1, .h0 = 1, .want = {1, 1, 0}};
    check_small(&split, 1, "small_gru_split");
    assert_true(splits_small_step(&split, "small_gru_split.ll"));
}

/* A constant B: bs (Wb + Rb, Wb alone for GRU's h gate with linear_before_reset = 1) is a
 * constant of the module, not a sum at every call: LSTM, GRU of both reset forms and RNN,
 * bidirectional, on the small step (batch 2) and the GEMM one (batch 6, W and R fed at
 * run time, the small step at batch 3), against the interpreter. */
static void test_lower_rnn__constant_bias_summed_at_compile_time(void **state) {
    (void)state;
    cfg cs[] = {
        {GLC_OP_LSTM, 4, 2, 5, 20, .direction = "bidirectional", .bias = 1, .h0 = 1,
         .peep = 1, .want = {1, 1, 1}},
        {GLC_OP_GRU, 5, 2, 4, 13, .direction = "bidirectional", .bias = 1, .want = {1, 1, 0},
         .lbr = 1},
        {GLC_OP_GRU, 3, 2, 4, 16, .direction = "bidirectional", .bias = 1, .want = {1, 1, 0}},
        {GLC_OP_RNN, 4, 2, 6, 9, .direction = "bidirectional", .bias = 1, .want = {1, 1, 0}},
    };
    char f[64];
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        cs[k].const_b = true;
        check_small(&cs[k], 1, "const_b");
        cfg big = cs[k];
        big.N = 6;
        snprintf(f, sizeof f, "const_b_gemm%zu.so", k);
        check(&big, f);
        big.N = 3;
        big.const_w = false;
        snprintf(f, sizeof f, "const_b_rt%zu.so", k);
        check(&big, f);
    }
}

typedef struct sym_rnn {
    bool gru;
    int64_t I, H;
    bool lbr0; /* GRU with linear_before_reset = 0 (marked with limit 0, as the pass does) */
} sym_rnn;

/* An LSTM (or a GRU with linear_before_reset = 1) on X (T, N, I), B and initial_h (1, N,
 * H), T and N symbolic, constant W and R, marked glc_fuse_cell = 1 and
 * glc_fuse_cell_max_batch = 8 (GRU: 1), as the fuse-cell pass marks an unbounded batch. */
static void build_sym_fused(glc_graph *g, const void *ctx) {
    const sym_rnn *c = ctx;
    bool gru = c->gru;
    int64_t H = c->H, I = c->I, G = gru ? 3 : 4;
    glc_dim T = glc_dim_symbol(g, "T"), N = glc_dim_symbol(g, "N");
    g->opset = 14;
    glc_value_id in[6] = {cg_in(g, "X", GLC_DT_F32, 3, (int64_t[]){T, N, I}),
                          small_weight(g, "W", 1, G * H, I), small_weight(g, "R", 1, G * H, H),
                          cg_in(g, "B", GLC_DT_F32, 2, (int64_t[]){1, 2 * G * H}), 0,
                          cg_in(g, "initial_h", GLC_DT_F32, 3, (int64_t[]){1, N, H})};
    static const char *names[3] = {"Y", "Y_h", "Y_c"};
    glc_value_id out[3];
    int n_out = gru ? 2 : 3;
    for (int k = 0; k < n_out; k++)
        out[k] = glc_graph_add_value(g, names[k], GLC_DT_UNDEF, 0, NULL);
    glc_node_id id =
        glc_graph_add_node(g, gru ? GLC_OP_GRU : GLC_OP_LSTM, "rnn", in, 6, out, n_out);
    glc_node_set_int(g, id, "hidden_size", H);
    if (gru && !c->lbr0) glc_node_set_int(g, id, "linear_before_reset", 1);
    glc_node_set_int(g, id, GLC_ATTR_FUSE_CELL, 1);
    glc_node_set_int(g, id, GLC_ATTR_FUSE_CELL_MAX_BATCH, c->lbr0 ? 0 : gru ? 1 : 8);
    for (int k = 0; k < n_out; k++)
        glc_graph_add_output(g, out[k]);
}

/* A symbolic batch with glc_fuse_cell_max_batch: one model runs the fused step at batches
 * up to the limit and the unfused one above it (LSTM 1, 3, 8 | 9, 13; GRU 1 | 2, 5), odd
 * and even step counts (the fused step's h alternates between two buffers; Y_h after an
 * odd count), against the interpreter, on 1 and 3 threads. Products of K > 256 (input 300
 * or hidden 300) with run-time rows: panels outermost when the rows make one M block,
 * K blocks outermost when they do not (1200 rows of the input product). */
static void test_lower_rnn__symbolic_batch_fused_up_to_the_limit(void **state) {
    (void)state;
    sym_rnn lstm = {false, 6, 40, false}, gru = {true, 6, 40, false},
            wide_h = {false, 6, 300, false}, wide_i = {false, 300, 40, false};
    cg_sym_dims lr[] = {{{{5, 3, 6}, {1, 320}, {1, 3, 40}}},
                        {{{4, 1, 6}, {1, 320}, {1, 1, 40}}},
                        {{{3, 8, 6}, {1, 320}, {1, 8, 40}}},
                        {{{5, 13, 6}, {1, 320}, {1, 13, 40}}},
                        {{{2, 9, 6}, {1, 320}, {1, 9, 40}}}};
    cg_check_sym_vs_interp(build_sym_fused, &lstm, "lstm_sym_fused.so", lr, 5, 0);
    cg_sym_dims gr[] = {{{{3, 1, 6}, {1, 240}, {1, 1, 40}}},
                        {{{4, 2, 6}, {1, 240}, {1, 2, 40}}},
                        {{{5, 5, 6}, {1, 240}, {1, 5, 40}}}};
    cg_check_sym_vs_interp(build_sym_fused, &gru, "gru_sym_fused.so", gr, 3, 0);
    cg_sym_dims hr[] = {{{{3, 2, 6}, {1, 2400}, {1, 2, 300}}},
                        {{{2, 11, 6}, {1, 2400}, {1, 11, 300}}}};
    cg_check_sym_vs_interp(build_sym_fused, &wide_h, "lstm_sym_wide_h.so", hr, 2, 0);
    cg_sym_dims ir[] = {{{{3, 2, 300}, {1, 320}, {1, 2, 40}}},
                        {{{30, 40, 300}, {1, 320}, {1, 40, 40}}}};
    cg_check_sym_vs_interp(build_sym_fused, &wide_i, "lstm_sym_wide_i.so", ir, 2, 0);
}

/* A symbolic batch: the small steps at run-time batches 1 to 4 (each its own code), the
 * GEMM steps above (LSTM 5 fused, 11 unfused; GRU of either reset form unfused at 5), odd
 * and even step counts, hidden 40 (a partial vector of units) and 16, on 1 and 3
 * threads. */
static void test_lower_rnn__symbolic_batch_small_steps(void **state) {
    (void)state;
    sym_rnn lstm = {false, 6, 40, false}, gru = {true, 5, 16, false}, gru0 = {true, 5, 40, true};
    cg_sym_dims lr[] = {{{{5, 1, 6}, {1, 320}, {1, 1, 40}}},
                        {{{4, 2, 6}, {1, 320}, {1, 2, 40}}},
                        {{{3, 3, 6}, {1, 320}, {1, 3, 40}}},
                        {{{6, 4, 6}, {1, 320}, {1, 4, 40}}},
                        {{{5, 5, 6}, {1, 320}, {1, 5, 40}}},
                        {{{2, 11, 6}, {1, 320}, {1, 11, 40}}}};
    cg_check_sym_vs_interp(build_sym_fused, &lstm, "lstm_sym_small.so", lr, 6, 0);
    cg_sym_dims gr[] = {{{{3, 1, 5}, {1, 96}, {1, 1, 16}}},
                        {{{4, 2, 5}, {1, 96}, {1, 2, 16}}},
                        {{{5, 4, 5}, {1, 96}, {1, 4, 16}}},
                        {{{3, 5, 5}, {1, 96}, {1, 5, 16}}}};
    cg_check_sym_vs_interp(build_sym_fused, &gru, "gru_sym_small.so", gr, 4, 0);
    cg_sym_dims g0[] = {{{{3, 1, 5}, {1, 240}, {1, 1, 40}}},
                        {{{4, 3, 5}, {1, 240}, {1, 3, 40}}},
                        {{{2, 6, 5}, {1, 240}, {1, 6, 40}}}};
    cg_check_sym_vs_interp(build_sym_fused, &gru0, "gru0_sym_small.so", g0, 3, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_rnn__lstm_forward_all_inputs_and_outputs),
        cmocka_unit_test(test_lower_rnn__cells_split_into_tasks),
        cmocka_unit_test(test_lower_rnn__lstm_bidirectional_layout1_seq_lens_clip),
        cmocka_unit_test(test_lower_rnn__lstm_reverse_input_forget_activations_only_yc),
        cmocka_unit_test(test_lower_rnn__lstm_unbounded_activations_only_yh),
        cmocka_unit_test(test_lower_rnn__gru_both_reset_forms_bidirectional_seq_lens),
        cmocka_unit_test(test_lower_rnn__gru_layout1_reverse_clip_activations),
        cmocka_unit_test(test_lower_rnn__rnn_all_directions_and_layouts),
        cmocka_unit_test(test_lower_rnn__lstm_odd_sizes_bidirectional_seq_lens),
        cmocka_unit_test(test_lower_rnn__lstm_chunked_projection_seq_lens),
        cmocka_unit_test(test_lower_rnn__gru_chunked_layout1_bidirectional),
        cmocka_unit_test(test_lower_rnn__rnn_chunked_reverse),
        cmocka_unit_test(test_lower_rnn__hoist_steps_chosen_by_the_attribute),
        cmocka_unit_test(test_lower_rnn__hoist_steps_size_the_projection_buffer),
        cmocka_unit_test(test_lower_rnn__lstm_cells_fused_into_the_product),
        cmocka_unit_test(test_lower_rnn__gru_and_rnn_cells_fused_into_the_product),
        cmocka_unit_test(test_lower_rnn__symbolic_batch_fused_up_to_the_limit),
        cmocka_unit_test(test_lower_rnn__small_batch_step),
        cmocka_unit_test(test_lower_rnn__small_step_with_sequence_lens),
        cmocka_unit_test(test_lower_rnn__small_step_computes_the_input_projection),
        cmocka_unit_test(test_lower_rnn__small_step_gru_both_reset_forms),
        cmocka_unit_test(test_lower_rnn__small_step_writes_zeros_past_the_length),
        cmocka_unit_test(test_lower_rnn__constant_bias_summed_at_compile_time),
        cmocka_unit_test(test_lower_rnn__small_step_only_where_it_pays),
        cmocka_unit_test(test_lower_rnn__symbolic_batch_small_steps),
    };
    return cmocka_run_group_tests_name("lower_rnn", tests, cg_group_setup, cg_group_teardown);
}
