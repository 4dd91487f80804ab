/* test_lower_mdlstm.c -- compiled glc.MDLSTM (codegen/lower_mdlstm.c) against the reference
 * interpreter on random data, over the variant space: spatial rank 1/2/3, 1..2^R scan
 * directions, cells graves/stable/spatial, peepholes, bias, extents (constant, and as a
 * runtime input), activations with alpha/beta, clip, non-square and size-1 grids (the R = 2
 * wavefront bounds). Extents outside [0, S_d] are rejected by the interpreter; compiled code
 * has no status to return and must behave as if they were clamped, without reading or
 * writing out of bounds (the ASan build checks that). */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

typedef struct cfg {
    int rank;
    int64_t N, C, F, S[3];
    int dirs;
    const char *cell; /* NULL = default (graves) */
    bool bias, peep;
    const int64_t *ext;      /* constant (N, R), or NULL */
    float clip;              /* 0 = none */
    const char *const *acts; /* 3 names or NULL */
    const float *alpha, *beta;
    int n_alpha, n_beta;
    bool consts; /* W, R, B, P as constants (random) instead of graph inputs */
} cfg;

static int gates(const cfg *c) {
    return c->cell && !strcmp(c->cell, "stable") ? 5 : 3 + c->rank;
}

static void add_attrs(glc_graph *g, glc_node_id id, const cfg *c) {
    glc_node_set_int(g, id, "hidden_size", c->F);
    if (c->dirs != 1) glc_node_set_int(g, id, "directions", c->dirs);
    if (c->cell) glc_node_set_string(g, id, "cell", c->cell);
    if (c->clip > 0) glc_node_set_float(g, id, "clip", c->clip);
    if (c->acts) {
        glc_attr a = {.name = "activations", .kind = GLC_ATTR_STRINGS, .n = 3, .strings = c->acts};
        glc_node_set_attr(g, id, &a);
    }
    if (c->alpha) glc_node_set_floats(g, id, "activation_alpha", c->alpha, (uint32_t)c->n_alpha);
    if (c->beta) glc_node_set_floats(g, id, "activation_beta", c->beta, (uint32_t)c->n_beta);
}

/* A weight: a graph input, or a constant of random values in [-1, 1) when c->consts. */
static glc_value_id weight(glc_graph *g, const cfg *c, const char *name, int rank,
                           const int64_t *dims) {
    if (!c->consts) return cg_in(g, name, GLC_DT_F32, rank, dims);
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *v = malloc((size_t)n * sizeof *v);
    unsigned seed = (unsigned)(n * 31 + (int64_t)name[0]);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((double)rand_r(&seed) / RAND_MAX * 2.0 - 1.0);
    glc_value_id id = glc_graph_add_const(g, name, GLC_DT_F32, rank, dims, v);
    free(v);
    return id;
}

/* The node's graph; extents is a graph input when ext_input, else c->ext (or absent). */
static glc_graph *build(const cfg *c, bool ext_input) {
    glc_graph *g = glc_graph_create();
    g->opset = 14;
    g->opset_glc = 1;
    int64_t D = c->dirs, GF = gates(c) * c->F, x[5] = {c->N, c->C};
    for (int k = 0; k < c->rank; k++)
        x[2 + k] = c->S[k];
    glc_value_id in[6] = {0};
    in[0] = cg_in(g, "X", GLC_DT_F32, 2 + c->rank, x);
    in[1] = weight(g, c, "W", 3, (int64_t[]){D, GF, c->C});
    in[2] = weight(g, c, "R", 4, (int64_t[]){D, c->rank, GF, c->F});
    if (c->bias) in[3] = weight(g, c, "B", 2, (int64_t[]){D, GF});
    if (c->peep) in[4] = weight(g, c, "P", 2, (int64_t[]){D, (2 + c->rank) * c->F});
    int64_t ed[2] = {c->N, c->rank};
    if (ext_input)
        in[5] = cg_in(g, "extents", GLC_DT_I64, 2, ed);
    else if (c->ext)
        in[5] = glc_graph_add_const(g, "extents", GLC_DT_I64, 2, ed, c->ext);
    int n_in = 6;
    while (n_in > 3 && !in[n_in - 1])
        n_in--;
    glc_value_id y = glc_graph_add_value(g, "Y", GLC_DT_UNDEF, 0, NULL);
    glc_node_id id = glc_graph_add_node(g, GLC_OP_MDLSTM, "md", in, n_in, &y, 1);
    add_attrs(g, id, c);
    glc_graph_add_output(g, y);
    return g;
}

static void check(const cfg *c, const char *file) {
    glc_graph *g = build(c, false);
    cg_check_vs_interp(g, file);
    glc_graph_destroy(g);
}

static const char *const HS_ACTS[3] = {"HardSigmoid", "ScaledTanh", "Softsign"};
static const float HS_ALPHA[2] = {0.3f, 1.2f}, HS_BETA[2] = {0.45f, 0.7f};

static void test_lower_mdlstm__rank1_graves_two_directions_peepholes(void **state) {
    (void)state;
    cfg c = {1, 3, 4, 5, {9}, 2, .bias = 1, .peep = 1};
    check(&c, "r1_graves.so");
}

static void test_lower_mdlstm__rank1_spatial_extents_clip(void **state) {
    (void)state;
    static const int64_t ext[3] = {7, 0, 4};
    cfg c = {1, 3, 2, 3, {7}, 2, .cell = "spatial", .ext = ext, .clip = 0.7f};
    check(&c, "r1_spatial.so");
}

static void test_lower_mdlstm__rank2_graves_every_direction_count_non_square(void **state) {
    (void)state;
    char file[64];
    for (int d = 1; d <= 4; d++) { /* wider than tall for odd d, taller for even d */
        cfg c = {2, 2, 3, 4, {3, 6}, d, .bias = d != 2, .peep = d >= 3};
        if (d % 2 == 0) c.S[0] = 5, c.S[1] = 2;
        snprintf(file, sizeof file, "r2_graves_d%d.so", d);
        check(&c, file);
    }
}

static void test_lower_mdlstm__rank2_size_one_axes(void **state) {
    (void)state;
    cfg a = {2, 2, 2, 3, {1, 6}, 4, .bias = 1, .peep = 1};
    check(&a, "r2_row.so");
    cfg b = {2, 2, 2, 3, {6, 1}, 4, .bias = 1};
    check(&b, "r2_col.so");
    cfg one = {2, 1, 1, 2, {1, 1}, 3, .bias = 0};
    check(&one, "r2_one.so");
}

static void test_lower_mdlstm__rank2_graves_extents_peepholes(void **state) {
    (void)state;
    static const int64_t ext[8] = {4, 5, 2, 3, 0, 5, 4, 1};
    cfg c = {2, 4, 3, 3, {4, 5}, 4, .bias = 1, .peep = 1, .ext = ext};
    check(&c, "r2_ext.so");
}

static void test_lower_mdlstm__rank2_stable_extents_activations_clip(void **state) {
    (void)state;
    static const int64_t ext[6] = {5, 4, 3, 1, 2, 4};
    cfg c = {2,
             3,
             2,
             4,
             {5, 4},
             3,
             .cell = "stable",
             .bias = 1,
             .ext = ext,
             .clip = 0.9f,
             .acts = HS_ACTS,
             .alpha = HS_ALPHA,
             .beta = HS_BETA,
             .n_alpha = 2,
             .n_beta = 2};
    check(&c, "r2_stable.so");
}

static void test_lower_mdlstm__rank2_spatial_four_directions(void **state) {
    (void)state;
    static const char *const acts[3] = {"Sigmoid", "LeakyRelu", "Elu"};
    static const float al[2] = {0.2f, 0.8f};
    cfg c = {2,           2,           3, 4, {4, 3}, 4, .cell = "spatial", .bias = 1, .acts = acts,
             .alpha = al, .n_alpha = 2};
    check(&c, "r2_spatial.so");
}

static void test_lower_mdlstm__rank3_graves_eight_directions_extents(void **state) {
    (void)state;
    static const int64_t ext[6] = {3, 2, 4, 1, 3, 2};
    cfg c = {3, 2, 2, 3, {3, 3, 4}, 8, .bias = 1, .peep = 1, .ext = ext};
    check(&c, "r3_graves.so");
}

static void test_lower_mdlstm__rank3_spatial_five_directions(void **state) {
    (void)state;
    cfg c = {3, 1, 3, 2, {2, 4, 3}, 5, .cell = "spatial", .clip = 1.1f};
    check(&c, "r3_spatial.so");
}

/* The wavefront kernel's edges with constant weights (transposed at compile time): hidden
 * sizes below, at and above the 16-lane cell padding, a batch > 1 whose samples stop at
 * different extents (smaller than the grid, and zero), every direction, non-square grids
 * wider and taller than the diagonal length. */
static void test_lower_mdlstm__rank2_constant_weights_padded_hidden_batch_extents(void **state) {
    (void)state;
    static const int64_t ext[6] = {3, 7, 2, 5, 0, 4};
    cfg a = {2, 3, 5, 17, {3, 7}, 4, .bias = 1, .peep = 1, .ext = ext, .consts = 1};
    check(&a, "r2_const_f17.so");
    static const int64_t ext2[4] = {6, 2, 4, 3};
    cfg b = {2, 2, 3, 16, {6, 3}, 4, .cell = "stable", .bias = 1, .ext = ext2, .consts = 1};
    check(&b, "r2_const_f16.so");
    cfg d = {2, 2, 4, 33, {4, 4}, 3, .cell = "spatial", .consts = 1, .clip = 0.8f};
    check(&d, "r2_const_f33.so");
}

/* 1 x N and N x 1 grids (every diagonal holds one cell) with a batch and constant weights. */
static void test_lower_mdlstm__rank2_line_grids_batch_constant_weights(void **state) {
    (void)state;
    static const int64_t ext[6] = {1, 9, 1, 4, 0, 9};
    cfg a = {2, 3, 3, 5, {1, 9}, 4, .bias = 1, .peep = 1, .ext = ext, .consts = 1};
    check(&a, "r2_line_row.so");
    static const int64_t ext2[6] = {9, 1, 5, 1, 9, 0};
    cfg b = {2, 3, 3, 5, {9, 1}, 4, .bias = 1, .ext = ext2, .consts = 1};
    check(&b, "r2_line_col.so");
}

/* Diagonals of more rows (Lmax*N = 27) than one recurrent product takes, so the kernel runs
 * them as several products of fewer rows (the short diagonals as fewer), and G*F = 65 or
 * 40 gate columns: full 32-column panels of the packed R and a partial one; with constant
 * weights (packed at compile time) and as inputs (packed at run time). Small F keeps the
 * sums short enough for the 1e-5 comparison over 20 recurrent steps. */
static void test_lower_mdlstm__rank2_long_diagonals_several_products_and_panels(void **state) {
    (void)state;
    static const int64_t ext[6] = {9, 11, 4, 7, 9, 0};
    cfg a = {2, 3, 4, 13, {9, 11}, 4, .bias = 1, .peep = 1, .ext = ext, .consts = 1};
    check(&a, "r2_long_const.so");
    cfg b = {2, 3, 4, 8, {11, 9}, 2, .cell = "stable", .bias = 1};
    check(&b, "r2_long_inputs.so");
}

/* Rank 1 (one cell per step: the ONNX LSTM recurrence) and rank 3 (2-D wavefronts per
 * slice) with constant weights and a batch. */
static void test_lower_mdlstm__rank1_rank3_constant_weights(void **state) {
    (void)state;
    static const int64_t ext1[2] = {6, 3};
    cfg a = {1, 2, 3, 20, {6}, 2, .bias = 1, .peep = 1, .ext = ext1, .consts = 1};
    check(&a, "r1_const.so");
    static const int64_t ext3[6] = {2, 3, 2, 1, 2, 1};
    cfg b = {3, 2, 2, 3, {2, 3, 2}, 8, .bias = 1, .peep = 1, .ext = ext3, .consts = 1};
    check(&b, "r3_const.so");
}

/* Extents as a runtime input with values outside [0, S_d]: the compiled model clamps
 * them (no status to return); equal to the interpreter on the clamped values. */
static void test_lower_mdlstm__runtime_extents_out_of_range_act_clamped(void **state) {
    (void)state;
    cfg c = {2, 3, 2, 3, {3, 4}, 4, .bias = 1, .peep = 1};
    glc_graph *g = build(&c, true);
    glc_rt_model *m = cg_compile(g, "r2_ext_rt.so");
    const glc_model_desc *mi = glc_rt_model_desc(m);
    unsigned seed = 7;
    void *in[6];
    for (uint32_t i = 0; i < g->n_inputs; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        in[i] = malloc(glc_value_nbytes(v));
        cg_fill(v, in[i], &seed);
    }
    int64_t wild[6] = {-5, 99, 3, 4, 2, -1}, clamped[6] = {0, 4, 3, 4, 2, 0};
    uint32_t ei = g->n_inputs - 1; /* extents was added last */
    assert_string_equal(g->values[g->inputs[ei]].name, "extents");
    const glc_value *yv = &g->values[g->outputs[0]];
    size_t nb = glc_value_nbytes(yv);
    float *got = malloc(nb), *want = malloc(nb);
    memcpy(in[ei], wild, sizeof wild);
    void *ws = aligned_alloc(64, (mi->workspace_size + 63) / 64 * 64);
    assert_int_equal(
        glc_rt_model_run(m, (const void *const *)in, NULL, (void *[]){got}, ws, mi->workspace_size),
        GLC_RT_OK);
    glc_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(glc_interp_run(g, (const void *const *)in, (void *[]){want}, &d), GLC_E_ARG);
    memcpy(in[ei], clamped, sizeof clamped);
    if (glc_interp_run(g, (const void *const *)in, (void *[]){want}, &d))
        fail_msg("interp: %s", d.msg);
    cg_compare(yv, got, want);
    free(ws);
    free(got);
    free(want);
    for (uint32_t i = 0; i < g->n_inputs; i++)
        free(in[i]);
    glc_rt_model_close(m);
    glc_graph_destroy(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_mdlstm__rank1_graves_two_directions_peepholes),
        cmocka_unit_test(test_lower_mdlstm__rank1_spatial_extents_clip),
        cmocka_unit_test(test_lower_mdlstm__rank2_graves_every_direction_count_non_square),
        cmocka_unit_test(test_lower_mdlstm__rank2_size_one_axes),
        cmocka_unit_test(test_lower_mdlstm__rank2_graves_extents_peepholes),
        cmocka_unit_test(test_lower_mdlstm__rank2_stable_extents_activations_clip),
        cmocka_unit_test(test_lower_mdlstm__rank2_spatial_four_directions),
        cmocka_unit_test(test_lower_mdlstm__rank3_graves_eight_directions_extents),
        cmocka_unit_test(test_lower_mdlstm__rank3_spatial_five_directions),
        cmocka_unit_test(test_lower_mdlstm__runtime_extents_out_of_range_act_clamped),
        cmocka_unit_test(test_lower_mdlstm__rank2_constant_weights_padded_hidden_batch_extents),
        cmocka_unit_test(test_lower_mdlstm__rank2_line_grids_batch_constant_weights),
        cmocka_unit_test(test_lower_mdlstm__rank1_rank3_constant_weights),
        cmocka_unit_test(test_lower_mdlstm__rank2_long_diagonals_several_products_and_panels),
    };
    return cmocka_run_group_tests_name("lower_mdlstm", tests, cg_group_setup, cg_group_teardown);
}
