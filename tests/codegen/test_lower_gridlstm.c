/* test_lower_gridlstm.c -- compiled glc.GridLSTM (codegen/lower_gridlstm.c) against the
 * reference interpreter on random data, over the attribute space: K = 1 and 2, one and
 * several layers, tied and untied weights, priority on and off, W_in and B present or
 * absent, weights as constants or run-time inputs, activations with alpha/beta and clip,
 * degenerate grids (one row, one column, one position); and the stack-budget refusal. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

static int group_setup(void **state) {
    (void)state;
    return cg_make_tmpdir();
}

static int group_teardown(void **state) {
    (void)state;
    cg_rm_tmpdir();
    return 0;
}

typedef struct cfg {
    int k;                      /* scanned axes */
    int64_t N, C, F, L, S1, S2; /* S2 unused when k = 1 */
    int tied, priority;         /* priority -1: attribute not set (default 1) */
    bool bias, w_in;
    bool constant;              /* weights as constants (else graph inputs) */
    float clip;                 /* 0 = none */
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
}

/* A weight: a graph input, or a constant filled with U(-1, 1). */
static glc_value_id weight(glc_graph *g, const cfg *c, const char *name, int rank,
                           const int64_t *dims, unsigned *seed) {
    if (!c->constant) return cg_in(g, name, GLC_DT_F32, rank, dims);
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (float)rand_r(seed) / RAND_MAX * 2.0f - 1.0f;
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

static void test_lower_gridlstm__state_beyond_the_stack_budget_is_unsupported(void **state) {
    (void)state;
    /* 2 * L * ((K-1)*cols + 1) * F = 2 * 8 * 1001 * 32 floats > 1 MiB of stack */
    glc_graph *g = build(&(cfg){.k = 2, .N = 1, .C = 32, .F = 32, .L = 8, .S1 = 1, .S2 = 1000,
                                .priority = -1});
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/big.so", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    assert_int_equal(glc_codegen_emit(g, &o, path, &d), GLC_E_UNSUPPORTED);
    assert_string_equal(d.node, "grid");
    if (!strstr(d.msg, "GridLSTM: 512832 floats of state scratch exceed the 262144-float stack"))
        fail_msg("diagnostic '%s'", d.msg);
    glc_graph_destroy(g);
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
        cmocka_unit_test(test_lower_gridlstm__state_beyond_the_stack_budget_is_unsupported),
    };
    return cmocka_run_group_tests_name("lower_gridlstm", tests, group_setup, group_teardown);
}
