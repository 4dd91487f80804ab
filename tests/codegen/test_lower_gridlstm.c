/* test_lower_gridlstm.c -- compiled glc.GridLSTM (codegen/lower_gridlstm.c) against the
 * reference interpreter on random data, over the attribute space: K = 1 and 2, one and
 * several layers, tied and untied weights, priority on and off, W_in and B present or
 * absent, weights as constants or run-time inputs, activations with alpha/beta and clip,
 * degenerate grids (one row, one column, one position), and grids whose hoisted products
 * are split into chunks of positions. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

typedef struct cfg {
    int k;                      /* scanned axes */
    int64_t N, C, F, L, S1, S2; /* S2 unused when k = 1 */
    int tied, priority;         /* priority -1: attribute not set (default 1) */
    bool bias, w_in;
    bool constant;              /* weights as constants (else graph inputs) */
    float clip;                 /* 0 = none */
    int wave;                   /* glc_wavefront: -1 not set (the pass decides), 0, 1 */
    const char *const *acts;    /* 3 names or NULL */
    const float *alpha, *beta;
    int n_alpha, n_beta;
} cfg;

static void add_attrs(glc_graph *g, glc_node_id id, const cfg *c) {
    glc_node_set_int(g, id, "hidden_size", c->F);
    glc_node_set_int(g, id, "num_layers", c->L);
    if (c->tied) glc_node_set_int(g, id, "tied", 1);
    if (c->priority >= 0) glc_node_set_int(g, id, "priority", c->priority);
    if (c->clip > 0) glc_node_set_float(g, id, "clip", c->clip);
    if (c->acts) {
        glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 3, .strings = c->acts};
        glc_node_set_attr(g, id, &a);
    }
    if (c->alpha) glc_node_set_floats(g, id, "activation_alpha", c->alpha, (uint32_t)c->n_alpha);
    if (c->beta) glc_node_set_floats(g, id, "activation_beta", c->beta, (uint32_t)c->n_beta);
    if (c->wave >= 0) glc_node_set_int(g, id, GLC_ATTR_WAVEFRONT, c->wave);
}

/* A weight: a graph input, or a constant filled with U(-1, 1). */
static glc_value_id weight(glc_graph *g, const cfg *c, const char *name, int rank,
                           const int64_t *dims, unsigned *seed) {
    if (!c->constant) return cg_in(g, name, GLC_DT_F32, rank, dims);
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (float)rand_r(seed) / (float)RAND_MAX * 2.0f - 1.0f;
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, rank, dims, v);
    free(v);
    return id;
}

static glc_graph *build(const cfg *c) {
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    unsigned seed = 99;
    int64_t K1 = c->k + 1, Lw = c->tied ? 1 : c->L, F = c->F;
    int64_t x[4] = {c->N, c->C, c->S1, c->S2};
    int64_t w[4] = {Lw, K1, 4 * F, K1 * F}, b[3] = {Lw, K1, 4 * F}, wi[2] = {F, c->C};
    glc_value_id in[4] = {cg_in(g, "X", GLC_DT_F32, 2 + c->k, x),
                          weight(g, c, "W", 4, w, &seed), 0, 0};
    if (c->bias) in[2] = weight(g, c, "B", 3, b, &seed);
    if (c->w_in) in[3] = weight(g, c, "W_in", 2, wi, &seed);
    int n_in = c->w_in ? 4 : c->bias ? 3 : 2;
    glc_node_id id;
    glc_value_id y = cg_node(g, GLC_OP_GRIDLSTM, "grid", in, n_in, &id);
    add_attrs(g, id, c);
    glc_graph_add_output(g, y);
    return g;
}

static void check(const cfg *c, const char *file) {
    glc_graph *g = build(c);
    cg_check_vs_interp(g, file);
    glc_graph_destroy(g);
}

static void test_lower_gridlstm__k1_two_layers_untied_w_in_bias_runtime_weights(void **state) {
    (void)state;
    check(&(cfg){.k = 1, .N = 2, .C = 3, .F = 4, .L = 2, .S1 = 7, .priority = -1, .bias = true,
                 .w_in = true},
          "g1.so");
}

static void test_lower_gridlstm__k1_three_layers_tied_priority0_no_w_in_no_bias(void **state) {
    (void)state;
    check(&(cfg){.k = 1, .N = 3, .C = 5, .F = 5, .L = 3, .S1 = 9, .tied = 1, .priority = 0},
          "g2.so");
}

static void test_lower_gridlstm__k1_one_position_constant_weights(void **state) {
    (void)state;
    check(&(cfg){.k = 1, .N = 2, .C = 2, .F = 3, .L = 2, .S1 = 1, .priority = 1, .bias = true,
                 .w_in = true, .constant = true},
          "g3.so");
}

static void test_lower_gridlstm__k2_two_layers_priority_w_in_without_bias(void **state) {
    (void)state;
    check(&(cfg){.k = 2, .N = 2, .C = 3, .F = 4, .L = 2, .S1 = 4, .S2 = 5, .priority = 1,
                 .w_in = true},
          "g4.so");
}

static void test_lower_gridlstm__k2_three_layers_tied_priority0_constant(void **state) {
    (void)state;
    check(&(cfg){.k = 2, .N = 1, .C = 3, .F = 3, .L = 3, .S1 = 5, .S2 = 3, .tied = 1,
                 .priority = 0, .bias = true, .constant = true},
          "g5.so");
}

static void test_lower_gridlstm__k2_single_row_and_single_column(void **state) {
    (void)state;
    check(&(cfg){.k = 2, .N = 3, .C = 2, .F = 2, .L = 2, .S1 = 1, .S2 = 6, .priority = -1,
                 .bias = true, .w_in = true},
          "g6.so");
    check(&(cfg){.k = 2, .N = 3, .C = 2, .F = 2, .L = 2, .S1 = 6, .S2 = 1, .priority = 0,
                 .bias = true, .w_in = true},
          "g7.so");
}

static void test_lower_gridlstm__activations_alpha_beta_and_clip(void **state) {
    (void)state;
    static const char *const acts[3] = {"HardSigmoid", "ScaledTanh", "Softsign"};
    static const float alpha[2] = {0.3f, 0.9f}, beta[2] = {0.45f, 1.3f};
    check(&(cfg){.k = 2, .N = 2, .C = 3, .F = 3, .L = 2, .S1 = 3, .S2 = 4, .priority = 1,
                 .bias = true, .w_in = true, .clip = 0.8f, .acts = acts, .alpha = alpha,
                 .beta = beta, .n_alpha = 2, .n_beta = 2},
          "g8.so");
    static const char *const acts1[3] = {"Sigmoid", "Elu", "LeakyRelu"};
    static const float alpha1[2] = {0.7f, 0.2f};
    check(&(cfg){.k = 1, .N = 2, .C = 4, .F = 4, .L = 3, .S1 = 6, .priority = 0, .bias = true,
                 .clip = 1.5f, .acts = acts1, .alpha = alpha1, .n_alpha = 2},
          "g9.so");
}

/* Once refused (its state exceeded a 1 MiB stack budget); now workspace. */
static void test_lower_gridlstm__wide_grid_state_in_workspace(void **state) {
    (void)state;
    check(&(cfg){.k = 2, .N = 1, .C = 8, .F = 8, .L = 3, .S1 = 2, .S2 = 300, .priority = -1,
                 .bias = true},
          "wide.so");
}

/* ag = (Pc, N, (K+1)4F) exceeds the 2^19-float chunk budget: N (K+1)4F = 4*3*4*24 = 1152
 * floats per position, at most 455 of the 4*250 = 1000 positions per chunk (334, 334, 332):
 * several chunks, a shorter last one, grid rows crossing chunk borders; batch rows > 1. */
static void test_lower_gridlstm__chunked_positions_k2_batch4(void **state) {
    (void)state;
    check(&(cfg){.k = 2, .N = 4, .C = 5, .F = 24, .L = 2, .S1 = 4, .S2 = 250, .priority = 1,
                 .bias = true, .w_in = true, .constant = true},
          "chunk2.so");
}

/* K = 1, untied constant weights (layers unrolled), chunks with a remainder: N (K+1)4F =
 * 16*2*4*8 = 1024 floats per position, at most 512 of 1093 per chunk (365, 365, 363). */
static void test_lower_gridlstm__chunked_positions_k1_unrolled_layers(void **state) {
    (void)state;
    check(&(cfg){.k = 1, .N = 16, .C = 8, .F = 8, .L = 3, .S1 = 1093, .priority = 0,
                 .bias = true, .constant = true},
          "chunk1.so");
}

/* N F = 6*1024 cells per block reach CELLS_PAR_MIN and every product is large enough to
 * split: the cells of 6 batch rows and the products' column panels run as tasks (on the
 * default pool, then bitwise the same on 1 and 3 threads in cg_check_thread_invariance:
 * uneven splits). Sums of 3072 products: compared norm-wise. */
static void test_lower_gridlstm__cells_and_products_split_into_tasks(void **state) {
    (void)state;
    glc_graph *g = build(&(cfg){.k = 2, .N = 6, .C = 4, .F = 1024, .L = 1, .S1 = 2, .S2 = 2,
                                .priority = 1, .bias = true, .w_in = true, .constant = true});
    cg_check_vs_interp_tol(g, "tasks.so", 1e-4);
    glc_graph_destroy(g);
}

/* The wavefront schedule (K = 1, tied, glc_wavefront = 1): diagonals of the (time, layer)
 * grid as one product each. Grids with fewer steps than layers and more, one step, one
 * layer; buckets 1, 2, 4, 8 and 11 (cmax 11: every diagonal length 1..11 on the ramps,
 * products of rows past the diagonal's cells); priority on and off; runtime and constant
 * weights; batch rows > 1. */
static void test_lower_gridlstm__wavefront_k1_tied_grids(void **state) {
    (void)state;
    static const struct {
        int64_t N, C, F, L, T;
        int priority;
        bool w_in, constant;
    } g[] = {{2, 3, 4, 3, 7, 1, true, false},  {3, 5, 5, 4, 2, 0, false, true},
             {1, 4, 6, 11, 20, 1, true, true}, {2, 4, 3, 5, 1, 1, true, false},
             {2, 3, 4, 1, 6, 0, true, true},   {4, 9, 9, 6, 6, 1, false, false}};
    for (size_t k = 0; k < sizeof g / sizeof g[0]; k++) {
        char file[32];
        snprintf(file, sizeof file, "wave%zu.so", k);
        check(&(cfg){.k = 1, .N = g[k].N, .C = g[k].C, .F = g[k].F, .L = g[k].L, .S1 = g[k].T,
                     .tied = 1, .priority = g[k].priority, .bias = true, .w_in = g[k].w_in,
                     .constant = g[k].constant, .wave = 1},
              file);
    }
}

/* The wavefront's cells with clip and other activations; then its gather (cmax N 2F =
 * 2 * 64 * 512 floats of A) and cells (2 * 64 * 256) split into tasks: on the default
 * pool, then bitwise on 1 and 3 threads. */
static void test_lower_gridlstm__wavefront_activations_clip_and_tasks(void **state) {
    (void)state;
    static const char *const acts[3] = {"HardSigmoid", "ScaledTanh", "Softsign"};
    static const float alpha[2] = {0.3f, 0.9f}, beta[2] = {0.45f, 1.3f};
    check(&(cfg){.k = 1, .N = 2, .C = 3, .F = 5, .L = 3, .S1 = 5, .tied = 1, .priority = 1,
                 .bias = true, .w_in = true, .clip = 0.8f, .acts = acts, .alpha = alpha,
                 .beta = beta, .n_alpha = 2, .n_beta = 2, .wave = 1},
          "wave_acts.so");
    glc_graph *g = build(&(cfg){.k = 1, .N = 64, .C = 4, .F = 256, .L = 2, .S1 = 3, .tied = 1,
                                .priority = 1, .bias = true, .w_in = true, .constant = true,
                                .wave = 1});
    cg_check_vs_interp_tol(g, "wave_tasks.so", 1e-4);
    glc_graph_destroy(g);
}

/* The wavefront schedule for K = 2 (glc_wavefront = 1): each layer's (row, column)
 * diagonals as one product each. Grids wider and taller than long (cmax 3 and 4: buckets
 * 1, 2 and 3 or 4), one row and one column (diagonals of one block), tied and untied
 * (unrolled constant layers, and a run-time layer loop), priority on and off, batch rows
 * > 1. */
static void test_lower_gridlstm__wavefront_k2_grids(void **state) {
    (void)state;
    static const struct {
        int64_t N, C, F, L, S1, S2;
        int tied, priority;
        bool w_in, constant;
    } g[] = {{2, 3, 4, 2, 3, 7, 0, 1, true, false}, {1, 5, 5, 3, 6, 4, 1, 0, false, true},
             {3, 2, 3, 2, 1, 5, 0, 1, true, true},  {2, 4, 4, 2, 5, 1, 1, 1, true, false},
             {2, 3, 6, 3, 4, 4, 0, 0, true, true},  {4, 6, 7, 2, 5, 6, 1, 1, true, true}};
    for (size_t k = 0; k < sizeof g / sizeof g[0]; k++) {
        char file[32];
        snprintf(file, sizeof file, "wave2d%zu.so", k);
        check(&(cfg){.k = 2, .N = g[k].N, .C = g[k].C, .F = g[k].F, .L = g[k].L,
                     .S1 = g[k].S1, .S2 = g[k].S2, .tied = g[k].tied,
                     .priority = g[k].priority, .bias = true, .w_in = g[k].w_in,
                     .constant = g[k].constant, .wave = 1},
              file);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_gridlstm__k1_two_layers_untied_w_in_bias_runtime_weights),
        cmocka_unit_test(test_lower_gridlstm__k1_three_layers_tied_priority0_no_w_in_no_bias),
        cmocka_unit_test(test_lower_gridlstm__k1_one_position_constant_weights),
        cmocka_unit_test(test_lower_gridlstm__k2_two_layers_priority_w_in_without_bias),
        cmocka_unit_test(test_lower_gridlstm__k2_three_layers_tied_priority0_constant),
        cmocka_unit_test(test_lower_gridlstm__k2_single_row_and_single_column),
        cmocka_unit_test(test_lower_gridlstm__activations_alpha_beta_and_clip),
        cmocka_unit_test(test_lower_gridlstm__wide_grid_state_in_workspace),
        cmocka_unit_test(test_lower_gridlstm__chunked_positions_k2_batch4),
        cmocka_unit_test(test_lower_gridlstm__chunked_positions_k1_unrolled_layers),
        cmocka_unit_test(test_lower_gridlstm__cells_and_products_split_into_tasks),
        cmocka_unit_test(test_lower_gridlstm__wavefront_k1_tied_grids),
        cmocka_unit_test(test_lower_gridlstm__wavefront_activations_clip_and_tasks),
        cmocka_unit_test(test_lower_gridlstm__wavefront_k2_grids),
    };
    return cmocka_run_group_tests_name("lower_gridlstm", tests, cg_group_setup, cg_group_teardown);
}
